// SPDX-License-Identifier: MIT
#include "core/queue/entrywriter.h"
#include "core/queue/queuekeys.h"
#include "core/redis/redisconnection.h"
#include "core/triage/failuregroupscan.h"
#include "core/triage/failuregrouptracker.h"
#include "tests/support/redisserver.h"
#include "tests/support/redissync.h"
#include "tests/support/testenv.h"

#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace redrive::core;
using redrive::tests::RedisServer;

namespace {

QByteArray entry(const QString &error, int status, int n)
{
    EntryWriter::Fields fields;
    fields.payload
        = QStringLiteral("{\"topicName\":\"v2.users.%1.presence\",\"n\":%2}")
              .arg(QStringLiteral("00000000-0000-4000-8000-%1").arg(n, 12, 10, QLatin1Char('0')))
              .arg(n)
              .toUtf8();
    fields.payloadCompact = true;
    fields.errorMessage = error;
    fields.statusCode = status;
    fields.source = QStringLiteral("receiver");
    fields.id = QStringLiteral("e-%1").arg(n);
    fields.receivedAtMs = QDateTime::currentMSecsSinceEpoch() - n;
    fields.nowMs = fields.receivedAtMs;
    return EntryWriter::write(fields);
}

QByteArray tutorialEntry(int n)
{
    return "{\"original_payload\": {\"topicName\": \"v2.detail.events.conversation."
        + QByteArray::number(10000000 + n)
        + ".customer.start\"}, \"error_message\": \"Simulated Database Connection Timeout\", "
          "\"status_code\": 500, \"timestamp\": \"2026-12-02T05:31:49.123456\", "
          "\"retry_count\": 0}";
}

const QString Http503 = QStringLiteral("HTTP 503 · v2.users.{id}.presence");
const QString Timeout = QStringLiteral("Timeout · v2.users.{id}.presence");
const QString Tutorial = QStringLiteral("500 · Simulated Database Connection Timeout · "
                                        "v2.detail.events.conversation.{id}.customer.start");

qint64 countOf(const FailureGroups &groups, const QString &title)
{
    for (const FailureGroup &group : groups.groups) {
        if (group.title == title)
            return group.count;
    }
    return 0;
}

} // namespace

class TestFailureGroupScan : public QObject
{
    Q_OBJECT

private:
    RedisServer m_redis;
    std::unique_ptr<RedisConnection> m_connection;
    QueueKeys m_keys;

    bool connectRedis()
    {
        m_connection = redrive::tests::connectRedis(redrive::tests::endpointOf(m_redis.url()));
        return m_connection != nullptr;
    }

    // Pushes in one pipeline of RPUSHes (oldest at the right end as LPUSH would leave them).
    void fill(const QList<QByteArray> &elements)
    {
        for (qsizetype i = 0; i < elements.size(); i += 500) {
            QList<QByteArray> args { QByteArrayLiteral("RPUSH"), m_keys.dlq };
            args += elements.mid(i, 500);
            m_redis.command(args);
        }
    }

    // 3,000 HTTP 503, 1,500 timeouts, 200 tutorial entries, 7 garbage, interleaved.
    QList<QByteArray> mixedList()
    {
        QList<QByteArray> elements;
        for (int i = 0; i < 3000; ++i) {
            elements.append(
                entry(QStringLiteral("downstream answered 503: busy %1").arg(i), 503, i));
            if (i % 2 == 0)
                elements.append(
                    entry(QStringLiteral("downstream timed out after 5000 ms"), 504, 100000 + i));
            if (i % 15 == 0)
                elements.append(tutorialEntry(i));
            if (i % 500 == 0)
                elements.append(i % 1000 ? QByteArrayLiteral("[\"json, no entry\"]")
                                         : "not json " + QByteArray::number(i));
        }
        elements.append("not json at the very end");
        return elements;
    }

    FailureGroups runScan(FailureGroupScan &scan)
    {
        QSignalSpy finished(&scan, &FailureGroupScan::finished);
        scan.start();
        [&] { QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 120000); }();
        return finished.isEmpty() ? FailureGroups()
                                  : finished.first().first().value<FailureGroups>();
    }

