// SPDX-License-Identifier: MIT
#include "tests/support/redissentinel.h"

#include <QDeadlineTimer>
#include <QTest>

namespace redrive::tests {

namespace {
// Short enough that a failover takes a few seconds, long enough that a loaded machine (the
// suite under ASan on two cores) does not see a primary that merely answered late as down.
constexpr int DownAfterMs = 2000;
constexpr int FailoverTimeoutMs = 6000;

// A flat [key, value, key, value, ...] reply (SENTINEL MASTER) as text.
QByteArray field(const QVariant &reply, const QByteArray &key)
{
    const QVariantList list = reply.toList();
    for (qsizetype i = 0; i + 1 < list.size(); i += 2) {
        if (list.at(i).toByteArray() == key)
            return list.at(i + 1).toByteArray();
    }
    return {};
}

QByteArray infoField(const QByteArray &info, const QByteArray &key)
{
    for (const QByteArray &line : info.split('\n')) {
        if (line.startsWith(key + ':'))
            return line.mid(key.size() + 1).trimmed();
    }
    return {};
}

// Replicas the node at `server` has online (INFO replication), -1 if it is not a primary.
int onlineReplicas(const RedisServer &server)
{
    const QByteArray info = server.command({ "INFO", "replication" }).toByteArray();
    if (infoField(info, "role") != "master")
        return -1;
    int online = 0;
    for (const QByteArray &line : info.split('\n')) {
        if (line.startsWith("slave") && line.contains("state=online"))
            ++online;
    }
    return online;
}
} // namespace

RedisSentinelSetup::RedisSentinelSetup() = default;

RedisSentinelSetup::~RedisSentinelSetup()
{
    // Sentinels first: none of them starts a failover while the data nodes go.
    for (auto &sentinel : m_sentinels)
        sentinel->stop();
    for (auto &node : m_nodes)
        node->stop();
}

bool RedisSentinelSetup::start(int replicas, int timeoutMs)
{
    m_nodeArgs = QStringList { QStringLiteral("--repl-diskless-sync"), QStringLiteral("yes"),
                               QStringLiteral("--repl-diskless-sync-delay"), QStringLiteral("0") };
    const QStringList &nodeArgs = m_nodeArgs;
    m_nodes.push_back(std::make_unique<RedisServer>());
    if (!m_nodes.front()->start(nodeArgs)) {
        m_error = QStringLiteral("primary: %1").arg(m_nodes.front()->errorString());
        return false;
    }
    for (int i = 0; i < replicas; ++i) {
        m_nodes.push_back(std::make_unique<RedisServer>());
        if (!m_nodes.back()->start(nodeArgs
                                   + QStringList { QStringLiteral("--replicaof"),
                                                   QStringLiteral("127.0.0.1"),
                                                   QString::number(m_nodes.front()->port()) })) {
            m_error = QStringLiteral("replica %1: %2").arg(i).arg(m_nodes.back()->errorString());
            return false;
        }
    }
    if (!waitForReplicas(replicas, timeoutMs)) {
        m_error = QStringLiteral("the replicas did not come in sync with the primary");
        return false;
    }
    for (int i = 0; i < SentinelCount; ++i) {
        m_sentinels.push_back(std::make_unique<RedisServer>());
        if (!startSentinel(i))
            return false;
    }
    QDeadlineTimer deadline(timeoutMs);
    while (!sentinelsReady(replicas)) {
        if (deadline.hasExpired()) {
            m_error = QStringLiteral("the sentinels did not find each other and the replicas");
            return false;
        }
        QTest::qWait(100); // the test's own load keeps going
    }
    return true;
}

bool RedisSentinelSetup::startSentinel(int index)
{
    RedisServer &sentinel = *m_sentinels.at(size_t(index));
    const QString name = QString::fromLatin1(masterName());
    const QString config = QStringLiteral("sentinel monitor %1 127.0.0.1 %2 2\n"
                                          "sentinel down-after-milliseconds %1 %3\n"
                                          "sentinel failover-timeout %1 %4\n"
                                          "sentinel parallel-syncs %1 1\n")
                               .arg(name)
                               .arg(m_nodes.front()->port())
                               .arg(DownAfterMs)
                               .arg(FailoverTimeoutMs);
    if (!sentinel.startSentinel(config)) {
        m_error = QStringLiteral("sentinel %1: %2").arg(index).arg(sentinel.errorString());
        return false;
    }
    return true;
}

bool RedisSentinelSetup::sentinelsReady(int replicas) const
{
    for (const auto &sentinel : m_sentinels) {
        const QVariant master = sentinel->command({ "SENTINEL", "MASTER", masterName() });
        if (field(master, "num-other-sentinels").toInt() != SentinelCount - 1
            || field(master, "num-slaves").toInt() != replicas
            || field(master, "flags") != "master")
            return false;
    }
    return true;
}

QString RedisSentinelSetup::url() const
{
    QStringList hosts;
    for (const auto &sentinel : m_sentinels)
        hosts.append(QStringLiteral("127.0.0.1:%1").arg(sentinel->port()));
    return QStringLiteral("redis+sentinel://%1/%2/0")
        .arg(hosts.join(QLatin1Char(',')), QString::fromLatin1(masterName()));
}

quint16 RedisSentinelSetup::primaryPort(int index) const
{
    const RedisServer &sentinel = *m_sentinels.at(size_t(index));
    if (!sentinel.isRunning())
        return 0;
    const QVariantList address
        = sentinel.command({ "SENTINEL", "GET-MASTER-ADDR-BY-NAME", masterName() }).toList();
    return address.size() == 2 ? quint16(address.at(1).toByteArray().toUInt()) : 0;
}

RedisServer *RedisSentinelSetup::primary()
{
    const quint16 port = primaryPort();
    for (auto &node : m_nodes) {
        if (node->port() == port)
            return node.get();
    }
    return nullptr;
}

RedisServer *RedisSentinelSetup::soleMaster()
{
    RedisServer *found = nullptr;
    for (auto &node : m_nodes) {
        if (!node->isRunning())
            continue;
        const QVariantList role = node->command({ "ROLE" }).toList();
        if (!role.isEmpty() && role.first().toByteArray() == "master") {
            if (found)
                return nullptr;
            found = node.get();
        }
    }
    return found;
}

bool RedisSentinelSetup::waitForNewPrimary(quint16 oldPort, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        quint16 agreed = 0;
        bool same = true;
        for (int i = 0; i < SentinelCount && same; ++i) {
            if (!m_sentinels.at(size_t(i))->isRunning())
                continue;
            const quint16 port = primaryPort(i);
            if (port == 0 || port == oldPort || (agreed && port != agreed))
                same = false;
            agreed = port;
        }
        RedisServer *node = same ? primary() : nullptr;
        if (node && node->isRunning()) {
            const QVariantList role = node->command({ "ROLE" }).toList();
            if (!role.isEmpty() && role.first().toByteArray() == "master")
                return true;
        }
        QTest::qWait(100); // the test's own load keeps going
    }
    return false;
}

bool RedisSentinelSetup::restartNode(RedisServer *node)
{
    if (!node->start(m_nodeArgs)) {
        m_error = QStringLiteral("restarting the node on port %1: %2")
                      .arg(node->port())
                      .arg(node->errorString());
        return false;
    }
    return true;
}

bool RedisSentinelSetup::waitForReplicas(int replicas, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        RedisServer *node = m_sentinels.empty() ? m_nodes.front().get() : primary();
        if (node && node->isRunning() && onlineReplicas(*node) >= replicas)
            return true;
        QTest::qWait(100); // the test's own load keeps going
    }
    return false;
}

} // namespace redrive::tests
