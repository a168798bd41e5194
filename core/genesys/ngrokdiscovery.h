// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QUrl>

#include <functional>
#include <memory>
#include <optional>

class QNetworkAccessManager;
class QNetworkReply;

namespace redrive::core {

struct NgrokTunnel
{
    QUrl publicUrl; // https://abc.ngrok.app
    QString name; // ngrok's tunnel/endpoint name
    QString forwardTo; // what ngrok forwards to, as ngrok reports it ("localhost:5000")
};

struct NgrokResult
{
    std::optional<NgrokTunnel> tunnel;
    bool agentRunning = false;
    // When no tunnel: one sentence saying why and what to run. Empty when found.
    QString hint;
};

// Finds the public https URL ngrok forwards to the receiver's port, from the ngrok agent's local
// API (GET /api/tunnels; agents that answer only the newer GET /api/endpoints are read too).
class NgrokDiscovery final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NgrokDiscovery)

public:
    using Callback = std::function<void(const NgrokResult &)>;

    // `apiUrl`: the agent's web address, default http://127.0.0.1:4040.
    NgrokDiscovery(const QUrl &apiUrl, quint16 receiverPort, QObject *parent = nullptr);
    ~NgrokDiscovery() override;

    void discover(QObject *context, Callback callback);

    // Picks the https tunnel forwarding to `port` from an /api/tunnels or /api/endpoints
    // document; fills `hint` when there is none.
    static std::optional<NgrokTunnel> pickTunnel(const QJsonObject &document, quint16 port,
                                                 QString *hint);
    // The port of an ngrok upstream address ("5000", "localhost:5000", "http://[::1]:5000").
    static int upstreamPort(const QString &address);

private:
    void query(const QString &path, QObject *context, Callback callback, bool fallback);

    QUrl m_apiUrl;
    quint16 m_port;
    std::unique_ptr<QNetworkAccessManager> m_network;
};

// Polls ngrok every few seconds and says when the public URL appears, changes or goes away.
// Signals fire only on change, so a missing ngrok produces one quiet hint, not a stream.
class NgrokWatcher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(NgrokWatcher)

public:
    NgrokWatcher(const QUrl &apiUrl, quint16 receiverPort, int intervalMs = 3000,
                 QObject *parent = nullptr);
    ~NgrokWatcher() override;

    void start(); // checks at once, then every interval
    void stop();
    bool isActive() const { return m_timer.isActive(); }
    void checkNow();

    QUrl publicUrl() const { return m_url; }
    QString hint() const { return m_hint; }

Q_SIGNALS:
    // Empty URL: the tunnel is gone.
    void publicUrlChanged(const QUrl &url);
    void hintChanged(const QString &hint);
    // After each poll, changed or not (for tests and status bars).
    void checked();

private:
    NgrokDiscovery m_discovery;
    QTimer m_timer;
    bool m_busy = false;
    QUrl m_url;
    QString m_hint;
};

} // namespace redrive::core
