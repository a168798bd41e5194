// SPDX-License-Identifier: MIT
#include "core/redis/sentinellocator.h"

#include "core/redis/redisconnection.h"

#include <QTimer>

namespace redrive::core {

namespace {
// How long an unanswered sentinel keeps a locate() waiting before the next one is asked.
constexpr int SentinelReplyTimeoutMs = 5000;
// How fast a watcher whose sentinel is down tries again (it is one of several).
constexpr int WatchRetryMinMs = 200;
constexpr int WatchRetryMaxMs = 2000;
// A failing-over state whose end (+switch-master, an abort) no sentinel told us of ends after
// this long: Sentinel's default failover-timeout, within which a leader finishes or aborts.
constexpr int FailoverLimitMs = 180000;

} // namespace

SentinelLocator::SentinelLocator(const RedisEndpoint &endpoint, QObject *parent)
    : RedisLocator(parent)
    , m_endpoint(endpoint)
{
    m_failoverLimit.setSingleShot(true);
    m_failoverLimit.setInterval(FailoverLimitMs);
    connect(&m_failoverLimit, &QTimer::timeout, this, [this] {
        endFailover();
        Q_EMIT relocate(QStringLiteral("no sentinel told the end of the failover of %1 within "
                                       "%2 s: asking them for the primary again")
                            .arg(m_endpoint.masterName)
                            .arg(FailoverLimitMs / 1000));
    });
}

QList<QByteArray> SentinelLocator::failoverChannels()
{
    return { QByteArrayLiteral("+try-failover"),
             QByteArrayLiteral("+elected-leader"),
             QByteArrayLiteral("+failover-state-select-slave"),
             QByteArrayLiteral("+selected-slave"),
             QByteArrayLiteral("+failover-state-send-slaveof-noone"),
             QByteArrayLiteral("+failover-state-wait-promotion"),
             QByteArrayLiteral("+promoted-slave"),
             QByteArrayLiteral("+failover-state-reconf-slaves"),
             QByteArrayLiteral("+failover-end"),
             QByteArrayLiteral("+failover-end-for-timeout"),
             QByteArrayLiteral("-failover-abort-not-elected"),
             QByteArrayLiteral("-failover-abort-no-good-slave"),
             QByteArrayLiteral("-failover-abort-slave-timeout"),
             QByteArrayLiteral("+switch-master") };
}

QString SentinelLocator::masterNameOf(const QByteArray &channel, const QByteArray &message)
{
    const QList<QByteArray> words = message.split(' ');
    if (channel == "+switch-master")
        return words.size() >= 5 ? QString::fromUtf8(words.at(0)) : QString();
    const qsizetype at = words.indexOf(QByteArrayLiteral("@"));
    if (at >= 0)
        return at + 1 < words.size() ? QString::fromUtf8(words.at(at + 1)) : QString();
    if (words.size() >= 2 && words.at(0) == "master")
        return QString::fromUtf8(words.at(1));
    return {};
}

SentinelLocator::~SentinelLocator()
{
    stop();
}

RedisEndpoint SentinelLocator::sentinelEndpoint(int index) const
{
    // The sentinels take their own password (the default user) and the primary's TLS settings.
    RedisEndpoint sentinel;
    sentinel.host = m_endpoint.seeds.at(index).host;
    sentinel.port = m_endpoint.seeds.at(index).port;
    sentinel.password = m_endpoint.sentinelPassword;
    sentinel.tls = m_endpoint.tls;
    sentinel.tlsCaFile = m_endpoint.tlsCaFile;
    sentinel.tlsCertFile = m_endpoint.tlsCertFile;
    sentinel.tlsKeyFile = m_endpoint.tlsKeyFile;
    sentinel.tlsServerName = m_endpoint.tlsServerName;
    sentinel.tlsInsecure = m_endpoint.tlsInsecure;
    return sentinel;
}

QString SentinelLocator::passwordSource()
{
    return QStringLiteral("the sentinels' password, not the primary's, comes from the keychain "
                          "entry redis-sentinel-password, REDRIVE_REDIS_SENTINEL_PASSWORD or the "
                          "credential file redis-sentinel-password");
}

QString SentinelLocator::currentSentinel() const
{
    return m_endpoint.seeds.at(m_index).toString();
}

void SentinelLocator::locate(Located done)
{
    beginLocate(std::move(done));
    m_anyKnowsNothing = false;
    if (m_watchers.isEmpty()) {
        for (int i = 0; i < m_endpoint.seeds.size(); ++i)
            watch(i);
    }
    if (!m_switchedTo.host.isEmpty()) {
        // +switch-master named the new primary: straight there (its ROLE is checked), rather
        // than asking a sentinel that may not have heard of the switch yet and still names the
        // old primary, which stays a primary until the sentinels reconfigure it.
        const RedisAddress primary = std::exchange(m_switchedTo, {});
        m_lastLocated = primary;
        finishLocate(primary, {});
        return;
    }
    // The one asked last (the one that answered, unless all failed) first, then the others.
    QList<RedisAddress> order;
    for (qsizetype i = 0; i < m_endpoint.seeds.size(); ++i)
        order.append(m_endpoint.seeds.at((m_index + i) % m_endpoint.seeds.size()));
    askInTurn(order);
}

void SentinelLocator::askServer(const RedisAddress &sentinel)
{
    m_index = int(qMax(qsizetype(0), m_endpoint.seeds.indexOf(sentinel)));
    RedisConnection *query = this->query();
    if (query
        && RedisAddress { query->endpoint().host, query->endpoint().port } != sentinel) {
        dropQuery(); // kept from an earlier locate(), to another sentinel
        query = nullptr;
    }
    if (!query) {
        query = openQuery(sentinelEndpoint(m_index), QStringLiteral("redrive-sentinel"),
                          SentinelReplyTimeoutMs);
        connect(query, &RedisConnection::ready, this, [this, query] {
            if (query == this->query() && isLocating())
                askServer(asking());
        });
        connect(query, &RedisConnection::attemptFailed, this, [this, query](const QString &reason) {
            if (query != this->query() || !isLocating())
                return;
            if (query->loginRefused() && m_endpoint.sentinelPassword.isEmpty())
                serverFailed(QStringLiteral("the sentinel at %1 asks for a password (%2)")
                                 .arg(currentSentinel(), passwordSource()));
            else if (query->loginRefused())
                serverFailed(QStringLiteral("the sentinel at %1 refused the login: %2 (%3)")
                                 .arg(currentSentinel(), reason, passwordSource()));
            else
                serverFailed(reason);
        });
        query->open(); // the answer comes through ready() or attemptFailed()
        return;
    }
    if (!query->isReady()) {
        // Still on its first attempt: ready() or attemptFailed() follows. Down since it last
        // answered: the next sentinel is asked rather than waiting for its backoff.
        if (query->state() == RedisConnection::State::Disconnected
            && !query->lastError().isEmpty())
            serverFailed(query->lastError());
        return;
    }
    const quint64 asked = generation();
    query->command({ QByteArrayLiteral("SENTINEL"), QByteArrayLiteral("get-master-addr-by-name"),
                     m_endpoint.masterName.toUtf8() },
                   this, [this, query, asked](const RedisReply &reply) {
                       if (query != this->query() || asked != generation() || !isLocating())
                           return;
                       if (reply.isError()
                           && reply.errorText().startsWith(QLatin1String("NOAUTH"))) {
                           serverFailed(QStringLiteral("the sentinel at %1 asks for a password "
                                                       "(%2)")
                                            .arg(currentSentinel(), passwordSource()));
                           return;
                       }
                       if (reply.isError()) {
                           serverFailed(reply.errorText());
                           return;
                       }
                       const QList<RedisReply> &parts = reply.elements();
                       bool ok = false;
                       const uint port = parts.size() == 2 ? parts.at(1).bytes().toUInt(&ok) : 0;
                       if (!ok || port < 1 || port > 65535 || parts.at(0).bytes().isEmpty()) {
                           m_anyKnowsNothing = true;
                           serverFailed(QStringLiteral("the sentinel at %1 knows no primary "
                                                       "named %2")
                                            .arg(currentSentinel(), m_endpoint.masterName));
                           return;
                       }
                       found({ QString::fromUtf8(parts.at(0).bytes()), quint16(port) });
                   });
}

void SentinelLocator::found(const RedisAddress &primary)
{
    if (isFailingOver()) {
        // Nothing goes to the primary that is being replaced; a new one named ends the state
        // (its ROLE is still checked).
        if (m_failoverFrom.host.isEmpty() || primary == m_failoverFrom) {
            finishLocate({}, m_failoverReason);
            return;
        }
        endFailover();
    }
    m_lastLocated = primary;
    finishLocate(primary, {});
}

QString SentinelLocator::noneAnswered(const QString &failures) const
{
    if (m_anyKnowsNothing)
        return QStringLiteral("no primary known for %1: failing over (%2)")
            .arg(m_endpoint.masterName, failures);
    return QStringLiteral("no primary known for %1: no sentinel answered (%2)")
        .arg(m_endpoint.masterName, failures);
}

void SentinelLocator::stop()
{
    cancel();
    dropQuery();
    const QList<QPointer<RedisConnection>> watchers = std::exchange(m_watchers, {});
    for (const QPointer<RedisConnection> &watcher : watchers)
        dispose(watcher);
    m_failoverBy.clear(); // no signal: the connection is closing
    m_failoverLimit.stop();
}

void SentinelLocator::watch(int index)
{
    // One subscriber per sentinel, each coming back by itself: only the sentinel that leads a
    // failover publishes its progress, and any of them may lead the next one.
    auto *watcher = new RedisConnection(sentinelEndpoint(index),
                                        QStringLiteral("redrive-sentinel-watch"), this);
    watcher->setReconnectDelays(WatchRetryMinMs, WatchRetryMaxMs);
    m_watchers.append(watcher);
    connect(watcher, &RedisConnection::messageReceived, this,
            [this, index](const QByteArray &channel, const QByteArray &message) {
                eventReceived(index, channel, message);
            });
    connect(watcher, &RedisConnection::subscribed, this, [this](const QByteArray &channel) {
        // A switch while this sentinel was not watched went unseen: the primary is asked for
        // again (once per subscription, not once per channel).
        if (channel == "+switch-master")
            verify();
    });
    watcher->subscribe(failoverChannels());
    watcher->open();
}

void SentinelLocator::eventReceived(int sentinel, const QByteArray &channel,
                                    const QByteArray &message)
{
    if (masterNameOf(channel, message) != m_endpoint.masterName)
        return;
    if (channel == "+switch-master") {
        // "<master name> <old ip> <old port> <new ip> <new port>"
        const QList<QByteArray> parts = message.split(' ');
        bool ok = false;
        const uint port = parts.at(4).toUInt(&ok);
        if (ok && port > 0 && port < 65536)
            m_switchedTo = RedisAddress { QString::fromUtf8(parts.at(3)), quint16(port) };
        if (isFailingOver())
            endFailover();
        Q_EMIT relocate(QStringLiteral("failing over: the sentinels moved the primary of "
                                       "%1 from %2:%3 to %4:%5")
                            .arg(m_endpoint.masterName, QString::fromUtf8(parts.at(1)),
                                 QString::fromUtf8(parts.at(2)), QString::fromUtf8(parts.at(3)),
                                 QString::fromUtf8(parts.at(4))));
        return;
    }
    if (channel.startsWith("-failover-abort")) {
        // Only the end of every failover started: a sentinel that lost the election aborts
        // while the winner goes on.
        if (m_failoverBy.remove(sentinel) && m_failoverBy.isEmpty()) {
            endFailover();
            Q_EMIT relocate(QStringLiteral("the failover of %1 was aborted (%2 from the sentinel "
                                           "at %3): back to its primary")
                                .arg(m_endpoint.masterName, QString::fromUtf8(channel),
                                     m_endpoint.seeds.at(sentinel).toString()));
        }
        return;
    }
    beginFailover(sentinel, channel);
}

void SentinelLocator::beginFailover(int sentinel, const QByteArray &event)
{
    const bool began = m_failoverBy.isEmpty();
    m_failoverBy.insert(sentinel);
    if (!began)
        return;
    m_failoverFrom = m_lastLocated;
    m_failoverReason = QStringLiteral("failing over: the sentinel at %1 reported %2 for %3; no "
                                      "writes until the sentinels name a new primary")
                           .arg(m_endpoint.seeds.at(sentinel).toString(),
                                QString::fromUtf8(event), m_endpoint.masterName);
    m_failoverLimit.start();
    Q_EMIT failingOverChanged(true);
    // The link to the primary being replaced goes now: what is in flight is not acknowledged.
    Q_EMIT relocate(m_failoverReason);
}

void SentinelLocator::endFailover()
{
    m_failoverBy.clear();
    m_failoverLimit.stop();
    Q_EMIT failingOverChanged(false);
}

void SentinelLocator::verify()
{
    // Only between locate() calls, with a sentinel at hand: a locate() finds the primary anyway.
    RedisConnection *query = this->query();
    if (isLocating() || !query || !query->isReady() || m_lastLocated.host.isEmpty())
        return;
    const RedisAddress known = m_lastLocated;
    query->command({ QByteArrayLiteral("SENTINEL"), QByteArrayLiteral("get-master-addr-by-name"),
                     m_endpoint.masterName.toUtf8() },
                   this, [this, query, known](const RedisReply &reply) {
                       if (query != this->query() || isLocating()
                           || reply.elements().size() != 2)
                           return;
                       const RedisAddress now { QString::fromUtf8(reply.elements().at(0).bytes()),
                                                quint16(reply.elements().at(1).bytes().toUInt()) };
                       if (now != known && known == m_lastLocated)
                           Q_EMIT relocate(QStringLiteral("failing over: the sentinels name %1 "
                                                          "as the primary of %2 now")
                                               .arg(now.toString(), m_endpoint.masterName));
                   });
}

QList<QByteArray> SentinelLocator::checkCommand() const
{
    return { QByteArrayLiteral("ROLE") };
}

QString SentinelLocator::checkReply(const RedisReply &reply) const
{
    if (reply.isError())
        return QStringLiteral("ROLE refused (%1): cannot tell whether it is the primary of %2")
            .arg(reply.errorText(), m_endpoint.masterName);
    const QByteArray role
        = reply.elements().isEmpty() ? QByteArray() : reply.elements().first().bytes();
    if (role == "master")
        return {};
    return QStringLiteral("it is a %1, not the primary of %2: failing over")
        .arg(role.isEmpty() ? QStringLiteral("server of unknown role") : QString::fromUtf8(role),
             m_endpoint.masterName);
}

bool SentinelLocator::isRedirect(const QByteArray &errorText) const
{
    // A primary demoted under our feet refuses writes.
    return errorText.startsWith("READONLY");
}

} // namespace redrive::core
