// SPDX-License-Identifier: MIT
#pragma once

#include "core/redis/redisendpoint.h"
#include "core/redis/redisreply.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <deque>
#include <functional>

struct redisAsyncContext;
class QSocketNotifier;

namespace redrive::core {

// One asynchronous connection to Redis: owns the hiredis async context, drives it from the
// Qt event loop of the thread it lives on, logs in (AUTH/SELECT/CLIENT SETNAME) and reconnects
// by itself with backoff. Nothing here ever blocks the calling thread.
class RedisConnection final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RedisConnection)

public:
    enum class State { Disconnected, Connecting, Ready };
    Q_ENUM(State)
    using Callback = std::function<void(const RedisReply &)>;

    explicit RedisConnection(const RedisEndpoint &endpoint, const QString &clientName,
                             QObject *parent = nullptr);
    ~RedisConnection() override;

    // Starts connecting; from then on the connection comes back by itself until close().
    void open();
    void close();

    State state() const { return m_state; }
    bool isReady() const { return m_state == State::Ready; }
    QString lastError() const { return m_lastError; }
    const RedisEndpoint &endpoint() const { return m_endpoint; }
    qsizetype pendingCount() const { return qsizetype(m_sentAt.size()); }
    // Connections tried since construction (diagnostics, and tests that check for storms).
    int connectAttempts() const { return m_connectAttempts; }
    // Delay before the next attempt after a failure: starts at `minimumMs`, doubles up to
    // `maximumMs`, each time drawn at random between half and all of it (so that many clients
    // of one Redis do not come back in step). The low default cap (1 s) bounds how long a
    // Redis that is back goes unused, however long it was away.
    void setReconnectDelays(int minimumMs, int maximumMs);
    // How long the oldest command sent may wait for its answer before the connection counts as
    // dead (a Redis that stopped answering, a network gone without a reset): every command in
    // flight then fails with an error and the connection starts over. 0: wait for ever.
    void setReplyTimeout(int milliseconds);
    int replyTimeout() const { return m_replyTimeoutMs; }

    // Sends one command. `callback` runs exactly once, on this object's thread and never from
    // inside this call, unless `context` is destroyed first. While the connection is down it
    // runs at once with an error reply: callers decide whether to wait, retry or report. A
    // command while down also prompts an early connection attempt (at most one per 250 ms),
    // unless Redis refused the last login: that takes a change of configuration, not a retry.
    void command(const QList<QByteArray> &args, const QObject *context, Callback callback);

    // Makes this a subscriber connection (it then accepts no other command): messages arrive
    // through messageReceived, and the subscriptions are renewed after every reconnect.
    void subscribe(const QList<QByteArray> &channels);

Q_SIGNALS:
    void ready();
    // Left Ready or Connecting. Attempts that fail while already down stay Disconnected and
    // report through attemptFailed() only, so a state change means a change for the user.
    void disconnected(const QString &reason);
    // One connection attempt failed (refused, timed out, login refused, ...), with its reason.
    void attemptFailed(const QString &reason);
    void stateChanged(redrive::core::RedisConnection::State state);
    void messageReceived(const QByteArray &channel, const QByteArray &message);
    // Redis confirmed a SUBSCRIBE (also after each reconnect): from now on nothing published
    // on `channel` is missed, so whoever relies on messages can look at the state once more.
    void subscribed(const QByteArray &channel);

private:
    struct PendingCall;
    static void onConnect(const redisAsyncContext *context, int status);
    static void onDisconnect(const redisAsyncContext *context, int status);
    static void onReply(redisAsyncContext *context, void *reply, void *privdata);
    static void onLoginReply(redisAsyncContext *context, void *reply, void *privdata);
    static void onSubscriptionMessage(redisAsyncContext *context, void *reply, void *privdata);
    static void addRead(void *privdata);
    static void delRead(void *privdata);
    static void addWrite(void *privdata);
    static void delWrite(void *privdata);
    static void cleanup(void *privdata);

    enum class LoginStep { Auth, Select, SetName, Ping };
    struct LoginCall;
    void connectNow();
    void sendLogin(LoginStep step, const QList<QByteArray> &args);
    void loginReplied(LoginStep step, bool isError, const QString &text);
    // Redis answered the login with an error: this attempt fails with `reason`.
    void refuseLogin(const QString &reason);
    void becomeReady();
    // An early attempt for a command that came while down, rate limited.
    void nudge();
    void handleLost(const QString &reason);
    // Drops the hiredis context (its pending callbacks get an error) and starts over.
    void abandon(const QString &reason);
    void checkStalled();
    void setState(State state);
    void scheduleReconnect();
    void dropNotifiers();

    RedisEndpoint m_endpoint;
    QByteArray m_clientName;
    redisAsyncContext *m_context = nullptr;
    QSocketNotifier *m_readNotifier = nullptr;
    QSocketNotifier *m_writeNotifier = nullptr;
    QTimer m_reconnectTimer;
    QTimer m_connectTimeout;
    QTimer m_stallTimer;
    QElapsedTimer m_clock;
    std::deque<qint64> m_sentAt; // when each command in flight was sent, oldest first
    int m_replyTimeoutMs = 15000;
    QString m_abandonReason;
    State m_state = State::Disconnected;
    QString m_lastError;
    QList<QByteArray> m_channels;
    int m_minDelayMs = 100;
    int m_maxDelayMs = 1000;
    int m_nextDelayMs = 100;
    int m_connectAttempts = 0;
    qint64 m_lastAttemptAt = -1; // m_clock time of the last attempt's start
    QString m_loginError; // why Redis refused this attempt's login ("" while it has not)
    bool m_loginRefused = false; // the last attempt ended with Redis refusing the login
    bool m_wanted = false;
    bool m_destroying = false;
};

} // namespace redrive::core
