// SPDX-License-Identifier: MIT
// Every manual QueueStore operation leaves one audit record, against a real redis-server.
#include "core/audit/auditlog.h"
#include "core/queue/queuestore.h"
#include "core/redis/redisconnection.h"
#include "tests/support/redisserver.h"

#include <QBuffer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <optional>

using namespace redrive::core;
using redrive::tests::RedisServer;
using List = QueueStore::List;

class TestQueueStoreAudit : public QObject
{
    Q_OBJECT

private:
    RedisServer m_redis;
    std::unique_ptr<RedisConnection> m_connection;
    std::unique_ptr<AuditLog> m_log;
    std::unique_ptr<QueueStore> m_store;
    QueueKeys m_keys;

    template<typename Result, typename Call> Result run(Call call)
    {
        std::optional<Result> result;
        call([&result](const Result &r) { result = r; });
        [&] { QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), 30000); }();
        return result.value_or(Result {});
    }

    static QByteArray entryText(int n)
    {
        return QByteArrayLiteral("{\"original_payload\":{\"n\":") + QByteArray::number(n)
            + QByteArrayLiteral("},\"error_message\":\"HTTP 503\",\"status_code\":503,"
                                "\"timestamp\":\"2026-01-01T00:00:00\",\"retry_count\":0,"
                                "\"id\":\"e-")
            + QByteArray::number(n) + QByteArrayLiteral("\"}");
    }
    static QString id(int n) { return QStringLiteral("e-%1").arg(n); }

    // Waits until `n` records are in the stream, then returns them oldest first.
    QList<AuditRecord> records(int n)
    {
        [&] {
            QTRY_COMPARE_WITH_TIMEOUT(m_redis.command({ "XLEN", m_keys.audit() }).toLongLong(),
                                      qlonglong(n), 30000);
        }();
        std::optional<AuditPage> page;
        m_log->readPage(QByteArray(), n + 10, this, [&](const AuditPage &p) { page = p; });
        [&] { QTRY_VERIFY_WITH_TIMEOUT(page.has_value(), 30000); }();
        QList<AuditRecord> oldestFirst;
        if (page)
            for (auto it = page->records.crbegin(); it != page->records.crend(); ++it)
                oldestFirst.append(*it);
        return oldestFirst;
    }

