// SPDX-License-Identifier: MIT
#include "core/receiver/webhookreceiver.h"

#include "core/queue/entrywriter.h"
#include "core/receiver/descriptorlimit.h"
#include "core/receiver/payloadvalidator.h"
#include "core/receiver/publicreason.h"
#include "core/receiver/receiverconnection.h"
#include "core/receiver/receivertcpserver.h"

#include <QAbstractHttpServer>
#include <QCryptographicHash>
#include <QDateTime>
#include <QHttpServerRequest>
#include <QLoggingCategory>
#include <QMetaMethod>
#include <QThread>
#include <QUuid>

#include <functional>

#include <unistd.h>

Q_LOGGING_CATEGORY(lcReceiver, "redrive.receiver") // declared in receivertcpserver.h

namespace redrive::core {

namespace {

const QString ReceiverSource = QStringLiteral("receiver");
const QString HealthPath = QStringLiteral("/healthz");
const QString MetricsPath = QStringLiteral("/metrics");
// A request QHttpServer has not taken this long after it was complete is answered anyway.
constexpr qint64 HandoverTimeoutMs = 2000;
// Rejected requests show this much of their body in the live view.
constexpr qsizetype RejectedPayloadPreview = 4096;

using ResponseHeaders = QList<QPair<QByteArray, QByteArray>>;

// QAbstractHttpServer is the part of QHttpServer 6.4 that accepts connections and parses
// requests; its router adds nothing here (four fixed paths, and it answers 404 where 405 is
// due). Requests come in on ReceiverConnections, which also write the answers.
class ReceiverHttpServer final : public QAbstractHttpServer
{
public:
    using Handler = std::function<void(const QHttpServerRequest &, ReceiverConnection *)>;
    explicit ReceiverHttpServer(Handler handler)
        : m_handler(std::move(handler))
    { }

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override
    {
        auto *connection = qobject_cast<ReceiverConnection *>(socket);
        if (!connection)
            return false;
        m_handler(request, connection);
        return true;
    }

