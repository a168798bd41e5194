// SPDX-License-Identifier: MIT
#include "core/receiver/receivermetrics.h"

#include "core/metrics/prometheustext.h"

namespace redrive::core {

void ReceiverMetrics::recordDelivery(DeliveryEvent::Outcome outcome, qint64 latencyNs)
{
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

void ReceiverMetrics::recordResponse(int httpStatus)
{
    if (httpStatus >= 0 && httpStatus < int(m_responses.size()))
        ++m_responses[size_t(httpStatus)];
}

QByteArray ReceiverMetrics::render(const QByteArray &dlqKey, const QByteArray &permanentKey,
                                   bool redisUp) const
{
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

    gauge("redrive_receiver_in_flight", "Deliveries received and not answered yet.");
    out += "redrive_receiver_in_flight " + QByteArray::number(m_inFlight) + '\n';

    gauge("redrive_redis_up", "1 when the receiver's Redis connection is up.");
    out += "redrive_redis_up " + QByteArray(redisUp ? "1" : "0") + '\n';

    if (m_queues.known) {
        gauge("redrive_queue_length",
              "Entries in the dead-letter and permanent-failure lists (refreshed every second).");
        out += "redrive_queue_length{queue=\"dlq\",key=\"" + escapeMetricLabel(dlqKey) + "\"} "
            + QByteArray::number(m_queues.dlq) + '\n';
        out += "redrive_queue_length{queue=\"permanent\",key=\"" + escapeMetricLabel(permanentKey)
            + "\"} " + QByteArray::number(m_queues.permanent) + '\n';
    }
    return out;
}

} // namespace redrive::core
