// SPDX-License-Identifier: MIT
#include "core/redis/redisconnection.h"
#include "tests/support/redisserver.h"

#include <QSignalSpy>
#include <QTest>

using namespace redrive::core;
using redrive::tests::RedisServer;

class TestRedisConnection : public QObject
{
    Q_OBJECT

private:
    static RedisEndpoint endpointFor(const RedisServer &server)
    {
        RedisEndpoint endpoint;
        endpoint.port = server.port();
        return endpoint;
    }

    // Sends a command and waits for its reply (test code only).
    static RedisReply run(RedisConnection &connection, const QList<QByteArray> &args)
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

private Q_SLOTS:
    void commandsAndReplyTypes()
    {
        RedisServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        RedisConnection connection(endpointFor(server), QStringLiteral("test-conn"));
        QSignalSpy ready(&connection, &RedisConnection::ready);
        connection.open();
        QVERIFY(ready.wait(5000));
        QVERIFY(connection.isReady());

        const QByteArray binary("a\0b\r\nc", 6);
        QCOMPARE(run(connection, { "SET", "k", binary }).bytes(), QByteArray("OK"));
        const RedisReply value = run(connection, { "GET", "k" });
        QCOMPARE(value.type(), RedisReply::Type::String);
        QCOMPARE(value.bytes(), binary);
        QCOMPARE(run(connection, { "RPUSH", "l", "x", "y" }).toInteger(), 2);
        const RedisReply list = run(connection, { "LRANGE", "l", "0", "-1" });
        QCOMPARE(list.type(), RedisReply::Type::Array);
        QCOMPARE(list.elements().size(), 2);
        QCOMPARE(list.elements().at(1).bytes(), QByteArray("y"));
        QVERIFY(run(connection, { "GET", "missing" }).isNil());
        const RedisReply error = run(connection, { "LPUSH", "k", "x" }); // k is a string
        QVERIFY(error.isError());
        QVERIFY(error.errorText().contains(QLatin1String("WRONGTYPE")));
        // CLIENT SETNAME went through during login.
        QVERIFY(server.command({ "CLIENT", "LIST" }).toByteArray().contains("name=test-conn"));
    }

    void failsFastWhileDownAndComesBack()
    {
        RedisServer server;
        QVERIFY(server.start());
        RedisConnection connection(endpointFor(server), QStringLiteral("test"));
        connection.setReconnectDelays(20, 200);
        QSignalSpy ready(&connection, &RedisConnection::ready);
        QSignalSpy lost(&connection, &RedisConnection::disconnected);
        connection.open();
        QVERIFY(ready.wait(5000));

        server.stop();
        QVERIFY(lost.wait(5000));
        QVERIFY(!connection.isReady());
        const RedisReply down = run(connection, { "PING" });
        QVERIFY(down.isError());
        QVERIFY2(down.errorText().contains(QLatin1String("Redis")), qPrintable(down.errorText()));

        QVERIFY(server.start()); // same port
        QTRY_VERIFY_WITH_TIMEOUT(connection.isReady(), 10000);
        QCOMPARE(run(connection, { "PING" }).bytes(), QByteArray("PONG"));
    }

    void pendingCallbacksGetAnErrorWhenTheServerDies()
    {
        RedisServer server;
        QVERIFY(server.start());
        RedisConnection connection(endpointFor(server), QStringLiteral("test"));
        QSignalSpy ready(&connection, &RedisConnection::ready);
        connection.open();
        QVERIFY(ready.wait(5000));
        RedisReply reply;
        bool done = false;
        QObject context;
        // BLPOP holds the connection until the server goes away.
        connection.command({ "BLPOP", "never", "0" }, &context, [&](const RedisReply &r) {
            reply = r;
            done = true;
        });
        QTest::qWait(50);
        server.stop();
        QTRY_VERIFY_WITH_TIMEOUT(done, 10000);
        QVERIFY(reply.isError());
    }

    void aServerThatStopsAnsweringIsLeftAndRejoined()
    {
        RedisServer server;
        QVERIFY(server.start());
        RedisConnection connection(endpointFor(server), QStringLiteral("test"));
        connection.setReconnectDelays(20, 200);
        connection.setReplyTimeout(500);
        QSignalSpy ready(&connection, &RedisConnection::ready);
        QSignalSpy lost(&connection, &RedisConnection::disconnected);
        connection.open();
        QVERIFY(ready.wait(5000));
        // Writes wait, reads (PING, the login) pass: the server is up but never answers the LPUSH.
        QCOMPARE(server.command({ "CLIENT", "PAUSE", "60000", "WRITE" }).toByteArray(),
                 QByteArray("OK"));
        const RedisReply stalled = run(connection, { "LPUSH", "k", "v" });
        QVERIFY(stalled.isError());
        QVERIFY2(stalled.errorText().contains(QLatin1String("did not answer")),
                 qPrintable(stalled.errorText()));
        QCOMPARE(lost.size(), 1);
        QVERIFY2(lost.first().first().toString().contains(QLatin1String("did not answer")),
                 qPrintable(lost.first().first().toString()));
        // It starts over by itself and works as soon as the server answers again.
        QTRY_VERIFY_WITH_TIMEOUT(connection.isReady(), 10000);
        QCOMPARE(run(connection, { "PING" }).bytes(), QByteArray("PONG"));
        QCOMPARE(server.command({ "CLIENT", "UNPAUSE" }).toByteArray(), QByteArray("OK"));
        QCOMPARE(run(connection, { "LPUSH", "k", "w" }).isError(), false);
        // A slow answer within the limit is not a stall.
        connection.setReplyTimeout(5000);
        QCOMPARE(run(connection,
                     { "EVAL",
                       "local t = redis.call('TIME') local s = t[1] * 1000000 + t[2] "
                       "repeat t = redis.call('TIME') until t[1] * 1000000 + t[2] - s "
                       "> 800000 return 1",
                       "0" })
                     .toInteger(),
                 1);
        QCOMPARE(lost.size(), 1);
    }