    void missingHandler(const QHttpServerRequest &, QTcpSocket *socket) override
    {
        socket->abort(); // only for a socket that is not ours, which cannot happen
    }

private:
    Handler m_handler;
};

// application/json or application/<anything>+json, with an optional charset that must be UTF-8.
bool isJsonContentType(const QByteArray &value, QString *problem)
{
    const QList<QByteArray> parts = value.split(';');
    const QByteArray mediaType = parts.first().trimmed().toLower();
    if (mediaType.isEmpty()) {
        *problem = QStringLiteral("Content-Type is missing; send application/json");
        return false;
    }
    if (mediaType != "application/json"
        && !(mediaType.startsWith("application/") && mediaType.endsWith("+json"))) {
        *problem = QStringLiteral("Content-Type %1 is not JSON; send application/json")
                       .arg(QString::fromLatin1(mediaType.left(100)));
        return false;
    }
    for (qsizetype i = 1; i < parts.size(); ++i) {
        const QByteArray parameter = parts.at(i).trimmed();
        const qsizetype equals = parameter.indexOf('=');
        if (equals < 0 || parameter.left(equals).trimmed().toLower() != "charset")
            continue;
        QByteArray charset = parameter.mid(equals + 1).trimmed().toLower();
        if (charset.size() >= 2 && charset.startsWith('"') && charset.endsWith('"'))
            charset = charset.mid(1, charset.size() - 2);
        if (charset != "utf-8" && charset != "utf8") {
            *problem = QStringLiteral("charset %1 is not supported; JSON is UTF-8")
                           .arg(QString::fromLatin1(charset.left(40)));
            return false;
        }
    }
    return true;
}

// The value of header `name` (any case); several are joined with ", " as QHttpServerRequest does.
QByteArray headerValue(const HeaderList &headers, QByteArrayView name)
{
    QByteArray value;
    bool found = false;
    for (const auto &[key, text] : headers) {
        if (key.size() != name.size() || qstrnicmp(key.constData(), name.data(), key.size()) != 0)
            continue;
        if (found)
            value += ", ";
        value += text;
        found = true;
    }
    return value;
}

QByteArray statusBody(const char *status, const QString &id)
{
    QByteArray body = "{\"status\":\"";
    body += status;
    body += "\",\"id\":";
    EntryWriter::appendString(&body, id);
    body += '}';
    return body;
}

QString describeMethod(QHttpServerRequest::Method method)
{
    switch (method) {
    case QHttpServerRequest::Method::Get:
        return QStringLiteral("GET");
    case QHttpServerRequest::Method::Put:
        return QStringLiteral("PUT");
    case QHttpServerRequest::Method::Delete:
        return QStringLiteral("DELETE");
    case QHttpServerRequest::Method::Post:
        return QStringLiteral("POST");
    case QHttpServerRequest::Method::Head:
        return QStringLiteral("HEAD");
    case QHttpServerRequest::Method::Options:
        return QStringLiteral("OPTIONS");
    case QHttpServerRequest::Method::Patch:
        return QStringLiteral("PATCH");
    case QHttpServerRequest::Method::Trace:
        return QStringLiteral("TRACE");
    default:
        return QStringLiteral("?");
    }
}

} // namespace

struct WebhookReceiver::Delivery
{
    QPointer<ReceiverConnection> connection;
    QString id;
    QByteArray body;
    bool compact = false;
    QByteArray topic;
    HeaderList headers;
    QHostAddress remoteAddress;
    qint64 receivedAtMs = 0;
    QElapsedTimer clock; // since the request was complete
    QElapsedTimer redisClock; // since the Redis write was sent
    quint64 sequence = 0;
    bool answered = false;
    DeliveryEvent::Outcome outcome = DeliveryEvent::Outcome::Processed;
    DownstreamResult result;
};

WebhookReceiver::WebhookReceiver(DeadLetterWriter *queue, DownstreamClient *downstream,
                                 QObject *parent)
    : QObject(parent)
    , m_queue(queue)
    , m_downstream(downstream)
{
    m_housekeeping.setParent(this);
    connect(&m_housekeeping, &QTimer::timeout, this, &WebhookReceiver::housekeeping);
}

WebhookReceiver::~WebhookReceiver()
{
    finishStop(false);
}

void WebhookReceiver::setLane(std::shared_ptr<ReceiverMetrics> metrics,
                              std::shared_ptr<ReceiverTcpServer::SharedState> sockets, int lane,
                              Sharing sharing, bool adopts)
{
    Q_ASSERT(metrics && lane >= 0 && lane < metrics->lanes());
    m_metrics = std::move(metrics);
    m_sockets = std::move(sockets);
    m_lane = lane;
    m_sharing = sharing;
    m_adopts = adopts;
}

void WebhookReceiver::setDispatcher(std::function<bool(qintptr)> dispatch)
{
    m_dispatch = std::move(dispatch);
    if (m_tcp)
        m_tcp->setDispatcher(m_dispatch);
}

void WebhookReceiver::adoptConnection(qintptr socketDescriptor)
{
    if (!m_tcp || m_stopping) {
        ::close(int(socketDescriptor)); // stopping: as if the port were closed
        return;
    }
    m_tcp->adopt(socketDescriptor);
}

void WebhookReceiver::setConfig(const ReceiverConfig &config)
{
    m_config = config;
    if (m_queue)
        m_queue->setReplicas(config.redisReplicas, config.redisReplicasTimeoutMs);
}

void WebhookReceiver::setSharedSecret(const QByteArray &secret)
{
    m_secretDigest = secret.isEmpty()
        ? QByteArray()
        : QCryptographicHash::hash(secret, QCryptographicHash::Sha256);
}

bool WebhookReceiver::checkSecret(const QByteArray &provided) const
{
    // Digests of equal length, compared without an early exit: the time taken says nothing
    // about the secret, not even its length.
    const QByteArray digest = QCryptographicHash::hash(provided, QCryptographicHash::Sha256);
    unsigned char difference = 0;
    for (qsizetype i = 0; i < digest.size(); ++i)
        difference |= static_cast<unsigned char>(digest.at(i) ^ m_secretDigest.at(i));
    return difference == 0 && !provided.isEmpty();
}

bool WebhookReceiver::start(QString *error)
{
    if (m_stopping)
        finishStop(); // started again before the last answers: those are cut off
    if (m_http)
        return true;
    auto http = std::make_unique<ReceiverHttpServer>(
        [this](const QHttpServerRequest &request, ReceiverConnection *connection) {
            handleRequest(request, connection);
        });
    const int maxConnections = m_config.maxConnections > 0
        ? m_config.maxConnections
        : DescriptorLimit::defaultMaxConnections();
    auto *tcp = new ReceiverTcpServer(http.get(), m_config.maxBodyBytes, maxConnections,
                                      m_config.retryAfterSeconds, http.get());
    if (m_sockets)
        tcp->setSharedState(m_sockets);
    if (m_adopts ? !tcp->startAdopting(m_acceptingListener)
                 : !tcp->start(m_config.address, m_config.port, m_sharing)) {
        if (error)
            *error = QStringLiteral("cannot listen on %1 port %2: %3")
                         .arg(m_config.address.toString())
                         .arg(m_config.port)
                         .arg(tcp->startError());
        return false; // tcp goes with http
    }
    if (m_dispatch)
        tcp->setDispatcher(m_dispatch);
    connect(
        tcp, &ReceiverTcpServer::connectionCreated, this, [this](ReceiverConnection *connection) {
            connect(connection, &ReceiverConnection::refused, this,
                    [this, connection](int status, const QByteArray &code, const QString &message,
                                       const QByteArray &method, const QByteArray &target) {
                        onRefused(connection, status, code, message, method, target);
                    });
        });
    http->bind(tcp);
    m_http = std::move(http);
    m_tcp = tcp;
    m_housekeeping.start(m_config.housekeepingMs);
    updateRedisState();
    if (m_lane > 0)
        return true; // the first lane said it all
    qCInfo(lcReceiver, "receiving deliveries at %s", qPrintable(url().toString()));
    qCInfo(lcReceiver,
           "up to %d connections at once (file descriptor limit %llu); request headers due "
           "within %d ms",
           maxConnections, qulonglong(DescriptorLimit::soft()), m_config.headerTimeoutMs);
    return true;
}

void WebhookReceiver::stop()
{
    if (!m_http || m_stopping)
        return;
    m_stopping = true;
    m_tcp->stop(); // no new connections
    // Connections without a request in progress go now, the others after their answer.
    const QList<ReceiverConnection *> connections
        = m_tcp->findChildren<ReceiverConnection *>(Qt::FindDirectChildrenOnly);
    for (ReceiverConnection *connection : connections) {
        if (connection->hasOutstandingRequest())
            connection->closeAfterAnswer();
        else
            connection->abort(); // QHttpServer deletes it (later: this may run in its signal)
    }
    if (m_inFlight == 0)
        finishStop();
}

void WebhookReceiver::finishStop(bool notify)
{
    if (!m_http)
        return;
    m_housekeeping.stop();
    m_tcp = nullptr;
    m_stopping = false;
    // The server goes with every connection. From inside an event loop this may be running in
    // one of the server's own signals (a slot on deliveryHandled): delete it once control is
    // back in the loop. Outside of one (shutdown after exec()), nothing of it is on the stack.
    QAbstractHttpServer *http = m_http.release();
    if (QThread::currentThread()->loopLevel() > 0)
        http->deleteLater();
    else
        delete http;
    if (notify)
        Q_EMIT stopped();
}

bool WebhookReceiver::isListening() const
{
    return m_tcp && m_tcp->isListening() && !m_stopping;
}

qintptr WebhookReceiver::listeningDescriptor() const
{
    return isListening() ? m_tcp->socketDescriptor() : -1;
}

quint64 WebhookReceiver::acceptedConnections() const
{
    return m_tcp ? m_tcp->acceptedConnections() : 0;
}

int WebhookReceiver::openConnections() const
{
    return m_tcp ? m_tcp->openConnections() : 0;
}

int WebhookReceiver::maxConnections() const
{
    return m_tcp ? m_tcp->maxConnections() : 0;
}

quint16 WebhookReceiver::port() const
{
    return isListening() ? m_tcp->serverPort() : 0;
}

QUrl WebhookReceiver::baseUrl() const
{
    QHostAddress host = m_config.address;
    if (host == QHostAddress::Any || host == QHostAddress::AnyIPv4)
        host = QHostAddress(QHostAddress::LocalHost);
    else if (host == QHostAddress::AnyIPv6)
        host = QHostAddress(QHostAddress::LocalHostIPv6);
    QUrl url;
    url.setScheme(QStringLiteral("http"));
    url.setHost(host.toString());
    url.setPort(isListening() ? port() : m_config.port);
    return url;
}

QUrl WebhookReceiver::url() const
{
    QUrl url = baseUrl();
    url.setPath(m_config.path);
    return url;
}

void WebhookReceiver::setExtraMetrics(QObject *context, std::function<QByteArray()> extra)
{
    m_extraMetricsContext = context;
    m_extraMetrics = std::move(extra);
}

QByteArray WebhookReceiver::metricsText() const
{
    QByteArray text = m_metrics->render();
    if (m_extraMetrics && m_extraMetricsContext
        && m_extraMetricsContext->thread() == QThread::currentThread())
        text += m_extraMetrics();
    return text;
}

void WebhookReceiver::handleRequest(const QHttpServerRequest &request,
                                    ReceiverConnection *connection)
{
    if (!connection->takeRequest()) {
        qCWarning(lcReceiver,
                  "QHttpServer read a request this connection did not see whole; "
                  "ending the connection");
        connection->refuseOutOfStep();
        return;
    }
    if (m_stopping) {
        // Read before stop() and handed over after it: not taken any more.
        connection->closeAfterAnswer();
        connection->respond(
            503,
            ReceiverConnection::errorBody(
                "shutting_down", QStringLiteral("the receiver is stopping; send it again later")),
            { { QByteArrayLiteral("Retry-After"),
                QByteArray::number(m_config.retryAfterSeconds) } });
        m_metrics->recordResponse(503, m_lane);
        return;
    }
    QElapsedTimer clock;
    clock.start();
    const QString path = request.url().path();
    const QHttpServerRequest::Method method = request.method();
    if (path == m_config.path) {
        if (method != QHttpServerRequest::Method::Post)
            reject(request, connection, clock, 405, "method_not_allowed",
                   QStringLiteral("%1 is not accepted here; deliveries are POSTed")
                       .arg(describeMethod(method)),
                   { { "Allow", "POST" } });
        else
            handleDelivery(request, connection, clock);
        return;
    }
    if (path == HealthPath || path == MetricsPath) {
        if (method == QHttpServerRequest::Method::Get
            || method == QHttpServerRequest::Method::Head) {
            // A request that came through a tunnel or a reverse proxy (ngrok, a load balancer
            // that says so) is from the outside: it learns whether the receiver is up, not why,
            // and no metrics. Monitoring reaches the port directly.
            const bool proxied = cameThroughProxy(request);
            if (path == HealthPath)
                handleHealth(connection, proxied);
            else if (!proxied)
                handleMetrics(connection);
            else
                reject(request, connection, clock, 404, "not_found",
                       QStringLiteral("nothing here; deliveries go to %1").arg(m_config.path));
        } else {
            reject(request, connection, clock, 405, "method_not_allowed",
                   QStringLiteral("%1 is not accepted here; use GET").arg(describeMethod(method)),
                   { { "Allow", "GET, HEAD" } });
        }
        return;
    }
    reject(request, connection, clock, 404, "not_found",
           QStringLiteral("nothing here; deliveries go to %1").arg(m_config.path));
}

bool WebhookReceiver::cameThroughProxy(const QHttpServerRequest &request)
{
    for (const auto &[name, value] : request.headers()) {
        const QByteArray lower = name.toLower();
        if (lower == "x-forwarded-for" || lower == "forwarded" || lower == "x-real-ip"
            || lower.startsWith("ngrok-"))
            return true;
    }
    return false;
}

void WebhookReceiver::handleHealth(ReceiverConnection *connection, bool proxied)
{
    int status = 200;
    QByteArray body = proxied ? "{\"status\":\"ok\"}" : "{\"status\":\"ok\",\"redis\":\"up\"}";
    ResponseHeaders headers;
    updateRedisState();
    const QString problem = m_metrics->redisProblem(); // of any lane
    if (!problem.isEmpty()) {
        status = 503;
        body = proxied ? "{\"status\":\"unavailable\""
                       : "{\"status\":\"unavailable\",\"redis\":\"down\",\"error\":";
        if (!proxied) // the kind of trouble; where Redis is stays in the server's log
            EntryWriter::appendString(&body, publicRedisReason(problem));
        body += '}';
        headers.append(
            { QByteArrayLiteral("Retry-After"), QByteArray::number(m_config.retryAfterSeconds) });
    }
    headers.append({ QByteArrayLiteral("Cache-Control"), QByteArrayLiteral("no-store") });
    m_metrics->recordResponse(status, m_lane);
    connection->respond(status, body, headers);
}

void WebhookReceiver::handleMetrics(ReceiverConnection *connection)
{
    updateRedisState();
    const auto send = [this](ReceiverConnection *target, const QByteArray &text) {
        m_metrics->recordResponse(200, m_lane); // this scrape shows in the next one
        target->respond(200, text,
                        { { "Content-Type", "text/plain; version=0.0.4; charset=utf-8" },
                          { "Cache-Control", "no-store" } });
    };
    QObject *context = m_extraMetricsContext.data();
    if (!m_extraMetrics || !context || context->thread() == QThread::currentThread()) {
        send(connection, metricsText());
        return;
    }
    // The engine's part is read on the engine's thread, then answered here. Whoever owns both
    // threads destroys this receiver from `context`'s thread, so while the call below runs
    // there this object is either alive or already gone (and `self` null).
    QPointer<WebhookReceiver> self(this);
    QPointer<ReceiverConnection> target(connection);
    QMetaObject::invokeMethod(
        context, [self, target, send, extra = m_extraMetrics] {
            const QByteArray more = extra();
            if (WebhookReceiver *receiver = self.data())
                QMetaObject::invokeMethod(receiver, [self, target, send, more] {
                    if (self && target)
                        send(target.data(), self->m_metrics->render() + more);
                });
        });
}

void WebhookReceiver::reject(const QHttpServerRequest &request, ReceiverConnection *connection,
                             const QElapsedTimer &clock, int status, const QByteArray &code,
                             const QString &message, const ResponseHeaders &headers)
{
    const bool sent
        = connection->respond(status, ReceiverConnection::errorBody(code, message), headers);
    if (!sent)
        m_metrics->recordClientGone();
    m_metrics->recordResponse(status, m_lane);
    const qint64 latencyNs = clock.nsecsElapsed();
    if (request.url().path() == m_config.path)
        m_metrics->recordDelivery(DeliveryEvent::Outcome::Rejected, latencyNs);
    else
        m_metrics->recordOtherRequest(); // a 404 or a monitoring 405 is not a delivery
    if (!isSignalConnected(QMetaMethod::fromSignal(&WebhookReceiver::deliveryHandled)))
        return;
    DeliveryEvent event;
    event.receivedAt = QDateTime::currentDateTimeUtc();
    event.outcome = DeliveryEvent::Outcome::Rejected;
    event.httpStatus = status;
    event.error = message;
    event.latencyUs = latencyNs / 1000;
    event.payload = request.body().left(RejectedPayloadPreview);
    event.remoteAddress = request.remoteAddress().toString();
    event.method = describeMethod(request.method());
    event.path = request.url().path();
    emitEvent(std::move(event));
}

void WebhookReceiver::onRefused(ReceiverConnection *connection, int status, const QByteArray &code,
                                const QString &message, const QByteArray &method,
                                const QByteArray &target)
{
    Q_UNUSED(code);
    m_metrics->recordResponse(status, m_lane);
    // Only a request to the webhook path is a refused delivery; one refused before its target
    // was read (unknown method, HTTP/2, garbage) cannot be told apart from a scan.
    const qsizetype query = target.indexOf('?');
    if (!target.isEmpty()
        && target.left(query < 0 ? target.size() : query) == m_config.path.toUtf8())
        m_metrics->recordDelivery(DeliveryEvent::Outcome::Rejected, 0);
    else
        m_metrics->recordOtherRequest();
    if (!isSignalConnected(QMetaMethod::fromSignal(&WebhookReceiver::deliveryHandled)))
        return;
    DeliveryEvent event;
    event.receivedAt = QDateTime::currentDateTimeUtc();
    event.outcome = DeliveryEvent::Outcome::Rejected;
    event.httpStatus = status;
    event.error = message;
    event.remoteAddress = connection->peerAddress().toString();
    event.method = QString::fromLatin1(method);
    event.path = QString::fromLatin1(target.left(200));
    emitEvent(std::move(event));
}

void WebhookReceiver::handleDelivery(const QHttpServerRequest &request,
                                     ReceiverConnection *connection, const QElapsedTimer &clock)
{
    // One copy of the headers, searched here: QHttpServerRequest::value() builds a lowercased
    // copy of the name and of the value on every call.
    HeaderList headers = request.headers();
    if (!m_secretDigest.isEmpty()) {
        const QByteArray provided = headerValue(headers, m_config.secretHeader);
        if (provided.isEmpty() || !checkSecret(provided)) {
            reject(request, connection, clock, 401,
                   provided.isEmpty() ? "missing_secret" : "wrong_secret",
                   provided.isEmpty()
                       ? QStringLiteral("the %1 header is missing")
                             .arg(QString::fromLatin1(m_config.secretHeader))
                       : QStringLiteral("the %1 header does not match the shared secret")
                             .arg(QString::fromLatin1(m_config.secretHeader)),
                   { { "WWW-Authenticate",
                       "Redrive-Secret header=\"" + m_config.secretHeader + '"' } });
            return;
        }
    }
    // Checked, so gone: the secret goes neither downstream nor into the entry, whatever the
    // header is called (X-Genesys-Token and ININ-* are otherwise forwarded), and whether or not
    // a secret is set.
    headers.removeIf([this](const QPair<QByteArray, QByteArray> &header) {
        return header.first.compare(m_config.secretHeader, Qt::CaseInsensitive) == 0;
    });
    QString problem;
    if (!isJsonContentType(headerValue(headers, "content-type"), &problem)) {
        reject(request, connection, clock, 415, "unsupported_media_type", problem);
        return;
    }
    const QByteArray body = request.body();
    const PayloadValidator::Result check = PayloadValidator::check(body, m_config.maxJsonDepth);
    if (!check.ok) {
        reject(request, connection, clock, 400, check.code, check.message);
        return;
    }

    auto delivery = std::make_shared<Delivery>();
    delivery->connection = connection;
    delivery->id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    delivery->body = body;
    delivery->compact = check.compact;
    delivery->topic = check.topic;
    delivery->headers = std::move(headers);
    delivery->remoteAddress = request.remoteAddress();
    delivery->receivedAtMs = QDateTime::currentMSecsSinceEpoch();
    delivery->clock = clock;
    ++m_inFlight;

    if (!m_downstream) {
        onDownstreamResult(delivery, { DownstreamResult::Outcome::Delivered, 0, {}, 0 });
        return;
    }
    m_downstream->deliver(
        body, delivery->id, delivery->headers, this,
        [this, delivery](const DownstreamResult &result) { onDownstreamResult(delivery, result); });
}

void WebhookReceiver::onDownstreamResult(const DeliveryPtr &delivery,
                                         const DownstreamResult &result)
{
    delivery->result = result;
    switch (result.outcome) {
    case DownstreamResult::Outcome::Delivered:
        delivery->outcome = DeliveryEvent::Outcome::Processed;
        answer(delivery, 200, statusBody("processed", delivery->id));
        return;
    case DownstreamResult::Outcome::Retryable:
        delivery->outcome = DeliveryEvent::Outcome::Deferred;
        break;
    case DownstreamResult::Outcome::Permanent:
        delivery->outcome = DeliveryEvent::Outcome::PermanentFailure;
        break;
    }
    store(delivery, result);
}

void WebhookReceiver::store(const DeliveryPtr &delivery, const DownstreamResult &result)
{
    if (!m_queue || !m_queue->hasConnection()) {
        answerUnavailable(delivery, QStringLiteral("no Redis connection"));
        return;
    }
    EntryWriter::Fields fields;
    fields.payload = delivery->body;
    fields.payloadCompact = delivery->compact;
    fields.errorMessage = result.error;
    fields.statusCode = result.statusCode;
    fields.headers = HeaderPolicy::stored(delivery->headers, m_config.secretHeader);
    fields.id = delivery->id;
    fields.receivedAtMs = delivery->receivedAtMs;
    fields.nowMs = QDateTime::currentMSecsSinceEpoch();
    const QueueStore::List list = delivery->outcome == DeliveryEvent::Outcome::Deferred
        ? QueueStore::List::DeadLetter
        : QueueStore::List::PermanentFailures;
    delivery->sequence = ++m_nextSequence;
    delivery->redisClock.start();
    m_awaitingRedis.insert(delivery->sequence, delivery);
    m_queue->defer(
        list, std::move(fields), this,
        [this, delivery](const DeadLetterWriter::Result &stored) { onStored(delivery, stored); });
}

void WebhookReceiver::onStored(const DeliveryPtr &delivery, const DeadLetterWriter::Result &stored)
{
    m_awaitingRedis.remove(delivery->sequence);
    const bool deferred = delivery->outcome == DeliveryEvent::Outcome::Deferred;
    if (!stored.stored) {
        const QString &reason = stored.error;
        // One outage for all lanes: logged when the first write fails, on whichever lane.
        if (m_metrics->recordRedisError())
            qCWarning(lcReceiver,
                      "could not store a delivery in Redis (%s); answering 503 until "
                      "Redis takes writes again",
                      qPrintable(reason));
        m_metrics->setRedisState(m_lane, false, reason);
        m_laneRedisUp = false;
        answerUnavailable(delivery, reason);
        return;
    }
    if (!m_laneRedisUp)
        updateRedisState(); // the other lanes' /healthz and /metrics learn it now
    if (const quint64 failed = m_metrics->recordRedisWriteOk()) {
        if (failed == 1)
            qCInfo(lcReceiver, "Redis takes writes again (1 delivery was answered 503 meanwhile)");
        else
            qCInfo(lcReceiver,
                   "Redis takes writes again (%llu deliveries were answered 503 meanwhile)",
                   qulonglong(failed));
    }
    if (delivery->answered)
        qCWarning(lcReceiver,
                  "delivery %s was stored after its 503 (Redis was slow): the sender may send "
                  "it again",
                  qPrintable(delivery->id));
    answer(delivery, 200,
           statusBody(deferred ? "deferred_to_dlq" : "permanent_failure", delivery->id));
}

void WebhookReceiver::answerUnavailable(const DeliveryPtr &delivery, const QString &reason)
{
    delivery->outcome = DeliveryEvent::Outcome::Unavailable;
    // The sender (anyone behind the public tunnel) learns why, not where Redis is nor as whom
    // Redrive logs in there.
    answer(delivery, 503,
           ReceiverConnection::errorBody(
               "storage_unavailable",
               QStringLiteral("the delivery could not be processed and could not be stored (%1); "
                              "nothing was kept: send it again later")
                   .arg(publicRedisReason(reason))),
           { { "Retry-After", QByteArray::number(m_config.retryAfterSeconds) } });
}

void WebhookReceiver::answer(const DeliveryPtr &delivery, int status, const QByteArray &body,
                             const ResponseHeaders &headers)
{
    if (delivery->answered)
        return;
    delivery->answered = true;
    --m_inFlight;
    const bool sent = delivery->connection && delivery->connection->respond(status, body, headers);
    if (m_stopping && m_inFlight == 0)
        QMetaObject::invokeMethod(
            this,
            [this] {
                if (m_stopping && m_inFlight == 0)
                    finishStop();
            },
            Qt::QueuedConnection);
    if (!sent)
        m_metrics->recordClientGone();
    m_metrics->recordResponse(status, m_lane);
    const qint64 latencyNs = delivery->clock.nsecsElapsed();
    m_metrics->recordDelivery(delivery->outcome, latencyNs);
    if (!isSignalConnected(QMetaMethod::fromSignal(&WebhookReceiver::deliveryHandled)))
        return;
    DeliveryEvent event;
    event.id = delivery->id;
    event.receivedAt = QDateTime::fromMSecsSinceEpoch(delivery->receivedAtMs, Qt::UTC);
    event.topic = QString::fromUtf8(delivery->topic);
    event.outcome = delivery->outcome;
    event.httpStatus = status;
    event.downstreamStatus = delivery->result.statusCode;
    if (delivery->outcome == DeliveryEvent::Outcome::Unavailable)
        event.error = QString::fromUtf8(body); // says why it could not be stored
    else
        event.error = delivery->result.error;
    event.latencyUs = latencyNs / 1000;
    event.payload = delivery->body;
    event.remoteAddress = delivery->remoteAddress.toString();
    event.method = QStringLiteral("POST");
    event.path = m_config.path;
    emitEvent(std::move(event));
}

void WebhookReceiver::emitEvent(DeliveryEvent &&event)
{
    Q_EMIT deliveryHandled(event);
}

void WebhookReceiver::housekeeping()
{
    // Writes Redis has not confirmed in time: answer 503 (the write may still land; then the
    // sender may deliver twice, which is better than a 2xx for something not stored).
    const qint64 timeoutMs = m_config.redisTimeoutMs;
    QList<DeliveryPtr> late;
    for (const DeliveryPtr &delivery : std::as_const(m_awaitingRedis)) {
        if (!delivery->answered && delivery->redisClock.elapsed() >= timeoutMs)
            late.append(delivery);
    }
    for (const DeliveryPtr &delivery : std::as_const(late))
        answerUnavailable(
            delivery,
            QStringLiteral("Redis did not confirm the write within %1 ms").arg(timeoutMs));

    if (m_tcp) {
        const QList<ReceiverConnection *> connections
            = m_tcp->findChildren<ReceiverConnection *>(Qt::FindDirectChildrenOnly);
        for (ReceiverConnection *connection : connections) {
            if (connection->state() != QAbstractSocket::ConnectedState)
                continue;
            if (connection->isAwaitingHead()
                && connection->headWaitMs() >= m_config.headerTimeoutMs) {
                // Slow senders (slowloris) each hold a descriptor: a deadline for the whole
                // head, however steadily its bytes trickle in.
                connection->closeSlowHead(m_config.headerTimeoutMs);
            } else if (connection->isAwaitingHandover()
                       && connection->idleMs() >= HandoverTimeoutMs) {
                // Complete here, never handed over by QHttpServer: never expected, but an
                // answer is owed either way.
                qCWarning(lcReceiver,
                          "QHttpServer did not take a complete request; "
                          "ending the connection");
                connection->refuseOutOfStep();
            } else if (!connection->hasOutstandingRequest()
                       && connection->idleMs() >= m_config.idleTimeoutMs) {
                connection->closeIdle();
            }
        }
    }
    m_metrics->setInFlight(m_lane, m_inFlight);
    updateRedisState();
}

void WebhookReceiver::updateRedisState()
{
    m_laneRedisUp = m_queue && m_queue->isReady();
    if (m_laneRedisUp)
        m_metrics->setRedisState(m_lane, true, {});
    else
        m_metrics->setRedisState(m_lane, false,
                                 m_queue ? m_queue->unavailableReason()
                                         : QStringLiteral("no Redis connection"));
}

} // namespace redrive::core
