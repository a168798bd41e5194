// SPDX-License-Identifier: MIT
#pragma once

#include "core/delivery/downstreamclient.h"
#include "core/queue/deadletterwriter.h"
#include "core/queue/queuekeys.h"
#include "core/receiver/deliveryevent.h"
#include "core/receiver/receiverconfig.h"
#include "core/receiver/receivermetrics.h"
#include "core/receiver/receivertcpserver.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>

#include <functional>
#include <memory>

class QAbstractHttpServer;
class QHttpServerRequest;

namespace redrive::core {

class ReceiverConnection;

// The webhook receiver: an embedded QHttpServer that takes Genesys Cloud deliveries, hands each
// to the downstream system and, when that fails, asks the queue to defer it (DeadLetterWriter:
// the entry, its Redis write and its announcement are the queue's) before answering. A 2xx
// always means "processed" or "stored": if Redis does not confirm the write, the answer is 503
// with Retry-After and nothing is acknowledged. Also serves GET /healthz and GET /metrics.
// Lives on one thread with the DeadLetterWriter and DownstreamClient it is given (not owned).
// One receiver is one event loop; several of them on one port, each on its own thread with
// its own writer and client, are the receiver's threads (see setLane()): they share one
// ReceiverMetrics, so /metrics and /healthz on any of them speak for all.
class WebhookReceiver final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WebhookReceiver)

public:
    // `queue` takes the deliveries to defer (while it has no connection, deliveries that need
    // storing are answered 503); `downstream` null: every delivery counts as processed.
    WebhookReceiver(DeadLetterWriter *queue, DownstreamClient *downstream,
                    QObject *parent = nullptr);
    ~WebhookReceiver() override;

    using Sharing = ReceiverTcpServer::Sharing;
    // This receiver as lane `lane` of several (before start()): `metrics` is the one all lanes
    // record into; `sharing` says how it listens (Sharing::Exclusive: alone on the port;
    // FirstOfGroup/JoinGroup: with SO_REUSEPORT; `adopts`: it does not listen at all and takes
    // the sockets another lane's dispatcher hands to adoptConnection()).
    // `sockets`: the connection count and its limit, for all lanes.
    void setLane(std::shared_ptr<ReceiverMetrics> metrics,
                 std::shared_ptr<ReceiverTcpServer::SharedState> sockets, int lane, Sharing sharing,
                 bool adopts = false);
    int lane() const { return m_lane; }
    // Once started, every socket this receiver accepts is offered to `dispatch` first (the one
    // acceptor for lanes that cannot share the port).
    void setDispatcher(std::function<bool(qintptr socketDescriptor)> dispatch);
    // A socket accepted by another lane, taken here (call on this object's thread).
    void adoptConnection(qintptr socketDescriptor);
    // For a lane that adopts: the listening socket of the lane that accepts (before start()).
    void setAcceptingListener(qintptr descriptor) { m_acceptingListener = descriptor; }
    // The listening socket's descriptor, -1 when not listening.
    qintptr listeningDescriptor() const;
    // Takes effect at the next start().
    void setConfig(const ReceiverConfig &config);
    const ReceiverConfig &config() const { return m_config; }
    // The value deliveries must carry in config().secretHeader, compared in constant time.
    // Empty: no check. Takes effect at once.
    void setSharedSecret(const QByteArray &secret);
    bool hasSharedSecret() const { return !m_secretDigest.isEmpty(); }

    // Starts listening. False with `error` set (fit for a user) when the address is unusable.
    bool start(QString *error = nullptr);
    // Stops taking connections and requests at once. Deliveries in progress still get their
    // answer (then their connection closes); the rest of the server goes when the last one is
    // answered, or when this object is destroyed (then they are cut off unanswered: the sender
    // sends them again). isStopped() tells when nothing is left.
    void stop();
    bool isStopped() const { return !m_http; }
    bool isListening() const;
    // Client connections open now, and how many may be at once (config().maxConnections, or
    // what the descriptor limit allows when that is 0); 0 when not listening.
    int openConnections() const;
    int maxConnections() const;
    // Connections this lane accepted or adopted since it started.
    quint64 acceptedConnections() const;
    // The port actually bound (useful with port 0), 0 when not listening.
    quint16 port() const;
    // Where deliveries go, e.g. http://127.0.0.1:5000/webhook/genesys (a wildcard address is
    // shown as loopback).
    QUrl url() const;
    QUrl baseUrl() const;

    // Of all lanes.
    ReceiverCounters counters() const { return m_metrics->counters(); }
    const std::shared_ptr<ReceiverMetrics> &metrics() const { return m_metrics; }
    // What GET /metrics answers: the receiver's metrics (all lanes), then `extra`'s text (the
    // engine adds the worker's and the queues' there, so one scrape of this port sees the whole
    // process). `extra` runs on `context`'s thread (a scrape on another lane waits for it
    // there without blocking its own loop); metricsText() leaves it out when that is not this
    // one.
    QByteArray metricsText() const;
    void setExtraMetrics(QObject *context, std::function<QByteArray()> extra);

