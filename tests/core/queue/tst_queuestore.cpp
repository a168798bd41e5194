// SPDX-License-Identifier: MIT
#include "core/queue/queuestore.h"
#include "core/queue/queuewatcher.h"
#include "core/redis/redisconnection.h"
#include "tests/support/redisserver.h"
#include "tests/support/testenv.h"

#include <QBuffer>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSignalSpy>
#include <QTest>

#include <memory>
#include <optional>

using namespace redrive::core;
using redrive::tests::RedisServer;

class TestQueueStore : public QObject
{
    Q_OBJECT

private:
    RedisServer m_redis;
    std::unique_ptr<RedisConnection> m_connection;
    std::unique_ptr<QueueStore> m_store;
    QueueKeys m_keys;

    // Runs an asynchronous store call to completion and returns its result.
    template<typename Result, typename Call> Result run(Call call)
    {
        std::optional<Result> result;
        call([&result](const Result &r) { result = r; });
        [&] { QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 30000); }();
        return result.value_or(Result {});
    }

    // Deterministic, so a test can name an element by its text.
    static QByteArray entryText(int n)
    {
        return QByteArrayLiteral("{\"original_payload\":{\"n\":") + QByteArray::number(n)
            + QByteArrayLiteral("},\"error_message\":\"HTTP 503\",\"status_code\":503,"
                                "\"timestamp\":\"2026-01-01T00:00:00\",\"retry_count\":0,"
                                "\"id\":\"e-")
            + QByteArray::number(n) + QByteArrayLiteral("\"}");
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY2(m_redis.start(), qPrintable(m_redis.errorString()));
        RedisEndpoint endpoint;
        QString error;
        QVERIFY(RedisEndpoint::parse(m_redis.url(), &endpoint, &error));
        m_connection = std::make_unique<RedisConnection>(endpoint, QStringLiteral("test"));
        QSignalSpy ready(m_connection.get(), &RedisConnection::ready);
        m_connection->open();
        QVERIFY(ready.wait(5000));
        m_store = std::make_unique<QueueStore>(m_connection.get(), m_keys);
    }

    void init() { m_redis.flushAll(); }

    void pageWindowAndTotal()
    {
        for (int i = 0; i < 25; ++i)
            m_redis.lpush(m_keys.dlq, entryText(i));
        auto page = run<PageResult>(
            [&](auto cb) { m_store->page(QueueStore::List::DeadLetter, 10, 10, this, cb); });
        QCOMPARE(page.code, QueueError::None);
        QCOMPARE(page.total, 25);
        QCOMPARE(page.entries.size(), 10);
        // Offset 0 is the newest (left) element: index 10 holds entry 14.
        QCOMPARE(page.entries.first().payload(), QByteArrayLiteral("{\"n\":14}"));
        page = run<PageResult>(
            [&](auto cb) { m_store->page(QueueStore::List::DeadLetter, 20, 10, this, cb); });
        QCOMPARE(page.entries.size(), 5);
        QCOMPARE(page.entries.last().payload(), QByteArrayLiteral("{\"n\":0}"));
        page = run<PageResult>(
            [&](auto cb) { m_store->page(QueueStore::List::PermanentFailures, 0, 10, this, cb); });
        QCOMPARE(page.total, 0);
        QVERIFY(page.entries.isEmpty());
    }

    void searchOver100k()
    {
        // Built server-side: 100k pushes from the client would dominate the test's time.
        m_redis.command({ "EVAL",
                          "for i = 1, 100000 do redis.call('RPUSH', KEYS[1], "
                          "'{\"original_payload\":{\"n\":' .. i .. '},\"retry_count\":0}') end",
                          "1", m_keys.dlq });
        QCOMPARE(m_redis.llen(m_keys.dlq), 100000);
        auto result = run<SearchResult>([&](auto cb) {
            m_store->search(QueueStore::List::DeadLetter, QStringLiteral("\"n\":7777"), 100, this,
                            cb);
        });
        QCOMPARE(result.code, QueueError::None);
        QCOMPARE(result.scanned, 100000);
        // 7777, 77770..77779
        QCOMPARE(result.matches, 11);
        QCOMPARE(result.indexes.first(), 7776);
        QCOMPARE(result.entries.first().payload(), QByteArrayLiteral("{\"n\":7777}"));
        result = run<SearchResult>([&](auto cb) {
            m_store->search(QueueStore::List::DeadLetter, QStringLiteral("\"n\":1"), 3, this, cb);
        });
        QCOMPARE(result.matches, 11112); // 1, 10-19, ..., 10000-19999, 100000
        QCOMPARE(result.entries.size(), 3);
    }

    void searchOverMixedSizes()
    {
        // Chunks are sized from the bytes seen so far: a run of small entries, then large ones,
        // then small again must still be scanned once each, in order.
        m_redis.command({ "EVAL",
                          "local big = string.rep('x', 200000) "
                          "for i = 1, 3000 do "
                          "  local filler = '' "
                          "  if i > 1000 and i <= 1100 then filler = big end "
                          "  redis.call('RPUSH', KEYS[1], '{\"original_payload\":{\"n\":' .. i "
                          "    .. ',\"f\":\"' .. filler .. '\"},\"retry_count\":0}') "
                          "end",
                          "1", m_keys.dlq });
        QCOMPARE(m_redis.llen(m_keys.dlq), 3000);
        auto result = run<SearchResult>([&](auto cb) {
            m_store->search(QueueStore::List::DeadLetter, QStringLiteral("\"n\":105"), 100, this,
                            cb);
        });
        QCOMPARE(result.code, QueueError::None);
        QCOMPARE(result.scanned, 3000);
        QCOMPARE(result.matches, 11); // 105 and 1050..1059
        QCOMPARE(
            result.indexes,
            (QList<qint64> { 104, 1049, 1050, 1051, 1052, 1053, 1054, 1055, 1056, 1057, 1058 }));
        QCOMPARE(result.entries.at(1).payload(),
                 "{\"n\":1050,\"f\":\"" + QByteArray(200000, 'x') + "\"}");
    }

    void editRefusedWhenChanged()
    {
        const QByteArray raw = entryText(1);
        m_redis.lpush(m_keys.dlq, raw);
        const DeadLetterEntry entry = DeadLetterEntry::parse(raw);
        // Someone (a worker) rewrote it after the console read it.
        m_redis.command({ "LSET", m_keys.dlq, "0", entryText(2) });
        auto result = run<OperationResult>([&](auto cb) {
            m_store->edit(QueueStore::List::DeadLetter, entry, "{\"n\":99}", this, cb);
        });
        QCOMPARE(result.code, QueueError::ChangedMeanwhile);
        QVERIFY(!result.error.isEmpty());
        QCOMPARE(m_redis.lrange(m_keys.dlq), QList<QByteArray> { entryText(2) });

        const DeadLetterEntry current = DeadLetterEntry::parse(entryText(2));
        result = run<OperationResult>([&](auto cb) {
            m_store->edit(QueueStore::List::DeadLetter, current, "{ \"n\": 99 }", this, cb);
        });
        QCOMPARE(result.code, QueueError::None);
        const DeadLetterEntry edited = DeadLetterEntry::parse(m_redis.lrange(m_keys.dlq).first());
        QCOMPARE(edited.id(), current.id());
        QCOMPARE(
            QJsonDocument::fromJson(edited.payload()).object().value(QStringLiteral("n")).toInt(),
            99);

        result = run<OperationResult>(
            [&](auto cb) { m_store->edit(QueueStore::List::DeadLetter, edited, "[1]", this, cb); });
        QCOMPARE(result.code, QueueError::InvalidInput);
    }

    void removeRetryMovePurge()
    {
        const QByteArray a = entryText(1), b = entryText(2);
        m_redis.lpush(m_keys.dlq, a);
        m_redis.lpush(m_keys.permanent, b);
        m_redis.command({ "ZADD", m_keys.schedule(), "99999999999999", a });

        auto op = run<OperationResult>([&](auto cb) {
            m_store->retryNow(QueueStore::List::DeadLetter, DeadLetterEntry::parse(a), this, cb);
        });
        QCOMPARE(op.code, QueueError::None);
        QCOMPARE(m_redis.command({ "ZCARD", m_keys.schedule() }).toLongLong(), 0);

        const DeadLetterEntry permanent = DeadLetterEntry::parse(b).withFailedAttempt(
            { QDateTime::currentDateTimeUtc(), 500, QStringLiteral("x"), 1 }, {});
        m_redis.command({ "LSET", m_keys.permanent, "0", permanent.raw() });
        op = run<OperationResult>([&](auto cb) { m_store->moveToDlq(permanent, this, cb); });
        QCOMPARE(op.code, QueueError::None);
        QCOMPARE(m_redis.llen(m_keys.permanent), 0);
        QCOMPARE(m_redis.llen(m_keys.dlq), 2);
        QCOMPARE(DeadLetterEntry::parse(m_redis.lrange(m_keys.dlq).first()).retryCount(), 0);
        op = run<OperationResult>([&](auto cb) { m_store->moveToDlq(permanent, this, cb); });
        QCOMPARE(op.code, QueueError::ChangedMeanwhile);

        op = run<OperationResult>([&](auto cb) {
            m_store->remove(QueueStore::List::DeadLetter, DeadLetterEntry::parse(a), this, cb);
        });
        QCOMPARE(op.code, QueueError::None);
        QCOMPARE(m_redis.llen(m_keys.dlq), 1);
        op = run<OperationResult>([&](auto cb) {
            m_store->remove(QueueStore::List::DeadLetter, DeadLetterEntry::parse(a), this, cb);
        });
        QCOMPARE(op.code, QueueError::ChangedMeanwhile);

        auto bulk = run<BulkResult>(
            [&](auto cb) { m_store->purge(QueueStore::List::DeadLetter, this, cb); });
        QCOMPARE(bulk.done, 1);
        QCOMPARE(m_redis.llen(m_keys.dlq), 0);
    }

    // Objects the worker set aside for having no "original_payload" come back from the
    // permanent list as valid JSON with their fields (they used to come back as
    // {"original_payload":,...}, unreadable); not-JSON elements come back unchanged.
    void moveKeepsElementsWithoutPayloadReadable()
    {
        const QList<QByteArray> raws { R"({"foo":1})", "{}", "not json at all" };
        for (const QByteArray &raw : raws)
            m_redis.lpush(m_keys.permanent, raw);
        auto bulk = run<BulkResult>(
            [&](auto cb) { m_store->moveToDlqMatching(QString(), this, cb); });
        QCOMPARE(bulk.done, 3);
        QCOMPARE(m_redis.llen(m_keys.permanent), 0);
        const QList<QByteArray> moved = m_redis.lrange(m_keys.dlq);
        QCOMPARE(moved.size(), 3);
        QVERIFY(moved.contains("not json at all"));
        int objects = 0;
        for (const QByteArray &raw : moved) {
            if (raw == "not json at all")
                continue;
            QJsonParseError error;
            const QJsonObject object = QJsonDocument::fromJson(raw, &error).object();
            QVERIFY2(error.error == QJsonParseError::NoError, raw.constData());
            QCOMPARE(object.value(QStringLiteral("retry_count")).toInt(-1), 0);
            QVERIFY(!object.contains(QStringLiteral("original_payload")));
            if (object.contains(QStringLiteral("foo")))
                QCOMPARE(object.value(QStringLiteral("foo")).toInt(), 1);
            ++objects;
        }
        QCOMPARE(objects, 2);
    }

    void bulkBySelectionAndFilter()
    {
        QList<DeadLetterEntry> selection;
        for (int i = 0; i < 500; ++i) {
            m_redis.lpush(m_keys.dlq, entryText(i));
            if (i % 2 == 0)
                selection.append(DeadLetterEntry::parse(entryText(i)));
        }
        selection.append(DeadLetterEntry::parse("gone"));
        int progressCalls = 0;
        auto bulk = run<BulkResult>([&](auto cb) {
            m_store->removeMany(QueueStore::List::DeadLetter, selection, this, cb,
                                [&](qint64, qint64) { return ++progressCalls > 0; });
        });
        QCOMPARE(bulk.done, 250);
        QCOMPARE(bulk.missing, 1);
        QVERIFY(progressCalls > 0);
        QCOMPARE(m_redis.llen(m_keys.dlq), 250);

        // "n":1 matches 1, 11, 13.., 101.., 111...: count odd ones client-side.
        int expected = 0;
        for (int i = 1; i < 500; i += 2)
            expected += QByteArray::number(i).startsWith('1') ? 1 : 0;
        bulk = run<BulkResult>([&](auto cb) {
            m_store->removeMatching(QueueStore::List::DeadLetter, QStringLiteral("{\"n\":1"), this,
                                    cb);
        });
        QCOMPARE(bulk.done, expected);
        QCOMPARE(m_redis.llen(m_keys.dlq), 250 - expected);

        bulk = run<BulkResult>(
            [&](auto cb) { m_store->removeMany(QueueStore::List::DeadLetter, {}, this, cb); });
        QCOMPARE(bulk.done, 0);

        // Cancellation stops after the first chunk.
        for (int i = 1000; i < 1600; ++i)
            m_redis.lpush(m_keys.dlq, entryText(i));
        bulk = run<BulkResult>([&](auto cb) {
            m_store->removeMatching(QueueStore::List::DeadLetter, QString(), this, cb,
                                    [](qint64, qint64) { return false; });
        });
        QCOMPARE(bulk.code, QueueError::Cancelled);
        QVERIFY(bulk.done > 0);
        QVERIFY(m_redis.llen(m_keys.dlq) > 0);
    }

    void watcherSeesPublishedAndSilentWrites()
    {
        RedisEndpoint endpoint;
        QString error;
        QVERIFY(RedisEndpoint::parse(m_redis.url(), &endpoint, &error));
        QueueWatcher watcher(m_connection.get(), endpoint, m_keys, 100);
        QSignalSpy changed(&watcher, &QueueWatcher::changed);
        watcher.start();
        // Subscribed: its baseline (one round trip on a connection already open) is taken too.
        QTRY_COMPARE_WITH_TIMEOUT(m_redis.command({ "PUBSUB", "NUMSUB", m_keys.channel() })
                                      .toList()
                                      .value(1)
                                      .toLongLong(),
                                  1, 10000);
        changed.clear();
        // A write by another tool that announces nothing (redis-cli LPUSH).
        m_redis.lpush(m_keys.permanent, "from redis-cli");
        QTRY_VERIFY(!changed.isEmpty());
        QCOMPARE(changed.first().first().value<QueueStore::List>(),
                 QueueStore::List::PermanentFailures);
        // A queue operation publishes.
        m_redis.lpush(m_keys.dlq, entryText(1));
        QTRY_VERIFY(changed.size() >= 2);
        changed.clear();
        auto bulk = run<BulkResult>(
            [&](auto cb) { m_store->purge(QueueStore::List::DeadLetter, this, cb); });
        QCOMPARE(bulk.done, 1);
        QTRY_VERIFY(!changed.isEmpty());
        QCOMPARE(changed.first().first().value<QueueStore::List>(), QueueStore::List::DeadLetter);
    }

    void exportImportRoundTrip()
    {
        const QList<QByteArray> elements { entryText(1),
                                           QByteArrayLiteral("not json at all"),
                                           QByteArrayLiteral("{\n \"pretty\": true\n}"),
                                           QByteArrayLiteral("\xff\xfe binary"),
                                           QByteArrayLiteral("{\"redrive_raw_text\":\"tricky\"}"),
                                           entryText(2) };
        for (const QByteArray &e : elements)
            m_redis.command({ "RPUSH", m_keys.permanent, e });
        QBuffer file;
        file.open(QIODevice::WriteOnly);
        auto bulk = run<BulkResult>([&](auto cb) {
            m_store->exportJsonLines(QueueStore::List::PermanentFailures, QString(), {}, &file,
                                     this, cb);
        });
        QCOMPARE(bulk.done, elements.size());
        file.close();
        const QList<QByteArray> lines = file.data().trimmed().split('\n');
        QCOMPARE(lines.size(), elements.size());
        for (const QByteArray &line : lines)
            QVERIFY(QJsonDocument::fromJson(line).isObject());
        QCOMPARE(lines.first(), entryText(1)); // our entries are written as they are

        m_redis.flushAll();
        file.open(QIODevice::ReadOnly);
        bulk = run<BulkResult>([&](auto cb) {
            m_store->importJsonLines(QueueStore::List::PermanentFailures, &file, this, cb);
        });
        QCOMPARE(bulk.done, elements.size());
        QCOMPARE(m_redis.lrange(m_keys.permanent), elements);
    }
};

QTEST_GUILESS_MAIN(TestQueueStore)
#include "tst_queuestore.moc"
