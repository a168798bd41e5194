// SPDX-License-Identifier: MIT
#pragma once

#include "core/delivery/downstreamclient.h"
#include "core/queue/queuekeys.h"
#include "core/receiver/deliveryevent.h"
#include "core/receiver/receiverconfig.h"
#include "core/receiver/receivermetrics.h"
#include "core/redis/redisendpoint.h"

#include <QObject>
#include <QUrl>

#include <functional>
#include <memory>
#include <vector>

namespace redrive::core {

class RedisConnection;

// The receiver's threads (--receiver-threads N): N WebhookReceivers ("lanes"), each an event loop
// with its own listening socket on the one port (SO_REUSEPORT; where the system cannot share a
// port, lane 0 accepts alone and hands the sockets round to the others), its own Redis
// connection and DeadLetterWriter and its own DownstreamClient. Lane 0 runs on the thread of
// this object (the engine's) and writes through the engine's connection; lanes 1..N-1 each have
// a QThread. The lanes record into one ReceiverMetrics: /metrics and /healthz on any of them
// speak for all; their deliveryHandled() arrive here, on this object's thread.
class ReceiverLanes final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReceiverLanes)

public:
    struct Setup
    {
        ReceiverConfig config; // config.threads lanes (at least 1)
        QueueKeys keys;
        QByteArray sharedSecret;
        // Makes one lane's client to the downstream (called on that lane's thread).
        std::function<std::unique_ptr<DownstreamClient>()> makeDownstream;
        // What the engine adds to /metrics; called on this object's thread.
        std::function<QByteArray()> extraMetrics;
        // False: never SO_REUSEPORT, one acceptor dispatches (what a system without it gets).
        bool sharePort = true;
    };

    explicit ReceiverLanes(Setup setup, QObject *parent = nullptr);
    // Takes every lane down (deliveries in progress are cut off unanswered) and joins the
    // threads.
    ~ReceiverLanes() override;

    int count() const { return int(m_lanes.size()); }
    // Binds every lane (lane 0 first: with port 0 the others join the port it got). False with
    // `error` set (fit for a user) when lane 0 cannot listen; then none listens.
    bool start(QString *error);
    // Stops taking connections on every lane; deliveries in progress still get their answers.
    void stop();
    bool isListening() const;
    QUrl url() const;
    quint16 port() const;

    // Lane 0 writes through `shared` (the engine's); the others open a connection of their own
    // to `endpoint` when openRedis() is called.
    void attachRedis(RedisConnection *shared, const RedisEndpoint &endpoint, bool embedded);
    void openRedis();

    // stop(), then once every lane's Redis connection has answered a PING sent after its last
    // write (or at once where it is down), `done` runs on this object's thread.
    void drain(std::function<void()> done);

    // Answers sent by each lane, and the counters of all.
    QList<quint64> laneResponses() const { return m_metrics->laneResponses(); }
    ReceiverCounters counters() const { return m_metrics->counters(); }

Q_SIGNALS:
    void deliveryHandled(const redrive::core::DeliveryEvent &event);

private:
    struct Lane;
    // Runs `call` on `lane`'s thread and waits for it (directly for lane 0).
    void onLane(Lane &lane, const std::function<void()> &call);
    bool startLane(Lane &lane, quint16 port, QString *error);

    Setup m_setup;
    bool m_dispatched = false; // no SO_REUSEPORT: lane 0 hands sockets round
    std::shared_ptr<ReceiverMetrics> m_metrics;
    std::vector<std::unique_ptr<Lane>> m_lanes;
};

} // namespace redrive::core
