// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

namespace redrive::core {

// Why Redis could not take a delivery, as told to whoever can reach the receiver's port (the
// 503 answer to a sender, /healthz): the Redis connection's own reason without the places it
// names. "cannot connect to Redis at redis://***@10.0.0.5:6379/0: Connection refused" becomes
// "cannot connect to Redis: Connection refused"; URLs, host:port pairs, IP addresses, user@host,
// file paths and the user named by an ACL refusal that remain are replaced by "(hidden)".
// Redis' own error codes and words ("WRONGPASS", "OOM command not allowed") stay: they say what
// to fix. The server's log keeps the full (redacted) reason.
QString publicRedisReason(const QString &reason);

} // namespace redrive::core
