// SPDX-License-Identifier: MIT
#include "core/redis/redislocator.h"

#include "core/redis/clusterlocator.h"
#include "core/redis/redisconnection.h"
#include "core/redis/sentinellocator.h"

namespace redrive::core {

void RedisLocator::cancel()
{
    ++m_generation;
    m_done = nullptr;
}

void RedisLocator::beginLocate(Located done)
{
    ++m_generation;
    m_done = std::move(done);
    m_failures.clear();
    m_toAsk.clear();
}

void RedisLocator::askInTurn(const QList<RedisAddress> &order)
{
    m_toAsk = order;
    if (m_toAsk.isEmpty()) {
        finishLocate({}, noneAnswered(QStringLiteral("no server to ask")));
        return;
    }
    m_asking = m_toAsk.takeFirst();
    askServer(m_asking);
}

void RedisLocator::serverFailed(const QString &reason)
{
    if (!m_failures.contains(reason))
        m_failures.append(reason);
    dropQuery();
    if (m_toAsk.isEmpty()) {
        finishLocate({}, noneAnswered(m_failures.join(QLatin1String("; "))));
        return;
    }
    m_asking = m_toAsk.takeFirst();
    askServer(m_asking);
}

void RedisLocator::finishLocate(const RedisAddress &server, const QString &error)
{
    if (!m_done)
        return;
    Located done = std::move(m_done);
    m_done = nullptr;
    m_toAsk.clear();
    const quint64 generation = m_generation;
    // Never from inside locate(): from the event loop, unless cancelled meanwhile.
    QMetaObject::invokeMethod(
        this,
        [this, generation, done = std::move(done), server, error] {
            if (generation == m_generation)
                done(server.host, server.port, error);
        },
        Qt::QueuedConnection);
}

RedisConnection *RedisLocator::openQuery(const RedisEndpoint &endpoint, const QString &clientName,
                                         int replyTimeoutMs)
{
    dropQuery();
    auto *query = new RedisConnection(endpoint, clientName, this);
    query->setReplyTimeout(replyTimeoutMs);
    m_query = query;
    return query;
}

void RedisLocator::dropQuery()
{
    RedisConnection *old = m_query;
    m_query = nullptr; // before close(): its failing commands see that they are stale
    dispose(old);
}

void RedisLocator::dispose(RedisConnection *connection)
{
    if (!connection)
        return;
    connection->close();
    connection->deleteLater();
}

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
