// SPDX-License-Identifier: MIT
#include "core/queue/deadletterwriter.h"

#include "core/queue/queueevent.h"
#include "core/redis/redisconnection.h"
#include "core/redis/redisreply.h"

#include <QLoggingCategory>

#include <vector>

namespace redrive::core {

namespace {
Q_LOGGING_CATEGORY(lcQueue, "redrive.queue")
} // namespace

// The writes of one pass of the event loop and the one WAIT that confirms them all: WAIT
// answers for every write sent before it on the same link.
struct DeadLetterWriter::Batch
{
    struct Write
    {
        Callback done;
        QPointer<const QObject> context;
        bool hasContext = false;
        QueueStore::List list = QueueStore::List::DeadLetter;
        QString id;
        bool stored = false; // LPUSH answered
        QString error; // why not
    };
    std::vector<Write> writes;
    quint64 linkId = 0; // the link the writes went out on
};

DeadLetterWriter::DeadLetterWriter(RedisConnection *connection, const QueueKeys &keys,
                                   const QString &source, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_keys(keys)
    , m_source(source)
    , m_sourceUtf8(source.toUtf8())
{
    setConnection(connection);
}

DeadLetterWriter::~DeadLetterWriter() = default;

void DeadLetterWriter::setReplicas(int replicas, int timeoutMs)
{
    m_replicas = qMax(0, replicas);
    m_replicasTimeoutMs = qMax(1, timeoutMs); // WAIT with 0 would wait for ever
    if (isReady())
        checkReplicaCount();
}

void DeadLetterWriter::setConnection(RedisConnection *connection)
{
    disconnect(m_readyConnection);
    m_connection = connection;
    if (!connection)
        return;
    m_readyConnection = connect(connection, &RedisConnection::ready, this,
                                &DeadLetterWriter::checkReplicaCount);
    if (connection->isReady())
        checkReplicaCount();
}

void DeadLetterWriter::checkReplicaCount()
{
    RedisConnection *connection = m_connection;
    if (!connection)
        return;
    const quint64 link = connection->linkId();
    connection->command(
        { QByteArrayLiteral("INFO"), QByteArrayLiteral("replication") }, this,
        [this, connection, link](const RedisReply &reply) {
            if (connection != m_connection || link != connection->linkId() || reply.isError())
                return;
            const QByteArray key = QByteArrayLiteral("connected_slaves:");
            int replicas = -1;
            for (const QByteArray &line : reply.bytes().split('\n')) {
                if (line.startsWith(key))
                    replicas = line.mid(key.size()).trimmed().toInt();
            }
            if (replicas <= m_replicas) {
                m_replicaWarning.clear();
                return;
            }
            const QString warning
                = QStringLiteral(
                      "the Redis primary at %1 has %2 replicas and --redis-replicas is %3: a "
                      "failover asked for while the primary is up (SENTINEL FAILOVER, a managed "
                      "Redis' planned maintenance) can lose acknowledged deliveries unless "
                      "--redis-replicas equals the number of replicas (%2)")
                      .arg(connection->serverAddress())
                      .arg(replicas)
                      .arg(m_replicas);
            if (warning == m_replicaWarning)
                return;
            m_replicaWarning = warning;
            qCWarning(lcQueue).noquote() << warning;
        });
}

bool DeadLetterWriter::isReady() const
{
    return m_connection && m_connection->isReady();
}

QString DeadLetterWriter::unavailableReason() const
{
    return m_connection ? m_connection->lastError() : QStringLiteral("no Redis connection");
}

void DeadLetterWriter::defer(QueueStore::List list, EntryWriter::Fields fields,
                             const QObject *context, Callback done)
{
    if (!m_connection) {
        QMetaObject::invokeMethod(
            this,
            [guard = QPointer<const QObject>(context), hasContext = context != nullptr,
             done = std::move(done)] {
                if (!hasContext || guard)
                    done({ false, QStringLiteral("no Redis connection") });
            },
            Qt::QueuedConnection);
        return;
    }
    fields.source = m_source;
    const QString id = fields.id;
    const QByteArray &key = list == QueueStore::List::DeadLetter ? m_keys.dlq : m_keys.permanent;
    if (m_replicas > 0) {
        // Settled by the pass's WAIT (confirmBatch), which goes after every write of this pass.
        if (!m_batch) {
            m_batch = std::make_shared<Batch>();
            m_batch->linkId = m_connection->linkId();
            QMetaObject::invokeMethod(this, &DeadLetterWriter::confirmBatch, Qt::QueuedConnection);
        }
        const std::shared_ptr<Batch> batch = m_batch;
        if (batch->linkId != m_connection->linkId()) {
            // The link changed within this pass: WAIT could not vouch for the earlier writes.
            QMetaObject::invokeMethod(
                this,
                [guard = QPointer<const QObject>(context), hasContext = context != nullptr,
                 done = std::move(done)] {
                    if (!hasContext || guard)
                        done({ false, QStringLiteral("the connection to Redis changed") });
                },
                Qt::QueuedConnection);
            return;
        }
        const size_t slot = batch->writes.size();
        Batch::Write write;
        write.done = std::move(done);
        write.context = context;
        write.hasContext = context != nullptr;
        write.list = list;
        write.id = id;
        batch->writes.push_back(std::move(write));
        m_connection->command({ QByteArrayLiteral("LPUSH"), key, EntryWriter::write(fields) }, this,
                              [batch, slot](const RedisReply &reply) {
                                  Batch::Write &write = batch->writes[slot];
                                  write.stored = !reply.isError()
                                      && reply.type() == RedisReply::Type::Integer;
                                  if (!write.stored)
                                      write.error = reply.isError()
                                          ? reply.errorText()
                                          : QStringLiteral("unexpected reply to LPUSH");
                              });
        return;
    }
    // The callback's context is the caller's; the announcement is this object's business and
    // needs this object alive, which `writer` tells.
    m_connection->command({ QByteArrayLiteral("LPUSH"), key, EntryWriter::write(fields) }, context,
                          [writer = QPointer<DeadLetterWriter>(this), list, id,
                           done = std::move(done)](const RedisReply &reply) {
                              if (reply.isError() || reply.type() != RedisReply::Type::Integer) {
                                  done({ false,
                                         reply.isError()
                                             ? reply.errorText()
                                             : QStringLiteral("unexpected reply to LPUSH") });
                                  return;
                              }
                              if (writer)
                                  writer->announce(list, id);
                              done({ true, QString() });
                          });
}

void DeadLetterWriter::confirmBatch()
{
    const std::shared_ptr<Batch> batch = std::exchange(m_batch, nullptr);
    if (!batch)
        return;
    const int replicas = m_replicas;
    const int timeoutMs = m_replicasTimeoutMs;
    const auto settle = [writer = QPointer<DeadLetterWriter>(this), batch, replicas,
                         timeoutMs](const RedisReply &reply) {
        QString refusal;
        if (reply.isError())
            refusal = QStringLiteral("the replicas' confirmation (WAIT) failed: %1")
                          .arg(reply.errorText());
        else if (reply.type() != RedisReply::Type::Integer)
            refusal = QStringLiteral("unexpected reply to WAIT");
        else if (reply.toInteger() < replicas)
            refusal = QStringLiteral("Redis stored the delivery, but only %1 of the %2 replicas "
                                     "asked for (--redis-replicas) confirmed it within %3 ms: "
                                     "not acknowledged, though it may be in the queue")
                          .arg(reply.toInteger())
                          .arg(replicas)
                          .arg(timeoutMs);
        for (Batch::Write &write : batch->writes) {
            if (write.hasContext && !write.context)
                continue; // whoever asked is gone
            if (!write.stored) {
                write.done({ false, write.error });
            } else if (!refusal.isEmpty()) {
                write.done({ false, refusal });
            } else {
                if (writer)
                    writer->announce(write.list, write.id);
                write.done({ true, QString() });
            }
        }
    };
    if (!m_connection || m_connection->linkId() != batch->linkId) {
        // Dropped since the writes went out: their answers (errors) are in, or on their way;
        // nothing vouches for those that were answered.
        QMetaObject::invokeMethod(
            this,
            [settle] {
                settle(RedisReply::error(QStringLiteral("the connection to Redis was lost")));
            },
            Qt::QueuedConnection);
        return;
    }
    m_connection->command(
        { QByteArrayLiteral("WAIT"), QByteArray::number(replicas), QByteArray::number(timeoutMs) },
        this, settle);
}

void DeadLetterWriter::announce(QueueStore::List list, const QString &id)
{
    // Best effort, after the write, and never waited for.
    QStringList &ids = list == QueueStore::List::DeadLetter ? m_announceDlq : m_announcePermanent;
    ids.append(id);
    if (ids.size() >= MaxIdsPerAnnouncement) {
        publishAnnouncements();
    } else if (!m_announceScheduled) {
        m_announceScheduled = true;
        QMetaObject::invokeMethod(this, &DeadLetterWriter::publishAnnouncements,
                                  Qt::QueuedConnection);
    }
}

void DeadLetterWriter::publishAnnouncements()
{
    m_announceScheduled = false;
    for (const QueueStore::List list :
         { QueueStore::List::DeadLetter, QueueStore::List::PermanentFailures }) {
        QStringList &ids
            = list == QueueStore::List::DeadLetter ? m_announceDlq : m_announcePermanent;
        if (ids.isEmpty())
            continue;
        QueueEvent event;
        event.event = "pushed";
        event.source = m_sourceUtf8;
        event.list = list;
        event.count = ids.size();
        event.ids = std::exchange(ids, {});
        if (m_connection)
            event.publish(m_connection, m_keys);
    }
}

} // namespace redrive::core
