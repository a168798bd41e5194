// SPDX-License-Identifier: MIT
#include "core/queue/queuekeys.h"
#include "core/redis/redisconnection.h"
#include "core/redis/redisreply.h"
#include "core/trends/trendreader.h"
#include "core/trends/trendrecorder.h"
#include "tests/support/redisserver.h"

#include <QDateTime>
#include <QSignalSpy>
#include <QTest>

#include <memory>

#include <signal.h>

using namespace redrive::core;
using redrive::tests::RedisServer;

namespace {

// One process' counters as the engine would report them, driven by the test.
struct Writer
{
    std::unique_ptr<RedisConnection> connection;
    std::unique_ptr<TrendRecorder> recorder;
    TrendTotals totals {};
    TrendRecorder::Gauges gauges;
    qint64 nowMs = 0;

    void add(TrendCounter counter, quint64 count) { totals[size_t(counter)] += count; }
};

} // namespace

class TestTrendCounters : public QObject
{
    Q_OBJECT

private:
    RedisServer m_redis;
    QueueKeys m_keys;
    std::unique_ptr<RedisConnection> m_reader;

    std::unique_ptr<RedisConnection> connect()
    {
        RedisEndpoint endpoint;
        QString error;
        if (!RedisEndpoint::parse(m_redis.url(), &endpoint, &error))
            return {};
        auto connection = std::make_unique<RedisConnection>(endpoint, QStringLiteral("test"));
        connection->setReconnectDelays(20, 200);
        QSignalSpy ready(connection.get(), &RedisConnection::ready);
        connection->open();
        if (!ready.wait(10000))
            return {};
        return connection;
    }

    std::unique_ptr<Writer> makeWriter(qint64 nowMs)
    {
        auto writer = std::make_unique<Writer>();
        writer->connection = connect();
        if (!writer->connection)
            return {};
        writer->nowMs = nowMs;
        writer->recorder = std::make_unique<TrendRecorder>(writer->connection.get(), m_keys);
        Writer *raw = writer.get();
        writer->recorder->setSource([raw] { return raw->totals; });
        writer->recorder->setGaugeSource([raw] { return raw->gauges; });
        writer->recorder->setClock([raw] { return raw->nowMs; });
        writer->recorder->setFlushInterval(3600 * 1000); // flushed by the test
        writer->recorder->start();
        return writer;
    }

    // Flushes until Redis confirmed everything gathered (a failed flush is sent again).
    static bool flushAll(Writer &writer)
    {
        QSignalSpy flushed(writer.recorder.get(), &TrendRecorder::flushed);
        writer.recorder->flush();
        return QTest::qWaitFor(
            [&] {
                if (!writer.recorder->hasUnsent())
                    return true;
                if (flushed.isEmpty())
                    writer.recorder->flush(); // no-op while a batch is on its way
                flushed.clear();
                return false;
            },
            30000);
    }

    TrendSeries read(TrendRange range, qint64 nowMs)
    {
        TrendSeries result;
        bool done = false;
        TrendReader::read(m_reader.get(), m_keys, range, nowMs, this,
                          [&](const TrendSeries &series) {
                              result = series;
                              done = true;
                          });
        if (!QTest::qWaitFor([&] { return done; }, 30000))
            result.error = QStringLiteral("no answer");
        return result;
    }

    static qint64 minuteOf(qint64 ms) { return ms - ms % TrendKeys::MinuteMs; }

private Q_SLOTS:
    void initTestCase()
    {
        m_keys.prefix = "{genesys}:webhook_dlq:";
        QVERIFY2(m_redis.start(), qPrintable(m_redis.errorString()));
        m_reader = connect();
        QVERIFY(m_reader);
    }
    void init() { m_redis.flushAll(); }

