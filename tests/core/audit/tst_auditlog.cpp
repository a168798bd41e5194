// SPDX-License-Identifier: MIT
#include "core/audit/auditlog.h"
#include "core/queue/queuekeys.h"
#include "core/redis/redisconnection.h"
#include "tests/support/redisserver.h"
#include "tests/support/redissync.h"

#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QTest>

#include <memory>

using namespace redrive::core;
using redrive::tests::RedisServer;
using redrive::tests::runCommand;

namespace {

AuditRecord retryOf(int n)
{
    AuditRecord record;
    record.action = AuditAction::Retry;
    record.scope = AuditScope::Entry;
    record.list = QStringLiteral("{genesys}:webhook_dlq");
    record.ids = { QStringLiteral("e-%1").arg(n) };
    record.count = n + 1; // distinct per record, to see the order
    return record;
}

} // namespace

class TestAuditLog : public QObject
{
    Q_OBJECT

private:
    RedisServer m_redis;
    std::unique_ptr<RedisConnection> m_connection;
    std::unique_ptr<AuditLog> m_log;
    QueueKeys m_keys;

    bool connectRedis()
    {
        m_log.reset();
        m_connection = redrive::tests::connectRedis(redrive::tests::endpointOf(m_redis.url()));
        return m_connection != nullptr;
    }

    // Records and waits until Redis confirmed (or the record was lost).
    bool write(const AuditRecord &record, QString *error = nullptr)
    {
        bool answered = false, written = false;
        m_log->record(record, this, [&](bool ok, const QString &why) {
            answered = true;
            written = ok;
            if (error)
                *error = why;
        });
        [&] { QTRY_VERIFY_WITH_TIMEOUT(answered, 30000); }();
        return written;
    }

    // Many records in one go; true once Redis confirmed all of them.
    bool writeMany(int n, const std::function<AuditRecord(int)> &make)
    {
        int written = 0, answered = 0;
        for (int i = 0; i < n; ++i)
            m_log->record(make(i), this, [&](bool ok, const QString &) {
                ++answered;
                written += ok ? 1 : 0;
            });
        [&] { QTRY_COMPARE_WITH_TIMEOUT(answered, n, 60000); }();
        return written == n;
    }

    AuditPage readPage(const QByteArray &cursor, int count)
    {
        AuditPage result;
        bool answered = false;
        m_log->readPage(cursor, count, this, [&](const AuditPage &page) {
            result = page;
            answered = true;
        });
        [&] { QTRY_VERIFY_WITH_TIMEOUT(answered, 30000); }();
        return result;
    }

    AuditPage search(const QString &text, const QByteArray &cursor, int maxMatches, int maxScanned)
    {
        AuditPage result;
        bool answered = false;
        m_log->search(text, cursor, maxMatches, maxScanned, this, [&](const AuditPage &page) {
            result = page;
            answered = true;
        });
        [&] { QTRY_VERIFY_WITH_TIMEOUT(answered, 30000); }();
        return result;
    }

private Q_SLOTS:
    void initTestCase()
    {
        qRegisterMetaType<AuditRecord>();
        m_keys.dlq = "{genesys}:webhook_dlq";
        m_keys.permanent = "{genesys}:webhook_permanent_failures";
        m_keys.prefix = "{genesys}:webhook_dlq:";
        QVERIFY(m_keys.clusterProblem().isEmpty());
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
        m_log = std::make_unique<AuditLog>(m_connection.get(), m_keys.audit());
        m_log->setIdentity({ QStringLiteral("alice"), QStringLiteral("ops-7") });
        m_log->setClient(QStringLiteral("console"));
    }
    void cleanup() { m_log.reset(); }

    void keyKeepsTheHashTag()
    {
        // Under the prefix, so it hashes with the lists (one slot for Redis Cluster).
        QCOMPARE(m_log->key(), QByteArray("{genesys}:webhook_dlq:audit"));
        QueueKeys defaults;
        QCOMPARE(defaults.audit(), QByteArray("genesys_webhook_dlq:audit"));
    }

