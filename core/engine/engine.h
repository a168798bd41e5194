// SPDX-License-Identifier: MIT
#pragma once

#include "core/delivery/downstreamclient.h"
#include "core/engine/engineconfig.h"
#include "core/engine/enginestatus.h"
#include "core/queue/queuestore.h"
#include "core/receiver/deliveryevent.h"
#include "core/redis/redisconnection.h"
#include "core/trends/trendseries.h"
#include "core/trends/registrationstatus.h"
#include "core/trends/workeroverview.h"
#include "core/triage/failuregroupaggregator.h"

#include <QObject>

#include <functional>
#include <memory>

namespace redrive::core {

class AdminServer;
class AuditLog;
class DownstreamClient;
class EmbeddedRedis;
class EngineMetrics;
class FailureGroupTracker;
class QueueWatcher;
class ReceiverLanes;
class RetryWorker;
class TrendRecorder;

// Everything that runs behind the window or in `redrive --headless`: the Redis connection (to
// a configured server or to the embedded one it starts), the downstream client, the receiver,
// the retry worker and the console's queue access, all built from one EngineConfig. It lives
// on one thread (EngineThread gives it its own) and nothing in here blocks that thread.
// What the outside sees of it are its signals and the EngineStatus value they carry.
class Engine final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Engine)

public:
    using Secrets = EngineSecrets;

    explicit Engine(const EngineConfig &config, QObject *parent = nullptr);
    ~Engine() override;

    // Starts what the configuration asks for. Returns false with a message fit for a user when
    // something cannot start at all (bad Redis URL, redis-server missing, port taken). Redis not
    // answering yet is not a failure: the connection keeps trying and the receiver answers 503.
    bool start(const Secrets &secrets, QString *error);
    void stop();
    // Stops taking deliveries and stops the worker, waits (without blocking) until Redis has
    // processed everything sent so far — the worker's hand-back of in-flight entries included —
    // or `timeoutMs` passed, then stops the rest and calls `done`.
    void shutdown(std::function<void()> done, int timeoutMs = 3000);
    bool isRunning() const { return m_running; }
    EngineStatus status() const { return m_status; }

    // Starts or stops taking deliveries (the receiver page's button); statusChanged() tells
    // the outcome, receiverStartFailed() why listening failed.
    void setReceiverListening(bool listening);
    // The console's access to the lists: a QueueStore on the engine's connection and a
    // QueueWatcher announcing changes (queueChanged()). Made once, on the first call.
    QueueStore *openConsole();
    // The audit trail the console's QueueStore records into (client "console"); null until
    // openConsole().
    AuditLog *consoleAudit() const { return m_consoleAudit.get(); }
    // The Redis server's version (INFO server) for the About box; `done` runs on this thread.
    void askRedisVersion(const QObject *context,
                         std::function<void(const QString &version, const QString &error)> done);

    const QueueKeys &keys() const { return m_config.keys; }
    // The Redis in use, password included (tests and tools open their own connections with it).
    const RedisEndpoint &redisEndpoint() const { return m_endpoint; }
    RedisConnection *redis() const { return m_redis.get(); }
    // Null with --no-worker, and when there is no downstream to retry to.
    RetryWorker *worker() const { return m_worker.get(); }
    // The receiver's threads; null when the receiver is turned off (--worker-only).
    ReceiverLanes *receiver() const { return m_receiver.get(); }
    // The worker's and the queues' metrics (in /metrics on the receiver's or the admin port).
    EngineMetrics *metrics() const { return m_metrics.get(); }
    // Null when the receiver runs (it serves /healthz and /metrics itself).
    AdminServer *adminServer() const { return m_admin.get(); }
    // This process' share of the trend counters in Redis (docs/TRENDS.md); null until started.
    TrendRecorder *trends() const { return m_trends.get(); }
    // The trend counters of `range` (every process' on this Redis); `done` runs on this thread.
    void readTrends(TrendRange range, const QObject *context,
                    std::function<void(const TrendSeries &)> done);
    // The retry worker's state (this process' and the schedule's); `done` runs on this thread.
    void readWorkerOverview(const QObject *context,
                            std::function<void(const WorkerOverview &)> done);
    // The registration with Genesys Cloud as the audit trail last recorded it.
    void readRegistration(const QObject *context,
                          std::function<void(const RegistrationStatus &)> done);
    // Keeps the failure groups of the dead-letter list current (a FailureGroupTracker fed by the
    // console's watcher, started on the first call; needs openConsole()): groupsUpdated().
    void watchDeadLetterGroups();

Q_SIGNALS:
    void statusChanged(const redrive::core::EngineStatus &status);
    // Something went wrong that the user should hear about (the embedded Redis died, ...).
    void problem(const QString &message);
    void deliveryHandled(const redrive::core::DeliveryEvent &event);
    void receiverStartFailed(const QString &error);
    void queueChanged(redrive::core::QueueStore::List list);
    void groupsUpdated(redrive::core::QueueStore::List list,
                       const redrive::core::FailureGroups &groups);

private:
    // The TLS settings onto m_endpoint (rediss://); warns when verification is off.
    bool applyRedisTls(QString *error);
    bool startRedis(const Secrets &secrets, QString *error);
    bool configureDownstream(QString *error);
    // A client to the downstream as configured (for the worker, and one per receiver thread);
    // safe to call on any thread.
    static std::unique_ptr<DownstreamClient> makeDownstream(const EngineConfig &config,
                                                            const FailureSimulation &simulation);
    void setRedisStatus(EngineStatus::Redis state, const QString &detail);
    void startTrends();
    void updateReceiverStatus();
    void publishStatus();

    EngineConfig m_config;
    RedisEndpoint m_endpoint;
    std::unique_ptr<EmbeddedRedis> m_embedded;
    std::unique_ptr<RedisConnection> m_redis;
    QString m_reportedRedisProblem; // last Redis failure logged ("" while connected)
    std::unique_ptr<DownstreamClient> m_downstream;
    std::unique_ptr<ReceiverLanes> m_receiver;
    std::unique_ptr<RetryWorker> m_worker;
    // -- the console's view of the lists ------------------------------------------------------
    std::unique_ptr<AuditLog> m_consoleAudit; // outlives the store that records into it
    std::unique_ptr<QueueStore> m_consoleStore;
    std::unique_ptr<QueueWatcher> m_consoleWatcher;
    std::unique_ptr<FailureGroupTracker> m_dlqGroups;
    // -- observability: /healthz and /metrics in every mode -------------------------------------
    std::unique_ptr<EngineMetrics> m_metrics;
    std::unique_ptr<AdminServer> m_admin;
    std::unique_ptr<TrendRecorder> m_trends;
    EngineStatus m_status;
    bool m_running = false;
};

} // namespace redrive::core
