// SPDX-License-Identifier: MIT
// RedisConnection over TLS (rediss://) against a real redis-server with --tls-port and
// certificates made at test time.
#include "core/queue/deadletterentry.h"
#include "core/redis/redisconnection.h"
#include "tests/support/redisserver.h"
#include "tests/support/redissync.h"
#include "tests/support/redriveprocess.h"
#include "tests/support/testenv.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace redrive::core;
using redrive::tests::RedisServer;
using redrive::tests::RedriveProcess;
using redrive::tests::runCommand;

namespace {
constexpr int WaitMs = 15000;
}

class TestRedisTls : public QObject
{
    Q_OBJECT

private:
    // A TLS server serving certificate `name`; its files stay with `server`.
    static bool startTls(RedisServer &server, const QString &name = QStringLiteral("server"),
                         bool requireClientCertificate = false)
    {
        if (!server.makeTlsFiles()) {
            qWarning("%s", qPrintable(server.errorString()));
            return false;
        }
        if (!server.start(server.tlsArgs(name, requireClientCertificate))) {
            qWarning("%s", qPrintable(server.errorString()));
            return false;
        }
        return true;
    }

    static RedisEndpoint tlsEndpoint(const RedisServer &server, bool withCa = true)
    {
        RedisEndpoint endpoint = redrive::tests::endpointOf(server.tlsUrl());
        if (withCa)
            endpoint.tlsCaFile = server.tlsFile(QStringLiteral("ca.pem"));
        return endpoint;
    }

