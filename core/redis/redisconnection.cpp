// SPDX-License-Identifier: MIT
#include "core/redis/redisconnection.h"

#include "core/redis/clusterlocator.h"
#include "core/redis/redislocator.h"

#include <QFile>
#include <QLocalSocket>
#include <QRandomGenerator>
#include <QSslCertificate>
#include <QSslConfiguration>
#include <QSslKey>
#include <QSslSocket>
#include <QTcpSocket>
#include <QThread>

#include <hiredis/hiredis.h>

#include <charconv>

namespace redrive::core {

namespace {
constexpr int ConnectTimeoutMs = 5000;
// How long a locator may look for the server before the attempt counts as failed.
constexpr int LocateTimeoutMs = 3 * ConnectTimeoutMs;
// At most one early attempt per this many ms when commands arrive while down.
constexpr int NudgeIntervalMs = 250;
// A login Redis refused is a configuration problem: retried, but no faster than this.
constexpr int RefusedLoginMaxDelayMs = 5000;
// Bytes taken from the socket per read: hiredis' own async reader used the same.
constexpr qint64 ReadChunk = 16 * 1024;
// The output buffer keeps its capacity from turn to turn, unless a burst made it this large.
constexpr qsizetype KeptOutputCapacity = 1024 * 1024;
// Redis Cluster: how often one command follows MOVED or ASK before its caller gets the error
// (a slot moving back and forth), and how long TRYAGAIN (a migration in progress) is retried.
constexpr int MaxRedirects = 16;
constexpr int TryAgainDelayMs = 50;
constexpr int MaxTryAgain = 200; // 10 s
// Past this many answered entries at the front, the queue of calls in flight is compacted.
constexpr size_t CompactPendingAfter = 1024;

// "*3\r\n", "$5\r\n": a RESP length line.
void appendLength(QByteArray &out, char prefix, qsizetype length)
{
    char line[24];
    line[0] = prefix;
    char *end = std::to_chars(line + 1, line + sizeof line - 2, length).ptr;
    *end++ = '\r';
    *end++ = '\n';
    out.append(line, end - line);
}

QString joinedSslErrors(const QList<QSslError> &errors)
{
    QStringList texts;
    for (const QSslError &error : errors) {
        if (!texts.contains(error.errorString()))
            texts.append(error.errorString());
    }
    return texts.join(QLatin1String("; "));
}

// The TLS settings of `endpoint` (rediss://); false with `error` when a file cannot be used.
bool tlsConfiguration(const RedisEndpoint &endpoint, QSslConfiguration *config, QString *error)
{
    *config = QSslConfiguration::defaultConfiguration();
    if (endpoint.tlsInsecure)
        config->setPeerVerifyMode(QSslSocket::VerifyNone);
    else
        config->setPeerVerifyMode(QSslSocket::VerifyPeer);
    if (!endpoint.tlsCaFile.isEmpty()) {
        const QList<QSslCertificate> cas = QSslCertificate::fromPath(endpoint.tlsCaFile);
        if (cas.isEmpty()) {
            *error = QStringLiteral("TLS: cannot read a PEM certificate from the CA file %1")
                         .arg(endpoint.tlsCaFile);
            return false;
        }
        config->setCaCertificates(cas); // these instead of the system's
    }
    if (endpoint.tlsCertFile.isEmpty() != endpoint.tlsKeyFile.isEmpty()) {
        *error = QStringLiteral("TLS: a client certificate takes both a certificate file and its "
                                "key file");
        return false;
    }
    if (!endpoint.tlsCertFile.isEmpty()) {
        const QList<QSslCertificate> chain = QSslCertificate::fromPath(endpoint.tlsCertFile);
        if (chain.isEmpty()) {
            *error = QStringLiteral("TLS: cannot read a PEM certificate from %1")
                         .arg(endpoint.tlsCertFile);
            return false;
        }
        QFile keyFile(endpoint.tlsKeyFile);
        if (!keyFile.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("TLS: cannot read the key file %1: %2")
                         .arg(endpoint.tlsKeyFile, keyFile.errorString());
            return false;
        }
        const QByteArray pem = keyFile.readAll();
        QSslKey key;
        for (QSsl::KeyAlgorithm algorithm : { QSsl::Rsa, QSsl::Ec, QSsl::Dsa }) {
            key = QSslKey(pem, algorithm, QSsl::Pem, QSsl::PrivateKey);
            if (!key.isNull())
                break;
        }
        if (key.isNull()) {
            *error = QStringLiteral("TLS: %1 holds no unencrypted PEM private key (RSA, EC or DSA)")
                         .arg(endpoint.tlsKeyFile);
            return false;
        }
        config->setLocalCertificateChain(chain);
        config->setPrivateKey(key);
    }
    return true;
}
} // namespace

RedisConnection::RedisConnection(const RedisEndpoint &endpoint, const QString &clientName,
                                 QObject *parent)
    : QObject(parent)
    , m_endpoint(endpoint)
    , m_clientName(clientName.toUtf8())
{
    m_locator = createRedisLocator(m_endpoint, this);
    m_cluster = qobject_cast<ClusterLocator *>(m_locator);
    m_tryAgainTimer.setSingleShot(true);
    m_tryAgainTimer.setInterval(TryAgainDelayMs);
    connect(&m_tryAgainTimer, &QTimer::timeout, this, [this] {
        std::vector<Pending> calls;
        calls.swap(m_tryAgain);
        const QPointer<RedisConnection> guard(this);
        for (Pending &call : calls) {
            if (!guard)
                return;
            resubmit(std::move(call));
        }
    });
    if (m_locator)
        connect(m_locator, &RedisLocator::relocate, this, &RedisConnection::relocate);
    else
        m_target = { m_endpoint.host, m_endpoint.port };
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &RedisConnection::connectNow);
    m_connectTimeout.setSingleShot(true);
    m_connectTimeout.setInterval(ConnectTimeoutMs);
    connect(&m_connectTimeout, &QTimer::timeout, this, [this] {
        if (m_locating) {
            m_locating = false;
            m_locator->cancel();
            m_lastError = QStringLiteral("cannot connect to Redis at %1: no server found in %2 s")
                              .arg(where())
                              .arg(LocateTimeoutMs / 1000);
            handleLost(m_lastError);
            return;
        }
        if (m_state == State::Ready || !m_io)
            return;
        abandon(QStringLiteral("timed out connecting to Redis at %1").arg(where()));
    });
    m_flushTimer.setSingleShot(true);
    m_flushTimer.setInterval(0);
    connect(&m_flushTimer, &QTimer::timeout, this, &RedisConnection::flush);
    m_clock.start();
    setReplyTimeout(m_replyTimeoutMs);
    connect(&m_stallTimer, &QTimer::timeout, this, &RedisConnection::checkStalled);
}

