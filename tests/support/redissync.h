// SPDX-License-Identifier: MIT
#pragma once

// Synchronous use of the asynchronous RedisConnection, for tests only: send a command and wait
// (running the event loop) for its reply.

#include "core/redis/redisreply.h"

#include <QByteArray>
#include <QList>

namespace redrive::core {
class RedisConnection;
}

namespace redrive::tests {

// Sends `args` on `connection` and runs the event loop until the reply comes or `waitMs`
// passes; a reply that did not come is an error reply saying so (and fails the current test).
core::RedisReply runCommand(core::RedisConnection &connection, const QList<QByteArray> &args,
                            int waitMs = 30000);

} // namespace redrive::tests
