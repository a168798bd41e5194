// SPDX-License-Identifier: MIT
#include "core/delivery/downstreamclient.h"

#include "core/delivery/keepalivehttpclient.h"

#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTimer>

namespace redrive::core {

namespace {
// The tutorial's simulated failure message, kept so its users recognise it.
const QString SimulatedError = QStringLiteral("Simulated Database Connection Timeout");

} // namespace

HeaderList DownstreamClient::forwardedHeaders(const HeaderList &headers) const
{
    return HeaderPolicy::forwarded(headers, m_secretHeader);
}

bool FailureSimulation::parse(const QString &text, FailureSimulation *out)
{
    static const QRegularExpression percent(QStringLiteral("^(\\d{1,3})%$"));
    FailureSimulation result;
    if (text == QLatin1String("never") || text.isEmpty()) {
        result.mode = Mode::Never;
    } else if (text == QLatin1String("always")) {
        result.mode = Mode::Always;
    } else if (text == QLatin1String("timeout")) {
        result.mode = Mode::Timeout;
    } else if (const auto match = percent.match(text);
               match.hasMatch() && match.captured(1).toInt() <= 100) {
        result.mode = Mode::Percent;
        result.percent = match.captured(1).toInt();
    } else {
        return false;
    }
    *out = result;
    return true;
}

DownstreamClient::DownstreamClient(QObject *parent)
    : QObject(parent)
    , m_network(std::make_unique<QNetworkAccessManager>())
{
    m_network->setAutoDeleteReplies(true);
}

DownstreamClient::~DownstreamClient() = default;

void DownstreamClient::configure(const QUrl &url, int timeoutMs,
                                 const FailureSimulation &simulation)
{
    const bool sameTarget = url == m_url && timeoutMs == m_timeoutMs;
    m_url = url;
    m_timeoutMs = timeoutMs;
    m_simulation = simulation;
    if (sameTarget && m_keepAlive)
        return; // its connections stay, and so do the attempts on them
    // Attempts still on the previous target's client fail as retryable: they are tried again.
    if (m_keepAlive)
        m_keepAlive->abandon(QStringLiteral("downstream changed during the attempt"));
    delete m_keepAlive;
    m_keepAlive = nullptr;
    if (KeepAliveHttpClient::supports(url))
        m_keepAlive = new KeepAliveHttpClient(url, timeoutMs, this);
}

DownstreamClient::Transport DownstreamClient::transport() const
{
    if (m_url.isEmpty())
        return Transport::None;
    return m_keepAlive ? Transport::KeepAlive : Transport::QtNetwork;
}

bool DownstreamClient::isPassThrough() const
{
    return m_url.isEmpty() && m_simulation.mode == FailureSimulation::Mode::Never;
}

DownstreamResult::Outcome DownstreamClient::classifyStatus(int statusCode)
{
    if (statusCode >= 200 && statusCode < 300)
        return DownstreamResult::Outcome::Delivered;
    if (statusCode == 408 || statusCode == 429 || statusCode >= 500 || statusCode == 0)
        return DownstreamResult::Outcome::Retryable;
    return DownstreamResult::Outcome::Permanent;
}

void DownstreamClient::finishLater(const QObject *context, Callback callback,
                                   DownstreamResult result, int delayMs)
{
    QTimer::singleShot(delayMs, context ? context : this,
                       [callback = std::move(callback), result] { callback(result); });
}

void DownstreamClient::deliver(const QByteArray &payload, const QString &deliveryId,
                               const HeaderList &headers, const QObject *context, Callback callback)
{
    switch (m_simulation.mode) {
    case FailureSimulation::Mode::Always:
        finishLater(context, std::move(callback),
                    { DownstreamResult::Outcome::Retryable, 500, SimulatedError, 0 }, 0);
        return;
    case FailureSimulation::Mode::Timeout:
        finishLater(
            context, std::move(callback),
            { DownstreamResult::Outcome::Retryable, 504,
              QStringLiteral("downstream timed out after %1 ms (simulated)").arg(m_timeoutMs),
              m_timeoutMs },
            m_timeoutMs);
        return;
    case FailureSimulation::Mode::Percent:
        if (int(QRandomGenerator::global()->bounded(100)) < m_simulation.percent) {
            finishLater(context, std::move(callback),
                        { DownstreamResult::Outcome::Retryable, 500, SimulatedError, 0 }, 0);
            return;
        }
        break;
    case FailureSimulation::Mode::Never:
        break;
    }
    if (m_url.isEmpty()) {
        finishLater(context, std::move(callback),
                    { DownstreamResult::Outcome::Delivered, 200, {}, 0 }, 0);
        return;
    }
    if (m_keepAlive) {
        m_keepAlive->deliver(payload, deliveryId, forwardedHeaders(headers), context,
                             std::move(callback));
        return;
    }

    QNetworkRequest request(m_url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    for (const auto &[name, value] : forwardedHeaders(headers)) {
        if (name.compare("content-type", Qt::CaseInsensitive) != 0)
            request.setRawHeader(name, value);
    }
    request.setRawHeader(DeliveryIdHeader, deliveryId.toUtf8());
    request.setTransferTimeout(m_timeoutMs);
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    QElapsedTimer clock;
    clock.start();
    QNetworkReply *reply = m_network->post(request, payload);
    const QPointer<const QObject> guard(context);
    const bool hasContext = context != nullptr;
    connect(reply, &QNetworkReply::finished, this,
            [reply, clock, guard, hasContext, callback = std::move(callback), this] {
                if (hasContext && !guard)
                    return;
                DownstreamResult result;
                result.elapsedMs = clock.elapsed();
                const int status
                    = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                const QNetworkReply::NetworkError error = reply->error();
                if (status > 0) {
                    result.statusCode = status;
                    result.outcome = classifyStatus(status);
                    if (result.outcome != DownstreamResult::Outcome::Delivered) {
                        const QByteArray body = reply->read(300).trimmed();
                        result.error = QStringLiteral("downstream answered %1%2")
                                           .arg(status)
                                           .arg(body.isEmpty() ? QString()
                                                               : QStringLiteral(": ")
                                                        + QString::fromUtf8(body).simplified());
                    }
                } else if (error == QNetworkReply::OperationCanceledError
                           || error == QNetworkReply::TimeoutError) {
                    result.outcome = DownstreamResult::Outcome::Retryable;
                    result.statusCode = 504;
                    result.error
                        = QStringLiteral("downstream timed out after %1 ms").arg(m_timeoutMs);
                } else {
                    result.outcome = DownstreamResult::Outcome::Retryable;
                    result.statusCode = 502;
                    result.error
                        = QStringLiteral("downstream unreachable: %1").arg(reply->errorString());
                }
                callback(result);
            });
}

} // namespace redrive::core
