// SPDX-License-Identifier: MIT
// redis+sentinel://: the connection finds the primary through the sentinels, checks its ROLE
// and follows a failover. Real processes: a primary, a replica and three sentinels.
#include "core/redis/redisconnection.h"
#include "core/redis/redislocator.h"
#include "core/redis/sentinellocator.h"
#include "tests/support/redissentinel.h"
#include "tests/support/redissync.h"

#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

using namespace redrive::core;
using redrive::tests::RedisSentinelSetup;
using redrive::tests::RedisServer;
using redrive::tests::endpointOf;
using redrive::tests::runCommand;

namespace {
constexpr int Patience = 60000; // generous: the suite runs under ASan on busy machines

QString address(const RedisServer &server)
{
    return QStringLiteral("127.0.0.1:%1").arg(server.port());
}
} // namespace

class TestRedisSentinel : public QObject
{
    Q_OBJECT

    RedisSentinelSetup m_setup;

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_setup.start(1), qPrintable(m_setup.errorString())); }

    // The primary a sentinel event is about, in each of the forms sentinels publish.
    void eventsNameTheirPrimary()
    {
        QCOMPARE(SentinelLocator::masterNameOf("+try-failover",
                                               "master redrive-primary 127.0.0.1 6379"),
                 QStringLiteral("redrive-primary"));
        QCOMPARE(SentinelLocator::masterNameOf(
                     "+selected-slave",
                     "slave 127.0.0.1:6380 127.0.0.1 6380 @ redrive-primary 127.0.0.1 6379"),
                 QStringLiteral("redrive-primary"));
        QCOMPARE(SentinelLocator::masterNameOf("+switch-master",
                                               "other 127.0.0.1 6379 127.0.0.1 6380"),
                 QStringLiteral("other"));
        QCOMPARE(SentinelLocator::masterNameOf("+switch-master", "truncated 127.0.0.1"),
                 QString());
        QCOMPARE(SentinelLocator::masterNameOf("+elected-leader", "garbage"), QString());
        QVERIFY(SentinelLocator::failoverChannels().contains("+switch-master"));
        QVERIFY(SentinelLocator::failoverChannels().contains("-failover-abort-not-elected"));
    }

    void findsThePrimary()
    {
        const RedisEndpoint endpoint = endpointOf(m_setup.url());
        QVERIFY(!endpoint.isDirect());
        RedisConnection connection(endpoint, QStringLiteral("sentinel-test"));
        QVERIFY(connection.locator());
        QSignalSpy ready(&connection, &RedisConnection::ready);
        connection.open();
        QTRY_VERIFY_WITH_TIMEOUT(connection.isReady(), Patience);
        QCOMPARE(connection.serverAddress(), address(m_setup.node(0)));
        QCOMPARE(runCommand(connection, { "SET", "sentinel-key", "v" }, Patience).bytes(),
                 QByteArray("OK"));
        QCOMPARE(m_setup.node(0).command({ "GET", "sentinel-key" }).toByteArray(), QByteArray("v"));
        QVERIFY(m_setup.node(0)
                    .command({ "CLIENT", "LIST" })
                    .toByteArray()
                    .contains("name=sentinel-test"));
        // It watches a sentinel for +switch-master.
        QTRY_VERIFY_WITH_TIMEOUT(m_setup.sentinel(0)
                                     .command({ "CLIENT", "LIST" })
                                     .toByteArray()
                                     .contains("name=redrive-sentinel-watch"),
                                 Patience);
        connection.close();
        QTRY_VERIFY_WITH_TIMEOUT(!m_setup.sentinel(0)
                                      .command({ "CLIENT", "LIST" })
                                      .toByteArray()
                                      .contains("name=redrive-sentinel"),
                                 Patience);
    }

    void skipsSentinelsThatDoNotAnswer()
    {
        // A port nobody listens on, first in the list: the next sentinel is asked.
        quint16 deadPort = 0;
        {
            QTcpServer probe;
            QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
            deadPort = probe.serverPort();
        }
        QString url = m_setup.url();
        url.replace(QLatin1String("redis+sentinel://"),
                    QStringLiteral("redis+sentinel://127.0.0.1:%1,").arg(deadPort));
        RedisConnection connection(endpointOf(url), QStringLiteral("sentinel-test"));
        connection.open();
        QTRY_VERIFY_WITH_TIMEOUT(connection.isReady(), Patience);
        QCOMPARE(connection.serverAddress(), address(m_setup.node(0)));
    }

    void unknownMasterIsReported()
    {
        QString url = m_setup.url();
        url.replace(QString::fromLatin1(m_setup.masterName()), QStringLiteral("nobody"));
        RedisConnection connection(endpointOf(url), QStringLiteral("sentinel-test"));
        QSignalSpy failed(&connection, &RedisConnection::attemptFailed);
        connection.open();
        QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), Patience);
        const QString reason = failed.first().first().toString();
        QVERIFY2(reason.contains(QLatin1String("no primary known for nobody")), qPrintable(reason));
        QVERIFY(!connection.isReady());
        QVERIFY(connection.serverAddress().isEmpty());
        // Commands fail at once with that reason.
        const RedisReply reply = runCommand(connection, { "PING" }, Patience);
        QVERIFY(reply.isError());
        QVERIFY2(reply.errorText().contains(QLatin1String("no primary known")),
                 qPrintable(reply.errorText()));
    }

    // A sentinel with requirepass takes its own password (never the primary's); a missing or a
    // wrong one is reported as the sentinels', with where to give it.
    void sentinelWithAPassword()
    {
        RedisServer sentinel; // its own master name: the three sentinels do not count it
        QVERIFY2(sentinel.startSentinel(QStringLiteral("requirepass sentinel-secret\n"
                                                       "sentinel monitor redrive-pw 127.0.0.1 %1 1\n")
                                            .arg(m_setup.primaryPort())),
                 qPrintable(sentinel.errorString()));
        const QString url
            = QStringLiteral("redis+sentinel://127.0.0.1:%1/redrive-pw/0").arg(sentinel.port());
        struct Case
        {
            QString password;
            QString expected;
        };
        for (const Case &wrong : { Case { QString(), QStringLiteral("asks for a password") },
                                   Case { QStringLiteral("not-the-secret-42"),
                                          QStringLiteral("refused the login") } }) {
            RedisEndpoint endpoint = endpointOf(url);
            endpoint.sentinelPassword = wrong.password;
            RedisConnection connection(endpoint, QStringLiteral("sentinel-test"));
            QSignalSpy failed(&connection, &RedisConnection::attemptFailed);
            connection.open();
            QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), Patience);
            const QString reason = failed.first().first().toString();
            QVERIFY2(reason.contains(QStringLiteral("the sentinel at 127.0.0.1:%1 %2")
                                         .arg(sentinel.port())
                                         .arg(wrong.expected)),
                     qPrintable(reason));
            QVERIFY2(reason.contains(QLatin1String("REDRIVE_REDIS_SENTINEL_PASSWORD")),
                     qPrintable(reason));
            QVERIFY2(!reason.contains(QLatin1String("not-the-secret-42")), qPrintable(reason));
            QVERIFY(!connection.isReady());
        }
        RedisEndpoint endpoint = endpointOf(url);
        endpoint.sentinelPassword = QStringLiteral("sentinel-secret");
        RedisConnection connection(endpoint, QStringLiteral("sentinel-test"));
        connection.open();
        QTRY_VERIFY_WITH_TIMEOUT(connection.isReady(), Patience);
        QCOMPARE(connection.serverAddress(),
                 QStringLiteral("127.0.0.1:%1").arg(m_setup.primaryPort()));
    }

    // rediss+sentinel://: TLS to the sentinels and to the primary they name (its TLS port), with
    // the same CA; a CA that signed neither is refused.
    void sentinelsAndPrimaryOverTls()
    {
        RedisServer primary;
        QVERIFY2(primary.makeTlsFiles(), qPrintable(primary.errorString()));
        QVERIFY2(primary.start(primary.tlsArgs()), qPrintable(primary.errorString()));
        RedisServer sentinel;
        const QString tls = sentinel.sentinelTlsConfig(primary);
        QVERIFY2(sentinel.startSentinel(tls
                                        + QStringLiteral("sentinel monitor redrive-tls 127.0.0.1 "
                                                         "%1 1\n")
                                              .arg(primary.tlsPort())),
                 qPrintable(sentinel.errorString()));
        const QString url = QStringLiteral("rediss+sentinel://127.0.0.1:%1/redrive-tls/0")
                                .arg(sentinel.tlsPort());

        RedisEndpoint endpoint = endpointOf(url);
        QVERIFY(endpoint.tls);
        endpoint.tlsCaFile = primary.tlsFile(QStringLiteral("ca.pem"));
        RedisConnection connection(endpoint, QStringLiteral("sentinel-tls-test"));
        connection.open();
        QTRY_VERIFY_WITH_TIMEOUT(connection.isReady(), Patience);
        QCOMPARE(connection.serverAddress(), QStringLiteral("127.0.0.1:%1").arg(primary.tlsPort()));
        QCOMPARE(runCommand(connection, { "SET", "over-tls", "1" }, Patience).bytes(),
                 QByteArray("OK"));
        QCOMPARE(primary.command({ "GET", "over-tls" }).toByteArray(), QByteArray("1"));
        // The failover watch is on the sentinel's TLS port too (its only port in the URL).
        QTRY_VERIFY_WITH_TIMEOUT(sentinel.command({ "CLIENT", "LIST" })
                                     .toByteArray()
                                     .contains("name=redrive-sentinel-watch"),
                                 Patience);

        RedisEndpoint wrongCa = endpoint;
        wrongCa.tlsCaFile = primary.tlsFile(QStringLiteral("other-ca.pem"));
        RedisConnection refused(wrongCa, QStringLiteral("sentinel-tls-test"));
        QSignalSpy failed(&refused, &RedisConnection::attemptFailed);
        refused.open();
        QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), Patience);
        const QString reason = failed.first().first().toString();
        QVERIFY2(reason.contains(QLatin1String("TLS: certificate verify failed"))
                     && reason.contains(QString::number(sentinel.tlsPort())),
                 qPrintable(reason));
        QVERIFY(!refused.isReady());
    }

    // Last: it moves the primary. Both a command connection and a subscriber follow.
    void followsAFailover()
    {
        RedisConnection connection(endpointOf(m_setup.url()), QStringLiteral("sentinel-test"));
        RedisConnection subscriber(endpointOf(m_setup.url()), QStringLiteral("sentinel-sub"));
        QSignalSpy messages(&subscriber, &RedisConnection::messageReceived);
        QSignalSpy subscribed(&subscriber, &RedisConnection::subscribed);
        subscriber.subscribe({ "news" });
        connection.open();
        subscriber.open();
        QTRY_VERIFY_WITH_TIMEOUT(connection.isReady() && !subscribed.isEmpty(), Patience);
        const quint16 oldPort = m_setup.primaryPort();
        QCOMPARE(connection.serverAddress(), QStringLiteral("127.0.0.1:%1").arg(oldPort));

        const QVariant started
            = m_setup.sentinel(1).command({ "SENTINEL", "FAILOVER", m_setup.masterName() });
        QCOMPARE(started.toByteArray(), QByteArray("OK"));
        QVERIFY(m_setup.waitForNewPrimary(oldPort, Patience));
        RedisServer *primary = m_setup.primary();
        QVERIFY(primary);
        QTRY_COMPARE_WITH_TIMEOUT(connection.serverAddress(), address(*primary), Patience);
        QTRY_VERIFY_WITH_TIMEOUT(connection.isReady(), Patience);
        QTRY_COMPARE_WITH_TIMEOUT(runCommand(connection, { "SET", "after", "1" }, Patience).bytes(),
                                  QByteArray("OK"), Patience);
        QCOMPARE(primary->command({ "GET", "after" }).toByteArray(), QByteArray("1"));

        // The subscriber is on the new primary: what is published there arrives.
        QTRY_COMPARE_WITH_TIMEOUT(subscriber.serverAddress(), address(*primary), Patience);
        QTRY_VERIFY_WITH_TIMEOUT(
            (primary->command({ "PUBLISH", "news", "hello" }), !messages.isEmpty()), Patience);
        QCOMPARE(messages.first().at(1).toByteArray(), QByteArray("hello"));
    }
};

QTEST_GUILESS_MAIN(TestRedisSentinel)
#include "tst_redissentinel.moc"
