// SPDX-License-Identifier: MIT
// Receiver killed with SIGKILL under load, five times, restarted on the same port each time: every
// delivery answered 2xx is in the DLQ afterwards. Four receiver threads, each with its own
// listening socket and Redis connection: a kill lands on all of them at once. Every delivery is deferred to the DLQ
// (--simulate-failure always), so each 2xx stands for an LPUSH Redis confirmed.
#include "tests/attack/attackkit.h"
#include "tests/support/redisserver.h"
#include "tests/support/redriveprocess.h"
#include "tests/support/testenv.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <algorithm>

using namespace redrive::tests;

namespace {
constexpr int WaitMs = 30000;
constexpr int Rounds = 5;
constexpr int Connections = 32;
const QByteArray Dlq = "genesys_webhook_dlq";
} // namespace

class TestReceiverKill : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(QFile::exists(redriveBinary()), "REDRIVE_BINARY not built");
        QVERIFY2(m_redis.start(), qPrintable(m_redis.errorString()));
        QVERIFY(m_home.isValid());
    }

    void killedUnderLoadLosesNothingAcknowledged()
    {
        quint16 port = 0;
        for (int round = 1; round <= Rounds; ++round) {
            RedriveProcess redrive;
            redrive.start(m_home.path(),
                          { QStringLiteral("--headless"), QStringLiteral("--no-worker"),
                            QStringLiteral("--simulate-failure"), QStringLiteral("always"),
                            QStringLiteral("--receiver-threads"), QStringLiteral("4"),
                            QStringLiteral("--redis"), m_redis.url(), QStringLiteral("--listen"),
                            QStringLiteral("127.0.0.1:%1").arg(port) });
            const QUrl url = redrive.receiverUrl(WaitMs);
            QVERIFY2(url.isValid(), redrive.log.constData());
            if (port == 0)
                port = quint16(url.port());
            QCOMPARE(url.port(), int(port)); // the same port every round

            const QByteArray tag = "rk" + QByteArray(1, char('a' + round));
            LoadGenerator load(tag, Connections, /*pauseMs=*/0);
            // Under load: a good number answered, then the kill lands 0-4 ms (a different delay
            // each round) after a request was sent: the receiver is at a different point of its
            // work each round. No condition sampled from outside decides when.
            int inFlight = -1;
            load.interruptWhenInFlight(40, 1, [&] {
                QTimer::singleShot(round - 1, Qt::PreciseTimer, &load, [&] {
                    inFlight = load.inFlight();
                    redrive.kill();
                });
            });
            load.start(port);
            QTRY_VERIFY2_WITH_TIMEOUT(inFlight >= 0, redrive.readLog().constData(), WaitMs);
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
            // Stored without an answer: the kill came between Redis' confirmation and the
            // answer. The sender sends it again: a duplicate, never a loss.
            const auto storedThisRound
                = std::count_if(stored.begin(), stored.end(), [&tag](const QByteArray &id) {
                      return id.startsWith("atk" + tag + 'n');
                  });
            qInfo(
                "round %d: sent %d, acknowledged %d, stored %d, lost %d; %d in flight at the kill",
                round, load.sent(), load.acknowledgedCount(), int(storedThisRound), lost, inFlight);
            QCOMPARE(lost, 0);
            QVERIFY(load.acknowledgedCount() > 0);
            // No delivery is stored twice: each id is in the DLQ once.
            QCOMPARE(stored.size(), storedSet.size());
        }
    }

private:
    RedisServer m_redis;
    QTemporaryDir m_home;
};

QTEST_GUILESS_MAIN(TestReceiverKill)
#include "tst_receiverkill.moc"