    void twoWritersAddUp()
    {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const qint64 tenMinutesAgo = minuteOf(now) - 10 * TrendKeys::MinuteMs + 5000;
        auto first = makeWriter(tenMinutesAgo);
        auto second = makeWriter(tenMinutesAgo);
        QVERIFY(first && second);
        // Counts from before start() are not this minute's: the first reading is the baseline.
        first->add(TrendCounter::Received, 1000);
        first->recorder->start();

        first->add(TrendCounter::Received, 5);
        first->add(TrendCounter::Deferred, 2);
        first->gauges = { true, 40, 3 };
        second->add(TrendCounter::Received, 7);
        second->add(TrendCounter::Unavailable, 1);
        QVERIFY(flushAll(*first));
        QVERIFY(flushAll(*second));
        // Later minute: more counts, a new sample of the lengths.
        first->nowMs += 3 * TrendKeys::MinuteMs;
        second->nowMs += 3 * TrendKeys::MinuteMs;
        first->add(TrendCounter::Received, 10);
        first->add(TrendCounter::Retried, 4);
        first->gauges = { true, 36, 4 };
        second->add(TrendCounter::Received, 1);
        second->add(TrendCounter::Permanent, 2);
        QVERIFY(flushAll(*first));
        QVERIFY(flushAll(*second));
        // Nothing new: nothing sent, nothing changes.
        QVERIFY(flushAll(*first));

        const TrendSeries hour = read(TrendRange::Hour, now);
        QVERIFY2(hour.ok(), qPrintable(hour.error));
        QCOMPARE(hour.bucketCount, 60);
        QCOMPARE(hour.total(TrendCounter::Received), 23);
        QCOMPARE(hour.total(TrendCounter::Deferred), 2);
        QCOMPARE(hour.total(TrendCounter::Retried), 4);
        QCOMPARE(hour.total(TrendCounter::Permanent), 2);
        QCOMPARE(hour.total(TrendCounter::Unavailable), 1);
        QCOMPARE(hour.total(TrendCounter::Forwarded), 0);
        const int firstBucket = int((minuteOf(tenMinutesAgo) - hour.startMs) / hour.bucketMs);
        QCOMPARE(hour.values(TrendCounter::Received)[firstBucket], 12);
        QCOMPARE(hour.values(TrendCounter::Received)[firstBucket + 3], 11);
        QCOMPARE(hour.values(TrendGauge::DlqLength)[firstBucket], 40);
        QCOMPARE(hour.values(TrendGauge::DlqLength)[firstBucket + 3], 36);
        QCOMPARE(hour.values(TrendGauge::DlqLength)[firstBucket + 1], -1);

        // 24 h and 7 days see the same counts (from the minutes, from the hourly roll-up).
        const TrendSeries day = read(TrendRange::Day, now);
        QVERIFY2(day.ok(), qPrintable(day.error));
        QCOMPARE(day.bucketCount, 96);
        QCOMPARE(day.total(TrendCounter::Received), 23);
        const TrendSeries week = read(TrendRange::Week, now);
        QVERIFY2(week.ok(), qPrintable(week.error));
        QCOMPARE(week.bucketCount, 168);
        QCOMPARE(week.total(TrendCounter::Received), 23);
        QCOMPARE(week.total(TrendCounter::Retried), 4);
        // The hour's gauge is the latest minute's sample (36 unless the hour turned in between).
        const qint64 lastDlq = week.values(TrendGauge::DlqLength).last();
        QVERIFY2(lastDlq == 36 || lastDlq == -1 || lastDlq == 40, qPrintable(QString::number(lastDlq)));

        // Every key is under the prefix (Redis Cluster keeps them in the DLQ's slot).
        const QVariant keys = m_redis.command({ "KEYS", "*" });
        QVERIFY(!keys.toList().isEmpty());
        for (const QVariant &key : keys.toList())
            QVERIFY2(key.toByteArray().startsWith(m_keys.prefix + "trends:"),
                     key.toByteArray().constData());
    }

