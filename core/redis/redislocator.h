// SPDX-License-Identifier: MIT
#pragma once

#include "core/redis/redisendpoint.h"
#include "core/redis/redisreply.h"

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QStringList>

#include <functional>

namespace redrive::core {

class RedisConnection;

// Finds the server a RedisConnection is to connect to, before each of its connection attempts,
// for endpoints that are not direct (a Sentinel-managed primary, the owner of a Cluster slot).
// A direct endpoint has no locator: the connection goes to its host:port or socket.
//
// The connection asks locate() before each attempt; once connected and logged in, it sends
// checkCommand() (if any) and hands the answer to checkReply(), so that a server that is not
// the wanted one (a primary just demoted) fails the attempt, retried under the connection's
// backoff. relocate() makes the connection drop its link and locate again; so does an error
// reply for which isRedirect() says the server located is no longer the right one.
//
// The locators ask servers they know of (the sentinels, the cluster's nodes) in turn: this
// class holds that loop (askInTurn(), serverFailed(), finishLocate()) and the connection to the
// server asked; a subclass says what to ask (askServer()) and what none answering means.
class RedisLocator : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RedisLocator)

public:
    // `error` empty: connect to host:port; otherwise why no server is known, and the attempt
    // fails with it.
    using Located = std::function<void(const QString &host, quint16 port, const QString &error)>;

    using QObject::QObject;
    ~RedisLocator() override = default;

    // Finds the server for the next attempt. `done` runs exactly once, later from the event
    // loop (never inside this call), unless cancel() comes first. One locate() at a time.
    virtual void locate(Located done) = 0;
    // Forgets a locate() in progress: its `done` does not run.
    virtual void cancel();
    // The connection was closed: cancel(), and let go of whatever the locator keeps open.
    virtual void stop() { cancel(); }
    // Sent to the server after the login, before it counts as ready; empty: no check.
    virtual QList<QByteArray> checkCommand() const { return {}; }
    // The check's answer: empty when the server is the one wanted, otherwise why it is not.
    virtual QString checkReply(const RedisReply &reply) const
    {
        Q_UNUSED(reply);
        return {};
    }
    // An error a command got: true when it means the server located is no longer the right one
    // (READONLY from a demoted primary, MOVED in a cluster). The command still gets the error;
    // then the connection drops its link and locates again.
    virtual bool isRedirect(const QByteArray &errorText) const
    {
        Q_UNUSED(errorText);
        return false;
    }

Q_SIGNALS:
    // The server located last is no longer the one to use (a failover, a new slot map): the
    // connection drops its link (commands in flight fail with `reason`) and locates again.
    void relocate(const QString &reason);

protected:
    // Starts a locate(): `done` waits for finishLocate(); the failures noted are forgotten.
    void beginLocate(Located done);
    bool isLocating() const { return bool(m_done); }
    // Changes with every locate() and cancel(): an answer to an earlier one compares unequal.
    quint64 generation() const { return m_generation; }
    // Asks the servers of `order` in turn, the first one now (askServer()); serverFailed() hands
    // over to the next; when none is left, the locate() fails with noneAnswered().
    void askInTurn(const QList<RedisAddress> &order);
    // The server asked did not tell: notes why (once per reason), drops the query connection and
    // asks the next one.
    void serverFailed(const QString &reason);
    // The server asked now, or last.
    RedisAddress asking() const { return m_asking; }
    virtual void askServer(const RedisAddress &server) = 0;
    // Why the locate() fails when every server failed; `failures`: their reasons, joined.
    virtual QString noneAnswered(const QString &failures) const = 0;
    // Hands `server` (or `error`) to the locate()'s `done`, from the event loop (never inside
    // the call), unless cancel() or another locate() comes first.
    void finishLocate(const RedisAddress &server, const QString &error);

    // The connection to the server asked: opened by openQuery(), dropped by serverFailed(),
    // dropQuery() or the subclass; null when there is none.
    RedisConnection *query() const { return m_query; }
    RedisConnection *openQuery(const RedisEndpoint &endpoint, const QString &clientName,
                               int replyTimeoutMs);
    void dropQuery();
    // Closes a connection of the locator's and deletes it later (it may be inside one of its
    // own signals or callbacks).
    static void dispose(RedisConnection *connection);

private:
    Located m_done;
    quint64 m_generation = 0;
    QList<RedisAddress> m_toAsk; // what this locate() has yet to try
    RedisAddress m_asking;
    QStringList m_failures; // why each server asked did not tell
    QPointer<RedisConnection> m_query;
};

// The locator for `endpoint`, owned by `parent`; null for a direct endpoint.
RedisLocator *createRedisLocator(const RedisEndpoint &endpoint, QObject *parent);

} // namespace redrive::core
