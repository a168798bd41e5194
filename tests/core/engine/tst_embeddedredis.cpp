// SPDX-License-Identifier: MIT
// The embedded Redis as a user meets it: `redrive --headless` with no Redis URL.
#include "core/redis/redisconnection.h"
#include "tests/support/testenv.h"

#include <QDir>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace redrive::core;

namespace {

qint64 childPid(qint64 pid)
{
    QFile children(QStringLiteral("/proc/%1/task/%1/children").arg(pid));
    if (!children.open(QIODevice::ReadOnly))
        return 0;
    return children.readAll().trimmed().split(' ').value(0).toLongLong();
}

bool processAlive(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    return !stat.readAll().contains(") Z "); // a zombie is as good as gone
}

class Redrive
{
public:
    explicit Redrive(const QString &dataHome, const QStringList &extra = {})
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_DATA_HOME"), dataHome);
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), dataHome + QStringLiteral("/config"));
        env.remove(QStringLiteral("REDIS_URL"));
        env.insert(QStringLiteral("REDRIVE_NO_KEYCHAIN"), QStringLiteral("1"));
        process.setProcessEnvironment(env);
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.start(redrive::tests::redriveBinary(),
                      QStringList { QStringLiteral("--headless"), QStringLiteral("--listen"),
                                    QStringLiteral("127.0.0.1:0"), QStringLiteral("--no-worker") }
                          + extra);
    }
    ~Redrive()
    {
        if (process.state() != QProcess::NotRunning) {
            process.kill();
            process.waitForFinished();
        }
    }
    bool waitFor(const QByteArray &text)
    {
        QDeadlineTimer deadline(20000);
        while (!deadline.hasExpired()) {
            log += process.readAll();
            if (log.contains(text))
                return true;
            if (process.state() == QProcess::NotRunning)
                return false;
            process.waitForReadyRead(100);
        }
        return false;
    }
    QProcess process;
    QByteArray log;
};

RedisReply run(RedisConnection &connection, const QList<QByteArray> &args)
{
    RedisReply reply;
    bool done = false;
    QObject context;
    connection.command(args, &context, [&](const RedisReply &r) {
        reply = r;
        done = true;
    });
    [&] { QTRY_VERIFY_WITH_TIMEOUT(done, 10000); }();
    return reply;
}

} // namespace

class TestEmbeddedRedis : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void startsPersistsAndStopsWithRedrive()
    {
        QTemporaryDir home;
        const QString dir = home.filePath(QStringLiteral("Redrive/redis"));
        const QString socket = dir + QStringLiteral("/redis.sock");
        {
            Redrive redrive(home.path());
            QVERIFY2(redrive.waitFor("connected to unix://"), redrive.log.constData());
            const qint64 server = childPid(redrive.process.processId());
            QVERIFY(server > 0);
            QVERIFY(QFileInfo::exists(socket));
            QCOMPARE(QFileInfo(dir).permissions() & (QFile::ReadOther | QFile::ReadGroup),
                     QFile::Permissions());

            RedisEndpoint endpoint;
            endpoint.unixSocket = socket;
            RedisConnection connection(endpoint, QStringLiteral("test"));
            QSignalSpy ready(&connection, &RedisConnection::ready);
            connection.open();
            QVERIFY(ready.wait(5000));
            QCOMPARE(run(connection, { "CONFIG", "GET", "appendonly" }).elements().value(1).bytes(),
                     QByteArray("yes"));
            QCOMPARE(run(connection, { "CONFIG", "GET", "port" }).elements().value(1).bytes(),
                     QByteArray("0")); // no TCP port at all
            QCOMPARE(run(connection, { "LPUSH", "genesys_webhook_dlq", "kept" }).toInteger(), 1);

            redrive.process.terminate();
            QVERIFY(redrive.process.waitForFinished(15000));
            QCOMPARE(redrive.process.exitStatus(), QProcess::NormalExit);
            QCOMPARE(redrive.process.exitCode(), 0);
            QTRY_VERIFY_WITH_TIMEOUT(!processAlive(server), 10000);
            QVERIFY(!QFileInfo::exists(socket));
        }
        {
            // The next start finds the data again (AOF).
            Redrive redrive(home.path());
            QVERIFY2(redrive.waitFor("connected to unix://"), redrive.log.constData());
            RedisEndpoint endpoint;
            endpoint.unixSocket = socket;
            RedisConnection connection(endpoint, QStringLiteral("test"));
            QSignalSpy ready(&connection, &RedisConnection::ready);
            connection.open();
            QVERIFY(ready.wait(5000));
            QCOMPARE(run(connection, { "LINDEX", "genesys_webhook_dlq", "0" }).bytes(),
                     QByteArray("kept"));
        }
    }

    void killedRedriveLeavesNoOrphan()
    {
        QTemporaryDir home;
        Redrive redrive(home.path());
        QVERIFY2(redrive.waitFor("connected to unix://"), redrive.log.constData());
        const qint64 server = childPid(redrive.process.processId());
        QVERIFY(server > 0);
        ::kill(pid_t(redrive.process.processId()), SIGKILL);
        QVERIFY(redrive.process.waitForFinished(5000));
        QTRY_VERIFY_WITH_TIMEOUT(!processAlive(server), 10000);
        // And the next start is not blocked by the stale lock of the killed one.
        Redrive next(home.path());
        QVERIFY2(next.waitFor("connected to unix://"), next.log.constData());
    }

    void secondRedriveOnTheSameDataIsToldWhatToDo()
    {
        QTemporaryDir home;
        Redrive first(home.path());
        QVERIFY2(first.waitFor("connected to unix://"), first.log.constData());
        Redrive second(home.path());
        QVERIFY(second.process.waitForFinished(15000));
        QCOMPARE(second.process.exitCode(), 1);
        const QByteArray log = second.log + second.process.readAll();
        QVERIFY2(log.contains("is already running the embedded Redis")
                     && log.contains("--redis unix://"),
                 log.constData());
        // Said before a receiver is announced that would stop again at once.
        QVERIFY2(!log.contains("receiving deliveries at"), log.constData());
    }

    void missingRedisServerSaysWhatToInstall()
    {
        QTemporaryDir home;
        Redrive redrive(
            home.path(),
            { QStringLiteral("--redis-server"), QStringLiteral("/nonexistent/redis-server") });
        QVERIFY(redrive.process.waitForFinished(15000));
        QCOMPARE(redrive.process.exitCode(), 1);
        const QByteArray log = redrive.process.readAll();
        QVERIFY2(log.contains("apt-get install redis-server"), log.constData());
    }

    void badCommandLineIsRefused()
    {
        QProcess process;
        process.start(redrive::tests::redriveBinary(),
                      { QStringLiteral("--headless"), QStringLiteral("--max-attempts"),
                        QStringLiteral("zero") });
        QVERIFY(process.waitForFinished(10000));
        QCOMPARE(process.exitCode(), 2);
        QVERIFY(process.readAllStandardError().contains("--max-attempts"));
    }
};

QTEST_GUILESS_MAIN(TestEmbeddedRedis)
#include "tst_embeddedredis.moc"
