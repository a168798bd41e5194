// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QList>
#include <QString>

struct redisReply;

namespace redrive::core {

// A Redis reply copied out of hiredis, so it can outlive the callback and cross threads.
// Transport failures (not connected, connection lost) are errors too, with a readable text.
class RedisReply
{
public:
    enum class Type { Nil, String, Status, Integer, Array, Error };

    RedisReply() = default;
    static RedisReply fromHiredis(const redisReply *reply);
    static RedisReply error(const QString &message);
    static RedisReply integer(long long value);

    Type type() const { return m_type; }
    bool isError() const { return m_type == Type::Error; }
    bool isNil() const { return m_type == Type::Nil; }
    // Bytes of a String or Status reply (and the message of an Error reply).
    const QByteArray &bytes() const { return m_bytes; }
    long long toInteger() const { return m_integer; }
    const QList<RedisReply> &elements() const { return m_elements; }
    QString errorText() const { return isError() ? QString::fromUtf8(m_bytes) : QString(); }

private:
    Type m_type = Type::Nil;
    QByteArray m_bytes;
    long long m_integer = 0;
    QList<RedisReply> m_elements;
};

} // namespace redrive::core
