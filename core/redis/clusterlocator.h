// SPDX-License-Identifier: MIT
#pragma once

#include "core/redis/redislocator.h"

namespace redrive::core {

class RedisConnection;

// Finds the owner of one hash slot in a Redis Cluster (redis+cluster://): asks the seed nodes,
// then the nodes it learnt of, in turn for the slot map (`CLUSTER SHARDS`, or `CLUSTER SLOTS`
// on a Redis before 7.0) and hands the connection the primary that serves the endpoint's slot.
// A `MOVED` reply tells it the new owner straight away (moved()); a connection that fails or
// a `CLUSTERDOWN` makes it read the map again, which is how it follows a failover or a
// resharding it was not told of.
class ClusterLocator final : public RedisLocator
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ClusterLocator)

public:
    explicit ClusterLocator(const RedisEndpoint &endpoint, QObject *parent = nullptr);
    ~ClusterLocator() override;

    void locate(Located done) override;
    void cancel() override;
    void stop() override;
    bool isRedirect(const QByteArray &errorText) const override;

    // The slot the connection's keys are in (-1: not known yet; then any primary is located
    // and the first MOVED tells).
    int slot() const { return m_slot; }
    // `MOVED <slot> <owner>`: the next locate() goes to `owner` without reading the map.
    void moved(int slot, const RedisAddress &owner);
    // Slot maps read since construction (diagnostics and tests).
    int mapsRead() const { return m_mapsRead; }

    // The primary serving `slot` according to a `CLUSTER SHARDS` (or, with `shards` false,
    // `CLUSTER SLOTS`) reply from node `asked`; every node named goes to `nodes`. TLS picks
    // each node's TLS port. False with `error` when the reply names no owner for the slot.
    static bool ownerFromMap(const RedisReply &reply, bool shards, int slot, bool tls,
                             const RedisAddress &asked, RedisAddress *owner,
                             QList<RedisAddress> *nodes, QString *error);

private:
    void askServer(const RedisAddress &node) override;
    QString noneAnswered(const QString &failures) const override;
    RedisEndpoint nodeEndpoint(const RedisAddress &node) const;
    void askMap(RedisConnection *query, bool shards);

    RedisEndpoint m_endpoint;
    int m_slot = -1;
    QList<RedisAddress> m_known; // the seeds, then the nodes the last map named
    RedisAddress m_hint; // from MOVED: the next locate() goes there
    int m_mapsRead = 0;
};

} // namespace redrive::core
