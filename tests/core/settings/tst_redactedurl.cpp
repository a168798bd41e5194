// SPDX-License-Identifier: MIT
// Issue 10, defect 4: no URL from the configuration is shown with its user-info, whatever the
// source (settings file, environment, flag) and whether or not the URL is valid.
#include "core/redis/redisendpoint.h"
#include "core/settings/redactedurl.h"
#include "core/settings/settings.h"

#include <QCommandLineParser>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace redrive::core;
using namespace Qt::StringLiterals;

namespace {
const QString Password = QStringLiteral("pw-Z9q7");
const QString User = QStringLiteral("usr-K3x5");

bool showsSecret(const QString &text)
{
    return text.contains(Password) || text.contains(User);
}
} // namespace

class TestRedactedUrl : public QObject
{
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void redacts_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("shown");
        QTest::newRow("password") << u"redis://:pw-Z9q7@10.0.0.5:6380/2"_s
                                  << u"redis://***@10.0.0.5:6380/2"_s;
        QTest::newRow("user and password")
            << u"redis://usr-K3x5:pw-Z9q7@host/0"_s << u"redis://***@host/0"_s;
        QTest::newRow("user") << u"redis://usr-K3x5@host"_s << u"redis://***@host"_s;
        QTest::newRow("none") << u"redis://host:6379/0"_s << u"redis://host:6379/0"_s;
        QTest::newRow("unix") << u"unix:///run/redis.sock?db=1"_s
                              << u"unix:///run/redis.sock?db=1"_s;
        QTest::newRow("slash in password")
            << u"redis://:pw/Z9q7@host:6379/0"_s << u"redis://***@host:6379/0"_s;
        QTest::newRow("hash and at in password")
            << u"redis://:p#w@Z9q7@host:bad"_s << u"redis://***@host:bad"_s;
        QTest::newRow("no scheme") << u"usr-K3x5:pw-Z9q7@host:6379"_s << u"***@host:6379"_s;
        QTest::newRow("one slash") << u"redis:/:pw-Z9q7@host"_s << u"***@host"_s;
        QTest::newRow("http") << u"https://usr-K3x5:pw-Z9q7@api.example.com/x"_s
                              << u"https://***@api.example.com/x"_s;
        QTest::newRow("empty") << QString() << QString();
    }

    void redacts()
    {
        QFETCH(QString, url);
        QFETCH(QString, shown);
        QCOMPARE(redactedUrl(url), shown);
    }

    void endpointNeverShowsUserInfo()
    {
        RedisEndpoint endpoint;
        QString error;
        QVERIFY(
            RedisEndpoint::parse(u"redis://usr-K3x5:pw-Z9q7@10.0.0.5:6380/2"_s, &endpoint, &error));
        QCOMPARE(endpoint.user, User);
        QCOMPARE(endpoint.password, Password);
        QCOMPARE(endpoint.displayUrl(), u"redis://***@10.0.0.5:6380/2"_s);
        // Every parse error names the URL, redacted.
        for (const QString &bad :
             { u"redis://usr-K3x5:pw-Z9q7@host:99999/0"_s, u"redis://usr-K3x5:pw-Z9q7@host/x"_s,
               u"rediss://usr-K3x5:pw-Z9q7@host/x"_s, u"http://usr-K3x5:pw-Z9q7@host/0"_s,
               u"redis://usr-K3x5:pw-Z9q7@/0"_s, u"usr-K3x5:pw-Z9q7@host"_s }) {
            QVERIFY(!RedisEndpoint::parse(bad, &endpoint, &error));
            QVERIFY2(!showsSecret(error), qPrintable(error));
        }
    }

    void settingsFileValueIsShownRedacted()
    {
        const QString path = m_dir.filePath(QStringLiteral("redrive.ini"));
        {
            QFile file(path);
            QVERIFY(file.open(QIODevice::WriteOnly));
            file.write("[redis]\nurl=redis://usr-K3x5:pw-Z9q7@10.0.0.5:6380/2\n"
                       "[downstream]\nurl=ftp://usr-K3x5:pw-Z9q7@example.com/\n");
        }
        Settings settings(path);
        const QStringList problems = settings.fileProblems();
        QCOMPARE(problems.size(), 2); // both refused, and said so
        for (const QString &problem : problems) {
            QVERIFY2(!showsSecret(problem), qPrintable(problem));
            QVERIFY2(problem.contains(QLatin1String("***@")), qPrintable(problem));
        }
        const QString described = settings.describe();
        QVERIFY2(!showsSecret(described), qPrintable(described));
    }

    void environmentAndFlagErrorsAreRedacted()
    {
        for (const QString &url : { u"redis://usr-K3x5:pw-Z9q7@10.0.0.5:6380/2"_s,
                                    u"redis://usr-K3x5:pw-Z9q7@10.0.0.5:notaport/2"_s,
                                    u"mysql://usr-K3x5:pw-Z9q7@10.0.0.5/2"_s }) {
            Settings settings(m_dir.filePath(QStringLiteral("env.ini")));
            QProcessEnvironment env;
            env.insert(QStringLiteral("REDRIVE_REDIS_URL"), url);
            env.insert(QStringLiteral("REDRIVE_DOWNSTREAM"),
                       QString(url).replace(QLatin1String("redis"), QLatin1String("gopher")));
            QStringList errors;
            settings.applyEnvironment(env, &errors);
            QCOMPARE(errors.size(), 2);
            for (const QString &error : std::as_const(errors))
                QVERIFY2(!showsSecret(error), qPrintable(error));

            QCommandLineParser parser;
            Settings::addOptions(&parser);
            QVERIFY(parser.parse({ QStringLiteral("redrive"), QStringLiteral("--redis"), url }));
            errors.clear();
            settings.applyCommandLine(parser, &errors);
            QCOMPARE(errors.size(), 1);
            QVERIFY2(!showsSecret(errors.first()), qPrintable(errors.first()));
            QVERIFY(!showsSecret(settings.describe()));
        }
    }

    void acceptedUrlWithUserIsShownRedacted()
    {
        Settings settings(m_dir.filePath(QStringLiteral("user.ini")));
        QString error;
        QVERIFY2(
            settings.setValue(SettingKey::RedisUrl, u"redis://usr-K3x5@10.0.0.5:6380/2"_s, &error),
            qPrintable(error));
        QVERIFY2(!showsSecret(settings.describe()), qPrintable(settings.describe()));
        QVERIFY(settings.describe().contains(QLatin1String("redis://***@10.0.0.5:6380/2")));
    }
};

QTEST_GUILESS_MAIN(TestRedactedUrl)
#include "tst_redactedurl.moc"
