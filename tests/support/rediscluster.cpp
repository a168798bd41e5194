// SPDX-License-Identifier: MIT
#include "tests/support/rediscluster.h"

#include "tests/support/testenv.h"

#include <QDeadlineTimer>
#include <QProcess>
#include <QStringList>
#include <QThread>

namespace redrive::tests {

namespace {
QString replyText(const QVariant &reply)
{
    if (reply.typeId() == QMetaType::QString)
        return reply.toString();
    return QString::fromUtf8(reply.toByteArray());
}

bool isError(const QVariant &reply)
{
    return reply.typeId() == QMetaType::QString; // RedisServer::command's errors
}
} // namespace

RedisCluster::RedisCluster() = default;

RedisCluster::~RedisCluster()
{
    for (auto &node : m_nodes)
        node->kill(); // the cluster's state is thrown away with the folders
}

bool RedisCluster::fail(const QString &error)
{
    m_error = error;
    return false;
}

QString RedisCluster::url(int seeds) const
{
    QStringList hosts;
    const int count = seeds <= 0 ? size() : qMin(seeds, size());
    for (int i = 0; i < count; ++i)
        hosts.append(QStringLiteral("127.0.0.1:%1")
                         .arg(m_tls ? m_nodes.at(size_t(i))->tlsPort() : port(i)));
    return (m_tls ? QStringLiteral("rediss+cluster://") : QStringLiteral("redis+cluster://"))
        + hosts.join(QLatin1Char(','));
}

std::unique_ptr<RedisServer> RedisCluster::startNode(int i, bool tls)
{
    auto node = std::make_unique<RedisServer>();
    QStringList tlsArgs;
    if (tls) {
        if (i == 0 && !node->makeTlsFiles()) {
            fail(QStringLiteral("TLS files: %1").arg(node->errorString()));
            return nullptr;
        }
        // The nodes authenticate each other on the cluster bus: the client certificate (the
        // server one is for serverAuth only) for the connections they open.
        const RedisServer &files = i == 0 ? *node : *m_nodes.front();
        tlsArgs = node->tlsArgs(QStringLiteral("server"), false, &files)
            + QStringList { QStringLiteral("--tls-client-cert-file"),
                            files.tlsFile(QStringLiteral("client.pem")),
                            QStringLiteral("--tls-client-key-file"),
                            files.tlsFile(QStringLiteral("client.key")),
                            QStringLiteral("--tls-cluster"), QStringLiteral("yes"),
                            QStringLiteral("--tls-replication"), QStringLiteral("yes") };
    }
    // A short node timeout makes a failover quick; the config file lives in the node's
    // own folder (--dir).
    const QStringList clusterArgs {
        QStringLiteral("--cluster-enabled"), QStringLiteral("yes"),
        QStringLiteral("--cluster-config-file"), QStringLiteral("nodes.conf"),
        QStringLiteral("--cluster-node-timeout"), QStringLiteral("3000"),
        QStringLiteral("--cluster-port"), QString::number(freeLoopbackPort()),
        // Replicas get their first copy at once, not after 5 s: a replica without one never
        // takes over from its primary.
        QStringLiteral("--repl-diskless-sync-delay"), QStringLiteral("0")
    };
    if (!node->start(tlsArgs + clusterArgs)) {
        fail(QStringLiteral("cluster node %1: %2").arg(i).arg(node->errorString()));
        return nullptr;
    }
    return node;
}

bool RedisCluster::start(int primaries, int replicasEach, bool tls)
{
    m_tls = tls;
    const int total = primaries * (1 + replicasEach);
    QStringList addresses;
    for (int i = 0; i < total; ++i) {
        // A node that finds its port or its bus port taken by another process (tests run side
        // by side) is started again, as a new node with new ports.
        std::unique_ptr<RedisServer> node;
        for (int attempt = 1; !node; ++attempt) {
            node = startNode(i, tls);
            if (!node && attempt == 3)
                return false;
        }
        addresses.append(QStringLiteral("127.0.0.1:%1").arg(node->port()));
        m_nodes.push_back(std::move(node));
    }
    QProcess cli;
    cli.setProcessChannelMode(QProcess::MergedChannels);
    cli.start(QStringLiteral("redis-cli"),
              QStringList { QStringLiteral("--cluster"), QStringLiteral("create") } + addresses
                  + QStringList { QStringLiteral("--cluster-replicas"),
                                  QString::number(replicasEach), QStringLiteral("--cluster-yes") });
    if (!cli.waitForFinished(120000) || cli.exitStatus() != QProcess::NormalExit
        || cli.exitCode() != 0)
        return fail(QStringLiteral("redis-cli --cluster create failed: %1")
                        .arg(QString::fromLocal8Bit(cli.readAll())));
    return waitUntilStable(60000);
}

bool RedisCluster::waitUntilStable(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    QString last;
    while (!deadline.hasExpired()) {
        bool ok = true;
        for (int i = 0; i < size() && ok; ++i) {
            const QString info = replyText(node(i).command({ "CLUSTER", "INFO" }));
            ok = info.contains(QLatin1String("cluster_state:ok"))
                && info.contains(QLatin1String("cluster_slots_ok:16384"))
                && info.contains(QStringLiteral("cluster_known_nodes:%1\r").arg(size()));
            if (!ok)
                last = QStringLiteral("node %1: %2").arg(i).arg(info.left(300));
            const QVariantList role = node(i).command({ "ROLE" }).toList();
            if (ok && !role.isEmpty() && role.first().toByteArray() == "slave") {
                ok = replyText(node(i).command({ "INFO", "replication" }))
                         .contains(QLatin1String("master_link_status:up"));
                if (!ok)
                    last = QStringLiteral("replica %1 has no copy of its primary yet").arg(i);
            }
        }
        // Every node must also see the same owner for a few slots spread over the range.
        for (int slot = 0; slot < 16384 && ok; slot += 4096) {
            const int owner = ownerOf(slot, 0);
            for (int i = 1; i < size() && ok; ++i)
                ok = ownerOf(slot, i) == owner && owner >= 0;
            if (!ok)
                last = QStringLiteral("the nodes disagree on slot %1's owner").arg(slot);
        }
        if (ok)
            return true;
        QThread::msleep(50);
    }
    return fail(QStringLiteral("the cluster did not settle: %1").arg(last));
}

QByteArray RedisCluster::nodeId(int index) const
{
    return m_nodes.at(size_t(index))->command({ "CLUSTER", "MYID" }).toByteArray();
}

QList<int> RedisCluster::primaries() const
{
    QList<int> result;
    for (int i = 0; i < size(); ++i) {
        if (!m_nodes.at(size_t(i))->isRunning())
            continue;
        const QVariantList role = m_nodes.at(size_t(i))->command({ "ROLE" }).toList();
        if (!role.isEmpty() && role.first().toByteArray() == "master")
            result.append(i);
    }
    return result;
}

int RedisCluster::nextPrimary(int index) const
{
    const QList<int> all = primaries();
    for (int step = 1; step <= size(); ++step) {
        const int candidate = (index + step) % size();
        if (candidate != index && all.contains(candidate))
            return candidate;
    }
    return -1;
}

int RedisCluster::ownerOf(int slot, int asker) const
{
    const QVariant map = m_nodes.at(size_t(asker))->command({ "CLUSTER", "SLOTS" });
    // [[start, end, [ip, port, id], replicas...], ...]
    for (const QVariant &range : map.toList()) {
        const QVariantList fields = range.toList();
        if (fields.size() < 3 || slot < fields.at(0).toLongLong()
            || slot > fields.at(1).toLongLong())
            continue;
        const qlonglong ownerPort = fields.at(2).toList().value(1).toLongLong();
        for (int i = 0; i < size(); ++i) {
            if (port(i) == ownerPort)
                return i;
        }
    }
    return -1;
}

bool RedisCluster::waitForOwner(int slot, int owner, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        bool all = true;
        for (int i = 0; i < size() && all; ++i)
            all = !node(i).isRunning() || ownerOf(slot, i) == owner;
        if (all)
            return true;
        QThread::msleep(50);
    }
    return fail(
        QStringLiteral("not every node sees node %1 as the owner of slot %2").arg(owner).arg(slot));
}

