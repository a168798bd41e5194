// SPDX-License-Identifier: MIT
// The embedded Redis as a user meets it: `redrive --headless` with no Redis URL; and how the
// engine reports a Redis that refuses the login.
#include "core/redis/redisconnection.h"
#include "tests/support/redisserver.h"
#include "tests/support/redissync.h"
#include "tests/support/redriveprocess.h"

#include <QDir>
#include <QProcess>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace redrive::core;
using redrive::tests::runCommand;

namespace {

// The first child of any of the process' threads (the engine's thread starts redis-server).
qint64 childPid(qint64 pid)
{
    const QString tasks = QStringLiteral("/proc/%1/task").arg(pid);
    for (const QString &task : QDir(tasks).entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        QFile children(tasks + QLatin1Char('/') + task + QStringLiteral("/children"));
        if (!children.open(QIODevice::ReadOnly))
            continue;
        if (const qint64 child = children.readAll().trimmed().split(' ').value(0).toLongLong())
            return child;
    }
    return 0;
}

bool processAlive(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return false;
    return !stat.readAll().contains(") Z "); // a zombie is as good as gone
}

using Redrive = redrive::tests::RedriveProcess;

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
            QCOMPARE(runCommand(connection, { "CONFIG", "GET", "appendonly" })
                         .elements()
                         .value(1)
                         .bytes(),
                     QByteArray("yes"));
            QCOMPARE(
                runCommand(connection, { "CONFIG", "GET", "port" }).elements().value(1).bytes(),
                QByteArray("0")); // no TCP port at all
            QCOMPARE(runCommand(connection, { "LPUSH", "genesys_webhook_dlq", "kept" }).toInteger(),
                     1);

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
            QCOMPARE(runCommand(connection, { "LINDEX", "genesys_webhook_dlq", "0" }).bytes(),
                     QByteArray("kept"));
        }
    }

    // Issue 10, defect 3: the embedded Redis takes no password, so the engine sends it none
    // (it used to, and the refused login made a reconnect storm), and says so once.
    // Under systemd (StateDirectory=redrive) the data goes into $STATE_DIRECTORY, the one folder
    // the sandboxed service may write; the home folder is left alone.
    void dataGoesUnderTheServiceStateDirectory()
    {
        QTemporaryDir home;
        const QString state = home.filePath(QStringLiteral("state"));
        QVERIFY(QDir().mkpath(state));
        QProcessEnvironment env;
        env.insert(QStringLiteral("STATE_DIRECTORY"), state + QStringLiteral(":/nonexistent"));
        Redrive redrive(home.path(), {}, env);
        QVERIFY2(redrive.waitFor("connected to unix://" + state.toUtf8() + "/redis/redis.sock"),
                 redrive.log.constData());
        QVERIFY(QFileInfo::exists(state + QStringLiteral("/redis/redis.sock")));
        QVERIFY(!QFileInfo::exists(home.filePath(QStringLiteral("Redrive/redis"))));
    }

    void embeddedRedisIsSentNoPassword()
    {
        QTemporaryDir home;
        QProcessEnvironment env;
        env.insert(QStringLiteral("REDRIVE_REDIS_PASSWORD"), QStringLiteral("unwanted-pw-31337"));
        Redrive redrive(home.path(), {}, env);
        QVERIFY2(redrive.waitFor("connected to unix://"), redrive.log.constData());
        QTRY_VERIFY_WITH_TIMEOUT(redrive.get("/healthz").contains("\"redis\":\"up\""), 20000);
        redrive.collect(3000); // a storm would show by now
        QVERIFY2(redrive.get("/healthz").contains("\"redis\":\"up\""), redrive.log.constData());
        QCOMPARE(redrive.log.count("embedded Redis takes none"), 1);
        QCOMPARE(redrive.log.count("connected to unix://"), 1);
        QVERIFY2(!redrive.log.contains("refused the"), redrive.log.constData()); // not the login
        // The attempts made while the server was creating its socket are not an outage.
        QVERIFY2(!redrive.log.contains("Redis unavailable"), redrive.log.constData());
        QVERIFY(!redrive.log.contains("unwanted-pw-31337"));
    }

    // Issue 10, defect 3: a Redis that refuses the login is a failure with its reason in
    // /healthz, logged once, retried under the backoff.
    void refusedLoginIsReportedOnceWithItsReason()
    {
        redrive::tests::RedisServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString())); // no password
        QTemporaryDir home;
        QProcessEnvironment env;
        env.insert(QStringLiteral("REDRIVE_REDIS_PASSWORD"), QStringLiteral("unwanted-pw-4242"));
        Redrive redrive(home.path(), { QStringLiteral("--redis"), server.url() }, env);
        QVERIFY2(redrive.waitFor("receiving deliveries at"), redrive.log.constData());
        QByteArray health;
        QTRY_VERIFY_WITH_TIMEOUT((health = redrive.get("/healthz")).contains("refused the login"),
                                 20000);
        QVERIFY2(health.startsWith("HTTP/1.1 503"), health.constData());
        QVERIFY2(health.contains("AUTH"), health.constData()); // Redis' own reason
        redrive.collect(5000);
        health = redrive.get("/healthz");
        QVERIFY2(health.contains("refused the login"), health.constData());
        QVERIFY2(redrive.log.count("Redis unavailable") == 1, redrive.log.constData());
        QVERIFY2(!redrive.log.contains("connected to"), redrive.log.constData());
        // Under the backoff: a handful of connections, not ~10 a second.
        static const QRegularExpression received(
            QStringLiteral("total_connections_received:(\\d+)"));
        const int connections
            = received.match(QString::fromUtf8(server.command({ "INFO", "stats" }).toByteArray()))
                  .captured(1)
                  .toInt();
        qInfo("%d connections to Redis in about 6 s with a refused login", connections);
        QVERIFY2(connections > 0 && connections <= 15, "a reconnect storm");
        QVERIFY(!redrive.log.contains("unwanted-pw-4242"));
        QVERIFY(!health.contains("unwanted-pw-4242"));
    }

    // A redis-server that starts but never answers (here a program that only sleeps) is
    // reported once its start-up grace has passed, with the reason, and /healthz says so.
    void embeddedRedisThatNeverAnswersIsReported()
    {
        QTemporaryDir home;
        const QString fake = home.filePath(QStringLiteral("silent-redis-server"));
        QFile script(fake);
        QVERIFY(script.open(QIODevice::WriteOnly));
        script.write("#!/bin/sh\nexec sleep 120\n");
        script.close();
        QVERIFY(script.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner));
        Redrive redrive(home.path(), { QStringLiteral("--redis-server"), fake });
        QVERIFY2(redrive.waitFor("receiving deliveries at"), redrive.log.constData());
        QVERIFY2(!redrive.log.contains("Redis unavailable"), redrive.log.constData());
        QVERIFY2(redrive.waitFor("Redis unavailable", 30000), redrive.log.constData());
        QVERIFY2(redrive.log.contains("redis.sock"), redrive.log.constData());
        QVERIFY(redrive.get("/healthz").startsWith("HTTP/1.1 503"));
        redrive.collect(2000);
        QCOMPARE(redrive.log.count("Redis unavailable"), 1);
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