    // Waits until an attempt failed; true when the connection never became ready meanwhile.
    static bool refused(RedisConnection &connection, const QString &expected)
    {
        QSignalSpy ready(&connection, &RedisConnection::ready);
        QSignalSpy failed(&connection, &RedisConnection::attemptFailed);
        connection.open();
        if (!QTest::qWaitFor([&] { return failed.size() >= 2; }, WaitMs)) {
            qWarning("no failed attempt; last error: %s", qPrintable(connection.lastError()));
            return false;
        }
        const QString reason = failed.last().first().toString();
        qInfo("refused: %s", qPrintable(reason));
        if (!reason.contains(expected) || reason != connection.lastError()) {
            qWarning("expected \"%s\" in \"%s\"", qPrintable(expected), qPrintable(reason));
            return false;
        }
        return ready.isEmpty() && !connection.isReady();
    }

private Q_SLOTS:
    void commandsAndPubSubWithTheRightCa()
    {
        RedisServer server;
        QVERIFY(startTls(server));
        const RedisEndpoint endpoint = tlsEndpoint(server);
        QVERIFY(endpoint.tls);
        QVERIFY(endpoint.displayUrl().startsWith(QLatin1String("rediss://")));
        RedisConnection connection(endpoint, QStringLiteral("test-tls"));
        RedisConnection subscriber(endpoint, QStringLiteral("test-tls-sub"));
        QSignalSpy ready(&connection, &RedisConnection::ready);
        QSignalSpy subscribed(&subscriber, &RedisConnection::subscribed);
        QSignalSpy messages(&subscriber, &RedisConnection::messageReceived);
        subscriber.subscribe({ "events" });
        connection.open();
        subscriber.open();
        QVERIFY2(ready.wait(WaitMs), qPrintable(connection.lastError()));
        const QByteArray binary("a\0b\r\nc", 6);
        QCOMPARE(runCommand(connection, { "SET", "k", binary }).bytes(), QByteArray("OK"));
        QCOMPARE(runCommand(connection, { "GET", "k" }).bytes(), binary);
        QCOMPARE(server.command({ "GET", "k" }).toByteArray(), binary); // the same server
        // A large value crosses many TLS records both ways.
        const QByteArray large(3 * 1024 * 1024, 'x');
        QCOMPARE(runCommand(connection, { "SET", "large", large }).bytes(), QByteArray("OK"));
        QCOMPARE(runCommand(connection, { "GET", "large" }).bytes(), large);
        // Pipelined.
        int answered = 0;
        QObject context;
        for (int i = 1; i <= 1000; ++i) {
            connection.command({ "INCR", "n" }, &context, [&answered, i](const RedisReply &r) {
                if (r.toInteger() == i)
                    ++answered;
            });
        }
        QTRY_COMPARE_WITH_TIMEOUT(answered, 1000, WaitMs);
        // CLIENT SETNAME went through during the login, on the TLS port.
        QVERIFY(server.command({ "CLIENT", "LIST" }).toByteArray().contains("name=test-tls"));

        QTRY_VERIFY_WITH_TIMEOUT(subscribed.size() >= 1, WaitMs);
        QCOMPARE(runCommand(connection, { "PUBLISH", "events", "over-tls" }).toInteger(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(messages.size() >= 1, WaitMs);
        QCOMPARE(messages.first().at(0).toByteArray(), QByteArray("events"));
        QCOMPARE(messages.first().at(1).toByteArray(), QByteArray("over-tls"));
    }

    void aCaThatDidNotSignTheServerIsRefused()
    {
        RedisServer server;
        QVERIFY(startTls(server));
        RedisEndpoint endpoint = tlsEndpoint(server);
        endpoint.tlsCaFile = server.tlsFile(QStringLiteral("other-ca.pem"));
        RedisConnection connection(endpoint, QStringLiteral("test"));
        connection.setReconnectDelays(20, 100);
        QVERIFY(refused(connection, QStringLiteral("TLS: certificate verify failed")));
        // Nor do the system's CAs know the test CA.
        RedisConnection systemCas(tlsEndpoint(server, false), QStringLiteral("test"));
        systemCas.setReconnectDelays(20, 100);
        QVERIFY(refused(systemCas, QStringLiteral("TLS: certificate verify failed")));
        // Commands while refused fail with the reason.
        const RedisReply reply = runCommand(connection, { "PING" });
        QVERIFY(reply.isError());
        QVERIFY2(reply.errorText().contains(QLatin1String("TLS")), qPrintable(reply.errorText()));
    }

    void aClientCertificateWhenTheServerWantsOne()
    {
        RedisServer server;
        QVERIFY(startTls(server, QStringLiteral("server"), true));
        {
            RedisConnection without(tlsEndpoint(server), QStringLiteral("test"));
            without.setReconnectDelays(20, 100);
            QVERIFY(refused(without, QStringLiteral("TLS")));
        }
        RedisEndpoint endpoint = tlsEndpoint(server);
        endpoint.tlsCertFile = server.tlsFile(QStringLiteral("client.pem"));
        endpoint.tlsKeyFile = server.tlsFile(QStringLiteral("client.key"));
        RedisConnection with(endpoint, QStringLiteral("test"));
        QSignalSpy ready(&with, &RedisConnection::ready);
        with.open();
        QVERIFY2(ready.wait(WaitMs), qPrintable(with.lastError()));
        QCOMPARE(runCommand(with, { "PING" }).bytes(), QByteArray("PONG"));
    }

    void insecureConnectsToASelfSignedServer()
    {
        RedisServer server;
        QVERIFY(startTls(server, QStringLiteral("selfsigned")));
        {
            RedisConnection verified(tlsEndpoint(server, false), QStringLiteral("test"));
            verified.setReconnectDelays(20, 100);
            QVERIFY(refused(verified, QStringLiteral("TLS: certificate verify failed")));
        }
        RedisEndpoint endpoint = tlsEndpoint(server, false);
        endpoint.tlsInsecure = true;
        RedisConnection insecure(endpoint, QStringLiteral("test"));
        QSignalSpy ready(&insecure, &RedisConnection::ready);
        insecure.open();
        QVERIFY2(ready.wait(WaitMs), qPrintable(insecure.lastError()));
        QCOMPARE(runCommand(insecure, { "PING" }).bytes(), QByteArray("PONG"));
    }

    void theServerNameMustMatch()
    {
        RedisServer server;
        QVERIFY(startTls(server, QStringLiteral("named"))); // for redis.test only
        {
            RedisConnection byAddress(tlsEndpoint(server), QStringLiteral("test"));
            byAddress.setReconnectDelays(20, 100);
            QVERIFY(refused(byAddress, QStringLiteral("TLS: certificate verify failed")));
            QVERIFY2(
                byAddress.lastError().contains(QLatin1String("host name"), Qt::CaseInsensitive),
                qPrintable(byAddress.lastError()));
        }
        {
            RedisEndpoint endpoint = tlsEndpoint(server);
            endpoint.tlsServerName = QStringLiteral("other.test");
            RedisConnection wrongName(endpoint, QStringLiteral("test"));
            wrongName.setReconnectDelays(20, 100);
            QVERIFY(refused(wrongName, QStringLiteral("TLS: certificate verify failed")));
        }
        RedisEndpoint endpoint = tlsEndpoint(server);
        endpoint.tlsServerName = QStringLiteral("redis.test");
        RedisConnection named(endpoint, QStringLiteral("test"));
        QSignalSpy ready(&named, &RedisConnection::ready);
        named.open();
        QVERIFY2(ready.wait(WaitMs), qPrintable(named.lastError()));
        QCOMPARE(runCommand(named, { "PING" }).bytes(), QByteArray("PONG"));
    }

    void filesThatCannotBeUsedAreAFailureWithTheirReason()
    {
        RedisServer server;
        QVERIFY(startTls(server));
        RedisEndpoint endpoint = tlsEndpoint(server);
        endpoint.tlsCaFile = server.tlsFile(QStringLiteral("missing.pem"));
        RedisConnection connection(endpoint, QStringLiteral("test"));
        connection.setReconnectDelays(20, 100);
        QVERIFY(refused(connection, QStringLiteral("missing.pem")));
    }

    void reconnectsAfterTheTlsServerRestarts()
    {
        RedisServer server;
        QVERIFY(startTls(server));
        const RedisEndpoint endpoint = tlsEndpoint(server);
        RedisConnection connection(endpoint, QStringLiteral("test"));
        connection.setReconnectDelays(20, 200);
        RedisConnection subscriber(endpoint, QStringLiteral("test-sub"));
        subscriber.setReconnectDelays(20, 200);
        QSignalSpy lost(&connection, &RedisConnection::disconnected);
        QSignalSpy subscribed(&subscriber, &RedisConnection::subscribed);
        QSignalSpy messages(&subscriber, &RedisConnection::messageReceived);
        subscriber.subscribe({ "events" });
        connection.open();
        subscriber.open();
        QTRY_VERIFY_WITH_TIMEOUT(connection.isReady(), WaitMs);
        QTRY_VERIFY_WITH_TIMEOUT(subscribed.size() >= 1, WaitMs);

        // A command in flight when the server goes away fails with a reason.
        RedisReply blocked;
        bool done = false;
        QObject context;
        connection.command({ "BLPOP", "never", "0" }, &context, [&](const RedisReply &r) {
            blocked = r;
            done = true;
        });
        QTRY_COMPARE_WITH_TIMEOUT(
            server.command({ "CLIENT", "LIST" }).toByteArray().count("cmd=blpop"), 1, WaitMs);
        server.stop();
        QTRY_VERIFY_WITH_TIMEOUT(done, WaitMs);
        QVERIFY(blocked.isError());
        QVERIFY2(blocked.errorText().contains(QLatin1String("lost")),
                 qPrintable(blocked.errorText()));
        QVERIFY(lost.size() >= 1);

        QVERIFY(server.start(server.tlsArgs())); // same ports, same certificates
        QTRY_VERIFY_WITH_TIMEOUT(connection.isReady(), WaitMs);
        QCOMPARE(runCommand(connection, { "PING" }).bytes(), QByteArray("PONG"));
        QTRY_VERIFY_WITH_TIMEOUT(subscribed.size() >= 2, WaitMs); // subscribed again by itself
        QCOMPARE(runCommand(connection, { "PUBLISH", "events", "again" }).toInteger(), 1);
        QTRY_VERIFY_WITH_TIMEOUT(messages.size() >= 1, WaitMs);
    }

    // The whole process: `redrive --headless --redis rediss://... --redis-ca ...` stores a
    // delivery in the dead-letter list over TLS.
    void headlessReceiverStoresOverTls()
    {
        QVERIFY2(QFile::exists(redrive::tests::redriveBinary()), "REDRIVE_BINARY not built");
        RedisServer server;
        QVERIFY(startTls(server));
        QTemporaryDir home;
        QVERIFY(home.isValid());
        RedriveProcess redrive(home.path(),
                               { QStringLiteral("--redis"), server.tlsUrl(),
                                 QStringLiteral("--redis-ca"),
                                 server.tlsFile(QStringLiteral("ca.pem")),
                                 QStringLiteral("--simulate-failure"), QStringLiteral("always") });
        const QUrl url = redrive.receiverUrl(WaitMs);
        QVERIFY2(url.isValid(), redrive.log.constData());
        QVERIFY2(redrive.waitFor("connected to rediss://127.0.0.1", WaitMs),
                 redrive.log.constData());
        QNetworkAccessManager network;
        QNetworkRequest request(url);
        request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
        std::unique_ptr<QNetworkReply> reply(
            network.post(request, redrive::tests::sampleNotification()));
        QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), WaitMs);
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        const QJsonObject json = QJsonDocument::fromJson(reply->readAll()).object();
        QCOMPARE(json.value(QStringLiteral("status")).toString(),
                 QStringLiteral("deferred_to_dlq"));
        const QList<QByteArray> entries = server.lrange("genesys_webhook_dlq");
        QCOMPARE(entries.size(), 1);
        QCOMPARE(redrive::core::DeadLetterEntry::parse(entries.first()).id(),
                 json.value(QStringLiteral("id")).toString());
        QVERIFY2(!redrive.log.contains("NOT verified"), redrive.log.constData());
        QVERIFY2(redrive.terminate(WaitMs), redrive.log.constData());

        // --redis-insecure: it works against a server no CA vouches for, and says so.
        RedisServer selfSigned;
        QVERIFY(startTls(selfSigned, QStringLiteral("selfsigned")));
        RedriveProcess insecure(home.path(),
                                { QStringLiteral("--redis"), selfSigned.tlsUrl(),
                                  QStringLiteral("--redis-insecure"),
                                  QStringLiteral("--simulate-failure"), QStringLiteral("always") });
        QVERIFY2(insecure.waitFor("NOT verified (--redis-insecure)", WaitMs),
                 insecure.log.constData());
        QVERIFY2(insecure.waitFor("connected to rediss://127.0.0.1", WaitMs),
                 insecure.log.constData());
        QVERIFY2(insecure.terminate(WaitMs), insecure.log.constData());
    }
};

QTEST_GUILESS_MAIN(TestRedisTls)
#include "tst_redistls.moc"
