// SPDX-License-Identifier: MIT
// Secrets from systemd credentials: files in $CREDENTIALS_DIRECTORY win over the environment
// and the keychain, a file that is there but unusable stops Redrive with exit code 2, and no
// value ever shows in Redrive's output.
#include "core/settings/credentialfiles.h"
#include "core/settings/memorycredentialstore.h"
#include "tests/support/testenv.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

using namespace redrive::core;

namespace {

void writeFile(const QString &path, const QByteArray &bytes)
{
    QFile file(path);
    QVERIFY2(file.open(QIODevice::WriteOnly | QIODevice::Truncate), qPrintable(path));
    QCOMPARE(file.write(bytes), bytes.size());
}

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

struct Run
{
    int exitCode = -1;
    QByteArray out;
    QByteArray err;
};

Run runRedrive(const QStringList &arguments, const QProcessEnvironment &extra)
{
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    for (SecretKind kind : CredentialStore::allKinds())
        env.remove(CredentialStore::environmentVariable(kind));
    env.insert(QStringLiteral("REDRIVE_NO_KEYCHAIN"), QStringLiteral("1"));
    env.insert(extra);
    QProcess process;
    process.setProcessEnvironment(env);
    process.start(redrive::tests::redriveBinary(), arguments);
    Run run;
    if (!process.waitForFinished(60000)) {
        process.kill();
        process.waitForFinished();
        return run;
    }
    run.exitCode = process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    run.out = process.readAllStandardOutput();
    run.err = process.readAllStandardError();
    return run;
}

} // namespace