RedisConnection::~RedisConnection()
{
    m_destroying = true;
    m_wanted = false;
    if (m_locator)
        m_locator->stop();
    std::vector<Pending> calls = dropLink();
    // Each command in flight still gets its one answer, except those this object asked itself.
    const QString reason = QStringLiteral("connection to Redis at %1 closed").arg(where());
    failAll(calls, reason);
    failHeld(reason);
    delete m_askLink.data(); // its commands in flight fail through their callbacks, now
}

void RedisConnection::setReplyTimeout(int milliseconds)
{
    m_replyTimeoutMs = qMax(0, milliseconds);
    m_stallTimer.setInterval(qBound(20, m_replyTimeoutMs / 4, 1000));
    if (m_replyTimeoutMs == 0)
        m_stallTimer.stop();
}

void RedisConnection::checkStalled()
{
    if (m_pendingHead >= m_pending.size() || !m_io) {
        m_stallTimer.stop();
        return;
    }
    const qint64 waited = m_clock.elapsed() - m_pending[m_pendingHead].sentAt;
    if (m_replyTimeoutMs > 0 && waited > m_replyTimeoutMs) {
        abandon(QStringLiteral("Redis at %1 did not answer for %2 ms: reconnecting")
                    .arg(where())
                    .arg(waited));
    }
}

std::vector<RedisConnection::Pending> RedisConnection::dropLink()
{
    ++m_generation;
    m_flushTimer.stop();
    if (m_io) {
        // May run inside one of the socket's own signals: never delete it synchronously.
        QObject::disconnect(m_io, nullptr, this, nullptr);
        if (m_tcp)
            m_tcp->abort();
        else if (m_local)
            m_local->abort();
        m_io->deleteLater();
    }
    m_io = nullptr;
    m_tcp = nullptr;
    m_local = nullptr;
    m_linked = false;
    m_pubsub = false;
    m_tlsErrors.clear();
    if (m_reader) {
        redisReaderFree(m_reader);
        m_reader = nullptr;
    }
    m_output.clear();
    std::vector<Pending> calls;
    calls.reserve(m_pending.size() - m_pendingHead);
    for (size_t i = m_pendingHead; i < m_pending.size(); ++i)
        calls.push_back(std::move(m_pending[i]));
    m_pending.clear();
    m_pendingHead = 0;
    return calls;
}

