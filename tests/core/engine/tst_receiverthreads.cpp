// SPDX-License-Identifier: MIT
// The receiver's threads (--receiver-threads 4) against a real redis-server: deliveries from many
// keep-alive connections reach every thread, whether each thread listens on the port itself
// (SO_REUSEPORT) or one accepts for all; every 2xx is an entry in the DLQ; /metrics on any
// thread counts what all of them did and carries the engine's part; the events of all threads
// arrive on the engine's; a shutdown under load answers or cuts off, never acknowledges without
// storing.
#include "core/engine/engine.h"
#include "core/engine/receiverlanes.h"
#include "tests/attack/attackkit.h"
#include "tests/support/redisserver.h"
#include "tests/support/testenv.h"

#include <QSet>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

using namespace redrive;
using namespace redrive::core;
using namespace redrive::tests;

namespace {

constexpr int WaitMs = 60000;
constexpr int Threads = 4;
constexpr int Connections = 48;
const QByteArray Dlq = "genesys_webhook_dlq";

// GET `path` on a fresh connection (each may land on another thread): the whole response. The
// event loop runs meanwhile: the engine, on this thread, renders its part of /metrics.
QByteArray get(quint16 port, const QByteArray &path)
{
    QTcpSocket socket;
    QByteArray response;
    QObject::connect(&socket, &QTcpSocket::readyRead, &socket,
                     [&socket, &response] { response += socket.readAll(); });
    QObject::connect(&socket, &QTcpSocket::connected, &socket, [&socket, &path] {
        socket.write("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    });
    socket.connectToHost(QHostAddress::LocalHost, port);
    [[maybe_unused]] const bool closed = QTest::qWaitFor(
        [&socket] { return socket.state() == QAbstractSocket::UnconnectedState; },
                    WaitMs);
    return response + socket.readAll();
}

quint64 sampleValue(const QByteArray &text, const QByteArray &name)
{
    const qsizetype at = text.indexOf('\n' + name + ' ');
    if (at < 0)
        return 0;
    const qsizetype start = at + 1 + name.size() + 1;
    return text.mid(start, text.indexOf('\n', start) - start).toULongLong();
}

} // namespace

class TestReceiverThreads : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        qRegisterMetaType<DeliveryEvent>();
        QVERIFY2(m_redis.start(), qPrintable(m_redis.errorString()));
        QVERIFY(m_home.isValid());
        raiseOwnDescriptorLimit();
    }

    void init() { m_redis.flushAll(); }

    void everyThreadServes_data()
    {
        QTest::addColumn<bool>("sharePort");
        QTest::newRow("a socket per thread (SO_REUSEPORT)") << true;
        QTest::newRow("one acceptor hands sockets round") << false;
    }

    void everyThreadServes()
    {
        QFETCH(bool, sharePort);
        Engine engine(config(sharePort));
        int events = 0;
        connect(&engine, &Engine::deliveryHandled, this, [&events] { ++events; });
        QString error;
        QVERIFY2(engine.start({}, &error), qPrintable(error));
        ReceiverLanes *lanes = engine.receiver();
        QVERIFY(lanes);
        QCOMPARE(lanes->count(), Threads);
        const quint16 port = lanes->port();
        QVERIFY(port != 0);

        LoadGenerator load("rt" + QByteArray(sharePort ? "s" : "d"), Connections, /*pauseMs=*/0);
        load.start(port);
        // Each connection lands on one thread: with 48 of them, a thread left without any would
        // take a failing spread (1 in 10^5 for a uniform one) or a lane that never accepts.
        const auto everyLaneServed = [lanes] {
            const QList<quint64> served = lanes->laneResponses();
            return std::all_of(served.begin(), served.end(), [](quint64 n) { return n > 0; });
        };
        QTRY_VERIFY_WITH_TIMEOUT(load.acknowledgedCount() >= 600 && everyLaneServed(), WaitMs);
        load.stop();
        qInfo() << "answers per thread" << lanes->laneResponses() << "acknowledged"
                << load.acknowledgedCount() << "statuses" << load.statuses();

        // Every 2xx stands for an entry, each once.
        const QList<QByteArray> stored = idsInLists(m_redis, { Dlq });
        const QSet<QByteArray> storedSet(stored.begin(), stored.end());
        QCOMPARE(stored.size(), storedSet.size());
        for (const QByteArray &id : load.acknowledged())
            QVERIFY2(storedSet.contains(id), id.constData());

        // The events of every thread arrive here, one per answered delivery.
        QTRY_COMPARE_WITH_TIMEOUT(quint64(events), lanes->counters().received, WaitMs);

        // /metrics on any thread: the sum of all (each scrape on a fresh connection, so several
        // threads answer them) and the engine's part (read on the engine's thread).
        for (int i = 0; i < 8; ++i) {
            const QByteArray text = get(port, "/metrics");
            QVERIFY2(text.startsWith("HTTP/1.1 200"), text.constData());
            quint64 sum = 0;
            for (int lane = 0; lane < Threads; ++lane)
                sum += sampleValue(text,
                                   "redrive_receiver_thread_responses_total{thread=\""
                                       + QByteArray::number(lane) + "\"}");
            QVERIFY2(sum >= quint64(load.acknowledgedCount()), text.constData());
            QVERIFY2(sampleValue(text, "redrive_receiver_deliveries_total{outcome=\"deferred\"}")
                         >= quint64(load.acknowledgedCount()),
                     text.constData());
            QVERIFY2(text.contains("\nredrive_build_info{"), text.constData());
            QVERIFY2(text.contains("\nredrive_redis_up 1\n"), text.constData());
        }
        QVERIFY(get(port, "/healthz").startsWith("HTTP/1.1 200"));

        bool shutDown = false;
        engine.shutdown([&shutDown] { shutDown = true; });
        QTRY_VERIFY_WITH_TIMEOUT(shutDown, WaitMs);
        QVERIFY(!engine.isRunning());
    }

    // Shut down while deliveries are in progress on every thread: each one is either answered
    // 2xx and stored, or not answered 2xx at all (the sender sends it again).
    void shutdownUnderLoadLosesNothingAcknowledged()
    {
        Engine engine(config(true));
        QString error;
        QVERIFY2(engine.start({}, &error), qPrintable(error));
        const quint16 port = engine.receiver()->port();
        LoadGenerator load("rtq", Connections, /*pauseMs=*/0);
        bool shutDown = false;
        int inFlight = -1;
        load.interruptWhenInFlight(400, 8, [&] {
            inFlight = load.inFlight();
            engine.shutdown([&shutDown] { shutDown = true; });
        });
        load.start(port);
        QTRY_VERIFY_WITH_TIMEOUT(shutDown, WaitMs);
        // What was answered before the sockets closed is read; the rest is unanswered.
        QTRY_COMPARE_WITH_TIMEOUT(load.inFlight(), 0, WaitMs);
        load.stop();

        const QList<QByteArray> stored = idsInLists(m_redis, { Dlq });
        const QSet<QByteArray> storedSet(stored.begin(), stored.end());
        int lost = 0;
        for (const QByteArray &id : load.acknowledged()) {
            if (!storedSet.contains(id)) {
                ++lost;
                qWarning("acknowledged but not stored: %s", id.constData());
            }
        }
        qInfo("sent %d, acknowledged %d, stored %d, %d in flight at the shutdown, statuses %s",
              load.sent(), load.acknowledgedCount(), int(stored.size()), inFlight,
              qPrintable(QDebug::toString(load.statuses())));
        QVERIFY(inFlight > 0);
        QCOMPARE(lost, 0);
        QCOMPARE(stored.size(), storedSet.size());
    }

private:
    EngineConfig config(bool sharePort) const
    {
        EngineConfig config;
        config.redisUrl = m_redis.url();
        config.dataDirectory = m_home.path();
        config.workerEnabled = false;
        config.simulateFailure = QStringLiteral("always"); // every delivery is an LPUSH
        config.receiver.port = 0;
        config.receiver.threads = Threads;
        config.receiverSharesPort = sharePort;
        return config;
    }

    RedisServer m_redis;
    QTemporaryDir m_home;
};

QTEST_GUILESS_MAIN(TestReceiverThreads)
#include "tst_receiverthreads.moc"
