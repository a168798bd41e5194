// SPDX-License-Identifier: MIT
#pragma once

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QPointer>
#include <QTcpServer>
#include <QTimer>

#include <memory>

class QSocketNotifier;

Q_DECLARE_LOGGING_CATEGORY(lcReceiver)

namespace redrive::core {

class ReceiverConnection;

// The receiver's listening socket. It accepts with a loop of its own rather than QTcpServer's,
// which at the descriptor limit retries accept() as fast as poll() wakes it (a core at 100 %,
// nothing logged, new deliveries timing out):
// - at most maxConnections are open at once; a connection beyond that is answered 503 with
//   Retry-After and closed at once, before any of it is read;
// - when descriptors run out (EMFILE/ENFILE) it stops accepting for PauseMs and tries again,
//   logging the episode once when it starts and once when it ends;
// - it listens with the system's largest backlog (net.core.somaxconn), not Qt's 50.
// Hands out ReceiverConnections (with TCP_NODELAY) instead of plain sockets.
class ReceiverTcpServer final : public QTcpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReceiverTcpServer)

public:
    static constexpr int PauseMs = 200;

    ReceiverTcpServer(QObject *httpServer, qint64 maxBodyBytes, int maxConnections,
                      int retryAfterSeconds, QObject *parent = nullptr);
    ~ReceiverTcpServer() override;

    // listen() with the system's backlog, then the accept loop of this class in place of
    // QTcpServer's. False with errorString() set when the address is unusable.
    bool start(const QHostAddress &address, quint16 port);
    // Stops accepting and closes the listening socket (QTcpServer::close() is not virtual:
    // call this one).
    void stop();
    int openConnections() const { return m_open; }
    int maxConnections() const { return m_maxConnections; }
    // What listen() asks of the kernel: /proc/sys/net/core/somaxconn, else SOMAXCONN.
    static int systemListenBacklog();

    // QTcpServer's version turns its own accept notifier back on: kept off here.
    QTcpSocket *nextPendingConnection() override;

Q_SIGNALS:
    void connectionCreated(redrive::core::ReceiverConnection *connection);

protected:
    void incomingConnection(qintptr socketDescriptor) override;

private:
    void acceptPending();
    void refuseOverLimit(int descriptor);
    void pauseForDescriptors(int error);
    void endEpisodes();

    QPointer<QObject> m_httpServer;
    qint64 m_maxBody;
    int m_maxConnections;
    QByteArray m_busyResponse; // the 503 for connections over the limit
    std::unique_ptr<QSocketNotifier> m_acceptNotifier;
    QTimer m_resume;
    int m_open = 0;
    bool m_outOfDescriptors = false;
    QElapsedTimer m_pausedSince;
    bool m_atLimit = false;
    quint64 m_refusedAtLimit = 0;
};

} // namespace redrive::core
