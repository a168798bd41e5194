// SPDX-License-Identifier: MIT
#pragma once

#include "core/redis/redislocator.h"

#include <QPointer>
#include <QSet>
#include <QTimer>

namespace redrive::core {

class RedisConnection;

// Finds a Sentinel-managed primary (redis+sentinel://): asks the sentinels in turn for
// `SENTINEL get-master-addr-by-name`, has the connection check with `ROLE` that the server it
// reached is a primary, and follows `+switch-master` (and READONLY from a demoted primary) by
// making the connection locate the primary again.
//
// Failing over: it listens to every sentinel's pub/sub (only the sentinel leading a failover
// publishes its progress). From the first progress event for our primary (+try-failover,
// +elected-leader, +selected-slave, ...) until the sentinels name a new primary (or every
// sentinel that started one aborted it), the locator is "failing over": it drops the
// connection's link at once (the commands in flight, a WAIT among them, fail: whatever they
// wrote is not acknowledged) and every locate() fails with failingOverReason(), so that
// nothing is written to the old primary while the sentinels detach the replica they promote.
// The sentinel leading a failover publishes its first events at least one of its timer ticks
// before it sends REPLICAOF NO ONE; the link is dropped when the first of them arrives.
class SentinelLocator final : public RedisLocator
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SentinelLocator)

public:
    explicit SentinelLocator(const RedisEndpoint &endpoint, QObject *parent = nullptr);
    ~SentinelLocator() override;

    void locate(Located done) override;
    void stop() override;
    QList<QByteArray> checkCommand() const override;
    QString checkReply(const RedisReply &reply) const override;
    bool isRedirect(const QByteArray &errorText) const override;

    // The sentinel asked last (diagnostics and tests): "host:port".
    QString currentSentinel() const;
    // Between the first failover event and the new primary (see above).
    bool isFailingOver() const { return !m_failoverBy.isEmpty(); }
    QString failingOverReason() const { return m_failoverReason; }
    // The sentinel pub/sub channels listened to: failover progress, its aborts, +switch-master.
    static QList<QByteArray> failoverChannels();
    // The primary's name in a sentinel event ("master <name> <ip> <port>", "... @ <name> <ip>
    // <port>", or +switch-master's "<name> <old ip> <old port> <new ip> <new port>").
    static QString masterNameOf(const QByteArray &channel, const QByteArray &message);

Q_SIGNALS:
    // The failing-over state began (true) or ended (false).
    void failingOverChanged(bool failingOver);

private:
    // Where the sentinels' password is given, for the messages of a refused login.
    static QString passwordSource();
    void askServer(const RedisAddress &sentinel) override;
    QString noneAnswered(const QString &failures) const override;
    RedisEndpoint sentinelEndpoint(int index) const;
    void found(const RedisAddress &primary);
    void watch(int index);
    void eventReceived(int sentinel, const QByteArray &channel, const QByteArray &message);
    void beginFailover(int sentinel, const QByteArray &event);
    void endFailover();
    // Asks whether the primary is still the one located last; relocate() if not.
    void verify();

    RedisEndpoint m_endpoint;
    int m_index = 0; // the sentinel asked last, asked first next time
    bool m_anyKnowsNothing = false; // a sentinel answered that it knows no primary
    // The query connection (to the sentinel asked) is kept between locate() calls.
    QList<QPointer<RedisConnection>> m_watchers; // one per sentinel, subscribed to the events
    RedisAddress m_lastLocated;
    RedisAddress m_switchedTo; // from +switch-master: where the next locate() goes
    QSet<int> m_failoverBy; // sentinels that started a failover not yet ended or aborted
    RedisAddress m_failoverFrom; // the primary located when the state began
    QString m_failoverReason;
    QTimer m_failoverLimit; // ends a state whose end was never heard of
};

} // namespace redrive::core
