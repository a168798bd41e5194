// SPDX-License-Identifier: MIT
// Runs against a real Secret Service: tests/support/keychain-session.sh starts a private D-Bus
// session with an unlocked gnome-keyring (packaging/test.sh runs the whole suite inside it).
#include "core/settings/keychaincredentialstore.h"
#include "core/settings/memorycredentialstore.h"
#include "tests/support/redisserver.h"
#include "tests/support/testenv.h"

#include <QDBusConnection>
#include <QDBusMessage>
#include <QDBusVirtualObject>
#include <QDirIterator>
#include <QProcess>
#include <QScopeGuard>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>

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

// A Secret Service that takes every call and never answers: a locked or stuck keyring.
class SilentSecretService final : public QDBusVirtualObject
{
public:
    QString introspect(const QString &) const override { return {}; }
    bool handleMessage(const QDBusMessage &, const QDBusConnection &) override
    {
        calls.fetch_add(1);
        return true; // taken, and no reply ever
    }
    std::atomic<int> calls { 0 };
};

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

    // Headless start with a keychain that never answers: a clear error within the timeout (going
    // on without a shared secret the user stored would accept deliveries meant to be refused),
    // never a hang; REDRIVE_NO_KEYCHAIN=1 then runs without it.
    void aKeychainThatNeverAnswersStopsHeadlessStartClearly()
    {
        // A bus of our own, where the silent service owns the Secret Service's name.
        QProcess bus;
        bus.start(QStringLiteral("dbus-daemon"),
                  { QStringLiteral("--session"), QStringLiteral("--nofork"),
                    QStringLiteral("--print-address=1") });
        QVERIFY2(bus.waitForStarted(), "dbus-daemon is missing (bash packaging/install-deps.sh)");
        const auto stopBus = qScopeGuard([&bus] {
            bus.kill();
            bus.waitForFinished();
        });
        QTRY_VERIFY_WITH_TIMEOUT(bus.canReadLine(), 10000);
        const QString address = QString::fromUtf8(bus.readLine().trimmed());
        QVERIFY(!address.isEmpty());
        SilentSecretService service;
        {
            QDBusConnection connection
                = QDBusConnection::connectToBus(address, QStringLiteral("silent-secrets"));
            QVERIFY(connection.isConnected());
            QVERIFY(connection.registerService(QStringLiteral("org.freedesktop.secrets")));
            QVERIFY(connection.registerVirtualObject(QStringLiteral("/"), &service,
                                                     QDBusConnection::SubPath));
        }
        const auto disconnect = qScopeGuard(
            [] { QDBusConnection::disconnectFromBus(QStringLiteral("silent-secrets")); });

        redrive::tests::RedisServer redis;
        QVERIFY2(redis.start(), qPrintable(redis.errorString()));
        QTemporaryDir scratch;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"), address);
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), scratch.filePath(QStringLiteral("config")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), scratch.filePath(QStringLiteral("data")));
        env.insert(QStringLiteral("REDIS_URL"), redis.url());
        for (const char *name : { "DISPLAY", "REDRIVE_NO_KEYCHAIN", "REDRIVE_SHARED_SECRET",
                                  "REDRIVE_REDIS_PASSWORD" })
            env.remove(QString::fromLatin1(name));
        QProcess process;
        process.setProcessEnvironment(env);
        process.setProcessChannelMode(QProcess::MergedChannels);
        const QStringList args { QStringLiteral("--headless"), QStringLiteral("--listen"),
                                 QStringLiteral("127.0.0.1:0"), QStringLiteral("--no-worker") };
        process.start(redrive::tests::redriveBinary(), args);
        QVERIFY(process.waitForStarted());
        // An upper bound for "it ends by itself", far above the 5 s keychain timeout.
        QTRY_VERIFY_WITH_TIMEOUT(process.state() == QProcess::NotRunning, 60000);
        const QByteArray log = process.readAll();
        qInfo().noquote() << "what the user sees:" << log.trimmed();
        QVERIFY2(service.calls.load() > 0, log.constData()); // the keychain really asked it
        QCOMPARE(process.exitStatus(), QProcess::NormalExit);
        QVERIFY2(process.exitCode() != 0, log.constData());
        QVERIFY2(log.contains("did not answer"), log.constData());
        QVERIFY2(log.contains("REDRIVE_NO_KEYCHAIN=1 to run without the keychain"),
                 log.constData());
        QVERIFY2(!log.contains("receiving deliveries at"), log.constData());

        // The way out the message names.
        env.insert(QStringLiteral("REDRIVE_NO_KEYCHAIN"), QStringLiteral("1"));
        QProcess without;
        without.setProcessEnvironment(env);
        without.setProcessChannelMode(QProcess::MergedChannels);
        without.start(redrive::tests::redriveBinary(), args);
        QVERIFY(without.waitForStarted());
        QByteArray started;
        QTRY_VERIFY_WITH_TIMEOUT(
            (started += without.readAll(), started.contains("receiving deliveries at")), 30000);
        without.terminate();
        QVERIFY(without.waitForFinished(15000));
        QCOMPARE(without.exitCode(), 0);
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