    void namesAreStable()
    {
        const QStringList actions { QStringLiteral("retry"),     QStringLiteral("edit"),
                                    QStringLiteral("delete"),    QStringLiteral("move"),
                                    QStringLiteral("purge"),     QStringLiteral("import"),
                                    QStringLiteral("export"),    QStringLiteral("register"),
                                    QStringLiteral("unregister") };
        for (const QString &name : actions) {
            AuditAction action;
            QVERIFY2(auditActionFromName(name, &action), qPrintable(name));
            QCOMPARE(auditActionName(action), name);
        }
        AuditAction action;
        QVERIFY(!auditActionFromName(u"Retry", &action));
        for (const char *name : { "entry", "selection", "filter", "group", "list", "none" }) {
            AuditScope scope;
            QVERIFY(auditScopeFromName(QString::fromLatin1(name), &scope));
            QCOMPARE(auditScopeName(scope), QLatin1String(name));
        }
        for (const char *name : { "done", "failed", "cancelled" }) {
            AuditOutcome outcome;
            QVERIFY(auditOutcomeFromName(QString::fromLatin1(name), &outcome));
            QCOMPARE(auditOutcomeName(outcome), QLatin1String(name));
        }
    }

    void localIdentity()
    {
        const AuditIdentity &identity = AuditIdentity::local();
        QVERIFY(!identity.user.isEmpty());
        QVERIFY(!identity.host.isEmpty());
        QCOMPARE(&AuditIdentity::local(), &identity);
    }

    void recordAndReadBack()
    {
        AuditRecord edit;
        edit.atMs = 1764655042123;
        edit.action = AuditAction::Edit;
        edit.scope = AuditScope::Entry;
        edit.list = QStringLiteral("{genesys}:webhook_dlq");
        edit.ids = { QStringLiteral("d-1") };
        edit.count = 1;
        edit.before = QStringLiteral("{\"n\":1,\"name\":\"Zoë\"}");
        edit.after = QStringLiteral("{\"n\":2,\"name\":\"Zoë\"}");
        QVERIFY(write(edit));

        AuditRecord groupMove;
        groupMove.action = AuditAction::Move;
        groupMove.scope = AuditScope::Group;
        groupMove.list = QStringLiteral("{genesys}:webhook_permanent_failures");
        groupMove.target = QStringLiteral("{genesys}:webhook_dlq");
        groupMove.group = QStringLiteral("g-3fa9");
        groupMove.filter = QStringLiteral("customer.start");
        groupMove.count = 38000;
        groupMove.outcome = AuditOutcome::Failed;
        groupMove.reason = QStringLiteral("Redis went away after 1200 entries");
        QVERIFY(write(groupMove));

        QCOMPARE(m_redis.command({ "XLEN", m_log->key() }).toLongLong(), 2LL);
        const AuditPage page = readPage(QByteArray(), 10);
        QVERIFY2(page.ok(), qPrintable(page.error));
        QCOMPARE(page.records.size(), 2);
        QVERIFY(page.next.isEmpty());

        const AuditRecord &moved = page.records.at(0); // newest first
        QVERIFY2(moved.isValid(), qPrintable(moved.problem));
        QVERIFY(!moved.streamId.isEmpty());
        QCOMPARE(moved.action, AuditAction::Move);
        QCOMPARE(moved.scope, AuditScope::Group);
        QCOMPARE(moved.group, QStringLiteral("g-3fa9"));
        QCOMPARE(moved.filter, QStringLiteral("customer.start"));
        QCOMPARE(moved.target, QStringLiteral("{genesys}:webhook_dlq"));
        QCOMPARE(moved.count, qint64(38000));
        QVERIFY(moved.ids.isEmpty());
        QCOMPARE(moved.outcome, AuditOutcome::Failed);
        QCOMPARE(moved.reason, QStringLiteral("Redis went away after 1200 entries"));
        QVERIFY(qAbs(moved.atMs - QDateTime::currentMSecsSinceEpoch()) < 3600 * 1000);

        const AuditRecord &edited = page.records.at(1);
        QVERIFY2(edited.isValid(), qPrintable(edited.problem));
        QCOMPARE(edited.atMs, qint64(1764655042123));
        QCOMPARE(edited.user, QStringLiteral("alice"));
        QCOMPARE(edited.host, QStringLiteral("ops-7"));
        QCOMPARE(edited.client, QStringLiteral("console"));
        QCOMPARE(edited.ids, QStringList { QStringLiteral("d-1") });
        QCOMPARE(edited.count, qint64(1));
        QCOMPARE(edited.before, edit.before);
        QCOMPARE(edited.after, edit.after);
        QVERIFY(!edited.truncated);

        // The JSON names, as docs/AUDIT.md gives them.
        const QJsonObject json = QJsonDocument::fromJson(edited.toJsonLine()).object();
        QCOMPARE(json.value(QLatin1String("id")).toString(), QString::fromLatin1(edited.streamId));
        QCOMPARE(json.value(QLatin1String("garbage")).toBool(true), false);
        QCOMPARE(json.value(QLatin1String("at")).toString(),
                 QStringLiteral("2025-12-02T05:57:22.123Z"));
        QCOMPARE(json.value(QLatin1String("at_ms")).toInteger(), qint64(1764655042123));
        QCOMPARE(json.value(QLatin1String("user")).toString(), QStringLiteral("alice"));
        QCOMPARE(json.value(QLatin1String("host")).toString(), QStringLiteral("ops-7"));
        QCOMPARE(json.value(QLatin1String("client")).toString(), QStringLiteral("console"));
        QCOMPARE(json.value(QLatin1String("action")).toString(), QStringLiteral("edit"));
        QCOMPARE(json.value(QLatin1String("scope")).toString(), QStringLiteral("entry"));
        QCOMPARE(json.value(QLatin1String("list")).toString(),
                 QStringLiteral("{genesys}:webhook_dlq"));
        QCOMPARE(json.value(QLatin1String("ids")).toArray().size(), 1);
        QCOMPARE(json.value(QLatin1String("count")).toInteger(), qint64(1));
        QCOMPARE(json.value(QLatin1String("outcome")).toString(), QStringLiteral("done"));
        QCOMPARE(json.value(QLatin1String("before")).toString(), edit.before);
        QCOMPARE(json.value(QLatin1String("after")).toString(), edit.after);
        for (const char *name : { "target", "filter", "group", "reason", "detail", "truncated" })
            QVERIFY2(json.contains(QLatin1String(name)), name);

        // redis-cli shows readable fields.
        const QVariantList raw
            = m_redis.command({ "XRANGE", m_log->key(), "-", "+", "COUNT", "1" }).toList();
        const QVariantList fields = raw.at(0).toList().at(1).toList();
        QVERIFY(fields.contains(QByteArray("action")));
        QVERIFY(fields.contains(QByteArray("edit")));
        QVERIFY(fields.contains(QByteArray("alice")));
    }

