// SPDX-License-Identifier: MIT
#pragma once

#include "core/audit/auditrecord.h"
#include "core/queue/queuekeys.h"

#include <QMetaType>

#include <functional>

class QObject;

namespace redrive::core {

class RedisConnection;

// The receiver's registration with Genesys Cloud as the audit trail last recorded it: the newest
// register or unregister action that was done (docs/AUDIT.md), among the trail's last
// ScannedRecords records.
struct RegistrationStatus
{
    static constexpr int ScannedRecords = 1000;

    bool found = false;
    AuditRecord record; // when found: action Register or Unregister, detail = the URL
    QString error; // empty when Redis answered

    bool ok() const { return error.isEmpty(); }
    bool registered() const { return found && record.action == AuditAction::Register; }

    // One XREVRANGE on the audit stream (QueueKeys::audit()); `done` runs once on `context`'s thread.
    static void read(RedisConnection *redis, const QueueKeys &keys, const QObject *context,
                     std::function<void(const RegistrationStatus &)> done);
};

} // namespace redrive::core

Q_DECLARE_METATYPE(redrive::core::RegistrationStatus)
