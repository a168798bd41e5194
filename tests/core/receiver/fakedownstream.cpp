// SPDX-License-Identifier: MIT
#include "tests/core/receiver/fakedownstream.h"

#include <QHttpServerRequest>
#include <QHttpServerResponder>

namespace redrive::tests {

QByteArray FakeDownstream::Request::header(const QByteArray &name) const
{
    for (const auto &[key, value] : headers) {
        if (key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    }
    return {};
}

FakeDownstream::FakeDownstream()
{
    m_server.route(
        QStringLiteral("/hook"), QHttpServerRequest::Method::Post,
        [this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
            m_requests.append({ request.body(), request.headers() });
            if (m_status == 0) {
                m_held.push_back(std::make_unique<QHttpServerResponder>(std::move(responder)));
                return;
            }
            responder.write(QByteArrayLiteral("downstream says ") + QByteArray::number(m_status),
                            QByteArrayLiteral("text/plain"),
                            QHttpServerResponder::StatusCode(m_status));
        });
}

FakeDownstream::~FakeDownstream() = default;

bool FakeDownstream::listen()
{
    m_port = m_server.listen(QHostAddress::LocalHost, 0);
    return m_port != 0;
}

QUrl FakeDownstream::url() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1/hook").arg(m_port));
}

} // namespace redrive::tests
