// SPDX-License-Identifier: MIT
#include "core/receiver/receivertcpserver.h"

#include "core/receiver/descriptorlimit.h"
#include "core/receiver/receiverconnection.h"

#include <QDateTime>
#include <QFile>
#include <QSocketNotifier>

#include <cerrno>
#include <cstring>

#include <fcntl.h>
#include <netinet/in.h>
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

bool ReceiverTcpServer::start(const QHostAddress &address, quint16 port, Sharing sharing)
{
    m_startError.clear();
    m_accepted = 0;
    setListenBacklogSize(systemListenBacklog());
    if (sharing == Sharing::Exclusive) {
        if (!listen(address, port)) {
            m_startError = errorString();
            return false;
        }
    } else if (!listenShared(address, port, sharing == Sharing::FirstOfGroup)) {
        return false;
    }
    // QTcpServer's notifier off (see nextPendingConnection), ours on.
    pauseAccepting();
    m_acceptNotifier = std::make_unique<QSocketNotifier>(socketDescriptor(), QSocketNotifier::Read);
    connect(m_acceptNotifier.get(), &QSocketNotifier::activated, this,
            &ReceiverTcpServer::acceptPending);
    return true;
}

bool ReceiverTcpServer::startAdopting(qintptr listener)
{
    m_startError.clear();
    m_accepted = 0;
    const int copy = ::fcntl(int(listener), F_DUPFD_CLOEXEC, 0);
    if (copy < 0) {
        m_startError = QString::fromLocal8Bit(std::strerror(errno));
        return false;
    }
    if (!setSocketDescriptor(copy)) {
        m_startError = errorString();
        ::close(copy);
        return false;
    }
    pauseAccepting(); // the acceptor accepts
    return true;
}

bool ReceiverTcpServer::canSharePort()
{
    const int probe = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (probe < 0)
        return false;
    const int on = 1;
    const bool ok = ::setsockopt(probe, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) == 0;
    ::close(probe);
    return ok;
}

