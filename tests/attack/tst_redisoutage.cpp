// SPDX-License-Identifier: MIT
// Redis goes away while deliveries keep coming: killed for 2 s, killed for 10 s, paused
// (SIGSTOP) for 7 s. Every answer is a 2xx or a 503, none waits much past the receiver's 5 s
// write timeout, the receiver survives, every 2xx is in Redis afterwards, and deliveries get 2xx
// again once Redis is back. Redis runs with "appendonly yes, appendfsync always": a write it
// confirmed survives its SIGKILL, as it would survive a crash of a Redis configured so.
#include "tests/attack/attackkit.h"
#include "tests/support/redisserver.h"
#include "tests/support/redriveprocess.h"
#include "tests/support/testenv.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace redrive::tests;

namespace {

constexpr int WaitMs = 30000;
// The receiver answers 503 to a write Redis has not confirmed within 5 s (ReceiverConfig); an
// answer that takes this much longer is a hang, not a slow machine.
constexpr qint64 WriteTimeoutMs = 5000;
constexpr qint64 HangMarginMs = 10000;
// Liveness bound for the first 2xx once Redis answers again (the documented figure is about a
// second; this bound only catches a receiver that does not come back).
constexpr int BackWithinMs = 15000;
const QByteArray Dlq = "genesys_webhook_dlq";

enum class Outage { Killed, Paused };

const QStringList Durable { QStringLiteral("--appendonly"), QStringLiteral("yes"),
                            QStringLiteral("--appendfsync"), QStringLiteral("always") };

} // namespace

class TestRedisOutage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(redriveBinary()), "REDRIVE_BINARY not built");
        QVERIFY(m_home.isValid());
    }

    void cleanup()
    {
        if (m_redis.pid() > 0)
            ::kill(pid_t(m_redis.pid()), SIGCONT);
        m_redis.stop();
    }

    void underLoad_data()
    {
        QTest::addColumn<int>("outage");
        QTest::addColumn<int>("durationMs");
        QTest::newRow("killed 2 s") << int(Outage::Killed) << 2000;
        QTest::newRow("killed 10 s") << int(Outage::Killed) << 10000;
        QTest::newRow("paused 7 s") << int(Outage::Paused) << 7000;
    }

    void underLoad()
    {
        QFETCH(int, outage);
        QFETCH(int, durationMs);
        QVERIFY2(m_redis.start(Durable), qPrintable(m_redis.errorString()));
        m_redis.flushAll();
        RedriveProcess redrive;
        redrive.start(m_home.path(),
                      { QStringLiteral("--headless"), QStringLiteral("--no-worker"),
                        QStringLiteral("--simulate-failure"), QStringLiteral("always"),
                        QStringLiteral("--redis"), m_redis.url(), QStringLiteral("--listen"),
                        QStringLiteral("127.0.0.1:0") });
        const QUrl url = redrive.receiverUrl(WaitMs);
        QVERIFY2(url.isValid(), redrive.log.constData());

        LoadGenerator load("ro" + QByteArray(1, char('a' + ++m_round)), 4, 20);
        load.start(quint16(url.port()));
        QTRY_VERIFY2_WITH_TIMEOUT(load.acknowledgedCount() >= 20, redrive.readLog().constData(),
                                  WaitMs);

        // The outage; its length is the scenario, not a wait for a condition.
        if (Outage(outage) == Outage::Killed) {
            m_redis.kill();
            QTest::qWait(durationMs);
            QVERIFY2(m_redis.start(Durable), qPrintable(m_redis.errorString()));
        } else {
            QVERIFY(::kill(pid_t(m_redis.pid()), SIGSTOP) == 0);
            QTest::qWait(durationMs);
            QVERIFY(::kill(pid_t(m_redis.pid()), SIGCONT) == 0);
        }
        // Redis answers PING again (start() waited for it; a paused one answers at once).
        QCOMPARE(m_redis.command({ "PING" }).toByteArray(), QByteArray("PONG"));
        const qint64 back = load.now();
        QTRY_VERIFY2_WITH_TIMEOUT(load.firstAcknowledgedSince(back) >= 0,
                                  redrive.readLog().constData(), BackWithinMs);
        const qint64 firstAcknowledged = load.firstAcknowledgedSince(back) - back;
        // A few more, so that the answers to requests sent during the outage are all in.
        const int before = load.acknowledgedCount();
        QTRY_VERIFY_WITH_TIMEOUT(load.acknowledgedCount() >= before + 20, WaitMs);
        const int unanswered = load.unanswered();
        const qint64 longestWait = load.longestWaitMs();
        load.stop();

        QVERIFY2(redrive.isRunning(), redrive.readLog().constData());
        const QList<QByteArray> stored = idsInLists(m_redis, { Dlq });
        const QSet<QByteArray> storedSet(stored.begin(), stored.end());
        int lost = 0;
        for (const QByteArray &id : load.acknowledged())
            lost += !storedSet.contains(id);
        const QMap<int, int> &statuses = load.statuses();
        qInfo("%s: sent %d, 2xx %d, 503 %d, other %d, unanswered %d, lost %d; longest wait for "
              "an answer %lld ms; first 2xx %lld ms after Redis answered again",
              QTest::currentDataTag(), load.sent(), load.acknowledgedCount(),
              statuses.value(503), int(load.answered() - load.acknowledgedCount()
                                       - statuses.value(503)),
              unanswered, lost, longestWait, firstAcknowledged);
        for (auto it = statuses.begin(); it != statuses.end(); ++it)
            QVERIFY2((it.key() >= 200 && it.key() < 300) || it.key() == 503,
                     qPrintable(QStringLiteral("%1 answered %2").arg(it.value()).arg(it.key())));
        QVERIFY2(statuses.value(503) > 0, "the outage was not seen"); // the test can fail
        QCOMPARE(unanswered, 0);
        QVERIFY2(longestWait < WriteTimeoutMs + HangMarginMs,
                 qPrintable(QStringLiteral("an answer took %1 ms").arg(longestWait)));
        QCOMPARE(lost, 0);
        QVERIFY2(redrive.terminate(WaitMs), redrive.log.constData());
    }

private:
    RedisServer m_redis;
    QTemporaryDir m_home;
    int m_round = 0;
};

QTEST_GUILESS_MAIN(TestRedisOutage)
#include "tst_redisoutage.moc"
