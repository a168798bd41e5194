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
    }

    void rejectsBadUrls()
    {
        QFETCH(QString, url);
        QFETCH(QString, fragment);
        RedisEndpoint e;
        QString error;
        QVERIFY(!RedisEndpoint::parse(url, &e, &error));
        QVERIFY2(error.contains(fragment), qPrintable(error));
    }
};

QTEST_GUILESS_MAIN(TestRedisEndpoint)
#include "tst_redisendpoint.moc"