    void callbackSkippedWhenContextIsGone()
    {
        RedisServer server;
        QVERIFY(server.start());
        RedisConnection connection(endpointFor(server), QStringLiteral("test"));
        QSignalSpy ready(&connection, &RedisConnection::ready);
        connection.open();
        QVERIFY(ready.wait(5000));
        int calls = 0;
        auto context = std::make_unique<QObject>();
        connection.command({ "PING" }, context.get(), [&](const RedisReply &) { ++calls; });
        context.reset();
        QCOMPARE(run(connection, { "PING" }).bytes(), QByteArray("PONG")); // drains the first
        QCOMPARE(calls, 0);
    }

    void destroyingWithPendingCommandsIsSafe()
    {
        RedisServer server;
        QVERIFY(server.start());
        int calls = 0;
        QObject context;
        {
            RedisConnection connection(endpointFor(server), QStringLiteral("test"));
            QSignalSpy ready(&connection, &RedisConnection::ready);
            connection.open();
            QVERIFY(ready.wait(5000));
            for (int i = 0; i < 100; ++i)
                connection.command({ "PING" }, &context, [&](const RedisReply &r) {
                    ++calls;
                    QVERIFY(r.isError() || r.bytes() == "PONG");
                });
        }
        QCOMPARE(calls, 100); // each ran once, with a reply or "connection lost"
    }

    void authenticationAndDatabase()
    {
        RedisServer server;
        QVERIFY(server.start({ QStringLiteral("--requirepass"), QStringLiteral("s3cret") }));
        RedisEndpoint endpoint = endpointFor(server);
        endpoint.password = QStringLiteral("wrong");
        {
            RedisConnection bad(endpoint, QStringLiteral("test"));
            bad.setReconnectDelays(50, 100);
            bad.open();
            QTRY_VERIFY_WITH_TIMEOUT(bad.lastError().contains(QLatin1String("refused the login")),
                                     5000);
            QVERIFY(!bad.lastError().contains(QLatin1String("wrong"))); // the password never shows
            QVERIFY(!bad.isReady());
        }
        endpoint.password = QStringLiteral("s3cret");
        endpoint.database = 3;
        RedisConnection good(endpoint, QStringLiteral("test"));
        QSignalSpy ready(&good, &RedisConnection::ready);
        good.open();
        QVERIFY(ready.wait(5000));
        QCOMPARE(run(good, { "SET", "in-db-3", "1" }).bytes(), QByteArray("OK"));
        QCOMPARE(server.command({ "AUTH", "s3cret" }).toByteArray(), QByteArray("OK"));
    }

    void unreachableServerRetriesQuietly()
    {
        RedisEndpoint endpoint;
        endpoint.port = 1; // nothing listens there
        RedisConnection connection(endpoint, QStringLiteral("test"));
        connection.setReconnectDelays(10, 50);
        connection.open();
        QTRY_VERIFY_WITH_TIMEOUT(!connection.lastError().isEmpty(), 5000);
        QVERIFY(connection.lastError().contains(QLatin1String("cannot connect")));
        QVERIFY(!connection.isReady());
    }

    void subscriberReceivesMessagesAndResubscribes()
    {
        RedisServer server;
        QVERIFY(server.start());
        RedisConnection subscriber(endpointFor(server), QStringLiteral("sub"));
        subscriber.setReconnectDelays(20, 200);
        QSignalSpy messages(&subscriber, &RedisConnection::messageReceived);
        QSignalSpy ready(&subscriber, &RedisConnection::ready);
        subscriber.subscribe({ "events" });
        subscriber.open();
        QVERIFY(ready.wait(5000));
        QTRY_VERIFY_WITH_TIMEOUT((server.command({ "PUBLISH", "events", "hello" }).toLongLong() == 1
                                  && messages.size() >= 1),
                                 5000);
        QCOMPARE(messages.first().at(0).toByteArray(), QByteArray("events"));
        QCOMPARE(messages.first().at(1).toByteArray(), QByteArray("hello"));

        server.stop();
        QVERIFY(server.start());
        const auto sawAgain = [&messages] {
            for (const QList<QVariant> &message : std::as_const(messages)) {
                if (message.at(1).toByteArray() == "again")
                    return true;
            }
            return false;
        };
        // Subscribed again by itself after the reconnect: a publish reaches one subscriber.
        QTRY_VERIFY_WITH_TIMEOUT(
            (server.command({ "PUBLISH", "events", "again" }).toLongLong() == 1 && sawAgain()),
            10000);
    }
};

QTEST_GUILESS_MAIN(TestRedisConnection)
#include "tst_redisconnection.moc"
