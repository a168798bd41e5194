// SPDX-License-Identifier: MIT
#pragma once

#include <QAbstractHttpServer>
#include <QJsonObject>
#include <QUrl>

namespace redrive::tests {

// The ngrok agent's local API on a loopback port: GET /api/tunnels (classic) or, with
// setEndpointsOnly(), 404 there and GET /api/endpoints (newer agents).
class FakeNgrokAgent final : public QAbstractHttpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FakeNgrokAgent)

public:
    explicit FakeNgrokAgent(QObject *parent = nullptr);
    ~FakeNgrokAgent() override;

    bool start();
    QUrl apiUrl() const;
    void setEndpointsOnly(bool endpointsOnly) { m_endpointsOnly = endpointsOnly; }
    // One tunnel per call: public URL, ngrok's addr (e.g. "http://localhost:5000").
    void addTunnel(const QString &publicUrl, const QString &addr);
    void clearTunnels();
    int requestCount() const { return m_requests; }

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    quint16 m_port = 0;
    bool m_endpointsOnly = false;
    QList<QPair<QString, QString>> m_tunnels;
    int m_requests = 0;
};

} // namespace redrive::tests
