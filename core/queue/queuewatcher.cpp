// SPDX-License-Identifier: MIT
#include "core/queue/queuewatcher.h"

#include "core/queue/queueevent.h"
#include "core/redis/redisconnection.h"

namespace redrive::core {

QueueWatcher::QueueWatcher(RedisConnection *commands, const RedisEndpoint &endpoint,
                           const QueueKeys &keys, int pollIntervalMs, QObject *parent)
    : QObject(parent)
    , m_commands(commands)
    , m_subscriber(std::make_unique<RedisConnection>(endpoint, QStringLiteral("redrive-watch")))
    , m_keys(keys)
    , m_detector({ keys.dlq, keys.permanent })
{
    m_timer.setInterval(pollIntervalMs);
    connect(&m_timer, &QTimer::timeout, this, &QueueWatcher::poll);
    connect(m_subscriber.get(), &RedisConnection::messageReceived, this,
            [this](const QByteArray &, const QByteArray &message) {
                const QueueEvent event = QueueEvent::fromJson(message);
                // An event naming no list (another tool's format) may concern either.
                if (event.list != QueueStore::List::PermanentFailures)
                    Q_EMIT changed(QueueStore::List::DeadLetter);
                if (event.list != QueueStore::List::DeadLetter)
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
    if (m_detector.isChecking() || !m_commands->isReady())
        return;
    // The first reading is the baseline, not a change.
    const bool baseline = !m_detector.hasReading();
    m_detector.check(m_commands, this, [this, baseline](const QList<bool> &differs) {
        if (baseline)
            return;
        if (differs.at(0))
            Q_EMIT changed(QueueStore::List::DeadLetter);
        if (differs.at(1))
            Q_EMIT changed(QueueStore::List::PermanentFailures);
    });
}

} // namespace redrive::core
