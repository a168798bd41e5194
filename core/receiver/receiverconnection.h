// SPDX-License-Identifier: MIT
#pragma once

#include "core/receiver/requestframer.h"

#include <QElapsedTimer>
#include <QList>
#include <QPair>
#include <QPointer>
#include <QTcpSocket>

namespace redrive::core {

// One client connection of the receiver. It sees every byte before QHttpServer 6.4 parses it
// (its readyRead slot is connected first) and guards what 6.4 does not: it refuses a body over
// the limit from its headers (413, nothing buffered), answers malformed requests (6.4 closes
// the connection without a word), answers "Expect: 100-continue", ends stalled requests (408),
// and refuses pipelined requests (6.4 answers them in the order they complete: a fast 404
// would go out as the answer to a slow POST before it). It also writes the receiver's answers:
// one write per response, "Connection: close" honoured.
class ReceiverConnection final : public QTcpSocket
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReceiverConnection)

public:
    using Headers = QList<QPair<QByteArray, QByteArray>>;

    // `httpServer` is the QAbstractHttpServer that parses what this connection lets through.
    ReceiverConnection(QObject *httpServer, qint64 maxBodyBytes, QObject *parent = nullptr);
    ~ReceiverConnection() override;

    // The head of the request QHttpServer is handing over (valid while one is outstanding).
    const RequestFramer::Head &head() const { return m_head; }
    bool hasOutstandingRequest() const { return m_outstanding; }
    // Called when QHttpServer hands a request over: false when this connection saw no complete
    // request for it (the two parsers disagree about the framing; then answer with
    // refuseOutOfStep()). Never expected: a safety net, as is isAwaitingHandover().
    bool takeRequest();
    // A complete request QHttpServer has not handed over.
    bool isAwaitingHandover() const { return m_outstanding && !m_handedOver; }
    // 400 bad_framing and the connection ends: the request cannot be read reliably.
    void refuseOutOfStep();
    // Sends the one answer to the outstanding request. Returns false when the client is gone.
    bool respond(int status, const QByteArray &body, const Headers &headers = {});
    // Milliseconds since the last byte arrived or an answer was sent.
    qint64 idleMs() const { return m_lastActivity.elapsed(); }
    bool isReceivingRequest() const { return !m_framer.isBetweenMessages(); }
    // Ends an idle connection; a request in progress gets 408 first.
    void closeIdle();
    // The head of a request is due: from the accept for the first request, from its first
    // byte for a later one, until the head is complete. headWaitMs() tells for how long.
    bool isAwaitingHead() const { return m_awaitingHead && !m_outstanding && !m_draining; }
    qint64 headWaitMs() const { return m_headClock.elapsed(); }
    // Ends a connection whose head did not arrive in time: 408 when some of it came,
    // closed without a word when nothing did.
    void closeSlowHead(int timeoutMs);
    // The answer to the outstanding request is the last one: "Connection: close", then closed.
    void closeAfterAnswer() { m_closeAfterResponse = true; }

    static QByteArray reasonPhrase(int status);
    // {"error":"<code>","message":"<message>"}: the body of every error answer.
    static QByteArray errorBody(const QByteArray &code, const QString &message);
    // A complete HTTP/1.1 response.
    static QByteArray buildResponse(int status, const QByteArray &body, const Headers &headers,
                                    bool close, bool keepAliveHeader, bool headOnly);

Q_SIGNALS:
    // A request was refused here, before QHttpServer saw it (status 400, 413, 431, ...).
    void refused(int status, const QByteArray &code, const QString &message,
                 const QByteArray &method, const QByteArray &target);

private:
    void onReadyRead();
    // Runs the framer over `data`; false when the connection stopped taking requests.
    bool frame(const char *data, qsizetype size, bool *completedHere);
    void refuse(int status, const QByteArray &code, const QString &message);
    void stopParsing();
    void startDraining();
    void discardInput();

    QPointer<QObject> m_httpServer;
    RequestFramer m_framer;
    RequestFramer::Head m_head;
    QElapsedTimer m_lastActivity;
    QElapsedTimer m_headClock;
    bool m_awaitingHead = true;
    bool m_outstanding = false;
    bool m_handedOver = false;
    bool m_closeAfterResponse = false;
    bool m_draining = false;
    bool m_drainArmed = false;
    qint64 m_drained = 0;
};

} // namespace redrive::core