void RedisConnection::failAll(std::vector<Pending> &calls, const QString &reason)
{
    // A callback may destroy this object: from here on only the arguments are used.
    const bool destroying = m_destroying;
    const QObject *self = this;
    const RedisReply error = RedisReply::error(reason);
    for (Pending &call : calls) {
        if (call.isLogin || (call.hasContext && !call.context))
            continue;
        if (destroying && call.context == self)
            continue;
        call.callback(error);
    }
}

void RedisConnection::abandon(const QString &reason)
{
    m_lastError = reason;
    std::vector<Pending> calls = dropLink();
    const QPointer<RedisConnection> guard(this);
    failAll(calls, reason);
    if (guard)
        handleLost(reason);
}

void RedisConnection::setReconnectDelays(int minimumMs, int maximumMs)
{
    m_minDelayMs = qMax(1, minimumMs);
    m_maxDelayMs = qMax(m_minDelayMs, maximumMs);
    m_nextDelayMs = m_minDelayMs;
}

void RedisConnection::open()
{
    m_wanted = true;
    if (m_state == State::Disconnected && !m_io && !m_locating && !m_reconnectTimer.isActive())
        connectNow();
}

void RedisConnection::close()
{
    m_wanted = false;
    m_reconnectTimer.stop();
    m_connectTimeout.stop();
    m_locating = false;
    if (m_locator)
        m_locator->stop();
    std::vector<Pending> calls = dropLink();
    const QPointer<RedisConnection> guard(this);
    const QString reason = QStringLiteral("connection to Redis at %1 closed").arg(where());
    failAll(calls, reason);
    if (!guard || !failHeld(reason))
        return;
    if (m_askLink) {
        m_askLink->close();
        m_askLink->deleteLater();
        m_askLink = nullptr;
    }
    setState(State::Disconnected);
}

QString RedisConnection::where() const
{
    if (!m_locator || m_target.host.isEmpty())
        return m_endpoint.displayUrl();
    return QStringLiteral("%1 (%2)").arg(m_endpoint.displayUrl(), m_target.toString());
}

QString RedisConnection::serverAddress() const
{
    if (m_endpoint.isUnix())
        return m_endpoint.unixSocket;
    return m_target.host.isEmpty() ? QString() : m_target.toString();
}

void RedisConnection::connectNow()
{
    if (!m_wanted || m_io || m_locating)
        return;
    ++m_connectAttempts;
    m_lastAttemptAt = m_clock.elapsed();
    if (!m_locator) {
        startAttempt();
        return;
    }
    // The server is found anew for every attempt: after a failover it is another one.
    m_target = {};
    m_locating = true;
    m_connectTimeout.start(LocateTimeoutMs);
    const QPointer<RedisConnection> guard(this);
    m_locator->locate([guard](const QString &host, quint16 port, const QString &error) {
        if (guard)
            guard->located(host, port, error);
    });
}

void RedisConnection::located(const QString &host, quint16 port, const QString &error)
{
    if (!m_locating)
        return;
    m_locating = false;
    m_connectTimeout.stop();
    if (!m_wanted)
        return;
    if (!error.isEmpty()) {
        m_lastError = QStringLiteral("cannot connect to Redis at %1: %2")
                          .arg(m_endpoint.displayUrl(), error);
        handleLost(m_lastError);
        return;
    }
    m_target = { host, port };
    startAttempt();
}

