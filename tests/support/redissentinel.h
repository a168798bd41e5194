// SPDX-License-Identifier: MIT
#pragma once

#include "tests/support/redisserver.h"

#include <QByteArray>
#include <QString>

#include <memory>
#include <vector>

namespace redrive::tests {

// A Sentinel-managed Redis on loopback for one test: a primary, `replicas` replicas
// (--replicaof) and three sentinels (`redis-server <config> --sentinel`, their config files
// written in a temporary folder) watching it as `masterName()`, with short timeouts, so that a
// failover takes a few seconds. Every process dies with the test.
class RedisSentinelSetup
{
public:
    static constexpr int SentinelCount = 3;

    RedisSentinelSetup();
    ~RedisSentinelSetup();
    RedisSentinelSetup(const RedisSentinelSetup &) = delete;
    RedisSentinelSetup &operator=(const RedisSentinelSetup &) = delete;

    // Starts everything and waits (up to `timeoutMs`) until the replicas are in sync and every
    // sentinel knows the replicas and the other sentinels.
    bool start(int replicas = 1, int timeoutMs = 60000);
    QString errorString() const { return m_error; }

    QByteArray masterName() const { return QByteArrayLiteral("redrive-primary"); }
    // redis+sentinel://127.0.0.1:<s1>,127.0.0.1:<s2>,127.0.0.1:<s3>/redrive-primary/0
    QString url() const;
    // The data nodes: node(0) is the first primary.
    int nodeCount() const { return int(m_nodes.size()); }
    RedisServer &node(int index) { return *m_nodes.at(size_t(index)); }
    RedisServer &sentinel(int index) { return *m_sentinels.at(size_t(index)); }
    // The port of the primary that the sentinel `index` names now (0: none, or it is down).
    quint16 primaryPort(int index = 0) const;
    // The data node on that port; null if none.
    RedisServer *primary();
    // The data node a running node's ROLE calls master, only when exactly one does; null
    // otherwise.
    RedisServer *soleMaster();
    // The waits below run the event loop (a test's load keeps going meanwhile).
    // Waits until every running sentinel names a primary other than `oldPort`, that node says
    // ROLE master and its replicas are online; false after `timeoutMs`.
    bool waitForNewPrimary(quint16 oldPort, int timeoutMs = 60000);
    // Waits until the primary has `replicas` replicas online.
    bool waitForReplicas(int replicas, int timeoutMs = 60000);
    // Starts a data node that was stopped or killed again on its port, as it was first started
    // (without --replicaof): the sentinels make it a replica of the primary they know.
    bool restartNode(RedisServer *node);

private:
    bool startSentinel(int index);
    bool sentinelsReady(int replicas) const;

    QStringList m_nodeArgs;
    std::vector<std::unique_ptr<RedisServer>> m_nodes;
    std::vector<std::unique_ptr<RedisServer>> m_sentinels;
    QString m_error;
};

} // namespace redrive::tests
