// SPDX-License-Identifier: MIT
#include "core/delivery/downstreamclient.h"
#include "tests/support/fakedownstream.h"

#include <QTest>

#include <optional>

using namespace redrive::core;
using redrive::tests::FakeDownstream;

class TestDownstreamClient : public QObject
{
    Q_OBJECT

    static std::optional<DownstreamResult> deliver(DownstreamClient &client, QObject *context,
                                                   const HeaderList &headers = {})
    {
        std::optional<DownstreamResult> result;
        client.deliver("{\"a\":1}", QStringLiteral("id-1"), headers, context,
                       [&](const DownstreamResult &r) { result = r; });
        if (!QTest::qWaitFor([&] { return result.has_value(); }, 20000))
            return std::nullopt;
        return result;
    }

private Q_SLOTS:
    void transportFollowsTheUrl()
    {
        DownstreamClient client;
        QCOMPARE(client.transport(), DownstreamClient::Transport::None);
        client.configure(QUrl(QStringLiteral("http://127.0.0.1:9/hook")), 1000, {});
        QCOMPARE(client.transport(), DownstreamClient::Transport::KeepAlive);
        client.configure(QUrl(QStringLiteral("https://127.0.0.1:9/hook")), 1000, {});
        QCOMPARE(client.transport(), DownstreamClient::Transport::QtNetwork);
        client.configure(QUrl(QStringLiteral("http://user:pw@127.0.0.1:9/hook")), 1000, {});
        QCOMPARE(client.transport(), DownstreamClient::Transport::QtNetwork);
    }

    void forwardsThroughThePolicy()
    {
        FakeDownstream downstream;
        QVERIFY(downstream.listen());
        DownstreamClient client;
        client.configure(downstream.url(), 10000, {});
        client.setSecretHeader("X-Genesys-Token");
        const auto result = deliver(client, this,
                                    { { "Content-Type", "application/json" },
                                      { "ININ-Correlation-Id", "c-1" },
                                      { "X-Genesys-Token", "s3cr3t" },
                                      { "Authorization", "Bearer t" } });
        QVERIFY(result);
        QCOMPARE(result->outcome, DownstreamResult::Outcome::Delivered);
        QCOMPARE(result->statusCode, 200);
        QCOMPARE(downstream.requests().size(), 1);
        const FakeDownstream::Request &request = downstream.requests().first();
        QCOMPARE(request.body, QByteArray("{\"a\":1}"));
        QCOMPARE(request.header("ININ-Correlation-Id"), QByteArray("c-1"));
        QCOMPARE(request.header("X-Redrive-Delivery-Id"), QByteArray("id-1"));
        QVERIFY(request.header("X-Genesys-Token").isEmpty());
        QVERIFY(request.header("Authorization").isEmpty());
        QVERIFY(!request.head.contains("s3cr3t"));
    }

    void classifiesAnswers()
    {
        FakeDownstream downstream;
        QVERIFY(downstream.listen());
        DownstreamClient client;
        client.configure(downstream.url(), 10000, {});
        downstream.setStatus(503);
        auto result = deliver(client, this);
        QVERIFY(result);
        QCOMPARE(result->outcome, DownstreamResult::Outcome::Retryable);
        QCOMPARE(result->error, QStringLiteral("downstream answered 503: downstream says 503"));
        downstream.setStatus(400);
        result = deliver(client, this);
        QVERIFY(result);
        QCOMPARE(result->outcome, DownstreamResult::Outcome::Permanent);
    }

    void anotherTargetEndsAttemptsUnderWay()
    {
        FakeDownstream downstream;
        QVERIFY(downstream.listen());
        downstream.setStatus(0); // never answers
        DownstreamClient client;
        client.configure(downstream.url(), 60000, {});
        std::optional<DownstreamResult> result;
        client.deliver("{}", QStringLiteral("id-2"), {}, this,
                       [&](const DownstreamResult &r) { result = r; });
        QTRY_COMPARE_WITH_TIMEOUT(downstream.requests().size(), 1, 10000);
        QVERIFY(!result);
        // The same target again keeps the attempt; another one ends it as retryable.
        client.configure(downstream.url(), 60000, {});
        QVERIFY(!result);
        client.configure(QUrl(QStringLiteral("http://127.0.0.1:9/other")), 60000, {});
        QVERIFY(result);
        QCOMPARE(result->outcome, DownstreamResult::Outcome::Retryable);
        QCOMPARE(result->error, QStringLiteral("downstream changed during the attempt"));
    }
};

QTEST_GUILESS_MAIN(TestDownstreamClient)
#include "tst_downstreamclient.moc"
