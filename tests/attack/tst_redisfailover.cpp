// SPDX-License-Identifier: MIT
// A Sentinel-managed Redis fails over while deliveries keep coming: the built redrive, a primary,
// two replicas and three sentinels, all real processes on loopback. With --redis-replicas equal
// to the number of replicas every delivery answered 2xx is in the new primary's list, whether
// the failover is asked for (SENTINEL FAILOVER, the old primary still up and taking writes) or
// forced by a kill -9 of the primary; the receiver is seen "failing over" (503) from the
// sentinels' first failover event, and answers 2xx again once the new primary has its
// replicas; and the retry worker follows the primary to its new home.
#include "tests/attack/attackkit.h"
#include "tests/support/fakedownstream.h"
#include "tests/support/redissentinel.h"
#include "tests/support/redriveprocess.h"
#include "tests/support/testenv.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace redrive::tests;

namespace {

// Liveness bounds only (the suite runs under ASan on two busy cores): the figures printed are
// what a run measured.
constexpr int WaitMs = 60000;
const QByteArray Dlq = "genesys_webhook_dlq";

enum class Failover { Asked, PrimaryKilled };

// A DLQ entry as the tutorial writes it, carrying `id` in its payload.
QByteArray entry(const QByteArray &id)
{
    return "{\"original_payload\":" + taggedPayload(id)
        + ",\"error_message\":\"down\",\"status_code\":503,"
          "\"timestamp\":\"2026-01-01T00:00:00\",\"retry_count\":0}";
}

} // namespace

