// SPDX-License-Identifier: MIT
#pragma once

#include "core/delivery/headerpolicy.h"

#include <QElapsedTimer>
#include <QObject>
#include <QUrl>

#include <functional>
#include <memory>

class QNetworkAccessManager;

namespace redrive::core {

class KeepAliveHttpClient;

// What happened when a delivery was handed to the downstream system.
struct DownstreamResult
{
    enum class Outcome { Delivered, Retryable, Permanent };
    Outcome outcome = Outcome::Delivered;
    int statusCode = 0; // HTTP status; 502/504 stand for "no answer" and "timed out"
    QString error; // empty when delivered
    qint64 elapsedMs = 0;
};

// How the tutorial's simulated downstream failure is reproduced for local testing.
struct FailureSimulation
{
    enum class Mode { Never, Always, Timeout, Percent };
    Mode mode = Mode::Never;
    int percent = 0;
    // Parses never|always|timeout|N%; false on anything else.
    static bool parse(const QString &text, FailureSimulation *out);
};

// The one way to the downstream system, for the receiver's first attempt and the worker's
// retries: hands payloads to the downstream HTTP endpoint (POST, same JSON) and classifies the
// outcome: 2xx delivered; 408, 429, 5xx, timeouts and connection errors retryable; other 4xx
// permanent. It picks the transport: a plain http:// URL without credentials goes through
// KeepAliveHttpClient (lean, kept-alive sockets), anything else (https, user:password@) through
// Qt's QNetworkAccessManager; failure simulation comes first either way. Headers go through
// HeaderPolicy::forwarded(). Lives on one thread.
class DownstreamClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(DownstreamClient)

public:
    using Callback = std::function<void(const DownstreamResult &)>;
    static constexpr const char *DeliveryIdHeader = "X-Redrive-Delivery-Id";

    explicit DownstreamClient(QObject *parent = nullptr);
    ~DownstreamClient() override;

    void configure(const QUrl &url, int timeoutMs, const FailureSimulation &simulation);
    QUrl url() const { return m_url; }
    int timeoutMs() const { return m_timeoutMs; }
    FailureSimulation simulation() const { return m_simulation; }
    // No URL and no simulation: every delivery counts as delivered at once.
    bool isPassThrough() const;

    // The header deliveries carry the shared secret in (ReceiverConfig::secretHeader): never
    // forwarded, whatever its name, even one of Genesys' own that would be otherwise.
    void setSecretHeader(const QByteArray &name) { m_secretHeader = name; }
    QByteArray secretHeader() const { return m_secretHeader; }

    // forwardedHeaders(`headers`) go along (content type, Genesys' own headers).
    // `callback` runs once, later, unless `context` is destroyed first.
    void deliver(const QByteArray &payload, const QString &deliveryId, const HeaderList &headers,
                 const QObject *context, Callback callback);

    static DownstreamResult::Outcome classifyStatus(int statusCode);
    // HeaderPolicy::forwarded() with this client's secret header.
    HeaderList forwardedHeaders(const HeaderList &headers) const;
    // Which transport deliveries take now (for logs and tests).
    enum class Transport { None, KeepAlive, QtNetwork };
    Transport transport() const;

private:
    void finishLater(const QObject *context, Callback callback, DownstreamResult result,
                     int delayMs);

    std::unique_ptr<QNetworkAccessManager> m_network;
    KeepAliveHttpClient *m_keepAlive = nullptr; // a child, for a plain http:// URL
    QUrl m_url;
    int m_timeoutMs = 10000;
    FailureSimulation m_simulation;
    QByteArray m_secretHeader;
};

} // namespace redrive::core