class TestCredentialFiles : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void eachKindHasOneFileName()
    {
        QStringList names;
        for (SecretKind kind : CredentialStore::allKinds())
            names.append(CredentialFiles::fileName(kind));
        QCOMPARE(names,
                 (QStringList { QStringLiteral("genesys-client-secret"),
                                QStringLiteral("redis-password"),
                                QStringLiteral("receiver-shared-secret"),
                                QStringLiteral("redis-sentinel-password") }));
    }

    void readsThePresentFilesAndStripsOneTrailingNewline()
    {
        QTemporaryDir dir;
        writeFile(dir.filePath(QStringLiteral("receiver-shared-secret")), "s3cret\n");
        writeFile(dir.filePath(QStringLiteral("redis-password")), "pa ss\r\n");
        writeFile(dir.filePath(QStringLiteral("unrelated")), "");
        QHash<SecretKind, QString> secrets;
        QString error;
        QVERIFY2(CredentialFiles::read(dir.path(), &secrets, &error), qPrintable(error));
        QCOMPARE(secrets.size(), 2);
        QCOMPARE(secrets.value(SecretKind::SharedSecret), QStringLiteral("s3cret"));
        QCOMPARE(secrets.value(SecretKind::RedisPassword), QStringLiteral("pa ss"));
        QVERIFY(!secrets.contains(SecretKind::GenesysClientSecret));

        // Only one newline goes: the rest is the secret's own.
        writeFile(dir.filePath(QStringLiteral("genesys-client-secret")), "two\n\n");
        secrets.clear();
        QVERIFY2(CredentialFiles::read(dir.path(), &secrets, &error), qPrintable(error));
        QCOMPARE(secrets.value(SecretKind::GenesysClientSecret), QStringLiteral("two\n"));
    }

    void noFolderOrNoFilesIsNoError()
    {
        QHash<SecretKind, QString> secrets;
        QString error;
        QVERIFY(CredentialFiles::read(QString(), &secrets, &error));
        QTemporaryDir dir;
        QVERIFY(CredentialFiles::read(dir.path(), &secrets, &error));
        QVERIFY(secrets.isEmpty());
        QVERIFY(error.isEmpty());
        QProcessEnvironment env;
        env.insert(QStringLiteral("CREDENTIALS_DIRECTORY"), dir.path());
        QVERIFY(CredentialFiles::readFromEnvironment(env, &secrets, &error));
        QVERIFY(secrets.isEmpty());
    }

    void unusableFileIsAnErrorNamingIt_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("reason");
        QTest::newRow("empty") << QByteArray() << QStringLiteral("is empty");
        QTest::newRow("only a newline") << QByteArray("\n") << QStringLiteral("is empty");
        QTest::newRow("too large")
            << QByteArray(CredentialFiles::MaxSize + 1, 'x') << QStringLiteral("larger than");
    }
    void unusableFileIsAnErrorNamingIt()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, reason);
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("redis-password"));
        writeFile(path, content);
        QHash<SecretKind, QString> secrets;
        QString error;
        QVERIFY(!CredentialFiles::read(dir.path(), &secrets, &error));
        QVERIFY2(error.contains(path) && error.contains(reason), qPrintable(error));
    }

    void unreadableFileIsAnError()
    {
        QTemporaryDir dir;
        // A folder where the file should be: unreadable as a file even for root.
        QVERIFY(QDir(dir.path()).mkdir(QStringLiteral("receiver-shared-secret")));
        QHash<SecretKind, QString> secrets;
        QString error;
        QVERIFY(!CredentialFiles::read(dir.path(), &secrets, &error));
        QVERIFY2(error.contains(QStringLiteral("cannot read")), qPrintable(error));

        if (::geteuid() != 0) { // root reads a mode 000 file anyway
            QTemporaryDir other;
            const QString path = other.filePath(QStringLiteral("genesys-client-secret"));
            writeFile(path, "value\n");
            QVERIFY(QFile::setPermissions(path, QFile::Permissions()));
            error.clear();
            QVERIFY(!CredentialFiles::read(other.path(), &secrets, &error));
            QVERIFY2(error.contains(path) && error.contains(QStringLiteral("cannot read")),
                     qPrintable(error));
        }
        QVERIFY(secrets.isEmpty());
    }

    // Credential file > environment > keychain, each secret on its own.
    void credentialFileWinsOverEnvironmentAndKeychain()
    {
        MemoryCredentialStore keychain;
        keychain.set(SecretKind::SharedSecret, QStringLiteral("from-keychain"));
        keychain.set(SecretKind::RedisPassword, QStringLiteral("redis-from-keychain"));
        keychain.set(SecretKind::GenesysClientSecret, QStringLiteral("genesys-from-keychain"));
        LayeredCredentialStore layered(
            LayeredCredentialStore::secretsFrom(
                { QStringLiteral("REDRIVE_SHARED_SECRET=from-env"),
                  QStringLiteral("GENESYS_CLIENT_SECRET=genesys-from-env") }),
            &keychain);
        layered.setCredentialFileSecrets(
            { { SecretKind::SharedSecret, QStringLiteral("from-file") } });

        QCOMPARE(readNow(layered, SecretKind::SharedSecret).value, QStringLiteral("from-file"));
        QCOMPARE(layered.overrideOrigin(SecretKind::SharedSecret),
                 LayeredCredentialStore::Origin::CredentialFile);
        QCOMPARE(readNow(layered, SecretKind::GenesysClientSecret).value,
                 QStringLiteral("genesys-from-env"));
        QCOMPARE(layered.overrideOrigin(SecretKind::GenesysClientSecret),
                 LayeredCredentialStore::Origin::Environment);
        QCOMPARE(readNow(layered, SecretKind::RedisPassword).value,
                 QStringLiteral("redis-from-keychain"));
        QCOMPARE(layered.overrideOrigin(SecretKind::RedisPassword),
                 LayeredCredentialStore::Origin::Persistent);
        QVERIFY(layered.hasOverride(SecretKind::SharedSecret));
    }

    // The whole path through `redrive --print-config`: where each secret comes from, never what
    // it is.
    void printConfigNamesTheSourceNotTheValue()
    {
        QTemporaryDir dir;
        writeFile(dir.filePath(QStringLiteral("receiver-shared-secret")), "file-secret-4711\n");
        writeFile(dir.filePath(QStringLiteral("redis-sentinel-password")), "file-sentinel-4712\n");
        QProcessEnvironment env;
        env.insert(QStringLiteral("CREDENTIALS_DIRECTORY"), dir.path());
        env.insert(QStringLiteral("REDRIVE_SHARED_SECRET"), QStringLiteral("env-secret-0815"));
        env.insert(QStringLiteral("REDRIVE_REDIS_PASSWORD"), QStringLiteral("env-password-0816"));
        const Run run = runRedrive({ QStringLiteral("--print-config") }, env);
        QVERIFY2(run.exitCode == 0, run.err.constData());
        QVERIFY2(run.out.contains("secret receiver-shared-secret = set (credential file "
                                  "$CREDENTIALS_DIRECTORY/receiver-shared-secret)"),
                 run.out.constData());
        QVERIFY2(run.out.contains("secret redis-password = set (REDRIVE_REDIS_PASSWORD)"),
                 run.out.constData());
        QVERIFY2(run.out.contains("secret genesys-client-secret = not set"), run.out.constData());
        QVERIFY2(run.out.contains("secret redis-sentinel-password = set (credential file "
                                  "$CREDENTIALS_DIRECTORY/redis-sentinel-password)"),
                 run.out.constData());
        // The options of replicated acknowledgements are there too.
        QVERIFY2(run.out.contains("redis/replicas = 0"), run.out.constData());
        QVERIFY2(run.out.contains("redis/replicas_timeout_ms = 1000"), run.out.constData());
        for (const QByteArray value :
             { "file-secret-4711", "env-secret-0815", "env-password-0816", "file-sentinel-4712" }) {
            QVERIFY(!run.out.contains(value));
            QVERIFY(!run.err.contains(value));
        }
    }

    void emptyCredentialFileStopsRedriveWithExitCode2()
    {
        QTemporaryDir dir;
        writeFile(dir.filePath(QStringLiteral("redis-password")), "\n");
        QProcessEnvironment env;
        env.insert(QStringLiteral("CREDENTIALS_DIRECTORY"), dir.path());
        for (const QStringList &arguments :
             { QStringList { QStringLiteral("--headless"), QStringLiteral("--listen"),
                             QStringLiteral("127.0.0.1:0") },
               QStringList { QStringLiteral("genesys"), QStringLiteral("regions") } }) {
            const Run run = runRedrive(arguments, env);
            QCOMPARE(run.exitCode, 2);
            QVERIFY2(run.err.contains("redis-password") && run.err.contains("is empty"),
                     run.err.constData());
        }
    }
};

QTEST_GUILESS_MAIN(TestCredentialFiles)
#include "tst_credentialfiles.moc"
