// SPDX-License-Identifier: MIT
#pragma once

#include "core/queue/queuekeys.h"

#include <QMetaType>
#include <QString>

#include <functional>

class QObject;

namespace redrive::core {

class RedisConnection;
class RetryWorker;

// The retry worker at a glance, for the console's Overview: this process' worker (if any) and
// what Redis says of all of them.
struct WorkerOverview
{
    bool running = false; // a retry worker runs in this process
    int inFlight = 0; // entries it is attempting now
    qint64 delivered = 0; // retries it delivered since it started
    qint64 rescheduled = 0;
    qint64 failedPermanently = 0;
    qint64 workers = 0; // retry workers registered on this Redis (every process)
    qint64 dlq = 0;
    qint64 scheduled = 0; // entries waiting for their backoff
    // The earliest entry in the schedule: when it is due (UTC ms; -1: none) and its id.
    qint64 nextDueMs = -1;
    QString nextDueId;
    QString error; // empty when Redis answered

    bool ok() const { return error.isEmpty(); }
    // Entries in the DLQ that are not waiting for a backoff are due now (new, or written by
    // other tools).
    qint64 dueNow() const { return qMax<qint64>(0, dlq - scheduled); }

    // One pipeline of 4 cheap commands (SCARD, ZCARD, LLEN, ZRANGE 0 0); `done` runs once on
    // `context`'s thread unless it is destroyed first. `worker` may be null.
    static void read(RedisConnection *redis, const QueueKeys &keys, const RetryWorker *worker,
                     const QObject *context, std::function<void(const WorkerOverview &)> done);
};

} // namespace redrive::core

Q_DECLARE_METATYPE(redrive::core::WorkerOverview)