void RedisConnection::startAttempt()
{
    QSslConfiguration tls;
    if (m_endpoint.tls && !m_endpoint.isUnix()) {
        QString error;
        if (!tlsConfiguration(m_endpoint, &tls, &error)) {
            m_lastError = QStringLiteral("cannot connect to Redis at %1: %2").arg(where(), error);
            handleLost(m_lastError);
            return;
        }
    }
    m_reader = redisReaderCreate();
    if (!m_reader) {
        m_lastError = QStringLiteral("out of memory creating a Redis connection");
        scheduleReconnect();
        return;
    }
    // The first attempt shows as Connecting; the retries of an outage stay Disconnected, with
    // the reason in lastError(), so that a state change means a change for the user.
    if (m_lastError.isEmpty() && !m_moving) // a move to a slot's new owner is no outage
        setState(State::Connecting);
    m_connectTimeout.start();
    m_loginError.clear();

    // Queued to go out as soon as the transport is up: log in, pick the database, name
    // ourselves, then PING to learn that all of it went through. Commands sent meanwhile queue
    // up behind these.
    if (!m_endpoint.password.isEmpty()) {
        QList<QByteArray> auth { QByteArrayLiteral("AUTH") };
        if (!m_endpoint.user.isEmpty())
            auth.append(m_endpoint.user.toUtf8());
        auth.append(m_endpoint.password.toUtf8());
        sendLogin(LoginStep::Auth, auth);
    }
    if (m_endpoint.database != 0)
        sendLogin(LoginStep::Select,
                  { QByteArrayLiteral("SELECT"), QByteArray::number(m_endpoint.database) });
    if (!m_clientName.isEmpty())
        sendLogin(LoginStep::SetName,
                  { QByteArrayLiteral("CLIENT"), QByteArrayLiteral("SETNAME"), m_clientName });
    if (m_locator) {
        const QList<QByteArray> check = m_locator->checkCommand();
        if (!check.isEmpty())
            sendLogin(LoginStep::Check, check);
    }
    sendLogin(LoginStep::Ping, { QByteArrayLiteral("PING") });

    // The socket may report a failure from inside the connect call: nothing follows it here.
    if (m_endpoint.isUnix()) {
        auto *socket = new QLocalSocket(this);
        m_io = socket;
        m_local = socket;
        connect(socket, &QLocalSocket::connected, this, &RedisConnection::linkUp);
        connect(socket, &QLocalSocket::readyRead, this, &RedisConnection::readAvailable);
        connect(socket, &QLocalSocket::errorOccurred, this, &RedisConnection::socketFailed);
        connect(socket, &QLocalSocket::disconnected, this, &RedisConnection::socketFailed);
        socket->connectToServer(m_endpoint.unixSocket);
        return;
    }
    if (m_endpoint.tls) {
        auto *socket = new QSslSocket(this);
        m_io = socket;
        m_tcp = socket;
        socket->setSslConfiguration(tls);
        connect(socket, &QSslSocket::encrypted, this, &RedisConnection::linkUp);
        connect(socket, &QSslSocket::sslErrors, this, [this](const QList<QSslError> &errors) {
            m_tlsErrors = joinedSslErrors(errors); // the socket gives up right after this
        });
        connect(socket, &QSslSocket::readyRead, this, &RedisConnection::readAvailable);
        connect(socket, &QSslSocket::errorOccurred, this, &RedisConnection::socketFailed);
        connect(socket, &QSslSocket::disconnected, this, &RedisConnection::socketFailed);
        const QString name
            = m_endpoint.tlsServerName.isEmpty() ? m_target.host : m_endpoint.tlsServerName;
        socket->connectToHostEncrypted(m_target.host, m_target.port, name);
        return;
    }
    auto *socket = new QTcpSocket(this);
    m_io = socket;
    m_tcp = socket;
    connect(socket, &QTcpSocket::connected, this, &RedisConnection::linkUp);
    connect(socket, &QTcpSocket::readyRead, this, &RedisConnection::readAvailable);
    connect(socket, &QTcpSocket::errorOccurred, this, &RedisConnection::socketFailed);
    connect(socket, &QTcpSocket::disconnected, this, &RedisConnection::socketFailed);
    socket->connectToHost(m_target.host, m_target.port);
}

void RedisConnection::linkUp()
{
    if (!m_io)
        return;
    m_linked = true;
    if (m_tcp) {
        // Commands are small and pipelined: no Nagle delay on their way out.
        m_tcp->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    }
    flush();
}

void RedisConnection::socketFailed()
{
    if (!m_io)
        return;
    // Replies the server sent before it went away are still answers: hand them out first.
    if (m_linked && m_io->bytesAvailable() > 0) {
        const quint64 generation = m_generation;
        const QPointer<RedisConnection> guard(this);
        readAvailable();
        if (!guard || generation != m_generation || !m_io)
            return;
    }
    QString what;
    if (!m_tlsErrors.isEmpty()) {
        what = QStringLiteral("TLS: certificate verify failed: %1").arg(m_tlsErrors);
    } else if (m_tcp) {
        switch (m_tcp->error()) {
        case QAbstractSocket::RemoteHostClosedError:
        case QAbstractSocket::UnknownSocketError:
            what = QStringLiteral("the server closed the connection");
            break;
        case QAbstractSocket::SslHandshakeFailedError:
        case QAbstractSocket::SslInternalError:
        case QAbstractSocket::SslInvalidUserDataError:
            what = QStringLiteral("TLS: %1").arg(m_tcp->errorString());
            break;
        default:
            what = m_tcp->errorString();
            break;
        }
        // A server that wants a client certificate says so only after the handshake (TLS 1.3):
        // then the close that follows the first write is the TLS failure.
        if (m_endpoint.tls && m_state != State::Ready && !what.startsWith(QLatin1String("TLS")))
            what = QStringLiteral("TLS: %1").arg(what);
    } else {
        // Qt's own texts name the class ("QLocalSocket::connectToServer: Invalid name"): ours
        // say what happened to someone who never saw the code.
        switch (m_local->error()) {
        case QLocalSocket::PeerClosedError:
            what = QStringLiteral("the server closed the connection");
            break;
        case QLocalSocket::ServerNotFoundError:
            what = QStringLiteral("no socket there (is Redis running?)");
            break;
        case QLocalSocket::ConnectionRefusedError:
            what = QStringLiteral("connection refused (nothing listens on the socket)");
            break;
        case QLocalSocket::SocketAccessError:
            what = QStringLiteral("permission denied");
            break;
        case QLocalSocket::SocketTimeoutError:
            what = QStringLiteral("timed out");
            break;
        default:
            what = m_local->errorString();
            if (const qsizetype colon = what.indexOf(QLatin1String(": "));
                colon >= 0 && what.startsWith(QLatin1String("QLocalSocket")))
                what = what.mid(colon + 2);
            break;
        }
    }
    const QString place = where();
    abandon(m_state == State::Ready
                ? QStringLiteral("connection to Redis at %1 lost: %2").arg(place, what)
                : QStringLiteral("cannot connect to Redis at %1: %2").arg(place, what));
}

