// SPDX-License-Identifier: MIT
#include "core/queue/deadletterwriter.h"

#include "core/queue/queueevent.h"
#include "core/redis/redisconnection.h"
#include "core/redis/redisreply.h"

namespace redrive::core {

struct DeadLetterWriter::LengthReading
{
    int pending = 2; // LLEN replies still to come
    bool ok = true;
    Lengths lengths;
};

DeadLetterWriter::DeadLetterWriter(RedisConnection *connection, const QueueKeys &keys,
                                   const QString &source, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_keys(keys)
    , m_source(source)
    , m_sourceUtf8(source.toUtf8())
{ }

DeadLetterWriter::~DeadLetterWriter() = default;

void DeadLetterWriter::setConnection(RedisConnection *connection)
{
    m_connection = connection;
    m_reading.reset(); // replies still owed by the previous connection are ignored
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

void DeadLetterWriter::readLengths(const QObject *context,
                                   std::function<void(const Lengths &)> done)
{
    if (!isReady() || (m_reading && m_reading->pending > 0))
        return;
    auto reading = std::make_shared<LengthReading>();
    m_reading = reading;
    auto finish = std::make_shared<std::function<void(const Lengths &)>>(std::move(done));
    const auto handle = [this, reading, finish](bool dlq) {
        return [this, reading, finish, dlq](const RedisReply &reply) {
            if (reading != m_reading)
                return; // a reading of a connection since replaced
            --reading->pending;
            if (reply.type() == RedisReply::Type::Integer)
                (dlq ? reading->lengths.dlq : reading->lengths.permanent) = reply.toInteger();
            else
                reading->ok = false;
            if (reading->pending == 0 && reading->ok)
                (*finish)(reading->lengths);
        };
    };
    // The replies' context is this object (`this` is used); the caller's guards `done`.
    QPointer<const QObject> guard(context);
    const bool hasContext = context != nullptr;
    *finish = [guard, hasContext, inner = std::move(*finish)](const Lengths &lengths) {
        if (!hasContext || guard)
            inner(lengths);
    };
    m_connection->command({ QByteArrayLiteral("LLEN"), m_keys.dlq }, this, handle(true));
    m_connection->command({ QByteArrayLiteral("LLEN"), m_keys.permanent }, this, handle(false));
}

} // namespace redrive::core
