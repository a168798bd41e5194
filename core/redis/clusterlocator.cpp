// SPDX-License-Identifier: MIT
#include "core/redis/clusterlocator.h"

#include "core/redis/redisconnection.h"

namespace redrive::core {

namespace {
// How long an unanswered node keeps a locate() waiting before the next one is asked.
constexpr int NodeReplyTimeoutMs = 5000;

// RESP2 maps come as flat arrays: key, value, key, value.
const RedisReply *field(const RedisReply &map, QByteArrayView name)
{
    const QList<RedisReply> &items = map.elements();
    for (qsizetype i = 0; i + 1 < items.size(); i += 2) {
        if (items.at(i).bytes() == name)
            return &items.at(i + 1);
    }
    return nullptr;
}

long long number(const RedisReply *reply)
{
    if (!reply)
        return 0;
    if (reply->type() == RedisReply::Type::Integer)
        return reply->toInteger();
    return reply->bytes().toLongLong();
}

// A node's address as the map gives it: its preferred endpoint, or the node asked when the map
// says it does not know ("" or "?").
QString hostOf(const QByteArray &endpoint, const QByteArray &ip, const RedisAddress &asked)
{
    if (!endpoint.isEmpty() && endpoint != "?")
        return QString::fromUtf8(endpoint);
    if (!ip.isEmpty() && ip != "?")
        return QString::fromUtf8(ip);
    return asked.host;
}

void addNode(QList<RedisAddress> *nodes, const RedisAddress &node)
{
    if (node.port != 0 && !nodes->contains(node))
        nodes->append(node);
}
} // namespace

ClusterLocator::ClusterLocator(const RedisEndpoint &endpoint, QObject *parent)
    : RedisLocator(parent)
    , m_endpoint(endpoint)
    , m_slot(endpoint.clusterSlot)
    , m_known(endpoint.seeds)
{ }

ClusterLocator::~ClusterLocator()
{
    stop();
}

RedisEndpoint ClusterLocator::nodeEndpoint(const RedisAddress &node) const
{
    // Every node takes the same login and TLS settings.
    RedisEndpoint direct = m_endpoint;
    direct.kind = RedisEndpoint::Kind::Direct;
    direct.seeds.clear();
    direct.host = node.host;
    direct.port = node.port;
    direct.database = 0; // a cluster has database 0 only
    return direct;
}

bool ClusterLocator::isRedirect(const QByteArray &errorText) const
{
    // The cluster lost the slot (its owner failed, no replica took over yet): read the map again.
    return errorText.startsWith("CLUSTERDOWN");
}

void ClusterLocator::moved(int slot, const RedisAddress &owner)
{
    if (m_slot < 0)
        m_slot = slot;
    if (slot == m_slot)
        m_hint = owner;
}

void ClusterLocator::locate(Located done)
{
    beginLocate(std::move(done));
    if (!m_hint.host.isEmpty()) {
        const RedisAddress hint = m_hint;
        m_hint = {};
        finishLocate(hint, {});
        return;
    }
    QList<RedisAddress> order = m_known;
    for (const RedisAddress &seed : m_endpoint.seeds)
        addNode(&order, seed); // the seeds stay in the list, whatever the last map said
    askInTurn(order);
}

QString ClusterLocator::noneAnswered(const QString &failures) const
{
    return QStringLiteral("no node of the cluster told the owner of slot %1 (%2)")
        .arg(m_slot)
        .arg(failures);
}

void ClusterLocator::askServer(const RedisAddress &node)
{
    RedisConnection *query
        = openQuery(nodeEndpoint(node), QStringLiteral("redrive-cluster-map"), NodeReplyTimeoutMs);
    // A connection that cannot be made fails the command queued behind its login.
    query->open();
    askMap(query, true);
}

void ClusterLocator::askMap(RedisConnection *query, bool shards)
{
    const QList<QByteArray> command { QByteArrayLiteral("CLUSTER"),
                                      shards ? QByteArrayLiteral("SHARDS")
                                             : QByteArrayLiteral("SLOTS") };
    const quint64 asked = generation();
    query->command(command, this, [this, query, shards, asked](const RedisReply &reply) {
        if (query != this->query() || asked != generation() || !isLocating())
            return;
        if (reply.isError()) {
            // CLUSTER SHARDS came with Redis 7.0; before it, CLUSTER SLOTS tells the same.
            if (shards && reply.bytes().startsWith("ERR unknown subcommand")) {
                askMap(query, false);
                return;
            }
            serverFailed(
                reply.bytes().startsWith("ERR This instance has cluster support disabled")
                    ? QStringLiteral("%1 is not a Redis Cluster node (cluster support disabled)")
                          .arg(asking().toString())
                    : QStringLiteral("%1: %2").arg(asking().toString(), reply.errorText()));
            return;
        }
        RedisAddress owner;
        QList<RedisAddress> nodes;
        QString error;
        ++m_mapsRead;
        if (!ownerFromMap(reply, shards, m_slot, m_endpoint.tls, asking(), &owner, &nodes,
                          &error)) {
            serverFailed(QStringLiteral("%1: %2").arg(asking().toString(), error));
            return;
        }
        // Next time the nodes of this map are asked first; the seeds remain behind them.
        m_known = nodes;
        dropQuery();
        finishLocate(owner, {});
    });
}

void ClusterLocator::cancel()
{
    RedisLocator::cancel();
    dropQuery();
}

void ClusterLocator::stop()
{
    cancel();
}

bool ClusterLocator::ownerFromMap(const RedisReply &reply, bool shards, int slot, bool tls,
                                  const RedisAddress &asked, RedisAddress *owner,
                                  QList<RedisAddress> *nodes, QString *error)
{
    if (reply.type() != RedisReply::Type::Array) {
        *error = QStringLiteral("the slot map is not an array");
        return false;
    }
    bool found = false;
    const auto consider = [&](bool serves, bool primary, const RedisAddress &node) {
        addNode(nodes, node);
        if (serves && primary && !found && node.port != 0) {
            *owner = node;
            found = true;
        }
    };
    for (const RedisReply &entry : reply.elements()) {
        if (shards) {
            // {slots: [start, end, ...], nodes: [{id, port, tls-port, ip, endpoint, role,
            //  health, ...}, ...]}
            const RedisReply *ranges = field(entry, "slots");
            const RedisReply *members = field(entry, "nodes");
            if (!ranges || !members)
                continue;
            const QList<RedisReply> &bounds = ranges->elements();
            bool serves = slot < 0 && !bounds.isEmpty(); // any primary with slots will do
            for (qsizetype i = 0; i + 1 < bounds.size(); i += 2) {
                if (slot >= number(&bounds.at(i)) && slot <= number(&bounds.at(i + 1)))
                    serves = true;
            }
            for (const RedisReply &member : members->elements()) {
                const RedisReply *tlsPort = field(member, "tls-port");
                const long long port
                    = tls && tlsPort ? number(tlsPort) : number(field(member, "port"));
                const RedisReply *endpoint = field(member, "endpoint");
                const RedisReply *ip = field(member, "ip");
                const RedisReply *role = field(member, "role");
                const RedisReply *health = field(member, "health");
                const RedisAddress node { hostOf(endpoint ? endpoint->bytes() : QByteArray(),
                                                 ip ? ip->bytes() : QByteArray(), asked),
                                          quint16(port > 0 && port < 65536 ? port : 0) };
                const bool primary
                    = role && role->bytes() == "master" && (!health || health->bytes() != "fail");
                consider(serves, primary, node);
            }
        } else {
            // [start, end, [endpoint, port, id, ...] (the primary), [replica], ...]
            const QList<RedisReply> &items = entry.elements();
            if (items.size() < 3)
                continue;
            const bool serves
                = slot < 0 || (slot >= items.at(0).toInteger() && slot <= items.at(1).toInteger());
            for (qsizetype i = 2; i < items.size(); ++i) {
                const QList<RedisReply> &node = items.at(i).elements();
                if (node.size() < 2)
                    continue;
                const long long port = node.at(1).toInteger();
                consider(serves, i == 2,
                         RedisAddress { hostOf(node.at(0).bytes(), QByteArray(), asked),
                                        quint16(port > 0 && port < 65536 ? port : 0) });
            }
        }
    }
    if (!found) {
        *error = slot < 0 ? QStringLiteral("the cluster has no primary serving slots")
                          : QStringLiteral("no primary serves slot %1 (CLUSTERDOWN?)").arg(slot);
        return false;
    }
    return true;
}

} // namespace redrive::core
