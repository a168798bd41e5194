// SPDX-License-Identifier: MIT
#include "core/trends/trendrecorder.h"

#include "core/queue/queuescript.h"
#include "core/redis/redisconnection.h"
#include "core/redis/redisreply.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QRandomGenerator>

namespace redrive::core {

Q_LOGGING_CATEGORY(lcTrends, "redrive.trends")

namespace {

// KEYS[1]: the writer's mark (last batch applied); KEYS[2..]: the hashes to write.
// ARGV[1]: the batch's sequence number; ARGV[2]: the mark's lifetime (ms); then for each hash:
// its expiry (unix ms), the number of operations, and per operation "i"/"s", field, value
// (HINCRBY / HSET). A batch at or below the mark was applied already: nothing is written.
constexpr QByteArrayView FlushScript = R"lua(
local last = tonumber(redis.call('GET', KEYS[1]) or '0')
local seq = tonumber(ARGV[1])
if seq <= last then return 0 end
local a = 3
for k = 2, #KEYS do
  local expireAt = ARGV[a]
  local n = tonumber(ARGV[a + 1])
  a = a + 2
  for j = 1, n do
    if ARGV[a] == 'i' then
      redis.call('HINCRBY', KEYS[k], ARGV[a + 1], ARGV[a + 2])
    else
      redis.call('HSET', KEYS[k], ARGV[a + 1], ARGV[a + 2])
    end
    a = a + 3
  end
  redis.call('PEXPIREAT', KEYS[k], expireAt)
end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
)lua";

struct HashWrite
{
    qint64 expireAt = 0;
    QList<QByteArray> ops; // triples
    // Hour hashes: the gauges' last sample of the hour wins, i.e. that of the latest minute.
};

} // namespace

bool TrendRecorder::Minute::isEmpty() const
{
    if (gauges.known)
        return false;
    for (qint64 count : counts) {
        if (count != 0)
            return false;
    }
    return true;
}

TrendRecorder::TrendRecorder(RedisConnection *redis, const QueueKeys &keys, QObject *parent)
    : QObject(parent)
    , m_redis(redis)
    , m_keys(keys)
    , m_clock([] { return QDateTime::currentMSecsSinceEpoch(); })
{
    m_writer = QByteArray::number(QRandomGenerator::system()->generate64(), 16);
    m_timer.setInterval(DefaultFlushMs);
    connect(&m_timer, &QTimer::timeout, this, &TrendRecorder::flush);
}

TrendRecorder::~TrendRecorder() = default;

void TrendRecorder::setFlushInterval(int milliseconds)
{
    m_timer.setInterval(qMax(10, milliseconds));
}

void TrendRecorder::start()
{
    if (m_source)
        m_last = m_source();
    m_started = true;
    m_timer.start();
}

void TrendRecorder::stop()
{
    m_timer.stop();
}

void TrendRecorder::gather()
{
    const qint64 now = m_clock();
    Minute reading;
    if (m_source) {
        const TrendTotals totals = m_source();
        for (int i = 0; i < TrendCounterCount; ++i) {
            // A total below the last reading: its source started over (a receiver made anew).
            const quint64 delta = totals[i] >= m_last[i] ? totals[i] - m_last[i] : totals[i];
            reading.counts[i] = qint64(delta);
        }
        m_last = totals;
    }
    if (m_gauges) {
        // Sampled once a minute, and again when the lengths changed within it.
        const Gauges gauges = m_gauges();
        const qint64 minuteMs = now - now % TrendKeys::MinuteMs;
        if (gauges.known
            && (minuteMs != m_gaugeMinute || gauges.dlq != m_lastGauges.dlq
                || gauges.permanent != m_lastGauges.permanent)) {
            reading.gauges = gauges;
            m_gaugeMinute = minuteMs;
            m_lastGauges = gauges;
        }
    }
    if (reading.isEmpty())
        return;
    Minute &minute = m_gathered[now - now % TrendKeys::MinuteMs];
    for (int i = 0; i < TrendCounterCount; ++i)
        minute.counts[i] += reading.counts[i];
    if (reading.gauges.known)
        minute.gauges = reading.gauges;
}

void TrendRecorder::flush()
{
    if (!m_started)
        return;
    gather();
    if (m_sending)
        return; // the batch on its way is answered first; the new counts wait for the next one
    if (m_batch.empty()) {
        if (m_gathered.empty())
            return;
        m_batch.swap(m_gathered);
        ++m_batchSeq;
    }
    send();
}