    void pagingAcrossBoundaries()
    {
        QVERIFY(writeMany(25, retryOf));
        QList<qint64> seen;
        QByteArray cursor;
        int pages = 0;
        do {
            const AuditPage page = readPage(cursor, 10);
            QVERIFY2(page.ok(), qPrintable(page.error));
            for (const AuditRecord &record : page.records)
                seen.append(record.count);
            cursor = page.next;
            ++pages;
        } while (!cursor.isEmpty() && pages < 10);
        QCOMPARE(pages, 3);
        QCOMPARE(seen.size(), 25);
        for (int i = 0; i < 25; ++i)
            QCOMPARE(seen.at(i), qint64(25 - i)); // newest first, none twice, none missing

        // A page that ends exactly at the oldest entry: the next one is empty and says the end.
        m_redis.flushAll();
        QVERIFY(writeMany(20, retryOf));
        const AuditPage first = readPage(QByteArray(), 10);
        const AuditPage second = readPage(first.next, 10);
        QCOMPARE(second.records.size(), 10);
        QCOMPARE(second.records.constLast().count, qint64(1));
        QVERIFY(!second.next.isEmpty());
        const AuditPage third = readPage(second.next, 10);
        QVERIFY(third.ok());
        QVERIFY(third.records.isEmpty());
        QVERIFY(third.next.isEmpty());

        // Records added meanwhile do not shift a paging in progress.
        const AuditPage top = readPage(QByteArray(), 5);
        QVERIFY(writeMany(3, retryOf));
        const AuditPage after = readPage(top.next, 5);
        QCOMPARE(after.records.constFirst().count, qint64(15));
    }

    void capRespected()
    {
        constexpr int Cap = 100;
        constexpr int Written = 1500;
        m_log->setMaxLength(Cap);
        QVERIFY(writeMany(Written, retryOf));
        const qlonglong length = m_redis.command({ "XLEN", m_log->key() }).toLongLong();
        // MAXLEN ~ trims whole nodes (100 entries each by default): about the cap, never all.
        QVERIFY2(length >= Cap && length <= Cap + 100, qPrintable(QString::number(length)));
        const AuditPage newest = readPage(QByteArray(), 1);
        QCOMPARE(newest.records.constFirst().count, qint64(Written));
    }

