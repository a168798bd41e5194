// SPDX-License-Identifier: MIT
#include "core/engine/receiverlanes.h"

#include "core/engine/threadcleanup.h"
#include "core/queue/deadletterwriter.h"
#include "core/receiver/descriptorlimit.h"
#include "core/receiver/receivertcpserver.h"
#include "core/receiver/webhookreceiver.h"
#include "core/redis/redisconnection.h"
#include "core/redis/redisreply.h"

#include <QLoggingCategory>
#include <QThread>

#include <unistd.h>

namespace redrive::core {

namespace {

const QString ReceiverSource = QStringLiteral("receiver");

} // namespace

struct ReceiverLanes::Lane
{
    int index = 0;
    std::unique_ptr<QThread> thread; // null for lane 0, which runs on the owner's thread
    QObject *context = nullptr; // lives on `thread`; calls for the lane are posted to it
    std::unique_ptr<RedisConnection> redis; // lanes 1..N-1 only: their own connection
    std::unique_ptr<DeadLetterWriter> writer;
    std::unique_ptr<DownstreamClient> downstream;
    std::unique_ptr<WebhookReceiver> receiver;
};

ReceiverLanes::ReceiverLanes(Setup setup, QObject *parent)
    : QObject(parent)
    , m_setup(std::move(setup))
{
    const int count = qMax(1, m_setup.config.threads);
    m_metrics = std::make_shared<ReceiverMetrics>(count);
    auto sockets = std::make_shared<ReceiverTcpServer::SharedState>();
    m_dispatched = count > 1 && (!m_setup.sharePort || !ReceiverTcpServer::canSharePort());
    // The limit of open connections is the process', shared by the lanes.
    ReceiverConfig config = m_setup.config;
    if (config.maxConnections <= 0)
        config.maxConnections = DescriptorLimit::defaultMaxConnections();
    for (int index = 0; index < count; ++index) {
        auto lane = std::make_unique<Lane>();
        lane->index = index;
        if (index > 0) {
            lane->thread = std::make_unique<QThread>();
            lane->thread->setObjectName(QStringLiteral("receiver-%1").arg(index));
            lane->context = new QObject; // deleted on its thread, see ~ReceiverLanes()
            lane->context->moveToThread(lane->thread.get());
            lane->thread->start();
        }
        Lane *raw = lane.get();
        m_lanes.push_back(std::move(lane));
        using Sharing = WebhookReceiver::Sharing;
        const Sharing sharing = count == 1 || m_dispatched
            ? Sharing::Exclusive
            : (index == 0 ? Sharing::FirstOfGroup : Sharing::JoinGroup);
        onLane(*raw, [this, raw, index, sharing, sockets, config] {
            raw->writer = std::make_unique<DeadLetterWriter>(nullptr, m_setup.keys, ReceiverSource);
            if (m_setup.makeDownstream)
                raw->downstream = m_setup.makeDownstream();
            raw->receiver
                = std::make_unique<WebhookReceiver>(raw->writer.get(), raw->downstream.get());
            raw->receiver->setLane(m_metrics, sockets, index, sharing,
                                   m_dispatched && index > 0);
            raw->receiver->setConfig(config);
            raw->receiver->setSharedSecret(m_setup.sharedSecret);
            if (m_setup.extraMetrics)
                raw->receiver->setExtraMetrics(this, m_setup.extraMetrics);
            // Queued where the lane has its own thread: the events arrive on this one.
            connect(raw->receiver.get(), &WebhookReceiver::deliveryHandled, this,
                    &ReceiverLanes::deliveryHandled);
        });
    }
    if (m_dispatched) {
        // One acceptor (lane 0) hands the sockets round, itself included. The lanes' receivers
        // are destroyed after lane 0's (see the destructor), so none is gone while a socket
        // handed to it is on its way.
        auto next = std::make_shared<int>(0);
        std::vector<WebhookReceiver *> receivers;
        for (const auto &lane : m_lanes)
            receivers.push_back(lane->receiver.get());
        m_lanes.front()->receiver->setDispatcher([next, receivers](qintptr descriptor) {
            *next = (*next + 1) % int(receivers.size());
            if (*next == 0)
                return false; // this lane's turn
            WebhookReceiver *target = receivers[size_t(*next)];
            QMetaObject::invokeMethod(target,
                                      [target, descriptor] { target->adoptConnection(descriptor); });
            return true;
        });
    }
}

ReceiverLanes::~ReceiverLanes()
{
    // Lane 0 first: it may hand sockets to the others until it is gone.
    for (const auto &lane : m_lanes) {
        Lane *raw = lane.get();
        onLane(*raw, [raw] {
            raw->receiver.reset();
            raw->downstream.reset();
            raw->writer.reset();
            raw->redis.reset();
            if (raw->thread) {
                raw->context->deleteLater(); // when the thread's loop ends
                endThreadCleanup();
            }
        });
        if (raw->thread) {
            raw->thread->quit();
            raw->thread->wait();
        }
    }
}

void ReceiverLanes::onLane(Lane &lane, const std::function<void()> &call)
{
    if (!lane.thread) {
        call();
        return;
    }
    QMetaObject::invokeMethod(lane.context, call, Qt::BlockingQueuedConnection);
}

bool ReceiverLanes::startLane(Lane &lane, quint16 port, QString *error)
{
    bool ok = false;
    QString problem;
    const qintptr listener = m_lanes.front()->receiver->listeningDescriptor();
    onLane(lane, [&lane, port, listener, &ok, &problem] {
        ReceiverConfig config = lane.receiver->config();
        config.port = port;
        lane.receiver->setConfig(config);
        lane.receiver->setAcceptingListener(listener);
        ok = lane.receiver->start(&problem);
    });
    if (!ok && error)
        *error = problem;
    return ok;
}

bool ReceiverLanes::start(QString *error)
{
    Lane &first = *m_lanes.front();
    if (first.receiver->isListening())
        return true;
    if (!startLane(first, m_setup.config.port, error))
        return false;
    // Port 0 picked a port: the other lanes join that one.
    const quint16 port = first.receiver->port();
    for (size_t index = 1; index < m_lanes.size(); ++index) {
        if (!startLane(*m_lanes[index], port, error)) {
            stop();
            return false;
        }
    }
    if (m_lanes.size() > 1)
        qCInfo(lcReceiver, "%d receiver threads, %s", count(),
               m_dispatched ? "one accepting for all (the port cannot be shared here)"
                            : "each with a listening socket of its own (SO_REUSEPORT)");
    return true;
}

void ReceiverLanes::stop()
{
    for (const auto &lane : m_lanes) {
        Lane *raw = lane.get();
        onLane(*raw, [raw] { raw->receiver->stop(); });
    }
}

bool ReceiverLanes::isListening() const
{
    return m_lanes.front()->receiver->isListening();
}

QUrl ReceiverLanes::url() const
{
    return m_lanes.front()->receiver->url();
}

quint16 ReceiverLanes::port() const
{
    return m_lanes.front()->receiver->port();
}

void ReceiverLanes::attachRedis(RedisConnection *shared, const RedisEndpoint &endpoint,
                                bool embedded)
{
    m_lanes.front()->writer->setConnection(shared);
    for (size_t index = 1; index < m_lanes.size(); ++index) {
        Lane *raw = m_lanes[index].get();
        onLane(*raw, [raw, endpoint, embedded] {
            raw->redis = std::make_unique<RedisConnection>(
                endpoint, QStringLiteral("redrive-receiver-%1").arg(raw->index));
            if (embedded)
                raw->redis->setReconnectDelays(20, 1000);
            raw->writer->setConnection(raw->redis.get());
        });
    }
}

void ReceiverLanes::openRedis()
{
    for (size_t index = 1; index < m_lanes.size(); ++index) {
        Lane *raw = m_lanes[index].get();
        QMetaObject::invokeMethod(raw->context, [raw] {
            if (raw->redis)
                raw->redis->open();
        });
    }
}

void ReceiverLanes::drain(std::function<void()> done)
{
    stop();
    // Replies come in order on each connection: once a lane's PING is answered, every write it
    // sent before has been processed by Redis (and its delivery answered).
    auto left = std::make_shared<int>(count());
    auto finished = [left, done] {
        if (--*left == 0)
            done();
    };
    for (const auto &lane : m_lanes) {
        Lane *raw = lane.get();
        RedisConnection *redis = raw->index == 0 ? nullptr : raw->redis.get();
        if (raw->index == 0) {
            // Lane 0 writes through the engine's connection, which the engine drains itself.
            finished();
            continue;
        }
        QMetaObject::invokeMethod(raw->context, [this, raw, redis, finished] {
            const auto back = [this, finished] { QMetaObject::invokeMethod(this, finished); };
            if (!redis || !redis->isReady()) {
                back();
                return;
            }
            redis->command({ QByteArrayLiteral("PING") }, raw->context,
                           [back](const RedisReply &) { back(); });
        });
    }
}

} // namespace redrive::core
