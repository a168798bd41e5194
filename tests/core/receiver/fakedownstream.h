// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QHttpServer>
#include <QList>
#include <QObject>
#include <QUrl>

#include <memory>
#include <vector>

class QHttpServerResponder;

namespace redrive::tests {

// The downstream system a receiver forwards deliveries to, on loopback: answers every POST to
// /hook with a chosen status (or never, to play a timeout) and records what it got.
class FakeDownstream final : public QObject
{
    Q_OBJECT

public:
    struct Request
    {
        QByteArray body;
        QList<QPair<QByteArray, QByteArray>> headers;
        QByteArray header(const QByteArray &name) const;
    };

    FakeDownstream();
    ~FakeDownstream() override;

    bool listen();
    QUrl url() const;
    // 0: never answer.
    void setStatus(int status) { m_status = status; }
    const QList<Request> &requests() const { return m_requests; }

private:
    QHttpServer m_server;
    quint16 m_port = 0;
    int m_status = 200;
    QList<Request> m_requests;
    std::vector<std::unique_ptr<QHttpServerResponder>> m_held; // requests never answered
};

} // namespace redrive::tests