Q_SIGNALS:
    // One per handled request (every request but /healthz and /metrics), once it is answered.
    void deliveryHandled(const redrive::core::DeliveryEvent &event);
    // After stop(), once the last delivery in progress was answered.
    void stopped();

private:
    struct Delivery;
    using DeliveryPtr = std::shared_ptr<Delivery>;

    void handleRequest(const QHttpServerRequest &request, ReceiverConnection *connection);
    void handleDelivery(const QHttpServerRequest &request, ReceiverConnection *connection,
                        const QElapsedTimer &clock);
    // Whether `request` says it was relayed by a tunnel or a reverse proxy (X-Forwarded-For,
    // Forwarded, X-Real-IP, ngrok's own headers): then it comes from outside the host's network.
    static bool cameThroughProxy(const QHttpServerRequest &request);
    // `proxied`: the status only, without Redis' reason (which names hosts and users).
    void handleHealth(ReceiverConnection *connection, bool proxied);
    void handleMetrics(ReceiverConnection *connection);
    void reject(const QHttpServerRequest &request, ReceiverConnection *connection,
                const QElapsedTimer &clock, int status, const QByteArray &code,
                const QString &message, const QList<QPair<QByteArray, QByteArray>> &headers = {});
    void onRefused(ReceiverConnection *connection, int status, const QByteArray &code,
                   const QString &message, const QByteArray &method, const QByteArray &target);
    void onDownstreamResult(const DeliveryPtr &delivery, const DownstreamResult &result);
    void store(const DeliveryPtr &delivery, const DownstreamResult &result);
    void onStored(const DeliveryPtr &delivery, const DeadLetterWriter::Result &result);
    void answer(const DeliveryPtr &delivery, int status, const QByteArray &body,
                const QList<QPair<QByteArray, QByteArray>> &headers = {});
    void answerUnavailable(const DeliveryPtr &delivery, const QString &reason);
    void emitEvent(DeliveryEvent &&event);
    void housekeeping();
    void finishStop(bool notify = true);
    void updateRedisState();
    bool checkSecret(const QByteArray &provided) const;

    QPointer<DeadLetterWriter> m_queue;
    QPointer<DownstreamClient> m_downstream;
    ReceiverConfig m_config;
    QByteArray m_secretDigest; // SHA-256 of the shared secret; empty: no check
    std::unique_ptr<QAbstractHttpServer> m_http;
    ReceiverTcpServer *m_tcp = nullptr; // owned by m_http
    std::shared_ptr<ReceiverMetrics> m_metrics = std::make_shared<ReceiverMetrics>();
    int m_lane = 0;
    Sharing m_sharing = Sharing::Exclusive;
    bool m_adopts = false;
    bool m_laneRedisUp = false; // as last told to m_metrics
    qintptr m_acceptingListener = -1;
    std::function<bool(qintptr)> m_dispatch;
    std::function<QByteArray()> m_extraMetrics;
    QPointer<QObject> m_extraMetricsContext;
    std::shared_ptr<ReceiverTcpServer::SharedState> m_sockets;
    QTimer m_housekeeping;
    // Deliveries whose Redis write is not confirmed yet, for the write timeout.
    QHash<quint64, DeliveryPtr> m_awaitingRedis;
    quint64 m_nextSequence = 0;
    qint64 m_inFlight = 0;
    bool m_stopping = false;
};

} // namespace redrive::core