class TestRedisFailover : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(redriveBinary()), "REDRIVE_BINARY not built");
        QVERIFY(m_home.isValid());
    }

    void acknowledgedDeliveriesSurvive_data()
    {
        QTest::addColumn<int>("failover");
        // Two replicas and --redis-replicas 2: every 2xx was on both replicas, whichever is
        // promoted. The old primary, still up, would take writes while the sentinels detach the
        // replica they promote; the other replica alone cannot confirm them (WAIT 2), and the
        // receiver stops writing from the first failover event anyway. 2xx come back once the
        // old primary is a replica of the new one.
        QTest::newRow("SENTINEL FAILOVER") << int(Failover::Asked);
        // The old primary takes nothing after the kill; the new primary has one replica left, so
        // WAIT 2 refuses every write until the killed node is back, as a replica.
        QTest::newRow("kill -9 of the primary") << int(Failover::PrimaryKilled);
    }

    void acknowledgedDeliveriesSurvive()
    {
        QFETCH(int, failover);
        constexpr int replicas = 2;
        RedisSentinelSetup setup;
        QVERIFY2(setup.start(replicas, WaitMs), qPrintable(setup.errorString()));
        RedisServer *oldPrimary = setup.primary();
        QVERIFY(oldPrimary);
        const quint16 oldPort = oldPrimary->port();

        RedriveProcess redrive;
        redrive.start(m_home.path(),
                      { QStringLiteral("--headless"), QStringLiteral("--no-worker"),
                        QStringLiteral("--simulate-failure"), QStringLiteral("always"),
                        QStringLiteral("--redis"), setup.url(), QStringLiteral("--redis-replicas"),
                        QString::number(replicas), QStringLiteral("--listen"),
                        QStringLiteral("127.0.0.1:0") });
        const QUrl url = redrive.receiverUrl(WaitMs);
        QVERIFY2(url.isValid(), redrive.log.constData());

        LoadGenerator load("fo" + QByteArray(1, char('a' + ++m_round)), 4, 10);
        load.start(quint16(url.port()));
        QTRY_VERIFY2_WITH_TIMEOUT(load.acknowledgedCount() >= 30, redrive.readLog().constData(),
                                  WaitMs);
        const int acknowledgedBefore = load.acknowledgedCount();
        const int refusedBefore = load.statuses().value(503);

        const qint64 triggered = load.now();
        if (Failover(failover) == Failover::Asked) {
            QCOMPARE(setup.sentinel(0)
                         .command({ "SENTINEL", "FAILOVER", setup.masterName() })
                         .toByteArray(),
                     QByteArray("OK"));
        } else {
            oldPrimary->kill();
        }
        QVERIFY2(setup.waitForNewPrimary(oldPort, WaitMs), redrive.readLog().constData());
        const qint64 elected = load.now(); // the sentinels agree and the node says master
        RedisServer *newPrimary = setup.primary();
        QVERIFY(newPrimary);
        QVERIFY(newPrimary->port() != oldPort);
        if (Failover(failover) == Failover::PrimaryKilled)
            QVERIFY2(setup.restartNode(oldPrimary), qPrintable(setup.errorString()));

        QVERIFY2(setup.waitForReplicas(replicas, WaitMs), redrive.readLog().constData());
        const qint64 replicated = load.now(); // the new primary has its replicas in sync
        QTRY_VERIFY2_WITH_TIMEOUT(load.firstAcknowledgedSince(elected) >= 0,
                                  redrive.readLog().constData(), WaitMs);
        const qint64 firstAfterElection = load.firstAcknowledgedSince(elected);
        const int refusedDuring = load.statuses().value(503) - refusedBefore;
        // More after it, so that every answer to a request sent during the failover is in.
        const int before = load.acknowledgedCount();
        QTRY_VERIFY2_WITH_TIMEOUT(load.acknowledgedCount() >= before + 30,
                                  redrive.readLog().constData(), WaitMs);
        const int unanswered = load.unanswered();
        load.stop();
        QVERIFY2(redrive.isRunning(), redrive.log.constData());

        const QList<QByteArray> stored = idsInLists(*newPrimary, { Dlq });
        const QSet<QByteArray> storedSet(stored.begin(), stored.end());
        int lost = 0;
        for (const QByteArray &id : load.acknowledged()) {
            if (!storedSet.contains(id)) {
                ++lost;
                qWarning("acknowledged but not on the new primary: %s", id.constData());
            }
        }
        const QMap<int, int> &statuses = load.statuses();
        qInfo("%s: sent %d, 2xx %d (%d before the failover), 503 %d (%d from the trigger to "
              "the first 2xx after it), unanswered %d, lost %d; after the trigger: sentinels "
              "agreed on the new primary at %lld ms, it had its replicas in sync at %lld ms, "
              "first 2xx from it at %lld ms",
              QTest::currentDataTag(), load.sent(), load.acknowledgedCount(), acknowledgedBefore,
              statuses.value(503), refusedDuring, unanswered, lost, elected - triggered,
              replicated - triggered, firstAfterElection - triggered);
        for (auto it = statuses.begin(); it != statuses.end(); ++it)
            QVERIFY2((it.key() >= 200 && it.key() < 300) || it.key() == 503,
                     qPrintable(QStringLiteral("%1 answered %2").arg(it.value()).arg(it.key())));
        QVERIFY2(refusedDuring > 0, "the failover was not seen"); // the test can fail
        QCOMPARE(unanswered, 0);
        QCOMPARE(lost, 0);
        // The receiver was "failing over" from a sentinel's failover event on (what the console
        // shows is the engine's state, which logs it).
        QVERIFY2(redrive.readLog().contains("Redis unavailable: failing over: the sentinel at"),
                 redrive.log.constData());
        // --redis-replicas equals the replicas: no warning about a lower figure.
        QVERIFY2(!redrive.readLog().contains("can lose acknowledged deliveries"),
                 redrive.log.constData());
        // The receiver said where it went.
        QVERIFY2(redrive.readLog().contains(
                     QStringLiteral("(primary 127.0.0.1:%1)").arg(newPrimary->port()).toUtf8()),
                 redrive.log.constData());
        QVERIFY2(redrive.terminate(WaitMs), redrive.log.constData());
    }

    void workerFollowsThePrimary()
    {
        RedisSentinelSetup setup;
        QVERIFY2(setup.start(1, WaitMs), qPrintable(setup.errorString()));
        const quint16 oldPort = setup.primaryPort();
        FakeDownstream downstream;
        QVERIFY(downstream.listen());
        RedriveProcess worker;
        worker.start(m_home.path(),
                     { QStringLiteral("--headless"), QStringLiteral("--worker-only"),
                       QStringLiteral("--redis"), setup.url(), QStringLiteral("--downstream"),
                       QStringLiteral("http://127.0.0.1:%1/hook").arg(downstream.port()),
                       QStringLiteral("--admin-listen"), QStringLiteral("127.0.0.1:0") });
        const auto received = [&downstream](const QByteArray &id) {
            for (const QByteArray &body : downstream.bodies()) {
                if (idsIn(body).contains(id))
                    return true;
            }
            return false;
        };
        setup.primary()->lpush(Dlq, entry(taggedId("wf", 1)));
        QTRY_VERIFY2_WITH_TIMEOUT(received(taggedId("wf", 1)), worker.readLog().constData(),
                                  WaitMs);

        QCOMPARE(
            setup.sentinel(2).command({ "SENTINEL", "FAILOVER", setup.masterName() }).toByteArray(),
            QByteArray("OK"));
        QVERIFY2(setup.waitForNewPrimary(oldPort, WaitMs), worker.readLog().constData());
        RedisServer *newPrimary = setup.primary();
        QVERIFY(newPrimary);
        for (int n = 2; n <= 5; ++n)
            newPrimary->lpush(Dlq, entry(taggedId("wf", n)));
        QTRY_VERIFY2_WITH_TIMEOUT(received(taggedId("wf", 2)) && received(taggedId("wf", 3))
                                      && received(taggedId("wf", 4)) && received(taggedId("wf", 5))
                                      && newPrimary->llen(Dlq) == 0,
                                  worker.readLog().constData(), WaitMs);
        QVERIFY2(worker.readLog().contains(
                     QStringLiteral("(primary 127.0.0.1:%1)").arg(newPrimary->port()).toUtf8()),
                 worker.log.constData());
        QVERIFY2(worker.terminate(WaitMs), worker.log.constData());
    }

private:
    QTemporaryDir m_home;
    int m_round = 0;
};

QTEST_GUILESS_MAIN(TestRedisFailover)
#include "tst_redisfailover.moc"
