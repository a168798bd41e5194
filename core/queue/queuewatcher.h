// SPDX-License-Identifier: MIT
#pragma once

#include "core/queue/listchangedetector.h"
#include "core/queue/queuekeys.h"
#include "core/queue/queuestore.h"
#include "core/redis/redisendpoint.h"

#include <QObject>
#include <QTimer>

#include <memory>

namespace redrive::core {

class RedisConnection;

// Tells the console when either list changed: at once for changes announced on
// keys.channel() (QueueEvents from the receiver, the worker and queue operations), and within
// `pollIntervalMs` for writes by tools that announce nothing (the tutorial, redis-cli) or
// announcements that were lost, through a ListChangeDetector.
class QueueWatcher final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QueueWatcher)

public:
    // `commands` must outlive the watcher; a dedicated subscriber connection to `endpoint` is
    // opened for the channel.
    QueueWatcher(RedisConnection *commands, const RedisEndpoint &endpoint, const QueueKeys &keys,
                 int pollIntervalMs = 500, QObject *parent = nullptr);
    ~QueueWatcher() override;

    void start();
    void stop();

Q_SIGNALS:
    void changed(redrive::core::QueueStore::List list);

private:
    void poll();

    RedisConnection *m_commands;
    std::unique_ptr<RedisConnection> m_subscriber;
    QueueKeys m_keys;
    QTimer m_timer;
    ListChangeDetector m_detector;
};

} // namespace redrive::core
