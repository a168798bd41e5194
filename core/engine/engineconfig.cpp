// SPDX-License-Identifier: MIT
#include "core/engine/engineconfig.h"

#include "core/settings/settings.h"

namespace redrive::core {

EngineConfig EngineConfig::fromSettings(const Settings &settings)
{
    EngineConfig config;
    config.redisUrl = settings.string(SettingKey::RedisUrl);
    config.redisServerBinary = settings.string(SettingKey::RedisServerBinary);
    config.dataDirectory = settings.string(SettingKey::DataDirectory);
    config.redisTlsCa = settings.string(SettingKey::RedisTlsCa);
    config.redisTlsCert = settings.string(SettingKey::RedisTlsCert);
    config.redisTlsKey = settings.string(SettingKey::RedisTlsKey);
    config.redisTlsServerName = settings.string(SettingKey::RedisTlsServerName);
    config.redisTlsInsecure = settings.flag(SettingKey::RedisTlsInsecure);

    // The key names follow the queue's own rules (a hash tag in the DLQ key carries over to the
    // prefix), which core/queue keeps beside the keys.
    config.keys = QueueKeys::fromSettings(settings);

    config.receiverEnabled = settings.flag(SettingKey::ReceiverEnabled);
    config.workerEnabled = settings.flag(SettingKey::WorkerEnabled);
    // Listen address, path, limits, replicated acknowledgements: the receiver's own rules.
    config.receiver = ReceiverConfig::fromSettings(settings);
    config.adminListen = settings.string(SettingKey::AdminListenAddress);

    config.downstreamUrl = QUrl(settings.string(SettingKey::DownstreamUrl));
    config.downstreamTimeoutMs = settings.integer(SettingKey::DownstreamTimeoutMs);
    config.simulateFailure = settings.string(SettingKey::SimulateFailure);
    config.secretHeader = config.receiver.secretHeader;
    config.worker.maxRetries = settings.integer(SettingKey::MaxRetries);
    config.worker.backoff.baseMs = settings.integer(SettingKey::BackoffBaseMs);
    config.worker.backoff.maxMs = settings.integer(SettingKey::BackoffMaxMs);
    config.worker.concurrency = settings.integer(SettingKey::Concurrency);
    return config;
}

bool EngineConfig::applyRedisTls(RedisEndpoint *endpoint, QString *error,
                                 QStringList *warnings) const
{
    if (!endpoint->tls) {
        if (!redisTlsCa.isEmpty() || !redisTlsCert.isEmpty() || !redisTlsKey.isEmpty()
            || !redisTlsServerName.isEmpty() || redisTlsInsecure)
            warnings->append(
                QStringLiteral("the Redis TLS settings (--redis-ca, --redis-cert, --redis-key, "
                               "--redis-tls-server-name, --redis-insecure) apply to rediss:// "
                               "only: not used for %1")
                    .arg(endpoint->displayUrl()));
        return true;
    }
    if (redisTlsCert.isEmpty() != redisTlsKey.isEmpty()) {
        *error = QStringLiteral("a Redis client certificate takes both --redis-cert and "
                                "--redis-key (or REDRIVE_REDIS_CERT and REDRIVE_REDIS_KEY)");
        return false;
    }
    endpoint->tlsCaFile = redisTlsCa;
    endpoint->tlsCertFile = redisTlsCert;
    endpoint->tlsKeyFile = redisTlsKey;
    endpoint->tlsServerName = redisTlsServerName;
    endpoint->tlsInsecure = redisTlsInsecure;
    if (redisTlsInsecure)
        warnings->append(
            QStringLiteral("TLS to Redis at %1 is NOT verified (--redis-insecure): the connection "
                           "is encrypted, but anyone on the way can pose as that Redis and read "
                           "every delivery; give --redis-ca instead")
                .arg(endpoint->displayUrl()));
    return true;
}

} // namespace redrive::core
