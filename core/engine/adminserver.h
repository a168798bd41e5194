// SPDX-License-Identifier: MIT
#pragma once

#include <QHostAddress>
#include <QObject>
#include <QUrl>

#include <functional>
#include <memory>

class QHttpServer;
class QTcpServer;

namespace redrive::core {

// GET /healthz and GET /metrics for a process without the webhook receiver (--worker-only), on
// --admin-listen. Both answers are computed from values in memory: nothing here waits on Redis.
class AdminServer final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AdminServer)

public:
    // `health` returns the JSON body and sets the status; `metrics` the Prometheus text.
    AdminServer(std::function<QByteArray(int *status)> health, std::function<QByteArray()> metrics,
                QObject *parent = nullptr);
    ~AdminServer() override;

    // False with `error` (fit for a user) when the address cannot be bound.
    bool listen(const QHostAddress &address, quint16 port, QString *error);
    quint16 port() const;
    // http://host:port (a wildcard address shown as loopback).
    QUrl url() const;

private:
    std::function<QByteArray(int *)> m_health;
    std::function<QByteArray()> m_metrics;
    std::unique_ptr<QHttpServer> m_http;
    QTcpServer *m_tcp = nullptr; // owned by m_http
};

} // namespace redrive::core
