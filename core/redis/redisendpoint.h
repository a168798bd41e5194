// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

namespace redrive::core {

// Where a Redis server is and how to log in: parsed from `redis://[user@]host:port/db`,
// `rediss://[user@]host:port/db` (TLS) or `unix:///path/to/socket[?db=N]`. The password never
// comes from the URL text shown to users.
struct RedisEndpoint
{
    QString host = QStringLiteral("127.0.0.1");
    quint16 port = 6379;
    QString unixSocket; // non-empty: connect through this socket instead of host:port
    int database = 0;
    QString user;
    QString password; // from the keychain or the environment, never from argv
    // TLS (rediss://): the server's certificate is verified against the system's CAs, or those
    // of tlsCaFile, for the name tlsServerName (empty: host), unless tlsInsecure.
    bool tls = false;
    QString tlsCaFile; // PEM; empty: the system's CAs
    QString tlsCertFile; // client certificate (PEM), for servers that ask for one
    QString tlsKeyFile; // its private key (PEM, unencrypted)
    QString tlsServerName;
    bool tlsInsecure = false; // no verification at all: says so at every start

    bool isUnix() const { return !unixSocket.isEmpty(); }

    // Parses `url`; on failure returns false and sets `error` to a message fit for a user.
    // A password embedded in the URL is accepted (tools print such URLs) but moved to `password`.
    static bool parse(const QString &url, RedisEndpoint *endpoint, QString *error);

    // The URL for logs and the UI: without the password, the user shown as "***" (redactedUrl).
    QString displayUrl() const;
};

} // namespace redrive::core
