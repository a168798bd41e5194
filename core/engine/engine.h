// SPDX-License-Identifier: MIT
#pragma once

#include "core/queue/queuekeys.h"
#include "core/redis/redisconnection.h"

#include <QObject>

#include <functional>
#include <memory>

namespace redrive::core {

class AdminServer;
class DownstreamClient;
class EmbeddedRedis;
class EngineMetrics;
class RetryWorker;
class Settings;
class WebhookReceiver;

// Everything that runs behind the window or in `redrive --headless`: the Redis connection (to
// a configured server or to the embedded one it starts), the downstream client, the receiver
// and the retry worker, all configured from Settings. The GUI and the headless mode create one
// Engine each; nothing in here blocks the thread it lives on.
class Engine final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Engine)

public:
    // Secrets resolved by the caller from the keychain or the environment; held in memory only.
    struct Secrets
    {
        QString redisPassword;
        QString redisSentinelPassword; // for redis+sentinel://: the sentinels' own password
        QByteArray sharedSecret;
    };

    explicit Engine(Settings &settings, QObject *parent = nullptr);
    ~Engine() override;

    // Starts what the settings ask for. Returns false with a message fit for a user when
    // something cannot start at all (bad Redis URL, redis-server missing, port taken). Redis not
    // answering yet is not a failure: the connection keeps trying and the receiver answers 503.
    bool start(const Secrets &secrets, QString *error);
    void stop();
    // Stops taking deliveries and stops the worker, waits (without blocking) until Redis has
    // processed everything sent so far — the worker's hand-back of in-flight entries included —
    // or `timeoutMs` passed, then stops the rest and calls `done`.
    void shutdown(std::function<void()> done, int timeoutMs = 3000);
    bool isRunning() const { return m_running; }

    Settings &settings() const { return m_settings; }
    const QueueKeys &keys() const { return m_keys; }
    // The Redis in use, password included: the console opens its own connections with it.
    const RedisEndpoint &redisEndpoint() const { return m_endpoint; }
    RedisConnection *redis() const { return m_redis.get(); }
    DownstreamClient *downstream() const { return m_downstream.get(); }
    // Null with --no-worker, and when there is no downstream to retry to (workerOffReason()).
    RetryWorker *worker() const { return m_worker.get(); }
    // Why the retry worker is not running ("" when it is, or before start()).
    QString workerOffReason() const { return m_workerOffReason; }
    // Null when the receiver is turned off (--worker-only).
    WebhookReceiver *receiver() const { return m_receiver.get(); }
    // The worker's and the queues' metrics (in /metrics on the receiver's or the admin port).
    EngineMetrics *metrics() const { return m_metrics.get(); }
    // Null when the receiver runs (it serves /healthz and /metrics itself).
    AdminServer *adminServer() const { return m_admin.get(); }
    bool usesEmbeddedRedis() const { return m_embedded != nullptr; }
    QString embeddedRedisDirectory() const;

Q_SIGNALS:
    void redisStateChanged(redrive::core::RedisConnection::State state, const QString &detail);
    // Something went wrong that the user should hear about (the embedded Redis died, ...).
    void problem(const QString &message);

private:
    // The TLS settings onto m_endpoint (rediss://); warns when verification is off.
    bool applyRedisTls(QString *error);
    bool startRedis(const Secrets &secrets, QString *error);
    bool configureDownstream(QString *error);

    Settings &m_settings;
    QueueKeys m_keys;
    RedisEndpoint m_endpoint;
    std::unique_ptr<EmbeddedRedis> m_embedded;
    std::unique_ptr<RedisConnection> m_redis;
    QString m_reportedRedisProblem; // last Redis failure logged ("" while connected)
    // The embedded redis-server is starting: failed attempts (its socket does not exist yet) are
    // not news until it has had EmbeddedStartGraceMs to answer.
    bool m_embeddedStarting = false;
    QString m_startupProblem; // the last failure while starting, reported if the grace runs out
    std::unique_ptr<DownstreamClient> m_downstream;
    // -- receiver ---------------------------------------------------------------------------------
    std::unique_ptr<WebhookReceiver> m_receiver;
    // -- retry worker -----------------------------------------------------------------------------
    QString m_workerOffReason;
    std::unique_ptr<RetryWorker> m_worker;
    // -- observability: /healthz and /metrics in every mode -------------------------------------
    std::unique_ptr<EngineMetrics> m_metrics;
    std::unique_ptr<AdminServer> m_admin;
    bool m_running = false;
};

} // namespace redrive::core
