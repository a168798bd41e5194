// SPDX-License-Identifier: MIT
#include "core/audit/auditlog.h"
#include "core/audit/auditrecord.h"
#include "core/queue/entrywriter.h"
#include "core/queue/queuekeys.h"
#include "core/queue/queuestore.h"
#include "core/redis/redisconnection.h"
#include "core/triage/failuregroupscan.h"
#include "core/triage/failuregroupselection.h"
#include "tests/support/redisserver.h"

#include <QBuffer>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace redrive::core;
using redrive::tests::RedisServer;
using Action = FailureGroupSelection::Action;

namespace {

// An entry as Redrive's receiver or worker writes it.
QByteArray ownEntry(const QString &error, int status, int n)
{
    EntryWriter::Fields fields;
    fields.payload
        = QStringLiteral("{\"topicName\":\"v2.users.%1.presence\",\"n\":%2}")
              .arg(QStringLiteral("00000000-0000-4000-8000-%1").arg(n, 12, 10, QLatin1Char('0')))
              .arg(n)
              .toUtf8();
    fields.payloadCompact = true;
    fields.errorMessage = error;
    fields.statusCode = status;
    fields.source = QStringLiteral("receiver");
    fields.id = QStringLiteral("e-%1").arg(n);
    fields.receivedAtMs = QDateTime::currentMSecsSinceEpoch() - n;
    fields.nowMs = fields.receivedAtMs;
    return EntryWriter::write(fields);
}

// An entry as the tutorial's Flask receiver (push_to_dlq) or its consumer writes it:
// json.dumps spacing, datetime.now().isoformat(), no id, no downstream.
QByteArray tutorialEntry(int n, bool consumer)
{
    return "{\"original_payload\": {\"topicName\": \"v2.detail.events.conversation."
        + QByteArray::number(70000000 + n)
        + ".customer.start\", \"version\": \"2\", \"eventBody\": {\"purpose\": \"customer\"}}, "
          "\"error_message\": \""
        + (consumer ? QByteArrayLiteral("Still failing...")
                    : QByteArrayLiteral("Simulated Database Connection Timeout"))
        + "\", \"status_code\": 500, \"timestamp\": \"2026-12-02T05:31:"
        + QByteArray::number(10 + n % 50)
        + ".123456\", \"retry_count\": " + QByteArray::number(consumer ? 2 : 0) + "}";
}

QString http503Error(int n)
{
    return QStringLiteral("downstream answered 503: busy %1").arg(n);
}
const QString TimeoutError = QStringLiteral("downstream timed out after 5000 ms");
const QString RefusedError = QStringLiteral("downstream unreachable: Connection refused");

} // namespace

class TestFailureGroupSelection : public QObject
{
    Q_OBJECT

private:
    RedisServer m_redis;
    std::unique_ptr<RedisConnection> m_connection;
    std::unique_ptr<QueueStore> m_store;
    QueueKeys m_keys;

    bool connectRedis()
    {
        RedisEndpoint endpoint;
        QString error;
        if (!RedisEndpoint::parse(m_redis.url(), &endpoint, &error))
            return false;
        m_store.reset();
        m_connection = std::make_unique<RedisConnection>(endpoint, QStringLiteral("test"));
        QSignalSpy ready(m_connection.get(), &RedisConnection::ready);
        m_connection->open();
        if (!ready.wait(10000))
            return false;
        m_store = std::make_unique<QueueStore>(m_connection.get(), m_keys);
        return true;
    }

    void fill(const QByteArray &key, const QList<QByteArray> &elements)
    {
        for (qsizetype i = 0; i < elements.size(); i += 500) {
            QList<QByteArray> args { QByteArrayLiteral("RPUSH"), key };
            args += elements.mid(i, 500);
            m_redis.command(args);
        }
    }

    QList<QByteArray> elements(const QByteArray &key)
    {
        QList<QByteArray> all;
        const QVariant reply = m_redis.command({ "LRANGE", key, "0", "-1" });
        for (const QVariant &element : reply.toList())
            all.append(element.toByteArray());
        return all;
    }

    // 600 HTTP 503, 300 timeouts, 150 connection refused (each own entry waiting for its
    // backoff in the schedule), 90 tutorial receiver entries, 30 tutorial consumer
    // entries, 4 garbage; interleaved.
    QList<QByteArray> mixedDlq()
    {
        QList<QByteArray> all;
        QList<QByteArray> zadd { QByteArrayLiteral("ZADD"), m_keys.schedule() };
        const QByteArray later = QByteArray::number(QDateTime::currentMSecsSinceEpoch() + 3600000);
        const auto own = [&](const QByteArray &raw) {
            all.append(raw);
            zadd << later << raw;
        };
        for (int i = 0; i < 600; ++i) {
            own(ownEntry(http503Error(i), 503, i));
            if (i % 2 == 0)
                own(ownEntry(TimeoutError, 504, 100000 + i));
            if (i % 4 == 0)
                own(ownEntry(RefusedError, 0, 200000 + i));
            if (i % 5 == 0)
                all.append(tutorialEntry(i, i % 4 == 0));
            if (i % 150 == 0)
                all.append("not json " + QByteArray::number(i));
        }
        m_redis.command(zadd);
        return all;
    }

