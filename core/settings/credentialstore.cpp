// SPDX-License-Identifier: MIT
#include "core/settings/credentialstore.h"

namespace redrive::core {

QString CredentialStore::keyName(SecretKind kind)
{
    switch (kind) {
    case SecretKind::GenesysClientSecret:
        return QStringLiteral("genesys-client-secret");
    case SecretKind::RedisPassword:
        return QStringLiteral("redis-password");
    case SecretKind::SharedSecret:
        return QStringLiteral("receiver-shared-secret");
    case SecretKind::RedisSentinelPassword:
        return QStringLiteral("redis-sentinel-password");
    }
    return {};
}

QString CredentialStore::displayName(SecretKind kind)
{
    switch (kind) {
    case SecretKind::GenesysClientSecret:
        return QStringLiteral("Genesys Cloud client secret");
    case SecretKind::RedisPassword:
        return QStringLiteral("Redis password");
    case SecretKind::SharedSecret:
        return QStringLiteral("receiver shared secret");
    case SecretKind::RedisSentinelPassword:
        return QStringLiteral("Redis Sentinel password");
    }
    return {};
}

QString CredentialStore::environmentVariable(SecretKind kind)
{
    switch (kind) {
    case SecretKind::GenesysClientSecret:
        return QStringLiteral("GENESYS_CLIENT_SECRET");
    case SecretKind::RedisPassword:
        return QStringLiteral("REDRIVE_REDIS_PASSWORD");
    case SecretKind::SharedSecret:
        return QStringLiteral("REDRIVE_SHARED_SECRET");
    case SecretKind::RedisSentinelPassword:
        return QStringLiteral("REDRIVE_REDIS_SENTINEL_PASSWORD");
    }
    return {};
}

QList<SecretKind> CredentialStore::allKinds()
{
    return { SecretKind::GenesysClientSecret, SecretKind::RedisPassword, SecretKind::SharedSecret,
             SecretKind::RedisSentinelPassword };
}

} // namespace redrive::core
