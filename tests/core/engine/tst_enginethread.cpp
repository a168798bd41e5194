// SPDX-License-Identifier: MIT
// The engine on its own thread: while the thread that made it (the GUI thread in the console)
// is blocked, deliveries over real HTTP are still answered, and stored in a real redis-server
// before each answer. With the engine on the GUI thread, no answer could come during the block.
#include "core/engine/enginethread.h"
#include "tests/support/redisserver.h"
#include "tests/support/testenv.h"

#include <QElapsedTimer>
#include <QSignalSpy>
#include <QTest>

#include <arpa/inet.h>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <netinet/in.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace redrive;

namespace {

// A keep-alive HTTP client on a thread of its own (plain blocking sockets: it must not depend
// on the blocked thread's event loop), posting one delivery after the other.
class DeliveryClient
{
public:
    DeliveryClient(quint16 port, QByteArray path, QByteArray body)
        : m_port(port)
        , m_path(std::move(path))
        , m_body(std::move(body))
    { }
    ~DeliveryClient() { stop(); }

    void start()
    {
        m_thread = std::thread([this] { run(); });
    }
    void stop()
    {
        m_stop = true;
        if (m_thread.joinable())
            m_thread.join();
    }
    // While set, answers to requests sent after it was set are counted as "during the block".
    void setBlocked(bool blocked) { m_blocked = blocked; }
    // Waits (without an event loop) until `done()` holds or `timeoutMs` passed.
    bool waitUntil(const std::function<bool()> &done, int timeoutMs)
    {
        std::unique_lock lock(m_mutex);
        return m_changed.wait_for(lock, std::chrono::milliseconds(timeoutMs), done);
    }

    std::atomic<int> answered { 0 };
    std::atomic<int> answeredDuringBlock { 0 };
    std::atomic<int> failures { 0 };
    QByteArray lastFailure; // written by the client thread before it ends

private:
    void run()
    {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        timeval timeout { 120, 0 }; // a generous bound: the test ends even on a dead engine
        ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        sockaddr_in address {};
        address.sin_family = AF_INET;
        address.sin_port = htons(m_port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
            fail("connect failed");
            ::close(fd);
            return;
        }
        const QByteArray request = "POST " + m_path
            + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
              "Content-Length: "
            + QByteArray::number(m_body.size()) + "\r\n\r\n" + m_body;
        while (!m_stop) {
            const bool sentDuringBlock = m_blocked;
            if (!sendAll(fd, request)) {
                fail("send failed");
                break;
            }
            QByteArray answer;
            if (!readAnswer(fd, &answer)) {
                fail("no answer: " + answer);
                break;
            }
            if (!answer.startsWith("HTTP/1.1 200") || !answer.contains("deferred_to_dlq")) {
                fail(answer);
                break;
            }
            {
                std::lock_guard lock(m_mutex);
                ++answered;
                if (sentDuringBlock && m_blocked)
                    ++answeredDuringBlock;
            }
            m_changed.notify_all();
        }
        ::close(fd);
    }
    void fail(const QByteArray &what)
    {
        {
            std::lock_guard lock(m_mutex);
            lastFailure = what;
            ++failures;
        }
        m_changed.notify_all();
    }
    static bool sendAll(int fd, const QByteArray &data)
    {
        qsizetype sent = 0;
        while (sent < data.size()) {
            const ssize_t n
                = ::send(fd, data.constData() + sent, size_t(data.size() - sent), MSG_NOSIGNAL);
            if (n <= 0)
                return false;
            sent += n;
        }
        return true;
    }
    static bool readAnswer(int fd, QByteArray *answer)
    {
        char buffer[4096];
        qsizetype expected = -1;
        while (expected < 0 || answer->size() < expected) {
            const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
            if (n <= 0)
                return false;
            answer->append(buffer, n);
            const qsizetype headEnd = answer->indexOf("\r\n\r\n");
            if (expected < 0 && headEnd >= 0) {
                const QByteArray head = answer->left(headEnd).toLower();
                const qsizetype at = head.indexOf("content-length:");
                if (at < 0)
                    return false;
                const qsizetype end = head.indexOf("\r\n", at);
                expected = headEnd + 4
                    + head.mid(at + 15, end < 0 ? -1 : end - at - 15).trimmed().toLongLong();
            }
        }
        return true;
    }

    quint16 m_port;
    QByteArray m_path;
    QByteArray m_body;
    std::thread m_thread;
    std::atomic<bool> m_stop { false };
    std::atomic<bool> m_blocked { false };
    std::mutex m_mutex;
    std::condition_variable m_changed;
};

} // namespace

class TestEngineThread : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void answersWhileTheGuiThreadIsBlocked();
    void statusAndReceiverSwitchCrossThreads();

private:
    // A started engine on m_redis: the receiver on a free port, every delivery "failing"
    // downstream, so each is LPUSHed to the DLQ before it is answered.
    std::unique_ptr<core::EngineThread> startEngine();

    tests::RedisServer m_redis;
};

