// SPDX-License-Identifier: MIT
// The whole `redrive` process on a Redis Cluster of three primaries: keys without a hash tag
// refused at start; deliveries (receiver, --simulate-failure always) and the retry worker on
// the slot of the tagged keys; and deliveries while that slot moves to another node in the
// steps of a resharding (IMPORTING/MIGRATING, MIGRATE, SETSLOT NODE), with nothing acknowledged
// lost and the ASK and MOVED replies followed.
#include "core/redis/redishashslot.h"
#include "tests/attack/attackkit.h"
#include "tests/support/rediscluster.h"
#include "tests/support/redriveprocess.h"
#include "tests/support/testenv.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

using namespace redrive::core;
using namespace redrive::tests;

namespace {

constexpr int WaitMs = 30000;
const QByteArray Dlq = "{genesys}:webhook_dlq";
const QByteArray Permanent = "{genesys}:webhook_permanent_failures";
const QStringList TaggedKeys { QStringLiteral("--dlq-key"), QString::fromUtf8(Dlq),
                               QStringLiteral("--permanent-key"), QString::fromUtf8(Permanent) };

// How often node `index` ran `command` (INFO commandstats), 0 if never.
qlonglong commandCalls(RedisServer &node, const QByteArray &command)
{
    const QString info = QString::fromUtf8(node.command({ "INFO", "commandstats" }).toByteArray());
    const QRegularExpression calls(
        QStringLiteral("cmdstat_%1:calls=(\\d+)").arg(QString::fromUtf8(command)));
    const QRegularExpressionMatch match = calls.match(info);
    return match.hasMatch() ? match.captured(1).toLongLong() : 0;
}

} // namespace

class TestRedriveOnCluster : public QObject
{
    Q_OBJECT

    RedisCluster m_cluster;
    QTemporaryDir m_home;
    int m_slot = redisHashSlot(Dlq);

    void startRedrive(RedriveProcess &redrive, const QStringList &extra)
    {
        redrive.start(m_home.path(),
                      QStringList { QStringLiteral("--headless"), QStringLiteral("--redis"),
                                    m_cluster.url(2), QStringLiteral("--listen"),
                                    QStringLiteral("127.0.0.1:0"),
                                    QStringLiteral("--simulate-failure"), QStringLiteral("always") }
                          + TaggedKeys + extra);
    }

