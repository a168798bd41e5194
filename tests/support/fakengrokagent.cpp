// SPDX-License-Identifier: MIT
#include "tests/support/fakengrokagent.h"

#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QJsonArray>
#include <QJsonDocument>

using namespace Qt::StringLiterals;

namespace redrive::tests {

FakeNgrokAgent::FakeNgrokAgent(QObject *parent)
    : QAbstractHttpServer(parent)
{ }

FakeNgrokAgent::~FakeNgrokAgent() = default;

bool FakeNgrokAgent::start()
{
    m_port = listen(QHostAddress::LocalHost, 0);
    return m_port != 0;
}

QUrl FakeNgrokAgent::apiUrl() const
{
    return QUrl(u"http://127.0.0.1:%1"_s.arg(m_port));
}

void FakeNgrokAgent::addTunnel(const QString &publicUrl, const QString &addr)
{
    m_tunnels.append({ publicUrl, addr });
}

void FakeNgrokAgent::clearTunnels()
{
    m_tunnels.clear();
}

bool FakeNgrokAgent::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    ++m_requests;
    const QString path = request.url().path();
    QHttpServerResponder responder = makeResponder(request, socket);
    QJsonObject document;
    if (path == "/api/tunnels"_L1 && !m_endpointsOnly) {
        QJsonArray tunnels;
        int i = 0;
        for (const auto &tunnel : std::as_const(m_tunnels)) {
            const QString name = u"tunnel-%1"_s.arg(i++);
            tunnels.append(QJsonObject {
                { u"name"_s, name },
                { u"uri"_s, u"/api/tunnels/"_s + name },
                { u"public_url"_s, tunnel.first },
                { u"proto"_s, QUrl(tunnel.first).scheme() },
                { u"config"_s,
                  QJsonObject { { u"addr"_s, tunnel.second }, { u"inspect"_s, true } } } });
        }
        document = QJsonObject { { u"tunnels"_s, tunnels }, { u"uri"_s, u"/api/tunnels"_s } };
    } else if (path == "/api/endpoints"_L1 && m_endpointsOnly) {
        QJsonArray endpoints;
        int i = 0;
        for (const auto &tunnel : std::as_const(m_tunnels)) {
            const QString name = u"endpoint-%1"_s.arg(i++);
            endpoints.append(QJsonObject {
                { u"name"_s, name },
                { u"uri"_s, u"/api/endpoints/"_s + name },
                { u"url"_s, tunnel.first },
                { u"upstream"_s,
                  QJsonObject { { u"url"_s, tunnel.second }, { u"protocol"_s, u"http1"_s } } } });
        }
        document = QJsonObject { { u"endpoints"_s, endpoints } };
    } else {
        responder.write(QJsonDocument(QJsonObject { { u"error_code"_s, 100 },
                                                    { u"status_code"_s, 404 },
                                                    { u"msg"_s, u"not found"_s } }),
                        QHttpServerResponder::StatusCode::NotFound);
        return true;
    }
    responder.write(QJsonDocument(document));
    return true;
}

void FakeNgrokAgent::missingHandler(const QHttpServerRequest &request, QTcpSocket *socket)
{
    handleRequest(request, socket);
}

} // namespace redrive::tests
