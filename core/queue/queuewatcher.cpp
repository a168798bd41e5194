// SPDX-License-Identifier: MIT
#include "core/queue/queuewatcher.h"

#include "core/redis/redisconnection.h"
#include "core/redis/redisreply.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace redrive::core {

namespace {

constexpr char SignatureScript[] = R"lua(
return {redis.call('LLEN', KEYS[1]), redis.call('LINDEX', KEYS[1], 0) or '',
        redis.call('LLEN', KEYS[2]), redis.call('LINDEX', KEYS[2], 0) or ''}
)lua";

} // namespace

QueueWatcher::QueueWatcher(RedisConnection *commands, const RedisEndpoint &endpoint,
                           const QueueKeys &keys, int pollIntervalMs, QObject *parent)
    : QObject(parent)
    , m_commands(commands)
    , m_subscriber(std::make_unique<RedisConnection>(endpoint, QStringLiteral("redrive-watch")))
    , m_keys(keys)
{
    m_timer.setInterval(pollIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &QueueWatcher::poll);
    connect(m_subscriber.get(), &RedisConnection::messageReceived, this,
            [this](const QByteArray &, const QByteArray &message) {
                const QString list = QJsonDocument::fromJson(message)
                                         .object()
                                         .value(QStringLiteral("list"))
                                         .toString();
                // An event naming no list (another tool's format) may concern either.
                if (list != QStringLiteral("permanent"))
                    Q_EMIT changed(QueueStore::List::DeadLetter);
                if (list != QStringLiteral("dlq"))
                    Q_EMIT changed(QueueStore::List::PermanentFailures);
            });
}

QueueWatcher::~QueueWatcher() = default;

void QueueWatcher::start()
{
    m_subscriber->subscribe({ m_keys.channel() });
    m_subscriber->open();
    m_timer.start();
    poll();
}

void QueueWatcher::stop()
{
    m_timer.stop();
    m_subscriber->close();
}

void QueueWatcher::poll()
{
    if (m_polling || !m_commands->isReady())
        return;
    m_polling = true;
    m_commands->command({ QByteArrayLiteral("EVAL"), QByteArray(SignatureScript),
                          QByteArrayLiteral("2"), m_keys.dlq, m_keys.permanent },
                        this, [this](const RedisReply &reply) {
                            m_polling = false;
                            if (reply.isError() || reply.elements().size() != 4)
                                return;
                            const auto &e = reply.elements();
                            for (int i = 0; i < 2; ++i) {
                                const QByteArray signature
                                    = QByteArray::number(e.at(2 * i).toInteger()) + '\n'
                                    + e.at(2 * i + 1).bytes();
                                // The first reading is the baseline, not a change.
                                if (m_haveSignature && signature != m_signature[i])
                                    Q_EMIT changed(i == 0 ? QueueStore::List::DeadLetter
                                                          : QueueStore::List::PermanentFailures);
                                m_signature[i] = signature;
                            }
                            m_haveSignature = true;
                        });
}

} // namespace redrive::core
