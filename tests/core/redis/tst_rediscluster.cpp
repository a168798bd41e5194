// SPDX-License-Identifier: MIT
// Redis Cluster against real processes: three primaries made by `redis-cli --cluster create`.
#include "core/redis/redishashslot.h"
#include "tests/support/rediscluster.h"

#include <QRandomGenerator>
#include <QTest>

using namespace redrive::core;
using namespace redrive::tests;

class TestRedisCluster : public QObject
{
    Q_OBJECT

    RedisCluster m_cluster;

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_cluster.start(3), qPrintable(m_cluster.errorString())); }

    void hashSlotsAreRedisOwn()
    {
        // Random keys, with and without tags, braces in odd places: the slot Redrive computes is
        // the one the cluster computes.
        QList<QByteArray> keys { "{genesys}:webhook_dlq", "a{}b", "{}", "{", "}{x}", "x{{y}}" };
        auto *random = QRandomGenerator::global();
        const QByteArray alphabet = "ab{}:_-x";
        for (int i = 0; i < 300; ++i) {
            QByteArray key;
            const int length = int(random->bounded(1, 16));
            for (int j = 0; j < length; ++j)
                key.append(alphabet.at(int(random->bounded(alphabet.size()))));
            keys.append(key);
        }
        for (const QByteArray &key : keys) {
            const qlonglong slot
                = m_cluster.node(1).command({ "CLUSTER", "KEYSLOT", key }).toLongLong();
            QVERIFY2(redisHashSlot(key) == slot, key.constData());
        }
    }

    void slotMovesFromNodeToNode()
    {
        const int slot = redisHashSlot("fixture");
        const int from = m_cluster.ownerOf(slot);
        QVERIFY(from >= 0);
        const int to = (from + 1) % m_cluster.size();
        for (int i = 0; i < 5; ++i) {
            const QByteArray key = "{fixture}:" + QByteArray::number(i);
            QCOMPARE(m_cluster.node(from).command({ "SET", key, "v" }).toByteArray(),
                     QByteArray("OK"));
        }
        QVERIFY2(m_cluster.moveSlot(slot, from, to), qPrintable(m_cluster.errorString()));
        QCOMPARE(m_cluster.ownerOf(slot, from), to);
        QCOMPARE(m_cluster.node(to).command({ "GET", "{fixture}:3" }).toByteArray(),
                 QByteArray("v"));
        QVERIFY(m_cluster.node(from)
                    .command({ "GET", "{fixture}:3" })
                    .toString()
                    .startsWith(
                        QStringLiteral("MOVED %1 127.0.0.1:%2").arg(slot).arg(m_cluster.port(to))));
    }
};

QTEST_GUILESS_MAIN(TestRedisCluster)
#include "tst_rediscluster.moc"
