// SPDX-License-Identifier: MIT
#include "core/trends/registrationstatus.h"

#include "core/redis/redisconnection.h"
#include "core/redis/redisreply.h"

namespace redrive::core {

void RegistrationStatus::read(RedisConnection *redis, const QueueKeys &keys,
                              const QObject *context,
                              std::function<void(const RegistrationStatus &)> done)
{
    if (!redis) {
        RegistrationStatus status;
        status.error = QStringLiteral("not connected");
        done(status);
        return;
    }
    redis->command({ QByteArrayLiteral("XREVRANGE"), keys.audit(), QByteArrayLiteral("+"),
                     QByteArrayLiteral("-"), QByteArrayLiteral("COUNT"),
                     QByteArray::number(ScannedRecords) },
                   context, [done](const RedisReply &reply) {
                       RegistrationStatus status;
                       if (reply.isError()) {
                           status.error = reply.errorText();
                           done(status);
                           return;
                       }
                       for (const RedisReply &entry : reply.elements()) {
                           if (entry.elements().size() < 2)
                               continue;
                           QList<std::pair<QByteArray, QByteArray>> fields;
                           const QList<RedisReply> &pairs = entry.elements().at(1).elements();
                           for (qsizetype i = 0; i + 1 < pairs.size(); i += 2)
                               fields.append({ pairs[i].bytes(), pairs[i + 1].bytes() });
                           const AuditRecord record
                               = AuditRecord::fromStreamEntry(entry.elements().at(0).bytes(), fields);
                           if (!record.isValid() || record.outcome != AuditOutcome::Done
                               || (record.action != AuditAction::Register
                                   && record.action != AuditAction::Unregister))
                               continue;
                           status.found = true;
                           status.record = record;
                           break;
                       }
                       done(status);
                   });
}

} // namespace redrive::core
