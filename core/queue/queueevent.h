// SPDX-License-Identifier: MIT
#pragma once

#include "core/queue/queuekeys.h"
#include "core/queue/queuestore.h"

#include <QByteArray>
#include <QStringList>

#include <optional>

namespace redrive::core {

class RedisConnection;

// A change to one of the lists, as announced on QueueKeys::channel(). Every writer of the
// lists (the receiver through DeadLetterWriter, the retry worker, QueueStore) publishes this one
// shape, a single-line JSON object:
//   {"event":"pushed","source":"receiver","list":"dlq","key":"genesys_webhook_dlq",
//    "count":2,"ids":["6d2beb00-...","0f9e..."]}
// `event` says what happened ("pushed", "retry", "permanent", "edit", "remove", "move", "purge",
// "import"), `source` who did it ("receiver", "worker", "console"), `list` is "dlq" or
// "permanent", `key` that list's Redis key, `count` how many entries, `ids` their ids when the
// writer knows them (else empty). Announcements are best effort: readers also watch the lists
// (ListChangeDetector) for writers that announce nothing (the tutorial, redis-cli).
struct QueueEvent
{
    using List = QueueStore::List;

    QByteArray event;
    QByteArray source;
    std::optional<List> list; // unknown in a message of another format
    qint64 count = 0;
    QStringList ids;

    QByteArray toJson(const QueueKeys &keys) const;
    // Reads a message from the channel; fields it does not have stay empty.
    static QueueEvent fromJson(const QByteArray &message);

    // PUBLISHes the event on keys.channel(), best effort (the reply is not waited for).
    void publish(RedisConnection *connection, const QueueKeys &keys) const;
};

} // namespace redrive::core
