// SPDX-License-Identifier: MIT
#pragma once

#include "core/delivery/downstreamclient.h"

#include <QElapsedTimer>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QUrl>

#include <memory>

class QTcpSocket;
class QTimer;

namespace redrive::core {

// DownstreamClient's transport for a plain-http downstream: one kept-alive socket per parallel
// attempt, requests written in one piece, answers read for status and body only.
// QNetworkAccessManager spends most of a drain's CPU on per-request machinery and allows 6
// connections per host; this keeps the same classification and error texts as the Qt transport
// (which stays in charge of https and URLs with credentials). Only forwarded headers
// (HeaderPolicy::isForwarded) are written.
class KeepAliveHttpClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KeepAliveHttpClient)

public:
    // At most `maxConnections` sockets at once; further requests wait for one to be free (the
    // receiver's first attempts would otherwise take a descriptor each, on top of the
    // connections they came on). The timeout runs from when a request is sent.
    static constexpr int DefaultMaxConnections = 128;
    KeepAliveHttpClient(const QUrl &url, int timeoutMs, QObject *parent = nullptr,
                        int maxConnections = DefaultMaxConnections);
    ~KeepAliveHttpClient() override;

    // Plain http without credentials in the URL.
    static bool supports(const QUrl &url);

    void deliver(const QByteArray &payload, const QString &deliveryId, const HeaderList &headers,
                 const QObject *context, DownstreamClient::Callback callback);
    // Ends every attempt under way now as a retryable failure with `error` (before this client
    // is replaced), and closes its connections.
    void abandon(const QString &error);

private:
    struct Request
    {
        QByteArray bytes;
        DownstreamClient::Callback callback;
        QPointer<const QObject> context;
        bool hasContext = false;
        QElapsedTimer clock;
        bool retried = false;
    };
    struct Connection;

    Connection *acquire();
    // Sends on a free connection, or queues the request until one is free.
    void dispatch(std::shared_ptr<Request> request);
    // A connection is free for the next request waiting, if any; else it goes idle.
    void reuse(Connection *connection);
    void send(Connection *connection, std::shared_ptr<Request> request);
    void onReadable(Connection *connection);
    void onFailure(Connection *connection, const QString &error, bool timedOut);
    void complete(Connection *connection, const DownstreamResult &result, bool keep);
    void drop(Connection *connection);

    QUrl m_url;
    QByteArray m_requestHead;
    int m_timeoutMs;
    int m_maxConnections;
    bool m_closing = false;
    QList<std::shared_ptr<Request>> m_waiting;
    QList<Connection *> m_idle;
    QList<Connection *> m_all;
};

} // namespace redrive::core
