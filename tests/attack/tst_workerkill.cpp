// SPDX-License-Identifier: MIT
// The retry worker killed with SIGKILL in the middle of draining the DLQ, five times, then a last
// worker drains what is left: every entry reaches the downstream at least once (none is lost),
// and each duplicate (a delivery attempted again after a kill) carries the same
// X-Redrive-Delivery-Id, so a downstream can drop it.
#include "tests/attack/attackkit.h"
#include "tests/support/redisserver.h"
#include "tests/support/redriveprocess.h"
#include "tests/support/testenv.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace redrive::tests;

namespace {

constexpr int WaitMs = 30000;
constexpr int Kills = 5;
constexpr int Entries = 60;
constexpr int DownstreamDelayMs = 400; // slow enough that a kill lands mid-attempt
const QByteArray Dlq = "genesys_webhook_dlq";
const QByteArray Permanent = "genesys_webhook_permanent_failures";

// Half the entries as Redrive's receiver writes them (with an id), half as the tutorial does
// (without one: the worker derives a stable id from the text).
QByteArray entry(int n)
{
    const QByteArray payload = taggedPayload(taggedId("wk", n));
    const QByteArray id = n % 2 ? ",\"id\":\"entry-" + QByteArray::number(n) + '"' : QByteArray();
    return "{\"original_payload\":" + payload
        + ",\"error_message\":\"down\",\"status_code\":503,"
          "\"timestamp\":\"2026-01-01T00:00:00\",\"retry_count\":0"
        + id + '}';
}

} // namespace

class TestWorkerKill : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(redriveBinary()), "REDRIVE_BINARY not built");
        QVERIFY2(m_redis.start(), qPrintable(m_redis.errorString()));
        QVERIFY(m_home.isValid());
    }

    void killedMidDrainLosesNothing()
    {
        for (int n = 0; n < Entries; ++n)
            m_redis.lpush(Dlq, entry(n));
        FakeDownstream downstream;
        downstream.delayMs = DownstreamDelayMs;
        QVERIFY(downstream.listen());
        QVERIFY(downstream.port() > 0);

        for (int kill = 1; kill <= Kills; ++kill) {
            RedriveProcess worker;
            startWorker(&worker, downstream.port());
            const int answeredBefore = downstream.answered();
            // Some delivered in this run, and attempts under way: the kill lands mid-attempt.
            QTRY_VERIFY2_WITH_TIMEOUT(downstream.answered() >= answeredBefore + 2
                                          && downstream.pending() > 0,
                                      worker.readLog().constData(), WaitMs);
            const int pending = downstream.pending();
            worker.kill();
            qInfo("kill %d: %d delivered so far, %d attempts under way at the kill, %lld in the "
                  "DLQ",
                  kill, downstream.answered(), pending, m_redis.llen(Dlq));
        }

        // The last worker takes back what the killed ones held (after their 10 s leases) and
        // delivers everything.
        RedriveProcess worker;
        startWorker(&worker, downstream.port());
        const auto distinctReceived = [&] {
            QSet<QByteArray> ids;
            for (const auto &receipt : receiptsOf(downstream))
                ids.insert(receipt.id);
            return ids;
        };
        QTRY_VERIFY2_WITH_TIMEOUT(distinctReceived().size() == Entries && inFlight() == 0
                                      && m_redis.llen(Dlq) == 0,
                                  worker.readLog().constData(), 60000);
        QCOMPARE(m_redis.llen(Permanent), 0);
        QVERIFY2(worker.terminate(WaitMs), worker.log.constData());

        // Every entry reached the downstream: nothing lost.
        const QSet<QByteArray> received = distinctReceived();
        for (int n = 0; n < Entries; ++n)
            QVERIFY2(received.contains(taggedId("wk", n)), taggedId("wk", n).constData());
        // Duplicates, each with one delivery id over all its attempts.
        QHash<QByteArray, QList<QByteArray>> deliveryIds;
        for (const auto &receipt : receiptsOf(downstream))
            deliveryIds[receipt.id].append(receipt.deliveryId);
        int duplicates = 0;
        for (auto it = deliveryIds.begin(); it != deliveryIds.end(); ++it) {
            const QList<QByteArray> &ids = it.value();
            QVERIFY2(!ids.first().isEmpty(), it.key().constData());
            for (const QByteArray &id : ids)
                QCOMPARE(id, ids.first());
            if (ids.size() > 1) {
                duplicates += int(ids.size()) - 1;
                qInfo("duplicate: %s received %d times, X-Redrive-Delivery-Id %s",
                      it.key().constData(), int(ids.size()), ids.first().constData());
            }
        }
        qInfo("%d entries, %d kills: %d deliveries received, %d duplicates, 0 lost", Entries,
              Kills, int(receiptsOf(downstream).size()), duplicates);
    }

private:
    void startWorker(RedriveProcess *worker, quint16 downstreamPort)
    {
        worker->start(m_home.path(),
                      { QStringLiteral("--headless"), QStringLiteral("--worker-only"),
                        QStringLiteral("--redis"), m_redis.url(), QStringLiteral("--downstream"),
                        QStringLiteral("http://127.0.0.1:%1/hook").arg(downstreamPort),
                        QStringLiteral("--concurrency"), QStringLiteral("4"),
                        QStringLiteral("--admin-listen"), QStringLiteral("127.0.0.1:0") });
    }

    // Entries in the in-flight lists of all workers, the killed ones included.
    qlonglong inFlight() const
    {
        qlonglong count = 0;
        const QVariantList keys = m_redis.command({ "KEYS", Dlq + ":inflight:*" }).toList();
        for (const QVariant &key : keys)
            count += m_redis.llen(key.toByteArray());
        return count;
    }

    RedisServer m_redis;
    QTemporaryDir m_home;
};

QTEST_GUILESS_MAIN(TestWorkerKill)
#include "tst_workerkill.moc"