    void searchOverPages()
    {
        QVERIFY(writeMany(1200, [](int n) {
            AuditRecord record = retryOf(n);
            if (n % 100 == 7) {
                record.scope = AuditScope::Filter;
                record.filter = QStringLiteral("Customer.Start %1").arg(n);
            }
            return record;
        }));
        // 12 matches, newest first: n = 1107, 1007, ..., 7 (count = n + 1).
        AuditPage page = search(QStringLiteral("customer.start"), QByteArray(), 5, 100000);
        QVERIFY2(page.ok(), qPrintable(page.error));
        QCOMPARE(page.records.size(), 5);
        QCOMPARE(page.records.constFirst().count, qint64(1108));
        QCOMPARE(page.records.constLast().count, qint64(708));
        QVERIFY(!page.next.isEmpty());
        page = search(QStringLiteral("customer.start"), page.next, 100, 100000);
        QCOMPARE(page.records.size(), 7);
        QCOMPARE(page.records.constFirst().count, qint64(608));
        QCOMPARE(page.records.constLast().count, qint64(8));
        QVERIFY(page.next.isEmpty()); // the oldest was searched
        QCOMPARE(page.scanned, qint64(707)); // n = 706 down to 0

        // The scan bound stops a search that finds little, with a place to go on from.
        page = search(QStringLiteral("customer.start"), QByteArray(), 100, 150);
        QCOMPARE(page.scanned, qint64(150));
        QCOMPARE(page.records.size(), 1); // n = 1199 down to 1050: only 1107
        QVERIFY(!page.next.isEmpty());
        page = search(QStringLiteral("customer.start"), page.next, 100, 150);
        QCOMPARE(page.records.size(), 2); // n = 1049 down to 900: 1007 and 907
        QCOMPARE(page.records.constLast().count, qint64(908));

        // Who and what are searchable too.
        QCOMPARE(search(QStringLiteral("ALICE"), QByteArray(), 3, 10).records.size(), 3);
        QCOMPARE(search(QStringLiteral("nobody"), QByteArray(), 3, 10000).records.size(), 0);
    }

    void exportJsonLines()
    {
        constexpr int Count = 1234; // three pages of 500
        QVERIFY(writeMany(Count, retryOf));
        m_redis.command({ "XADD", m_log->key(), "*", "written_by", "another tool" });
        QBuffer buffer;
        QVERIFY(buffer.open(QIODevice::WriteOnly));
        qint64 written = -1;
        QString error = QStringLiteral("not answered");
        m_log->exportJsonLines(&buffer, QString(), this, [&](qint64 lines, const QString &why) {
            written = lines;
            error = why;
        });
        QTRY_COMPARE_WITH_TIMEOUT(written, Count + 1, 60000);
        QVERIFY2(error.isEmpty(), qPrintable(error));
        const QList<QByteArray> lines = buffer.data().split('\n');
        QCOMPARE(lines.size(), Count + 2); // the last newline leaves an empty tail
        QVERIFY(lines.constLast().isEmpty());
        for (int i = 0; i < Count; ++i) { // oldest first
            QJsonParseError parseError;
            const QJsonObject json = QJsonDocument::fromJson(lines.at(i), &parseError).object();
            QCOMPARE(parseError.error, QJsonParseError::NoError);
            QCOMPARE(json.value(QLatin1String("count")).toInteger(), qint64(i + 1));
            QCOMPARE(json.value(QLatin1String("action")).toString(), QStringLiteral("retry"));
        }
        const QJsonObject garbage = QJsonDocument::fromJson(lines.at(Count)).object();
        QCOMPARE(garbage.value(QLatin1String("garbage")).toBool(), true);
        QCOMPARE(garbage.value(QLatin1String("fields"))
                     .toObject()
                     .value(QLatin1String("written_by"))
                     .toString(),
                 QStringLiteral("another tool"));

        // Filtered.
        QBuffer some;
        QVERIFY(some.open(QIODevice::WriteOnly));
        written = -1;
        m_log->exportJsonLines(&some, QStringLiteral("\"e-12\""), this,
                               [&](qint64 lines, const QString &) { written = lines; });
        QTRY_COMPARE_WITH_TIMEOUT(written, 1, 60000);
        QVERIFY(some.data().contains("\"e-12\""));

        // A closed file ends the export with a reason, not a crash.
        QBuffer closed;
        written = -1;
        error.clear();
        m_log->exportJsonLines(&closed, QString(), this, [&](qint64 lines, const QString &why) {
            written = lines;
            error = why;
        });
        QTRY_VERIFY_WITH_TIMEOUT(!error.isEmpty(), 30000);
        QCOMPARE(written, 0);
    }

