// SPDX-License-Identifier: MIT
#pragma once

// What the attack scenarios share: a load generator that posts deliveries with unique ids over
// keep-alive connections, a downstream that records what it receives, raw exchanges, and the ids
// found in a Redis list.

#include "tests/support/fakedownstream.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QList>
#include <QMap>
#include <QObject>
#include <QSet>
#include <QTcpServer>
#include <QTimer>

#include <functional>
#include <memory>
#include <vector>

class QTcpSocket;

namespace redrive::tests {

class RedisServer;

// The delivery body for `id`: a small Genesys-like notification that carries it.
QByteArray taggedPayload(const QByteArray &id);
// Every id made by LoadGenerator or taggedId() found in `text` (an element of a list, a body).
QList<QByteArray> idsIn(const QByteArray &text);
// An id unique within the test: "atk<tag>n<number>z".
QByteArray taggedId(const QByteArray &tag, int number);
// The ids found in the elements of `keys` (lists), each once per element holding it.
QList<QByteArray> idsInLists(const RedisServer &redis, const QList<QByteArray> &keys);
// A POST of `body` to the webhook path, with Host and a JSON content type.
QByteArray deliveryRequest(const QByteArray &body, const QByteArray &extraHeaders = {});
// Raises this process' soft RLIMIT_NOFILE to its hard limit (for thousands of client sockets).
void raiseOwnDescriptorLimit();

// Posts deliveries to the receiver on `port` from several keep-alive connections at once, each
// with an id of its own, and records how each was answered. A connection that fails or closes
// is opened again (the receiver may be restarting). Driven by the event loop.
class LoadGenerator : public QObject
{
    Q_OBJECT

public:
    LoadGenerator(const QByteArray &tag, int connections, int pauseMs = 10,
                  QObject *parent = nullptr);
    ~LoadGenerator() override;

    void start(quint16 port);
    // No new requests; those in flight are given up (counted unanswered).
    void stop();
    // Calls `interrupt` once, right after sending a request, when at least `acknowledged` were
    // answered 2xx and at least `inFlight` wait for their answers: whatever it does (a kill)
    // lands while the receiver is working on them, not at a moment sampled from outside.
    void interruptWhenInFlight(int acknowledged, int inFlight, std::function<void()> interrupt);
    bool interrupted() const { return m_interrupted; }

    QList<QByteArray> acknowledged() const { return m_acknowledged; } // answered 2xx
    int sent() const { return m_sent; }
    int answered() const { return m_answered; }
    int unanswered() const { return m_unanswered; } // connection closed or reset first
    int inFlight() const; // requests sent and waiting for their answers now
    const QMap<int, int> &statuses() const { return m_statuses; }
    int acknowledgedCount() const { return int(m_acknowledged.size()); }
    // The longest a request waited for its answer (or is waiting now), in ms.
    qint64 longestWaitMs() const;
    // Milliseconds of this generator's clock; answers are stamped with it.
    qint64 now() const { return m_clock.elapsed(); }
    // When the last 2xx came (now() clock), -1 before any.
    qint64 lastAcknowledgedAt() const { return m_lastAcknowledgedAt; }
    // The first 2xx answered at or after `since` (now() clock), -1 if none yet.
    qint64 firstAcknowledgedSince(qint64 since) const;

private:
    struct Client;
    void connectClient(Client *client);
    void sendNext(Client *client);
    void onReadyRead(Client *client);
    void onClosed(Client *client);

    QByteArray m_tag;
    int m_pauseMs;
    quint16 m_port = 0;
    bool m_running = false;
    std::vector<std::unique_ptr<Client>> m_clients;
    QElapsedTimer m_clock;
    int m_next = 0;
    int m_sent = 0;
    int m_answered = 0;
    int m_unanswered = 0;
    qint64 m_longestWaitMs = 0;
    qint64 m_lastAcknowledgedAt = -1;
    QList<qint64> m_acknowledgedAt;
    QList<QByteArray> m_acknowledged;
    QMap<int, int> m_statuses;
    int m_interruptAfter = -1;
    int m_interruptInFlight = 1;
    std::function<void()> m_interrupt;
    bool m_interrupted = false;
};

// What a FakeDownstream received, delivery by delivery: the first tagged id in the body and the
// X-Redrive-Delivery-Id header it came with.
struct Receipt
{
    QByteArray id; // from the body
    QByteArray deliveryId; // X-Redrive-Delivery-Id
};
QList<Receipt> receiptsOf(const FakeDownstream &downstream);

// One raw exchange on a new connection: what came back before the receiver closed or the
// deadline passed.
struct RawResult
{
    bool connected = false;
    bool closed = false; // the receiver closed the connection
    QList<int> statuses; // status of each complete response, in order
    QByteArray bytes;
};
// Sends `parts` one after the other, `gapMs` apart (-1: the last one once a response came,
// the others at once), then reads until the receiver closes or
// `waitMs` passes (or, with `untilResponses`, until that many complete responses came).
RawResult rawExchange(quint16 port, const QList<QByteArray> &parts, int gapMs, int waitMs,
                      int untilResponses = 0);

} // namespace redrive::tests
