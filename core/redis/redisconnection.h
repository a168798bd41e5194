// SPDX-License-Identifier: MIT
#pragma once

#include "core/redis/redisendpoint.h"
#include "core/redis/redisreply.h"

#include <QElapsedTimer>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <functional>
#include <vector>

struct redisReader;
class QAbstractSocket;
class QIODevice;
class QLocalSocket;

namespace redrive::core {

class ClusterLocator;
class RedisLocator;

// One asynchronous connection to Redis over a Qt socket (QTcpSocket for redis://, QSslSocket for
// rediss://, QLocalSocket for unix://), with hiredis' RESP reader parsing the replies. It runs on
// the Qt event loop of the thread it lives on, pipelines commands (everything queued in one turn
// of the event loop goes out in one write), logs in (AUTH/SELECT/CLIENT SETNAME) and reconnects
// by itself with backoff. Nothing here ever blocks the calling thread. For an endpoint that is
// not direct (Sentinel), a RedisLocator finds the server before each attempt.
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
    // The last attempt failed because Redis refused the login (a wrong or missing password).
    bool loginRefused() const { return m_loginRefused; }
    const RedisEndpoint &endpoint() const { return m_endpoint; }
    // The server of the live link or of the attempt in progress ("host:port"; the socket path
    // for unix://); for a located endpoint, empty while none is known.
    QString serverAddress() const;
    // Null for a direct endpoint.
    RedisLocator *locator() const { return m_locator; }
    qsizetype pendingCount() const { return qsizetype(m_pending.size() - m_pendingHead); }
    // Redis Cluster: commands sent again after a MOVED or ASK reply, since construction.
    int redirectsFollowed() const { return m_redirectsFollowed; }
    // Changes whenever a link is dropped: commands sent under one value went on one link, in
    // order (a WAIT then covers the writes before it).
    quint64 linkId() const { return m_generation; }
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

    // The server is no longer the one to use (a failover, a redirect): drops the link (commands
    // in flight fail with `reason`) and, for a located endpoint, locates it again. What the
    // locator's relocate() signal and a redirect error do.
    void relocate(const QString &reason);

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
    enum class LoginStep { Auth, Select, SetName, Check, Ping };
    // One command sent and not yet answered, oldest first. Login steps have no callback.
    struct Pending
    {
        Callback callback;
        QPointer<const QObject> context;
        qint64 sentAt = 0; // m_clock time it was queued
        bool hasContext = false;
        bool isLogin = false;
        LoginStep step = LoginStep::Ping;
        QList<QByteArray> args; // Cluster: kept to send it again after MOVED, ASK or TRYAGAIN
        int redirects = 0; // times it was sent again
    };
    void connectNow();
    // Logs in and opens the transport to m_target (the endpoint's, or the one located).
    void startAttempt();
    void located(const QString &host, quint16 port, const QString &error);
    // Where the messages say the connection goes: the URL, and the server located.
    QString where() const;
    // Appends one command in RESP to the output, to go out with the others of this turn.
    void queueCommand(const QList<QByteArray> &args);
    void scheduleFlush();
    void flush();
    void sendLogin(LoginStep step, const QList<QByteArray> &args);
    void linkUp();
    void readAvailable();
    void dispatch(void *reply);
    void socketFailed();
    void loginReplied(LoginStep step, bool isError, const QString &text);
    void becomeReady();
    // An early attempt for a command that came while down, rate limited.
    void nudge();
    void handleLost(const QString &reason);
    // Drops the socket, fails every command in flight with `reason` and starts over.
    void abandon(const QString &reason);
    // Drops the socket and the parser; returns the commands that were in flight.
    std::vector<Pending> dropLink();
    void failAll(std::vector<Pending> &calls, const QString &reason);
    void checkStalled();
    void setState(State state);
    void scheduleReconnect();
    bool takePending(Pending *call);
    // Redis Cluster (redis+cluster://). A command answered MOVED waits (held) until every command
    // still in flight on this link is answered; then the link goes to the new owner and the
    // held commands go out first. ASK sends ASKING and the command to the importing node, on a
    // link of its own. TRYAGAIN (a script's keys split by a migration) sends it again shortly.
    // The caller sees only the final answer. True when `errorText` was one of these.
    bool redirected(Pending &call, const QByteArray &errorText);
    void send(Pending &&call);
    // Sends again from the event loop: held while moving, failed while down.
    void resubmit(Pending &&call);
    void moveWhenDrained();
    void askNode(Pending &&call, const RedisAddress &node);
    // Fails the commands held for a move or waiting to try again; false if that destroyed us.
    bool failHeld(const QString &reason);

    RedisEndpoint m_endpoint;
    RedisLocator *m_locator = nullptr; // a child; null for a direct endpoint
    ClusterLocator *m_cluster = nullptr; // m_locator, for redis+cluster://
    std::vector<Pending> m_held; // MOVED: waiting for the link to the slot's new owner
    bool m_moving = false; // a MOVED came: commands are held until the new link is ready
    std::vector<Pending> m_tryAgain; // TRYAGAIN: sent again when m_tryAgainTimer fires
    QTimer m_tryAgainTimer;
    QPointer<RedisConnection> m_askLink; // ASK: to the node importing the slot
    RedisAddress m_askTarget;
    int m_redirectsFollowed = 0;
    RedisAddress m_target; // the server this attempt goes to (located or the endpoint's)
    bool m_locating = false; // the locator is looking for the server of this attempt
    QByteArray m_clientName;
    // The transport of the attempt in progress or of the live connection (null while down):
    // m_io reads and writes; exactly one of m_tcp (QTcpSocket or QSslSocket) and m_local is set.
    QIODevice *m_io = nullptr;
    QAbstractSocket *m_tcp = nullptr;
    QLocalSocket *m_local = nullptr;
    bool m_linked = false; // the transport is up (TLS handshake done): output may go out
    bool m_pubsub = false; // SUBSCRIBE went out on this link: pushes arrive between replies
    QString m_tlsErrors; // why this attempt's TLS handshake failed ("" while it has not)
    redisReader *m_reader = nullptr;
    QByteArray m_output; // commands queued this turn, in RESP
    QTimer m_flushTimer; // one write per turn of the event loop
    std::vector<Pending> m_pending; // in flight from m_pendingHead on
    size_t m_pendingHead = 0;
    quint64 m_generation = 0; // counts dropped links: a callback may drop the link it came on
    QTimer m_reconnectTimer;
    QTimer m_connectTimeout;
    QTimer m_stallTimer;
    QElapsedTimer m_clock;
    int m_replyTimeoutMs = 15000;
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
