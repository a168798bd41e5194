// SPDX-License-Identifier: MIT
#pragma once

#include "core/queue/queuekeys.h"
#include "core/queue/retryworker.h"
#include "core/receiver/receiverconfig.h"
#include "core/redis/redisendpoint.h"

#include <QByteArray>
#include <QString>
#include <QStringList>
#include <QUrl>

namespace redrive::core {

class Settings;

// Everything the engine is built from, as values: read from Settings on the thread that owns
// them (the GUI thread) and handed to the engine's own thread, which never touches Settings.
// fromSettings() is the one place the engine's settings are read (on the GUI thread); the
// receiver's and the keys' mappings stay beside their types, which own their rules.
struct EngineConfig
{
    // -- Redis: empty URL = the embedded redis-server in `dataDirectory` ----------------------
    QString redisUrl;
    QString redisServerBinary = QStringLiteral("redis-server");
    QString dataDirectory;
    QString redisTlsCa;
    QString redisTlsCert;
    QString redisTlsKey;
    QString redisTlsServerName;
    bool redisTlsInsecure = false;
    QueueKeys keys;
    // -- what runs ---------------------------------------------------------------------------
    bool receiverEnabled = true;
    bool workerEnabled = true;
    ReceiverConfig receiver;
    // False: the receiver's threads never share the port with SO_REUSEPORT, one of them accepts
    // for all (what a system without SO_REUSEPORT gets; for tests).
    bool receiverSharesPort = true;
    // /healthz and /metrics when the receiver is off ("HOST:PORT").
    QString adminListen = QStringLiteral("127.0.0.1:9464");
    // -- downstream ----------------------------------------------------------------------------
    QUrl downstreamUrl;
    int downstreamTimeoutMs = 10000;
    QString simulateFailure = QStringLiteral("never"); // never|always|timeout|N%
    QByteArray secretHeader = "X-Redrive-Secret"; // never forwarded downstream
    RetryWorker::Config worker;

    static EngineConfig fromSettings(const Settings &settings);

    // Gives `endpoint` (parsed from a rediss:// URL) the TLS settings; for any other URL they do
    // not apply and `warnings` says so when some are set. False, with a message fit for a user,
    // when they cannot be used. The engine and `redrive queue` reach Redis alike through this.
    bool applyRedisTls(RedisEndpoint *endpoint, QString *error, QStringList *warnings) const;
};

// Secrets resolved by the caller from the keychain, credential files or the environment; held
// in memory only.
struct EngineSecrets
{
    QString redisPassword;
    QString redisSentinelPassword; // for redis+sentinel://: the sentinels' own password
    QByteArray sharedSecret;
};

} // namespace redrive::core
