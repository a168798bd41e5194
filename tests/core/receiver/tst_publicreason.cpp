// SPDX-License-Identifier: MIT
// What the receiver tells whoever reaches its port about a Redis outage: the reason without the
// places and the user it names (the connection's reasons, as it writes them).
#include "core/receiver/publicreason.h"

#include <QTest>

using namespace redrive::core;

class TestPublicReason : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void withoutPlaces_data()
    {
        QTest::addColumn<QString>("reason");
        QTest::addColumn<QString>("shown");
        const QString url = QStringLiteral("redis://***@10.20.30.40:6380/0");
        QTest::newRow("refused") << QStringLiteral("cannot connect to Redis at %1: Connection "
                                                   "refused")
                                        .arg(url)
                                 << QStringLiteral("cannot connect to Redis: Connection refused");
        QTest::newRow("closed") << QStringLiteral("connection to Redis at %1 closed").arg(url)
                                << QStringLiteral("connection to Redis closed");
        QTest::newRow("lost") << QStringLiteral("connection to Redis at %1 lost: the server "
                                                "closed the connection")
                                     .arg(url)
                              << QStringLiteral("connection to Redis lost: the server closed the "
                                                "connection");
        QTest::newRow("timed out") << QStringLiteral("timed out connecting to Redis at %1").arg(url)
                                   << QStringLiteral("timed out connecting to Redis");
        QTest::newRow("no answer")
            << QStringLiteral("Redis at %1 did not answer for 5012 ms: reconnecting").arg(url)
            << QStringLiteral("Redis did not answer for 5012 ms: reconnecting");
        QTest::newRow("login") << QStringLiteral("Redis at %1 refused the login: WRONGPASS invalid "
                                                 "username-password pair or user is disabled.")
                                      .arg(url)
                               << QStringLiteral("Redis refused the login: WRONGPASS invalid "
                                                 "username-password pair or user is disabled.");
        QTest::newRow("sentinel, located")
            << QStringLiteral("cannot connect to Redis at redis+sentinel://***@s1:26379,s2:26379/"
                              "mymaster/0 (10.0.0.7:6379): Connection refused")
            << QStringLiteral("cannot connect to Redis: Connection refused");
        QTest::newRow("cluster") << QStringLiteral("not connected to Redis at "
                                                   "rediss+cluster://h1:7000,h2:7001")
                                 << QStringLiteral("not connected to Redis");
        QTest::newRow("ipv6") << QStringLiteral("cannot connect to Redis at redis://[::1]:6379/0: "
                                                "Network unreachable")
                              << QStringLiteral("cannot connect to Redis: Network unreachable");
        QTest::newRow("unix socket")
            << QStringLiteral("cannot connect to Redis at unix:///home/ann/.local/share/Redrive/"
                              "redis.sock?db=0: No such file or directory")
            << QStringLiteral("cannot connect to Redis: No such file or directory");
        QTest::newRow("moved") << QStringLiteral("Redis at %1 is no longer the server to use: "
                                                 "MOVED 3999 10.0.0.9:7002")
                                      .arg(url)
                               << QStringLiteral("Redis is no longer the server to use: MOVED "
                                                 "3999 (hidden)");
        QTest::newRow("acl") << QStringLiteral("NOPERM User alice has no permissions to run the "
                                               "'lpush' command")
                             << QStringLiteral("NOPERM User (hidden) has no permissions to run "
                                               "the 'lpush' command");
        QTest::newRow("acl, this user") << QStringLiteral("NOPERM this user has no permissions")
                                        << QStringLiteral("NOPERM this user has no permissions");
        QTest::newRow("redis' words") << QStringLiteral("OOM command not allowed when used "
                                                        "memory > 'maxmemory'.")
                                      << QStringLiteral("OOM command not allowed when used "
                                                        "memory > 'maxmemory'.");
        QTest::newRow("a file") << QStringLiteral("cannot connect to Redis at %1: cannot read "
                                                  "/etc/redrive/ca.pem")
                                       .arg(url)
                                << QStringLiteral("cannot connect to Redis: cannot read (hidden)");
        QTest::newRow("bare host:port") << QStringLiteral("no server at redis.internal:6379")
                                        << QStringLiteral("no server at (hidden)");
        QTest::newRow("ours") << QStringLiteral("Redis did not confirm the write within 300 ms")
                              << QStringLiteral("Redis did not confirm the write within 300 ms");
        QTest::newRow("empty") << QString() << QStringLiteral("no connection to Redis");
    }
    void withoutPlaces()
    {
        QFETCH(QString, reason);
        QFETCH(QString, shown);
        const QString result = publicRedisReason(reason);
        QCOMPARE(result, shown);
        for (const char *secret : { "10.20.30.40", "6380", "***", "@", "s1", "10.0.0.7", "h1",
                                    "::1", "/home/ann", "alice", "redis.internal" })
            QVERIFY2(!result.contains(QLatin1String(secret)), secret);
    }
};

QTEST_GUILESS_MAIN(TestPublicReason)
#include "tst_publicreason.moc"
