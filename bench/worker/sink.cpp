// SPDX-License-Identifier: MIT
// A downstream for benchmarks: answers every POST with 200 at once, keeps connections alive,
// and tells how many POSTs it answered on `GET /count`.
#include <QCoreApplication>
#include <QHash>
#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>

#include <cstdio>

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QTcpServer server;
    if (!server.listen(QHostAddress::LocalHost, quint16(QByteArray(argv[1]).toUShort()))) {
        std::fprintf(stderr, "sink: cannot listen\n");
        return 1;
    }
    qint64 answered = 0;
    QHash<QTcpSocket *, QByteArray> buffers;
    QObject::connect(&server, &QTcpServer::newConnection, &server, [&] {
        while (QTcpSocket *socket = server.nextPendingConnection()) {
            QObject::connect(socket, &QTcpSocket::disconnected, socket, [&, socket] {
                buffers.remove(socket);
                socket->deleteLater();
            });
            QObject::connect(socket, &QTcpSocket::readyRead, socket, [&, socket] {
                QByteArray &buffer = buffers[socket];
                buffer += socket->readAll();
                QByteArray out;
                for (;;) {
                    const qsizetype end = buffer.indexOf("\r\n\r\n");
                    if (end < 0)
                        break;
                    qsizetype length = 0;
                    const qsizetype at = buffer.left(end).toLower().indexOf("content-length:");
                    if (at >= 0)
                        length = buffer.mid(at + 15, buffer.indexOf('\r', at) - at - 15)
                                     .trimmed()
                                     .toLongLong();
                    if (buffer.size() < end + 4 + length)
                        break;
                    const bool isCount = buffer.startsWith("GET /count");
                    buffer.remove(0, end + 4 + length);
                    if (isCount) {
                        const QByteArray body = QByteArray::number(answered);
                        out += "HTTP/1.1 200 OK\r\nContent-Length: "
                            + QByteArray::number(body.size()) + "\r\n\r\n" + body;
                        continue;
                    }
                    out += "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                           "Content-Length: 2\r\n\r\n{}";
                    ++answered;
                }
                if (!out.isEmpty())
                    socket->write(out);
            });
        }
    });
    return app.exec();
}
