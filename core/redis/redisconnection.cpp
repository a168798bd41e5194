// SPDX-License-Identifier: MIT
#include "core/redis/redisconnection.h"

#include <QRandomGenerator>
#include <QSocketNotifier>
#include <QThread>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <vector>

namespace redrive::core {

namespace {
constexpr int ConnectTimeoutMs = 5000;
// At most one early attempt per this many ms when commands arrive while down.
constexpr int NudgeIntervalMs = 250;
// A login Redis refused is a configuration problem: retried, but no faster than this.
constexpr int RefusedLoginMaxDelayMs = 5000;

// Binary-safe: every argument goes with its length.
int sendArgv(redisAsyncContext *context, redisCallbackFn *callback, void *privdata,
             const QList<QByteArray> &args)
{
    std::vector<const char *> argv;
    std::vector<size_t> lengths;
    argv.reserve(size_t(args.size()));
    lengths.reserve(size_t(args.size()));
    for (const QByteArray &arg : args) {
        argv.push_back(arg.constData());
        lengths.push_back(size_t(arg.size()));
    }
    return redisAsyncCommandArgv(context, callback, privdata, int(argv.size()), argv.data(),
                                 lengths.data());
}
} // namespace

struct RedisConnection::LoginCall
{
    RedisConnection *owner;
    LoginStep step;
};

struct RedisConnection::PendingCall
{
    RedisConnection *owner;
    QPointer<const QObject> context;
    bool hasContext;
    Callback callback;
};

RedisConnection::RedisConnection(const RedisEndpoint &endpoint, const QString &clientName,
                                 QObject *parent)
    : QObject(parent)
    , m_endpoint(endpoint)
    , m_clientName(clientName.toUtf8())
{
    m_reconnectTimer.setSingleShot(true);
    connect(&m_reconnectTimer, &QTimer::timeout, this, &RedisConnection::connectNow);
    m_connectTimeout.setSingleShot(true);
    m_connectTimeout.setInterval(ConnectTimeoutMs);
    connect(&m_connectTimeout, &QTimer::timeout, this, [this] {
        if (m_state == State::Ready || !m_context)
            return;
        // hiredis has no connect timeout of its own: give up on this attempt and start over.
        abandon(QStringLiteral("timed out connecting to Redis at %1").arg(m_endpoint.displayUrl()));
    });
    m_clock.start();
    setReplyTimeout(m_replyTimeoutMs);
    connect(&m_stallTimer, &QTimer::timeout, this, &RedisConnection::checkStalled);
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
    if (m_sentAt.empty() || !m_context) {
        m_stallTimer.stop();
        return;
    }
    const qint64 waited = m_clock.elapsed() - m_sentAt.front();
    if (m_replyTimeoutMs > 0 && waited > m_replyTimeoutMs) {
        abandon(QStringLiteral("Redis at %1 did not answer for %2 ms: reconnecting")
                    .arg(m_endpoint.displayUrl())
                    .arg(waited));
    }
}

void RedisConnection::abandon(const QString &reason)
{
    redisAsyncContext *context = m_context;
    m_context = nullptr;
    m_lastError = reason;
    m_abandonReason = reason; // what the pending callbacks are told
    if (context)
        redisAsyncFree(context); // runs every pending callback with an error reply
    m_abandonReason.clear();
    handleLost(reason);
}

RedisConnection::~RedisConnection()
{
    m_destroying = true;
    m_wanted = false;
    if (m_context) {
        redisAsyncContext *context = m_context;
        m_context = nullptr;
        redisAsyncFree(context); // runs every pending callback with a "connection lost" reply
    }
    dropNotifiers();
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
    if (m_state == State::Disconnected && !m_context && !m_reconnectTimer.isActive())
        connectNow();
}

void RedisConnection::close()
{
    m_wanted = false;
    m_reconnectTimer.stop();
    m_connectTimeout.stop();
    if (m_context) {
        redisAsyncContext *context = m_context;
        m_context = nullptr;
        redisAsyncFree(context);
    }
    dropNotifiers();
    setState(State::Disconnected);
}

void RedisConnection::connectNow()
{
    if (!m_wanted || m_context)
        return;
    ++m_connectAttempts;
    m_lastAttemptAt = m_clock.elapsed();
    redisAsyncContext *context = m_endpoint.isUnix()
        ? redisAsyncConnectUnix(m_endpoint.unixSocket.toLocal8Bit().constData())
        : redisAsyncConnect(m_endpoint.host.toLatin1().constData(), m_endpoint.port);
    if (!context) {
        m_lastError = QStringLiteral("out of memory creating a Redis connection");
        scheduleReconnect();
        return;
    }
    if (context->err) {
        m_lastError = QStringLiteral("cannot connect to Redis at %1: %2")
                          .arg(m_endpoint.displayUrl(), QString::fromLocal8Bit(context->errstr));
        redisAsyncFree(context);
        handleLost(m_lastError);
        return;
    }
    m_context = context;
    context->data = this;
    context->ev.data = this;
    context->ev.addRead = &RedisConnection::addRead;
    context->ev.delRead = &RedisConnection::delRead;
    context->ev.addWrite = &RedisConnection::addWrite;
    context->ev.delWrite = &RedisConnection::delWrite;
    context->ev.cleanup = &RedisConnection::cleanup;
    const int fd = context->c.fd;
    m_readNotifier = new QSocketNotifier(fd, QSocketNotifier::Read, this);
    m_readNotifier->setEnabled(false);
    connect(m_readNotifier, &QSocketNotifier::activated, this, [this] {
        if (m_context)
            redisAsyncHandleRead(m_context);
    });
    m_writeNotifier = new QSocketNotifier(fd, QSocketNotifier::Write, this);
    m_writeNotifier->setEnabled(false);
    connect(m_writeNotifier, &QSocketNotifier::activated, this, [this] {
        if (m_context)
            redisAsyncHandleWrite(m_context);
    });
    redisAsyncSetConnectCallback(context, &RedisConnection::onConnect);
    redisAsyncSetDisconnectCallback(context, &RedisConnection::onDisconnect);
    // The first attempt shows as Connecting; the retries of an outage stay Disconnected, with
    // the reason in lastError(), so that a state change means a change for the user.
    if (m_lastError.isEmpty())
        setState(State::Connecting);
    m_connectTimeout.start();
    m_loginError.clear();

    // Pipelined behind the connect: log in, pick the database, name ourselves, then PING to
    // learn that all of it went through. Commands sent meanwhile queue up behind these.
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
    sendLogin(LoginStep::Ping, { QByteArrayLiteral("PING") });
}

void RedisConnection::sendLogin(LoginStep step, const QList<QByteArray> &args)
{
    auto *call = new LoginCall { this, step };
    if (sendArgv(m_context, &RedisConnection::onLoginReply, call, args) != REDIS_OK) {
        delete call;
        return;
    }
    m_sentAt.push_back(m_clock.elapsed());
    if (m_replyTimeoutMs > 0 && !m_stallTimer.isActive())
        m_stallTimer.start();
}

void RedisConnection::onLoginReply(redisAsyncContext *, void *reply, void *privdata)
{
    std::unique_ptr<LoginCall> call(static_cast<LoginCall *>(privdata));
    RedisConnection *self = call->owner;
    if (!self->m_sentAt.empty())
        self->m_sentAt.pop_front();
    // No reply: the connection went away, and the disconnect callback reports why.
    if (self->m_destroying || !reply || !self->m_context)
        return;
    const auto *r = static_cast<const redisReply *>(reply);
    const bool isError = r->type == REDIS_REPLY_ERROR;
    self->loginReplied(call->step, isError,
                       isError ? QString::fromUtf8(r->str, qsizetype(r->len)) : QString());
}

void RedisConnection::loginReplied(LoginStep step, bool isError, const QString &text)
{
    if (!m_loginError.isEmpty())
        return; // the first refusal is the reason; what follows it is its consequence
    const QString where = m_endpoint.displayUrl();
    switch (step) {
    case LoginStep::Auth:
        // Redis' reason goes to the user; the password itself never does.
        if (isError)
            refuseLogin(QStringLiteral("Redis at %1 refused the login: %2").arg(where, text));
        return;
    case LoginStep::Select:
        if (isError)
            refuseLogin(QStringLiteral("Redis at %1 refused database %2: %3")
                            .arg(where)
                            .arg(m_endpoint.database)
                            .arg(text));
        return;
    case LoginStep::SetName:
        return; // a name is a courtesy: a Redis that refuses it is still usable
    case LoginStep::Ping:
        if (isError)
            refuseLogin(QStringLiteral("Redis at %1 refused the connection: %2").arg(where, text));
        else
            becomeReady();
        return;
    }
}

void RedisConnection::refuseLogin(const QString &reason)
{
    m_loginError = reason;
    m_lastError = reason;
    // Graceful: hiredis answers what is pending (with errors), then onDisconnect starts over
    // under the backoff. Never Ready in between, so the backoff is not reset.
    redisAsyncDisconnect(m_context);
}

void RedisConnection::becomeReady()
{
    m_connectTimeout.stop();
    m_nextDelayMs = m_minDelayMs;
    m_loginRefused = false;
    m_lastError.clear();
    if (!m_channels.isEmpty()) {
        sendArgv(m_context, &RedisConnection::onSubscriptionMessage, nullptr,
                 QList<QByteArray> { QByteArrayLiteral("SUBSCRIBE") } + m_channels);
    }
    setState(State::Ready);
    Q_EMIT ready();
}

void RedisConnection::command(const QList<QByteArray> &args, const QObject *context,
                              Callback callback)
{
    Q_ASSERT(QThread::currentThread() == thread());
    if (!m_context) {
        nudge();
        const QString reason = m_lastError.isEmpty()
            ? QStringLiteral("not connected to Redis at %1").arg(m_endpoint.displayUrl())
            : m_lastError;
        const QObject *target = context ? context : this;
        QMetaObject::invokeMethod(
            const_cast<QObject *>(target),
            [callback = std::move(callback), reason] { callback(RedisReply::error(reason)); },
            Qt::QueuedConnection);
        return;
    }
    auto *call = new PendingCall { this, context, context != nullptr, std::move(callback) };
    if (sendArgv(m_context, &RedisConnection::onReply, call, args) != REDIS_OK) {
        const QString reason = QStringLiteral("Redis connection is closing");
        const QObject *target = context ? context : this;
        QMetaObject::invokeMethod(
            const_cast<QObject *>(target),
            [cb = std::move(call->callback), reason] { cb(RedisReply::error(reason)); },
            Qt::QueuedConnection);
        delete call;
        return;
    }
    m_sentAt.push_back(m_clock.elapsed());
    if (m_replyTimeoutMs > 0 && !m_stallTimer.isActive())
        m_stallTimer.start();
}

void RedisConnection::subscribe(const QList<QByteArray> &channels)
{
    for (const QByteArray &channel : channels) {
        if (!m_channels.contains(channel))
            m_channels.append(channel);
    }
    if (m_state == State::Ready && m_context) {
        sendArgv(m_context, &RedisConnection::onSubscriptionMessage, nullptr,
                 QList<QByteArray> { QByteArrayLiteral("SUBSCRIBE") } + channels);
    }
}

void RedisConnection::onReply(redisAsyncContext *context, void *reply, void *privdata)
{
    std::unique_ptr<PendingCall> call(static_cast<PendingCall *>(privdata));
    if (!call)
        return;
    if (!call->owner->m_sentAt.empty())
        call->owner->m_sentAt.pop_front();
    if (call->hasContext && !call->context)
        return; // whoever asked is gone
    RedisReply copy = RedisReply::fromHiredis(static_cast<redisReply *>(reply));
    if (!reply && !call->owner->m_abandonReason.isEmpty())
        copy = RedisReply::error(call->owner->m_abandonReason);
    else if (!reply && context && context->errstr && context->err)
        copy = RedisReply::error(QStringLiteral("connection to Redis lost: %1")
                                     .arg(QString::fromLocal8Bit(context->errstr)));
    if (call->owner->m_destroying && call->context == call->owner)
        return;
    call->callback(copy);
}

void RedisConnection::onSubscriptionMessage(redisAsyncContext *context, void *reply, void *)
{
    auto *self = static_cast<RedisConnection *>(context->data);
    const auto *r = static_cast<redisReply *>(reply);
    if (!self || self->m_destroying || !r || r->type != REDIS_REPLY_ARRAY || r->elements < 3)
        return;
    const QByteArray kind(r->element[0]->str, qsizetype(r->element[0]->len));
    if (kind == "subscribe") {
        Q_EMIT self->subscribed(QByteArray(r->element[1]->str, qsizetype(r->element[1]->len)));
        return;
    }
    if (kind != "message")
        return;
    Q_EMIT self->messageReceived(QByteArray(r->element[1]->str, qsizetype(r->element[1]->len)),
                                 QByteArray(r->element[2]->str, qsizetype(r->element[2]->len)));
}

void RedisConnection::onConnect(const redisAsyncContext *context, int status)
{
    auto *self = static_cast<RedisConnection *>(context->data);
    // A context we let go of already (abandon(), close()) has nothing more to report.
    if (!self || status == REDIS_OK || self->m_context != context)
        return;
    // hiredis frees the context right after this callback returns.
    self->m_lastError
        = QStringLiteral("cannot connect to Redis at %1: %2")
              .arg(self->m_endpoint.displayUrl(), QString::fromLocal8Bit(context->errstr));
    self->m_context = nullptr;
    self->handleLost(self->m_lastError);
}

void RedisConnection::onDisconnect(const redisAsyncContext *context, int status)
{
    auto *self = static_cast<RedisConnection *>(context->data);
    // A context we let go of already (abandon(), close()) reported its end there.
    if (!self || self->m_context != context)
        return;
    // hiredis frees the context right after this callback returns.
    self->m_context = nullptr;
    if (self->m_destroying)
        return;
    // This attempt's own reason: a refused login, else what the transport says.
    if (!self->m_loginError.isEmpty())
        self->m_lastError = self->m_loginError;
    else if (status != REDIS_OK)
        self->m_lastError
            = QStringLiteral("connection to Redis at %1 lost: %2")
                  .arg(self->m_endpoint.displayUrl(), QString::fromLocal8Bit(context->errstr));
    else
        self->m_lastError
            = QStringLiteral("disconnected from Redis at %1").arg(self->m_endpoint.displayUrl());
    self->handleLost(self->m_lastError);
}

void RedisConnection::handleLost(const QString &reason)
{
    m_connectTimeout.stop();
    dropNotifiers();
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
    if (!m_wanted || m_destroying || m_context || m_loginRefused || !m_reconnectTimer.isActive())
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

void RedisConnection::dropNotifiers()
{
    // May run inside a notifier's own activated() signal: never delete it synchronously.
    for (QSocketNotifier **notifier : { &m_readNotifier, &m_writeNotifier }) {
        if (*notifier) {
            (*notifier)->setEnabled(false);
            (*notifier)->deleteLater();
            *notifier = nullptr;
        }
    }
}

void RedisConnection::addRead(void *privdata)
{
    auto *self = static_cast<RedisConnection *>(privdata);
    if (self->m_readNotifier)
        self->m_readNotifier->setEnabled(true);
}

void RedisConnection::delRead(void *privdata)
{
    auto *self = static_cast<RedisConnection *>(privdata);
    if (self->m_readNotifier)
        self->m_readNotifier->setEnabled(false);
}

void RedisConnection::addWrite(void *privdata)
{
    auto *self = static_cast<RedisConnection *>(privdata);
    if (self->m_writeNotifier)
        self->m_writeNotifier->setEnabled(true);
}

void RedisConnection::delWrite(void *privdata)
{
    auto *self = static_cast<RedisConnection *>(privdata);
    if (self->m_writeNotifier)
        self->m_writeNotifier->setEnabled(false);
}

void RedisConnection::cleanup(void *privdata)
{
    static_cast<RedisConnection *>(privdata)->dropNotifiers();
}

} // namespace redrive::core