    // Waits until `load` has `more` acknowledgements beyond what it had when called.
    static bool moreAcknowledged(LoadGenerator &load, int more, RedriveProcess &redrive)
    {
        const int target = load.acknowledgedCount() + more;
        QDeadlineTimer deadline(WaitMs);
        while (load.acknowledgedCount() < target && !deadline.hasExpired() && redrive.isRunning())
            QTest::qWait(20);
        return load.acknowledgedCount() >= target;
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(redriveBinary()), "REDRIVE_BINARY not built");
        QVERIFY(m_home.isValid());
        QVERIFY2(m_cluster.start(3), qPrintable(m_cluster.errorString()));
    }

    void keysWithoutATagAreRefused()
    {
        RedriveProcess redrive;
        redrive.start(m_home.path(),
                      { QStringLiteral("--headless"), QStringLiteral("--no-worker"),
                        QStringLiteral("--redis"), m_cluster.url(), QStringLiteral("--listen"),
                        QStringLiteral("127.0.0.1:0") });
        QVERIFY(redrive.process.waitForFinished(WaitMs));
        redrive.readLog();
        QCOMPARE(redrive.process.exitCode(), 2); // a configuration error
        QVERIFY2(redrive.log.contains("must be in one hash slot"), redrive.log.constData());
        QVERIFY2(redrive.log.contains("--dlq-key '{genesys}:webhook_dlq' --permanent-key "
                                      "'{genesys}:webhook_permanent_failures'"),
                 redrive.log.constData());
        // Nothing was written anywhere.
        for (int i = 0; i < m_cluster.size(); ++i)
            QCOMPARE(m_cluster.node(i).command({ "DBSIZE" }).toLongLong(), 0);
    }

    void deliveriesWhileTheSlotMoves()
    {
        RedriveProcess redrive;
        startRedrive(redrive, { QStringLiteral("--no-worker") });
        const QUrl url = redrive.receiverUrl(WaitMs);
        QVERIFY2(url.isValid(), redrive.log.constData());

        const int first = m_cluster.ownerOf(m_slot);
        QVERIFY(first >= 0);
        const int second = (first + 1) % m_cluster.size();
        const int third = (first + 2) % m_cluster.size();
        const qlonglong askingBefore = commandCalls(m_cluster.node(second), "asking");

        LoadGenerator load("cl", 4, 10);
        load.start(quint16(url.port()));
        QVERIFY2(moreAcknowledged(load, 30, redrive), redrive.readLog().constData());

        // A resharding step by step, deliveries going on at each step.
        QVERIFY2(m_cluster.beginMove(m_slot, first, second), qPrintable(m_cluster.errorString()));
        QVERIFY2(moreAcknowledged(load, 20, redrive), redrive.readLog().constData());
        // The lists are on the target now: writes the source gets are answered ASK.
        QVERIFY2(m_cluster.moveKeys(m_slot, first, second) > 0,
                 qPrintable(m_cluster.errorString()));
        QVERIFY2(moreAcknowledged(load, 20, redrive), redrive.readLog().constData());
        const qlonglong asked = commandCalls(m_cluster.node(second), "asking") - askingBefore;
        // The slot is the target's: the source answers MOVED from now on.
        QVERIFY2(m_cluster.finishMove(m_slot, first, second), qPrintable(m_cluster.errorString()));
        QVERIFY2(moreAcknowledged(load, 20, redrive), redrive.readLog().constData());
        // And once more at a go, to the third node.
        QVERIFY2(m_cluster.moveSlot(m_slot, second, third), qPrintable(m_cluster.errorString()));
        QVERIFY2(moreAcknowledged(load, 20, redrive), redrive.readLog().constData());
        load.stop();

        QVERIFY2(redrive.isRunning(), redrive.readLog().constData());
        const QList<QByteArray> stored = idsInLists(m_cluster.node(third), { Dlq });
        const QSet<QByteArray> storedSet(stored.begin(), stored.end());
        int lost = 0;
        for (const QByteArray &id : load.acknowledged())
            lost += !storedSet.contains(id);
        const QMap<int, int> &statuses = load.statuses();
        qInfo("sent %d, 2xx %d, 503 %d, unanswered %d, stored %d, lost %d; ASKING on the target "
              "%lld times; longest wait for an answer %lld ms",
              load.sent(), load.acknowledgedCount(), statuses.value(503), load.unanswered(),
              int(stored.size()), lost, asked, load.longestWaitMs());
        QCOMPARE(lost, 0);
        QVERIFY2(asked > 0, "no ASK was followed");
        for (auto it = statuses.begin(); it != statuses.end(); ++it)
            QVERIFY2((it.key() >= 200 && it.key() < 300) || it.key() == 503,
                     qPrintable(QStringLiteral("%1 answered %2").arg(it.value()).arg(it.key())));
        // Nothing of the slot stayed behind on the nodes it left.
        for (int node : { first, second })
            QCOMPARE(m_cluster.node(node)
                         .command({ "CLUSTER", "COUNTKEYSINSLOT", QByteArray::number(m_slot) })
                         .toLongLong(),
                     0);
        QVERIFY2(redrive.terminate(WaitMs), redrive.log.constData());
    }

    void retryWorkerOnTheCluster()
    {
        // --simulate-failure always fails the worker's retries too: every entry is claimed,
        // retried twice under backoff and moved to the permanent failures, through the
        // worker's scripts on the slot (DLQ, schedule, in-flight list, lease, workers set).
        FakeDownstream downstream;
        QVERIFY(downstream.listen());
        RedriveProcess redrive;
        startRedrive(redrive,
                     { QStringLiteral("--downstream"),
                       QStringLiteral("http://127.0.0.1:%1/hook").arg(downstream.port()),
                       QStringLiteral("--max-retries"), QStringLiteral("2"),
                       QStringLiteral("--backoff-base"), QStringLiteral("50"),
                       QStringLiteral("--backoff-max"), QStringLiteral("200") });
        const QUrl url = redrive.receiverUrl(WaitMs);
        QVERIFY2(url.isValid(), redrive.log.constData());
        const int owner = m_cluster.ownerOf(m_slot);
        const int next = (owner + 1) % m_cluster.size();

        LoadGenerator load("wk", 2, 20);
        load.start(quint16(url.port()));
        QVERIFY2(moreAcknowledged(load, 20, redrive), redrive.readLog().constData());
        // The worker's claims, heartbeats and outcomes follow the slot too.
        QVERIFY2(m_cluster.moveSlot(m_slot, owner, next), qPrintable(m_cluster.errorString()));
        QVERIFY2(moreAcknowledged(load, 20, redrive), redrive.readLog().constData());
        load.stop();

        const QList<QByteArray> acknowledged = load.acknowledged();
        const auto missing = [&] {
            const QList<QByteArray> failed = idsInLists(m_cluster.node(next), { Permanent });
            const QSet<QByteArray> failedSet(failed.begin(), failed.end());
            int count = 0;
            for (const QByteArray &id : acknowledged)
                count += !failedSet.contains(id);
            return count;
        };
        QTRY_VERIFY2_WITH_TIMEOUT(missing() == 0, redrive.readLog().constData(), WaitMs);
        QCOMPARE(m_cluster.node(next).llen(Dlq), 0);
        qInfo("%d acknowledged, all of them in the permanent failures after 2 retries on the "
              "slot's new owner",
              int(acknowledged.size()));
        QVERIFY2(redrive.terminate(WaitMs), redrive.log.constData());
        // A clean stop hands nothing back and leaves no in-flight list behind.
        QCOMPARE(m_cluster.node(next).llen(Dlq), 0);
        const QVariantList keys
            = m_cluster.node(next)
                  .command({ "CLUSTER", "GETKEYSINSLOT", QByteArray::number(m_slot), "100" })
                  .toList();
        for (const QVariant &key : keys)
            QVERIFY2(!key.toByteArray().contains("inflight:"), key.toByteArray().constData());
    }
};

QTEST_GUILESS_MAIN(TestRedriveOnCluster)
#include "tst_redriveoncluster.moc"
