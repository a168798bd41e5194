// SPDX-License-Identifier: MIT
#pragma once

#include "core/trends/trendseries.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <map>

namespace redrive::core {

class RedisConnection;

// Writes this process' share of the trend counters (see TrendKeys) to Redis. It never touches
// the receiver's or the worker's hot path: every `flushIntervalMs` it reads their running totals
// (a source function), keeps the difference to the last reading per minute in memory, and sends
// what it gathered in one Lua script (HINCRBY per minute and per hour, PEXPIREAT for retention).
// Each batch carries this writer's sequence number and the script applies a batch only once, so
// a flush whose answer was lost is sent again as is and never counted twice; new counts wait in
// memory until Redis confirmed the batch before them. Several processes on one Redis add up.
class TrendRecorder final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrendRecorder)

public:
    static constexpr int DefaultFlushMs = 5000;

    struct Gauges
    {
        bool known = false;
        qint64 dlq = 0;
        qint64 permanent = 0;
    };

    TrendRecorder(RedisConnection *redis, const QueueKeys &keys, QObject *parent = nullptr);
    ~TrendRecorder() override;

    // The running totals since this process started (they only grow; a total that goes down
    // is taken as a source that started over).
    void setSource(std::function<TrendTotals()> source) { m_source = std::move(source); }
    // The lists' lengths, sampled at the first flush of each minute and whenever they changed
    // (the last sample of each minute is kept).
    void setGaugeSource(std::function<Gauges()> source) { m_gauges = std::move(source); }
    // Tests: the wall clock (UTC ms) that chooses the minute.
    void setClock(std::function<qint64()> clock) { m_clock = std::move(clock); }
    void setFlushInterval(int milliseconds);

    // The first reading is the baseline: counts from before start() are not this minute's.
    void start();
    // Reads the totals now and sends what is not in Redis yet (unless a batch is on its way).
    void flush();
    void stop();

    QByteArray writerId() const { return m_writer; }
    // A batch sent and not yet confirmed, or counts gathered and not yet sent.
    bool hasUnsent() const { return !m_batch.empty() || !m_gathered.empty(); }
    qint64 flushesConfirmed() const { return m_confirmed; }
    qint64 flushesFailed() const { return m_failed; }

Q_SIGNALS:
    // A batch is in Redis (tests wait for it).
    void flushed();
    void flushFailed(const QString &error);

private:
    struct Minute
    {
        std::array<qint64, TrendCounterCount> counts {};
        Gauges gauges;
        bool isEmpty() const;
    };

    void gather();
    void send();

    QPointer<RedisConnection> m_redis;
    QueueKeys m_keys;
    std::function<TrendTotals()> m_source;
    std::function<Gauges()> m_gauges;
    std::function<qint64()> m_clock;
    QTimer m_timer;
    QByteArray m_writer;
    TrendTotals m_last {};
    Gauges m_lastGauges; // the last sample gathered, in minute m_gaugeMinute
    qint64 m_gaugeMinute = -1;
    bool m_started = false;
    std::map<qint64, Minute> m_gathered; // minute start (ms) -> counts not sent yet
    std::map<qint64, Minute> m_batch; // sent as m_batchSeq, not confirmed
    qint64 m_batchSeq = 0;
    bool m_sending = false;
    qint64 m_confirmed = 0;
    qint64 m_failed = 0;
};

} // namespace redrive::core