private Q_SLOTS:
    void initTestCase()
    {
        qRegisterMetaType<AuditRecord>();
        m_keys.dlq = "{genesys}:webhook_dlq";
        m_keys.permanent = "{genesys}:webhook_permanent_failures";
        m_keys.prefix = "{genesys}:webhook_dlq:";
        QVERIFY2(m_redis.start(), qPrintable(m_redis.errorString()));
        RedisEndpoint endpoint;
        QString error;
        QVERIFY(RedisEndpoint::parse(m_redis.url(), &endpoint, &error));
        m_connection = std::make_unique<RedisConnection>(endpoint, QStringLiteral("test"));
        QSignalSpy ready(m_connection.get(), &RedisConnection::ready);
        m_connection->open();
        QVERIFY(ready.wait(10000));
    }
    void init()
    {
        m_redis.flushAll();
        m_store = std::make_unique<QueueStore>(m_connection.get(), m_keys);
        m_log = std::make_unique<AuditLog>(m_connection.get(), m_keys.audit());
        m_log->setIdentity({ QStringLiteral("alice"), QStringLiteral("ops-7") });
        m_log->setClient(QStringLiteral("console"));
        m_store->setAuditLog(m_log.get());
    }
    void cleanup()
    {
        m_store.reset();
        m_log.reset();
    }

    void withoutALogNothingIsRecorded()
    {
        m_store->setAuditLog(nullptr);
        m_redis.lpush(m_keys.dlq, entryText(1));
        const auto op = run<OperationResult>([&](auto cb) {
            m_store->remove(List::DeadLetter, DeadLetterEntry::parse(entryText(1)), this, cb);
        });
        QVERIFY(op.ok());
        QCOMPARE(m_redis.llen(m_keys.dlq), 0LL);
        // Purge goes through Redis after the remove: had anything been recorded, it is there.
        run<BulkResult>([&](auto cb) { m_store->purge(List::DeadLetter, this, cb); });
        QCOMPARE(m_redis.command({ "EXISTS", m_keys.audit() }).toLongLong(), 0LL);
    }

    void singleEntryActions()
    {
        m_redis.lpush(m_keys.dlq, entryText(1));
        m_redis.lpush(m_keys.permanent, entryText(2));
        m_redis.lpush(m_keys.permanent, entryText(3));

        QSignalSpy written(m_log.get(), &AuditLog::written);
        // The record is with the log by the time the caller hears back.
        bool recordedFirst = false;
        run<OperationResult>([&](auto cb) {
            m_store->retryNow(List::DeadLetter, DeadLetterEntry::parse(entryText(1)), this,
                              [&, cb](const OperationResult &r) {
                                  recordedFirst = m_log->pendingCount() + written.size() == 1;
                                  cb(r);
                              });
        });
        QVERIFY(recordedFirst);
        AuditRecord r = records(1).at(0);
        QVERIFY2(r.isValid(), qPrintable(r.problem));
        QCOMPARE(r.action, AuditAction::Retry);
        QCOMPARE(r.scope, AuditScope::Entry);
        QCOMPARE(r.list, QStringLiteral("{genesys}:webhook_dlq"));
        QVERIFY(r.target.isEmpty());
        QCOMPARE(r.ids, QStringList { id(1) });
        QCOMPARE(r.count, 1LL);
        QCOMPARE(r.outcome, AuditOutcome::Done);
        QCOMPARE(r.user, QStringLiteral("alice"));
        QCOMPARE(r.host, QStringLiteral("ops-7"));
        QCOMPARE(r.client, QStringLiteral("console"));

        // A retry out of permanent failures is a move into the DLQ: recorded with the target.
        QVERIFY(run<OperationResult>([&](auto cb) {
                    m_store->retryNow(List::PermanentFailures, DeadLetterEntry::parse(entryText(2)),
                                      this, cb);
                }).ok());
        r = records(2).at(1);
        QCOMPARE(r.action, AuditAction::Retry);
        QCOMPARE(r.list, QStringLiteral("{genesys}:webhook_permanent_failures"));
        QCOMPARE(r.target, QStringLiteral("{genesys}:webhook_dlq"));
        QCOMPARE(r.ids, QStringList { id(2) });

        QVERIFY(run<OperationResult>([&](auto cb) {
                    m_store->moveToDlq(DeadLetterEntry::parse(entryText(3)), this, cb,
                                       { QString(), QStringLiteral("HTTP 503"), QString() });
                }).ok());
        r = records(3).at(2);
        QCOMPARE(r.action, AuditAction::Move);
        QCOMPARE(r.scope, AuditScope::Entry);
        QCOMPARE(r.target, QStringLiteral("{genesys}:webhook_dlq"));
        QCOMPARE(r.filter, QStringLiteral("HTTP 503")); // the view it was picked in

        // Edit: before and after.
        const QByteArray current = m_redis.lrange(m_keys.dlq).constLast();
        QCOMPARE(DeadLetterEntry::parse(current).id(), id(1));
        QVERIFY(run<OperationResult>([&](auto cb) {
                    m_store->edit(List::DeadLetter, DeadLetterEntry::parse(current), "{\"n\":100}",
                                  this, cb);
                }).ok());
        r = records(4).at(3);
        QCOMPARE(r.action, AuditAction::Edit);
        QCOMPARE(r.ids, QStringList { id(1) });
        QCOMPARE(r.before, QStringLiteral("{\"n\":1}"));
        QCOMPARE(r.after, QStringLiteral("{\"n\":100}"));
        QCOMPARE(r.count, 1LL);

        // Invalid input never reached Redis: nothing to record.
        QCOMPARE(run<OperationResult>([&](auto cb) {
                     m_store->edit(List::DeadLetter, DeadLetterEntry::parse(current), "[1]", this,
                                   cb);
                 }).code,
                 QueueError::InvalidInput);

        // Changed meanwhile: recorded as failed, with why, and 0 touched.
        QCOMPARE(run<OperationResult>([&](auto cb) {
                     m_store->remove(List::DeadLetter, DeadLetterEntry::parse(entryText(9)), this,
                                     cb);
                 }).code,
                 QueueError::ChangedMeanwhile);
        r = records(5).at(4);
        QCOMPARE(r.action, AuditAction::Delete);
        QCOMPARE(r.ids, QStringList { id(9) });
        QCOMPARE(r.count, 0LL);
        QCOMPARE(r.outcome, AuditOutcome::Failed);
        QVERIFY(r.reason.contains(QLatin1String("changed meanwhile")));

        // An edit refused because the entry changed.
        QCOMPARE(run<OperationResult>([&](auto cb) {
                     m_store->edit(List::DeadLetter, DeadLetterEntry::parse(current), "{\"n\":7}",
                                   this, cb);
                 }).code,
                 QueueError::ChangedMeanwhile);
        r = records(6).at(5);
        QCOMPARE(r.action, AuditAction::Edit);
        QCOMPARE(r.outcome, AuditOutcome::Failed);
        QCOMPARE(r.after, QStringLiteral("{\"n\":7}"));
        QCOMPARE(r.count, 0LL);

        // Purge: the whole list, how many.
        QCOMPARE(run<BulkResult>([&](auto cb) { m_store->purge(List::DeadLetter, this, cb); }).done,
                 3);
        r = records(7).at(6);
        QCOMPARE(r.action, AuditAction::Purge);
        QCOMPARE(r.scope, AuditScope::List);
        QCOMPARE(r.count, 3LL);
        QVERIFY(r.ids.isEmpty());
    }

    void bulkSelectionFilterAndGroup()
    {
        QList<DeadLetterEntry> selection;
        for (int i = 0; i < 300; ++i) {
            m_redis.lpush(m_keys.dlq, entryText(i));
            if (i < 250)
                selection.append(DeadLetterEntry::parse(entryText(i)));
        }
        selection.append(DeadLetterEntry::parse(entryText(999))); // not there
        m_log->setIdLimit(100);
        BulkResult bulk = run<BulkResult>(
            [&](auto cb) { m_store->retryNowMany(List::DeadLetter, selection, this, cb); });
        QCOMPARE(bulk.done, 250);
        AuditRecord r = records(1).at(0);
        QCOMPARE(r.action, AuditAction::Retry);
        QCOMPARE(r.scope, AuditScope::Selection);
        QCOMPARE(r.count, 250LL);
        QCOMPARE(r.ids.size(), 100); // cut to the limit, and said so
        QCOMPARE(r.ids.first(), id(0));
        QVERIFY(r.truncated);
        QVERIFY2(r.detail.contains(QLatin1String("1 no longer there")), qPrintable(r.detail));

        // A group action: the scope says group, with its id.
        bulk = run<BulkResult>([&](auto cb) {
            m_store->removeMany(List::DeadLetter, selection.mid(0, 10), this, cb, {},
                                { QStringLiteral("g-3fa9"), QString(), QString() });
        });
        QCOMPARE(bulk.done, 10);
        r = records(2).at(1);
        QCOMPARE(r.action, AuditAction::Delete);
        QCOMPARE(r.scope, AuditScope::Group);
        QCOMPARE(r.group, QStringLiteral("g-3fa9"));
        QCOMPARE(r.count, 10LL);
        QVERIFY(!r.truncated);

        // A caller that records the whole action itself (a group done in windows): nothing here.
        AuditContext self;
        self.selfRecorded = true;
        bulk = run<BulkResult>([&](auto cb) {
            m_store->removeMany(List::DeadLetter, selection.mid(10, 5), this, cb, {}, self);
        });
        QCOMPARE(bulk.done, 5);

        // By filter: the filter is recorded, and the ids of what matched.
        bulk = run<BulkResult>([&](auto cb) {
            m_store->removeMatching(List::DeadLetter, QStringLiteral("\"id\":\"e-29"), this, cb);
        });
        QCOMPARE(bulk.done, 11); // e-29, e-290..e-299
        r = records(3).at(2);
        QCOMPARE(r.scope, AuditScope::Filter);
        QCOMPARE(r.filter, QStringLiteral("\"id\":\"e-29"));
        QCOMPARE(r.count, 11LL);
        QCOMPARE(r.ids.size(), 11);
        QVERIFY(r.ids.contains(id(295)));

        // Everything (an empty filter) is the whole list.
        for (int i = 0; i < 3; ++i)
            m_redis.lpush(m_keys.permanent, entryText(1000 + i));
        bulk = run<BulkResult>([&](auto cb) { m_store->moveToDlqMatching(QString(), this, cb); });
        QCOMPARE(bulk.done, 3);
        r = records(4).at(3);
        QCOMPARE(r.action, AuditAction::Move);
        QCOMPARE(r.scope, AuditScope::List);
        QCOMPARE(r.target, QStringLiteral("{genesys}:webhook_dlq"));
        QCOMPARE(r.count, 3LL);

        // A move of a hand-made selection.
        m_redis.lpush(m_keys.permanent, entryText(2000));
        bulk = run<BulkResult>([&](auto cb) {
            m_store->moveToDlqMany({ DeadLetterEntry::parse(entryText(2000)) }, this, cb);
        });
        QCOMPARE(bulk.done, 1);
        r = records(5).at(4);
        QCOMPARE(r.action, AuditAction::Move);
        QCOMPARE(r.scope, AuditScope::Selection);
        QCOMPARE(r.ids, QStringList { id(2000) });

        // Retry by filter on the permanent list goes to the DLQ.
        m_redis.lpush(m_keys.permanent, entryText(3000));
        bulk = run<BulkResult>([&](auto cb) {
            m_store->retryNowMatching(List::PermanentFailures, QStringLiteral("e-3000"), this, cb);
        });
        QCOMPARE(bulk.done, 1);
        r = records(6).at(5);
        QCOMPARE(r.action, AuditAction::Retry);
        QCOMPARE(r.target, QStringLiteral("{genesys}:webhook_dlq"));
    }

    void cancelledAndAbandoned()
    {
        for (int i = 0; i < 1000; ++i)
            m_redis.lpush(m_keys.dlq, entryText(i));
        // Cancelled by the caller after the first chunk: recorded with what was done.
        BulkResult bulk = run<BulkResult>([&](auto cb) {
            m_store->removeMatching(List::DeadLetter, QString(), this, cb,
                                    [](qint64, qint64) { return false; });
        });
        QCOMPARE(bulk.code, QueueError::Cancelled);
        AuditRecord r = records(1).at(0);
        QCOMPARE(r.outcome, AuditOutcome::Cancelled);
        QCOMPARE(r.count, qint64(bulk.done));
        QVERIFY(r.count > 0 && r.count < 1000);
        QVERIFY(!r.reason.isEmpty());

        // The window that asked goes away midway: no answer, but what was done is recorded.
        const qint64 before = m_redis.llen(m_keys.dlq);
        QList<DeadLetterEntry> all;
        for (const QByteArray &raw : m_redis.lrange(m_keys.dlq))
            all.append(DeadLetterEntry::parse(raw));
        auto *requester = new QObject(this);
        bool answered = false;
        m_store->removeMany(
            List::DeadLetter, all, requester, [&](const BulkResult &) { answered = true; },
            [&](qint64, qint64) {
                delete requester;
                return true;
            });
        r = records(2).at(1);
        QCOMPARE(r.outcome, AuditOutcome::Cancelled);
        QVERIFY2(r.reason.contains(QLatin1String("went away")), qPrintable(r.reason));
        QCOMPARE(r.count, before - m_redis.llen(m_keys.dlq));
        QVERIFY(r.count > 0 && r.count < before);
        QVERIFY(!answered);
    }

    void redisRefusesTheOperation()
    {
        m_redis.command({ "SET", m_keys.dlq, "not a list" });
        const BulkResult bulk
            = run<BulkResult>([&](auto cb) { m_store->purge(List::DeadLetter, this, cb); });
        QCOMPARE(bulk.code, QueueError::Redis);
        const AuditRecord r = records(1).at(0);
        QCOMPARE(r.action, AuditAction::Purge);
        QCOMPARE(r.outcome, AuditOutcome::Failed);
        QVERIFY2(r.reason.contains(QLatin1String("WRONGTYPE")), qPrintable(r.reason));
    }

    void exportAndImport()
    {
        for (int i = 0; i < 5; ++i)
            m_redis.command({ "RPUSH", m_keys.permanent, entryText(i) });
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        QFile file(dir.filePath(QStringLiteral("out.jsonl")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        BulkResult bulk = run<BulkResult>([&](auto cb) {
            m_store->exportJsonLines(List::PermanentFailures, QStringLiteral("e-"), {}, &file, this,
                                     cb);
        });
        QCOMPARE(bulk.done, 5);
        file.close();
        AuditRecord r = records(1).at(0);
        QCOMPARE(r.action, AuditAction::Export);
        QCOMPARE(r.scope, AuditScope::Filter);
        QCOMPARE(r.filter, QStringLiteral("e-"));
        QCOMPARE(r.count, 5LL);
        QCOMPARE(r.ids.size(), 5);
        QCOMPARE(r.detail, file.fileName()); // where the data went

        QBuffer selected;
        selected.open(QIODevice::WriteOnly);
        bulk = run<BulkResult>([&](auto cb) {
            m_store->exportJsonLines(List::PermanentFailures, QString(),
                                     { DeadLetterEntry::parse(entryText(3)) }, &selected, this, cb,
                                     {}, { QString(), QString(), QStringLiteral("clipboard") });
        });
        QCOMPARE(bulk.done, 1);
        r = records(2).at(1);
        QCOMPARE(r.scope, AuditScope::Selection);
        QCOMPARE(r.ids, QStringList { id(3) });
        QCOMPARE(r.detail, QStringLiteral("clipboard"));

        m_redis.command({ "DEL", m_keys.permanent });
        QVERIFY(file.open(QIODevice::ReadOnly));
        bulk = run<BulkResult>(
            [&](auto cb) { m_store->importJsonLines(List::PermanentFailures, &file, this, cb); });
        QCOMPARE(bulk.done, 5);
        r = records(3).at(2);
        QCOMPARE(r.action, AuditAction::Import);
        QCOMPARE(r.scope, AuditScope::List);
        QCOMPARE(r.list, QStringLiteral("{genesys}:webhook_permanent_failures"));
        QCOMPARE(r.count, 5LL);
        QCOMPARE(r.ids, (QStringList { id(0), id(1), id(2), id(3), id(4) }));
        QCOMPARE(r.detail, file.fileName());
    }
};

QTEST_GUILESS_MAIN(TestQueueStoreAudit)
#include "tst_queuestoreaudit.moc"
