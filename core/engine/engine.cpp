// SPDX-License-Identifier: MIT
#include "core/engine/engine.h"

#include "core/audit/auditlog.h"
#include "core/delivery/downstreamclient.h"
#include "core/engine/adminserver.h"
#include "core/engine/embeddedredis.h"
#include "core/engine/enginemetrics.h"
#include "core/queue/queuewatcher.h"
#include "core/queue/retryworker.h"
#include "core/engine/receiverlanes.h"
#include "core/redis/redishashslot.h"
#include "core/redis/redisreply.h"
#include "core/settings/redactedurl.h"
#include "core/trends/trendreader.h"
#include "core/trends/trendrecorder.h"
#include "core/trends/trendsources.h"
#include "core/triage/failuregrouptracker.h"

#include <QDateTime>
#include <QLoggingCategory>
#include <QTimer>

namespace redrive::core {

Q_LOGGING_CATEGORY(lcEngine, "redrive.engine")

Engine::Engine(const EngineConfig &config, QObject *parent)
    : QObject(parent)
    , m_config(config)
{
    m_status.receiverEnabled = config.receiverEnabled;
    m_status.workerWanted = config.workerEnabled;
}

Engine::~Engine()
{
    stop();
}

bool Engine::start(const Secrets &secrets, QString *error)
{
    if (m_running)
        return true;
    if (!configureDownstream(error))
        return false;
    // Without a downstream every attempt "succeeds" (the receiver's rule: nothing to forward to),
    // so a retry worker would empty the DLQ. It runs only where retries can go somewhere.
    const bool retriesHaveATarget = !m_downstream->url().isEmpty()
        || m_downstream->simulation().mode != FailureSimulation::Mode::Never;
    const bool workerWanted = m_config.workerEnabled;
    QString workerOffReason;
    if (workerWanted && !retriesHaveATarget) {
        if (!m_config.receiverEnabled) {
            *error = QStringLiteral("--worker-only needs a downstream to retry to: set "
                                    "--downstream URL (REDRIVE_DOWNSTREAM)");
            return false;
        }
        workerOffReason = QStringLiteral("no downstream is set (--downstream URL): retries are "
                                         "off and entries stay in the dead letter queue");
    } else if (!workerWanted) {
        workerOffReason = QStringLiteral("the retry worker is turned off (--no-worker)");
    }
    // The embedded Redis' folder first: if another Redrive holds it, say so before announcing a
    // receiver that would stop again at once.
    if (m_config.redisUrl.isEmpty()) {
        m_embedded
            = std::make_unique<EmbeddedRedis>(m_config.redisServerBinary, m_config.dataDirectory);
        if (!m_embedded->claim(error)) {
            m_embedded.reset();
            return false;
        }
    }
    // -- receiver: bind before anything logs, so the first line says where it listens ------------
    if (m_config.receiverEnabled) {
        ReceiverLanes::Setup setup;
        setup.config = m_config.receiver;
        setup.keys = m_config.keys;
        setup.sharedSecret = secrets.sharedSecret;
        setup.makeDownstream = [config = m_config, simulation = m_downstream->simulation()] {
            return makeDownstream(config, simulation);
        };
        setup.extraMetrics = [this] { return m_metrics ? m_metrics->render() : QByteArray(); };
        setup.sharePort = m_config.receiverSharesPort;
        m_receiver = std::make_unique<ReceiverLanes>(std::move(setup));
        connect(m_receiver.get(), &ReceiverLanes::deliveryHandled, this, &Engine::deliveryHandled);
        if (!m_receiver->start(error)) { // logs "receiving deliveries at <url>"
            stop();
            return false;
        }
    }
    // -- without the receiver, /healthz and /metrics get their own port (bound as early) -------
    if (!m_receiver) {
        m_admin = std::make_unique<AdminServer>(
            [this](int *status) {
                if (m_metrics)
                    return m_metrics->health(status);
                *status = 503;
                return QByteArray("{\"status\":\"starting\"}");
            },
            [this] { return m_metrics ? m_metrics->render() : QByteArray(); });
        QHostAddress address;
        quint16 port = 0;
        if (!ReceiverConfig::parseListen(m_config.adminListen, &address, &port, error)
            || !m_admin->listen(address, port, error)) {
            stop();
            return false;
        }
        qCInfo(lcEngine).noquote()
            << "serving /healthz and /metrics at" << m_admin->url().toString();
    }
    if (!startRedis(secrets, error)) {
        stop();
        return false;
    }
    m_metrics = std::make_unique<EngineMetrics>(m_redis.get(), m_config.keys);
    m_metrics->setReceiverRendersRedisUp(m_receiver != nullptr);
    if (m_receiver) {
        // Lane 0 writes through the engine's connection, the others through their own, opened
        // once the engine's is first ready: while Redis cannot be reached (or refuses the login,
        // or the embedded server is still starting) one connection retries, not one per thread.
        m_receiver->attachRedis(m_redis.get(), m_endpoint, m_embedded != nullptr);
        connect(m_redis.get(), &RedisConnection::ready, m_receiver.get(),
                &ReceiverLanes::openRedis, Qt::SingleShotConnection);
    }
    // -- retry worker ----------------------------------------------------------------------------
    if (workerWanted && !retriesHaveATarget) {
        qCWarning(lcEngine).noquote() << "retry worker not started:" << workerOffReason;
    } else if (workerWanted) {
        m_worker = std::make_unique<RetryWorker>(m_redis.get(), m_endpoint, m_downstream.get(),
                                                 m_config.keys, m_config.worker);
        m_worker->start();
        m_metrics->setWorker(m_worker.get());
    }
    m_metrics->start();
    startTrends();
    m_running = true;
    m_status.running = true;
    m_status.usesEmbeddedRedis = m_embedded != nullptr;
    m_status.redisDisplayUrl = m_endpoint.displayUrl();
    m_status.retriesRunning = m_worker != nullptr;
    m_status.retriesDetail = m_worker
        ? (m_downstream->url().isEmpty() ? QStringLiteral("the simulated downstream")
                                         : redactedUrl(m_downstream->url().toString()))
        : workerOffReason;
    updateReceiverStatus();
    publishStatus();
    return true;
}

void Engine::startTrends()
{
    // Running totals read every few seconds on this thread: nothing on the delivery path.
    m_trends = std::make_unique<TrendRecorder>(m_redis.get(), m_config.keys);
    m_trends->setSource([this] {
        // The receiver's counters are those of all its threads (a copy taken under their lock).
        const ReceiverCounters receiver = m_receiver ? m_receiver->counters() : ReceiverCounters();
        return trendTotals(m_receiver ? &receiver : nullptr,
                           m_worker ? &m_worker->stats() : nullptr);
    });
    m_trends->setGaugeSource([this] {
        const EngineMetrics::Queues &queues = m_metrics->queues();
        return TrendRecorder::Gauges { queues.known, queues.dlq, queues.permanent };
    });
    m_trends->start();
}

void Engine::readTrends(TrendRange range, const QObject *context,
                        std::function<void(const TrendSeries &)> done)
{
    TrendReader::read(m_redis.get(), m_config.keys, range, QDateTime::currentMSecsSinceEpoch(),
                      context, std::move(done));
}

void Engine::readWorkerOverview(const QObject *context,
                                std::function<void(const WorkerOverview &)> done)
{
    WorkerOverview::read(m_redis.get(), m_config.keys, m_worker.get(), context, std::move(done));
}

void Engine::readRegistration(const QObject *context,
                              std::function<void(const RegistrationStatus &)> done)
{
    RegistrationStatus::read(m_redis.get(), m_config.keys, context, std::move(done));
}

void Engine::watchDeadLetterGroups()
{
    if (m_dlqGroups || !m_consoleWatcher)
        return;
    m_dlqGroups = std::make_unique<FailureGroupTracker>(m_redis.get(), m_config.keys.dlq);
    connect(m_consoleWatcher.get(), &QueueWatcher::changed, m_dlqGroups.get(),
            [this](QueueStore::List list) {
                if (list == QueueStore::List::DeadLetter)
                    m_dlqGroups->listChanged();
            });
    connect(m_dlqGroups.get(), &FailureGroupTracker::updated, this,
            [this](const FailureGroups &groups) {
                Q_EMIT groupsUpdated(QueueStore::List::DeadLetter, groups);
            });
    m_dlqGroups->start();
}

void Engine::setReceiverListening(bool listening)
{
    if (!m_receiver)
        return;
    if (!listening) {
        m_receiver->stop();
    } else if (!m_receiver->isListening()) {
        QString error;
        if (!m_receiver->start(&error))
            Q_EMIT receiverStartFailed(error);
    }
    updateReceiverStatus();
    publishStatus();
}

void Engine::updateReceiverStatus()
{
    m_status.receiverUrl
        = m_receiver && m_receiver->isListening() ? m_receiver->url().toString() : QString();
}

void Engine::publishStatus()
{
    Q_EMIT statusChanged(m_status);
}

QueueStore *Engine::openConsole()
{
    if (m_consoleStore || !m_redis)
        return m_consoleStore.get();
    m_consoleAudit = std::make_unique<AuditLog>(m_redis.get(), m_config.keys.audit());
    m_consoleAudit->setClient(QStringLiteral("console"));
    m_consoleStore = std::make_unique<QueueStore>(m_redis.get(), m_config.keys);
    m_consoleStore->setAuditLog(m_consoleAudit.get());
    m_consoleWatcher = std::make_unique<QueueWatcher>(m_redis.get(), m_endpoint, m_config.keys);
    connect(m_consoleWatcher.get(), &QueueWatcher::changed, this, &Engine::queueChanged);
    m_consoleWatcher->start();
    return m_consoleStore.get();
}

void Engine::askRedisVersion(const QObject *context,
                             std::function<void(const QString &, const QString &)> done)
{
    if (!m_redis || !m_redis->isReady()) {
        done({}, QStringLiteral("not connected"));
        return;
    }
    m_redis->command({ "INFO", "server" }, context, [done](const RedisReply &reply) {
        if (reply.isError()) {
            done({}, reply.errorText());
            return;
        }
        for (const QByteArray &line : reply.bytes().split('\n')) {
            if (line.startsWith("redis_version:")) {
                done(QString::fromLatin1(line.mid(14).trimmed()), {});
                return;
            }
        }
        done({}, {});
    });
}

bool Engine::configureDownstream(QString *error)
{
    FailureSimulation simulation;
    if (!FailureSimulation::parse(m_config.simulateFailure, &simulation)) {
        *error = QStringLiteral("invalid failure simulation \"%1\"").arg(m_config.simulateFailure);
        return false;
    }
    m_downstream = makeDownstream(m_config, simulation);
    return true;
}

std::unique_ptr<DownstreamClient> Engine::makeDownstream(const EngineConfig &config,
                                                         const FailureSimulation &simulation)
{
    auto client = std::make_unique<DownstreamClient>();
    client->configure(config.downstreamUrl, config.downstreamTimeoutMs, simulation);
    client->setSecretHeader(config.secretHeader);
    return client;
}

bool Engine::applyRedisTls(QString *error)
{
    QStringList warnings;
    const bool ok = m_config.applyRedisTls(&m_endpoint, error, &warnings);
    for (const QString &warning : std::as_const(warnings))
        qCWarning(lcEngine).noquote() << warning;
    return ok;
}

bool Engine::startRedis(const Secrets &secrets, QString *error)
{
    const QString &url = m_config.redisUrl;
    if (url.isEmpty()) {
        Q_ASSERT(m_embedded); // claimed by start()
        if (!m_embedded->start(error)) {
            m_embedded.reset();
            return false;
        }
        connect(m_embedded.get(), &EmbeddedRedis::exitedUnexpectedly, this,
                [this](const QString &reason) {
                    qCCritical(lcEngine).noquote() << reason;
                    Q_EMIT problem(reason);
                });
        m_endpoint = m_embedded->endpoint();
    } else if (!RedisEndpoint::parse(url, &m_endpoint, error)) {
        return false;
    } else if (m_endpoint.kind == RedisEndpoint::Kind::Cluster) {
        // Every script touches several keys: in a cluster they must all be in one slot.
        *error = m_config.keys.clusterProblem();
        if (!error->isEmpty())
            return false;
        m_endpoint.clusterSlot = redisHashSlot(m_config.keys.dlq);
    }
    if (m_embedded && m_config.receiver.redisReplicas > 0) {
        *error = QStringLiteral("--redis-replicas needs a Redis with replicas (--redis): the "
                                "embedded Redis has none, so no delivery could be acknowledged");
        return false;
    }
    if (!secrets.redisPassword.isEmpty()) {
        // The embedded Redis listens on a private socket (folder mode 700) and has no password:
        // sending it one would only make it refuse the login.
        if (m_embedded)
            qCInfo(lcEngine).noquote()
                << "the Redis password (keychain or REDRIVE_REDIS_PASSWORD) is not used: the "
                   "embedded Redis takes none, it is reachable only through its private socket";
        else
            m_endpoint.password = secrets.redisPassword;
    }

    if (!secrets.redisSentinelPassword.isEmpty()) {
        if (m_endpoint.kind == RedisEndpoint::Kind::Sentinel)
            m_endpoint.sentinelPassword = secrets.redisSentinelPassword;
        else
            qCInfo(lcEngine).noquote()
                << "the Redis Sentinel password (keychain or REDRIVE_REDIS_SENTINEL_PASSWORD) is "
                   "not used: it is for redis+sentinel:// URLs only";
    }

    if (!applyRedisTls(error))
        return false;

    m_redis = std::make_unique<RedisConnection>(m_endpoint, QStringLiteral("redrive"));
    m_reportedRedisProblem.clear();
    // Logged and shown once per change: going up, going down, or a new reason while down (the
    // retries of an outage are not news).
    const auto reportProblem = [this](const QString &reason) {
        if (reason == m_reportedRedisProblem)
            return;
        m_reportedRedisProblem = reason;
        qCWarning(lcEngine).noquote() << "Redis unavailable:" << reason;
        setRedisStatus(EngineStatus::Redis::Unavailable, reason);
    };
    connect(m_redis.get(), &RedisConnection::stateChanged, this,
            [this, reportProblem](RedisConnection::State state) {
                switch (state) {
                case RedisConnection::State::Ready: {
                    m_reportedRedisProblem.clear();
                    // A located server (the primary the sentinels name) is said too.
                    const QString detail
                        = QStringLiteral("connected to %1%2")
                              .arg(m_endpoint.isDirect() ? m_endpoint.displayUrl()
                                                         : QStringLiteral("%1 (primary %2)")
                                                               .arg(m_endpoint.displayUrl(),
                                                                    m_redis->serverAddress()),
                                   m_endpoint.tls && m_endpoint.tlsInsecure
                                       ? QStringLiteral(" (TLS certificate not "
                                                        "verified: --redis-insecure)")
                                       : QString());
                    qCInfo(lcEngine).noquote() << detail;
                    setRedisStatus(EngineStatus::Redis::Ready, detail);
                    break;
                }
                case RedisConnection::State::Connecting:
                    setRedisStatus(EngineStatus::Redis::Connecting, QString());
                    break;
                case RedisConnection::State::Disconnected:
                    reportProblem(m_redis->lastError());
                    break;
                }
            });
    connect(m_redis.get(), &RedisConnection::attemptFailed, this, reportProblem);
    if (m_embedded) {
        // The embedded server is starting right now: the connection opens once it accepts
        // connections, so its start-up is never mistaken for an outage (a delivery in these
        // milliseconds is answered 503, as in any outage).
        m_redis->setReconnectDelays(20, 1000);
        connect(m_embedded.get(), &EmbeddedRedis::ready, m_redis.get(), &RedisConnection::open);
        connect(m_embedded.get(), &EmbeddedRedis::startFailed, this, reportProblem);
        setRedisStatus(EngineStatus::Redis::Connecting, QString());
    } else {
        m_redis->open();
    }
    return true;
}

void Engine::setRedisStatus(EngineStatus::Redis state, const QString &detail)
{
    m_status.redis = state;
    m_status.redisDetail = detail;
    publishStatus();
}

void Engine::shutdown(std::function<void()> done, int timeoutMs)
{
    if (m_worker)
        m_worker->stop();
    auto finished = std::make_shared<bool>(false);
    auto finish = [this, finished, done] {
        if (*finished)
            return;
        *finished = true;
        stop();
        done();
    };
    QTimer::singleShot(timeoutMs, this, finish);
    // First the receiver's threads: each stops taking deliveries and drains its own connection,
    // and their last events reach this thread. Then the engine's connection: replies come in
    // order, so once a PING sent then is answered, every command the receiver's first lane, the
    // worker (its hand-back of in-flight entries included) and the trend counters sent before
    // it has been processed by Redis.
    const auto drainEngine = [this, finish] {
        if (!m_redis || !m_redis->isReady()) {
            QTimer::singleShot(0, this, finish);
            return;
        }
        if (m_trends)
            m_trends->flush(); // the last counts go before the PING below
        m_redis->command({ QByteArrayLiteral("PING") }, this, [this, finish](const RedisReply &) {
            QTimer::singleShot(0, this, finish); // leave the callback before the link goes
        });
    };
    if (m_receiver)
        m_receiver->drain([this, drainEngine] {
            // After the lanes' last queued events (posted before their PING answers).
            QTimer::singleShot(0, this, drainEngine);
        });
    else
        drainEngine();
}

void Engine::stop()
{
    // Reverse order of start: stop taking deliveries, let the worker go, then Redis.
    m_dlqGroups.reset();
    m_consoleWatcher.reset();
    m_consoleStore.reset();
    m_consoleAudit.reset(); // records still held are said in warning lines
    m_trends.reset(); // reads the receiver's and the worker's totals
    m_receiver.reset();
    m_admin.reset();
    m_metrics.reset();
    m_worker.reset(); // hands its in-flight entries back before the connection goes
    m_redis.reset();
    m_embedded.reset();
    m_downstream.reset();
    m_running = false;
    m_status.running = false;
}

} // namespace redrive::core
