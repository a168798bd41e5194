// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>

#include <functional>

class QObject;

namespace redrive::core {

class RedisConnection;
class RedisReply;

// Runs one of the queue's Lua scripts (EVAL script numkeys keys... args...): the one place the
// queue's atomic steps are turned into a command. `callback` runs once on `context`'s thread,
// unless `context` is destroyed first.
void evalScript(RedisConnection *connection, QByteArrayView script, const QList<QByteArray> &keys,
                const QList<QByteArray> &args, const QObject *context,
                std::function<void(const RedisReply &)> callback);

} // namespace redrive::core
