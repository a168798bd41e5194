// SPDX-License-Identifier: MIT
// Runs against a real Secret Service: tests/support/keychain-session.sh starts a private D-Bus
// session with an unlocked gnome-keyring (packaging/test.sh runs the whole suite inside it).
#include "core/settings/keychaincredentialstore.h"
#include "core/settings/memorycredentialstore.h"
#include "tests/support/redisserver.h"
#include "tests/support/testenv.h"

#include <QDirIterator>
#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

using namespace redrive::core;

namespace {

SecretResult readNow(CredentialStore &store, SecretKind kind)
{
    SecretResult result;
    bool done = false;
    QObject context;
    store.read(kind, &context, [&](const SecretResult &r) {
        result = r;
        done = true;
    });
    [&] { QTRY_VERIFY_WITH_TIMEOUT(done, 15000); }();
    return result;
}

QString writeNow(CredentialStore &store, SecretKind kind, const QString &value)
{
    QString error = QStringLiteral("no answer");
    QObject context;
    store.write(kind, value, &context, [&](const QString &e) { error = e; });
    [&] { QTRY_VERIFY_WITH_TIMEOUT(error != QLatin1String("no answer"), 15000); }();
    return error;
}

QString removeNow(CredentialStore &store, SecretKind kind)
{
    QString error = QStringLiteral("no answer");
    QObject context;
    store.remove(kind, &context, [&](const QString &e) { error = e; });
    [&] { QTRY_VERIFY_WITH_TIMEOUT(error != QLatin1String("no answer"), 15000); }();
    return error;
}

// Every file under `dir` whose bytes contain `needle`.
QStringList filesContaining(const QString &dir, const QByteArray &needle)
{
    QStringList hits;
    QDirIterator it(dir, QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
    while (it.hasNext()) {
        QFile file(it.next());
        if (file.open(QIODevice::ReadOnly) && file.readAll().contains(needle))
            hits.append(file.fileName());
    }
    return hits;
}

} // namespace

class TestCredentialStore : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(!qEnvironmentVariableIsEmpty("DBUS_SESSION_BUS_ADDRESS"),
                 "no D-Bus session: run the suite through tests/support/keychain-session.sh");
    }

    void keychainRoundTrip_data()
    {
        QTest::addColumn<int>("kind");
        for (SecretKind kind : CredentialStore::allKinds())
            QTest::newRow(qPrintable(CredentialStore::keyName(kind))) << int(kind);
    }

    void keychainRoundTrip()
    {
        QFETCH(int, kind);
        const auto secret = SecretKind(kind);
        KeychainCredentialStore store(QStringLiteral("Redrive-test"));
        QCOMPARE(writeNow(store, secret, QStringLiteral("first-value-\u00e9")), QString());
        SecretResult r = readNow(store, secret);
        QVERIFY2(r.ok, qPrintable(r.error));
        QVERIFY(r.found);
        QCOMPARE(r.value, QStringLiteral("first-value-\u00e9"));

        QCOMPARE(writeNow(store, secret, QStringLiteral("second")), QString());
        QCOMPARE(readNow(store, secret).value, QStringLiteral("second"));

        // A second store (a restart) sees the same value: it lives in the keyring, not in us.
        KeychainCredentialStore again(QStringLiteral("Redrive-test"));
        QCOMPARE(readNow(again, secret).value, QStringLiteral("second"));

        QCOMPARE(removeNow(store, secret), QString());
        r = readNow(store, secret);
        QVERIFY(r.ok);
        QVERIFY(!r.found);
        QCOMPARE(removeNow(store, secret), QString()); // removing nothing is fine
    }

    void layeringSessionEnvironmentKeychain()
    {
        KeychainCredentialStore keychain(QStringLiteral("Redrive-test"));
        QCOMPARE(writeNow(keychain, SecretKind::SharedSecret, QStringLiteral("from-keychain")),
                 QString());
        QCOMPARE(writeNow(keychain, SecretKind::RedisPassword, QStringLiteral("kc-redis")),
                 QString());
        LayeredCredentialStore layered(
            LayeredCredentialStore::secretsFrom({ QStringLiteral("REDRIVE_SHARED_SECRET=from-env"),
                                                  QStringLiteral("UNRELATED=1") }),
            &keychain);
        QCOMPARE(readNow(layered, SecretKind::SharedSecret).value, QStringLiteral("from-env"));
        QCOMPARE(readNow(layered, SecretKind::RedisPassword).value, QStringLiteral("kc-redis"));
        QCOMPARE(layered.overrideOrigin(SecretKind::SharedSecret),
                 LayeredCredentialStore::Origin::Environment);
        layered.keepForSession(SecretKind::SharedSecret, QStringLiteral("typed-now"));
        QCOMPARE(readNow(layered, SecretKind::SharedSecret).value, QStringLiteral("typed-now"));
        QCOMPARE(readNow(layered, SecretKind::GenesysClientSecret).found, false);
        removeNow(keychain, SecretKind::SharedSecret);
        removeNow(keychain, SecretKind::RedisPassword);
    }

    void noSecretServiceFailsFastWithAClearMessage()
    {
        // A separate process: the session bus connection is process-wide.
        QTemporaryDir home;
        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"),
                   QStringLiteral("unix:path=%1/no-bus").arg(home.path()));
        env.remove(QStringLiteral("DISPLAY"));
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), home.path());
        env.insert(QStringLiteral("REDRIVE_SHARED_SECRET"), QStringLiteral("env-only-secret"));
        process.setProcessEnvironment(env);
        process.start(redrive::tests::redriveBinary(), { QStringLiteral("--print-config") });
        QVERIFY(process.waitForFinished(20000));
        QCOMPARE(process.exitCode(), 0);
        const QString out = QString::fromUtf8(process.readAllStandardOutput());
        QVERIFY2(out.contains(
                     QLatin1String("secret receiver-shared-secret = set (REDRIVE_SHARED_SECRET)")),
                 qPrintable(out));
        QVERIFY2(out.contains(QLatin1String("secret redis-password = unknown (")), qPrintable(out));
        QVERIFY(out.contains(QLatin1String("gnome-keyring")));
        QVERIFY(!out.contains(QLatin1String("env-only-secret")));
        QVERIFY(filesContaining(home.path(), "env-only-secret").isEmpty());
    }

    void secretsNeverLeak()
    {
        const QByteArray redisPassword = "redis-pw-7f3a9c";
        const QByteArray sharedSecret = "shared-secret-5be21d";
        const QByteArray clientSecret = "client-secret-c0ffee";
        redrive::tests::RedisServer redis;
        QVERIFY(
            redis.start({ QStringLiteral("--requirepass"), QString::fromLatin1(redisPassword) }));

        // Redis password and shared secret from the keychain, client secret from the environment.
        KeychainCredentialStore keychain; // the service name the app uses
        QCOMPARE(writeNow(keychain, SecretKind::RedisPassword, QString::fromLatin1(redisPassword)),
                 QString());
        QCOMPARE(writeNow(keychain, SecretKind::SharedSecret, QString::fromLatin1(sharedSecret)),
                 QString());
        // Gone again whatever happens below: the keyring outlives this test.
        const auto forget = qScopeGuard([&keychain] {
            removeNow(keychain, SecretKind::RedisPassword);
            removeNow(keychain, SecretKind::SharedSecret);
        });

        QTemporaryDir scratch;
        QProcess process;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), scratch.filePath(QStringLiteral("config")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), scratch.filePath(QStringLiteral("data")));
        env.insert(QStringLiteral("GENESYS_CLIENT_SECRET"), QString::fromLatin1(clientSecret));
        env.insert(QStringLiteral("REDIS_URL"), redis.url());
        process.setProcessEnvironment(env);
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.start(redrive::tests::redriveBinary(),
                      { QStringLiteral("--headless"), QStringLiteral("--listen"),
                        QStringLiteral("127.0.0.1:0") });
        QVERIFY(process.waitForStarted());
        QByteArray log;
        // Logged in with the keychain's password: the password reached Redis, and only Redis.
        QTRY_VERIFY_WITH_TIMEOUT((log += process.readAll(), log.contains("connected to")), 15000);
        QFile cmdline(QStringLiteral("/proc/%1/cmdline").arg(process.processId()));
        QVERIFY(cmdline.open(QIODevice::ReadOnly));
        const QByteArray commandLine = cmdline.readAll();
        process.terminate();
        QVERIFY(process.waitForFinished(15000));
        log += process.readAll();

        for (const QByteArray &secret : { redisPassword, sharedSecret, clientSecret }) {
            QVERIFY2(!log.contains(secret), log.constData());
            QVERIFY(!commandLine.contains(secret));
            QVERIFY2(filesContaining(scratch.path(), secret).isEmpty(),
                     qPrintable(filesContaining(scratch.path(), secret).join(QLatin1Char(' '))));
        }
    }
};

QTEST_GUILESS_MAIN(TestCredentialStore)
#include "tst_credentialstore.moc"
