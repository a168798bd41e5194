// SPDX-License-Identifier: MIT
#include "core/receiver/receivermetrics.h"

#include <utility>

#include "core/metrics/prometheustext.h"

namespace redrive::core {

ReceiverMetrics::ReceiverMetrics(int lanes)
    : m_lanes(size_t(qMax(1, lanes)))
{ }

void ReceiverMetrics::recordDelivery(DeliveryEvent::Outcome outcome, qint64 latencyNs)
{
    const QMutexLocker lock(&m_mutex);
    ++m_counters.received;
    switch (outcome) {
    case DeliveryEvent::Outcome::Processed:
        ++m_counters.processed;
        break;
    case DeliveryEvent::Outcome::Deferred:
        ++m_counters.deferred;
        break;
    case DeliveryEvent::Outcome::PermanentFailure:
        ++m_counters.failedPermanently;
        break;
    case DeliveryEvent::Outcome::Rejected:
        ++m_counters.rejected;
        break;
    case DeliveryEvent::Outcome::Unavailable:
        ++m_counters.unavailable;
        break;
    }
    m_latency.record(latencyNs);
}

void ReceiverMetrics::recordOtherRequest()
{
    const QMutexLocker lock(&m_mutex);
    ++m_counters.otherRequests;
}

bool ReceiverMetrics::recordRedisError()
{
    const QMutexLocker lock(&m_mutex);
    ++m_counters.redisErrors;
    ++m_failedInOutage;
    return !std::exchange(m_writeOutage, true);
}

quint64 ReceiverMetrics::recordRedisWriteOk()
{
    const QMutexLocker lock(&m_mutex);
    if (!std::exchange(m_writeOutage, false))
        return 0;
    return std::exchange(m_failedInOutage, 0);
}

void ReceiverMetrics::recordClientGone()
{
    const QMutexLocker lock(&m_mutex);
    ++m_counters.clientGone;
}

void ReceiverMetrics::setInFlight(int lane, qint64 count)
{
    const QMutexLocker lock(&m_mutex);
    m_lanes.at(size_t(lane)).inFlight = count;
}

void ReceiverMetrics::setRedisState(int lane, bool up, const QString &reason)
{
    const QMutexLocker lock(&m_mutex);
    Lane &entry = m_lanes.at(size_t(lane));
    entry.redisUp = up;
    if (!up)
        entry.redisReason
            = reason.isEmpty() ? QStringLiteral("not connected to Redis yet") : reason;
}

ReceiverCounters ReceiverMetrics::counters() const
{
    const QMutexLocker lock(&m_mutex);
    return m_counters;
}

QList<quint64> ReceiverMetrics::laneResponses() const
{
    const QMutexLocker lock(&m_mutex);
    QList<quint64> responses;
    for (const Lane &lane : m_lanes)
        responses.append(lane.responses);
    return responses;
}

QString ReceiverMetrics::redisProblem() const
{
    const QMutexLocker lock(&m_mutex);
    for (const Lane &lane : m_lanes) {
        if (!lane.redisUp)
            return lane.redisReason;
    }
    return {};
}

void ReceiverMetrics::recordResponse(int httpStatus, int lane)
{
    const QMutexLocker lock(&m_mutex);
    ++m_lanes.at(size_t(lane)).responses;
    if (httpStatus >= 0 && httpStatus < int(m_responses.size()))
        ++m_responses[size_t(httpStatus)];
}

QByteArray ReceiverMetrics::render() const
{
    const QMutexLocker lock(&m_mutex);
    QByteArray out;
    out.reserve(4096);
    const auto counter = [&out](const char *name, const char *help) {
        writeMetricFamily(&out, name, "counter", help);
    };
    const auto gauge = [&out](const char *name, const char *help) {
        writeMetricFamily(&out, name, "gauge", help);
    };

    counter("redrive_receiver_deliveries_total",
            "Deliveries handled by the webhook receiver, by outcome.");
    const std::pair<const char *, quint64> outcomes[]
        = { { "processed", m_counters.processed },
            { "deferred", m_counters.deferred },
            { "permanent_failure", m_counters.failedPermanently },
            { "rejected", m_counters.rejected },
            { "unavailable", m_counters.unavailable } };
    for (const auto &[name, value] : outcomes)
        out += "redrive_receiver_deliveries_total{outcome=\"" + QByteArray(name) + "\"} "
            + QByteArray::number(value) + '\n';

    counter("redrive_receiver_received_total",
            "Requests to the webhook path (deliveries), answered or refused; the sum of "
            "redrive_receiver_deliveries_total. Requests to other paths are not counted.");
    out += "redrive_receiver_received_total " + QByteArray::number(m_counters.received) + '\n';

    counter("redrive_receiver_other_requests_total",
            "Refused requests that were not deliveries: another path (404), a wrong method on "
            "/healthz or /metrics (405), or a request refused before its path was read.");
    out += "redrive_receiver_other_requests_total " + QByteArray::number(m_counters.otherRequests)
        + '\n';

    counter("redrive_receiver_responses_total", "HTTP answers sent by the receiver, by status.");
    for (size_t code = 0; code < m_responses.size(); ++code) {
        if (m_responses[code])
            out += "redrive_receiver_responses_total{code=\"" + QByteArray::number(qulonglong(code))
                + "\"} " + QByteArray::number(m_responses[code]) + '\n';
    }

    counter("redrive_receiver_redis_errors_total",
            "Redis writes that failed (each one answered 503).");
    out += "redrive_receiver_redis_errors_total " + QByteArray::number(m_counters.redisErrors)
        + '\n';

    counter("redrive_receiver_client_gone_total",
            "Answers not sent because the client had already disconnected.");
    out += "redrive_receiver_client_gone_total " + QByteArray::number(m_counters.clientGone) + '\n';

    m_latency.render(&out, "redrive_receiver_request_duration_seconds",
                     "Time from a complete webhook request to its answer.");

    qint64 inFlight = 0;
    bool redisUp = true;
    for (const Lane &lane : m_lanes) {
        inFlight += lane.inFlight;
        redisUp = redisUp && lane.redisUp;
    }
    gauge("redrive_receiver_in_flight", "Deliveries received and not answered yet.");
    out += "redrive_receiver_in_flight " + QByteArray::number(inFlight) + '\n';

    counter("redrive_receiver_thread_responses_total",
            "HTTP answers sent by each of the receiver's threads (--receiver-threads).");
    for (size_t lane = 0; lane < m_lanes.size(); ++lane)
        out += "redrive_receiver_thread_responses_total{thread=\"" + QByteArray::number(quint64(lane))
            + "\"} " + QByteArray::number(m_lanes[lane].responses) + '\n';

    gauge("redrive_redis_up",
          "1 when the Redis connections of the receiver (one per thread) are all up.");
    out += "redrive_redis_up " + QByteArray(redisUp ? "1" : "0") + '\n';
    return out;
}

} // namespace redrive::core