    void garbageIsShownNotFatal()
    {
        QVERIFY(write(retryOf(0)));
        const QByteArray key = m_log->key();
        m_redis.command({ "XADD", key, "*", "hello", "world" });
        m_redis.command({ "XADD", key, "*", "v", "1", "at", "soon", "action", "explode", "outcome",
                          "done", "count", "many", "ids", "{not an array" });
        m_redis.command(
            { "XADD", key, "*", "v", "9", "at", "1", "action", "retry", "outcome", "done" });
        m_redis.command({ "XADD", key, "*", "\xff\xfe", "\x01" });
        QVERIFY(write(retryOf(1)));

        const AuditPage page = readPage(QByteArray(), 10);
        QVERIFY2(page.ok(), qPrintable(page.error));
        QCOMPARE(page.records.size(), 6);
        QVERIFY(page.records.at(0).isValid());
        QVERIFY(!page.records.at(1).isValid());
        QVERIFY(page.records.at(2).problem.contains(QLatin1String("format version \"9\"")));
        const QString wrong = page.records.at(3).problem;
        QVERIFY2(wrong.contains(QLatin1String("unknown action \"explode\""))
                     && wrong.contains(QLatin1String("time \"soon\""))
                     && wrong.contains(QLatin1String("count \"many\""))
                     && wrong.contains(QLatin1String("ids are not a JSON array")),
                 qPrintable(wrong));
        const QString foreign = page.records.at(4).problem;
        QVERIFY2(foreign.contains(QLatin1String("no action"))
                     && foreign.contains(QLatin1String("no format version")),
                 qPrintable(foreign));
        QVERIFY(page.records.at(5).isValid());
        const QJsonObject json = QJsonDocument::fromJson(page.records.at(4).toJsonLine()).object();
        QCOMPARE(json.value(QLatin1String("garbage")).toBool(), true);
        QCOMPARE(json.value(QLatin1String("id")).toString(),
                 QString::fromLatin1(page.records.at(4).streamId));
        QCOMPARE(json.value(QLatin1String("fields")).toObject().value(QLatin1String("hello")),
                 QJsonValue(QStringLiteral("world")));
        // Search and summary lines go through garbage as well.
        QCOMPARE(search(QStringLiteral("explode"), QByteArray(), 10, 100).records.size(), 1);
        for (const AuditRecord &record : page.records)
            QVERIFY(!record.summary().isEmpty());

        // A key of another type: the reading fails with the reason.
        m_redis.flushAll();
        m_redis.command({ "SET", m_log->key(), "not a stream" });
        const AuditPage failed = readPage(QByteArray(), 10);
        QVERIFY(!failed.ok());
        QVERIFY2(failed.error.contains(QLatin1String("WRONGTYPE")), qPrintable(failed.error));
    }

    void limitsCutAndSay()
    {
        m_log->setTextLimit(8); // inside the second ë
        m_log->setIdLimit(2);
        AuditRecord edit;
        edit.action = AuditAction::Edit;
        edit.ids = { QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c") };
        edit.count = 3; // the total stays when the ids are cut
        edit.before = QStringLiteral("Zoë Zoë Zoë"); // ë is two bytes: cut before the whole of it
        edit.after = QStringLiteral("short");
        QVERIFY(write(edit));
        const AuditRecord back = readPage(QByteArray(), 1).records.constFirst();
        QVERIFY(back.isValid());
        QVERIFY(back.truncated);
        QCOMPARE(back.count, qint64(3));
        QCOMPARE(back.ids.size(), 2);
        QCOMPARE(back.before, QStringLiteral("Zoë Zo"));
        QCOMPARE(back.after, QStringLiteral("short"));
    }

    void redisDownHoldsThenWrites()
    {
        QSignalSpy held(m_log.get(), &AuditLog::held);
        QSignalSpy lost(m_log.get(), &AuditLog::lost);
        m_redis.stop();
        QTRY_VERIFY_WITH_TIMEOUT(!m_connection->isReady(), 30000);

        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("^audit records held until Redis "
                                                               "takes them: ")));
        int answered = 0, written = 0;
        QList<int> order;
        for (int i = 0; i < 3; ++i)
            m_log->record(retryOf(i), this, [&, i](bool ok, const QString &) {
                ++answered;
                written += ok ? 1 : 0;
                order.append(i);
            });
        QTRY_COMPARE_WITH_TIMEOUT(m_log->heldCount(), 3, 30000);
        QCOMPARE(held.size(), 1); // one line per outage, not per record
        QCOMPARE(answered, 0);
        QCOMPARE(m_log->pendingCount(), 3); // a process about to quit knows it must wait
        QSignalSpy settled(m_log.get(), &AuditLog::settled);
        QSignalSpy writtenSpy(m_log.get(), &AuditLog::written);