void RedisConnection::queueCommand(const QList<QByteArray> &args)
{
    // RESP, binary-safe: every argument goes with its length.
    appendLength(m_output, '*', args.size());
    for (const QByteArray &arg : args) {
        appendLength(m_output, '$', arg.size());
        m_output.append(arg.constData(), arg.size()); // a copy: never share into m_output
        m_output.append("\r\n", 2);
    }
    scheduleFlush();
}

void RedisConnection::scheduleFlush()
{
    if (m_linked && !m_flushTimer.isActive())
        m_flushTimer.start();
}

void RedisConnection::flush()
{
    if (!m_io || !m_linked || m_output.isEmpty())
        return;
    m_io->write(m_output.constData(), m_output.size());
    if (m_output.capacity() > KeptOutputCapacity)
        m_output.clear();
    else
        m_output.resize(0);
    // Out now rather than on the next turn; a write error reports through socketFailed(), so
    // nothing of this object is touched after it.
    if (m_tcp)
        m_tcp->flush();
    else
        m_local->flush();
}

void RedisConnection::sendLogin(LoginStep step, const QList<QByteArray> &args)
{
    queueCommand(args);
    Pending call;
    call.sentAt = m_clock.elapsed();
    call.isLogin = true;
    call.step = step;
    m_pending.push_back(std::move(call));
    if (m_replyTimeoutMs > 0 && !m_stallTimer.isActive())
        m_stallTimer.start();
}

bool RedisConnection::takePending(Pending *call)
{
    if (m_pendingHead >= m_pending.size())
        return false;
    *call = std::move(m_pending[m_pendingHead]);
    ++m_pendingHead;
    if (m_pendingHead == m_pending.size()) {
        m_pending.clear(); // keeps its capacity: no allocation per command
        m_pendingHead = 0;
    } else if (m_pendingHead >= CompactPendingAfter && m_pendingHead * 2 >= m_pending.size()) {
        m_pending.erase(m_pending.begin(), m_pending.begin() + qsizetype(m_pendingHead));
        m_pendingHead = 0;
    }
    return true;
}

void RedisConnection::readAvailable()
{
    if (!m_io || !m_reader)
        return;
    const quint64 generation = m_generation;
    const QPointer<RedisConnection> guard(this);
    char buffer[ReadChunk];
    for (;;) {
        const qint64 got = m_io->read(buffer, ReadChunk);
        if (got <= 0)
            return;
        if (redisReaderFeed(m_reader, buffer, size_t(got)) != REDIS_OK) {
            abandon(QStringLiteral("out of memory reading from Redis at %1").arg(where()));
            return;
        }
        for (;;) {
            void *reply = nullptr;
            if (redisReaderGetReply(m_reader, &reply) != REDIS_OK) {
                abandon(QStringLiteral("Redis at %1 sent something that is not RESP (%2): "
                                       "reconnecting")
                            .arg(where(), QString::fromLatin1(m_reader->errstr)));
                return;
            }
            if (!reply)
                break;
            dispatch(reply);
            freeReplyObject(reply);
            // A callback may have closed, dropped or destroyed the connection.
            if (!guard || generation != m_generation)
                return;
            if (m_moving && m_pendingHead >= m_pending.size()) {
                moveWhenDrained();
                return;
            }
        }
    }
}

