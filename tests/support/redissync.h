// SPDX-License-Identifier: MIT
#pragma once

// Synchronous use of the asynchronous RedisConnection, for tests only: the endpoint of a test
// server's URL, a connection opened and ready, a command sent and its reply waited for (running
// the event loop).

#include "core/redis/redisendpoint.h"
#include "core/redis/redisreply.h"

#include <QByteArray>
#include <QList>

#include <memory>

namespace redrive::core {
class RedisConnection;
}

namespace redrive::tests {

// The endpoint of `url` (a test server's url(), tlsUrl(), a sentinel URL); a URL that does not
// parse ends the test program (qFatal).
core::RedisEndpoint endpointOf(const QString &url);

// A connection named `clientName` to `endpoint`, opened and ready within `waitMs`; null (with a
// warning saying why) when it did not get ready.
std::unique_ptr<core::RedisConnection> connectRedis(const core::RedisEndpoint &endpoint,
                                                    const QString &clientName
                                                    = QStringLiteral("test"),
                                                    int waitMs = 30000);

// Sends `args` on `connection` and runs the event loop until the reply comes or `waitMs`
// passes; a reply that did not come is an error reply saying so (and fails the current test).
core::RedisReply runCommand(core::RedisConnection &connection, const QList<QByteArray> &args,
                            int waitMs = 30000);

} // namespace redrive::tests
