// SPDX-License-Identifier: MIT
#pragma once

#include "core/delivery/downstreamclient.h"
#include "core/queue/deadletterwriter.h"
#include "core/queue/queuekeys.h"
#include "core/receiver/deliveryevent.h"
#include "core/receiver/receiverconfig.h"
#include "core/receiver/receivermetrics.h"

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

class RedisConnection;
class ReceiverConnection;
class ReceiverTcpServer;

// The webhook receiver: an embedded QHttpServer that takes Genesys Cloud deliveries, hands each
// to the downstream system and, when that fails, asks the queue to defer it (DeadLetterWriter:
// the entry, its Redis write and its announcement are the queue's) before answering. A 2xx
// always means "processed" or "stored": if Redis does not confirm the write, the answer is 503
// with Retry-After and nothing is acknowledged. Also serves GET /healthz and GET /metrics.
// Lives on one thread with the RedisConnection and DownstreamClient it is given (not owned).
class WebhookReceiver final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(WebhookReceiver)

public:
    WebhookReceiver(RedisConnection *redis, DownstreamClient *downstream, const QueueKeys &keys,
                    QObject *parent = nullptr);
    ~WebhookReceiver() override;

    // The connection the queue writes entries through; null until there is one (deliveries
    // that need storing are answered 503 meanwhile). Lets the owner bind the port before Redis
    // starts.
    void setRedisConnection(RedisConnection *redis);
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
    // The port actually bound (useful with port 0), 0 when not listening.
    quint16 port() const;
    // Where deliveries go, e.g. http://127.0.0.1:5000/webhook/genesys (a wildcard address is
    // shown as loopback).
    QUrl url() const;
    QUrl baseUrl() const;

    const ReceiverCounters &counters() const { return m_metrics.counters(); }
    ReceiverMetrics::QueueLengths queueLengths() const { return m_metrics.queueLengths(); }
    // What GET /metrics answers: the receiver's metrics, then `extra`'s text (the engine adds
    // the worker's and the queues' there, so one scrape of this port sees the whole process).
    QByteArray metricsText() const;
    void setExtraMetrics(std::function<QByteArray()> extra) { m_extraMetrics = std::move(extra); }

Q_SIGNALS:
    // One per handled request (every request but /healthz and /metrics), once it is answered.
    void deliveryHandled(const redrive::core::DeliveryEvent &event);
    void queueLengthsChanged(qint64 dlq, qint64 permanent);
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
    void refreshQueueLengths();
    bool checkSecret(const QByteArray &provided) const;

    DeadLetterWriter m_queue;
    QPointer<DownstreamClient> m_downstream;
    ReceiverConfig m_config;
    QByteArray m_secretDigest; // SHA-256 of the shared secret; empty: no check
    std::unique_ptr<QAbstractHttpServer> m_http;
    ReceiverTcpServer *m_tcp = nullptr; // owned by m_http
    ReceiverMetrics m_metrics;
    std::function<QByteArray()> m_extraMetrics;
    QTimer m_housekeeping;
    // Deliveries whose Redis write is not confirmed yet, for the write timeout.
    QHash<quint64, DeliveryPtr> m_awaitingRedis;
    quint64 m_nextSequence = 0;
    qint64 m_inFlight = 0;
    bool m_stopping = false;
    bool m_redisFailing = false;
    quint64 m_failuresSinceOk = 0;
};

} // namespace redrive::core
