// SPDX-License-Identifier: MIT
#pragma once

#include <QList>
#include <QString>

namespace redrive::core {

// One host:port.
struct RedisAddress
{
    QString host;
    quint16 port = 6379;
    bool operator==(const RedisAddress &other) const = default;
    QString toString() const; // "host:port", "[::1]:port"
};

// Where a Redis server is and how to log in: parsed from `redis://[user@]host:port/db`,
// `rediss://[user@]host:port/db` (TLS), `unix:///path/to/socket[?db=N]`, or
// `redis+sentinel://[user@]host:port[,host:port...]/MASTER_NAME[/db]` (and `rediss+sentinel://`),
// where the server is the primary the sentinels name, or
// `redis+cluster://[user@]host:port[,host:port...]` (and `rediss+cluster://`), where it is the
// Redis Cluster node owning `clusterSlot`. The password never comes from the URL
// text shown to users.
struct RedisEndpoint
{
    // Direct: host:port or unixSocket is the server. Otherwise a RedisLocator finds the server
    // before each connection attempt (core/redis/redislocator.h), starting from `seeds`.
    enum class Kind { Direct, Sentinel, Cluster };
    Kind kind = Kind::Direct;
    QList<RedisAddress> seeds; // Sentinel: the sentinels, asked in this order; Cluster: nodes
    // Cluster: the hash slot of the keys (all in one), -1 while unknown (the first MOVED tells)
    int clusterSlot = -1;
    QString masterName; // Sentinel: the name the sentinels know the primary by
    QString sentinelPassword; // Sentinel: for the sentinels (AUTH), never from argv

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
    bool isDirect() const { return kind == Kind::Direct; }

    // Parses `url`; on failure returns false and sets `error` to a message fit for a user.
    // A password embedded in the URL is accepted (tools print such URLs) but moved to `password`.
    static bool parse(const QString &url, RedisEndpoint *endpoint, QString *error);

    // The URL for logs and the UI: without the password, the user shown as "***" (redactedUrl).
    QString displayUrl() const;
};

} // namespace redrive::core
