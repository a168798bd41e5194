// SPDX-License-Identifier: MIT
#pragma once

#include "core/metrics/latencyhistogram.h"
#include "core/receiver/deliveryevent.h"

#include <QByteArray>

#include <array>

namespace redrive::core {

// What the receiver has done since it started, for the console's counters.
struct ReceiverCounters
{
    quint64 received = 0; // requests to the webhook path, answered or refused
    quint64 otherRequests = 0; // refused requests to another path (404, 405): not deliveries
    quint64 processed = 0; // handed to the downstream (or no downstream configured)
    quint64 deferred = 0; // stored in the dead-letter queue
    quint64 failedPermanently = 0; // stored in the permanent-failure list
    quint64 rejected = 0; // bad requests: 400/401/404/405/413/415/...
    quint64 unavailable = 0; // 503: Redis could not take the entry
    quint64 redisErrors = 0; // failed Redis writes
    quint64 clientGone = 0; // answers not sent: the client had disconnected
};

// Counters, a latency histogram and the Prometheus text exposition of them.
class ReceiverMetrics
{
public:
    struct QueueLengths
    {
        bool known = false;
        qint64 dlq = 0;
        qint64 permanent = 0;
    };

    // One handled delivery (or refused request) and how long it took to answer.
    void recordDelivery(DeliveryEvent::Outcome outcome, qint64 latencyNs);
    // A refused request to a path that is neither the webhook path nor /healthz or /metrics
    // (or one of those with the wrong method): answered, but not a delivery.
    void recordOtherRequest() { ++m_counters.otherRequests; }
    // Every answer the receiver sent or tried to send, by HTTP status.
    void recordResponse(int httpStatus);
    void recordRedisError() { ++m_counters.redisErrors; }
    void recordClientGone() { ++m_counters.clientGone; }
    void setInFlight(qint64 count) { m_inFlight = count; }
    void setQueueLengths(const QueueLengths &lengths) { m_queues = lengths; }

    const ReceiverCounters &counters() const { return m_counters; }
    const QueueLengths &queueLengths() const { return m_queues; }

    // Prometheus text format 0.0.4.
    QByteArray render(const QByteArray &dlqKey, const QByteArray &permanentKey, bool redisUp) const;

private:
    ReceiverCounters m_counters;
    std::array<quint64, 600> m_responses {}; // by status code 0..599
    LatencyHistogram m_latency;
    qint64 m_inFlight = 0;
    QueueLengths m_queues;
};

} // namespace redrive::core
