// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

namespace redrive::core {

// Where a Redis server is and how to log in: parsed from `redis://[user@]host:port/db` or
// `unix:///path/to/socket[?db=N]`. The password never comes from the URL text shown to users.
struct RedisEndpoint
{
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 6379;
    QString unixSocket; // non-empty: connect through this socket instead of host:port
    int database = 0;
    QString user;
    QString password; // from the keychain or the environment, never from argv

    bool isUnix() const { return !unixSocket.isEmpty(); }

    // Parses `url`; on failure returns false and sets `error` to a message fit for a user.
    // A password embedded in the URL is accepted (tools print such URLs) but moved to `password`.
    static bool parse(const QString &url, RedisEndpoint *endpoint, QString *error);

    // The URL for logs and the UI: without the password, the user shown as "***" (redactedUrl).
    QString displayUrl() const;
};

} // namespace redrive::core
