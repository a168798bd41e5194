// SPDX-License-Identifier: MIT
// Garbage in the lists: elements that are not JSON, JSON without original_payload, 5 MB
// elements, binary bytes, and the DLQ key holding a string or a hash instead of a list. The
// retry worker (a real process) and the console's queue store neither crash nor spin, and every
// garbage element is set aside byte for byte in the permanent-failure list.
#include "core/queue/queuekeys.h"
#include "core/queue/queuestore.h"
#include "core/queue/queuewatcher.h"
#include "core/redis/redisconnection.h"
#include "core/redis/redisendpoint.h"
#include "tests/attack/attackkit.h"
#include "tests/support/redisserver.h"
#include "tests/support/redriveprocess.h"
#include "tests/support/testenv.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <optional>
#include <sys/resource.h>

using namespace redrive::tests;
using redrive::core::PageResult;
using redrive::core::QueueError;
using redrive::core::QueueKeys;
using redrive::core::QueueStore;
using redrive::core::QueueWatcher;
using redrive::core::RedisConnection;
using redrive::core::RedisEndpoint;

namespace {

constexpr int WaitMs = 30000;
constexpr int WindowMs = 3000; // CPU measurement window
constexpr double BusyShare = 0.5; // a hot loop takes a whole core; idle is well under 1 %
const QByteArray Dlq = "genesys_webhook_dlq";
const QByteArray Permanent = "genesys_webhook_permanent_failures";

QList<QByteArray> garbage()
{
    QByteArray binary;
    for (int i = 0; i < 256; ++i)
        binary.append(char(i));
    QByteArray bigJson = "{\"error_message\":\"" + QByteArray(5 * 1024 * 1024, 'j') + "\"}";
    return { QByteArrayLiteral("this is not json"),
             QByteArrayLiteral("{\"error_message\":\"down\",\"retry_count\":0}"),
             QByteArrayLiteral("{\"original_payload\":"),
             QByteArrayLiteral("[1,2,3]"),
             QByteArrayLiteral("\"a string\""),
             QByteArray(),
             binary,
             QByteArray(5 * 1024 * 1024, 'x'),
             bigJson };
}

QByteArray validEntry(int n)
{
    return "{\"original_payload\":" + taggedPayload(taggedId("lg", n))
        + ",\"error_message\":\"down\",\"status_code\":503,\"timestamp\":\"2026-01-01T00:00:00\","
          "\"retry_count\":0}";
}

// CPU time of this process so far, in seconds.
double ownCpuSeconds()
{
    rusage usage {};
    ::getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Share of a core `cpu` (a clock of CPU seconds) used over WindowMs, with the event loop running.
template<typename Clock>
double busyShare(Clock cpu)
{
    const double before = cpu();
    QElapsedTimer wall;
    wall.start();
    QTest::qWait(WindowMs); // a measurement window, not a wait for a condition
    return (cpu() - before) / (double(wall.elapsed()) / 1000.0);
}

} // namespace

class TestListGarbage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(redriveBinary()), "REDRIVE_BINARY not built");
        QVERIFY2(m_redis.start(), qPrintable(m_redis.errorString()));
        QVERIFY(m_home.isValid());
    }

    void workerSetsGarbageAsideAndDoesNotSpin()
    {
        m_redis.flushAll();
        const QList<QByteArray> junk = garbage();
        for (const QByteArray &element : junk)
            m_redis.lpush(Dlq, element);
        m_redis.lpush(Dlq, validEntry(1));
        FakeDownstream downstream;
        downstream.delayMs = 0;
        QVERIFY(downstream.listen());
        RedriveProcess worker;
        startWorker(&worker, downstream.port());

        // The valid entry is delivered, the garbage is set aside as it was.
        QTRY_VERIFY2_WITH_TIMEOUT(m_redis.llen(Dlq) == 0 && downstream.answered() == 1
                                      && m_redis.llen(Permanent) == junk.size(),
                                  worker.readLog().constData(), WaitMs);
        QList<QByteArray> setAside = m_redis.lrange(Permanent);
        QList<QByteArray> expected = junk;
        std::sort(setAside.begin(), setAside.end());
        std::sort(expected.begin(), expected.end());
        QCOMPARE(setAside.size(), expected.size());
        for (qsizetype i = 0; i < expected.size(); ++i)
            QVERIFY2(setAside.at(i) == expected.at(i), qPrintable(QString::number(i)));
        QCOMPARE(receiptsOf(downstream).first().id, taggedId("lg", 1));

        const double share = busyShare([&] { return worker.cpuSeconds(); });
        qInfo("worker after setting %d garbage elements aside: %.1f %% of a core",
              int(junk.size()), share * 100.0);
        QVERIFY2(share < BusyShare, qPrintable(QString::number(share * 100.0)));
        QVERIFY2(worker.terminate(WaitMs), worker.log.constData());
    }

    void workerWithTheDlqKeyOfAnotherType_data()
    {
        QTest::addColumn<QList<QByteArray>>("write");
        QTest::addColumn<QList<QByteArray>>("read");
        QTest::newRow("string") << QList<QByteArray> { "SET", Dlq, "not a list" }
                                << QList<QByteArray> { "GET", Dlq };
        QTest::newRow("hash") << QList<QByteArray> { "HSET", Dlq, "field", "value" }
                              << QList<QByteArray> { "HGET", Dlq, "field" };
        QTest::newRow("set") << QList<QByteArray> { "SADD", Dlq, "member" }
                             << QList<QByteArray> { "SMEMBERS", Dlq };
    }

    void workerWithTheDlqKeyOfAnotherType()
    {
        QFETCH(QList<QByteArray>, write);
        QFETCH(QList<QByteArray>, read);
        m_redis.flushAll();
        m_redis.command(write);
        const QVariant before = m_redis.command(read);
        FakeDownstream downstream;
        downstream.delayMs = 0;
        QVERIFY(downstream.listen());
        RedriveProcess worker;
        startWorker(&worker, downstream.port());
        QVERIFY2(worker.waitFor("serving /healthz", WaitMs), worker.log.constData());

        const double share = busyShare([&] { return worker.cpuSeconds(); });
        worker.readLog();
        qInfo("worker with a %s under the DLQ key: %.1f %% of a core, %d log lines",
              QTest::currentDataTag(), share * 100.0, int(worker.log.count('\n')));
        QVERIFY2(worker.isRunning(), worker.log.constData());
        QVERIFY2(share < BusyShare, qPrintable(QString::number(share * 100.0)));
        // Said once, not every second it tries again.
        QVERIFY2(worker.log.count("claim failed: WRONGTYPE") == 1, worker.log.constData());
        QCOMPARE(m_redis.command(read), before); // left alone

        // A list again: the worker takes entries as if nothing had happened.
        m_redis.command({ "DEL", Dlq });
        m_redis.lpush(Dlq, validEntry(2));
        QTRY_VERIFY2_WITH_TIMEOUT(downstream.answered() == 1 && m_redis.llen(Dlq) == 0,
                                  worker.readLog().constData(), WaitMs);
        QVERIFY2(worker.waitFor("claims work again", WaitMs), worker.log.constData());
        QVERIFY2(worker.terminate(WaitMs), worker.log.constData());
    }

    // The console's side: pages show garbage raw, a key of another type is an error to show,
    // and the watcher that refreshes the view does not spin over either.
    void queueStoreShowsGarbageAndDoesNotSpin()
    {
        m_redis.flushAll();
        const QList<QByteArray> junk = garbage();
        for (const QByteArray &element : junk)
            m_redis.lpush(Permanent, element);
        m_redis.command({ "HSET", Dlq, "field", "value" });

        RedisEndpoint endpoint;
        QString error;
        QVERIFY2(RedisEndpoint::parse(m_redis.url(), &endpoint, &error), qPrintable(error));
        RedisConnection connection(endpoint, QStringLiteral("attack-console"));
        connection.open();
        QTRY_VERIFY_WITH_TIMEOUT(connection.isReady(), WaitMs);
        const QueueKeys keys;
        QueueStore store(&connection, keys);
        QueueWatcher watcher(&connection, endpoint, keys);
        int changes = 0;
        connect(&watcher, &QueueWatcher::changed, this, [&changes] { ++changes; });
        watcher.start();

        std::optional<PageResult> page;
        store.page(QueueStore::List::PermanentFailures, 0, 50, this,
                   [&page](const PageResult &result) { page = result; });
        QTRY_VERIFY_WITH_TIMEOUT(page.has_value(), WaitMs);
        QCOMPARE(page->code, QueueError::None);
        QCOMPARE(page->entries.size(), junk.size());
        for (qsizetype i = 0; i < junk.size(); ++i) {
            // Newest first: the last pushed is the first shown.
            const auto &entry = page->entries.at(i);
            QVERIFY(entry.raw() == junk.at(junk.size() - 1 - i));
            QVERIFY2(!entry.problem().isEmpty(), qPrintable(QString::number(i)));
        }

        page.reset();
        store.page(QueueStore::List::DeadLetter, 0, 50, this,
                   [&page](const PageResult &result) { page = result; });
        QTRY_VERIFY_WITH_TIMEOUT(page.has_value(), WaitMs);
        QCOMPARE(page->code, QueueError::Redis);
        QVERIFY2(page->error.contains(QLatin1String("WRONGTYPE")), qPrintable(page->error));

        const double share = busyShare(ownCpuSeconds);
        qInfo("queue store and watcher over garbage and a hash under the DLQ key: %.1f %% of a "
              "core, %d change events",
              share * 100.0, changes);
        QVERIFY2(share < BusyShare, qPrintable(QString::number(share * 100.0)));
        QCOMPARE(m_redis.command({ "HGET", Dlq, "field" }).toByteArray(), QByteArray("value"));
        QCOMPARE(m_redis.llen(Permanent), junk.size());
        watcher.stop();
    }

private:
    void startWorker(RedriveProcess *worker, quint16 downstreamPort)
    {
        worker->start(m_home.path(),
                      { QStringLiteral("--headless"), QStringLiteral("--worker-only"),
                        QStringLiteral("--redis"), m_redis.url(), QStringLiteral("--downstream"),
                        QStringLiteral("http://127.0.0.1:%1/hook").arg(downstreamPort),
                        QStringLiteral("--admin-listen"), QStringLiteral("127.0.0.1:0") });
    }

    RedisServer m_redis;
    QTemporaryDir m_home;
};

QTEST_GUILESS_MAIN(TestListGarbage)
#include "tst_listgarbage.moc"
