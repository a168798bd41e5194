// SPDX-License-Identifier: MIT
#pragma once

#include "core/queue/queuekeys.h"

#include <QByteArray>
#include <QList>
#include <QMetaType>
#include <QString>

#include <array>

namespace redrive::core {

// What the trend counters count, per minute, summed over every Redrive process on one Redis.
enum class TrendCounter {
    Received, // requests to the webhook path (answered or refused)
    Forwarded, // handed to the downstream on arrival
    Deferred, // stored in the dead-letter queue on arrival
    Retried, // delivered by a retry (the retry worker)
    Permanent, // made permanent failures (on arrival, after the last retry, or set aside)
    Rejected, // refused requests (400, 401, 413, ...)
    Unavailable, // answered 503 (Redis could not take the entry)
};
inline constexpr int TrendCounterCount = 7;

// Sampled, not counted: the lists' lengths at the end of each minute.
enum class TrendGauge { DlqLength, PermanentLength };
inline constexpr int TrendGaugeCount = 2;

// A process' counts since it started: what TrendRecorder turns into per-minute deltas.
using TrendTotals = std::array<quint64, TrendCounterCount>;

// The field name in Redis ("received", "dlq", ...).
QByteArray trendCounterName(TrendCounter counter);
QByteArray trendGaugeName(TrendGauge gauge);

// The keys (all under the queue's prefix, so they keep its Redis Cluster hash tag), UTC:
//   <prefix>trends:m:<yyyyMMddHH>  HASH "<name>:<minute>" -> count, per minute of that hour;
//                                  expires MinuteRetentionMs after the hour ends
//   <prefix>trends:h:<yyyyMMdd>    HASH "<name>:<hour>" -> count, per hour of that day (the sum
//                                  of the minutes; gauges: the last sample); HourRetentionMs
//   <prefix>trends:seq:<writer>    the last batch of writer <writer> applied (a flush sent again
//                                  after a lost answer is not counted twice); a day
struct TrendKeys
{
    static constexpr qint64 MinuteMs = 60 * 1000;
    static constexpr qint64 HourMs = 60 * MinuteMs;
    static constexpr qint64 DayMs = 24 * HourMs;
    static constexpr qint64 MinuteRetentionMs = 7 * DayMs;
    static constexpr qint64 HourRetentionMs = 8 * DayMs;
    static constexpr qint64 WriterMarkMs = DayMs;

    static QByteArray minuteKey(const QueueKeys &keys, qint64 ms);
    static QByteArray hourKey(const QueueKeys &keys, qint64 ms);
    static QByteArray writerKey(const QueueKeys &keys, const QByteArray &writer);
    // "received:17": field `name` of minute (or hour) `index` within its hash.
    static QByteArray field(const QByteArray &name, int index);
};

enum class TrendRange { Hour, Day, Week };

// Counts of one range in equal buckets, oldest first: the last hour per minute (60), the last
// 24 hours per 15 minutes (96), the last 7 days per hour (168). The last bucket is the one that
// holds `endMs` (still filling).
struct TrendSeries
{
    TrendRange range = TrendRange::Hour;
    qint64 startMs = 0; // start of the first bucket (UTC ms)
    qint64 bucketMs = TrendKeys::MinuteMs;
    int bucketCount = 0;
    std::array<QList<qint64>, TrendCounterCount> counters;
    // The last sample within each bucket; -1 where none was taken.
    std::array<QList<qint64>, TrendGaugeCount> gauges;
    QString error; // empty when read

    bool ok() const { return error.isEmpty(); }
    const QList<qint64> &values(TrendCounter counter) const
    {
        return counters[size_t(counter)];
    }
    const QList<qint64> &values(TrendGauge gauge) const { return gauges[size_t(gauge)]; }
    qint64 total(TrendCounter counter) const;
    // The bucket layout of `range` for a reading at `nowMs`, every value 0 (gauges -1).
    static TrendSeries empty(TrendRange range, qint64 nowMs);
};

} // namespace redrive::core

Q_DECLARE_METATYPE(redrive::core::TrendSeries)
