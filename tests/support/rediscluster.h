// SPDX-License-Identifier: MIT
#pragma once

#include "tests/support/redisserver.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <memory>
#include <vector>

namespace redrive::tests {

// A private Redis Cluster for one test process: `primaries` redis-server processes with
// `--cluster-enabled yes` on free loopback ports, each in a temporary folder of its own, joined by
// `redis-cli --cluster create` (slots spread evenly, `replicasEach` replicas per primary). The
// servers die with the test. Helpers move a slot from node to node in the steps a resharding
// takes, so that a test can act between them.
class RedisCluster
{
public:
    RedisCluster();
    ~RedisCluster();
    RedisCluster(const RedisCluster &) = delete;
    RedisCluster &operator=(const RedisCluster &) = delete;

    // Starts the servers, creates the cluster and waits until every node reports
    // cluster_state:ok and agrees on who owns every slot. False with errorString() otherwise.
    // `tls`: every node also has a TLS port (tls-cluster and tls-replication on, one test CA
    // made by node 0: tlsFile()); url() then names the TLS ports (rediss+cluster://).
    bool start(int primaries = 3, int replicasEach = 0, bool tls = false);
    QString tlsFile(const QString &name) const { return m_nodes.front()->tlsFile(name); }
    QString errorString() const { return m_error; }

    int size() const { return int(m_nodes.size()); }
    RedisServer &node(int index) { return *m_nodes.at(size_t(index)); }
    quint16 port(int index) const { return m_nodes.at(size_t(index))->port(); }
    // `redis+cluster://127.0.0.1:p0,127.0.0.1:p1,...`: the first `seeds` nodes (0: all); with
    // TLS, `rediss+cluster://` and their TLS ports.
    QString url(int seeds = 0) const;
    // The node's id in the cluster (CLUSTER MYID).
    QByteArray nodeId(int index) const;
    // The nodes that are primaries now (ROLE), in index order; a killed node is none.
    QList<int> primaries() const;
    // The next primary after `index` (in index order, wrapping round), other than `index`.
    int nextPrimary(int index) const;
    // The node owning `slot` as node `asker` sees it (CLUSTER SLOTS); -1 when none.
    int ownerOf(int slot, int asker = 0) const;
    // Waits (up to `timeoutMs`) until every node says node `owner` owns `slot`.
    bool waitForOwner(int slot, int owner, int timeoutMs = 30000);

    // A slot moved in the steps `redis-cli --cluster reshard` takes:
    // beginMove: the target IMPORTING, the source MIGRATING; moveKeys: MIGRATE of up to `count`
    // keys still in the slot on the source (returns how many went, -1 on an error);
    // finishMove: SETSLOT NODE on the target, the source, then the others.
    bool beginMove(int slot, int from, int to);
    int moveKeys(int slot, int from, int to, int count = 1000);
    bool finishMove(int slot, int from, int to);
    // All three, moving every key.
    bool moveSlot(int slot, int from, int to);

private:
    bool waitUntilStable(int timeoutMs);
    bool fail(const QString &error);
    // Starts node `i` with a bus port of its own; null (and errorString()) when it did not start.
    std::unique_ptr<RedisServer> startNode(int i, bool tls);

    std::vector<std::unique_ptr<RedisServer>> m_nodes;
    QString m_error;
    bool m_tls = false;
};

} // namespace redrive::tests
