// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

namespace redrive::tests {

class RedisServer;

// Realistic dead-letter entries for console tests, screenshots and benchmarks: the Genesys
// notification with varied topics, conversation ids, errors and status codes, as Redrive writes
// them (id, attempts, headers, next attempt).
class QueueFill final
{
public:
    QueueFill() = delete;

    // Entry number `n` of a DLQ (`permanent` false) or of the permanent-failure list.
    static QByteArray entry(int n, const QByteArray &payload, bool permanent);
    // LPUSHes `count` entries into `key`. Up to a few thousand are built here; bigger lists are
    // generated inside Redis by a Lua script, so filling a million entries costs this process
    // no memory. Returns false with `error` set when Redis refused.
    static bool fill(const RedisServer &server, const QByteArray &key, int count,
                     const QByteArray &payload, bool permanent, QString *error);
    // A short, real-shaped Genesys presence notification (for million-entry lists).
    static QByteArray compactPayload();
};

} // namespace redrive::tests
