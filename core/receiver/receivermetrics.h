// SPDX-License-Identifier: MIT
#pragma once

#include "core/metrics/latencyhistogram.h"
#include "core/receiver/deliveryevent.h"

#include <QByteArray>
#include <QList>
#include <QMutex>
#include <QString>

#include <array>
#include <vector>

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

// Counters, a latency histogram and the Prometheus text exposition of them, for all of the
// receiver's threads ("lanes"): each lane records into the one object (a mutex guards it) and a
// scrape on any lane sees the sum. Per lane: the answers it sent, its deliveries in progress and
// whether its Redis connection is up.
class ReceiverMetrics
{
public:
    explicit ReceiverMetrics(int lanes = 1);
    Q_DISABLE_COPY_MOVE(ReceiverMetrics)

    int lanes() const { return int(m_lanes.size()); }

    // One handled delivery (or refused request) and how long it took to answer.
    void recordDelivery(DeliveryEvent::Outcome outcome, qint64 latencyNs);
    // A refused request to a path that is neither the webhook path nor /healthz or /metrics
    // (or one of those with the wrong method): answered, but not a delivery.
    void recordOtherRequest();
    // Every answer the receiver sent or tried to send, by HTTP status, on `lane`.
    void recordResponse(int httpStatus, int lane = 0);
    // A Redis write that failed (its delivery answered 503), on any lane. True when it opens a
    // write outage: the first failure since writes last succeeded, on whichever lane.
    bool recordRedisError();
    // A Redis write that succeeded. When it ends a write outage: how many writes failed during
    // it, on all lanes together (each lane sees only its own); 0 when none was open.
    quint64 recordRedisWriteOk();
    void recordClientGone();
    void setInFlight(int lane, qint64 count);
    // Whether `lane`'s Redis connection takes writes; `reason` says why not.
    void setRedisState(int lane, bool up, const QString &reason);

    ReceiverCounters counters() const;
    // Answers sent by each lane.
    QList<quint64> laneResponses() const;
    // Empty while every lane's Redis connection is up, else the reason of the first that is not.
    QString redisProblem() const;

    // Prometheus text format 0.0.4.
    QByteArray render() const;

private:
    struct Lane
    {
        quint64 responses = 0;
        qint64 inFlight = 0;
        bool redisUp = false;
        QString redisReason = QStringLiteral("no Redis connection");
    };

    mutable QMutex m_mutex;
    ReceiverCounters m_counters;
    std::array<quint64, 600> m_responses {}; // by status code 0..599
    LatencyHistogram m_latency;
    std::vector<Lane> m_lanes;
    bool m_writeOutage = false;
    quint64 m_failedInOutage = 0;
};

} // namespace redrive::core