void TestEngineThread::initTestCase()
{
    QVERIFY2(m_redis.start(), qPrintable(m_redis.errorString()));
}

std::unique_ptr<core::EngineThread> TestEngineThread::startEngine()
{
    core::EngineConfig config;
    config.redisUrl = m_redis.url();
    config.receiver.address = QHostAddress::LocalHost;
    config.receiver.port = 0;
    config.workerEnabled = false; // the entries stay where the receiver put them
    config.simulateFailure = QStringLiteral("always");
    auto engine = std::make_unique<core::EngineThread>(config);
    QSignalSpy started(engine.get(), &core::EngineThread::started);
    engine->start({}, true);
    if ((started.isEmpty() && !started.wait(60000)) || !started.constFirst().at(0).toBool()) {
        qWarning() << "engine did not start:" << started;
        return nullptr;
    }
    return engine;
}

void TestEngineThread::answersWhileTheGuiThreadIsBlocked()
{
    m_redis.flushAll();
    std::unique_ptr<core::EngineThread> engine = startEngine();
    QVERIFY(engine);
    QTRY_VERIFY_WITH_TIMEOUT(engine->status().redis == core::EngineStatus::Redis::Ready, 60000);
    const QUrl url(engine->status().receiverUrl);
    QVERIFY2(url.port() > 0, qPrintable(url.toString()));

    DeliveryClient client(quint16(url.port()), url.path().toUtf8(), tests::sampleNotification());
    client.start();
    // Deliveries flow (this thread's event loop turning).
    QTRY_VERIFY_WITH_TIMEOUT(client.answered >= 5 || client.failures > 0, 60000);
    QVERIFY2(client.failures == 0, client.lastFailure.constData());

    // Block this thread — the GUI thread in the console — for 3 s: no event of its own runs.
    // It stays blocked longer if the machine is so loaded that few answers came by then.
    const int before = client.answered;
    client.setBlocked(true);
    QElapsedTimer blocked;
    blocked.start();
    client.waitUntil([&] { return client.failures > 0 || blocked.elapsed() >= 3000; }, 3500);
    client.waitUntil([&] { return client.failures > 0 || client.answeredDuringBlock >= 20; },
                     60000);
    client.setBlocked(false);
    const qint64 blockedMs = blocked.elapsed();
    const int during = client.answeredDuringBlock;
    client.stop();
    QVERIFY2(client.failures == 0, client.lastFailure.constData());
    qInfo("%d deliveries answered while this thread was blocked for %lld ms (%d before, %d in "
          "all)",
          during, blockedMs, before, int(client.answered));
    QVERIFY2(during >= 20, "deliveries were not answered while the GUI thread was blocked");
    // Each answer came after Redis confirmed its entry.
    QCOMPARE(m_redis.llen("genesys_webhook_dlq"), qlonglong(client.answered));
}

// What the console sees of the engine arrives on its own thread as values: the status after a
// switch of the receiver, and each delivery handled.
void TestEngineThread::statusAndReceiverSwitchCrossThreads()
{
    m_redis.flushAll();
    std::unique_ptr<core::EngineThread> engine = startEngine();
    QVERIFY(engine);
    QVERIFY(engine->status().receiverEnabled);
    QVERIFY(!engine->status().receiverUrl.isEmpty());
    QVERIFY(!engine->status().retriesRunning);
    QVERIFY(engine->consoleStore());
    QCOMPARE(engine->consoleStore()->thread(), engine->engineThread());
    QTRY_VERIFY_WITH_TIMEOUT(engine->status().redis == core::EngineStatus::Redis::Ready, 60000);

    QSignalSpy deliveries(engine.get(), &core::EngineThread::deliveryHandled);
    const QUrl url(engine->status().receiverUrl);
    DeliveryClient client(quint16(url.port()), url.path().toUtf8(), tests::sampleNotification());
    client.start();
    QTRY_VERIFY_WITH_TIMEOUT(client.answered >= 3 || client.failures > 0, 60000);
    client.stop();
    QVERIFY2(client.failures == 0, client.lastFailure.constData());
    QTRY_COMPARE_WITH_TIMEOUT(deliveries.size(), int(client.answered), 30000);
    const auto event = deliveries.constFirst().at(0).value<core::DeliveryEvent>();
    QCOMPARE(event.outcome, core::DeliveryEvent::Outcome::Deferred);

    QSignalSpy status(engine.get(), &core::EngineThread::statusChanged);
    engine->setReceiverListening(false);
    QTRY_VERIFY_WITH_TIMEOUT(engine->status().receiverUrl.isEmpty(), 30000);
    engine->setReceiverListening(true);
    QTRY_VERIFY_WITH_TIMEOUT(!engine->status().receiverUrl.isEmpty(), 30000);
    QVERIFY(status.size() >= 2);

    QSignalSpy down(engine.get(), &core::EngineThread::shutDown);
    engine->shutdown();
    QVERIFY(down.wait(30000));
    QVERIFY(!engine->status().running);
}

QTEST_GUILESS_MAIN(TestEngineThread)
#include "tst_enginethread.moc"
