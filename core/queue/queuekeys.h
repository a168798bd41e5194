// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

namespace redrive::core {

class Settings;

// The Redis key names in use: the two tutorial lists and Redrive's own keys under the prefix.
struct QueueKeys
{
    QByteArray dlq = "genesys_webhook_dlq";
    QByteArray permanent = "genesys_webhook_permanent_failures";
    QByteArray prefix = "genesys_webhook_dlq:";
    bool prefixSet = false; // --key-prefix (or a twin) given, rather than following the DLQ key

    // Pub/sub channel announcing changes to either list (payload: a short JSON event).
    QByteArray channel() const { return prefix + "events"; }
    QByteArray key(const char *suffix) const { return prefix + suffix; }

    // Without --key-prefix, a DLQ key with a hash tag ("{genesys}:webhook_dlq") puts the other
    // keys under "<dlq key>:", so that they keep its tag (and its Redis Cluster slot).
    static QueueKeys fromSettings(const Settings &settings);

    // Redis Cluster: Redrive's scripts touch several of its keys at once, so all of them — the
    // two lists and every key under the prefix (schedule, workers, in-flight lists, leases, the
    // channel) — must hash to one slot: the two lists and the prefix each need the same hash
    // tag. "" when they have it; else what is wrong and the flags that fix it, for the user.
    QString clusterProblem() const;
};

} // namespace redrive::core
