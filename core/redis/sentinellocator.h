// SPDX-License-Identifier: MIT
#pragma once

#include "core/redis/redislocator.h"

#include <QPointer>

namespace redrive::core {

class RedisConnection;

// Finds a Sentinel-managed primary (redis+sentinel://): asks the sentinels in turn for
// `SENTINEL get-master-addr-by-name`, has the connection check with `ROLE` that the server it
// reached is a primary, and follows `+switch-master` on a sentinel's pub/sub (and READONLY from
// a demoted primary) by making the connection locate the primary again.
class SentinelLocator final : public RedisLocator
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SentinelLocator)

public:
    explicit SentinelLocator(const RedisEndpoint &endpoint, QObject *parent = nullptr);
    ~SentinelLocator() override;

    void locate(Located done) override;
    void cancel() override;
    void stop() override;
    QList<QByteArray> checkCommand() const override;
    QString checkReply(const RedisReply &reply) const override;
    bool isRedirect(const QByteArray &errorText) const override;

    // The sentinel asked last (diagnostics and tests): "host:port".
    QString currentSentinel() const;

private:
    RedisEndpoint sentinelEndpoint(int index) const;
    void ask();
    void sentinelFailed(const QString &reason);
    void finish(const QString &host, quint16 port, const QString &error);
    void watch();
    // Asks whether the primary is still the one located last; relocate() if not.
    void verify();

    RedisEndpoint m_endpoint;
    int m_index = 0; // the sentinel asked first next time (the last one that answered)
    int m_tried = 0; // sentinels tried by this locate()
    QStringList m_failures; // why each of them did not tell
    bool m_anyKnowsNothing = false; // a sentinel answered that it knows no primary
    Located m_done;
    quint64 m_generation = 0; // counts locate() and cancel(): late answers are dropped
    QPointer<RedisConnection> m_query; // to sentinel m_index, kept between locate() calls
    QPointer<RedisConnection> m_watcher; // subscribed to +switch-master on one sentinel
    int m_watchIndex = 0;
    bool m_watchWanted = false; // false after stop()
    RedisAddress m_lastLocated;
};

} // namespace redrive::core