void TrendRecorder::send()
{
    if (!m_redis)
        return;
    // One hash per hour of minutes, one per day of hours; the gauges of the latest minute win.
    std::map<QByteArray, HashWrite> writes;
    std::map<QByteArray, std::map<QByteArray, qint64>> hourSums;
    std::map<QByteArray, std::pair<qint64, Gauges>> hourGauges; // per hour field, latest minute
    for (const auto &[minuteMs, minute] : m_batch) {
        const qint64 hourStart = minuteMs - minuteMs % TrendKeys::HourMs;
        const qint64 dayStart = minuteMs - minuteMs % TrendKeys::DayMs;
        const int minuteIndex = int((minuteMs - hourStart) / TrendKeys::MinuteMs);
        const int hourIndex = int((hourStart - dayStart) / TrendKeys::HourMs);
        HashWrite &minuteHash = writes[TrendKeys::minuteKey(m_keys, minuteMs)];
        minuteHash.expireAt = hourStart + TrendKeys::HourMs + TrendKeys::MinuteRetentionMs;
        const QByteArray hourKey = TrendKeys::hourKey(m_keys, minuteMs);
        writes[hourKey].expireAt = dayStart + TrendKeys::DayMs + TrendKeys::HourRetentionMs;
        for (int i = 0; i < TrendCounterCount; ++i) {
            if (minute.counts[i] == 0)
                continue;
            const QByteArray name = trendCounterName(TrendCounter(i));
            minuteHash.ops << QByteArrayLiteral("i") << TrendKeys::field(name, minuteIndex)
                           << QByteArray::number(minute.counts[i]);
            hourSums[hourKey][TrendKeys::field(name, hourIndex)] += minute.counts[i];
        }
        if (minute.gauges.known) {
            const QByteArray dlq = QByteArray::number(minute.gauges.dlq);
            const QByteArray permanent = QByteArray::number(minute.gauges.permanent);
            minuteHash.ops << QByteArrayLiteral("s")
                           << TrendKeys::field(trendGaugeName(TrendGauge::DlqLength), minuteIndex)
                           << dlq << QByteArrayLiteral("s")
                           << TrendKeys::field(trendGaugeName(TrendGauge::PermanentLength),
                                               minuteIndex)
                           << permanent;
            hourGauges[hourKey + ' ' + QByteArray::number(hourIndex)]
                = { minuteMs, minute.gauges };
        }
    }
    for (const auto &[hourKey, sums] : hourSums) {
        for (const auto &[field, sum] : sums)
            writes[hourKey].ops << QByteArrayLiteral("i") << field << QByteArray::number(sum);
    }
    for (const auto &[where, latest] : hourGauges) {
        const qsizetype space = where.lastIndexOf(' ');
        const QByteArray hourKey = where.left(space);
        const int hourIndex = where.mid(space + 1).toInt();
        writes[hourKey].ops
            << QByteArrayLiteral("s")
            << TrendKeys::field(trendGaugeName(TrendGauge::DlqLength), hourIndex)
            << QByteArray::number(latest.second.dlq) << QByteArrayLiteral("s")
            << TrendKeys::field(trendGaugeName(TrendGauge::PermanentLength), hourIndex)
            << QByteArray::number(latest.second.permanent);
    }
    QList<QByteArray> keys { TrendKeys::writerKey(m_keys, m_writer) };
    QList<QByteArray> args { QByteArray::number(m_batchSeq),
                             QByteArray::number(TrendKeys::WriterMarkMs) };
    for (const auto &[key, write] : writes) {
        if (write.ops.isEmpty())
            continue;
        keys << key;
        args << QByteArray::number(write.expireAt) << QByteArray::number(write.ops.size() / 3);
        args << write.ops;
    }
    m_sending = true;
    const qint64 seq = m_batchSeq;
    evalScript(m_redis, FlushScript, keys, args, this, [this, seq](const RedisReply &reply) {
        m_sending = false;
        if (reply.isError()) {
            // Kept as is (same sequence number): sent again at the next flush.
            ++m_failed;
            qCDebug(lcTrends).noquote() << "trend counters not written yet:" << reply.errorText();
            Q_EMIT flushFailed(reply.errorText());
            return;
        }
        if (seq == m_batchSeq)
            m_batch.clear();
        ++m_confirmed;
        Q_EMIT flushed();
    });
}

} // namespace redrive::core
