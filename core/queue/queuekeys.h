// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>

namespace redrive::core {

class Settings;

// The Redis key names in use: the two tutorial lists and Redrive's own keys under the prefix.
struct QueueKeys
{
    QByteArray dlq = "genesys_webhook_dlq";
    QByteArray permanent = "genesys_webhook_permanent_failures";
    QByteArray prefix = "genesys_webhook_dlq:";

    // Pub/sub channel announcing changes to either list (payload: a short JSON event).
    QByteArray channel() const { return prefix + "events"; }
    QByteArray key(const char *suffix) const { return prefix + suffix; }

    static QueueKeys fromSettings(const Settings &settings);
};

} // namespace redrive::core