    void bucketsAreBounded()
    {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        // Written ten days late (a process whose counts waited out a long outage): gone.
        auto old = makeWriter(now - 10 * TrendKeys::DayMs);
        QVERIFY(old);
        old->add(TrendCounter::Received, 3);
        QVERIFY(flushAll(*old));
        QCOMPARE(m_redis.command({ "EXISTS", TrendKeys::minuteKey(m_keys, old->nowMs) }).toInt(),
                 0);
        QCOMPARE(m_redis.command({ "EXISTS", TrendKeys::hourKey(m_keys, old->nowMs) }).toInt(), 0);

        auto current = makeWriter(now);
        QVERIFY(current);
        current->add(TrendCounter::Received, 3);
        QVERIFY(flushAll(*current));
        const qint64 minuteTtl
            = m_redis.command({ "PTTL", TrendKeys::minuteKey(m_keys, now) }).toLongLong();
        QVERIFY2(minuteTtl > TrendKeys::MinuteRetentionMs - 60000
                     && minuteTtl <= TrendKeys::MinuteRetentionMs + TrendKeys::HourMs,
                 qPrintable(QString::number(minuteTtl)));
        const qint64 hourTtl
            = m_redis.command({ "PTTL", TrendKeys::hourKey(m_keys, now) }).toLongLong();
        QVERIFY2(hourTtl > TrendKeys::HourRetentionMs - 60000
                     && hourTtl <= TrendKeys::HourRetentionMs + TrendKeys::DayMs,
                 qPrintable(QString::number(hourTtl)));
        const qint64 markTtl = m_redis
                                   .command({ "PTTL",
                                              TrendKeys::writerKey(m_keys,
                                                                   current->recorder->writerId()) })
                                   .toLongLong();
        QVERIFY(markTtl > 0 && markTtl <= TrendKeys::WriterMarkMs);
        // A minute hash holds at most 60 minutes of 9 fields, whatever the number of flushes.
        for (int i = 0; i < 200; ++i) {
            current->nowMs = minuteOf(now) + (i % 60) * 1000;
            current->add(TrendCounter::Forwarded, 1);
            current->gauges = { true, i, 0 };
            QVERIFY(flushAll(*current));
        }
        QVERIFY(m_redis.command({ "HLEN", TrendKeys::minuteKey(m_keys, now) }).toInt() <= 9);
        QCOMPARE(read(TrendRange::Hour, now).total(TrendCounter::Forwarded), 200);
    }

    void failedFlushIsSentAgain()
    {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        auto writer = makeWriter(now);
        QVERIFY(writer);
        QSignalSpy failed(writer->recorder.get(), &TrendRecorder::flushFailed);
        m_redis.stop();
        writer->add(TrendCounter::Received, 6);
        writer->recorder->flush();
        QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), 30000);
        QVERIFY(writer->recorder->hasUnsent());
        writer->add(TrendCounter::Received, 4); // gathered while the first batch waits
        writer->recorder->flush();
        QVERIFY(m_redis.start());
        QVERIFY(flushAll(*writer));
        QVERIFY(writer->recorder->flushesFailed() >= 1);
        m_reader = connect();
        QVERIFY(m_reader);
        QCOMPARE(read(TrendRange::Hour, now).total(TrendCounter::Received), 10);
    }

    void lostAnswerIsNotCountedTwice()
    {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        auto writer = makeWriter(now);
        QVERIFY(writer);
        writer->connection->setReplyTimeout(300);
        QSignalSpy failed(writer->recorder.get(), &TrendRecorder::flushFailed);
        // Redis stalls with the batch in its socket: the writer gives up on the answer, then
        // Redis runs the script anyway. The batch sent again must not count a second time.
        const qint64 pid = m_redis.pid();
        QVERIFY(pid > 0);
        QCOMPARE(::kill(pid_t(pid), SIGSTOP), 0);
        writer->add(TrendCounter::Deferred, 9);
        writer->recorder->flush();
        QTRY_VERIFY_WITH_TIMEOUT(!failed.isEmpty(), 30000);
        QCOMPARE(::kill(pid_t(pid), SIGCONT), 0);
        // The first sending was applied: the writer's mark says batch 1.
        const QByteArray mark = TrendKeys::writerKey(m_keys, writer->recorder->writerId());
        QTRY_COMPARE_WITH_TIMEOUT(m_redis.command({ "GET", mark }).toByteArray(),
                                  QByteArray("1"), 30000);
        QVERIFY(writer->recorder->hasUnsent());
        QVERIFY(flushAll(*writer));
        QCOMPARE(read(TrendRange::Hour, now).total(TrendCounter::Deferred), 9);
    }
};

QTEST_GUILESS_MAIN(TestTrendCounters)
#include "tst_trendcounters.moc"
