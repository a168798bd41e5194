// SPDX-License-Identifier: MIT
#include "core/redis/redishashslot.h"

#include <QTest>

using namespace redrive::core;

class TestRedisHashSlot : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void slotsAsRedisComputesThem_data()
    {
        QTest::addColumn<QByteArray>("key");
        QTest::addColumn<int>("slot");
        // Each slot as `CLUSTER KEYSLOT` of Redis 7.0 gave it.
        QTest::newRow("plain") << QByteArray("somekey") << 11058;
        QTest::newRow("foo") << QByteArray("foo") << 12182;
        QTest::newRow("bar") << QByteArray("bar") << 5061;
        QTest::newRow("crc check value") << QByteArray("123456789") << 12739;
        QTest::newRow("tag") << QByteArray("{user1000}.following") << 3443;
        QTest::newRow("empty tag: whole key") << QByteArray("foo{}{bar}") << 8363;
        QTest::newRow("first brace pair") << QByteArray("foo{{bar}}zap") << 4015;
        QTest::newRow("first tag only") << QByteArray("foo{bar}{zap}") << 5061;
        QTest::newRow("genesys") << QByteArray("{genesys}:webhook_dlq") << 14537;
        QTest::newRow("empty key") << QByteArray() << 0;
    }

    void slotsAsRedisComputesThem()
    {
        QFETCH(QByteArray, key);
        QFETCH(int, slot);
        QCOMPARE(redisHashSlot(key), slot);
    }

    void hashTags()
    {
        QCOMPARE(redisHashTag("{genesys}:webhook_dlq"), QByteArrayView("genesys"));
        QCOMPARE(redisHashTag("a{b}c{d}"), QByteArrayView("b"));
        QCOMPARE(redisHashTag("foo{{bar}}"), QByteArrayView("{bar"));
        QCOMPARE(redisHashTag("no tag"), QByteArrayView("no tag"));
        QCOMPARE(redisHashTag("open{only"), QByteArrayView("open{only"));
        QCOMPARE(redisHashTag("close}{"), QByteArrayView("close}{"));
        QCOMPARE(redisHashTag("{}x"), QByteArrayView("{}x"));
        QVERIFY(redisHasHashTag("{t}"));
        QVERIFY(redisHasHashTag("x}{t}"));
        QVERIFY(!redisHasHashTag("{}t"));
        QVERIFY(!redisHasHashTag("t{"));
        QVERIFY(!redisHasHashTag("plain"));
        // Keys with one tag share a slot whatever follows it.
        QCOMPARE(redisHashSlot("{q}:dlq"), redisHashSlot("{q}:permanent"));
        QCOMPARE(redisHashSlot("{q}:dlq"), redisHashSlot("q"));
        QVERIFY(redisHashSlot("q:dlq") != redisHashSlot("q:permanent"));
    }
};

QTEST_GUILESS_MAIN(TestRedisHashSlot)
#include "tst_redishashslot.moc"
