// SPDX-License-Identifier: MIT
#pragma once

#include <QElapsedTimer>
#include <QLoggingCategory>
#include <QPointer>
#include <QTcpServer>
#include <QTimer>

#include <atomic>
#include <functional>
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

    // How the listening socket is shared with the receiver's other threads.
    enum class Sharing {
        Exclusive, // the port is this socket's alone
        // SO_REUSEPORT: each thread listens on the port with a socket of its own and the kernel
        // spreads new connections over them. The first of the group checks the port is free.
        FirstOfGroup,
        JoinGroup,
    };

    // Listens with the system's backlog, then runs the accept loop of this class in place of
    // QTcpServer's. False with startError() set when the address is unusable.
    bool start(const QHostAddress &address, quint16 port, Sharing sharing = Sharing::Exclusive);
    // For a server that only adopts sockets another accepts: takes a copy of that one's
    // listening descriptor and never accepts on it (QTcpServer wants to be listening to hand
    // out connections).
    bool startAdopting(qintptr listener);
    // Why start() failed, fit for a user.
    QString startError() const { return m_startError; }
    // For a socket accepted by another thread's server (see setDispatcher): taken as if
    // accepted here, on this server's thread. This server need not listen.
    void adopt(qintptr socketDescriptor);
    // One acceptor for several threads (when the port cannot be shared): each accepted socket
    // is offered to `dispatch`, which returns true when it took it (and hands it to another
    // server's adopt()), false to keep it here.
    void setDispatcher(std::function<bool(qintptr socketDescriptor)> dispatch)
    {
        m_dispatch = std::move(dispatch);
    }
    // Connections accepted (or adopted) by this server since it started.
    quint64 acceptedConnections() const { return m_accepted; }
    // Stops accepting and closes the listening socket (QTcpServer::close() is not virtual:
    // call this one).
    void stop();
    // What the servers of the receiver's threads have in common: the connections open (the
    // limit is for all of them) and whether an episode (descriptors out, limit reached) was
    // logged, so that it is said once for the process, not once per thread.
    struct SharedState
    {
        std::atomic<int> open { 0 };
        std::atomic<bool> outOfDescriptors { false };
        std::atomic<bool> atLimit { false };
        std::atomic<quint64> refusedAtLimit { 0 };
        std::atomic<qint64> pausedSinceMs { 0 };
    };
    // Before start(): share the state with other servers (each has its own otherwise).
    void setSharedState(std::shared_ptr<SharedState> state) { m_shared = std::move(state); }
    int openConnections() const { return m_shared->open; }
    int maxConnections() const { return m_maxConnections; }
    // Whether this system lets several sockets listen on one port (SO_REUSEPORT).
    static bool canSharePort();
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
    // Takes one of the connections --max-connections allows, for all threads at once; false
    // at the limit. incomingConnection() and adopt() use a slot reserved this way.
    bool reserveSlot();
    void refuseOverLimit(int descriptor);
    void pauseForDescriptors(int error);
    void endEpisodes();
    bool listenShared(const QHostAddress &address, quint16 port, bool first);

    QPointer<QObject> m_httpServer;
    qint64 m_maxBody;
    int m_maxConnections;
    QByteArray m_busyResponse; // the 503 for connections over the limit
    std::unique_ptr<QSocketNotifier> m_acceptNotifier;
    QTimer m_resume;
    std::shared_ptr<SharedState> m_shared = std::make_shared<SharedState>();
    quint64 m_accepted = 0;
    QString m_startError;
    std::function<bool(qintptr)> m_dispatch;
};

} // namespace redrive::core
