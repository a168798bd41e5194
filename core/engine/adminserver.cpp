// SPDX-License-Identifier: MIT
#include "core/engine/adminserver.h"

#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponse>
#include <QTcpServer>

namespace redrive::core {

namespace {

bool isRead(const QHttpServerRequest &request)
{
    return request.method() == QHttpServerRequest::Method::Get
        || request.method() == QHttpServerRequest::Method::Head;
}

QHttpServerResponse methodNotAllowed()
{
    QHttpServerResponse response(
        QByteArrayLiteral("application/json"),
        QByteArrayLiteral("{\"error\":\"method_not_allowed\",\"message\":\"use GET\"}"),
        QHttpServerResponse::StatusCode::MethodNotAllowed);
    response.addHeader(QByteArrayLiteral("Allow"), QByteArrayLiteral("GET, HEAD"));
    return response;
}

} // namespace

AdminServer::AdminServer(std::function<QByteArray(int *)> health,
                         std::function<QByteArray()> metrics, QObject *parent)
    : QObject(parent)
    , m_health(std::move(health))
    , m_metrics(std::move(metrics))
{ }

AdminServer::~AdminServer() = default;

bool AdminServer::listen(const QHostAddress &address, quint16 port, QString *error)
{
    auto http = std::make_unique<QHttpServer>();
    http->route(QStringLiteral("/healthz"), [this](const QHttpServerRequest &request) {
        if (!isRead(request))
            return methodNotAllowed();
        int status = 200;
        const QByteArray body = m_health(&status);
        QHttpServerResponse response(QByteArrayLiteral("application/json"), body,
                                     QHttpServerResponse::StatusCode(status));
        response.addHeader(QByteArrayLiteral("Cache-Control"), QByteArrayLiteral("no-store"));
        return response;
    });
    http->route(QStringLiteral("/metrics"), [this](const QHttpServerRequest &request) {
        if (!isRead(request))
            return methodNotAllowed();
        QHttpServerResponse response(QByteArrayLiteral("text/plain; version=0.0.4; charset=utf-8"),
                                     m_metrics());
        response.addHeader(QByteArrayLiteral("Cache-Control"), QByteArrayLiteral("no-store"));
        return response;
    });
    auto *tcp = new QTcpServer(http.get());
    if (!tcp->listen(address, port)) {
        *error = QStringLiteral("cannot serve /healthz and /metrics on %1 port %2: %3 (set "
                                "--admin-listen HOST:PORT)")
                     .arg(address.toString())
                     .arg(port)
                     .arg(tcp->errorString());
        return false;
    }
    http->bind(tcp);
    m_http = std::move(http);
    m_tcp = tcp;
    return true;
}

quint16 AdminServer::port() const
{
    return m_tcp ? m_tcp->serverPort() : 0;
}

QUrl AdminServer::url() const
{
    QUrl url;
    if (!m_tcp)
        return url;
    QHostAddress host = m_tcp->serverAddress();
    if (host == QHostAddress::Any || host == QHostAddress::AnyIPv4)
        host = QHostAddress(QHostAddress::LocalHost);
    else if (host == QHostAddress::AnyIPv6)
        host = QHostAddress(QHostAddress::LocalHostIPv6);
    url.setScheme(QStringLiteral("http"));
    url.setHost(host.toString());
    url.setPort(port());
    return url;
}

} // namespace redrive::core
