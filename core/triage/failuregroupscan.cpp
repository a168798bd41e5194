// SPDX-License-Identifier: MIT
#include "core/triage/failuregroupscan.h"

#include "core/redis/redisconnection.h"

namespace redrive::core {

namespace {

constexpr qint64 MinWindow = 16;
constexpr qint64 MaxWindow = 4096;
constexpr int InFlight = 2; // one window travelling while the other is counted

} // namespace

FailureGroupScan::FailureGroupScan(RedisConnection *connection, const QByteArray &key,
                                   QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_key(key)
{ }

FailureGroupScan::~FailureGroupScan() = default;

void FailureGroupScan::start()
{
    if (m_running)
        finish(QueueError::Cancelled, QStringLiteral("Grouping cancelled"));
    ++m_generation;
    m_running = true;
    m_cancelled = false;
    m_atEnd = false;
    m_aggregator = std::make_unique<FailureGroupAggregator>(QDateTime::currentDateTimeUtc());
    m_stats = FailureGroups();
    m_clock.start();
    m_lastReplyAt = 0;
    m_inFlight = 0;
    m_nextStart = 0;
    m_windowCount = MinWindow;
    m_length = 0;
    m_anchor.clear();
    m_correction = 0;
    // Answers come later, as the class promises, even when the first command fails at once.
    QMetaObject::invokeMethod(
        this,
        [this, generation = m_generation] {
            if (generation == m_generation && m_running) {
                for (int i = 0; i < InFlight; ++i)
                    sendWindow();
            }
        },
        Qt::QueuedConnection);
}

void FailureGroupScan::cancel()
{
    if (m_running)
        m_cancelled = true;
}

void FailureGroupScan::sendWindow()
{
    Window window;
    const bool anchored = m_nextStart > 0;
    window.anchored = anchored;
    window.start = anchored ? qMax<qint64>(0, m_nextStart - m_overlap) : 0;
    window.resume = m_nextStart;
    window.correction = m_correction;
    window.count = m_nextStart + m_windowCount - window.start;
    window.sentAt = m_clock.elapsed();
    m_nextStart += m_windowCount;
    ++m_inFlight;
    ++m_stats.windows;
    auto length = std::make_shared<RedisReply>();
    const quint64 generation = m_generation;
    m_connection->command({ QByteArrayLiteral("LLEN"), m_key }, this,
                          [length](const RedisReply &reply) { *length = reply; });
    m_connection->command({ QByteArrayLiteral("LRANGE"), m_key, QByteArray::number(window.start),
                            QByteArray::number(window.start + window.count - 1) },
                          this, [this, generation, window, length](const RedisReply &reply) {
                              if (generation != m_generation || !m_running)
                                  return;
                              --m_inFlight;
                              windowReplied(window, *length, reply);
                          });
}

void FailureGroupScan::windowReplied(const Window &window, const RedisReply &length,
                                     const RedisReply &range)
{
    const qint64 now = m_clock.elapsed();
    m_stats.longestCallMs = qMax(m_stats.longestCallMs, now - qMax(window.sentAt, m_lastReplyAt));
    m_lastReplyAt = now;
    if (range.isError() || length.isError()) {
        const QString reason = range.isError() ? range.errorText() : length.errorText();
        finish(QueueError::Redis, QStringLiteral("Reading the list failed: %1").arg(reason));
        return;
    }
    if (range.type() != RedisReply::Type::Array) {
        finish(QueueError::Redis, QStringLiteral("Reading the list failed: unexpected reply"));
        return;
    }
    m_length = length.toInteger();
    const QList<RedisReply> &elements = range.elements();
    const qint64 size = elements.size();
    qint64 first = 0; // first element not counted yet
    if (window.anchored) {
        // Where the previous window's last element should be, then ever further from there.
        const qint64 expected = window.resume - 1 - window.start;
        qint64 found = -1;
        for (qint64 d = 0; found < 0 && (expected - d >= 0 || expected + d < size); ++d) {
            if (expected + d >= 0 && expected + d < size
                && elements.at(expected + d).bytes() == m_anchor)
                found = expected + d;
            else if (d > 0 && expected - d >= 0 && expected - d < size
                     && elements.at(expected - d).bytes() == m_anchor)
                found = expected - d;
        }
        if (found >= 0) {
            first = found + 1;
            // The windows asked for since moved as much; of the shift, what earlier windows
            // found was already applied to this one's successors.
            const qint64 shift = found - expected - (m_correction - window.correction);
            m_nextStart += shift;
            m_correction += shift;
        } else {
            m_stats.approximate = true;
            first = qBound<qint64>(0, expected + 1, size);
        }
    }
    qint64 bytes = 0;
    for (qint64 i = first; i < size; ++i) {
        const QByteArray &raw = elements.at(i).bytes();
        bytes += raw.size();
        m_aggregator->add(raw);
    }
    if (size > first)
        m_anchor = elements.at(size - 1).bytes();
    if (size - first > 0) {
        const qint64 average = qMax<qint64>(1, bytes / (size - first));
        m_windowCount = qBound(MinWindow, m_windowBytes / average, MaxWindow);
    }
    Q_EMIT progress(m_aggregator->count(), m_length);
    if (size < window.count) {
        finish(QueueError::None, QString()); // reached the old end
        return;
    }
    if (m_cancelled) {
        finish(QueueError::Cancelled, QStringLiteral("Grouping cancelled"));
        return;
    }
    while (m_inFlight < InFlight)
        sendWindow();
}

void FailureGroupScan::finish(QueueError code, const QString &error)
{
    FailureGroups result = m_aggregator ? m_aggregator->result() : FailureGroups();
    result.length = m_length;
    result.approximate = m_stats.approximate;
    result.windows = m_stats.windows;
    result.longestCallMs = m_stats.longestCallMs;
    result.elapsedMs = m_clock.isValid() ? m_clock.elapsed() : 0;
    result.code = code;
    result.error = error;
    ++m_generation; // replies still travelling are for nobody
    m_running = false;
    m_aggregator.reset();
    Q_EMIT finished(result);
}

} // namespace redrive::core
