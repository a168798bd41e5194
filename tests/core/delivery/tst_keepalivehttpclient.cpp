// SPDX-License-Identifier: MIT
#include "core/delivery/keepalivehttpclient.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <functional>
#include <optional>

using namespace redrive::core;

// Answers each complete request with `answer(requestBytes)`; an empty answer means "say nothing".
class ScriptedServer final : public QObject
{
public:
    std::function<QByteArray(const QByteArray &)> answer;
    bool closeAfterAnswer = false;
    QList<QByteArray> requests;
    int connections = 0;
    QList<QTcpSocket *> sockets;

    ScriptedServer()
    {
        QVERIFY(m_server.listen(QHostAddress::LocalHost, 0));
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection()) {
                ++connections;
                sockets.append(socket);
                socket->setParent(this);
                connect(socket, &QTcpSocket::readyRead, this, [this, socket] {
                    m_buffer[socket] += socket->readAll();
                    QByteArray &buffer = m_buffer[socket];
                    const qsizetype end = buffer.indexOf("\r\n\r\n");
                    if (end < 0)
                        return;
                    const qsizetype at = buffer.toLower().indexOf("content-length:");
                    const qsizetype length = buffer.mid(at + 15, buffer.indexOf('\r', at) - at - 15)
                                                 .trimmed()
                                                 .toLongLong();
                    if (buffer.size() < end + 4 + length)
                        return;
                    const QByteArray request = buffer.left(end + 4 + length);
                    buffer.remove(0, end + 4 + length);
                    requests.append(request);
                    const QByteArray reply = answer(request);
                    if (!reply.isEmpty())
                        socket->write(reply);
                    if (closeAfterAnswer)
                        socket->disconnectFromHost();
                });
            }
        });
    }
    QUrl url() const
    {
        return QUrl(QStringLiteral("http://127.0.0.1:%1/in?x=1").arg(m_server.serverPort()));
    }

private:
    QTcpServer m_server;
    QHash<QTcpSocket *, QByteArray> m_buffer;
};

class TestKeepAliveHttpClient : public QObject
{
    Q_OBJECT

    static DownstreamResult deliver(KeepAliveHttpClient &client, QObject *context,
                                    const QByteArray &payload = "{\"a\":1}")
    {
        std::optional<DownstreamResult> result;
        client.deliver(payload, QStringLiteral("id-1"),
                       { { "ININ-Correlation-Id", "c-1" }, { "Authorization", "secret" } }, context,
                       [&](const DownstreamResult &r) { result = r; });
        [&] { QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 10000); }();
        return result.value_or(DownstreamResult {});
    }

private Q_SLOTS:
    void deliversAndReusesTheConnection()
    {
        ScriptedServer server;
        server.answer = [](const QByteArray &) {
            return QByteArrayLiteral("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        };
        KeepAliveHttpClient client(server.url(), 5000);
        QCOMPARE(deliver(client, this).outcome, DownstreamResult::Outcome::Delivered);
        QCOMPARE(deliver(client, this).statusCode, 200);
        QCOMPARE(server.connections, 1);
        const QByteArray request = server.requests.first();
        QVERIFY(request.startsWith("POST /in?x=1 HTTP/1.1\r\n"));
        QVERIFY(request.contains("\r\nX-Redrive-Delivery-Id: id-1\r\n"));
        QVERIFY(request.contains("\r\nININ-Correlation-Id: c-1\r\n"));
        QVERIFY(!request.contains("secret")); // only the forwarded headers go downstream
        QVERIFY(request.endsWith("\r\n\r\n{\"a\":1}"));
    }

    void connectionsAreCapped()
    {
        ScriptedServer server;
        server.answer = [](const QByteArray &) {
            return QByteArrayLiteral("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        };
        KeepAliveHttpClient client(server.url(), 10000, nullptr, 3);
        int delivered = 0;
        for (int i = 0; i < 40; ++i)
            client.deliver("{}", QString::number(i), {}, this, [&](const DownstreamResult &r) {
                delivered += r.outcome == DownstreamResult::Outcome::Delivered;
            });
        // Forty at once, three sockets: the rest wait their turn and none is lost.
        QTRY_COMPARE_WITH_TIMEOUT(delivered, 40, 20000);
        QCOMPARE(server.requests.size(), 40);
        QVERIFY2(server.connections <= 3, qPrintable(QString::number(server.connections)));
    }

    void staleKeepAliveIsRetriedOnAFreshConnection()
    {
        ScriptedServer server;
        server.answer = [](const QByteArray &) {
            return QByteArrayLiteral("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
        };
        KeepAliveHttpClient client(server.url(), 5000);
        QCOMPARE(deliver(client, this).outcome, DownstreamResult::Outcome::Delivered);
        // The server drops the idle connection without saying so in the answer.
        server.sockets.first()->abort();
        QCOMPARE(deliver(client, this).outcome, DownstreamResult::Outcome::Delivered);
        QCOMPARE(server.requests.size(), 2);
    }

    void chunkedErrorAndCloseDelimited()
    {
        ScriptedServer server;
        server.answer = [](const QByteArray &) {
            return QByteArrayLiteral("HTTP/1.1 503 Busy\r\nTransfer-Encoding: chunked\r\n\r\n"
                                     "5\r\nbusy \r\n3\r\nnow\r\n0\r\n\r\n");
        };
        KeepAliveHttpClient client(server.url(), 5000);
        DownstreamResult result = deliver(client, this);
        QCOMPARE(result.outcome, DownstreamResult::Outcome::Retryable);
        QCOMPARE(result.statusCode, 503);
        QCOMPARE(result.error, QStringLiteral("downstream answered 503: busy now"));

        server.answer = [](const QByteArray &) {
            return QByteArrayLiteral("HTTP/1.1 422 Nope\r\nConnection: close\r\n\r\nbad field");
        };
        server.closeAfterAnswer = true;
        result = deliver(client, this);
        QCOMPARE(result.outcome, DownstreamResult::Outcome::Permanent);
        QCOMPARE(result.statusCode, 422);
    }

    void timeoutAndRefused()
    {
        ScriptedServer server;
        server.answer = [](const QByteArray &) { return QByteArray(); };
        KeepAliveHttpClient client(server.url(), 300);
        DownstreamResult result = deliver(client, this);
        QCOMPARE(result.outcome, DownstreamResult::Outcome::Retryable);
        QCOMPARE(result.statusCode, 504);

        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
        const quint16 port = closed.serverPort();
        closed.close();
        KeepAliveHttpClient refused(QUrl(QStringLiteral("http://127.0.0.1:%1/").arg(port)), 5000);
        result = deliver(refused, this);
        QCOMPARE(result.outcome, DownstreamResult::Outcome::Retryable);
        QCOMPARE(result.statusCode, 502);
        QVERIFY(result.error.startsWith(QStringLiteral("downstream unreachable")));
    }
};

QTEST_GUILESS_MAIN(TestKeepAliveHttpClient)
#include "tst_keepalivehttpclient.moc"
