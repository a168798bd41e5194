// SPDX-License-Identifier: MIT
#include "core/redis/redisendpoint.h"

#include <QTest>

using namespace redrive::core;

class TestRedisEndpoint : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void parsesTcpUrls()
    {
        RedisEndpoint e;
        QString error;
        QVERIFY(RedisEndpoint::parse(QStringLiteral("redis://app@10.0.0.5:6380/2"), &e, &error));
        QCOMPARE(e.host, QStringLiteral("10.0.0.5"));
        QCOMPARE(e.port, quint16(6380));
        QCOMPARE(e.database, 2);
        QCOMPARE(e.user, QStringLiteral("app"));
        QVERIFY(!e.isUnix());
        QCOMPARE(e.displayUrl(), QStringLiteral("redis://***@10.0.0.5:6380/2")); // user hidden too
        // A user name with the characters that end user-info or a host is still hidden whole.
        for (const QString &user : { QStringLiteral("ops@team"), QStringLiteral("a:b/c?d#e") }) {
            e.user = user;
            QCOMPARE(e.displayUrl(), QStringLiteral("redis://***@10.0.0.5:6380/2"));
        }

        QVERIFY(RedisEndpoint::parse(QStringLiteral("redis://127.0.0.1"), &e, &error));
        QCOMPARE(e.port, quint16(6379));
        QCOMPARE(e.database, 0);
    }

    void parsesTlsUrls()
    {
        RedisEndpoint e;
        QString error;
        QVERIFY(RedisEndpoint::parse(
            QStringLiteral("rediss://default@example.redis.cache.windows.net:6380/1"), &e, &error));
        QVERIFY(e.tls);
        QCOMPARE(e.host, QStringLiteral("example.redis.cache.windows.net"));
        QCOMPARE(e.port, quint16(6380));
        QCOMPARE(e.database, 1);
        QCOMPARE(e.user, QStringLiteral("default"));
        QCOMPARE(e.displayUrl(),
                 QStringLiteral("rediss://***@example.redis.cache.windows.net:6380/1"));
        QVERIFY(!e.tlsInsecure); // verification is on unless asked otherwise
        QVERIFY(RedisEndpoint::parse(QStringLiteral("redis://h:1"), &e, &error));
        QVERIFY(!e.tls);
    }

    void parsesUnixUrls()
    {
        RedisEndpoint e;
        QString error;
        QVERIFY(
            RedisEndpoint::parse(QStringLiteral("unix:///run/redis/redis.sock?db=4"), &e, &error));
        QCOMPARE(e.unixSocket, QStringLiteral("/run/redis/redis.sock"));
        QCOMPARE(e.database, 4);
        QVERIFY(e.isUnix());
    }

    void parsesSentinelUrls()
    {
        RedisEndpoint e;
        QString error;
        QVERIFY2(
            RedisEndpoint::parse(
                QStringLiteral("redis+sentinel://app@10.0.0.1:26380,[::1]:26381,s3/mymaster/2"), &e,
                &error),
            qPrintable(error));
        QCOMPARE(e.kind, RedisEndpoint::Kind::Sentinel);
        QVERIFY(!e.isDirect());
        QVERIFY(!e.tls);
        QCOMPARE(e.seeds.size(), 3);
        QCOMPARE(e.seeds.at(0), (RedisAddress { QStringLiteral("10.0.0.1"), 26380 }));
        QCOMPARE(e.seeds.at(1), (RedisAddress { QStringLiteral("::1"), 26381 }));
        QCOMPARE(e.seeds.at(2), (RedisAddress { QStringLiteral("s3"), 26379 })); // Sentinel's port
        QCOMPARE(e.masterName, QStringLiteral("mymaster"));
        QCOMPARE(e.database, 2);
        QCOMPARE(e.user, QStringLiteral("app"));
        QCOMPARE(e.displayUrl(),
                 QStringLiteral("redis+sentinel://***@10.0.0.1:26380,[::1]:26381,s3:26379/"
                                "mymaster/2"));

        QVERIFY2(RedisEndpoint::parse(QStringLiteral("rediss+sentinel://h:1/primary"), &e, &error),
                 qPrintable(error));
        QVERIFY(e.tls);
        QCOMPARE(e.kind, RedisEndpoint::Kind::Sentinel);
        QCOMPARE(e.database, 0);
        QCOMPARE(e.user, QString());
        QCOMPARE(e.seeds, (QList<RedisAddress> { { QStringLiteral("h"), 1 } }));
        QCOMPARE(e.displayUrl(), QStringLiteral("rediss+sentinel://h:1/primary/0"));

        // A password in the URL is taken out of it, whatever it holds.
        QVERIFY2(RedisEndpoint::parse(QStringLiteral("redis+sentinel://u:p%40ss/w:rd@h:1/m"), &e,
                                      &error),
                 qPrintable(error));
        QCOMPARE(e.user, QStringLiteral("u"));
        QCOMPARE(e.password, QStringLiteral("p@ss/w:rd"));
        QVERIFY(!e.displayUrl().contains(QLatin1String("ss/w")));
        QCOMPARE(e.seeds.size(), 1);

        // A direct URL stays direct.
        QVERIFY(RedisEndpoint::parse(QStringLiteral("redis://h:1"), &e, &error));
        QVERIFY(e.isDirect());
        QVERIFY(e.seeds.isEmpty());
    }

    void parsesClusterUrls()
    {
        RedisEndpoint e;
        QString error;
        QVERIFY2(
            RedisEndpoint::parse(
                QStringLiteral("redis+cluster://app@10.0.0.1:7000,[::1]:7001,node3"), &e, &error),
            qPrintable(error));
        QCOMPARE(e.kind, RedisEndpoint::Kind::Cluster);
        QVERIFY(!e.isDirect());
        QVERIFY(!e.tls);
        QCOMPARE(e.seeds.size(), 3);
        QCOMPARE(e.seeds.at(0), (RedisAddress { QStringLiteral("10.0.0.1"), 7000 }));
        QCOMPARE(e.seeds.at(1), (RedisAddress { QStringLiteral("::1"), 7001 }));
        QCOMPARE(e.seeds.at(2), (RedisAddress { QStringLiteral("node3"), 6379 }));
        QCOMPARE(e.database, 0);
        QCOMPARE(e.clusterSlot, -1); // the engine sets it from the keys
        QCOMPARE(e.user, QStringLiteral("app"));
        QCOMPARE(e.displayUrl(),
                 QStringLiteral("redis+cluster://***@10.0.0.1:7000,[::1]:7001,node3:6379"));

        QVERIFY2(
            RedisEndpoint::parse(QStringLiteral("rediss+cluster://u:hunter2@h:1/0"), &e, &error),
            qPrintable(error));
        QVERIFY(e.tls);
        QCOMPARE(e.kind, RedisEndpoint::Kind::Cluster);
        QCOMPARE(e.password, QStringLiteral("hunter2"));
        QCOMPARE(e.displayUrl(), QStringLiteral("rediss+cluster://***@h:1"));
    }

    void passwordNeverShown()
    {
        RedisEndpoint e;
        QString error;
        QVERIFY(RedisEndpoint::parse(QStringLiteral("redis://u:hunter2@host:1/0"), &e, &error));
        QCOMPARE(e.password, QStringLiteral("hunter2"));
        QVERIFY(!e.displayUrl().contains(QLatin1String("hunter2")));
    }

    void rejectsBadUrls_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("fragment");
        QTest::newRow("no scheme") << QStringLiteral("localhost:6379") << QStringLiteral("scheme");
        QTest::newRow("http") << QStringLiteral("http://h:1") << QStringLiteral("redis://");
        QTest::newRow("tls without host")
            << QStringLiteral("rediss:///0") << QStringLiteral("host");
        QTest::newRow("bad db") << QStringLiteral("redis://h:1/x") << QStringLiteral("database");
        QTest::newRow("no host") << QStringLiteral("redis:///0") << QStringLiteral("host");
        QTest::newRow("empty socket") << QStringLiteral("unix://") << QStringLiteral("socket");
        QTest::newRow("sentinel without master")
            << QStringLiteral("redis+sentinel://h:26379") << QStringLiteral("MASTER_NAME");
        QTest::newRow("sentinel, empty master")
            << QStringLiteral("redis+sentinel://h:26379/") << QStringLiteral("MASTER_NAME");
        QTest::newRow("sentinel, bad db")
            << QStringLiteral("redis+sentinel://h:26379/m/x") << QStringLiteral("database");
        QTest::newRow("sentinel, too deep")
            << QStringLiteral("redis+sentinel://h:26379/m/0/1") << QStringLiteral("MASTER_NAME");
        QTest::newRow("sentinel, empty host")
            << QStringLiteral("redis+sentinel://h:1,,h2:2/m") << QStringLiteral("host:port");
        QTest::newRow("sentinel, bad port")
            << QStringLiteral("redis+sentinel://h:99999/m") << QStringLiteral("host:port");
        QTest::newRow("sentinel, no host")
            << QStringLiteral("redis+sentinel:///m") << QStringLiteral("host:port");
        QTest::newRow("cluster, database")
            << QStringLiteral("redis+cluster://h:7000/1") << QStringLiteral("database 0 only");
        QTest::newRow("cluster, bad port")
            << QStringLiteral("redis+cluster://h:7000,h:0") << QStringLiteral("host:port");
        QTest::newRow("cluster, no host")
            << QStringLiteral("rediss+cluster://") << QStringLiteral("cluster node's host:port");
        QTest::newRow("sentinel, password not shown")
            << QStringLiteral("redis+sentinel://u:hunter2@h:x/m") << QStringLiteral("***@h:x");
    }

    void rejectsBadUrls()
    {
        QFETCH(QString, url);
        QFETCH(QString, fragment);
        RedisEndpoint e;
        QString error;
        QVERIFY(!RedisEndpoint::parse(url, &e, &error));
        QVERIFY2(error.contains(fragment), qPrintable(error));
        QVERIFY2(!error.contains(QLatin1String("hunter2")), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestRedisEndpoint)
#include "tst_redisendpoint.moc"
