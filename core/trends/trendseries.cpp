// SPDX-License-Identifier: MIT
#include "core/trends/trendseries.h"

#include <QDateTime>

namespace redrive::core {

namespace {
QByteArray utcStamp(qint64 ms, const QString &format)
{
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(format).toLatin1();
}
} // namespace

QByteArray trendCounterName(TrendCounter counter)
{
    switch (counter) {
    case TrendCounter::Received:
        return QByteArrayLiteral("received");
    case TrendCounter::Forwarded:
        return QByteArrayLiteral("forwarded");
    case TrendCounter::Deferred:
        return QByteArrayLiteral("deferred");
    case TrendCounter::Retried:
        return QByteArrayLiteral("retried");
    case TrendCounter::Permanent:
        return QByteArrayLiteral("permanent");
    case TrendCounter::Rejected:
        return QByteArrayLiteral("rejected");
    case TrendCounter::Unavailable:
        return QByteArrayLiteral("unavailable");
    }
    return {};
}

QByteArray trendGaugeName(TrendGauge gauge)
{
    return gauge == TrendGauge::DlqLength ? QByteArrayLiteral("dlq_length")
                                          : QByteArrayLiteral("permanent_length");
}

QByteArray TrendKeys::minuteKey(const QueueKeys &keys, qint64 ms)
{
    return keys.prefix + "trends:m:" + utcStamp(ms, QStringLiteral("yyyyMMddHH"));
}

QByteArray TrendKeys::hourKey(const QueueKeys &keys, qint64 ms)
{
    return keys.prefix + "trends:h:" + utcStamp(ms, QStringLiteral("yyyyMMdd"));
}

QByteArray TrendKeys::writerKey(const QueueKeys &keys, const QByteArray &writer)
{
    return keys.prefix + "trends:seq:" + writer;
}

QByteArray TrendKeys::field(const QByteArray &name, int index)
{
    return name + ':' + QByteArray::number(index);
}

qint64 TrendSeries::total(TrendCounter counter) const
{
    qint64 sum = 0;
    for (qint64 value : values(counter))
        sum += value;
    return sum;
}

TrendSeries TrendSeries::empty(TrendRange range, qint64 nowMs)
{
    TrendSeries series;
    series.range = range;
    switch (range) {
    case TrendRange::Hour:
        series.bucketMs = TrendKeys::MinuteMs;
        series.bucketCount = 60;
        break;
    case TrendRange::Day:
        series.bucketMs = 15 * TrendKeys::MinuteMs;
        series.bucketCount = 96;
        break;
    case TrendRange::Week:
        series.bucketMs = TrendKeys::HourMs;
        series.bucketCount = 168;
        break;
    }
    const qint64 current = nowMs - nowMs % series.bucketMs;
    series.startMs = current - (series.bucketCount - 1) * series.bucketMs;
    for (QList<qint64> &values : series.counters)
        values = QList<qint64>(series.bucketCount, 0);
    for (QList<qint64> &values : series.gauges)
        values = QList<qint64>(series.bucketCount, -1);
    return series;
}

} // namespace redrive::core
