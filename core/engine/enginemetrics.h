// SPDX-License-Identifier: MIT
#pragma once

#include "core/queue/queuekeys.h"

#include <QObject>
#include <QPointer>
#include <QTimer>

namespace redrive::core {

class RedisConnection;
class RetryWorker;

// The process-wide part of /metrics and /healthz: the retry worker's counters, the queue gauges
// and redrive_build_info. The gauges come from LLEN/ZCARD (constant time whatever the lists'
// length), read once a second on the engine's connection and kept: a scrape never sends a Redis
// command, so a storm of scrapes costs Redis nothing.
class EngineMetrics final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EngineMetrics)

public:
    struct Queues
    {
        bool known = false;
        qint64 dlq = 0;
        qint64 scheduled = 0; // waiting for their backoff (the schedule ZSET)
        qint64 permanent = 0;
    };

    static constexpr int RefreshMs = 1000;

    EngineMetrics(RedisConnection *redis, const QueueKeys &keys, QObject *parent = nullptr);

    // Null: no worker in this process (its families are left out).
    void setWorker(const RetryWorker *worker) { m_worker = worker; }
    // With a receiver in the process its /metrics already has redrive_redis_up (for the
    // connections of all its threads): it is not written twice. The queue gauges are this
    // object's alone (the one reader of the lists' lengths).
    void setReceiverRendersRedisUp(bool receiver) { m_receiverRendersRedisUp = receiver; }
    void start();

    const Queues &queues() const { return m_queues; }
    // "7.0.15" once read from INFO, else empty.
    QString redisVersion() const { return m_redisVersion; }
    QByteArray render() const;
    // What GET /healthz answers for a process without a receiver: 200 when Redis is connected
    // and the worker runs, else 503 with the reason.
    QByteArray health(int *status) const;

private:
    void refresh();

    QPointer<RedisConnection> m_redis;
    QueueKeys m_keys;
    const RetryWorker *m_worker = nullptr;
    bool m_receiverRendersRedisUp = false;
    QTimer m_timer;
    Queues m_queues;
    int m_pending = 0;
    QString m_redisVersion;
};

} // namespace redrive::core
