// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

namespace redrive::core {

class Settings;

// Every Redis key name the queue uses: the two tutorial lists and Redrive's own keys under the
// prefix. Nothing else spells a key.
struct QueueKeys
{
    QByteArray dlq = "genesys_webhook_dlq";
    QByteArray permanent = "genesys_webhook_permanent_failures";
    QByteArray prefix = "genesys_webhook_dlq:";
    bool prefixSet = false; // --key-prefix (or a twin) given, rather than following the DLQ key

    // Pub/sub channel announcing changes to either list (payload: a QueueEvent's JSON).
    QByteArray channel() const { return prefix + "events"; }
    // ZSET raw element -> due time (ms) of entries waiting for their backoff.
    QByteArray schedule() const { return prefix + "schedule"; }
    // STREAM of the audit trail (AuditLog): every manual action.
    QByteArray audit() const { return prefix + "audit"; }
    // SET of the retry workers' ids.
    QByteArray workers() const { return prefix + "workers"; }
    // LIST of the entries worker `workerId` is attempting; its lease (a string with a PX).
    QByteArray inflight(const QByteArray &workerId) const { return inflightPrefix() + workerId; }
    QByteArray lease(const QByteArray &workerId) const { return leasePrefix() + workerId; }
    // The same without the worker id, for scripts that go through every worker's keys.
    QByteArray inflightPrefix() const { return prefix + "inflight:"; }
    QByteArray leasePrefix() const { return prefix + "lease:"; }

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
