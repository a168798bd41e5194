// SPDX-License-Identifier: MIT
// Redis Cluster against real processes: three primaries with a replica each, made by
// `redis-cli --cluster create`.
#include "core/redis/clusterlocator.h"
#include "core/redis/redisconnection.h"
#include "core/redis/redishashslot.h"
#include "tests/support/rediscluster.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QSet>
#include <QTest>
#include <QTimer>

#include <memory>

using namespace redrive::core;
using namespace redrive::tests;

class TestRedisCluster : public QObject
{
    Q_OBJECT

    RedisCluster m_cluster;

    // A connection to the owner of the slot of `tag`, from seeds `url`.
    std::unique_ptr<RedisConnection> connectTo(const QString &url, const QByteArray &tag)
    {
        RedisEndpoint endpoint;
        QString error;
        if (!RedisEndpoint::parse(url, &endpoint, &error))
            qFatal("%s", qPrintable(error));
        endpoint.clusterSlot = redisHashSlot(tag);
        auto connection = std::make_unique<RedisConnection>(endpoint, QStringLiteral("test"));
        connection->open();
        return connection;
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_cluster.start(3, 1), qPrintable(m_cluster.errorString())); }

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

    // rediss+cluster://: the seeds, the slot map (CLUSTER SHARDS names each node's TLS port) and
    // the slot's owner over TLS; a MOVED for a key of another slot is followed there, over TLS.
    void overTls()
    {
        RedisCluster cluster;
        QVERIFY2(cluster.start(3, 0, true), qPrintable(cluster.errorString()));
        QVERIFY(cluster.url().startsWith(QLatin1String("rediss+cluster://")));
        RedisEndpoint endpoint;
        QString error;
        QVERIFY2(RedisEndpoint::parse(cluster.url(), &endpoint, &error), qPrintable(error));
        QVERIFY(endpoint.tls);
        endpoint.tlsCaFile = cluster.tlsFile(QStringLiteral("ca.pem"));
        endpoint.clusterSlot = redisHashSlot("{tls}");
        RedisConnection connection(endpoint, QStringLiteral("test-tls"));
        connection.open();
        QTRY_VERIFY_WITH_TIMEOUT(connection.isReady(), 60000);
        const int owner = cluster.ownerOf(redisHashSlot("{tls}"));
        QVERIFY(owner >= 0);
        QCOMPARE(connection.serverAddress(),
                 QStringLiteral("127.0.0.1:%1").arg(cluster.node(owner).tlsPort()));
        const auto set = [&connection, this](const QByteArray &value) {
            bool answered = false;
            QByteArray text;
            connection.command({ "SET", "{tls}:k", value }, this,
                               [&answered, &text](const RedisReply &reply) {
                                   answered = true;
                                   text = reply.isError() ? reply.errorText().toUtf8()
                                                          : reply.bytes();
                               });
            if (!QTest::qWaitFor([&answered] { return answered; }, 60000))
                return QByteArray("no answer");
            return text;
        };
        QCOMPARE(set("before"), QByteArray("OK"));
        QCOMPARE(cluster.node(owner).command({ "GET", "{tls}:k" }).toByteArray(),
                 QByteArray("before"));
        // The slot moves to another primary: the MOVED names its TLS port, followed.
        const int to = cluster.nextPrimary(owner);
        QVERIFY2(cluster.moveSlot(redisHashSlot("{tls}"), owner, to),
                 qPrintable(cluster.errorString()));
        QCOMPARE(set("after"), QByteArray("OK"));
        QCOMPARE(cluster.node(to).command({ "GET", "{tls}:k" }).toByteArray(),
                 QByteArray("after"));
        QCOMPARE(connection.serverAddress(),
                 QStringLiteral("127.0.0.1:%1").arg(cluster.node(to).tlsPort()));
        QVERIFY(connection.redirectsFollowed() >= 1);
    }

    void slotMovesFromNodeToNode()
    {
        const int slot = redisHashSlot("fixture");
        const int from = m_cluster.ownerOf(slot);
        QVERIFY(from >= 0);
        const int to = m_cluster.nextPrimary(from);
        QVERIFY(to >= 0);
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

    void followsTheSlotWithoutLosingCommands()
    {
        // RPUSHes go out in a steady stream while the slot moves twice; each is answered with
        // the list's new length (no error), and each value is in the list once: none lost,
        // none run twice.
        const QByteArray key = "{moving}:list";
        const int slot = redisHashSlot(key);
        const int from = m_cluster.ownerOf(slot);
        const int to = m_cluster.nextPrimary(from);
        QVERIFY(from >= 0 && to >= 0);
        auto connection = connectTo(m_cluster.url(), key);
        QTRY_VERIFY_WITH_TIMEOUT(connection->isReady(), 30000);

        int sent = 0;
        int answered = 0;
        QStringList errors;
        QTimer sender;
        sender.setInterval(2);
        connect(&sender, &QTimer::timeout, this, [&] {
            for (int i = 0; i < 5; ++i) {
                connection->command({ "RPUSH", key, QByteArray::number(sent++) }, this,
                                    [&](const RedisReply &reply) {
                                        ++answered;
                                        if (reply.isError())
                                            errors.append(reply.errorText());
                                    });
            }
        });
        sender.start();
        QTRY_VERIFY_WITH_TIMEOUT(answered >= 200, 30000);
        QVERIFY2(m_cluster.moveSlot(slot, from, to), qPrintable(m_cluster.errorString()));
        const int afterFirst = sent + 200;
        QTRY_VERIFY_WITH_TIMEOUT(answered >= afterFirst, 30000);
        QVERIFY2(m_cluster.moveSlot(slot, to, from), qPrintable(m_cluster.errorString()));
        const int afterSecond = sent + 200;
        QTRY_VERIFY_WITH_TIMEOUT(answered >= afterSecond, 30000);
        sender.stop();
        QTRY_COMPARE_WITH_TIMEOUT(answered, sent, 30000);
        QVERIFY2(errors.isEmpty(), qPrintable(errors.join(QLatin1Char('\n'))));

        const QVariantList values
            = m_cluster.node(from).command({ "LRANGE", key, "0", "-1" }).toList();
        QSet<QByteArray> seen;
        for (const QVariant &value : values) {
            QVERIFY2(!seen.contains(value.toByteArray()), value.toByteArray().constData());
            seen.insert(value.toByteArray());
        }
        QCOMPARE(int(values.size()), sent);
        QVERIFY(connection->redirectsFollowed() > 0);
        QVERIFY(connection->isReady());
        qInfo("%d commands, %d sent again after MOVED/ASK, all answered once", sent,
              connection->redirectsFollowed());
    }

    void locatesTheOwnerPastADeadSeed()
    {
        // The first seed does not answer: the next one tells the slot map.
        const QString url
            = QStringLiteral("redis+cluster://127.0.0.1:1,127.0.0.1:%1").arg(m_cluster.port(2));
        auto connection = connectTo(url, "seed");
        QTRY_VERIFY_WITH_TIMEOUT(connection->isReady(), 30000);
        RedisReply got;
        bool done = false;
        connection->command({ "SET", "{seed}:k", "v" }, this, [&](const RedisReply &reply) {
            got = reply;
            done = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(done, 30000);
        QCOMPARE(got.bytes(), QByteArray("OK"));
        const int owner = m_cluster.ownerOf(redisHashSlot("seed"));
        QCOMPARE(m_cluster.node(owner).command({ "GET", "{seed}:k" }).toByteArray(),
                 QByteArray("v"));
        // Straight to the owner: nothing was redirected.
        QCOMPARE(connection->redirectsFollowed(), 0);
    }

    void aNodeWithoutClusterSupportIsNamed()
    {
        RedisServer plain;
        QVERIFY2(plain.start(), qPrintable(plain.errorString()));
        auto connection
            = connectTo(QStringLiteral("redis+cluster://127.0.0.1:%1").arg(plain.port()), "x");
        QTRY_VERIFY_WITH_TIMEOUT(!connection->lastError().isEmpty(), 30000);
        QVERIFY2(connection->lastError().contains(QLatin1String("not a Redis Cluster node")),
                 qPrintable(connection->lastError()));
    }

    // Last: it kills a primary.
    void followsAFailover()
    {
        // The owner of the slot dies (SIGKILL); its replica takes over after the cluster's node
        // timeout. Commands in flight then fail (never answered OK), the next attempts read
        // the slot map again, and once it names the promoted replica, commands succeed there.
        const QByteArray key = "{failover}:list";
        const int slot = redisHashSlot(key);
        const int owner = m_cluster.ownerOf(slot);
        QVERIFY(owner >= 0);
        auto connection = connectTo(m_cluster.url(), key);
        QTRY_VERIFY_WITH_TIMEOUT(connection->isReady(), 30000);
        auto *locator = qobject_cast<ClusterLocator *>(connection->locator());
        QVERIFY(locator);
        const int mapsBefore = locator->mapsRead();

        int sent = 0;
        int answered = 0;
        int failed = 0;
        int okAfterKill = 0;
        bool killed = false;
        QTimer sender;
        sender.setInterval(20);
        connect(&sender, &QTimer::timeout, this, [&] {
            connection->command({ "RPUSH", key, QByteArray::number(sent++) }, this,
                                [&](const RedisReply &reply) {
                                    ++answered;
                                    if (reply.isError())
                                        ++failed;
                                    else if (killed)
                                        ++okAfterKill;
                                });
        });
        sender.start();
        QTRY_VERIFY_WITH_TIMEOUT(answered >= 20, 30000);
        m_cluster.node(owner).kill();
        killed = true;
        QElapsedTimer sinceKill;
        sinceKill.start();
        // Generous: the node timeout (3 s), the election, and a loaded machine.
        QTRY_VERIFY2_WITH_TIMEOUT(okAfterKill >= 20, qPrintable(connection->lastError()), 60000);
        const qint64 backAfterMs = sinceKill.elapsed();
        sender.stop();
        QTRY_COMPARE_WITH_TIMEOUT(answered, sent, 30000);

        const int promoted = m_cluster.ownerOf(slot, m_cluster.nextPrimary(owner));
        QVERIFY(promoted >= 0 && promoted != owner);
        QVERIFY(m_cluster.primaries().contains(promoted));
        QVERIFY(locator->mapsRead() > mapsBefore);
        QVERIFY(m_cluster.node(promoted).llen(key) >= okAfterKill);
        qInfo("owner killed: %d commands failed meanwhile, commands succeeded again on the "
              "promoted replica %lld ms after the kill (%d slot maps read)",
              failed, backAfterMs, locator->mapsRead() - mapsBefore);
    }
};

QTEST_GUILESS_MAIN(TestRedisCluster)
#include "tst_rediscluster.moc"
