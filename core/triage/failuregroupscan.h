// SPDX-License-Identifier: MIT
#pragma once

#include "core/redis/redisreply.h"
#include "core/triage/failuregroupaggregator.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QObject>

#include <memory>

namespace redrive::core {

class RedisConnection;

// Groups a whole list without holding it: reads it in windows (plain LRANGE, sized by the bytes
// the previous window held, two windows in flight) from the newest end to the oldest, and
// counts each element once into a FailureGroupAggregator. Redis is never busy with this scan
// for longer than one window.
//
// The list may change meanwhile; every window starts a few elements before where the previous
// one ended and the scan finds its last element again, by value, to continue right after it.
// So entries pushed at the new end (the receiver, the worker's re-queues, other tools) or taken
// from the old end (the worker's claims) during the scan neither shift nor repeat anything:
// every element that stays in the list for the whole scan is counted exactly once; elements
// pushed after the scan started are not counted, and elements removed after they were counted
// stay counted. When the scan cannot find its place again (more elements pushed or removed
// between two windows than the overlap, or the element itself removed), it goes on at the
// index it expected and marks the result approximate.
class FailureGroupScan final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FailureGroupScan)

public:
    // `connection` must outlive the scan and live on its thread.
    FailureGroupScan(RedisConnection *connection, const QByteArray &key, QObject *parent = nullptr);
    ~FailureGroupScan() override;

    // Bytes a window aims at (default 512 KiB); at least 16 and at most 4,096 elements a window.
    void setWindowBytes(qint64 bytes) { m_windowBytes = qMax<qint64>(1024, bytes); }
    // Elements each window re-reads before where the previous one ended (default 64).
    void setOverlap(int elements) { m_overlap = qMax(1, elements); }

    // Starts a scan; a scan already running is cancelled first (its finished() still comes).
    void start();
    // Stops after the window in flight: finished() then carries QueueError::Cancelled.
    void cancel();
    bool isRunning() const { return m_running; }

Q_SIGNALS:
    // After each window: elements counted so far and the list's length.
    void progress(qint64 scanned, qint64 length);
    // Once per start(), on this object's thread, never from inside start().
    void finished(const redrive::core::FailureGroups &result);

private:
    struct Window
    {
        qint64 start = 0; // index asked for (newest = 0)
        qint64 count = 0;
        bool anchored = false; // starts before the previous window's end, to find it again
        qint64 resume = 0; // where the previous window was expected to end
        qint64 correction = 0; // m_correction when sent
        qint64 sentAt = 0;
    };
    void sendWindow();
    void windowReplied(const Window &window, const RedisReply &length, const RedisReply &range);
    void finish(QueueError code, const QString &error);

    RedisConnection *m_connection;
    QByteArray m_key;
    qint64 m_windowBytes = 512 * 1024;
    int m_overlap = 64;

    bool m_running = false;
    bool m_cancelled = false;
    bool m_atEnd = false;
    quint64 m_generation = 0;
    std::unique_ptr<FailureGroupAggregator> m_aggregator;
    FailureGroups m_stats; // windows, longest call, approximate
    QElapsedTimer m_clock;
    int m_inFlight = 0;
    qint64 m_nextStart = 0; // index the next window should continue at
    qint64 m_windowCount = 16; // elements the next window asks for
    qint64 m_length = 0;
    QByteArray m_anchor; // the last element counted
    qint64 m_correction = 0; // sum of the shifts found so far
    qint64 m_lastReplyAt = 0;
};

} // namespace redrive::core
