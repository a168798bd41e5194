// SPDX-License-Identifier: MIT
#pragma once

#include "core/queue/entrywriter.h"
#include "core/queue/queuekeys.h"
#include "core/queue/queuestore.h"

#include <QObject>
#include <QPointer>
#include <QStringList>

#include <functional>

namespace redrive::core {

class RedisConnection;

// The queue's side of "defer this delivery", for the receiver: one LPUSH of the entry
// EntryWriter writes, to the DLQ or straight to permanent failures; once Redis confirmed it, the
// write is announced on the channel as a QueueEvent "pushed" (the writes confirmed in one pass of
// the event loop share one message: one PUBLISH per delivery would double the commands Redis
// runs under load).
class DeadLetterWriter final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DeadLetterWriter)

public:
    struct Result
    {
        bool stored = false; // Redis confirmed the write
        QString error; // why not, fit for a log and an answer's body
    };
    using Callback = std::function<void(const Result &)>;

    // `source` names the writer in the entries (their `source` field) and in the events.
    DeadLetterWriter(RedisConnection *connection, const QueueKeys &keys, const QString &source,
                     QObject *parent = nullptr);
    ~DeadLetterWriter() override;

    // Replicated acknowledgements: a write counts as stored only once `WAIT replicas timeoutMs`
    // confirms that many replicas have it (one WAIT after the writes of each pass of the event
    // loop). 0 (the default): once the primary has it.
    //
    // Each time the connection is ready (and when this is set while it is), the primary's
    // replicas are counted (INFO replication); when `replicas` is below that count, one warning
    // line says that a failover asked for while the primary is up can lose acknowledged
    // deliveries (the sentinels detach the replica they promote while the primary still takes
    // writes that the other replicas confirm). Not repeated for the same primary and figures.
    void setReplicas(int replicas, int timeoutMs);
    int replicas() const { return m_replicas; }

    // Null until there is one; replies still owed by a previous connection are dropped.
    void setConnection(RedisConnection *connection);
    bool hasConnection() const { return !m_connection.isNull(); }
    bool isReady() const;
    // Why the connection is not ready, fit to show (a Redis error, or "no Redis connection").
    QString unavailableReason() const;
    const QueueKeys &keys() const { return m_keys; }

    // Writes the entry of `fields` (its source set to this writer's) at the new end of `list`.
    // `done` runs once on this object's thread, never from inside this call, unless `context`
    // is destroyed first.
    void defer(QueueStore::List list, EntryWriter::Fields fields, const QObject *context,
               Callback done);


private:
    struct Batch;
    void announce(QueueStore::List list, const QString &id);
    // Sends the WAIT for the writes of this pass and settles them with its answer.
    void confirmBatch();
    void publishAnnouncements();
    // Counts the primary's replicas and warns when m_replicas is below (see setReplicas()).
    void checkReplicaCount();

    static constexpr qsizetype MaxIdsPerAnnouncement = 200;
    QPointer<RedisConnection> m_connection;
    QueueKeys m_keys;
    QString m_source;
    QByteArray m_sourceUtf8;
    QStringList m_announceDlq;
    QStringList m_announcePermanent;
    bool m_announceScheduled = false;
    int m_replicas = 0;
    int m_replicasTimeoutMs = 1000;
    std::shared_ptr<Batch> m_batch; // writes waiting for their WAIT to be sent
    QMetaObject::Connection m_readyConnection;
    QString m_replicaWarning; // the last one given, not repeated
};

} // namespace redrive::core