    FailureGroups scan(const QByteArray &key)
    {
        FailureGroupScan scan(m_connection.get(), key);
        QSignalSpy finished(&scan, &FailureGroupScan::finished);
        scan.start();
        if (!finished.wait(120000))
            return FailureGroups();
        return finished.first().first().value<FailureGroups>();
    }

    QString groupIdOf(const QByteArray &raw) { return failureFingerprint(raw).groupId(); }

    FailureGroupSelectionResult run(FailureGroupSelection &selection, Action action)
    {
        QSignalSpy finished(&selection, &FailureGroupSelection::finished);
        selection.start(action);
        [&] { QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, 120000); }();
        return finished.isEmpty() ? FailureGroupSelectionResult()
                                  : finished.first().first().value<FailureGroupSelectionResult>();
    }

private Q_SLOTS:
    void initTestCase()
    {
        qRegisterMetaType<FailureGroups>();
        qRegisterMetaType<FailureGroupSelectionResult>();
        QVERIFY2(m_redis.start(), qPrintable(m_redis.errorString()));
        QVERIFY(connectRedis());
    }
    void init()
    {
        if (!m_redis.isRunning()) {
            QVERIFY(m_redis.start());
            QVERIFY(connectRedis());
        }
        m_redis.flushAll();
    }

    void countPreviewAgreesWithTheScan()
    {
        const QList<QByteArray> all = mixedDlq();
        fill(m_keys.dlq, all);
        const FailureGroups groups = scan(m_keys.dlq);
        QVERIFY2(groups.ok(), qPrintable(groups.error));
        QCOMPARE(groups.groups.size(), 6);
        for (const FailureGroup &group : groups.groups) {
            FailureGroupSelection selection(m_store.get(), m_connection.get(),
                                            QueueStore::List::DeadLetter, group.id);
            selection.setWindowBytes(8 * 1024); // many windows
            QSignalSpy progress(&selection, &FailureGroupSelection::progress);
            const FailureGroupSelectionResult result = run(selection, Action::Count);
            QVERIFY2(result.ok(), qPrintable(result.error));
            QCOMPARE(result.scanned, all.size());
            QCOMPARE(result.matched, group.count);
            QVERIFY(!result.approximate);
            QVERIFY(progress.size() > 5);
            QCOMPARE(progress.last().at(0).toLongLong(), all.size());
            QCOMPARE(progress.last().at(2).toLongLong(), group.count);
        }
        QCOMPARE(elements(m_keys.dlq), all); // counting changes nothing
    }

    // The "done when": retry one group as a whole; only its entries become due.
    void retryNowMakesOnlyTheGroupDue()
    {
        const QList<QByteArray> all = mixedDlq();
        fill(m_keys.dlq, all);
        const QString timeouts = groupIdOf(ownEntry(TimeoutError, 504, 1));
        FailureGroupSelection selection(m_store.get(), m_connection.get(),
                                        QueueStore::List::DeadLetter, timeouts);
        selection.setWindowBytes(4 * 1024);
        const FailureGroupSelectionResult result = run(selection, Action::RetryNow);
        QVERIFY2(result.ok(), qPrintable(result.error));
        QCOMPARE(result.matched, 300);
        QCOMPARE(result.done, 300);
        QCOMPARE(result.missing, 0);
        QCOMPARE(elements(m_keys.dlq), all); // retried in place
        int due = 0;
        int waiting = 0;
        for (const QByteArray &raw : all) {
            const bool scheduled = m_redis.command({ "ZSCORE", m_keys.schedule(), raw }).isValid();
            if (groupIdOf(raw) == timeouts) {
                QVERIFY2(!scheduled, raw.constData());
                ++due;
            } else if (scheduled) {
                ++waiting;
            }
        }
        QCOMPARE(due, 300);
        QCOMPARE(waiting, 600 + 150); // the 503s and the refusals still wait for their backoff
    }

    // Deleting a group while the receiver pushes at the new end and a worker takes from the
    // old one: every member that was there all along goes, nothing else does.
    void removeFollowsAListThatMoves()
    {
        QList<QByteArray> all = mixedDlq();
        for (int i = 0; i < 20; ++i) // the oldest: what the worker takes meanwhile
            all.append("old garbage " + QByteArray::number(i));
        fill(m_keys.dlq, all);
        const QString http503 = groupIdOf(ownEntry(http503Error(1), 503, 1));
        FailureGroupSelection selection(m_store.get(), m_connection.get(),
                                        QueueStore::List::DeadLetter, http503);
        selection.setWindowBytes(4 * 1024); // ~16 elements a window
        QList<QByteArray> pushed;
        int round = 0;
        connect(&selection, &FailureGroupSelection::progress, this, [&] {
            ++round;
            QList<QByteArray> args { QByteArrayLiteral("LPUSH"), m_keys.dlq };
            for (int i = 0; i < 1 + round % 5; ++i) {
                // Members of the group too: they may or may not be taken.
                const QByteArray raw = round % 2
                    ? ownEntry(http503Error(i), 503, 500000 + round * 10 + i)
                    : ownEntry(TimeoutError, 504, 500000 + round * 10 + i);
                args.append(raw);
                pushed.append(raw);
            }
            m_redis.command(args);
            if (round <= 20)
                m_redis.command({ "RPOP", m_keys.dlq });
        });
        const FailureGroupSelectionResult result = run(selection, Action::Remove);
        QVERIFY2(result.ok(), qPrintable(result.error));
        QVERIFY(!result.approximate);
        QVERIFY(round > 20);
        QCOMPARE(result.missing, 0);
        const QList<QByteArray> after = elements(m_keys.dlq);
        // Nothing of the original members is left; every non-member is (but the 20 taken).
        QList<QByteArray> expected;
        for (const QByteArray &raw : all.first(all.size() - 20)) {
            if (groupIdOf(raw) != http503)
                expected.append(raw);
        }
        QList<QByteArray> afterOriginal;
        qint64 newMembersLeft = 0;
        for (const QByteArray &raw : after) {
            if (pushed.contains(raw))
                newMembersLeft += groupIdOf(raw) == http503;
            else
                afterOriginal.append(raw);
        }
        QCOMPARE(afterOriginal, expected);
        const qint64 pushedMembers
            = std::count_if(pushed.cbegin(), pushed.cend(),
                            [&](const QByteArray &raw) { return groupIdOf(raw) == http503; });
        QCOMPARE(result.done, 600 + pushedMembers - newMembersLeft);
        QCOMPARE(m_redis.command({ "ZCARD", m_keys.schedule() }).toLongLong(),
                 300 + 150); // the removed members' schedule went with them
    }

    // A group action is one record of the audit trail (not one per window): scope "group",
    // the group id, the count, the first ids; Count records nothing.
    void recordsOneAuditRecordPerGroupAction()
    {
        const QList<QByteArray> all = mixedDlq();
        fill(m_keys.dlq, all);
        AuditLog log(m_connection.get(), m_keys.audit());
        log.setClient(QStringLiteral("test"));
        log.setIdLimit(5);
        m_store->setAuditLog(&log);
        const QString timeouts = groupIdOf(ownEntry(TimeoutError, 504, 1));
        FailureGroupSelection selection(m_store.get(), m_connection.get(),
                                        QueueStore::List::DeadLetter, timeouts);
        selection.setWindowBytes(4 * 1024); // many windows, many bulk calls
        QCOMPARE(run(selection, Action::Count).matched, 300);
        const FailureGroupSelectionResult result = run(selection, Action::RetryNow);
        QVERIFY2(result.ok(), qPrintable(result.error));
        QTRY_COMPARE(log.pendingCount(), 0);
        m_store->setAuditLog(nullptr);
        const QVariantList records
            = m_redis.command({ "XRANGE", m_keys.audit(), "-", "+" }).toList();
        QCOMPARE(records.size(), 1);
        QHash<QByteArray, QByteArray> fields;
        const QVariantList pairs = records.first().toList().at(1).toList();
        for (qsizetype i = 0; i + 1 < pairs.size(); i += 2)
            fields.insert(pairs.at(i).toByteArray(), pairs.at(i + 1).toByteArray());
        QCOMPARE(fields.value("action"), QByteArray("retry"));
        QCOMPARE(fields.value("scope"), QByteArray("group"));
        QCOMPARE(fields.value("group"), timeouts.toUtf8());
        QCOMPARE(fields.value("count"), QByteArray("300"));
        QCOMPARE(fields.value("outcome"), QByteArray("done"));
        QCOMPARE(fields.value("client"), QByteArray("test"));
        QVERIFY(fields.value("ids").contains("e-100000")); // the newest member
        QCOMPARE(fields.value("truncated"), QByteArray("1"));
    }

    void moveAndRetryFromPermanentFailures()
    {
        QList<QByteArray> permanent;
        for (int i = 0; i < 200; ++i) {
            permanent.append(tutorialEntry(i, false));
            if (i % 4 == 0)
                permanent.append(ownEntry(QStringLiteral("downstream answered 422: bad"), 422, i));
        }
        fill(m_keys.permanent, permanent);
        const QString tutorial = groupIdOf(tutorialEntry(1, false));
        FailureGroupSelection selection(m_store.get(), m_connection.get(),
                                        QueueStore::List::PermanentFailures, tutorial);
        selection.setWindowBytes(2 * 1024);
        const FailureGroupSelectionResult moved = run(selection, Action::MoveToDlq);
        QVERIFY2(moved.ok(), qPrintable(moved.error));
        QCOMPARE(moved.done, 200);
        QCOMPARE(m_redis.command({ "LLEN", m_keys.permanent }).toLongLong(), 50);
        const QList<QByteArray> dlq = elements(m_keys.dlq);
        QCOMPARE(dlq.size(), 200);
        for (const QByteArray &raw : dlq)
            QCOMPARE(groupIdOf(raw), tutorial);
        for (const QByteArray &raw : elements(m_keys.permanent))
            QVERIFY(groupIdOf(raw) != tutorial);

        // Retry now on permanent failures is a move too; MoveToDlq on the DLQ is refused.
        const QString refused = groupIdOf(permanent.at(1));
        FailureGroupSelection retry(m_store.get(), m_connection.get(),
                                    QueueStore::List::PermanentFailures, refused);
        QCOMPARE(run(retry, Action::RetryNow).done, 50);
        QCOMPARE(m_redis.command({ "LLEN", m_keys.permanent }).toLongLong(), 0);
        FailureGroupSelection wrong(m_store.get(), m_connection.get(), QueueStore::List::DeadLetter,
                                    refused);
        QCOMPARE(run(wrong, Action::MoveToDlq).code, QueueError::InvalidInput);
        QCOMPARE(m_redis.command({ "LLEN", m_keys.dlq }).toLongLong(), 250);
    }

    void exportsTheGroupAsJsonLines()
    {
        const QList<QByteArray> all = mixedDlq();
        fill(m_keys.dlq, all);
        const QString tutorial = groupIdOf(tutorialEntry(3, false));
        QBuffer file;
        QVERIFY(file.open(QIODevice::WriteOnly));
        FailureGroupSelection selection(m_store.get(), m_connection.get(),
                                        QueueStore::List::DeadLetter, tutorial);
        selection.setWindowBytes(8 * 1024);
        FailureGroupSelection noDevice(m_store.get(), m_connection.get(),
                                       QueueStore::List::DeadLetter, tutorial);
        QCOMPARE(run(noDevice, Action::Export).code, QueueError::Io);
        selection.setExportDevice(&file);
        const FailureGroupSelectionResult result = run(selection, Action::Export);
        QVERIFY2(result.ok(), qPrintable(result.error));
        QList<QByteArray> lines = file.data().split('\n');
        QCOMPARE(lines.takeLast(), QByteArray());
        QList<QByteArray> expected;
        for (const QByteArray &raw : all) {
            if (groupIdOf(raw) == tutorial)
                expected.append(raw);
        }
        QCOMPARE(expected.size(), 90);
        QCOMPARE(result.done, 90);
        QCOMPARE(lines, expected); // newest first, as the list holds them
    }

    void cancelStopsAfterTheWindowInFlight()
    {
        const QList<QByteArray> all = mixedDlq();
        fill(m_keys.dlq, all);
        const QString http503 = groupIdOf(ownEntry(http503Error(1), 503, 1));
        FailureGroupSelection selection(m_store.get(), m_connection.get(),
                                        QueueStore::List::DeadLetter, http503);
        selection.setWindowBytes(4 * 1024);
        connect(&selection, &FailureGroupSelection::progress, &selection,
                &FailureGroupSelection::cancel);
        const FailureGroupSelectionResult result = run(selection, Action::Remove);
        QCOMPARE(result.code, QueueError::Cancelled);
        QVERIFY(result.done > 0);
        QVERIFY(result.done < 600);
        QCOMPARE(m_redis.command({ "LLEN", m_keys.dlq }).toLongLong(), all.size() - result.done);
        QVERIFY(!selection.isRunning());
    }

    void redisGoneEndsWithAnError()
    {
        fill(m_keys.dlq, mixedDlq());
        FailureGroupSelection selection(m_store.get(), m_connection.get(),
                                        QueueStore::List::DeadLetter,
                                        groupIdOf(ownEntry(TimeoutError, 504, 1)));
        m_redis.stop();
        const FailureGroupSelectionResult result = run(selection, Action::RetryNow);
        QCOMPARE(result.code, QueueError::Redis);
        QVERIFY(!result.error.isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestFailureGroupSelection)
#include "tst_failuregroupselection.moc"
