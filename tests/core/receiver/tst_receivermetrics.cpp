// SPDX-License-Identifier: MIT
// The receiver's shared counters: one Redis write outage for all lanes, so its log lines come
// once and count every 503 it caused, whichever lanes answered them.
#include "core/receiver/receivermetrics.h"

#include <QTest>

using namespace redrive::core;

class TestReceiverMetrics : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void oneOutageForAllLanes()
    {
        ReceiverMetrics metrics(2);
        QCOMPARE(metrics.recordRedisWriteOk(), 0u); // no outage open: nothing to report
        QVERIFY(metrics.recordRedisError()); // lane 0: opens the outage
        QVERIFY(!metrics.recordRedisError()); // lane 1: the same outage
        QVERIFY(!metrics.recordRedisError());
        QCOMPARE(metrics.recordRedisWriteOk(), 3u); // either lane ends it, with the total
        QCOMPARE(metrics.recordRedisWriteOk(), 0u);
        QCOMPARE(metrics.counters().redisErrors, 3u);
    }

    void nextOutageCountsAfresh()
    {
        ReceiverMetrics metrics(2);
        QVERIFY(metrics.recordRedisError());
        QCOMPARE(metrics.recordRedisWriteOk(), 1u);
        QVERIFY(metrics.recordRedisError()); // a new outage, logged again
        QVERIFY(!metrics.recordRedisError());
        QCOMPARE(metrics.recordRedisWriteOk(), 2u);
        QCOMPARE(metrics.counters().redisErrors, 3u); // the counter keeps the whole history
    }
};

QTEST_GUILESS_MAIN(TestReceiverMetrics)
#include "tst_receivermetrics.moc"
