// SPDX-License-Identifier: MIT
#include "tests/support/fakedownstream.h"

#include <QDateTime>
#include <QPointer>
#include <QTcpSocket>
#include <QTimer>

namespace redrive::tests {

QByteArray FakeDownstream::Request::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

FakeDownstream::FakeDownstream(QObject *parent)
    : QObject(parent)
{
    connect(&m_server, &QTcpServer::newConnection, this, [this] {
        while (QTcpSocket *socket = m_server.nextPendingConnection()) {
            socket->setParent(this);
            connect(socket, &QTcpSocket::readyRead, this, [this, socket] { read(socket); });
            connect(socket, &QTcpSocket::disconnected, this, [this, socket] {
                // The client went away (killed, or gave up) with requests unanswered.
                m_abandoned += m_waiting.take(socket);
                m_buffers.remove(socket);
                socket->deleteLater();
            });
        }
    });
}

FakeDownstream::~FakeDownstream() = default;

bool FakeDownstream::listen()
{
    return m_server.isListening() || m_server.listen(QHostAddress::LocalHost, 0);
}

QUrl FakeDownstream::url() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1/hook").arg(m_server.serverPort()));
}

QList<QByteArray> FakeDownstream::deliveryIds() const
{
    QList<QByteArray> ids;
    for (const Request &request : m_requests)
        ids.append(request.deliveryId);
    return ids;
}

QList<QByteArray> FakeDownstream::bodies() const
{
    QList<QByteArray> bodies;
    for (const Request &request : m_requests)
        bodies.append(request.body);
    return bodies;
}

void FakeDownstream::read(QTcpSocket *socket)
{
    QByteArray &buffer = m_buffers[socket];
    buffer += socket->readAll();
    for (;;) {
        const qsizetype end = buffer.indexOf("\r\n\r\n");
        if (end < 0)
            return;
        Request request;
        request.head = buffer.left(end);
        qsizetype length = 0;
        const QList<QByteArray> lines = request.head.split('\n');
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray &line = lines.at(i);
            const qsizetype colon = line.indexOf(':');
            if (colon < 0)
                continue;
            const QByteArray name = line.left(colon).trimmed();
            const QByteArray value = line.mid(colon + 1).trimmed();
            request.headers.append({ name, value });
            if (name.compare("content-length", Qt::CaseInsensitive) == 0)
                length = value.toLongLong();
            else if (name.compare("x-redrive-delivery-id", Qt::CaseInsensitive) == 0)
                request.deliveryId = value;
        }
        if (buffer.size() < end + 4 + length)
            return;
        request.body = buffer.mid(end + 4, length);
        buffer.remove(0, end + 4 + length);
        request.arrivalMs = QDateTime::currentMSecsSinceEpoch();
        const QByteArray id = request.deliveryId;
        m_requests.append(std::move(request));
        if (m_inFlight.contains(id))
            ++m_overlaps;
        m_inFlight.insert(id);
        if (hold) {
            ++m_held;
            continue;
        }
        ++m_waiting[socket];
        const int answer = status;
        QPointer<QTcpSocket> target(socket);
        auto respond = [this, target, id, answer] {
            m_inFlight.remove(id);
            if (!target || !m_waiting.contains(target.data()))
                return;
            if (--m_waiting[target.data()] == 0)
                m_waiting.remove(target.data());
            ++m_answered;
            const QByteArray body = answer < 300
                ? QByteArrayLiteral("{\"ok\":true}")
                : QByteArrayLiteral("downstream says ") + QByteArray::number(answer);
            target->write("HTTP/1.1 " + QByteArray::number(answer)
                          + " X\r\nContent-Type: application/json\r\nContent-Length: "
                          + QByteArray::number(body.size()) + "\r\n\r\n" + body);
        };
        if (delayMs > 0)
            QTimer::singleShot(delayMs, this, respond);
        else
            respond();
    }
}

} // namespace redrive::tests
