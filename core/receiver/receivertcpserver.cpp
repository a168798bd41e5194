// SPDX-License-Identifier: MIT
#include "core/receiver/receivertcpserver.h"

#include "core/receiver/descriptorlimit.h"
#include "core/receiver/receiverconnection.h"

#include <QFile>
#include <QSocketNotifier>

#include <cerrno>
#include <cstring>

#include <sys/socket.h>
#include <unistd.h>

namespace redrive::core {

namespace {

// Connections taken per wake-up: the rest wait for the next pass, so a burst of connections
// does not hold up the answers owed on the ones already open.
constexpr int MaxAcceptsPerPass = 64;

} // namespace

ReceiverTcpServer::ReceiverTcpServer(QObject *httpServer, qint64 maxBodyBytes, int maxConnections,
                                     int retryAfterSeconds, QObject *parent)
    : QTcpServer(parent)
    , m_httpServer(httpServer)
    , m_maxBody(maxBodyBytes)
    , m_maxConnections(qMax(1, maxConnections))
{
    m_busyResponse = ReceiverConnection::buildResponse(
        503,
        ReceiverConnection::errorBody(
            "too_many_connections",
            QStringLiteral("the receiver has %1 connections open, its limit: try again later")
                .arg(m_maxConnections)),
        { { "Retry-After", QByteArray::number(retryAfterSeconds) } }, true, false, false);
    m_resume.setSingleShot(true);
    m_resume.setInterval(PauseMs);
    connect(&m_resume, &QTimer::timeout, this, [this] {
        if (m_acceptNotifier) {
            m_acceptNotifier->setEnabled(true);
            acceptPending();
        }
    });
}

ReceiverTcpServer::~ReceiverTcpServer()
{
    stop();
}

int ReceiverTcpServer::systemListenBacklog()
{
    QFile file(QStringLiteral("/proc/sys/net/core/somaxconn"));
    if (file.open(QIODevice::ReadOnly)) {
        bool ok = false;
        const int value = file.readAll().trimmed().toInt(&ok);
        if (ok && value > 0)
            return value;
    }
    return SOMAXCONN;
}

bool ReceiverTcpServer::start(const QHostAddress &address, quint16 port)
{
    setListenBacklogSize(systemListenBacklog());
    if (!listen(address, port))
        return false;
    // QTcpServer's notifier off (see nextPendingConnection), ours on.
    pauseAccepting();
    m_acceptNotifier = std::make_unique<QSocketNotifier>(socketDescriptor(), QSocketNotifier::Read);
    connect(m_acceptNotifier.get(), &QSocketNotifier::activated, this,
            &ReceiverTcpServer::acceptPending);
    return true;
}

void ReceiverTcpServer::stop()
{
    m_resume.stop();
    m_acceptNotifier.reset(); // before its descriptor goes
    if (isListening())
        close();
}

QTcpSocket *ReceiverTcpServer::nextPendingConnection()
{
    QTcpSocket *socket = QTcpServer::nextPendingConnection();
    if (isListening())
        pauseAccepting(); // no event-loop pass between: QTcpServer's notifier never fires
    return socket;
}

void ReceiverTcpServer::acceptPending()
{
    if (!m_acceptNotifier)
        return;
    const int listener = int(socketDescriptor());
    bool accepted = false;
    for (int i = 0; i < MaxAcceptsPerPass; ++i) {
        const int descriptor = ::accept4(listener, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (descriptor < 0) {
            const int error = errno;
            if (error == EINTR)
                continue;
            if (error == EAGAIN || error == EWOULDBLOCK)
                break; // nothing more waiting
            if (error == EMFILE || error == ENFILE || error == ENOBUFS || error == ENOMEM) {
                pauseForDescriptors(error);
                break;
            }
            // The client gave up before it was accepted (ECONNABORTED), or Linux passed on a
            // network error of the new connection (accept(2)): it is gone, take the next.
            continue;
        }
        endEpisodes();
        if (m_open >= m_maxConnections) {
            refuseOverLimit(descriptor);
            continue;
        }
        incomingConnection(descriptor);
        accepted = true;
    }
    if (accepted)
        Q_EMIT newConnection();
}

void ReceiverTcpServer::pauseForDescriptors(int error)
{
    m_acceptNotifier->setEnabled(false);
    m_resume.start();
    if (m_outOfDescriptors)
        return; // one line per episode
    m_outOfDescriptors = true;
    m_pausedSince.start();
    qCWarning(lcReceiver,
              "out of file descriptors (%s; limit %llu): %d connections open; accepting paused, "
              "trying again every %d ms",
              std::strerror(error), qulonglong(DescriptorLimit::soft()), m_open, PauseMs);
}

void ReceiverTcpServer::endEpisodes()
{
    if (m_outOfDescriptors) {
        m_outOfDescriptors = false;
        qCInfo(lcReceiver,
               "file descriptors available again: accepting resumed after %lld ms "
               "(%d connections open)",
               qint64(m_pausedSince.elapsed()), m_open);
    }
    if (m_atLimit && m_open < m_maxConnections) {
        m_atLimit = false;
        qCInfo(lcReceiver,
               "below the connection limit again: %llu connections were answered 503 meanwhile",
               qulonglong(m_refusedAtLimit));
        m_refusedAtLimit = 0;
    }
}

void ReceiverTcpServer::refuseOverLimit(int descriptor)
{
    if (!m_atLimit) {
        m_atLimit = true;
        qCWarning(lcReceiver,
                  "connection limit reached (%d open, --max-connections): new connections are "
                  "answered 503 until some close",
                  m_open);
    }
    ++m_refusedAtLimit;
    // What already arrived is read first: closing with unread data makes the kernel reset the
    // connection, and the client could lose the answer. Whatever comes later is not waited for.
    char sink[4096];
    for (int i = 0; i < 16; ++i) {
        if (::recv(descriptor, sink, sizeof sink, MSG_DONTWAIT) <= 0)
            break;
    }
    // A new socket's send buffer takes this small answer whole; if not, the client sees a close.
    [[maybe_unused]] const ssize_t sent
        = ::send(descriptor, m_busyResponse.constData(), size_t(m_busyResponse.size()),
                 MSG_DONTWAIT | MSG_NOSIGNAL);
    ::close(descriptor);
}

void ReceiverTcpServer::incomingConnection(qintptr socketDescriptor)
{
    auto connection = std::make_unique<ReceiverConnection>(m_httpServer, m_maxBody, this);
    if (!connection->setSocketDescriptor(socketDescriptor)) {
        ::close(int(socketDescriptor));
        return;
    }
    // Answers are written in one piece: no reason to let Nagle hold them back.
    connection->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    ReceiverConnection *raw = connection.release(); // owned by this server (its parent)
    ++m_open;
    connect(raw, &QObject::destroyed, this, [this] { --m_open; });
    addPendingConnection(raw);
    Q_EMIT connectionCreated(raw);
}

} // namespace redrive::core