        QVERIFY(m_redis.start());
        QTRY_COMPARE_WITH_TIMEOUT(answered, 3, 60000);
        QCOMPARE(written, 3);
        QCOMPARE(writtenSpy.size(), 3);
        QCOMPARE(m_log->pendingCount(), 0);
        QCOMPARE(settled.size(), 1); // once, when the last one was written
        QCOMPARE(order, QList<int>({ 0, 1, 2 }));
        QCOMPARE(lost.size(), 0);
        QCOMPARE(m_log->heldCount(), 0);
        const AuditPage page = readPage(QByteArray(), 10);
        QCOMPARE(page.records.size(), 3);
        QCOMPARE(page.records.at(0).count, qint64(3));
        QCOMPARE(page.records.at(2).count, qint64(1));
    }

    void backlogFullLosesTheOldestVisibly()
    {
        m_log->setHeldLimit(2);
        QSignalSpy lost(m_log.get(), &AuditLog::lost);
        m_redis.stop();
        QTRY_VERIFY_WITH_TIMEOUT(!m_connection->isReady(), 30000);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("^audit records held")));
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "^audit record lost \\(more than 2 records waiting "
                                 "for Redis\\): retry entry on .*e-0.* by alice@ops-7")));
        QList<bool> results(3, false);
        int answered = 0;
        for (int i = 0; i < 3; ++i)
            m_log->record(retryOf(i), this, [&, i](bool ok, const QString &) {
                results[i] = ok;
                ++answered;
            });
        QTRY_COMPARE_WITH_TIMEOUT(lost.size(), 1, 30000);
        QCOMPARE(lost.first().first().value<AuditRecord>().count, qint64(1));
        QCOMPARE(answered, 1);

        QVERIFY(m_redis.start());
        QTRY_COMPARE_WITH_TIMEOUT(answered, 3, 60000);
        QCOMPARE(results, QList<bool>({ false, true, true }));
        QCOMPARE(m_redis.command({ "XLEN", m_log->key() }).toLongLong(), 2LL);
    }

    void refusedByRedisIsLostVisibly()
    {
        m_redis.command({ "SET", m_log->key(), "not a stream" });
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("^audit record lost \\(WRONGTYPE")));
        QString error;
        QVERIFY(!write(retryOf(0), &error));
        QVERIFY2(error.startsWith(QLatin1String("WRONGTYPE")), qPrintable(error));
        QCOMPARE(m_log->heldCount(), 0);
    }

    void busyRedisIsAskedAgain()
    {
        // A replica refuses writes with READONLY ("not now", as after a failover): held, then
        // written once it takes writes again, without the link ever dropping.
        QSignalSpy lost(m_log.get(), &AuditLog::lost);
        QCOMPARE(m_redis.command({ "REPLICAOF", "127.0.0.1", "1" }), QVariant(QByteArray("OK")));
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("^audit records held until Redis "
                                                               "takes them: READONLY")));
        bool answered = false, written = false;
        m_log->record(retryOf(7), this, [&](bool ok, const QString &) {
            answered = true;
            written = ok;
        });
        QTRY_COMPARE_WITH_TIMEOUT(m_log->heldCount(), 1, 30000);
        QVERIFY(!answered);
        QCOMPARE(m_redis.command({ "REPLICAOF", "NO", "ONE" }), QVariant(QByteArray("OK")));
        QTRY_VERIFY_WITH_TIMEOUT(answered, 30000);
        QVERIFY(written);
        QCOMPARE(lost.size(), 0);
        QCOMPARE(readPage(QByteArray(), 1).records.constFirst().count, qint64(8));
        QVERIFY(m_connection->isReady());
    }

    void destroyedWhileHoldingSaysSo()
    {
        m_redis.stop();
        QTRY_VERIFY_WITH_TIMEOUT(!m_connection->isReady(), 30000);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("^audit records held")));
        m_log->record(retryOf(41));
        QTRY_COMPARE_WITH_TIMEOUT(m_log->heldCount(), 1, 30000);
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral(
                                 "^audit record lost \\(Redrive stopped before Redis took it\\): "
                                 "retry entry .*e-41")));
        m_log.reset();
    }
};

QTEST_GUILESS_MAIN(TestAuditLog)
#include "tst_auditlog.moc"
