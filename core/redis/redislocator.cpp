// SPDX-License-Identifier: MIT
#include "core/redis/redislocator.h"

#include "core/redis/clusterlocator.h"
#include "core/redis/sentinellocator.h"

namespace redrive::core {

RedisLocator *createRedisLocator(const RedisEndpoint &endpoint, QObject *parent)
{
    switch (endpoint.kind) {
    case RedisEndpoint::Kind::Direct:
        return nullptr;
    case RedisEndpoint::Kind::Sentinel:
        return new SentinelLocator(endpoint, parent);
    case RedisEndpoint::Kind::Cluster:
        return new ClusterLocator(endpoint, parent);
    }
    return nullptr;
}

} // namespace redrive::core
