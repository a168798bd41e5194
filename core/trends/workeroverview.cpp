// SPDX-License-Identifier: MIT
#include "core/trends/workeroverview.h"

#include "core/queue/deadletterentry.h"
#include "core/queue/retryworker.h"
#include "core/redis/redisconnection.h"
#include "core/redis/redisreply.h"

#include <memory>

namespace redrive::core {

void WorkerOverview::read(RedisConnection *redis, const QueueKeys &keys,
                          const RetryWorker *worker, const QObject *context,
                          std::function<void(const WorkerOverview &)> done)
{
    auto overview = std::make_shared<WorkerOverview>();
    if (worker) {
        overview->running = worker->isRunning();
        overview->inFlight = worker->inFlight();
        overview->delivered = worker->stats().delivered;
        overview->rescheduled = worker->stats().rescheduled;
        overview->failedPermanently = worker->stats().failedPermanently;
    }
    if (!redis) {
        overview->error = QStringLiteral("not connected");
        done(*overview);
        return;
    }
    auto waiting = std::make_shared<int>(4);
    const auto answer = [overview, waiting, done](const RedisReply &reply,
                                                  const std::function<void()> &use) {
        if (reply.isError()) {
            if (overview->error.isEmpty())
                overview->error = reply.errorText();
        } else {
            use();
        }
        if (--*waiting == 0)
            done(*overview);
    };
    redis->command({ QByteArrayLiteral("SCARD"), keys.workers() }, context,
                   [overview, answer](const RedisReply &reply) {
                       answer(reply, [&] { overview->workers = reply.toInteger(); });
                   });
    redis->command({ QByteArrayLiteral("ZCARD"), keys.schedule() }, context,
                   [overview, answer](const RedisReply &reply) {
                       answer(reply, [&] { overview->scheduled = reply.toInteger(); });
                   });
    redis->command({ QByteArrayLiteral("LLEN"), keys.dlq }, context,
                   [overview, answer](const RedisReply &reply) {
                       answer(reply, [&] { overview->dlq = reply.toInteger(); });
                   });
    redis->command({ QByteArrayLiteral("ZRANGE"), keys.schedule(), QByteArrayLiteral("0"),
                     QByteArrayLiteral("0"), QByteArrayLiteral("WITHSCORES") },
                   context, [overview, answer](const RedisReply &reply) {
                       answer(reply, [&] {
                           const QList<RedisReply> &items = reply.elements();
                           if (items.size() < 2)
                               return;
                           overview->nextDueMs = qint64(items[1].bytes().toDouble());
                           overview->nextDueId = DeadLetterEntry::parse(items[0].bytes()).id();
                       });
                   });
}

} // namespace redrive::core
