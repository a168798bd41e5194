// SPDX-License-Identifier: MIT
#include "core/engine/engine.h"

#include "core/delivery/downstreamclient.h"
#include "core/engine/adminserver.h"
#include "core/engine/embeddedredis.h"
#include "core/engine/enginemetrics.h"
#include "core/queue/retryworker.h"
#include "core/receiver/webhookreceiver.h"
#include "core/redis/redishashslot.h"
#include "core/settings/settings.h"

#include <QLoggingCategory>
#include <QTimer>

namespace redrive::core {

Q_LOGGING_CATEGORY(lcEngine, "redrive.engine")

namespace {
// How long a starting embedded redis-server may take to answer before its absence is reported
// (it usually answers within tens of milliseconds; a loaded machine replaying a large AOF takes
// longer, and the console shows "connecting" meanwhile).
constexpr int EmbeddedStartGraceMs = 10000;
} // namespace

Engine::Engine(Settings &settings, QObject *parent)
    : QObject(parent)
    , m_settings(settings)
{ }

Engine::~Engine()
{
    stop();
}

QString Engine::embeddedRedisDirectory() const
{
    return m_embedded ? m_embedded->dataDirectory() : QString();
}

bool Engine::start(const Secrets &secrets, QString *error)
{
    if (m_running)
        return true;
    m_keys = QueueKeys::fromSettings(m_settings);
    if (!configureDownstream(error))
        return false;
    // Without a downstream every attempt "succeeds" (the receiver's rule: nothing to forward to),
    // so a retry worker would empty the DLQ. It runs only where retries can go somewhere.
    const bool retriesHaveATarget = !m_downstream->url().isEmpty()
        || m_downstream->simulation().mode != FailureSimulation::Mode::Never;
    const bool workerWanted = m_settings.flag(SettingKey::WorkerEnabled);
    m_workerOffReason.clear();
    if (workerWanted && !retriesHaveATarget) {
        if (!m_settings.flag(SettingKey::ReceiverEnabled)) {
            *error = QStringLiteral("--worker-only needs a downstream to retry to: set "
                                    "--downstream URL (REDRIVE_DOWNSTREAM)");
            return false;
        }
        m_workerOffReason = QStringLiteral("no downstream is set (--downstream URL): retries are "
                                           "off and entries stay in the dead letter queue");
    } else if (!workerWanted) {
        m_workerOffReason = QStringLiteral("the retry worker is turned off (--no-worker)");
    }
    // The embedded Redis' folder first: if another Redrive holds it, say so before announcing a
    // receiver that would stop again at once.
    if (m_settings.string(SettingKey::RedisUrl).isEmpty()) {
        m_embedded
            = std::make_unique<EmbeddedRedis>(m_settings.string(SettingKey::RedisServerBinary),
                                              m_settings.string(SettingKey::DataDirectory));
        if (!m_embedded->claim(error)) {
            m_embedded.reset();
            return false;
        }
    }
    // -- receiver: bind before anything logs, so the first line says where it listens ------------
    if (m_settings.flag(SettingKey::ReceiverEnabled)) {
        m_receiver = std::make_unique<WebhookReceiver>(nullptr, m_downstream.get(), m_keys);
        m_receiver->setConfig(ReceiverConfig::fromSettings(m_settings));
        m_receiver->setSharedSecret(secrets.sharedSecret);
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
        if (!ReceiverConfig::parseListen(m_settings.string(SettingKey::AdminListenAddress),
                                         &address, &port, error)
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
    m_metrics = std::make_unique<EngineMetrics>(m_redis.get(), m_keys);
    m_metrics->setReceiverRendersQueues(m_receiver != nullptr);
    if (m_receiver)
        m_receiver->setExtraMetrics([this] { return m_metrics->render(); });
    if (m_receiver)
        m_receiver->setRedisConnection(m_redis.get());
    // -- retry worker ----------------------------------------------------------------------------
    if (workerWanted && !retriesHaveATarget) {
        qCWarning(lcEngine).noquote() << "retry worker not started:" << m_workerOffReason;
    } else if (workerWanted) {
        RetryWorker::Config config;
        config.maxRetries = m_settings.integer(SettingKey::MaxRetries);
        config.backoff.baseMs = m_settings.integer(SettingKey::BackoffBaseMs);
        config.backoff.maxMs = m_settings.integer(SettingKey::BackoffMaxMs);
        config.concurrency = m_settings.integer(SettingKey::Concurrency);
        m_worker = std::make_unique<RetryWorker>(m_redis.get(), m_endpoint, m_downstream.get(),
                                                 m_keys, config);
        m_worker->start();
        m_metrics->setWorker(m_worker.get());
    }
    m_metrics->start();
    m_running = true;
    return true;
}

bool Engine::configureDownstream(QString *error)
{
    FailureSimulation simulation;
    if (!FailureSimulation::parse(m_settings.string(SettingKey::SimulateFailure), &simulation)) {
        *error = QStringLiteral("invalid failure simulation \"%1\"")
                     .arg(m_settings.string(SettingKey::SimulateFailure));
        return false;
    }
    m_downstream = std::make_unique<DownstreamClient>();
    m_downstream->configure(QUrl(m_settings.string(SettingKey::DownstreamUrl)),
                            m_settings.integer(SettingKey::DownstreamTimeoutMs), simulation);
    m_downstream->setSecretHeader(m_settings.string(SettingKey::SecretHeader).toLatin1());
    return true;
}

bool Engine::applyRedisTls(QString *error)
{
    const QString ca = m_settings.string(SettingKey::RedisTlsCa);
    const QString cert = m_settings.string(SettingKey::RedisTlsCert);
    const QString key = m_settings.string(SettingKey::RedisTlsKey);
    const QString serverName = m_settings.string(SettingKey::RedisTlsServerName);
    const bool insecure = m_settings.flag(SettingKey::RedisTlsInsecure);
    if (!m_endpoint.tls) {
        if (!ca.isEmpty() || !cert.isEmpty() || !key.isEmpty() || !serverName.isEmpty() || insecure)
            qCWarning(lcEngine).noquote()
                << "the Redis TLS settings (--redis-ca, --redis-cert, --redis-key, "
                   "--redis-tls-server-name, --redis-insecure) apply to rediss:// only: not used "
                   "for"
                << m_endpoint.displayUrl();
        return true;
    }
    if (cert.isEmpty() != key.isEmpty()) {
        *error = QStringLiteral("a Redis client certificate takes both --redis-cert and "
                                "--redis-key (or REDRIVE_REDIS_CERT and REDRIVE_REDIS_KEY)");
        return false;
    }
    m_endpoint.tlsCaFile = ca;
    m_endpoint.tlsCertFile = cert;
    m_endpoint.tlsKeyFile = key;
    m_endpoint.tlsServerName = serverName;
    m_endpoint.tlsInsecure = insecure;
    if (insecure)
        qCWarning(lcEngine).noquote()
            << "TLS to Redis at" << m_endpoint.displayUrl()
            << "is NOT verified (--redis-insecure): the connection is encrypted, but anyone on the "
               "way can pose as that Redis and read every delivery; give --redis-ca instead";
    return true;
}

bool Engine::startRedis(const Secrets &secrets, QString *error)
{
    const QString url = m_settings.string(SettingKey::RedisUrl);
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
        *error = m_keys.clusterProblem();
        if (!error->isEmpty())
            return false;
        m_endpoint.clusterSlot = redisHashSlot(m_keys.dlq);
    }
    if (m_embedded && m_settings.integer(SettingKey::RedisReplicas) > 0) {
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
    if (m_embedded)
        m_redis->setReconnectDelays(20, 1000); // the server is starting right now
    m_reportedRedisProblem.clear();
    // Logged and shown once per change: going up, going down, or a new reason while down (the
    // retries of an outage are not news).
    const auto reportProblem = [this](const QString &reason) {
        if (m_embeddedStarting) {
            m_startupProblem = reason;
            return;
        }
        if (reason == m_reportedRedisProblem)
            return;
        m_reportedRedisProblem = reason;
        qCWarning(lcEngine).noquote() << "Redis unavailable:" << reason;
        Q_EMIT redisStateChanged(RedisConnection::State::Disconnected, reason);
    };
    connect(m_redis.get(), &RedisConnection::stateChanged, this,
            [this, reportProblem](RedisConnection::State state) {
                switch (state) {
                case RedisConnection::State::Ready: {
                    m_embeddedStarting = false;
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
                    Q_EMIT redisStateChanged(state, detail);
                    break;
                }
                case RedisConnection::State::Connecting:
                    Q_EMIT redisStateChanged(state, QString());
                    break;
                case RedisConnection::State::Disconnected:
                    reportProblem(m_redis->lastError());
                    break;
                }
            });
    connect(m_redis.get(), &RedisConnection::attemptFailed, this, reportProblem);
    m_embeddedStarting = m_embedded != nullptr;
    m_startupProblem.clear();
    if (m_embeddedStarting) {
        QTimer::singleShot(EmbeddedStartGraceMs, m_redis.get(), [this, reportProblem] {
            if (!m_embeddedStarting)
                return;
            m_embeddedStarting = false;
            if (!m_redis->isReady())
                reportProblem(m_startupProblem.isEmpty() ? m_redis->lastError() : m_startupProblem);
        });
    }
    m_redis->open();
    return true;
}

void Engine::shutdown(std::function<void()> done, int timeoutMs)
{
    if (m_receiver)
        m_receiver->stop();
    if (m_worker)
        m_worker->stop();
    if (!m_redis || !m_redis->isReady()) {
        stop();
        done();
        return;
    }
    // Replies come in order: once this PING is answered, every command the receiver and the
    // worker sent before it has been processed by Redis.
    auto finished = std::make_shared<bool>(false);
    auto finish = [this, finished, done] {
        if (*finished)
            return;
        *finished = true;
        stop();
        done();
    };
    QTimer::singleShot(timeoutMs, this, finish);
    m_redis->command({ QByteArrayLiteral("PING") }, this, [this, finish](const RedisReply &) {
        // Leave the callback before the connection is destroyed.
        QTimer::singleShot(0, this, finish);
    });
}

void Engine::stop()
{
    // Reverse order of start: stop taking deliveries, let the worker go, then Redis.
    m_receiver.reset();
    m_admin.reset();
    m_metrics.reset();
    m_worker.reset(); // hands its in-flight entries back before the connection goes
    m_redis.reset();
    m_embedded.reset();
    m_downstream.reset();
    m_running = false;
}

} // namespace redrive::core
