// SPDX-License-Identifier: MIT
#pragma once

#include "core/redis/redisendpoint.h"
#include "core/redis/redisreply.h"

#include <QByteArray>
#include <QList>
#include <QObject>

#include <functional>

namespace redrive::core {

// Finds the server a RedisConnection is to connect to, before each of its connection attempts,
// for endpoints that are not direct (a Sentinel-managed primary, the owner of a Cluster slot).
// A direct endpoint has no locator: the connection goes to its host:port or socket.
//
// The connection asks locate() before each attempt; once connected and logged in, it sends
// checkCommand() (if any) and hands the answer to checkReply(), so that a server that is not
// the wanted one (a primary just demoted) fails the attempt, retried under the connection's
// backoff. relocate() makes the connection drop its link and locate again; so does an error
// reply for which isRedirect() says the server located is no longer the right one.
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
    virtual void cancel() = 0;
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
};

// The locator for `endpoint`, owned by `parent`; null for a direct endpoint.
RedisLocator *createRedisLocator(const RedisEndpoint &endpoint, QObject *parent);

} // namespace redrive::core
