// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QObject>
#include <QPair>
#include <QSet>
#include <QTcpServer>
#include <QUrl>

class QTcpSocket;

namespace redrive::tests {

// The one downstream system of the tests, on loopback: an HTTP/1.1 server (keep-alive, one
// request after the other on each connection) that takes POSTs to any path and answers them
// with `status` (after `delayMs`; never while `hold` is on), recording every request. Also tells
// whether one delivery id was being attempted twice at the same time.
class FakeDownstream final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FakeDownstream)

public:
    struct Request
    {
        QByteArray head; // request line and header fields, as received
        QByteArray body;
        QList<QPair<QByteArray, QByteArray>> headers;
        QByteArray deliveryId; // X-Redrive-Delivery-Id
        qint64 arrivalMs = 0; // since the epoch
        QByteArray header(const QByteArray &name) const;
    };

    explicit FakeDownstream(QObject *parent = nullptr);
    ~FakeDownstream() override;

    bool listen();
    quint16 port() const { return m_server.serverPort(); }
    // http://127.0.0.1:<port>/hook
    QUrl url() const;

    int status = 200;
    int delayMs = 0;
    bool hold = false; // requests are taken and never answered
    // 0: never answer (the same as `hold`).
    void setStatus(int value)
    {
        status = value;
        hold = value == 0;
    }

    const QList<Request> &requests() const { return m_requests; }
    QList<QByteArray> deliveryIds() const;
    QList<QByteArray> bodies() const;
    int answered() const { return m_answered; }
    int held() const { return m_held; }
    // Requests received, not answered yet, whose sender is still connected.
    int pending() const { return int(m_requests.size()) - m_answered - m_abandoned - m_held; }
    // Times a delivery id arrived while the same id was still waiting for its answer.
    int overlaps() const { return m_overlaps; }

private:
    void read(QTcpSocket *socket);

    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
    QHash<QTcpSocket *, int> m_waiting; // requests of that connection not answered yet
    QList<Request> m_requests;
    QSet<QByteArray> m_inFlight;
    int m_answered = 0;
    int m_abandoned = 0;
    int m_held = 0;
    int m_overlaps = 0;
};

} // namespace redrive::tests
