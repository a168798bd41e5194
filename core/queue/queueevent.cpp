// SPDX-License-Identifier: MIT
#include "core/queue/queueevent.h"

#include "core/queue/entrywriter.h"
#include "core/redis/redisconnection.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace redrive::core {

QByteArray QueueEvent::toJson(const QueueKeys &keys) const
{
    const bool dlq = list == List::DeadLetter;
    QByteArray json;
    json.reserve(120 + ids.size() * 40);
    json += "{\"event\":";
    EntryWriter::appendUtf8String(&json, event);
    json += ",\"source\":";
    EntryWriter::appendUtf8String(&json, source);
    json += ",\"list\":";
    json += list ? (dlq ? "\"dlq\"" : "\"permanent\"") : "null";
    json += ",\"key\":";
    if (list)
        EntryWriter::appendUtf8String(&json, dlq ? keys.dlq : keys.permanent);
    else
        json += "null";
    json += ",\"count\":" + QByteArray::number(count) + ",\"ids\":[";
    for (qsizetype i = 0; i < ids.size(); ++i) {
        if (i > 0)
            json += ',';
        EntryWriter::appendString(&json, ids.at(i));
    }
    json += "]}";
    return json;
}

QueueEvent QueueEvent::fromJson(const QByteArray &message)
{
    QueueEvent parsed;
    const QJsonObject object = QJsonDocument::fromJson(message).object();
    parsed.event = object.value(QStringLiteral("event")).toString().toUtf8();
    parsed.source = object.value(QStringLiteral("source")).toString().toUtf8();
    const QString list = object.value(QStringLiteral("list")).toString();
    if (list == QLatin1String("dlq"))
        parsed.list = List::DeadLetter;
    else if (list == QLatin1String("permanent"))
        parsed.list = List::PermanentFailures;
    parsed.count = object.value(QStringLiteral("count")).toInteger();
    for (const QJsonValue &id : object.value(QStringLiteral("ids")).toArray())
        parsed.ids.append(id.toString());
    return parsed;
}

void QueueEvent::publish(RedisConnection *connection, const QueueKeys &keys) const
{
    connection->command({ QByteArrayLiteral("PUBLISH"), keys.channel(), toJson(keys) }, nullptr,
                        [](const RedisReply &) {});
}

} // namespace redrive::core
