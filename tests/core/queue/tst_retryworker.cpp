// SPDX-License-Identifier: MIT
#include "core/delivery/downstreamclient.h"
#include "core/queue/backoffpolicy.h"
#include "core/queue/deadletterentry.h"
#include "core/queue/queuestore.h"
#include "core/queue/retryworker.h"
#include "core/redis/redisconnection.h"
#include "tests/support/fakedownstream.h"
#include "tests/support/redisserver.h"
#include "tests/support/testenv.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QSignalSpy>
#include <QTest>

#include <memory>
#include <optional>

#include <signal.h>

using namespace redrive::core;
using redrive::tests::FakeDownstream;
using redrive::tests::RedisServer;

namespace {

qsizetype distinct(const QList<QByteArray> &ids)
{
    return QSet<QByteArray>(ids.cbegin(), ids.cend()).size();
}

} // namespace

class TestRetryWorker : public QObject
{
    Q_OBJECT

private:
    RedisServer m_redis;
    RedisEndpoint m_endpoint;
    std::unique_ptr<RedisConnection> m_connection;
    QueueKeys m_keys;

    static QByteArray tutorialEntry(int n)
    {
        // As the tutorial's json.dumps writes it: spaces after separators, naive timestamp.
        return QByteArrayLiteral("{\"original_payload\": {\"id\": \"evt-") + QByteArray::number(n)
            + QByteArrayLiteral("\", \"topicName\": \"v2.test\"}, \"error_message\": \"Downstream "
                                "processing failed\", \"status_code\": 500, \"timestamp\": "
                                "\"2026-11-28T10:00:00.123456\", \"retry_count\": 0}");
    }

    std::unique_ptr<RetryWorker> makeWorker(DownstreamClient *client, RetryWorker::Config config)
    {
        return std::make_unique<RetryWorker>(m_connection.get(), m_endpoint, client, m_keys,
                                             config);
    }

    qlonglong inflightTotal() const
    {
        qlonglong total = 0;
        const QVariantList workers
            = m_redis.command({ "SMEMBERS", m_keys.workers() }).toList();
        for (const QVariant &id : workers)
            total += m_redis.llen(m_keys.inflight(id.toByteArray()));
        return total;
    }

    // How many connections listen on the queue-events channel.
    qlonglong subscribers()
    {
        return m_redis.command({ "PUBSUB", "NUMSUB", m_keys.channel() })
            .toList()
            .value(1)
            .toLongLong();
    }

