// SPDX-License-Identifier: MIT
#pragma once

#include <QDateTime>
#include <QHash>
#include <QHostAddress>
#include <QList>
#include <QPointer>
#include <QSet>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTimer>

// A downstream system on loopback for the worker tests: answers POSTs with a set status (after
// an optional delay, or never while `hold` is on), and records every delivery id it saw and
// whether one id was ever being attempted twice at the same time.
class TestDownstream final : public QObject
{
    Q_OBJECT

public:
    int status = 200;
    int delayMs = 0;
    bool hold = false;
    QList<QByteArray> deliveryIds;
    QList<QByteArray> bodies;
    QList<QByteArray> heads; // request line and header fields, as received
    QList<qint64> arrivals; // ms since the epoch
    QSet<QByteArray> inFlight;
    int overlaps = 0;
    int held = 0;

    bool listen() { return m_server.listen(QHostAddress::LocalHost, 0); }
    QString url() const
    {
        return QStringLiteral("http://127.0.0.1:%1/hook").arg(m_server.serverPort());
    }

    TestDownstream()
    {
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                socket->setParent(this);
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] { read(socket); });
                connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
    }

private:
    void read(QTcpSocket *socket)
    {
        QByteArray &buffer = m_buffers[socket];
        buffer += socket->readAll();
        for (;;) {
            const qsizetype end = buffer.indexOf("\r\n\r\n");
            if (end < 0)
                return;
            const QByteArray head = buffer.left(end);
            qsizetype length = 0;
            QByteArray id;
            for (const QByteArray &line : head.split('\n')) {
                const qsizetype colon = line.indexOf(':');
                if (colon < 0)
                    continue;
                const QByteArray name = line.left(colon).trimmed().toLower();
                const QByteArray value = line.mid(colon + 1).trimmed();
                if (name == "content-length")
                    length = value.toLongLong();
                else if (name == "x-redrive-delivery-id")
                    id = value;
            }
            if (buffer.size() < end + 4 + length)
                return;
            bodies.append(buffer.mid(end + 4, length));
            heads.append(head);
            buffer.remove(0, end + 4 + length);
            deliveryIds.append(id);
            arrivals.append(QDateTime::currentMSecsSinceEpoch());
            if (inFlight.contains(id))
                ++overlaps;
            inFlight.insert(id);
            if (hold) {
                ++held;
                continue;
            }
            QPointer<QTcpSocket> target(socket);
            auto answer = [this, target, id] {
                inFlight.remove(id);
                if (!target)
                    return;
                const QByteArray body = status < 300 ? QByteArrayLiteral("{\"ok\":true}")
                                                     : QByteArrayLiteral("{\"error\":\"test\"}");
                target->write("HTTP/1.1 " + QByteArray::number(status)
                              + " X\r\nContent-Type: application/json\r\nContent-Length: "
                              + QByteArray::number(body.size()) + "\r\n\r\n" + body);
            };
            if (delayMs > 0)
                QTimer::singleShot(delayMs, this, answer);
            else
                answer();
        }
    }

    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffers;
};
