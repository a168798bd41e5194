// SPDX-License-Identifier: MIT
#include "core/delivery/keepalivehttpclient.h"

#include <QTcpSocket>
#include <QTimer>

namespace redrive::core {

struct KeepAliveHttpClient::Connection
{
    std::unique_ptr<QTcpSocket> socket;
    std::unique_ptr<QTimer> timeout;
    std::shared_ptr<Request> request;
    QByteArray buffer;
    bool used = false; // has answered a request before (a stale keep-alive may be closed)
    bool received = false; // bytes of the current answer arrived
};

KeepAliveHttpClient::KeepAliveHttpClient(const QUrl &url, int timeoutMs, QObject *parent,
                                         int maxConnections)
    : QObject(parent)
    , m_url(url)
    , m_timeoutMs(timeoutMs)
    , m_maxConnections(qMax(1, maxConnections))
{
    QByteArray target = url.path(QUrl::FullyEncoded).toUtf8();
    if (target.isEmpty())
        target = "/";
    if (url.hasQuery())
        target += '?' + url.query(QUrl::FullyEncoded).toUtf8();
    const int port = url.port(80);
    m_requestHead = "POST " + target + " HTTP/1.1\r\nHost: " + url.host().toUtf8()
        + (port == 80 ? QByteArray() : ':' + QByteArray::number(port))
        + "\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n";
}

KeepAliveHttpClient::~KeepAliveHttpClient()
{
    m_closing = true;
    const QList<Connection *> all = m_all;
    for (Connection *connection : all)
        drop(connection);
}

bool KeepAliveHttpClient::supports(const QUrl &url)
{
    return url.isValid() && url.scheme() == QLatin1String("http") && !url.host().isEmpty()
        && url.userInfo().isEmpty();
}

void KeepAliveHttpClient::deliver(const QByteArray &payload, const QString &deliveryId,
                                  const HeaderList &headers, const QObject *context,
                                  DownstreamClient::Callback callback)
{
    auto request = std::make_shared<Request>();
    QByteArray bytes = m_requestHead;
    for (const auto &[name, value] : headers) {
        if (HeaderPolicy::isForwarded(name) && name.toLower() != "content-type"
            && !name.contains('\n') && !value.contains('\n') && !value.contains('\r'))
            bytes += name + ": " + value + "\r\n";
    }
    // The id comes from the entry's text: a line break in it must not start a header of its own.
    QByteArray id = deliveryId.toUtf8();
    id.replace('\r', ' ').replace('\n', ' ');
    bytes += QByteArray(DownstreamClient::DeliveryIdHeader) + ": " + id
        + "\r\nContent-Length: " + QByteArray::number(payload.size()) + "\r\n\r\n" + payload;
    request->bytes = std::move(bytes);
    request->callback = std::move(callback);
    request->context = context;
    request->hasContext = context != nullptr;
    request->clock.start();
    dispatch(std::move(request));
}

void KeepAliveHttpClient::dispatch(std::shared_ptr<Request> request)
{
    if (m_closing)
        return;
    if (m_idle.isEmpty() && m_all.size() >= m_maxConnections) {
        m_waiting.append(std::move(request));
        return;
    }
    send(acquire(), std::move(request));
}

void KeepAliveHttpClient::reuse(Connection *connection)
{
    while (!m_waiting.isEmpty()) {
        std::shared_ptr<Request> next = m_waiting.takeFirst();
        if (next->hasContext && !next->context)
            continue; // nobody waits for its outcome any more
        send(connection, std::move(next));
        return;
    }
    m_idle.append(connection);
}

KeepAliveHttpClient::Connection *KeepAliveHttpClient::acquire()
{
    if (!m_idle.isEmpty())
        return m_idle.takeLast();
    auto *connection = new Connection;
    m_all.append(connection);
    connection->socket = std::make_unique<QTcpSocket>();
    connection->timeout = std::make_unique<QTimer>();
    connection->timeout->setSingleShot(true);
    connect(connection->socket.get(), &QTcpSocket::readyRead, this,
            [this, connection] { onReadable(connection); });
    connect(connection->socket.get(), &QTcpSocket::errorOccurred, this, [this, connection] {
        onFailure(connection, connection->socket->errorString(), false);
    });
    connect(connection->timeout.get(), &QTimer::timeout, this,
            [this, connection] { onFailure(connection, QString(), true); });
    connection->socket->connectToHost(m_url.host(), quint16(m_url.port(80)));
    return connection;
}

void KeepAliveHttpClient::send(Connection *connection, std::shared_ptr<Request> request)
{
    connection->request = std::move(request);
    connection->buffer.clear();
    connection->received = false;
    connection->timeout->start(m_timeoutMs);
    // Written before the connection is up, the bytes are sent once it is.
    connection->socket->write(connection->request->bytes);
}

void KeepAliveHttpClient::onReadable(Connection *connection)
{
    connection->buffer += connection->socket->readAll();
    if (!connection->request)
        return; // nothing asked: the server should not talk; the next request clears it
    connection->received = true;
    QByteArray &buffer = connection->buffer;
    const qsizetype headEnd = buffer.indexOf("\r\n\r\n");
    if (headEnd < 0)
        return;
    const QList<QByteArray> lines = buffer.left(headEnd).split('\n');
    const QList<QByteArray> statusLine = lines.first().trimmed().split(' ');
    const int status = statusLine.size() >= 2 ? statusLine.at(1).toInt() : 0;
    if (status < 100) {
        onFailure(connection, QStringLiteral("malformed HTTP answer"), false);
        return;
    }
    qsizetype length = -1;
    bool chunked = false;
    bool keep = !lines.first().startsWith("HTTP/1.0");
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const QByteArray &line = lines.at(i);
        const qsizetype colon = line.indexOf(':');
        if (colon < 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed().toLower();
        if (name == "content-length")
            length = value.toLongLong();
        else if (name == "transfer-encoding")
            chunked = value.contains("chunked");
        else if (name == "connection")
            keep = value.contains("keep-alive") || (keep && !value.contains("close"));
    }
    QByteArray body;
    const qsizetype bodyStart = headEnd + 4;
    if (status == 204 || status == 304 || (status >= 100 && status < 200)) {
        length = 0;
    }
    if (chunked) {
        qsizetype at = bodyStart;
        for (;;) {
            const qsizetype lineEnd = buffer.indexOf("\r\n", at);
            if (lineEnd < 0)
                return;
            bool ok = false;
            const qsizetype size
                = buffer.mid(at, lineEnd - at).split(';').first().trimmed().toLongLong(&ok, 16);
            if (!ok) {
                onFailure(connection, QStringLiteral("malformed chunked answer"), false);
                return;
            }
            if (size == 0) {
                // Trailers end with an empty line.
                if (buffer.indexOf("\r\n\r\n", lineEnd) < 0 && buffer.mid(lineEnd, 4) != "\r\n\r\n")
                    return;
                break;
            }
            if (buffer.size() < lineEnd + 2 + size + 2)
                return;
            body += buffer.mid(lineEnd + 2, size);
            at = lineEnd + 2 + size + 2;
        }
    } else if (length >= 0) {
        if (buffer.size() < bodyStart + length)
            return;
        body = buffer.mid(bodyStart, length);
    } else {
        return; // the body runs until the server closes: handled in onFailure
    }
    DownstreamResult result;
    result.statusCode = status;
    result.outcome = DownstreamClient::classifyStatus(status);
    if (result.outcome != DownstreamResult::Outcome::Delivered) {
        const QByteArray excerpt = body.left(300).trimmed();
        result.error = QStringLiteral("downstream answered %1%2")
                           .arg(status)
                           .arg(excerpt.isEmpty() ? QString()
                                                  : QStringLiteral(": ")
                                        + QString::fromUtf8(excerpt).simplified());
    }
    complete(connection, result, keep);
}

void KeepAliveHttpClient::onFailure(Connection *connection, const QString &error, bool timedOut)
{
    std::shared_ptr<Request> request = connection->request;
    if (!request) {
        drop(connection); // an idle keep-alive connection closed by the server
        return;
    }
    // A body that runs until the server closes is complete now.
    const qsizetype headEnd = connection->buffer.indexOf("\r\n\r\n");
    if (!timedOut && headEnd >= 0
        && connection->socket->error() == QAbstractSocket::RemoteHostClosedError) {
        const QList<QByteArray> statusLine
            = connection->buffer.left(connection->buffer.indexOf('\r')).split(' ');
        const int status = statusLine.size() >= 2 ? statusLine.at(1).toInt() : 0;
        if (status >= 100) {
            DownstreamResult result;
            result.statusCode = status;
            result.outcome = DownstreamClient::classifyStatus(status);
            if (result.outcome != DownstreamResult::Outcome::Delivered)
                result.error = QStringLiteral("downstream answered %1").arg(status);
            complete(connection, result, false);
            return;
        }
    }
    // A reused connection the server had already closed: the request never arrived, so it is
    // sent once more on a fresh connection rather than counted as an attempt.
    if (!timedOut && connection->used && !connection->received && !request->retried) {
        request->retried = true;
        connection->request.reset();
        drop(connection);
        QMetaObject::invokeMethod(
            this, [this, request] { dispatch(request); }, Qt::QueuedConnection);
        return;
    }
    DownstreamResult result;
    result.outcome = DownstreamResult::Outcome::Retryable;
    if (timedOut) {
        result.statusCode = 504;
        result.error = QStringLiteral("downstream timed out after %1 ms").arg(m_timeoutMs);
    } else {
        result.statusCode = 502;
        result.error = QStringLiteral("downstream unreachable: %1").arg(error);
    }
    complete(connection, result, false);
}

void KeepAliveHttpClient::complete(Connection *connection, const DownstreamResult &resultIn,
                                   bool keep)
{
    std::shared_ptr<Request> request = std::move(connection->request);
    connection->request.reset();
    connection->timeout->stop();
    connection->used = true;
    if (keep && connection->socket->state() == QAbstractSocket::ConnectedState) {
        connection->buffer.clear();
        reuse(connection);
    } else {
        // Deleting a socket from inside its own signal is not safe: later.
        QMetaObject::invokeMethod(
            this, [this, connection] { drop(connection); }, Qt::QueuedConnection);
        connection->socket->disconnect(this);
        connection->timeout->disconnect(this);
    }
    if (!request || (request->hasContext && !request->context))
        return;
    DownstreamResult result = resultIn;
    result.elapsedMs = request->clock.elapsed();
    request->callback(result);
}

void KeepAliveHttpClient::abandon(const QString &error)
{
    m_closing = true;
    QList<std::shared_ptr<Request>> requests = std::exchange(m_waiting, {});
    const QList<Connection *> all = m_all;
    for (Connection *connection : all) {
        if (connection->request)
            requests.prepend(std::move(connection->request));
        drop(connection);
    }
    for (const std::shared_ptr<Request> &request : std::as_const(requests)) {
        if (request->hasContext && !request->context)
            continue;
        DownstreamResult result;
        result.outcome = DownstreamResult::Outcome::Retryable;
        result.statusCode = 502;
        result.error = error;
        result.elapsedMs = request->clock.elapsed();
        request->callback(result);
    }
}

void KeepAliveHttpClient::drop(Connection *connection)
{
    if (!m_all.contains(connection))
        return;
    m_all.removeOne(connection);
    m_idle.removeOne(connection);
    connection->socket->disconnect(this);
    connection->timeout->disconnect(this);
    connection->socket->abort();
    // Not deleted from inside the socket's own signal emission.
    connection->socket.release()->deleteLater();
    connection->timeout->stop();
    connection->timeout.release()->deleteLater();
    delete connection;
    // A place is free: the oldest request waiting takes it.
    while (!m_closing && !m_waiting.isEmpty() && m_all.size() < m_maxConnections) {
        std::shared_ptr<Request> next = m_waiting.takeFirst();
        if (next->hasContext && !next->context)
            continue;
        send(acquire(), std::move(next));
    }
}

} // namespace redrive::core
