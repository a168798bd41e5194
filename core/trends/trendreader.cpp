// SPDX-License-Identifier: MIT
#include "core/trends/trendreader.h"

#include "core/redis/redisconnection.h"
#include "core/redis/redisreply.h"

#include <QHash>

#include <memory>

namespace redrive::core {

namespace {

// The gauges' sample wins when it is later than the one already in the bucket.
struct Reading
{
    TrendSeries series;
    std::array<QList<qint64>, TrendGaugeCount> sampledAt; // ms of the sample kept per bucket
    int waiting = 0;
};

// Counter or gauge index by field name; -1 if neither.
int counterIndex(QByteArrayView name)
{
    for (int i = 0; i < TrendCounterCount; ++i) {
        if (trendCounterName(TrendCounter(i)) == name)
            return i;
    }
    return -1;
}

int gaugeIndex(QByteArrayView name)
{
    for (int i = 0; i < TrendGaugeCount; ++i) {
        if (trendGaugeName(TrendGauge(i)) == name)
            return i;
    }
    return -1;
}

// Adds one hash (its period starts at `baseMs`, fields indexed in steps of `stepMs`).
void addHash(Reading &reading, const RedisReply &reply, qint64 baseMs, qint64 stepMs)
{
    TrendSeries &series = reading.series;
    const QList<RedisReply> &items = reply.elements();
    for (qsizetype i = 0; i + 1 < items.size(); i += 2) {
        const QByteArray &field = items[i].bytes();
        const qsizetype colon = field.lastIndexOf(':');
        if (colon <= 0)
            continue;
        bool ok = false;
        const int index = field.mid(colon + 1).toInt(&ok);
        const qint64 value = items[i + 1].bytes().toLongLong();
        if (!ok || index < 0)
            continue;
        const qint64 at = baseMs + index * stepMs;
        if (at < series.startMs)
            continue;
        const qint64 bucket = (at - series.startMs) / series.bucketMs;
        if (bucket >= series.bucketCount)
            continue;
        const QByteArrayView name = QByteArrayView(field).first(colon);
        const int counter = counterIndex(name);
        if (counter >= 0) {
            series.counters[size_t(counter)][bucket] += value;
            continue;
        }
        const int gauge = gaugeIndex(name);
        if (gauge >= 0 && at >= reading.sampledAt[size_t(gauge)][bucket]) {
            reading.sampledAt[size_t(gauge)][bucket] = at;
            series.gauges[size_t(gauge)][bucket] = value;
        }
    }
}

} // namespace

void TrendReader::read(RedisConnection *redis, const QueueKeys &keys, TrendRange range,
                       qint64 nowMs, const QObject *context,
                       std::function<void(const TrendSeries &)> done)
{
    auto reading = std::make_shared<Reading>();
    reading->series = TrendSeries::empty(range, nowMs);
    for (QList<qint64> &at : reading->sampledAt)
        at = QList<qint64>(reading->series.bucketCount, -1);
    const qint64 endMs = reading->series.startMs
        + qint64(reading->series.bucketCount) * reading->series.bucketMs;
    const bool hourly = range == TrendRange::Week;
    const qint64 periodMs = hourly ? TrendKeys::DayMs : TrendKeys::HourMs;
    const qint64 stepMs = hourly ? TrendKeys::HourMs : TrendKeys::MinuteMs;
    QList<qint64> periods;
    for (qint64 at = reading->series.startMs - reading->series.startMs % periodMs; at < endMs;
         at += periodMs)
        periods.append(at);
    reading->waiting = int(periods.size());
    if (!redis) {
        reading->series.error = QStringLiteral("not connected");
        done(reading->series);
        return;
    }
    for (qint64 base : periods) {
        const QByteArray key
            = hourly ? TrendKeys::hourKey(keys, base) : TrendKeys::minuteKey(keys, base);
        redis->command({ QByteArrayLiteral("HGETALL"), key }, context,
                       [reading, base, stepMs, done](const RedisReply &reply) {
                           if (reply.isError()) {
                               if (reading->series.error.isEmpty())
                                   reading->series.error = reply.errorText();
                           } else {
                               addHash(*reading, reply, base, stepMs);
                           }
                           if (--reading->waiting == 0)
                               done(reading->series);
                       });
    }
}

} // namespace redrive::core