bool ReceiverTcpServer::listenShared(const QHostAddress &address, quint16 port, bool first)
{
    sockaddr_storage storage {};
    socklen_t length = 0;
    const bool dualStack = address == QHostAddress(QHostAddress::Any);
    const bool ipv4 = !dualStack && address.protocol() == QAbstractSocket::IPv4Protocol;
    const auto setPort = [&storage, ipv4](quint16 number) {
        if (ipv4)
            reinterpret_cast<sockaddr_in *>(&storage)->sin_port = htons(number);
        else
            reinterpret_cast<sockaddr_in6 *>(&storage)->sin6_port = htons(number);
    };
    if (ipv4) {
        auto *in = reinterpret_cast<sockaddr_in *>(&storage);
        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(address.toIPv4Address());
        length = sizeof(sockaddr_in);
    } else {
        auto *in6 = reinterpret_cast<sockaddr_in6 *>(&storage);
        in6->sin6_family = AF_INET6;
        if (!dualStack) {
            const Q_IPV6ADDR bytes = address.toIPv6Address();
            std::memcpy(&in6->sin6_addr, &bytes, sizeof bytes);
        }
        length = sizeof(sockaddr_in6);
    }
    setPort(port);
    const auto fail = [this](const char *what, int descriptor) {
        m_startError = QStringLiteral("%1: %2").arg(QLatin1String(what),
                                                     QString::fromLocal8Bit(std::strerror(errno)));
        if (descriptor >= 0)
            ::close(descriptor);
        return false;
    };
    const auto makeSocket = [&](bool reusePort) {
        const int descriptor = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (descriptor < 0)
            return -1;
        const int on = 1;
        const int off = 0;
        ::setsockopt(descriptor, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
        if (!ipv4)
            ::setsockopt(descriptor, IPPROTO_IPV6, IPV6_V6ONLY, dualStack ? &off : &on,
                         sizeof on);
        if (reusePort && ::setsockopt(descriptor, SOL_SOCKET, SO_REUSEPORT, &on, sizeof on) != 0) {
            const int error = errno;
            ::close(descriptor);
            errno = error;
            return -1;
        }
        return descriptor;
    };
    if (first) {
        // A socket that does not share the port binds only when nobody listens on it, not even
        // another process sharing it with SO_REUSEPORT: two receivers never split one port's
        // deliveries without knowing. Closed at once (a listener-less socket leaves nothing).
        const int probe = makeSocket(false);
        if (probe < 0)
            return fail("socket", -1);
        if (::bind(probe, reinterpret_cast<sockaddr *>(&storage), length) != 0) {
            m_startError = errno == EADDRINUSE
                ? QStringLiteral("The bound address is already in use")
                : QString::fromLocal8Bit(std::strerror(errno));
            ::close(probe);
            return false;
        }
        sockaddr_storage bound {};
        socklen_t boundLength = sizeof bound;
        if (::getsockname(probe, reinterpret_cast<sockaddr *>(&bound), &boundLength) == 0)
            port = ntohs(ipv4 ? reinterpret_cast<sockaddr_in *>(&bound)->sin_port
                              : reinterpret_cast<sockaddr_in6 *>(&bound)->sin6_port);
        ::close(probe);
        setPort(port);
    }
    const int descriptor = makeSocket(true);
    if (descriptor < 0)
        return fail("SO_REUSEPORT", -1);
    if (::bind(descriptor, reinterpret_cast<sockaddr *>(&storage), length) != 0)
        return fail("bind", descriptor);
    if (::listen(descriptor, listenBacklogSize()) != 0)
        return fail("listen", descriptor);
    if (!setSocketDescriptor(descriptor)) {
        m_startError = errorString();
        ::close(descriptor);
        return false;
    }
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
        if (!reserveSlot()) {
            refuseOverLimit(descriptor);
            continue;
        }
        if (m_dispatch && m_dispatch(descriptor))
            continue; // another thread's server takes it, with the slot reserved here
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
    if (m_shared->outOfDescriptors.exchange(true))
        return; // one line per episode, whichever thread met it
    m_shared->pausedSinceMs = QDateTime::currentMSecsSinceEpoch();
    qCWarning(lcReceiver,
              "out of file descriptors (%s; limit %llu): %d connections open; accepting paused, "
              "trying again every %d ms",
              std::strerror(error), qulonglong(DescriptorLimit::soft()), m_shared->open.load(),
              PauseMs);
}

void ReceiverTcpServer::endEpisodes()
{
    if (m_shared->outOfDescriptors.load(std::memory_order_relaxed)
        && m_shared->outOfDescriptors.exchange(false)) {
        qCInfo(lcReceiver,
               "file descriptors available again: accepting resumed after %lld ms "
               "(%d connections open)",
               QDateTime::currentMSecsSinceEpoch() - m_shared->pausedSinceMs.load(),
               m_shared->open.load());
    }
    if (m_shared->atLimit.load(std::memory_order_relaxed)
        && m_shared->open < m_maxConnections && m_shared->atLimit.exchange(false)) {
        qCInfo(lcReceiver,
               "below the connection limit again: %llu connections were answered 503 meanwhile",
               qulonglong(m_shared->refusedAtLimit.exchange(0)));
    }
}

void ReceiverTcpServer::refuseOverLimit(int descriptor)
{
    if (!m_shared->atLimit.exchange(true)) {
        qCWarning(lcReceiver,
                  "connection limit reached (%d open, --max-connections): new connections are "
                  "answered 503 until some close",
                  m_shared->open.load());
    }
    ++m_shared->refusedAtLimit;
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

bool ReceiverTcpServer::reserveSlot()
{
    // One atomic step: the servers of several threads accept at once, and a check followed by
    // an increment would let two of them take the last slot.
    if (m_shared->open.fetch_add(1) < m_maxConnections)
        return true;
    --m_shared->open;
    return false;
}

void ReceiverTcpServer::adopt(qintptr socketDescriptor)
{
    // The dispatching server reserved the slot when it accepted the socket.
    incomingConnection(socketDescriptor);
    Q_EMIT newConnection();
}

void ReceiverTcpServer::incomingConnection(qintptr socketDescriptor)
{
    ++m_accepted;
    auto connection = std::make_unique<ReceiverConnection>(m_httpServer, m_maxBody, this);
    if (!connection->setSocketDescriptor(socketDescriptor)) {
        ::close(int(socketDescriptor));
        --m_shared->open; // the slot reserved for it
        return;
    }
    // Answers are written in one piece: no reason to let Nagle hold them back.
    connection->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    ReceiverConnection *raw = connection.release(); // owned by this server (its parent)
    // The slot was reserved when the socket was accepted (reserveSlot()); it is freed here.
    connect(raw, &QObject::destroyed, this, [shared = m_shared] { --shared->open; });
    addPendingConnection(raw);
    Q_EMIT connectionCreated(raw);
}

} // namespace redrive::core