bool RedisCluster::beginMove(int slot, int from, int to)
{
    const QByteArray number = QByteArray::number(slot);
    const QVariant importing
        = node(to).command({ "CLUSTER", "SETSLOT", number, "IMPORTING", nodeId(from) });
    if (isError(importing))
        return fail(QStringLiteral("SETSLOT IMPORTING: %1").arg(replyText(importing)));
    const QVariant migrating
        = node(from).command({ "CLUSTER", "SETSLOT", number, "MIGRATING", nodeId(to) });
    if (isError(migrating))
        return fail(QStringLiteral("SETSLOT MIGRATING: %1").arg(replyText(migrating)));
    return true;
}

int RedisCluster::moveKeys(int slot, int from, int to, int count)
{
    const QVariantList keys = node(from)
                                  .command({ "CLUSTER", "GETKEYSINSLOT", QByteArray::number(slot),
                                             QByteArray::number(count) })
                                  .toList();
    if (keys.isEmpty())
        return 0;
    // With tls-cluster, MIGRATE speaks TLS: to the target's TLS port.
    const quint16 target = m_tls ? node(to).tlsPort() : port(to);
    QList<QByteArray> migrate { "MIGRATE", "127.0.0.1", QByteArray::number(target), "", "0",
                                "10000",   "KEYS" };
    for (const QVariant &key : keys)
        migrate.append(key.toByteArray());
    const QVariant reply = node(from).command(migrate);
    if (isError(reply)) {
        m_error = QStringLiteral("MIGRATE: %1").arg(replyText(reply));
        return -1;
    }
    return int(keys.size());
}

bool RedisCluster::finishMove(int slot, int from, int to)
{
    const QByteArray number = QByteArray::number(slot);
    const QByteArray target = nodeId(to);
    // The target first: then the source's MOVED replies point to a node that takes them.
    for (int i : { to, from }) {
        const QVariant reply = node(i).command({ "CLUSTER", "SETSLOT", number, "NODE", target });
        if (isError(reply))
            return fail(QStringLiteral("SETSLOT NODE on node %1: %2").arg(i).arg(replyText(reply)));
    }
    for (int i = 0; i < size(); ++i) {
        if (i == to || i == from || !node(i).isRunning())
            continue;
        node(i).command({ "CLUSTER", "SETSLOT", number, "NODE", target });
    }
    return waitForOwner(slot, to);
}

bool RedisCluster::moveSlot(int slot, int from, int to)
{
    if (!beginMove(slot, from, to))
        return false;
    for (;;) {
        const int moved = moveKeys(slot, from, to);
        if (moved < 0)
            return false;
        if (moved == 0)
            break;
    }
    return finishMove(slot, from, to);
}

} // namespace redrive::tests