private Q_SLOTS:
    void initTestCase()
    {
        qRegisterMetaType<FailureGroups>();
        QVERIFY2(m_redis.start(), qPrintable(m_redis.errorString()));
        QVERIFY(connectRedis());
    }
    void init()
    {
        if (!m_redis.isRunning()) {
            QVERIFY(m_redis.start());
            QVERIFY(connectRedis());
        }
        m_redis.flushAll();
    }

    void emptyAndMissingList()
    {
        FailureGroupScan scan(m_connection.get(), m_keys.dlq);
        const FailureGroups result = runScan(scan);
        QVERIFY2(result.ok(), qPrintable(result.error));
        QCOMPARE(result.scanned, 0);
        QVERIFY(result.groups.isEmpty());
    }

    void countsAMixedListExactly()
    {
        const QList<QByteArray> elements = mixedList();
        fill(elements);
        FailureGroupScan scan(m_connection.get(), m_keys.dlq);
        scan.setWindowBytes(64 * 1024); // many windows
        QSignalSpy progress(&scan, &FailureGroupScan::progress);
        const FailureGroups result = runScan(scan);
        QVERIFY2(result.ok(), qPrintable(result.error));
        QVERIFY(!result.approximate);
        QCOMPARE(result.scanned, elements.size());
        QCOMPARE(result.length, elements.size());
        QVERIFY(result.windows > 10);
        QVERIFY(progress.size() >= 10);
        QCOMPARE(progress.last().at(0).toLongLong(), elements.size());
        QCOMPARE(countOf(result, Http503), 3000);
        QCOMPARE(countOf(result, Timeout), 1500);
        QCOMPARE(countOf(result, Tutorial), 200);
        QCOMPARE(countOf(result, QStringLiteral("Not JSON")), 4);
        QCOMPARE(countOf(result, QStringLiteral("JSON, not an entry")), 3);
        QCOMPARE(result.groups.size(), 5);
        QCOMPARE(result.groups.first().title, Http503);
        QCOMPARE(result.groups.first().exampleId, QStringLiteral("e-0")); // the newest
        double shares = 0;
        for (const FailureGroup &group : result.groups)
            shares += group.share;
        QVERIFY(qAbs(shares - 1.0) < 1e-9);
    }

    // The receiver pushes at the new end and the worker takes from the old end while the scan
    // runs: what was there all along is counted once, nothing twice.
    void followsPushesAndTailRemovals()
    {
        QList<QByteArray> elements = mixedList();
        for (int i = 0; i < 50; ++i) // the oldest: what the worker takes meanwhile
            elements.append("old garbage " + QByteArray::number(i));
        fill(elements);
        FailureGroupScan scan(m_connection.get(), m_keys.dlq);
        scan.setWindowBytes(16 * 1024); // ~100 windows
        int round = 0;
        qint64 removed = 0;
        connect(&scan, &FailureGroupScan::progress, this, [&] {
            ++round;
            // A few new entries of their own group at the head ...
            QList<QByteArray> args { QByteArrayLiteral("LPUSH"), m_keys.dlq };
            // (At most 8 a window, 16 between two windows in flight: fewer than the smallest
            // window, so the scan always finds its place again.)
            for (int i = 0; i < 1 + round % 8; ++i)
                args.append(entry(QStringLiteral("downstream answered 502"), 502, 900000 + i));
            m_redis.command(args);
            // ... and, every other window of the first 60, the worker's claim of the oldest
            // element (long before the scan reaches the old end).
            if (round % 2 == 0 && round <= 60) {
                m_redis.command({ QByteArrayLiteral("RPOP"), m_keys.dlq });
                ++removed;
            }
        });
        const FailureGroups result = runScan(scan);
        QVERIFY2(result.ok(), qPrintable(result.error));
        QVERIFY(round > 80);
        QVERIFY(!result.approximate);
        // None of the new entries: they came after the scan started.
        QCOMPARE(countOf(result, QStringLiteral("HTTP 502 · v2.users.{id}.presence")), 0);
        QCOMPARE(countOf(result, Timeout), 1500);
        QCOMPARE(countOf(result, Tutorial), 200);
        QCOMPARE(countOf(result, Http503), 3000);
        QCOMPARE(countOf(result, QStringLiteral("JSON, not an entry")), 3);
        // The oldest elements were taken before the scan reached them: never counted twice.
        QVERIFY(removed > 10);
        QCOMPARE(countOf(result, QStringLiteral("Not JSON")), 4 + 50 - removed);
        QCOMPARE(result.scanned, elements.size() - removed);
    }

    void cancel()
    {
        fill(mixedList());
        FailureGroupScan scan(m_connection.get(), m_keys.dlq);
        scan.setWindowBytes(16 * 1024);
        connect(&scan, &FailureGroupScan::progress, &scan, &FailureGroupScan::cancel);
        const FailureGroups result = runScan(scan);
        QCOMPARE(result.code, QueueError::Cancelled);
        QVERIFY(!result.error.isEmpty());
        QVERIFY(result.scanned > 0);
        QVERIFY(result.scanned < 1000);
        QVERIFY(!scan.isRunning());
        // The same object scans again afterwards.
        disconnect(&scan, &FailureGroupScan::progress, &scan, &FailureGroupScan::cancel);
        const FailureGroups again = runScan(scan);
        QVERIFY(again.ok());
        QCOMPARE(again.scanned, m_redis.llen(m_keys.dlq));
    }

    void redisKilledMidScan()
    {
        fill(mixedList());
        FailureGroupScan scan(m_connection.get(), m_keys.dlq);
        scan.setWindowBytes(16 * 1024);
        connect(&scan, &FailureGroupScan::progress, this, [&] {
            if (m_redis.isRunning())
                m_redis.kill();
        });
        const FailureGroups result = runScan(scan);
        QCOMPARE(result.code, QueueError::Redis);
        QVERIFY2(result.error.startsWith(QLatin1String("Reading the list failed: ")),
                 qPrintable(result.error));
        QVERIFY(result.error.size() > 30); // with the reason
        QVERIFY(result.scanned > 0);
        QVERIFY(!scan.isRunning());
    }

    void wrongType()
    {
        m_redis.command({ QByteArrayLiteral("SET"), m_keys.dlq, QByteArrayLiteral("x") });
        FailureGroupScan scan(m_connection.get(), m_keys.dlq);
        const FailureGroups result = runScan(scan);
        QCOMPARE(result.code, QueueError::Redis);
        QVERIFY2(result.error.contains(QLatin1String("WRONGTYPE")), qPrintable(result.error));
    }

    void trackerFollowsChanges()
    {
        fill({ entry(QStringLiteral("downstream answered 503"), 503, 1), tutorialEntry(2) });
        FailureGroupTracker tracker(m_connection.get(), m_keys.dlq);
        tracker.setMinInterval(0);
        QSignalSpy updated(&tracker, &FailureGroupTracker::updated);
        QSignalSpy appeared(&tracker, &FailureGroupTracker::groupsAppeared);
        tracker.start();
        QTRY_COMPARE_WITH_TIMEOUT(updated.size(), 1, 30000);
        QCOMPARE(tracker.groups().scanned, 2);
        QVERIFY(tracker.hasGroups());
        QCOMPARE(appeared.size(), 0); // the first scan finds, it does not announce
        // Changes in a burst: coalesced into scans that end with every entry counted.
        for (int i = 0; i < 50; ++i) {
            m_redis.lpush(m_keys.dlq,
                          entry(QStringLiteral("downstream timed out after 10 ms"), 504, 10 + i));
            tracker.listChanged();
        }
        QTRY_VERIFY_WITH_TIMEOUT(!tracker.isScanning() && tracker.groups().scanned == 52, 30000);
        QVERIFY(updated.size() < 50);
        QCOMPARE(countOf(tracker.groups(), Timeout), 50);
        QCOMPARE(appeared.size(), 1); // the timeouts, once
        const QStringList ids = appeared.first().first().toStringList();
        QCOMPARE(ids.size(), 1);
        QCOMPARE(tracker.groups().find(ids.first())->title, Timeout);
        // Redis away: failed(), the last groups kept; back: counted again without a change.
        QSignalSpy failed(&tracker, &FailureGroupTracker::failed);
        tracker.setRetryInterval(200);
        m_redis.kill();
        tracker.listChanged();
        QTRY_VERIFY_WITH_TIMEOUT(failed.size() >= 1, 30000);
        QCOMPARE(tracker.groups().scanned, 52);
        QVERIFY(m_redis.start());
        m_redis.lpush(m_keys.dlq, tutorialEntry(3));
        QTRY_VERIFY_WITH_TIMEOUT(tracker.groups().scanned == 1, 30000);
        tracker.stop();
    }
};

QTEST_GUILESS_MAIN(TestFailureGroupScan)
#include "tst_failuregroupscan.moc"