void RedisConnection::dispatch(void *raw)
{
    const auto *r = static_cast<const redisReply *>(raw);
    if (m_pubsub && r->type == REDIS_REPLY_ARRAY && r->elements >= 3
        && r->element[0]->type == REDIS_REPLY_STRING) {
        const QByteArray kind
            = QByteArray::fromRawData(r->element[0]->str, qsizetype(r->element[0]->len));
        if (kind == "message") {
            if (!m_destroying)
                Q_EMIT messageReceived(
                    QByteArray(r->element[1]->str, qsizetype(r->element[1]->len)),
                    QByteArray(r->element[2]->str, qsizetype(r->element[2]->len)));
            return;
        }
        if (kind == "subscribe") {
            if (!m_destroying)
                Q_EMIT subscribed(QByteArray(r->element[1]->str, qsizetype(r->element[1]->len)));
            return;
        }
        if (kind == "unsubscribe" || kind == "psubscribe" || kind == "punsubscribe"
            || kind == "pmessage")
            return;
    }
    Pending call;
    if (!takePending(&call)) {
        abandon(QStringLiteral("Redis at %1 answered a command that was not sent: reconnecting")
                    .arg(where()));
        return;
    }
    if (call.isLogin && call.step == LoginStep::Check) {
        if (!m_loginError.isEmpty())
            return;
        // Not the server wanted (a primary just demoted): this attempt fails, and the next one
        // locates the server again, under the backoff.
        const QString wrong = m_locator->checkReply(RedisReply::fromHiredis(r));
        if (!wrong.isEmpty())
            abandon(QStringLiteral("Redis at %1: %2").arg(where(), wrong));
        return;
    }
    if (call.isLogin) {
        const bool isError = r->type == REDIS_REPLY_ERROR;
        loginReplied(call.step, isError,
                     isError ? QString::fromUtf8(r->str, qsizetype(r->len)) : QString());
        return;
    }
    if (m_cluster && r->type == REDIS_REPLY_ERROR
        && redirected(call, QByteArray::fromRawData(r->str, qsizetype(r->len))))
        return;
    const bool redirect = m_locator && r->type == REDIS_REPLY_ERROR
        && m_locator->isRedirect(QByteArray::fromRawData(r->str, qsizetype(r->len)));
    if (redirect) {
        // The command gets its error; then the server is located again.
        const QString reason = QStringLiteral("Redis at %1 is no longer the server to use: %2")
                                   .arg(where(), QString::fromUtf8(r->str, qsizetype(r->len)));
        const quint64 generation = m_generation;
        const QPointer<RedisConnection> guard(this);
        if (!call.hasContext || call.context)
            call.callback(RedisReply::fromHiredis(r));
        if (guard && generation == m_generation)
            relocate(reason);
        return;
    }
    if (call.hasContext && !call.context)
        return; // whoever asked is gone
    call.callback(RedisReply::fromHiredis(r));
}

void RedisConnection::relocate(const QString &reason)
{
    if (!m_wanted || m_destroying)
        return;
    m_nextDelayMs = m_minDelayMs; // not a failure of this client: back soon
    if (m_locating) {
        m_locating = false;
        m_locator->cancel();
        m_connectTimeout.stop();
        m_reconnectTimer.start(0);
        return;
    }
    if (m_io) {
        abandon(reason);
        return;
    }
    m_reconnectTimer.start(0);
}

void RedisConnection::loginReplied(LoginStep step, bool isError, const QString &text)
{
    if (!m_loginError.isEmpty())
        return; // the first refusal is the reason; what follows it is its consequence
    const QString place = where();
    QString refusal;
    switch (step) {
    case LoginStep::Auth:
        // Redis' reason goes to the user; the password itself never does.
        if (isError)
            refusal = QStringLiteral("Redis at %1 refused the login: %2").arg(place, text);
        break;
    case LoginStep::Select:
        if (isError)
            refusal = QStringLiteral("Redis at %1 refused database %2: %3")
                          .arg(place)
                          .arg(m_endpoint.database)
                          .arg(text);
        break;
    case LoginStep::Check:
        return; // answered in dispatch()
    case LoginStep::SetName:
        return; // a name is a courtesy: a Redis that refuses it is still usable
    case LoginStep::Ping:
        if (isError)
            refusal = QStringLiteral("Redis at %1 refused the connection: %2").arg(place, text);
        else
            becomeReady();
        break;
    }
    if (refusal.isEmpty())
        return;
    // This attempt fails with Redis' reason, under the backoff; never Ready in between, so the
    // backoff is not reset.
    m_loginError = refusal;
    abandon(refusal);
}

