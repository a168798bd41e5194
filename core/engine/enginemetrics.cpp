// SPDX-License-Identifier: MIT
#include "core/engine/enginemetrics.h"

#include "core/metrics/prometheustext.h"
#include "core/queue/retryworker.h"
#include "core/queue/entrywriter.h"
#include "core/receiver/publicreason.h"
#include "core/redis/redisconnection.h"
#include "core/redis/redisreply.h"

#include <memory>

namespace redrive::core {

EngineMetrics::EngineMetrics(RedisConnection *redis, const QueueKeys &keys, QObject *parent)
    : QObject(parent)
    , m_redis(redis)
    , m_keys(keys)
{
    m_timer.setInterval(RefreshMs);
    connect(&m_timer, &QTimer::timeout, this, &EngineMetrics::refresh);
    if (m_redis)
        connect(m_redis, &RedisConnection::ready, this, &EngineMetrics::refresh);
}

void EngineMetrics::start()
{
    m_timer.start();
    refresh();
}

void EngineMetrics::refresh()
{
    if (!m_redis || !m_redis->isReady() || m_pending > 0)
        return;
    auto next = std::make_shared<Queues>();
    next->known = true;
    const auto read = [this, next](qint64 Queues::*field) {
        return [this, next, field](const RedisReply &reply) {
            --m_pending;
            if (reply.type() == RedisReply::Type::Integer)
                (*next).*field = reply.toInteger();
            else
                next->known = false;
            if (m_pending == 0 && next->known)
                m_queues = *next;
        };
    };
    m_pending = 3;
    m_redis->command({ QByteArrayLiteral("LLEN"), m_keys.dlq }, this, read(&Queues::dlq));
    m_redis->command({ QByteArrayLiteral("ZCARD"), m_keys.schedule() }, this,
                     read(&Queues::scheduled));
    m_redis->command({ QByteArrayLiteral("LLEN"), m_keys.permanent }, this,
                     read(&Queues::permanent));
    if (m_redisVersion.isEmpty()) {
        m_redis->command({ QByteArrayLiteral("INFO"), QByteArrayLiteral("server") }, this,
                         [this](const RedisReply &reply) {
                             static const QByteArray field = "redis_version:";
                             const QByteArray info = reply.bytes();
                             const qsizetype at = info.indexOf(field);
                             if (at < 0)
                                 return;
                             const qsizetype end = info.indexOf('\r', at);
                             m_redisVersion = QString::fromLatin1(info.mid(
                                 at + field.size(), end < 0 ? -1 : end - at - field.size()));
                         });
    }
}

QByteArray EngineMetrics::render() const
{
    QByteArray out;
    out.reserve(4096);
    writeMetricFamily(&out, "redrive_build_info", "gauge",
                      "Redrive's version, the Qt it runs on and the Redis server's version "
                      "(empty until read); always 1.");
    writeMetricSample(&out, "redrive_build_info",
                      "version=\"" + escapeMetricLabel(QByteArray(REDRIVE_VERSION)) + "\",qt=\""
                          + escapeMetricLabel(qVersion()) + "\",redis=\""
                          + escapeMetricLabel(m_redisVersion.toLatin1()) + '"',
                      1);
    if (!m_receiverRendersRedisUp) {
        writeMetricFamily(&out, "redrive_redis_up", "gauge",
                          "1 when this process' Redis connection is up.");
        writeMetricSample(&out, "redrive_redis_up", {}, m_redis && m_redis->isReady() ? 1 : 0);
    }
    if (m_queues.known) {
        writeMetricFamily(&out, "redrive_queue_length", "gauge",
                          "Entries in the dead-letter and permanent-failure lists (read every "
                          "second).");
        writeMetricSample(&out, "redrive_queue_length",
                          "queue=\"dlq\",key=\"" + escapeMetricLabel(m_keys.dlq) + '"',
                          m_queues.dlq);
        writeMetricSample(&out, "redrive_queue_length",
                          "queue=\"permanent\",key=\"" + escapeMetricLabel(m_keys.permanent)
                              + '"',
                          m_queues.permanent);
        writeMetricFamily(&out, "redrive_queue_scheduled", "gauge",
                          "Dead-letter entries waiting for their backoff (the schedule; the "
                          "others in the DLQ are due). Read every second.");
        writeMetricSample(&out, "redrive_queue_scheduled", {}, m_queues.scheduled);
    }
    if (!m_worker)
        return out;
    const RetryWorker::Stats &stats = m_worker->stats();
    const auto counter = [&out](const char *name, const char *help, qint64 value) {
        writeMetricFamily(&out, name, "counter", help);
        writeMetricSample(&out, name, {}, value);
    };
    counter("redrive_worker_claimed_total",
            "Entries this worker took from the DLQ into its in-flight list.", stats.claimed);
    counter("redrive_worker_delivered_total",
            "Entries delivered by a retry (downstream answered 2xx) and removed.", stats.delivered);
    counter("redrive_worker_rescheduled_total",
            "Failed retries put back in the DLQ with a backoff.", stats.rescheduled);
    counter("redrive_worker_permanent_total",
            "Entries moved to the permanent-failure list: attempts used up or a permanent "
            "downstream answer.",
            stats.failedPermanently);
    counter("redrive_worker_set_aside_total",
            "Elements moved to the permanent-failure list unchanged because they cannot be "
            "retried (not JSON, no original_payload).",
            stats.setAside);
    counter("redrive_worker_recovered_total",
            "In-flight entries of dead workers handed back to the DLQ by this worker.",
            stats.recovered);
    counter("redrive_worker_lease_renewals_total", "Successful renewals of this worker's lease.",
            stats.leaseRenewals);
    counter("redrive_worker_lease_losses_total",
            "Renewals that found this worker's lease expired (its in-flight entries may have "
            "been handed back to the DLQ by another worker).",
            stats.leaseLosses);
    writeMetricFamily(&out, "redrive_worker_in_flight", "gauge",
                      "Entries this worker is attempting right now.");
    writeMetricSample(&out, "redrive_worker_in_flight", {}, m_worker->inFlight());
    m_worker->attemptLatency().render(&out, "redrive_worker_attempt_duration_seconds",
                                      "Duration of the worker's downstream attempts.");
    return out;
}

QByteArray EngineMetrics::health(int *status) const
{
    QString problem;
    if (!m_redis || !m_redis->isReady()) {
        problem = m_redis ? m_redis->lastError() : QString();
        if (problem.isEmpty())
            problem = QStringLiteral("not connected to Redis");
    } else if (m_worker && !m_worker->isRunning())
        problem = QStringLiteral("the retry worker is stopped");
    QByteArray body = "{\"status\":";
    body += problem.isEmpty() ? "\"ok\"" : "\"unavailable\"";
    body += ",\"redis\":";
    body += m_redis && m_redis->isReady() ? "\"up\"" : "\"down\"";
    if (m_worker)
        body += m_worker->isRunning() ? ",\"worker\":\"running\"" : ",\"worker\":\"stopped\"";
    if (!problem.isEmpty()) {
        body += ",\"error\":";
        // Anyone who reaches the port reads this: the kind of trouble, not where Redis is.
        EntryWriter::appendString(&body, publicRedisReason(problem));
    }
    body += '}';
    *status = problem.isEmpty() ? 200 : 503;
    return body;
}

} // namespace redrive::core
