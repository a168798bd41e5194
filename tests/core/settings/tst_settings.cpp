// SPDX-License-Identifier: MIT
#include "core/settings/settings.h"

#include <QCommandLineParser>
#include <QFile>
#include <QSettings>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace redrive::core;

class TestSettings : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString file(const char *name) const { return m_dir.filePath(QLatin1String(name)); }

private Q_SLOTS:
    void defaults()
    {
        Settings settings(file("defaults.ini"));
        QCOMPARE(settings.string(SettingKey::ListenAddress), QStringLiteral("127.0.0.1:5000"));
        QCOMPARE(settings.string(SettingKey::WebhookPath), QStringLiteral("/webhook/genesys"));
        QCOMPARE(settings.string(SettingKey::DlqKey), QStringLiteral("genesys_webhook_dlq"));
        QCOMPARE(settings.string(SettingKey::PermanentKey),
                 QStringLiteral("genesys_webhook_permanent_failures"));
        QCOMPARE(settings.integer(SettingKey::MaxRetries), 3);
        QCOMPARE(settings.integer64(SettingKey::MaxBodyBytes), qint64(1024 * 1024));
        QVERIFY(settings.flag(SettingKey::WorkerEnabled));
        QCOMPARE(settings.source(SettingKey::MaxRetries), SettingSource::Default);
    }

    void layeringOrder()
    {
        const QString path = file("layers.ini");
        {
            Settings saved(path);
            QVERIFY(saved.setValue(SettingKey::MaxRetries, 5));
            QVERIFY(saved.setValue(SettingKey::Concurrency, 7));
            QVERIFY(saved.setValue(SettingKey::BackoffBaseMs, 250));
        }
        Settings settings(path); // a restart: the file is read again
        QCOMPARE(settings.integer(SettingKey::MaxRetries), 5);
        QCOMPARE(settings.source(SettingKey::MaxRetries), SettingSource::SavedFile);

        QProcessEnvironment env;
        env.insert(QStringLiteral("REDRIVE_MAX_RETRIES"), QStringLiteral("6"));
        env.insert(QStringLiteral("REDRIVE_CONCURRENCY"), QStringLiteral("8"));
        env.insert(QStringLiteral("REDIS_URL"), QStringLiteral("redis://10.1.2.3:6380/1"));
        QStringList errors;
        settings.applyEnvironment(env, &errors);
        QVERIFY(errors.isEmpty());
        QCOMPARE(settings.integer(SettingKey::MaxRetries), 6);
        QCOMPARE(settings.source(SettingKey::Concurrency), SettingSource::Environment);
        QCOMPARE(settings.string(SettingKey::RedisUrl), QStringLiteral("redis://10.1.2.3:6380/1"));

        QCommandLineParser parser;
        Settings::addOptions(&parser);
        QVERIFY(parser.parse({ QStringLiteral("redrive"), QStringLiteral("--max-retries"),
                               QStringLiteral("9"), QStringLiteral("--no-worker") }));
        settings.applyCommandLine(parser, &errors);
        QVERIFY(errors.isEmpty());
        QCOMPARE(settings.integer(SettingKey::MaxRetries), 9);
        QCOMPARE(settings.source(SettingKey::MaxRetries), SettingSource::CommandLine);
        QCOMPARE(settings.integer(SettingKey::Concurrency), 8); // env beats file
        QCOMPARE(settings.integer(SettingKey::BackoffBaseMs), 250); // file beats default
        QVERIFY(!settings.flag(SettingKey::WorkerEnabled));
        QVERIFY(
            settings.describe().contains(QLatin1String("worker/max_retries = 9  (command line)")));
    }

    // --max-attempts always counted the worker's retries: the old names (flag, environment
    // variable, file key) still set the same number, say once that they are deprecated, and
    // give way to the new name when both are there.
    void maxAttemptsIsTheOldNameOfMaxRetries()
    {
        const QString path = file("renamed.ini");
        {
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write("[worker]\nmax_attempts=5\n");
        }
        Settings settings(path);
        QCOMPARE(settings.integer(SettingKey::MaxRetries), 5);
        QCOMPARE(settings.source(SettingKey::MaxRetries), SettingSource::SavedFile);
        // Saving moves it to the new key.
        QVERIFY(settings.setValue(SettingKey::MaxRetries, 4));
        {
            QSettings raw(path, QSettings::IniFormat);
            QVERIFY(!raw.contains(QStringLiteral("worker/max_attempts")));
            QCOMPARE(raw.value(QStringLiteral("worker/max_retries")).toInt(), 4);
        }

        QProcessEnvironment env;
        env.insert(QStringLiteral("REDRIVE_MAX_ATTEMPTS"), QStringLiteral("6"));
        QStringList errors;
        settings.applyEnvironment(env, &errors);
        QVERIFY(errors.isEmpty());
        QCOMPARE(settings.integer(SettingKey::MaxRetries), 6);
        env.insert(QStringLiteral("REDRIVE_MAX_RETRIES"), QStringLiteral("7"));
        settings.applyEnvironment(env, &errors);
        QCOMPARE(settings.integer(SettingKey::MaxRetries), 7);

        QCommandLineParser parser;
        Settings::addOptions(&parser);
        QVERIFY(parser.parse({ QStringLiteral("redrive"), QStringLiteral("--max-attempts"),
                               QStringLiteral("9") }));
        settings.applyCommandLine(parser, &errors);
        QVERIFY(errors.isEmpty());
        QCOMPARE(settings.integer(SettingKey::MaxRetries), 9);
        QCOMPARE(settings.source(SettingKey::MaxRetries), SettingSource::CommandLine);
        // Not in --help (nor in the manual page): only the new name is documented.
        QVERIFY(!parser.helpText().contains(QLatin1String("  --max-attempts")));
        QVERIFY(parser.helpText().contains(QLatin1String("--max-retries")));

        QCommandLineParser bad;
        Settings::addOptions(&bad);
        QVERIFY(bad.parse({ QStringLiteral("redrive"), QStringLiteral("--max-attempts"),
                            QStringLiteral("zero") }));
        settings.applyCommandLine(bad, &errors);
        QCOMPARE(errors.size(), 1);
        QVERIFY2(errors.constFirst().startsWith(QLatin1String("--max-attempts: ")),
                 qPrintable(errors.constFirst()));
        // Said once each, for the log after the start (the first line says where Redrive listens).
        QCOMPARE(settings.deprecations(),
                 QStringList({ QStringLiteral("REDRIVE_MAX_ATTEMPTS is deprecated, use "
                                              "REDRIVE_MAX_RETRIES (it is the same number)"),
                               QStringLiteral("--max-attempts is deprecated, use --max-retries "
                                              "(it is the same number)") }));
    }

    void validation_data()
    {
        QTest::addColumn<int>("key");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("message");
        QTest::newRow("url") << int(SettingKey::DownstreamUrl) << QStringLiteral("ftp://x")
                             << QStringLiteral("not an http");
        QTest::newRow("port") << int(SettingKey::ListenAddress) << QStringLiteral("127.0.0.1:70000")
                              << QStringLiteral("0-65535");
        QTest::newRow("host") << int(SettingKey::ListenAddress) << QStringLiteral("nohost:80")
                              << QStringLiteral("IP address");
        QTest::newRow("region") << int(SettingKey::GenesysRegion) << QStringLiteral("mars-1")
                                << QStringLiteral("unknown Genesys Cloud region");
        QTest::newRow("negative timeout") << int(SettingKey::DownstreamTimeoutMs)
                                          << QStringLiteral("-5") << QStringLiteral("out of range");
        QTest::newRow("not a number") << int(SettingKey::MaxRetries) << QStringLiteral("three")
                                      << QStringLiteral("not a valid number");
        QTest::newRow("simulation")
            << int(SettingKey::SimulateFailure) << QStringLiteral("150%") << QStringLiteral("N%");
        QTest::newRow("path") << int(SettingKey::WebhookPath) << QStringLiteral("webhook")
                              << QStringLiteral("must start with /");
        QTest::newRow("password in url")
            << int(SettingKey::RedisUrl) << QStringLiteral("redis://u:pw@h:1/0")
            << QStringLiteral("keychain");
    }

    void validation()
    {
        QFETCH(int, key);
        QFETCH(QString, value);
        QFETCH(QString, message);
        Settings settings(file("validation.ini"));
        const QVariant before = settings.value(SettingKey(key));
        QString error;
        QVERIFY(!settings.setValue(SettingKey(key), value, &error));
        QVERIFY2(error.contains(message), qPrintable(error));
        QCOMPARE(settings.value(SettingKey(key)), before);

        QProcessEnvironment env;
        env.insert(Settings::spec(SettingKey(key)).envVars.first(), value);
        QStringList errors;
        settings.applyEnvironment(env, &errors);
        QCOMPARE(errors.size(), 1);
        QVERIFY(errors.first().startsWith(Settings::spec(SettingKey(key)).envVars.first()));
        QCOMPARE(settings.value(SettingKey(key)), before);
    }

    void changedSignal()
    {
        Settings settings(file("signal.ini"));
        QSignalSpy spy(&settings, &Settings::changed);
        QVERIFY(
            settings.setValue(SettingKey::DownstreamUrl, QStringLiteral("http://127.0.0.1:9/x")));
        QCOMPARE(spy.size(), 1);
        QCOMPARE(spy.first().first().value<SettingKey>(), SettingKey::DownstreamUrl);
        QVERIFY(
            settings.setValue(SettingKey::DownstreamUrl, QStringLiteral("http://127.0.0.1:9/x")));
        QCOMPARE(spy.size(), 1); // same value: no signal
        settings.resetToDefault(SettingKey::DownstreamUrl);
        QCOMPARE(spy.size(), 2);
        QCOMPARE(settings.string(SettingKey::DownstreamUrl), QString());
    }

    void handEditedGarbageFallsBackToDefault()
    {
        const QString path = file("garbage.ini");
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(
            "[worker]\nmax_attempts=lots\nconcurrency=8\n[receiver]\nlisten=127.0.0.1:notaport\n");
        f.close();
        Settings settings(path);
        QCOMPARE(settings.integer(SettingKey::MaxRetries), 3);
        QCOMPARE(settings.string(SettingKey::ListenAddress), QStringLiteral("127.0.0.1:5000"));
        // ... and says so, instead of calling the default a value from the file.
        QCOMPARE(settings.source(SettingKey::MaxRetries), SettingSource::Default);
        QCOMPARE(settings.source(SettingKey::Concurrency), SettingSource::SavedFile);
        QVERIFY(settings.fileProblem(SettingKey::Concurrency).isEmpty());
        const QStringList problems = settings.fileProblems();
        QCOMPARE(problems.size(), 2);
        QVERIFY2(
            problems.join(QLatin1Char('\n')).contains(QStringLiteral("max_attempts = \"lots\"")),
            qPrintable(problems.join(QLatin1Char('\n'))));
        QVERIFY(problems.join(QLatin1Char('\n')).contains(QStringLiteral("using the default, 3")));
        QVERIFY(settings.describe().contains(
            QStringLiteral("worker/max_retries = 3  (default: the settings file's value \"lots\" "
                           "is not valid)")));
    }

    void redisTlsOptions()
    {
        Settings settings(file("tls.ini"));
        QVERIFY(!settings.flag(SettingKey::RedisTlsInsecure)); // verification on by default
        const QString ca = file("ca.pem");
        {
            QFile pem(ca);
            QVERIFY(pem.open(QIODevice::WriteOnly));
            pem.write("-----BEGIN CERTIFICATE-----\n");
        }
        QProcessEnvironment env;
        env.insert(QStringLiteral("REDRIVE_REDIS_CA"), ca);
        env.insert(QStringLiteral("REDRIVE_REDIS_CERT"), file("missing.pem"));
        QStringList errors;
        settings.applyEnvironment(env, &errors);
        QCOMPARE(settings.string(SettingKey::RedisTlsCa), ca);
        QCOMPARE(errors.size(), 1); // the certificate that does not exist
        QVERIFY2(errors.first().contains(QLatin1String("missing.pem")), qPrintable(errors.first()));

        QCommandLineParser parser;
        Settings::addOptions(&parser);
        QVERIFY(parser.parse(
            { QStringLiteral("redrive"), QStringLiteral("--redis"),
              QStringLiteral("rediss://cache.example:6380/0"), QStringLiteral("--redis-insecure"),
              QStringLiteral("--redis-tls-server-name"), QStringLiteral("redis.internal") }));
        errors.clear();
        settings.applyCommandLine(parser, &errors);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));
        QVERIFY(settings.flag(SettingKey::RedisTlsInsecure)); // the flag alone means yes
        QCOMPARE(settings.string(SettingKey::RedisTlsServerName), QStringLiteral("redis.internal"));
        QVERIFY(settings.describe().contains(
            QLatin1String("redis/tls_insecure = true  (command line)")));
    }

    void everyFlagHasAnEnvironmentTwin()
    {
        for (const SettingSpec &spec : Settings::specs()) {
            QVERIFY2(!spec.envVars.isEmpty(), qPrintable(spec.fileKey));
            QVERIFY(spec.envVars.first().startsWith(QLatin1String("REDRIVE_")));
        }
    }
};

QTEST_GUILESS_MAIN(TestSettings)
#include "tst_settings.moc"