void RedisConnection::becomeReady()
{
    m_connectTimeout.stop();
    m_nextDelayMs = m_minDelayMs;
    m_loginRefused = false;
    m_lastError.clear();
    if (m_moving) {
        // On the slot's new owner: the commands MOVED away go first, in their order.
        m_moving = false;
        std::vector<Pending> held;
        held.swap(m_held);
        for (Pending &call : held) {
            if (!call.hasContext || call.context)
                send(std::move(call));
        }
    }
    if (!m_channels.isEmpty()) {
        m_pubsub = true;
        queueCommand(QList<QByteArray> { QByteArrayLiteral("SUBSCRIBE") } + m_channels);
    }
    setState(State::Ready);
    Q_EMIT ready();
}

void RedisConnection::command(const QList<QByteArray> &args, const QObject *context,
                              Callback callback)
{
    Q_ASSERT(QThread::currentThread() == thread());
    if (m_moving) {
        Pending call;
        call.callback = std::move(callback);
        call.context = context;
        call.hasContext = context != nullptr;
        call.args = args;
        m_held.push_back(std::move(call));
        return;
    }
    if (!m_io) {
        nudge();
        const QString reason = m_lastError.isEmpty()
            ? QStringLiteral("not connected to Redis at %1").arg(where())
            : m_lastError;
        const QObject *target = context ? context : this;
        QMetaObject::invokeMethod(
            const_cast<QObject *>(target),
            [callback = std::move(callback), reason] { callback(RedisReply::error(reason)); },
            Qt::QueuedConnection);
        return;
    }
    queueCommand(args);
    Pending call;
    call.callback = std::move(callback);
    call.context = context;
    call.hasContext = context != nullptr;
    call.sentAt = m_clock.elapsed();
    if (m_cluster)
        call.args = args;
    m_pending.push_back(std::move(call));
    if (m_replyTimeoutMs > 0 && !m_stallTimer.isActive())
        m_stallTimer.start();
}

void RedisConnection::subscribe(const QList<QByteArray> &channels)
{
    for (const QByteArray &channel : channels) {
        if (!m_channels.contains(channel))
            m_channels.append(channel);
    }
    if (m_state == State::Ready && m_io) {
        m_pubsub = true;
        queueCommand(QList<QByteArray> { QByteArrayLiteral("SUBSCRIBE") } + channels);
    }
}

void RedisConnection::handleLost(const QString &reason)
{
    m_connectTimeout.stop();
    if (!failHeld(reason))
        return;
    m_loginRefused = !m_loginError.isEmpty();
    m_loginError.clear();
    const bool wasUp = m_state != State::Disconnected;
    setState(State::Disconnected);
    if (!m_destroying) {
        if (wasUp)
            Q_EMIT disconnected(reason);
        Q_EMIT attemptFailed(reason);
    }
    scheduleReconnect();
}

void RedisConnection::scheduleReconnect()
{
    if (!m_wanted || m_destroying)
        return;
    const int nominal = m_nextDelayMs;
    // Half to all of the nominal delay: clients of one Redis spread their attempts.
    m_reconnectTimer.start(nominal / 2 + int(QRandomGenerator::global()->bounded(nominal / 2 + 1)));
    const int cap = m_loginRefused ? qMax(m_maxDelayMs, RefusedLoginMaxDelayMs) : m_maxDelayMs;
    m_nextDelayMs = qMin(cap, m_nextDelayMs * 2);
}

void RedisConnection::nudge()
{
    // Only while an attempt is merely scheduled: not while one runs, not after close(), and not
    // when Redis refused the login (a delivery does not change its configuration).
    if (!m_wanted || m_destroying || m_io || m_locating || m_loginRefused
        || !m_reconnectTimer.isActive())
        return;
    const qint64 sinceLast
        = m_lastAttemptAt < 0 ? NudgeIntervalMs : m_clock.elapsed() - m_lastAttemptAt;
    const int wait = int(qMax<qint64>(0, NudgeIntervalMs - sinceLast));
    if (wait < m_reconnectTimer.remainingTime())
        m_reconnectTimer.start(wait); // from the event loop, never inside command()
}

void RedisConnection::setState(State state)
{
    if (m_state == state)
        return;
    m_state = state;
    if (!m_destroying)
        Q_EMIT stateChanged(state);
}

} // namespace redrive::core

