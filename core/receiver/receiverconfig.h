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
    int housekeepingMs = 1000; // queue lengths refresh, timeouts

    // Parses "HOST:PORT" (an IP address, [IPv6] or localhost). False with `error` set otherwise.
    static bool parseListen(const QString &text, QHostAddress *address, quint16 *port,
                            QString *error);
    // Listen address, path, body limit and secret header from the settings.
    static ReceiverConfig fromSettings(const Settings &settings);
};

} // namespace redrive::core
