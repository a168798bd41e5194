// SPDX-License-Identifier: MIT
#include "core/redis/redisreply.h"

#include <hiredis/hiredis.h>

namespace redrive::core {

RedisReply RedisReply::fromHiredis(const redisReply *reply)
{
    RedisReply result;
    if (!reply)
        return error(QStringLiteral("connection to Redis lost"));
    switch (reply->type) {
    case REDIS_REPLY_STRING:
        result.m_type = Type::String;
        result.m_bytes = QByteArray(reply->str, qsizetype(reply->len));
        break;
    case REDIS_REPLY_STATUS:
        result.m_type = Type::Status;
        result.m_bytes = QByteArray(reply->str, qsizetype(reply->len));
        break;
    case REDIS_REPLY_ERROR:
        result.m_type = Type::Error;
        result.m_bytes = QByteArray(reply->str, qsizetype(reply->len));
        break;
    case REDIS_REPLY_INTEGER:
        result.m_type = Type::Integer;
        result.m_integer = reply->integer;
        break;
    case REDIS_REPLY_ARRAY:
        result.m_type = Type::Array;
        result.m_elements.reserve(qsizetype(reply->elements));
        for (size_t i = 0; i < reply->elements; ++i)
            result.m_elements.append(fromHiredis(reply->element[i]));
        break;
    default:
        result.m_type = Type::Nil;
        break;
    }
    return result;
}

RedisReply RedisReply::error(const QString &message)
{
    RedisReply result;
    result.m_type = Type::Error;
    result.m_bytes = message.toUtf8();
    return result;
}

RedisReply RedisReply::integer(long long value)
{
    RedisReply result;
    result.m_type = Type::Integer;
    result.m_integer = value;
    return result;
}

} // namespace redrive::core
