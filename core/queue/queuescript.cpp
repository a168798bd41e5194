// SPDX-License-Identifier: MIT
#include "core/queue/queuescript.h"

#include "core/redis/redisconnection.h"

namespace redrive::core {

void evalScript(RedisConnection *connection, QByteArrayView script, const QList<QByteArray> &keys,
                const QList<QByteArray> &args, const QObject *context,
                std::function<void(const RedisReply &)> callback)
{
    QList<QByteArray> command;
    command.reserve(3 + keys.size() + args.size());
    command << QByteArrayLiteral("EVAL") << script.toByteArray() << QByteArray::number(keys.size());
    command += keys;
    command += args;
    connection->command(command, context, std::move(callback));
}

} // namespace redrive::core