namespace redrive::core {

bool RedisConnection::redirected(Pending &call, const QByteArray &errorText)
{
    const bool moved = errorText.startsWith("MOVED ");
    const bool ask = errorText.startsWith("ASK ");
    const bool tryAgain = errorText.startsWith("TRYAGAIN");
    if (!moved && !ask && !tryAgain)
        return false;
    if (call.redirects >= (tryAgain ? MaxTryAgain : MaxRedirects) || m_destroying)
        return false; // the caller gets the error
    if (call.hasContext && !call.context)
        return true; // whoever asked is gone: nothing to send again
    ++call.redirects;
    if (tryAgain) {
        m_tryAgain.push_back(std::move(call));
        if (!m_tryAgainTimer.isActive())
            m_tryAgainTimer.start();
        return true;
    }
    // "MOVED 3999 127.0.0.1:6381"; an empty host ("MOVED 3999 :6381") is the node answering.
    const QList<QByteArray> parts = errorText.split(' ');
    if (parts.size() < 3)
        return false;
    bool slotOk = false;
    const int slot = parts.at(1).toInt(&slotOk);
    const QByteArray &address = parts.at(2);
    const qsizetype colon = address.lastIndexOf(':');
    bool portOk = false;
    const uint port = colon < 0 ? 0 : address.mid(colon + 1).toUInt(&portOk);
    if (!slotOk || !portOk || port < 1 || port > 65535)
        return false;
    QString host = QString::fromUtf8(address.left(colon));
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    if (host.isEmpty())
        host = m_target.host;
    const RedisAddress node { host, quint16(port) };
    ++m_redirectsFollowed;
    if (ask) {
        askNode(std::move(call), node);
        return true;
    }
    m_cluster->moved(slot, node);
    m_held.push_back(std::move(call));
    m_moving = true; // the link moves once nothing is in flight on it (readAvailable)
    return true;
}

void RedisConnection::moveWhenDrained()
{
    if (!m_moving || m_pendingHead < m_pending.size() || m_locating)
        return;
    // Nothing in flight here any more: over to the new owner, which the locator has from MOVED.
    std::vector<Pending> none = dropLink();
    Q_ASSERT(none.empty());
    m_reconnectTimer.stop();
    m_nextDelayMs = m_minDelayMs;
    connectNow();
}

void RedisConnection::send(Pending &&call)
{
    queueCommand(call.args);
    call.sentAt = m_clock.elapsed();
    m_pending.push_back(std::move(call));
    if (m_replyTimeoutMs > 0 && !m_stallTimer.isActive())
        m_stallTimer.start();
}

void RedisConnection::resubmit(Pending &&call)
{
    if (call.hasContext && !call.context)
        return;
    if (m_moving) {
        m_held.push_back(std::move(call));
        if (!m_io)
            return;
        moveWhenDrained();
        return;
    }
    if (!m_io || m_destroying) {
        call.callback(RedisReply::error(
            m_lastError.isEmpty() ? QStringLiteral("not connected to Redis at %1").arg(where())
                                  : m_lastError));
        return;
    }
    send(std::move(call));
}

void RedisConnection::askNode(Pending &&call, const RedisAddress &node)
{
    if (!m_askLink || m_askTarget != node) {
        if (m_askLink) {
            m_askLink->close();
            m_askLink->deleteLater();
        }
        RedisEndpoint direct = m_endpoint;
        direct.kind = RedisEndpoint::Kind::Direct;
        direct.seeds.clear();
        direct.host = node.host;
        direct.port = node.port;
        direct.database = 0;
        m_askLink = new RedisConnection(
            direct, QString::fromUtf8(m_clientName) + QStringLiteral("-ask"), this);
        m_askLink->setReplyTimeout(m_replyTimeoutMs);
        m_askLink->open();
        m_askTarget = node;
    }
    // ASKING lets the importing node take the one command after it for a slot it does not own
    // yet; both go out together on the same link.
    m_askLink->command({ QByteArrayLiteral("ASKING") }, this, [](const RedisReply &) {});
    const QList<QByteArray> args = call.args;
    m_askLink->command(args, this, [this, call = std::move(call)](const RedisReply &reply) mutable {
        if (call.hasContext && !call.context)
            return;
        if (reply.isError() && !m_destroying && redirected(call, reply.bytes())) {
            if (m_moving && m_io && m_pendingHead >= m_pending.size())
                moveWhenDrained();
            return;
        }
        call.callback(reply);
    });
}

bool RedisConnection::failHeld(const QString &reason)
{
    if (m_held.empty() && m_tryAgain.empty()) {
        m_moving = false;
        return true;
    }
    m_moving = false;
    m_tryAgainTimer.stop();
    std::vector<Pending> calls;
    calls.swap(m_held);
    for (Pending &call : m_tryAgain)
        calls.push_back(std::move(call));
    m_tryAgain.clear();
    const QPointer<RedisConnection> guard(this);
    failAll(calls, reason);
    return !guard.isNull();
}

} // namespace redrive::core
