// SPDX-License-Identifier: MIT
#include "core/receiver/receiverconfig.h"

#include "core/settings/settings.h"

#include <QThread>

namespace redrive::core {

bool ReceiverConfig::parseListen(const QString &text, QHostAddress *address, quint16 *port,
                                 QString *error)
{
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    bool ok = false;
    const int number = colon > 0 ? text.mid(colon + 1).toInt(&ok) : -1;
    if (colon <= 0 || !ok || number < 0 || number > 65535) {
        if (error)
            *error = QStringLiteral("\"%1\" is not HOST:PORT (port 0-65535)").arg(text);
        return false;
    }
    QString host = text.left(colon);
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    QHostAddress parsed;
    if (host == QLatin1String("localhost"))
        parsed = QHostAddress(QHostAddress::LocalHost);
    else if (!parsed.setAddress(host)) {
        if (error)
            *error
                = QStringLiteral("\"%1\": the host must be an IP address or localhost").arg(text);
        return false;
    }
    *address = parsed;
    *port = quint16(number);
    return true;
}

ReceiverConfig ReceiverConfig::fromSettings(const Settings &settings)
{
    ReceiverConfig config;
    // The settings layer validated the address already; keep the defaults if it still fails.
    parseListen(settings.string(SettingKey::ListenAddress), &config.address, &config.port, nullptr);
    config.path = settings.string(SettingKey::WebhookPath);
    config.maxBodyBytes = settings.integer64(SettingKey::MaxBodyBytes);
    config.secretHeader = settings.string(SettingKey::SecretHeader).toLatin1();
    config.maxConnections = settings.integer(SettingKey::MaxConnections);
    config.headerTimeoutMs = settings.integer(SettingKey::HeaderTimeout) * 1000;
    config.redisReplicas = settings.integer(SettingKey::RedisReplicas);
    config.redisReplicasTimeoutMs = settings.integer(SettingKey::RedisReplicasTimeoutMs);
    const int threads = settings.integer(SettingKey::ReceiverThreads);
    config.threads = threads > 0 ? threads : defaultThreads();
    return config;
}

int ReceiverConfig::defaultThreads()
{
    return qBound(1, QThread::idealThreadCount(), 4);
}

} // namespace redrive::core