    std::unique_ptr<QProcess> startHeadless(const QString &downstream,
                                            const QStringList &extra = {})
    {
        auto process = std::make_unique<QProcess>();
        process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
        // Secrets from the keychain are not part of this test (and another test may hold a Redis
        // password there meanwhile).
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("REDRIVE_NO_KEYCHAIN"), QStringLiteral("1"));
        process->setProcessEnvironment(environment);
        process->start(redrive::tests::redriveBinary(),
                       QStringList { QStringLiteral("--headless"), QStringLiteral("--worker-only"),
                                     QStringLiteral("--redis"), m_redis.url(),
                                     QStringLiteral("--downstream"), downstream,
                                     // several workers at once: not all on the default port
                                     QStringLiteral("--admin-listen"),
                                     QStringLiteral("127.0.0.1:0") }
                           + extra);
        return process;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_redis.start(), qPrintable(m_redis.errorString()));
        QString error;
        QVERIFY(RedisEndpoint::parse(m_redis.url(), &m_endpoint, &error));
        m_connection = std::make_unique<RedisConnection>(m_endpoint, QStringLiteral("test"));
        QSignalSpy ready(m_connection.get(), &RedisConnection::ready);
        m_connection->open();
        QVERIFY(ready.wait(5000));
    }

    void init() { m_redis.flushAll(); }

    void backoffScheduleAndJitter()
    {
        BackoffPolicy policy { 100, 1000, BackoffPolicy::Jitter::Equal };
        QCOMPARE(policy.ceilingMs(1), 100);
        QCOMPARE(policy.ceilingMs(2), 200);
        QCOMPARE(policy.ceilingMs(4), 800);
        QCOMPARE(policy.ceilingMs(5), 1000);
        QCOMPARE(policy.ceilingMs(500), 1000);
        QRandomGenerator random(42);
        qint64 low = 1 << 30, high = 0;
        for (int i = 0; i < 10000; ++i) {
            const qint64 d = policy.delayMs(3, &random);
            QVERIFY(d >= 200 && d <= 400);
            low = qMin(low, d);
            high = qMax(high, d);
        }
        QVERIFY(low < 220 && high > 380); // actually spread over the range
        policy.jitter = BackoffPolicy::Jitter::Full;
        low = 1 << 30;
        high = 0;
        for (int i = 0; i < 10000; ++i) {
            const qint64 d = policy.delayMs(2, &random);
            QVERIFY(d >= 0 && d <= 200);
            low = qMin(low, d);
            high = qMax(high, d);
        }
        QVERIFY(low < 20 && high > 180);
    }

    void successRemovesAndGarbageIsSetAside()
    {
        FakeDownstream downstream;
        QVERIFY(downstream.listen());
        DownstreamClient client;
        client.configure(downstream.url(), 5000, {});
        const QByteArray ours = DeadLetterEntry::create("{\"a\":1}", QStringLiteral("HTTP 503"),
                                                        503, {}, QStringLiteral("test"))
                                    .raw();
        const QByteArray garbage = "this is not json";
        const QByteArray noPayload = "{\"error_message\":\"x\",\"retry_count\":0}";
        m_redis.lpush(m_keys.dlq, ours);
        m_redis.lpush(m_keys.dlq, tutorialEntry(1));
        m_redis.lpush(m_keys.dlq, garbage);
        m_redis.lpush(m_keys.dlq, noPayload);
        auto worker = makeWorker(&client, {});
        worker->start();
        QTRY_COMPARE_WITH_TIMEOUT(m_redis.llen(m_keys.dlq), 0, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(inflightTotal(), 0, 10000);
        QCOMPARE(downstream.bodies().size(), 2);
        QVERIFY(downstream.bodies().contains("{\"a\":1}"));
        QVERIFY(downstream.bodies().contains("{\"id\": \"evt-1\", \"topicName\": \"v2.test\"}"));
        QCOMPARE(downstream.deliveryIds().count(DeadLetterEntry::parse(ours).id().toUtf8()), 1);
        // Set aside byte for byte, with a reason the console can show.
        const QList<QByteArray> permanent = m_redis.lrange(m_keys.permanent);
        QCOMPARE(permanent.size(), 2);
        QVERIFY(permanent.contains(garbage));
        QVERIFY(permanent.contains(noPayload));
        QVERIFY(!DeadLetterEntry::parse(garbage).problem().isEmpty());
        QCOMPARE(worker->stats().delivered, 2);
        QCOMPARE(worker->stats().setAside, 2);
    }

    // The shared secret never goes downstream on a retry, whatever the header is called (here a
    // name that is otherwise forwarded): neither in clear (an entry written by another tool)
    // nor as the placeholder older versions stored.
    void secretHeaderNeverForwarded_data()
    {
        QTest::addColumn<QByteArray>("secretHeader");
        QTest::addColumn<QString>("simulation"); // "never" takes the keep-alive client
        QTest::newRow("X-Genesys-Token, keep-alive client")
            << QByteArray("X-Genesys-Token") << QStringLiteral("never");
        QTest::newRow("X-Genesys-Token, QNetworkAccessManager")
            << QByteArray("X-Genesys-Token") << QStringLiteral("0%");
        QTest::newRow("ININ-Secret, keep-alive client")
            << QByteArray("ININ-Secret") << QStringLiteral("never");
        QTest::newRow("ININ-Secret, QNetworkAccessManager")
            << QByteArray("ININ-Secret") << QStringLiteral("0%");
    }

    void secretHeaderNeverForwarded()
    {
        QFETCH(QByteArray, secretHeader);
        QFETCH(QString, simulation);
        FakeDownstream downstream;
        QVERIFY(downstream.listen());
        FailureSimulation mode;
        QVERIFY(FailureSimulation::parse(simulation, &mode));
        DownstreamClient client;
        client.configure(downstream.url(), 5000, mode);
        client.setSecretHeader(secretHeader);
        const HeaderList inClear { { "Content-Type", "application/json" },
                                   { secretHeader.toLower(), "s3cret-in-clear" },
                                   { "ININ-Correlation-Id", "corr-1" } };
        const HeaderList placeholder { { "Content-Type", "application/json" },
                                       { secretHeader, "[redacted]" },
                                       { "X-Genesys-Other", "[redacted]" },
                                       { "ININ-Correlation-Id", "corr-2" } };
        m_redis.lpush(m_keys.dlq,
                      DeadLetterEntry::create("{\"a\":1}", QStringLiteral("HTTP 503"), 503, inClear,
                                              QStringLiteral("test"))
                          .raw());
        m_redis.lpush(m_keys.dlq,
                      DeadLetterEntry::create("{\"a\":2}", QStringLiteral("HTTP 503"), 503,
                                              placeholder, QStringLiteral("test"))
                          .raw());
        auto worker = makeWorker(&client, {});
        worker->start();
        QTRY_COMPARE_WITH_TIMEOUT(downstream.requests().size(), 2, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(m_redis.llen(m_keys.dlq), 0, 10000);
        for (const FakeDownstream::Request &request : downstream.requests()) {
            const QByteArray &head = request.head;
            const QByteArray lower = head.toLower();
            QVERIFY2(!lower.contains("\n" + secretHeader.toLower() + ':'), head.constData());
            QVERIFY2(!head.contains("s3cret"), head.constData());
            QVERIFY2(!head.contains("[redacted]"), head.constData());
            QVERIFY2(lower.contains("\ninin-correlation-id: corr-"), head.constData());
        }
    }

    void maxRetriesThenPermanentWithHistory()
    {
        FakeDownstream downstream;
        downstream.status = 503;
        QVERIFY(downstream.listen());
        DownstreamClient client;
        client.configure(downstream.url(), 5000, {});
        m_redis.lpush(m_keys.dlq, tutorialEntry(7));
        RetryWorker::Config config;
        config.maxRetries = 3;
        config.backoff = { 2000, 8000, BackoffPolicy::Jitter::Equal };
        auto worker = makeWorker(&client, config);
        worker->start();
        // After the first failure the entry waits in the DLQ with its schedule, readable by the
        // tutorial (retry_count, original_payload) and not attempted again before it is due.
        // The counter moves when the outcome is decided; the entry is back in the DLQ once Redis
        // has run the write, so wait for that too (the first retry is at least 1000 ms away).
        QTRY_COMPARE_WITH_TIMEOUT(worker->stats().rescheduled, 1, 10000);
        QTRY_COMPARE_WITH_TIMEOUT(inflightTotal(), 0, 10000);
        QCOMPARE(downstream.deliveryIds().size(), 1);
        const QList<QByteArray> waiting = m_redis.lrange(m_keys.dlq);
        QCOMPARE(waiting.size(), 1);
        const QJsonObject object = QJsonDocument::fromJson(waiting.first()).object();
        QCOMPARE(object.value(QStringLiteral("retry_count")).toInt(), 1);
        QCOMPARE(object.value(QStringLiteral("status_code")).toInt(), 503);
        QVERIFY(object.value(QStringLiteral("original_payload")).isObject());
        QVERIFY(!object.value(QStringLiteral("next_attempt_at")).toString().isEmpty());
        const double due
            = m_redis.command({ "ZSCORE", m_keys.schedule(), waiting.first() }).toDouble();
        QVERIFY(due > 0);
        QTRY_COMPARE_WITH_TIMEOUT(m_redis.llen(m_keys.permanent), 1, 20000);
        QCOMPARE(m_redis.llen(m_keys.dlq), 0);
        QCOMPARE(downstream.deliveryIds().size(), 3);
        // Never before the backoff: equal jitter waits at least half the ceiling (2000, 4000 ms).
        QVERIFY(downstream.requests().at(1).arrivalMs - downstream.requests().at(0).arrivalMs >= 1000);
        QVERIFY(downstream.requests().at(2).arrivalMs - downstream.requests().at(1).arrivalMs >= 2000);
        // One stable id for every attempt, even for a tutorial entry without one.
        QCOMPARE(
            distinct(downstream.deliveryIds()),
            1);
        const DeadLetterEntry failed
            = DeadLetterEntry::parse(m_redis.lrange(m_keys.permanent).first());
        QCOMPARE(failed.retryCount(), 3);
        QCOMPARE(failed.attempts().size(), 3);
        QCOMPARE(failed.statusCode(), 503);
        QCOMPARE(failed.payload(),
                 QByteArrayLiteral("{\"id\": \"evt-7\", \"topicName\": \"v2.test\"}"));
        QCOMPARE(m_redis.command({ "ZCARD", m_keys.schedule() }).toLongLong(), 0);
    }

    void nonRetryableGoesStraightToPermanent()
    {
        FakeDownstream downstream;
        downstream.status = 422;
        QVERIFY(downstream.listen());
        DownstreamClient client;
        client.configure(downstream.url(), 5000, {});
        m_redis.lpush(m_keys.dlq, tutorialEntry(3));
        auto worker = makeWorker(&client, {});
        worker->start();
        QTRY_COMPARE_WITH_TIMEOUT(m_redis.llen(m_keys.permanent), 1, 10000);
        QCOMPARE(downstream.deliveryIds().size(), 1);
        QCOMPARE(DeadLetterEntry::parse(m_redis.lrange(m_keys.permanent).first()).statusCode(),
                 422);
    }

    void editRacingAWorkerIsRefused()
    {
        FakeDownstream downstream;
        downstream.hold = true;
        QVERIFY(downstream.listen());
        DownstreamClient client;
        client.configure(downstream.url(), 30000, {});
        const QByteArray raw = tutorialEntry(5);
        m_redis.lpush(m_keys.dlq, raw);
        const DeadLetterEntry seenByConsole = DeadLetterEntry::parse(raw);
        auto worker = makeWorker(&client, {});
        worker->start();
        QTRY_COMPARE_WITH_TIMEOUT(downstream.held(), 1, 10000);
        QueueStore store(m_connection.get(), m_keys);
        std::optional<OperationResult> result;
        store.edit(QueueStore::List::DeadLetter, seenByConsole, "{\"edited\":true}", this,
                   [&](const OperationResult &r) { result = r; });
        QTRY_VERIFY(result.has_value());
        QCOMPARE(result->code, QueueError::ChangedMeanwhile);
        // The entry is still in Redis (in flight), never only in the worker's memory.
        QCOMPARE(inflightTotal(), 1);
        QCOMPARE(m_redis.llen(m_keys.dlq), 0);
    }

    // Without a downstream every attempt would count as delivered and empty the DLQ: the worker
    // does not start, and --worker-only says what is missing.
    void noDownstreamNoRetries()
    {
        for (int i = 0; i < 3; ++i)
            m_redis.lpush(m_keys.dlq, tutorialEntry(i));
        QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
        environment.insert(QStringLiteral("REDRIVE_NO_KEYCHAIN"), QStringLiteral("1"));
        environment.remove(QStringLiteral("REDRIVE_DOWNSTREAM"));

        QProcess workerOnly;
        workerOnly.setProcessEnvironment(environment);
        workerOnly.setProcessChannelMode(QProcess::MergedChannels);
        workerOnly.start(redrive::tests::redriveBinary(),
                         { QStringLiteral("--headless"), QStringLiteral("--worker-only"),
                           QStringLiteral("--redis"), m_redis.url() });
        QVERIFY(workerOnly.waitForFinished(30000));
        const QByteArray refusal = workerOnly.readAll();
        QVERIFY2(workerOnly.exitCode() != 0, refusal.constData());
        QVERIFY2(refusal.contains("--worker-only needs a downstream"), refusal.constData());

        QProcess both;
        both.setProcessEnvironment(environment);
        both.setProcessChannelMode(QProcess::MergedChannels);
        both.start(redrive::tests::redriveBinary(),
                   { QStringLiteral("--headless"), QStringLiteral("--listen"),
                     QStringLiteral("127.0.0.1:0"), QStringLiteral("--redis"), m_redis.url() });
        QByteArray log;
        QTRY_VERIFY_WITH_TIMEOUT((log += both.readAll(), log.contains("retry worker not started")),
                                 30000);
        QVERIFY2(log.contains("no downstream is set"), log.constData());
        QTest::qWait(1500); // a worker would have emptied the list by now
        QCOMPARE(m_redis.llen(m_keys.dlq), 3);
        both.terminate();
        QVERIFY(both.waitForFinished(15000));
        QCOMPARE(both.exitCode(), 0);
    }

    void consoleRetryNowWakesTheWorker()
    {
        FakeDownstream downstream;
        QVERIFY(downstream.listen());
        DownstreamClient client;
        client.configure(downstream.url(), 5000, {});
        const QByteArray raw = tutorialEntry(9);
        m_redis.lpush(m_keys.dlq, raw);
        // Due in an hour.
        m_redis.command({ "EVAL",
                          "local t = redis.call('TIME') redis.call('ZADD', KEYS[1], t[1]*1000 + "
                          "3600000, ARGV[1])",
                          "1", m_keys.schedule(), raw });
        auto worker = makeWorker(&client, {});
        QSignalSpy idle(worker.get(), &RetryWorker::idle);
        worker->start();
        QVERIFY(idle.wait(5000));
        QCOMPARE(downstream.deliveryIds().size(), 0);
        QCOMPARE(m_redis.llen(m_keys.dlq), 1);
        // The worker listens on its own connection; publish only once it is subscribed.
        QTRY_COMPARE_WITH_TIMEOUT(subscribers(), 1, 10000);
        QueueStore store(m_connection.get(), m_keys);
        std::optional<OperationResult> result;
        store.retryNow(QueueStore::List::DeadLetter, DeadLetterEntry::parse(raw), this,
                       [&](const OperationResult &r) { result = r; });
        QTRY_VERIFY(result.has_value());
        QVERIFY(result->ok());
        QTRY_COMPARE_WITH_TIMEOUT(downstream.deliveryIds().size(), 1, 5000);
        QTRY_COMPARE(m_redis.llen(m_keys.dlq), 0);
    }

    void longWaitingListCausesNoWork()
    {
        FakeDownstream downstream;
        QVERIFY(downstream.listen());
        DownstreamClient client;
        client.configure(downstream.url(), 5000, {});
        // More waiting entries than one claim call looks at.
        m_redis.command({ "EVAL",
                          "local t = redis.call('TIME') for i = 1, 2500 do local e = "
                          "'{\"original_payload\":{\"n\":' .. i .. '},\"retry_count\":1}' "
                          "redis.call('LPUSH', KEYS[1], e) redis.call('ZADD', KEYS[2], "
                          "t[1]*1000 + 3600000, e) end",
                          "2", m_keys.dlq, m_keys.schedule() });
        auto worker = makeWorker(&client, {});
        QSignalSpy idle(worker.get(), &RetryWorker::idle);
        worker->start();
        QVERIFY(idle.wait(10000));
        m_redis.command({ "CONFIG", "RESETSTAT" });
        // Asserting an absence needs a period; one second is five DLQ checks.
        QTest::qWait(1000);
        const QByteArray stats = m_redis.command({ "INFO", "commandstats" }).toByteArray();
        QVERIFY2(!stats.contains("cmdstat_lmove"), stats.constData());
        QCOMPARE(downstream.deliveryIds().size(), 0);
        // A new entry from another tool is noticed and delivered; the waiting ones stay.
        m_redis.lpush(m_keys.dlq, tutorialEntry(1));
        QTRY_COMPARE_WITH_TIMEOUT(downstream.deliveryIds().size(), 1, 5000);
        QTRY_COMPARE(m_redis.llen(m_keys.dlq), 2500);
    }

    void sigkillMidAttemptLosesNothing()
    {
        FakeDownstream downstream;
        downstream.hold = true;
        QVERIFY(downstream.listen());
        m_redis.lpush(m_keys.dlq, tutorialEntry(11));
        auto first = startHeadless(downstream.url().toString());
        QVERIFY(first->waitForStarted());
        QTRY_COMPARE_WITH_TIMEOUT(downstream.held(), 1, 15000);
        QCOMPARE(m_redis.llen(m_keys.dlq), 0);
        QCOMPARE(inflightTotal(), 1);
        ::kill(pid_t(first->processId()), SIGKILL);
        QVERIFY(first->waitForFinished());

        downstream.hold = false;
        auto second = startHeadless(downstream.url().toString());
        QVERIFY(second->waitForStarted());
        // Recovered once the dead worker's lease has expired, then delivered.
        QTRY_COMPARE_WITH_TIMEOUT(downstream.deliveryIds().size(), 2, 40000);
        QTRY_COMPARE_WITH_TIMEOUT(m_redis.llen(m_keys.dlq) + inflightTotal(), 0, 10000);
        QCOMPARE(m_redis.llen(m_keys.permanent), 0);
        QCOMPARE(downstream.deliveryIds().at(0), downstream.deliveryIds().at(1));
        second->terminate();
        QVERIFY(second->waitForFinished());
    }

    void twoWorkerProcessesNeverShareAnEntry()
    {
        FakeDownstream downstream;
        downstream.delayMs = 2; // keeps each attempt open long enough for an overlap to show
        QVERIFY(downstream.listen());
        m_redis.command({ "EVAL",
                          "for i = 1, 1000 do redis.call('LPUSH', KEYS[1], "
                          "'{\"original_payload\":{\"n\":' .. i .. '},\"error_message\":\"x\","
                          "\"status_code\":500,\"timestamp\":\"2026-01-01T00:00:00\","
                          "\"retry_count\":0,\"id\":\"d-' .. i .. '\"}') end",
                          "1", m_keys.dlq });
        auto a = startHeadless(downstream.url().toString());
        auto b = startHeadless(downstream.url().toString());
        QVERIFY(a->waitForStarted());
        QVERIFY(b->waitForStarted());
        QTRY_COMPARE_WITH_TIMEOUT(downstream.deliveryIds().size(), 1000, 60000);
        QTRY_COMPARE_WITH_TIMEOUT(m_redis.llen(m_keys.dlq) + inflightTotal(), 0, 10000);
        QCOMPARE(downstream.overlaps(), 0);
        QCOMPARE(
            distinct(downstream.deliveryIds()),
            1000);
        QCOMPARE(m_redis.command({ "SCARD", m_keys.workers() }).toLongLong(), 2);
        a->terminate();
        b->terminate();
        QVERIFY(a->waitForFinished());
        QVERIFY(b->waitForFinished());
    }
};

QTEST_GUILESS_MAIN(TestRetryWorker)
#include "tst_retryworker.moc"
