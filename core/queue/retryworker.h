// SPDX-License-Identifier: MIT
#pragma once

#include "core/metrics/latencyhistogram.h"
#include "core/queue/backoffpolicy.h"
#include "core/queue/listchangedetector.h"
#include "core/queue/queuekeys.h"
#include "core/redis/redisendpoint.h"

#include <QObject>
#include <QTimer>

#include <memory>

namespace redrive::core {

class DownstreamClient;
class RedisConnection;
class RedisReply;
struct DownstreamResult;

// Retries dead-letter entries to the downstream system, with backoff, until they are delivered
// or set aside as permanent failures. Entries stay in the tutorial's lists (visible to its tools
// and the console); Redrive's bookkeeping lives under the key prefix:
//   <prefix>schedule          ZSET raw element -> due time (ms) of entries waiting for backoff;
//                             an element not in it (written by the receiver, the tutorial or
//                             redis-cli) is due now
//   <prefix>inflight:<id>     LIST the entries worker <id> is attempting right now
//   <prefix>lease:<id>        worker <id> is alive (PX, refreshed)
//   <prefix>workers           SET of worker ids, so in-flight lists are found without SCAN
// Claims and outcomes are Lua scripts that move elements by exact value, so an entry is always
// in Redis, and two workers never hold the same element.
class RetryWorker final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RetryWorker)

public:
    struct Config
    {
        // Retries after the delivery that put the entry in the DLQ (retry_count 1, 2, 3, as the
        // tutorial); when the last one fails too, the entry is a permanent failure.
        int maxRetries = 3;
        BackoffPolicy backoff;
        int concurrency = 16;
        int leaseMs = 10000;
        // How often the DLQ's length and head are compared, to notice entries pushed by tools
        // that do not publish on the channel (the tutorial, redis-cli) or announcements lost.
        int watchIntervalMs = 200;
    };

    struct Stats
    {
        qint64 delivered = 0;
        qint64 rescheduled = 0;
        qint64 failedPermanently = 0;
        qint64 setAside = 0; // not retryable at all (not JSON, no original_payload)
        qint64 recovered = 0; // taken back from workers that died mid-attempt
        qint64 claimed = 0; // moved from the DLQ into this worker's in-flight list
        qint64 leaseRenewals = 0;
        // Renewals that found the lease already expired: another worker may have handed this
        // worker's in-flight entries back meanwhile (Redis or this process stalled).
        qint64 leaseLosses = 0;
    };

    // `commands` and `downstream` must outlive the worker and live on its thread; a second
    // connection to `endpoint` is opened for pub/sub wake-ups.
    RetryWorker(RedisConnection *commands, const RedisEndpoint &endpoint,
                DownstreamClient *downstream, const QueueKeys &keys, const Config &config,
                QObject *parent = nullptr);
    ~RetryWorker() override;

    void start();
    // Stops claiming; entries still in flight are handed back to the DLQ.
    void stop();
    bool isRunning() const { return m_running; }
    QString workerId() const { return QString::fromUtf8(m_id); }
    const Stats &stats() const { return m_stats; }
    // Duration of each downstream attempt (not of entries set aside without one).
    const LatencyHistogram &attemptLatency() const { return m_attemptLatency; }
    int inFlight() const { return m_inFlight; }

Q_SIGNALS:
    void statsChanged();
    // The worker has nothing due and waits (for the next due time or a change).
    void idle();

private:
    void heartbeat();
    void poll();
    void attempt(const QByteArray &raw);
    void finish(const QByteArray &raw, const char *mode, const QByteArray &replacement,
                qint64 dueMs, const QString &id);
    void onDownstream(const QByteArray &raw, const DownstreamResult &result);
    void watch();
    void flushDone();
    void eval(const char *script, const QList<QByteArray> &keys, const QList<QByteArray> &args,
              std::function<void(const RedisReply &)> callback);

    RedisConnection *m_commands;
    std::unique_ptr<RedisConnection> m_subscriber;
    DownstreamClient *m_downstream;
    QueueKeys m_keys;
    Config m_config;
    QByteArray m_id;
    QByteArray m_inflightKey;
    QByteArray m_leaseKey;
    QTimer m_wakeTimer;
    QTimer m_heartbeatTimer;
    QTimer m_watchTimer;
    Stats m_stats;
    LatencyHistogram m_attemptLatency;
    bool m_leaseHeld = false; // a renewal found our lease: the next one expects it
    ListChangeDetector m_detector; // the DLQ's length and head
    QString m_claimError; // why the last claim failed, empty once one succeeded
    QList<QByteArray> m_doneBatch;
    int m_inFlight = 0;
    qint64 m_passChecked = 0;
    qint64 m_passNextDue = -1;
    bool m_listening = false; // subscribed (or given up waiting): polling may start
    bool m_running = false;
    bool m_claiming = false;
    bool m_pollAgain = false;
};

} // namespace redrive::core
