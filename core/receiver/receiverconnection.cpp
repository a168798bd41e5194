// SPDX-License-Identifier: MIT
#include "core/receiver/receiverconnection.h"

#include <QJsonDocument>
#include <QElapsedTimer>
#include <QJsonObject>
#include <QTimer>

#include <memory>

#include <sys/socket.h>

namespace redrive::core {

namespace {

// After refusing a request whose body is still coming, keep reading (and dropping) it for a
// while before closing: closing with unread data makes the kernel send a reset, and the client
// would see "connection reset" instead of the answer (RFC 9112 section 9.6, "lingering close").
// The client gets as long as it keeps sending (a slow or busy client uploading a large body
// needs more than a fixed few seconds), up to a limit in bytes and in time.
constexpr int DrainIdleMs = 5000;
constexpr int DrainMaxMs = 60000;
constexpr int DrainCheckMs = 250;
constexpr qint64 MaxDrainBytes = qint64(64) * 1024 * 1024;

} // namespace

QByteArray ReceiverConnection::errorBody(const QByteArray &code, const QString &message)
{
    return QJsonDocument(QJsonObject { { QStringLiteral("error"), QString::fromLatin1(code) },
                                       { QStringLiteral("message"), message } })
        .toJson(QJsonDocument::Compact);
}

ReceiverConnection::ReceiverConnection(QObject *httpServer, qint64 maxBodyBytes, QObject *parent)
    : QTcpSocket(parent)
    , m_httpServer(httpServer)
    , m_framer(maxBodyBytes)
{
    m_lastActivity.start();
    m_headClock.start();
    // Connected before QHttpServer connects its own slot, so this one runs first on every read.
    connect(this, &QTcpSocket::readyRead, this, &ReceiverConnection::onReadyRead);
}

ReceiverConnection::~ReceiverConnection() = default;

QByteArray ReceiverConnection::reasonPhrase(int status)
{
    switch (status) {
    case 100:
        return QByteArrayLiteral("Continue");
    case 200:
        return QByteArrayLiteral("OK");
    case 400:
        return QByteArrayLiteral("Bad Request");
    case 401:
        return QByteArrayLiteral("Unauthorized");
    case 404:
        return QByteArrayLiteral("Not Found");
    case 405:
        return QByteArrayLiteral("Method Not Allowed");
    case 408:
        return QByteArrayLiteral("Request Timeout");
    case 413:
        return QByteArrayLiteral("Content Too Large");
    case 415:
        return QByteArrayLiteral("Unsupported Media Type");
    case 417:
        return QByteArrayLiteral("Expectation Failed");
    case 431:
        return QByteArrayLiteral("Request Header Fields Too Large");
    case 500:
        return QByteArrayLiteral("Internal Server Error");
    case 501:
        return QByteArrayLiteral("Not Implemented");
    case 503:
        return QByteArrayLiteral("Service Unavailable");
    case 505:
        return QByteArrayLiteral("HTTP Version Not Supported");
    default:
        return QByteArrayLiteral("Unknown");
    }
}

QByteArray ReceiverConnection::buildResponse(int status, const QByteArray &body,
                                             const Headers &headers, bool close,
                                             bool keepAliveHeader, bool headOnly)
{
    QByteArray out;
    out.reserve(160 + body.size());
    out.append("HTTP/1.1 ");
    out.append(QByteArray::number(status));
    out.append(' ');
    out.append(reasonPhrase(status));
    out.append("\r\n");
    bool hasContentType = false;
    for (const auto &[name, value] : headers) {
        hasContentType = hasContentType || name.compare("content-type", Qt::CaseInsensitive) == 0;
        out.append(name);
        out.append(": ");
        out.append(value);
        out.append("\r\n");
    }
    if (!hasContentType && !body.isEmpty())
        out.append("Content-Type: application/json\r\n");
    out.append("Content-Length: ");
    out.append(QByteArray::number(body.size()));
    out.append("\r\n");
    if (close)
        out.append("Connection: close\r\n");
    else if (keepAliveHeader)
        out.append("Connection: keep-alive\r\n");
    out.append("\r\n");
    if (!headOnly)
        out.append(body);
    return out;
}

bool ReceiverConnection::takeRequest()
{
    if (!m_outstanding || m_handedOver)
        return false;
    m_handedOver = true;
    return true;
}

void ReceiverConnection::refuseOutOfStep()
{
    stopParsing();
    m_outstanding = false;
    refuse(400, "bad_framing",
           QStringLiteral("the request could not be read reliably; send it again on a new "
                          "connection"));
}

bool ReceiverConnection::respond(int status, const QByteArray &body, const Headers &headers)
{
    if (!m_outstanding)
        return false;
    m_outstanding = false;
    m_lastActivity.restart();
    if (state() != QAbstractSocket::ConnectedState)
        return false;
    const bool close = !m_head.keepAlive || m_closeAfterResponse || m_draining;
    write(buildResponse(status, body, headers, close, m_head.http10 && !close,
                        m_head.method == "HEAD"));
    // Sent now rather than on the next write notification: one event-loop pass less per request.
    flush();
    if (m_draining)
        startDraining(); // half-closes once the answer is out
    else if (close)
        disconnectFromHost();
    return true;
}

void ReceiverConnection::onReadyRead()
{
    m_lastActivity.restart();
    if (m_draining) {
        discardInput();
        return;
    }
    // Only peek: QHttpServer reads the same bytes right after this slot returns. The framer
    // needs to look at heads and chunk-size lines only; body bytes are counted, not copied.
    const qint64 available = bytesAvailable();
    char buffer[4096];
    const qint64 peeked = peek(buffer, qMin<qint64>(available, qint64(sizeof buffer)));
    bool completedHere = false;
    if (peeked < 0 || !frame(buffer, peeked, &completedHere))
        return;
    qint64 done = peeked;
    while (done < available) {
        const qint64 skip = qMin(m_framer.bodyBytesPending(), available - done);
        if (skip > 0) {
            m_framer.skipBody(skip);
            done += skip;
            static const char nothing[1] = { 0 };
            if (!frame(nothing, 0, &completedHere))
                return;
            continue;
        }
        // More heads or chunk-size lines further in: look at everything (rare).
        const QByteArray all = peek(available);
        frame(all.constData() + done, all.size() - done, &completedHere);
        return;
    }
}

bool ReceiverConnection::frame(const char *data, qsizetype size, bool *completedHere)
{
    qsizetype pos = 0;
    for (;;) {
        const bool wasBetween = m_framer.isBetweenMessages();
        RequestFramer::Event event = RequestFramer::Event::NeedMore;
        pos += m_framer.feed(data + pos, size - pos, &event);
        if (wasBetween && !m_framer.isBetweenMessages() && !m_awaitingHead) {
            m_awaitingHead = true; // a later request: its head is due from its first byte
            m_headClock.restart();
        }
        if (wasBetween && !m_framer.isBetweenMessages() && (m_outstanding || *completedHere)) {
            // The next request arrived before this one was answered (HTTP pipelining).
            // QHttpServer 6.4 would answer them as they complete, not in order: answer what is
            // outstanding, then close; the client sends the rest again on a new connection.
            stopParsing();
            if (*completedHere) {
                m_outstanding = false; // QHttpServer will not see it: answer it here
                refuse(400, "pipelining_not_supported",
                       QStringLiteral("HTTP pipelining is not supported: wait for each answer "
                                      "before sending the next request"));
            } else {
                m_closeAfterResponse = true;
                m_draining = true;
                discardInput();
            }
            return false;
        }
        switch (event) {
        case RequestFramer::Event::NeedMore:
            return true;
        case RequestFramer::Event::HeadComplete:
            m_awaitingHead = false;
            if (m_framer.head().expectContinue
                && (m_framer.head().chunked || m_framer.head().contentLength > 0)) {
                write("HTTP/1.1 100 Continue\r\n\r\n");
                flush();
            }
            break;
        case RequestFramer::Event::MessageComplete:
            *completedHere = true;
            m_outstanding = true;
            m_handedOver = false;
            m_head = m_framer.head();
            break;
        case RequestFramer::Event::Error:
            stopParsing();
            refuse(m_framer.errorStatus(), m_framer.errorCode(), m_framer.errorMessage());
            return false;
        }
    }
}

void ReceiverConnection::stopParsing()
{
    // QHttpServer's slot is connected with the server as context: cutting it leaves the
    // socket's own clean-up connections (deleteLater on disconnect) in place.
    if (m_httpServer)
        QObject::disconnect(this, &QTcpSocket::readyRead, m_httpServer.data(), nullptr);
}

void ReceiverConnection::refuse(int status, const QByteArray &code, const QString &message)
{
    const RequestFramer::Head head = m_framer.head();
    if (state() == QAbstractSocket::ConnectedState) {
        write(buildResponse(status, errorBody(code, message), {}, true, false,
                            head.method == "HEAD"));
        flush();
    }
    startDraining();
    Q_EMIT refused(status, code, message, head.method, head.target);
}

void ReceiverConnection::startDraining()
{
    m_draining = true;
    discardInput();
    if (m_outstanding || m_drainArmed)
        return; // the outstanding answer goes out first: respond() comes back here
    m_drainArmed = true;
    const auto halfClose = [this] {
        if (bytesToWrite() == 0 && state() == QAbstractSocket::ConnectedState)
            ::shutdown(int(socketDescriptor()), SHUT_WR);
    };
    if (bytesToWrite() == 0)
        halfClose();
    else
        connect(this, &QIODevice::bytesWritten, this, halfClose);
    auto *check = new QTimer(this);
    check->setInterval(DrainCheckMs);
    QElapsedTimer draining;
    draining.start();
    connect(check, &QTimer::timeout, this, [this, draining] {
        if (m_lastActivity.elapsed() >= DrainIdleMs || draining.elapsed() >= DrainMaxMs)
            abort();
    });
    check->start();
}

void ReceiverConnection::discardInput()
{
    if (isTransactionStarted())
        commitTransaction();
    const qint64 available = bytesAvailable();
    if (available > 0)
        m_drained += skip(available);
    if (m_drained > MaxDrainBytes)
        abort();
}

void ReceiverConnection::closeSlowHead(int timeoutMs)
{
    if (!isAwaitingHead())
        return;
    m_awaitingHead = false;
    if (m_framer.isBetweenMessages()) {
        abort(); // connected and silent: there is no request to answer
        return;
    }
    stopParsing();
    refuse(408, "request_timeout",
           QStringLiteral("the request headers did not arrive within %1 s")
               .arg(double(timeoutMs) / 1000.0));
}

void ReceiverConnection::closeIdle()
{
    if (m_outstanding)
        return; // an answer is on its way
    if (isReceivingRequest() && !m_draining) {
        stopParsing();
        refuse(408, "request_timeout",
               QStringLiteral("the request did not arrive completely in time"));
        return;
    }
    abort();
}

} // namespace redrive::core
