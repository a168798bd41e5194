// SPDX-License-Identifier: MIT
#pragma once

#include "core/receiver/payloadvalidator.h"

#include <QByteArray>
#include <QHostAddress>
#include <QString>

namespace redrive::core {

class Settings;

// How the webhook receiver listens and what it accepts. The shared secret is not part of it:
// it comes from the CredentialStore and is handed to WebhookReceiver::setSharedSecret().
struct ReceiverConfig
{
    QHostAddress address = QHostAddress::LocalHost;
    quint16 port = 5000; // 0: any free port (WebhookReceiver::port() tells which)
    QString path = QStringLiteral("/webhook/genesys");
    qint64 maxBodyBytes = qint64(1024) * 1024;
    QByteArray secretHeader = "X-Redrive-Secret";
    int maxJsonDepth = PayloadValidator::DefaultMaxDepth;
    int retryAfterSeconds = 5; // in 503 answers
    int redisTimeoutMs = 5000; // a write Redis has not confirmed by then is answered 503
    int idleTimeoutMs = 60000; // idle keep-alive connections and stalled requests end
    // A connection whose request head is not complete this long after it was accepted (or,
    // for a later request, after its first byte) is closed: 408 if some of it came.
    int headerTimeoutMs = 10000;
    // Connections open at once; beyond it a new one is answered 503 and closed.
    // 0: DescriptorLimit::defaultMaxConnections().
    int maxConnections = 0;
    int housekeepingMs = 1000; // queue lengths refresh, timeouts
    // A write is acknowledged once this many replicas confirmed it (WAIT), within the timeout.
    int redisReplicas = 0;
    int redisReplicasTimeoutMs = 1000;
    // Event loops taking deliveries, each on its own thread with its own listening socket and
    // Redis connection (--receiver-threads; the settings' 0 is resolved by fromSettings()).
    int threads = 1;

    // What --receiver-threads 0 (the default) means here: the cores, at most 4.
    static int defaultThreads();

    // Parses "HOST:PORT" (an IP address, [IPv6] or localhost). False with `error` set otherwise.
    static bool parseListen(const QString &text, QHostAddress *address, quint16 *port,
                            QString *error);
    // Listen address, path, body limit, secret header, connection limits and threads from the
    // settings.
    static ReceiverConfig fromSettings(const Settings &settings);
};

} // namespace redrive::core
