// SPDX-License-Identifier: MIT
#include "core/audit/auditlog.h"
#include "core/cli/queuecommand.h"
#include "core/queue/deadletterentry.h"
#include "core/queue/queuekeys.h"
#include "core/redis/redisconnection.h"
#include "core/settings/memorycredentialstore.h"
#include "core/settings/settings.h"
#include "core/trends/trendseries.h"
#include "core/triage/failurefingerprint.h"
#include "tests/support/redisserver.h"
#include "tests/support/redriveprocess.h"
#include "tests/support/testenv.h"

#include <QBuffer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>

using namespace Qt::StringLiterals;
using namespace redrive::core;
using redrive::tests::RedisServer;
using redrive::tests::RedriveProcess;

namespace {

constexpr int kWaitMs = 60000; // an upper bound for "eventually", never a measured duration
const QByteArray kDlq = "genesys_webhook_dlq";
const QByteArray kPermanent = "genesys_webhook_permanent_failures";

struct Outcome
{
    int exitCode = -1;
    QByteArray out;
    QStringList err;
    QStringList asked;
    QList<QJsonObject> json() const
    {
        QList<QJsonObject> objects;
        for (const QByteArray &line : out.split('\n')) {
            if (!line.isEmpty())
                objects.append(QJsonDocument::fromJson(line).object());
        }
        return objects;
    }
    QString all() const { return QString::fromUtf8(out) + err.join(u'\n'); }
};

// An entry as the receiver writes it: a 503 from the CRM for a presence event.
QByteArray crm503(int n)
{
    // Made once per n: the entry's timestamp is the time it is made, and tests compare texts.
    static QHash<int, QByteArray> made;
    if (const auto it = made.constFind(n); it != made.constEnd())
        return *it;
    const QByteArray payload
        = QStringLiteral(R"({"topicName":"v2.users.%1.presence","eventBody":{"n":%2}})")
              .arg(QStringLiteral("6a1f3c2e-0000-4000-8000-%1").arg(n, 12, 10, QChar(u'0')))
              .arg(n)
              .toUtf8();
    return made[n] = DeadLetterEntry::create(payload, u"HTTP 503 from https://crm.example/hooks"_s,
                                             503, {}, u"receiver"_s, u"crm-%1"_s.arg(n))
                         .raw();
}

// An entry as the tutorial's Python code writes it: no id, free-text error, naive timestamp.
QByteArray tutorial(int n)
{
    return QStringLiteral(R"({"original_payload": {"event": "customer.start", "n": %1}, )"
                          R"("error_message": "Simulated downstream failure", "status_code": 500, )"
                          R"("timestamp": "2025-12-02T05:57:22.%2", "retry_count": 0})")
        .arg(n)
        .arg(n, 6, 10, QChar(u'0'))
        .toUtf8();
}

QString groupOf(const QByteArray &raw)
{
    return failureFingerprint(QByteArrayView(raw)).groupId();
}

const QStringList kEntryFields {
    u"list"_s,          u"index"_s,       u"id"_s,        u"own_id"_s,      u"status_code"_s,
    u"error_message"_s, u"retry_count"_s, u"timestamp"_s, u"received_at"_s, u"next_attempt_at"_s,
    u"topic"_s,         u"source"_s,      u"group"_s,     u"retryable"_s,   u"problem"_s
};

QStringList sorted(QStringList list)
{
    list.sort();
    return list;
}

} // namespace

class TestQueueCommand final : public QObject
{
    Q_OBJECT

private:
    RedisServer m_redis;
    QTemporaryDir m_dir;

    // Runs `redrive queue <arguments> --redis <the test's Redis>` in this process.
    Outcome run(const QStringList &arguments, bool interactive = false,
                const QString &answer = QString(), const QByteArray &stdinData = {},
                CredentialStore *credentials = nullptr, bool withRedis = true)
    {
        Settings settings(m_dir.filePath(u"redrive.ini"_s));
        Outcome outcome;
        QBuffer out(&outcome.out);
        out.open(QIODevice::WriteOnly);
        QByteArray input = stdinData;
        QBuffer in(&input);
        in.open(QIODevice::ReadOnly);
        QueueCommandIo io;
        io.out = &out;
        io.in = &in;
        io.err = [&outcome](const QString &line) { outcome.err.append(line); };
        io.interactive = interactive;
        io.ask = [&outcome, answer](const QString &question) {
            outcome.asked.append(question);
            return answer;
        };
        QStringList args = arguments;
        if (withRedis)
            args << u"--redis"_s << m_redis.url();
        QueueCommand command(args, &settings, credentials, io);
        command.start();
        if (QTest::qWaitFor([&command] { return command.isFinished(); }, kWaitMs))
            outcome.exitCode = command.exitCode();
        return outcome;
    }

    void fill(const QByteArray &key, const QList<QByteArray> &elements)
    {
        // As the receiver pushes: elements.first() is the oldest.
        for (const QByteArray &element : elements)
            m_redis.lpush(key, element);
    }

private Q_SLOTS:
    void initTestCase()
    {
        QVERIFY(m_dir.isValid());
        QVERIFY2(m_redis.start(), qPrintable(m_redis.errorString()));
    }

    void init() { m_redis.flushAll(); }

    void statsCountsBothListsTheBackoffAndInFlight()
    {
        fill(kDlq, { crm503(1), crm503(2), crm503(3) });
        fill(kPermanent, { tutorial(1) });
        m_redis.command({ "ZADD", "genesys_webhook_dlq:schedule",
                          QByteArray::number(QDateTime::currentMSecsSinceEpoch() + 3600000),
                          crm503(1) });
        m_redis.command({ "SADD", "genesys_webhook_dlq:workers", "w1" });
        // Four deferred this minute, as a receiver's TrendRecorder writes them.
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        m_redis.command({ "HINCRBY", TrendKeys::minuteKey(QueueKeys(), now),
                          TrendKeys::field("deferred", int(now / TrendKeys::MinuteMs % 60)), "4" });
        m_redis.command({ "LPUSH", "genesys_webhook_dlq:inflight:w1", crm503(9) });
        const Outcome outcome = run({ u"stats"_s, u"--json"_s });
        QCOMPARE(outcome.exitCode, 0);
        const QList<QJsonObject> lines = outcome.json();
        QCOMPARE(lines.size(), 1);
        const QJsonObject stats = lines.first();
        QCOMPARE(sorted(stats.keys()),
                 sorted({ u"dlq_key"_s, u"dlq"_s, u"due"_s, u"waiting"_s, u"permanent_key"_s,
                          u"permanent"_s, u"in_flight"_s, u"workers"_s, u"audit_records"_s,
                          u"last_hour"_s, u"redis"_s }));
        QCOMPARE(stats.value(u"dlq"_s).toInteger(), 3);
        QCOMPARE(stats.value(u"waiting"_s).toInteger(), 1);
        QCOMPARE(stats.value(u"due"_s).toInteger(), 2);
        QCOMPARE(stats.value(u"permanent"_s).toInteger(), 1);
        QCOMPARE(stats.value(u"in_flight"_s).toInteger(), 1);
        QCOMPARE(stats.value(u"workers"_s).toInteger(), 1);
        QCOMPARE(stats.value(u"dlq_key"_s).toString(), QString::fromUtf8(kDlq));
        QCOMPARE(sorted(stats.value(u"last_hour"_s).toObject().keys()),
                 sorted({ u"received"_s, u"forwarded"_s, u"deferred"_s, u"retried"_s,
                          u"permanent"_s, u"rejected"_s, u"unavailable"_s }));
        QCOMPARE(stats.value(u"last_hour"_s).toObject().value(u"deferred"_s).toInteger(), 4);

        const Outcome text = run({ u"stats"_s });
        QCOMPARE(text.exitCode, 0);
        QVERIFY2(text.out.contains("3 entries (2 due now, 1 waiting"), text.out.constData());
    }

    void listStreamsEveryEntryNewestFirstWithStableFields()
    {
        // More than one chunk of the scan (the first asks for 256 elements).
        QList<QByteArray> elements;
        for (int i = 0; i < 700; ++i)
            elements.append(i % 7 == 0 ? tutorial(i) : crm503(i));
        elements.append("not json at all");
        fill(kDlq, elements);
        const Outcome outcome = run({ u"list"_s, u"--json"_s });
        QCOMPARE(outcome.exitCode, 0);
        const QList<QJsonObject> lines = outcome.json();
        QCOMPARE(lines.size(), 701);
        for (const QJsonObject &line : lines)
            QCOMPARE(sorted(line.keys()), sorted(kEntryFields));
        // Newest first: the last element pushed is index 0.
        QCOMPARE(lines.at(0).value(u"index"_s).toInteger(), 0);
        QCOMPARE(lines.at(0).value(u"retryable"_s).toBool(), false);
        QVERIFY(!lines.at(0).value(u"problem"_s).toString().isEmpty());
        QCOMPARE(lines.at(1).value(u"id"_s).toString(), u"crm-699"_s);
        QCOMPARE(lines.at(1).value(u"own_id"_s).toBool(), true);
        QCOMPARE(lines.at(1).value(u"status_code"_s).toInt(), 503);
        QCOMPARE(lines.at(1).value(u"list"_s).toString(), u"dlq"_s);
        QCOMPARE(lines.at(1).value(u"group"_s).toString(), groupOf(crm503(699)));
        QCOMPARE(lines.at(1).value(u"topic"_s).toString(),
                 u"v2.users.6a1f3c2e-0000-4000-8000-000000000699.presence"_s);
        QCOMPARE(lines.at(700).value(u"index"_s).toInteger(), 700);
        const QJsonObject old = lines.at(700);
        QVERIFY(old.value(u"id"_s).toString().startsWith(u"sha1-"_s)); // tutorial(0)
        QCOMPARE(old.value(u"own_id"_s).toBool(), false);
        QVERIFY(old.value(u"timestamp"_s).isString());
        QVERIFY(old.value(u"next_attempt_at"_s).isNull());

        const Outcome limited = run({ u"list"_s, u"--limit"_s, u"5"_s });
        QCOMPARE(limited.exitCode, 0);
        // A header line, then the entries; --json has no header.
        QCOMPARE(limited.out.count('\n'), 6);
        QVERIFY2(limited.out.startsWith("ID "), limited.out.constData());
        QVERIFY(limited.out.contains("\ncrm-699 "));
        QVERIFY(outcome.out.startsWith("{"));

        const Outcome filtered = run({ u"list"_s, u"--json"_s, u"--filter"_s, u"Simulated"_s });
        QCOMPARE(filtered.exitCode, 0);
        QCOMPARE(filtered.json().size(), 100); // i % 7 == 0 for i < 700
        for (const QJsonObject &line : filtered.json())
            QCOMPARE(line.value(u"error_message"_s).toString(), u"Simulated downstream failure"_s);
    }

    void listAndGroupsAgreeOnAGroup()
    {
        QList<QByteArray> elements;
        for (int i = 0; i < 30; ++i)
            elements.append(i % 3 == 0 ? tutorial(i) : crm503(i));
        fill(kDlq, elements);
        const Outcome groups = run({ u"groups"_s, u"--json"_s });
        QCOMPARE(groups.exitCode, 0);
        const QList<QJsonObject> lines = groups.json();
        QCOMPARE(lines.size(), 2);
        QCOMPARE(lines.at(0).value(u"id"_s).toString(), groupOf(crm503(1)));
        QCOMPARE(lines.at(0).value(u"count"_s).toInteger(), 20);
        QCOMPARE(lines.at(0).value(u"list"_s).toString(), u"dlq"_s);
        QCOMPARE(lines.at(1).value(u"id"_s).toString(), groupOf(tutorial(0)));
        QCOMPARE(lines.at(1).value(u"count"_s).toInteger(), 10);
        for (const QString &field :
             { u"title"_s, u"kind"_s, u"status_code"_s, u"host"_s, u"topic_pattern"_s, u"share"_s,
               u"first_seen"_s, u"last_seen"_s, u"arrivals"_s, u"example_id"_s })
            QVERIFY2(lines.at(0).contains(field), qPrintable(field));

        const Outcome top = run({ u"groups"_s, u"--limit"_s, u"1"_s });
        QCOMPARE(top.exitCode, 0);
        QVERIFY(top.out.contains(groupOf(crm503(1)).toUtf8()));
        QVERIFY(!top.out.contains(groupOf(tutorial(0)).toUtf8()));

        const Outcome members = run({ u"list"_s, u"--json"_s, u"--group"_s, groupOf(tutorial(0)) });
        QCOMPARE(members.exitCode, 0);
        QCOMPARE(members.json().size(), 10);
        for (const QJsonObject &line : members.json())
            QCOMPARE(line.value(u"group"_s).toString(), groupOf(tutorial(0)));
    }

    void showFindsAnEntryInEitherList()
    {
        fill(kDlq, { crm503(1), crm503(2) });
        fill(kPermanent, { tutorial(7) });
        const Outcome own = run({ u"show"_s, u"crm-2"_s, u"--json"_s });
        QCOMPARE(own.exitCode, 0);
        const QJsonObject entry = own.json().value(0);
        QCOMPARE(entry.value(u"id"_s).toString(), u"crm-2"_s);
        QCOMPARE(entry.value(u"entry"_s)
                     .toObject()
                     .value(u"original_payload"_s)
                     .toObject()
                     .value(u"eventBody"_s)
                     .toObject()
                     .value(u"n"_s)
                     .toInt(),
                 2);
        QCOMPARE(entry.value(u"raw"_s).toString(), QString());

        // A tutorial entry has no id of its own: its id is derived from its text.
        const QString derived = DeadLetterEntry::parse(tutorial(7)).id();
        const Outcome other = run({ u"show"_s, derived });
        QCOMPARE(other.exitCode, 0);
        QVERIFY(other.out.contains("Simulated downstream failure"));
        QVERIFY(other.out.contains(kPermanent));

        const Outcome missing = run({ u"show"_s, u"crm-404"_s });
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.all().contains(u"No entry with id crm-404"_s), qPrintable(missing.all()));

        const Outcome wrongList = run({ u"show"_s, u"crm-2"_s, u"--list"_s, u"permanent"_s });
        QCOMPARE(wrongList.exitCode, 1);
    }

    void retryByIdDropsTheBackoffAndMovesPermanentFailuresBack()
    {
        fill(kDlq, { crm503(1), crm503(2) });
        fill(kPermanent, { tutorial(3) });
        for (int n : { 1, 2 })
            m_redis.command(
                { "ZADD", "genesys_webhook_dlq:schedule", "99999999999999", crm503(n) });
        const Outcome retried = run({ u"retry"_s, u"crm-1"_s, u"--yes"_s, u"--json"_s });
        QCOMPARE(retried.exitCode, 0);
        QCOMPARE(retried.json().value(0).value(u"done"_s).toInt(), 1);
        QVERIFY(
            !m_redis.command({ "ZSCORE", "genesys_webhook_dlq:schedule", crm503(1) }).isValid());
        QVERIFY(m_redis.command({ "ZSCORE", "genesys_webhook_dlq:schedule", crm503(2) }).isValid());

        const QString derived = DeadLetterEntry::parse(tutorial(3)).id();
        const Outcome moved = run({ u"retry"_s, derived, u"--list"_s, u"permanent"_s, u"--yes"_s });
        QCOMPARE(moved.exitCode, 0);
        QCOMPARE(m_redis.llen(kPermanent), 0);
        QCOMPARE(m_redis.llen(kDlq), 3);

        const Outcome unknown = run({ u"retry"_s, u"crm-1"_s, u"crm-404"_s, u"--yes"_s });
        QCOMPARE(unknown.exitCode, 1);
        QVERIFY2(unknown.all().contains(u"crm-404"_s), qPrintable(unknown.all()));
    }

    void deleteAsksOnATerminalAndIsRefusedWithoutOne()
    {
        fill(kDlq, { crm503(1), crm503(2), tutorial(3) });
        // Not a terminal and no --yes: refused before anything is read.
        const Outcome refused = run({ u"delete"_s, u"--filter"_s, u"crm"_s });
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.all().contains(u"--yes"_s), qPrintable(refused.all()));
        QCOMPARE(m_redis.llen(kDlq), 3);

        // A terminal: asked, with the count; "n" changes nothing.
        const Outcome declined
            = run({ u"delete"_s, u"--filter"_s, u"crm.example"_s }, true, u"n\n"_s);
        QCOMPARE(declined.exitCode, 1);
        QCOMPARE(declined.asked.size(), 1);
        QVERIFY2(declined.asked.first().contains(u"Delete 2 entries"_s),
                 qPrintable(declined.asked.first()));
        QCOMPARE(m_redis.llen(kDlq), 3);

        const Outcome accepted
            = run({ u"delete"_s, u"--filter"_s, u"crm.example"_s }, true, u"y\n"_s);
        QCOMPARE(accepted.exitCode, 0);
        QCOMPARE(m_redis.llen(kDlq), 1);
        QCOMPARE(m_redis.lrange(kDlq).value(0), tutorial(3));

        // --yes on a terminal: no question.
        const Outcome all = run({ u"delete"_s, u"--all"_s, u"--yes"_s }, true);
        QCOMPARE(all.exitCode, 0);
        QVERIFY(all.asked.isEmpty());
        QCOMPARE(m_redis.llen(kDlq), 0);
    }

    // Texts from senders and downstreams reach the operator's terminal escaped: an escape sequence
    // in an error, a topic or a non-JSON element cannot retitle or clear it. --json and export
    // keep the data exactly (JSON escapes control characters itself).
    void textOutputEscapesControlCharacters()
    {
        const QString evil = u"\x1b]0;PWNED\x07\x1b[2J\x1b[31mRED\x08"_s;
        const QByteArray payload = QStringLiteral(R"({"topicName":"v2.users.%1.presence"})")
                                       .arg(u"\u001b[31mX"_s)
                                       .toUtf8();
        const QByteArray entry
            = DeadLetterEntry::create(payload, u"downstream answered 503: "_s + evil, 503, {},
                                      u"receiver"_s, u"evil-1"_s)
                  .raw();
        const QByteArray plain = "plain \x1b[2J text";
        fill(kDlq, { entry, plain });
        const QString plainId = DeadLetterEntry::parse(plain).id();
        for (const QStringList &command :
             { QStringList { u"list"_s }, QStringList { u"groups"_s },
               QStringList { u"show"_s, u"evil-1"_s }, QStringList { u"show"_s, plainId } }) {
            const Outcome shown = run(command);
            QCOMPARE(shown.exitCode, 0);
            for (const char control : { '\x1b', '\x07', '\x08' })
                QVERIFY2(!shown.out.contains(control), qPrintable(command.join(u' ')));
        }
        QVERIFY(run({ u"list"_s }).out.contains("\\x1b]0;PWNED\\x07"));
        // The data itself is untouched.
        const Outcome json = run({ u"show"_s, u"evil-1"_s, u"--json"_s });
        QVERIFY(json.json().value(0).value(u"error_message"_s).toString().endsWith(evil));
        QCOMPARE(m_redis.lrange(kDlq).value(1), entry);
    }

    void groupActionsTouchOnlyTheirGroup()
    {
        QList<QByteArray> elements;
        for (int i = 0; i < 12; ++i)
            elements.append(i % 2 ? tutorial(i) : crm503(i));
        fill(kPermanent, elements);
        const Outcome exported
            = run({ u"export"_s, u"--list"_s, u"permanent"_s, u"--group"_s, groupOf(tutorial(1)) });
        QCOMPARE(exported.exitCode, 0);
        QCOMPARE(exported.out.count('\n'), 6);
        for (const QByteArray &line : exported.out.split('\n')) {
            if (!line.isEmpty())
                QCOMPARE(groupOf(line), groupOf(tutorial(1)));
        }
        // Its audit record says where the lines went, as an export without --group does.
        const QList<QJsonObject> trail = run({ u"audit"_s, u"--json"_s }).json();
        QCOMPARE(trail.value(0).value(u"action"_s).toString(), u"export"_s);
        QCOMPARE(trail.value(0).value(u"scope"_s).toString(), u"group"_s);
        QCOMPARE(trail.value(0).value(u"detail"_s).toString(), u"stdout"_s);
        // On a terminal, the question gives the group's count.
        const Outcome declined
            = run({ u"move"_s, u"--group"_s, groupOf(tutorial(1)) }, true, u"no"_s);
        QCOMPARE(declined.exitCode, 1);
        QVERIFY2(declined.asked.value(0).contains(u"6 entries of group"_s),
                 qPrintable(declined.asked.value(0)));
        QCOMPARE(m_redis.llen(kDlq), 0);

        const Outcome moved
            = run({ u"move"_s, u"--group"_s, groupOf(tutorial(1)), u"--yes"_s, u"--json"_s });
        QCOMPARE(moved.exitCode, 0);
        QCOMPARE(moved.json().value(0).value(u"done"_s).toInt(), 6);
        QCOMPARE(m_redis.llen(kDlq), 6);
        for (const QByteArray &raw : m_redis.lrange(kDlq))
            QCOMPARE(groupOf(raw), groupOf(tutorial(1)));
        for (const QByteArray &raw : m_redis.lrange(kPermanent))
            QCOMPARE(groupOf(raw), groupOf(crm503(0)));

        const Outcome deleted = run({ u"delete"_s, u"--list"_s, u"permanent"_s, u"--group"_s,
                                      groupOf(crm503(0)), u"--yes"_s });
        QCOMPARE(deleted.exitCode, 0);
        QCOMPARE(m_redis.llen(kPermanent), 0);
        QCOMPARE(m_redis.llen(kDlq), 6);

        const Outcome none = run({ u"retry"_s, u"--group"_s, u"000000000000"_s, u"--yes"_s });
        QCOMPARE(none.exitCode, 1);

        // Retrying a group in the DLQ drops the backoff of its entries only.
        m_redis.flushAll();
        QList<QByteArray> waiting;
        for (int i = 20; i < 28; ++i)
            waiting.append(i < 24 ? crm503(i) : tutorial(i));
        fill(kDlq, waiting);
        for (const QByteArray &raw : std::as_const(waiting))
            m_redis.command({ "ZADD", "genesys_webhook_dlq:schedule", "99999999999999", raw });
        const Outcome retried = run({ u"retry"_s, u"--group"_s, groupOf(crm503(20)), u"--yes"_s });
        QCOMPARE(retried.exitCode, 0);
        QCOMPARE(m_redis.command({ "ZCARD", "genesys_webhook_dlq:schedule" }).toLongLong(), 4);
        for (const QByteArray &raw : std::as_const(waiting))
            QCOMPARE(m_redis.command({ "ZSCORE", "genesys_webhook_dlq:schedule", raw }).isValid(),
                     groupOf(raw) != groupOf(crm503(20)));
        QCOMPARE(m_redis.llen(kDlq), 8);
    }

    void exportThenImportGivesTheSameList()
    {
        QList<QByteArray> elements;
        for (int i = 0; i < 300; ++i)
            elements.append(i % 5 == 0 ? tutorial(i) : crm503(i));
        elements.append("line one\nline two");
        fill(kDlq, elements);
        const QList<QByteArray> before = m_redis.lrange(kDlq);
        const QString file = m_dir.filePath(u"export.jsonl"_s);
        const Outcome exported = run({ u"export"_s, u"--output"_s, file });
        QCOMPARE(exported.exitCode, 0);
        QVERIFY2(exported.all().contains(u"Exported 301 entries"_s), qPrintable(exported.all()));

        // To stdout: only the lines there, the summary on stderr.
        const Outcome toStdout = run({ u"export"_s, u"--filter"_s, u"Simulated"_s });
        QCOMPARE(toStdout.exitCode, 0);
        QCOMPARE(toStdout.out.count('\n'), 60);

        m_redis.flushAll();
        const Outcome imported = run({ u"import"_s, file, u"--yes"_s });
        QCOMPARE(imported.exitCode, 0);
        QCOMPARE(m_redis.lrange(kDlq), before);

        m_redis.flushAll();
        QFile source(file);
        QVERIFY(source.open(QIODevice::ReadOnly));
        const Outcome fromStdin
            = run({ u"import"_s, u"-"_s, u"--list"_s, u"permanent"_s, u"--yes"_s }, false, {},
                  source.readAll());
        QCOMPARE(fromStdin.exitCode, 0);
        QCOMPARE(m_redis.lrange(kPermanent), before);
    }

    void auditPrintsTheTrailNewestFirst()
    {
        RedisEndpoint endpoint;
        QString error;
        QVERIFY(RedisEndpoint::parse(m_redis.url(), &endpoint, &error));
        RedisConnection connection(endpoint, u"test"_s);
        connection.open();
        QTRY_VERIFY_WITH_TIMEOUT(connection.isReady(), kWaitMs);
        AuditLog log(&connection, QueueKeys().audit());
        int written = 0;
        for (int i = 0; i < 7; ++i) {
            AuditRecord record;
            record.action = i == 3 ? AuditAction::Delete : AuditAction::Retry;
            record.scope = AuditScope::Entry;
            record.list = QString::fromUtf8(kDlq);
            record.ids = { u"crm-%1"_s.arg(i) };
            record.count = 1;
            log.record(record, this, [&written](bool ok, const QString &) { written += ok; });
        }
        QTRY_COMPARE_WITH_TIMEOUT(written, 7, kWaitMs);
        const Outcome all = run({ u"audit"_s, u"--json"_s });
        QCOMPARE(all.exitCode, 0);
        const QList<QJsonObject> records = all.json();
        QCOMPARE(records.size(), 7);
        QCOMPARE(records.first().value(u"ids"_s).toArray().first().toString(), u"crm-6"_s);
        QCOMPARE(records.last().value(u"ids"_s).toArray().first().toString(), u"crm-0"_s);
        for (const QString &field :
             { u"id"_s, u"at"_s, u"user"_s, u"host"_s, u"client"_s, u"action"_s, u"scope"_s,
               u"list"_s, u"count"_s, u"outcome"_s })
            QVERIFY2(records.first().contains(field), qPrintable(field));

        const Outcome limited = run({ u"audit"_s, u"--limit"_s, u"2"_s });
        QCOMPARE(limited.exitCode, 0);
        QCOMPARE(limited.out.count('\n'), 2);
        QVERIFY(limited.out.contains("crm-6"));

        const Outcome searched = run({ u"audit"_s, u"--json"_s, u"--filter"_s, u"delete"_s });
        QCOMPARE(searched.exitCode, 0);
        QCOMPARE(searched.json().size(), 1);
        QCOMPARE(searched.json().first().value(u"action"_s).toString(), u"delete"_s);
    }

    void everyChangeIsInTheAuditTrail()
    {
        fill(kDlq, { crm503(1), crm503(2), tutorial(3), tutorial(4) });
        fill(kPermanent, { tutorial(5) });
        const QString file = m_dir.filePath(u"audited.jsonl"_s);
        QCOMPARE(run({ u"retry"_s, u"crm-1"_s, u"--yes"_s }).exitCode, 0);
        QCOMPARE(run({ u"delete"_s, u"--filter"_s, u"Simulated"_s, u"--yes"_s }).exitCode, 0);
        QCOMPARE(run({ u"move"_s, u"--all"_s, u"--yes"_s }).exitCode, 0);
        QCOMPARE(run({ u"export"_s, u"--output"_s, file }).exitCode, 0);
        QCOMPARE(run({ u"import"_s, file, u"--list"_s, u"permanent"_s, u"--yes"_s }).exitCode, 0);
        QCOMPARE(run({ u"retry"_s, u"--group"_s, groupOf(crm503(2)), u"--yes"_s }).exitCode, 0);
        // Reading is not recorded.
        QCOMPARE(run({ u"list"_s }).exitCode, 0);

        const Outcome trail = run({ u"audit"_s, u"--json"_s });
        QCOMPARE(trail.exitCode, 0);
        QList<QJsonObject> records = trail.json();
        std::reverse(records.begin(), records.end()); // oldest first, as done
        QStringList actions;
        for (const QJsonObject &record : std::as_const(records)) {
            actions.append(record.value(u"action"_s).toString() + u'/'
                           + record.value(u"scope"_s).toString());
            QCOMPARE(record.value(u"client"_s).toString(), u"cli"_s);
            QCOMPARE(record.value(u"outcome"_s).toString(), u"done"_s);
            QVERIFY(!record.value(u"user"_s).toString().isEmpty());
        }
        QCOMPARE(actions,
                 QStringList({ u"retry/selection"_s, u"delete/filter"_s, u"move/list"_s,
                               u"export/list"_s, u"import/list"_s, u"retry/group"_s }));
        QCOMPARE(records.at(0).value(u"ids"_s).toArray(), QJsonArray({ u"crm-1"_s }));
        QCOMPARE(records.at(0).value(u"list"_s).toString(), QString::fromUtf8(kDlq));
        QCOMPARE(records.at(1).value(u"filter"_s).toString(), u"Simulated"_s);
        QCOMPARE(records.at(1).value(u"count"_s).toInteger(), 2);
        QCOMPARE(records.at(2).value(u"target"_s).toString(), QString::fromUtf8(kDlq));
        QCOMPARE(records.at(2).value(u"count"_s).toInteger(), 1);
        QCOMPARE(records.at(3).value(u"detail"_s).toString(), file);
        QCOMPARE(records.at(4).value(u"detail"_s).toString(), file);
        // A group action is one record, with the group's id and what it touched.
        QCOMPARE(records.at(5).value(u"group"_s).toString(), groupOf(crm503(2)));
        QCOMPARE(records.at(5).value(u"count"_s).toInteger(), 2);
        QCOMPARE(records.at(5).value(u"list"_s).toString(), QString::fromUtf8(kDlq));
    }

    void changesAreAnnouncedAsTheCli()
    {
        fill(kDlq, { crm503(1) });
        RedisEndpoint endpoint;
        QString error;
        QVERIFY(RedisEndpoint::parse(m_redis.url(), &endpoint, &error));
        RedisConnection subscriber(endpoint, u"test"_s);
        QList<QByteArray> messages;
        connect(&subscriber, &RedisConnection::messageReceived, this,
                [&messages](const QByteArray &, const QByteArray &message) {
                    messages.append(message);
                });
        bool subscribed = false;
        connect(&subscriber, &RedisConnection::subscribed, this,
                [&subscribed] { subscribed = true; });
        subscriber.subscribe({ QueueKeys().channel() });
        subscriber.open();
        QTRY_VERIFY_WITH_TIMEOUT(subscribed, kWaitMs);
        QCOMPARE(run({ u"delete"_s, u"crm-1"_s, u"--yes"_s }).exitCode, 0);
        QTRY_VERIFY_WITH_TIMEOUT(!messages.isEmpty(), kWaitMs);
        const QJsonObject event = QJsonDocument::fromJson(messages.first()).object();
        QCOMPARE(event.value(u"source"_s).toString(), u"cli"_s);
    }

    void anInterruptStopsAChangeBetweenChunks()
    {
        m_redis.command({ "EVAL",
                          "for i = 1, tonumber(ARGV[1]) do redis.call('LPUSH', KEYS[1], "
                          "'{\"original_payload\":{\"n\":' .. i .. '},\"error_message\":"
                          "\"x\",\"status_code\":500,\"timestamp\":\"2025-12-02T05:57:22\","
                          "\"retry_count\":0}') end",
                          "1", kDlq, "100000" });
        QCOMPARE(m_redis.llen(kDlq), 100000);
        Settings settings(m_dir.filePath(u"redrive.ini"_s));
        QByteArray output;
        QBuffer out(&output);
        out.open(QIODevice::WriteOnly);
        QStringList err;
        QueueCommandIo io;
        io.out = &out;
        io.err = [&err](const QString &line) { err.append(line); };
        QueueCommand command({ u"delete"_s, u"--all"_s, u"--yes"_s, u"--redis"_s, m_redis.url() },
                             &settings, nullptr, io);
        command.start();
        // Once the first chunk is gone (elements are removed 200 a script), Ctrl+C.
        QVERIFY(QTest::qWaitFor(
            [this, &command] { return command.isFinished() || m_redis.llen(kDlq) < 100000; },
            kWaitMs));
        QVERIFY(!command.isFinished());
        QVERIFY(command.interrupt());
        QVERIFY(QTest::qWaitFor([&command] { return command.isFinished(); }, kWaitMs));
        QCOMPARE(command.exitCode(), 1);
        const qlonglong left = m_redis.llen(kDlq);
        QVERIFY2(left > 0 && left < 100000, qPrintable(QString::number(left)));
        QVERIFY2(err.join(u'\n').contains(u"Cancelled"_s), qPrintable(err.join(u'\n')));
        // In the audit trail as cancelled, with what was done.
        const QJsonObject record
            = run({ u"audit"_s, u"--json"_s, u"--limit"_s, u"1"_s }).json().value(0);
        QCOMPARE(record.value(u"action"_s).toString(), u"delete"_s);
        QCOMPARE(record.value(u"outcome"_s).toString(), u"cancelled"_s);
        QCOMPARE(record.value(u"count"_s).toInteger(), 100000 - left);

        // Before anything changed, an interrupt stops at once.
        m_redis.flushAll();
        fill(kDlq, { crm503(1) });
        QueueCommand early({ u"delete"_s, u"--all"_s, u"--yes"_s, u"--redis"_s, m_redis.url() },
                           &settings, nullptr, io);
        early.start();
        QVERIFY(early.interrupt());
        QVERIFY(QTest::qWaitFor([&early] { return early.isFinished(); }, kWaitMs));
        QCOMPARE(early.exitCode(), 1);
        QCOMPARE(m_redis.llen(kDlq), 1);
    }

    void usageErrorsExitWithTwo_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::newRow("no command") << QStringList {};
        QTest::newRow("unknown command") << QStringList { u"explode"_s };
        QTest::newRow("bad list") << QStringList { u"list"_s, u"--list"_s, u"other"_s };
        QTest::newRow("bad limit") << QStringList { u"list"_s, u"--limit"_s, u"-1"_s };
        QTest::newRow("retry without selection") << QStringList { u"retry"_s, u"--yes"_s };
        QTest::newRow("two selections")
            << QStringList { u"delete"_s, u"--filter"_s, u"x"_s, u"--all"_s, u"--yes"_s };
        QTest::newRow("move from the dlq")
            << QStringList { u"move"_s, u"--list"_s, u"dlq"_s, u"--all"_s, u"--yes"_s };
        QTest::newRow("show without id") << QStringList { u"show"_s };
        QTest::newRow("unknown option") << QStringList { u"stats"_s, u"--listen"_s, u"x"_s };
        QTest::newRow("yes on a read") << QStringList { u"list"_s, u"--yes"_s };
        QTest::newRow("bad url") << QStringList { u"stats"_s, u"--redis"_s, u"http://x"_s };
        QTest::newRow("password in the url")
            << QStringList { u"stats"_s, u"--redis"_s, u"redis://:pw-in-url@127.0.0.1:1/0"_s };
    }

    void usageErrorsExitWithTwo()
    {
        QFETCH(QStringList, arguments);
        fill(kDlq, { crm503(1) });
        const Outcome outcome = run(arguments, false, {}, {}, nullptr, false);
        QCOMPARE(outcome.exitCode, 2);
        QVERIFY(!outcome.err.isEmpty());
        QVERIFY(!outcome.all().contains(u"pw-in-url"_s));
        QCOMPARE(m_redis.llen(kDlq), 1);
    }

    void anUnreachableRedisIsNamedWithoutItsPassword()
    {
        MemoryCredentialStore credentials;
        bool stored = false;
        credentials.write(SecretKind::RedisPassword, u"hunter2-pass"_s, this,
                          [&stored](const QString &) { stored = true; });
        QTRY_VERIFY_WITH_TIMEOUT(stored, kWaitMs);
        const Outcome outcome = run({ u"stats"_s, u"--redis"_s, u"redis://alice@127.0.0.1:1/0"_s },
                                    false, {}, {}, &credentials, false);
        QCOMPARE(outcome.exitCode, 1);
        QVERIFY2(outcome.all().contains(u"redis://***@127.0.0.1:1/0"_s), qPrintable(outcome.all()));
        QVERIFY(!outcome.all().contains(u"hunter2-pass"_s));
    }

    void anUnknownGroupFailsEveryCommandThatTakesOne_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::newRow("list") << QStringList { u"list"_s };
        QTest::newRow("list --json") << QStringList { u"list"_s, u"--json"_s };
        QTest::newRow("export") << QStringList { u"export"_s };
        QTest::newRow("export --output")
            << QStringList { u"export"_s, u"--output"_s, m_dir.filePath(u"none.jsonl"_s) };
        QTest::newRow("retry") << QStringList { u"retry"_s, u"--yes"_s };
        QTest::newRow("delete") << QStringList { u"delete"_s, u"--yes"_s };
        QTest::newRow("move") << QStringList { u"move"_s, u"--yes"_s };
    }

    void anUnknownGroupFailsEveryCommandThatTakesOne()
    {
        QFETCH(QStringList, arguments);
        fill(kDlq, { crm503(1), tutorial(2) });
        fill(kPermanent, { tutorial(3) });
        const Outcome outcome = run(arguments << u"--group"_s << u"0123456789ab"_s);
        QCOMPARE(outcome.exitCode, 1);
        QVERIFY2(outcome.err.join(u'\n').contains(u"No failure group 0123456789ab"_s),
                 qPrintable(outcome.all()));
        QVERIFY2(outcome.out.isEmpty(), outcome.out.constData());
        QCOMPARE(m_redis.llen(kDlq), 2);
        QCOMPARE(m_redis.llen(kPermanent), 1);
        // A group that is there still works (exit 0).
        QCOMPARE(run({ u"list"_s, u"--group"_s, groupOf(crm503(1)) }).exitCode, 0);
    }

    void textOutputSaysEachThingOnceWithItsPlural()
    {
        fill(kDlq, { crm503(1) });
        const Outcome stats = run({ u"stats"_s });
        QCOMPARE(stats.exitCode, 0);
        QVERIFY2(stats.out.contains("1 entry ") && !stats.out.contains("1 entries"),
                 stats.out.constData());
        QVERIFY2(stats.out.contains("0 entries") && stats.out.contains("0 records"),
                 stats.out.constData());

        const Outcome groups = run({ u"groups"_s });
        QCOMPARE(groups.exitCode, 0);
        QVERIFY2(groups.out.contains("1 entry in 1 group\n"), groups.out.constData());
        QVERIFY(groups.out.split('\n').value(1).startsWith("GROUP "));

        const Outcome retried = run({ u"retry"_s, u"crm-1"_s, u"--yes"_s });
        QCOMPARE(retried.exitCode, 0);
        QVERIFY2(retried.out.startsWith("Made 1 entry of genesys_webhook_dlq due now."),
                 retried.out.constData());

        const Outcome audit = run({ u"audit"_s, u"--limit"_s, u"1"_s });
        QCOMPARE(audit.exitCode, 0);
        const QString line = QString::fromUtf8(audit.out).trimmed();
        QVERIFY2(line.endsWith(u"retry 1 entry of genesys_webhook_dlq (crm-1): done"_s),
                 qPrintable(line));
        // Who and when, once each.
        const QString at = line.section(u' ', 0, 0);
        QCOMPARE(line.count(at), 1);
        const QString who = line.section(u' ', 2, 2);
        QVERIFY(who.contains(u'@'));
        QCOMPARE(line.count(who), 1);
    }

    void importCountsAndWarnsForTheLinesItSkips()
    {
        const QByteArray input = crm503(1) + "\n\nnot json\n[1]\n" + crm503(2) + "\r\n";
        const Outcome text = run({ u"import"_s, u"-"_s, u"--yes"_s }, false, {}, input);
        QCOMPARE(text.exitCode, 0);
        QCOMPARE(m_redis.lrange(kDlq), (QList<QByteArray> { crm503(1), crm503(2) }));
        QVERIFY2(text.out.startsWith("Imported 2 entries from stdin into genesys_webhook_dlq; "
                                     "skipped 2 lines"),
                 text.out.constData());
        QCOMPARE(text.err.size(), 2);
        QVERIFY2(text.err.at(0).contains(u"line 3 skipped: not JSON"_s), qPrintable(text.all()));
        QVERIFY2(text.err.at(1).contains(u"line 4 skipped: not a JSON object"_s),
                 qPrintable(text.all()));

        const Outcome json
            = run({ u"import"_s, u"-"_s, u"--yes"_s, u"--json"_s }, false, {}, input);
        QCOMPARE(json.exitCode, 0);
        QCOMPARE(json.json().value(0).value(u"done"_s).toInt(), 2);
        QCOMPARE(json.json().value(0).value(u"skipped"_s).toInt(), 2);

        const Outcome nothing
            = run({ u"import"_s, u"-"_s, u"--yes"_s }, false, {}, QByteArray("oops\n"));
        QCOMPARE(nothing.exitCode, 1);
        QVERIFY2(nothing.all().contains(u"Nothing to import"_s), qPrintable(nothing.all()));
        QCOMPARE(m_redis.llen(kDlq), 4);
    }

    void aRedisThatWantsAPasswordSaysHowToGiveOne()
    {
        RedisServer locked;
        QVERIFY2(locked.start({ u"--requirepass"_s, u"pw-locked-7"_s }),
                 qPrintable(locked.errorString()));
        const Outcome outcome
            = run({ u"stats"_s, u"--redis"_s, locked.url() }, false, {}, {}, nullptr, false);
        QCOMPARE(outcome.exitCode, 1);
        QVERIFY2(outcome.all().contains(u"NOAUTH"_s)
                     && outcome.all().contains(u"REDRIVE_REDIS_PASSWORD"_s)
                     && outcome.all().contains(u"keychain"_s)
                     && outcome.all().contains(u"redis://USER@"_s),
                 qPrintable(outcome.all()));

        MemoryCredentialStore credentials;
        bool stored = false;
        credentials.write(SecretKind::RedisPassword, u"pw-locked-7"_s, this,
                          [&stored](const QString &) { stored = true; });
        QTRY_VERIFY_WITH_TIMEOUT(stored, kWaitMs);
        const Outcome unlocked
            = run({ u"stats"_s, u"--redis"_s, locked.url() }, false, {}, {}, &credentials, false);
        QCOMPARE(unlocked.exitCode, 0);
        QVERIFY(!unlocked.all().contains(u"pw-locked-7"_s));
    }

    void printConfigNeverPrintsAPassword()
    {
        QTemporaryDir home;
        RedriveProcess inUrl;
        inUrl.start(home.path(),
                    { u"--print-config"_s, u"--redis"_s, u"redis://ops:pw-url-5@127.0.0.1:1/0"_s });
        QVERIFY(inUrl.process.waitForFinished(kWaitMs));
        inUrl.readLog();
        QCOMPARE(inUrl.process.exitCode(), 2);
        QVERIFY2(inUrl.log.contains("REDRIVE_REDIS_PASSWORD"), inUrl.log.constData());
        QVERIFY2(!inUrl.log.contains("pw-url-5"), inUrl.log.constData());

        RedriveProcess inEnv;
        QProcessEnvironment env;
        env.insert(u"REDRIVE_REDIS_PASSWORD"_s, u"pw-env-6"_s);
        inEnv.start(home.path(),
                    { u"--print-config"_s, u"--redis"_s, u"redis://ops@127.0.0.1:1/0"_s,
                      u"--dlq-key"_s, u"{q}dlq"_s },
                    env);
        QVERIFY(inEnv.process.waitForFinished(kWaitMs));
        inEnv.readLog();
        QCOMPARE(inEnv.process.exitCode(), 0);
        QVERIFY2(inEnv.log.contains("secret redis-password = set (REDRIVE_REDIS_PASSWORD)")
                     && inEnv.log.contains("redis/url = redis://***@127.0.0.1:1/0"),
                 inEnv.log.constData());
        QVERIFY2(!inEnv.log.contains("pw-env-6") && !inEnv.log.contains("ops@"),
                 inEnv.log.constData());
        // The key prefix Redrive uses, not the plain default the tagged DLQ key replaces.
        QVERIFY2(inEnv.log.contains("redis/key_prefix = {q}dlq:  (default"), inEnv.log.constData());
    }

    void aReaderThatGoesAwayIsNotAnError()
    {
        // More than a pipe holds, so that the command is still writing when the reader leaves.
        QList<QByteArray> push { "LPUSH", kDlq };
        for (int i = 0; i < 5000; ++i)
            push.append(crm503(i));
        m_redis.command(push);
        QCOMPARE(m_redis.llen(kDlq), 5000);
        QTemporaryDir home;
        for (const QString &command : { u"list"_s, u"export"_s }) {
            QProcess process;
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.insert(u"XDG_DATA_HOME"_s, home.path());
            env.insert(u"XDG_CONFIG_HOME"_s, home.filePath(u"config"_s));
            env.insert(u"REDRIVE_NO_KEYCHAIN"_s, u"1"_s);
            process.setProcessEnvironment(env);
            // As a shell runs it, with the pipeline's status failing when redrive fails.
            process.start(u"bash"_s,
                          { u"-c"_s,
                            u"set -o pipefail; \"$0\" queue \"$1\" --redis \"$2\" | head -1"_s,
                            redrive::tests::redriveBinary(), command, m_redis.url() });
            QVERIFY(process.waitForFinished(kWaitMs));
            QCOMPARE(process.exitStatus(), QProcess::NormalExit);
            const QByteArray err = process.readAllStandardError();
            QVERIFY2(err.isEmpty(), err.constData());
            QCOMPARE(process.exitCode(), 0);
            QCOMPARE(process.readAllStandardOutput().count('\n'), 1);
        }
    }

    void noQtMessageReachesTheUser()
    {
        // No Redis URL and no running Redrive: the embedded Redis' socket is not there.
        QTemporaryDir home;
        RedriveProcess stats;
        stats.start(home.path(),
                    { u"queue"_s, u"stats"_s, u"--data-dir"_s, home.filePath(u"none"_s) });
        QVERIFY(stats.process.waitForFinished(kWaitMs));
        stats.readLog();
        QCOMPARE(stats.process.exitCode(), 1);
        QVERIFY2(stats.log.contains("No running Redrive") && stats.log.contains("--redis"),
                 stats.log.constData());
        QVERIFY2(!stats.log.contains("QLocalSocket") && !stats.log.contains("::"),
                 stats.log.constData());
    }

    void theExecutableRunsQueueCommands()
    {
        fill(kDlq, { crm503(1), crm503(2) });
        QTemporaryDir home;
        RedriveProcess stats;
        stats.start(home.path(),
                    { u"queue"_s, u"stats"_s, u"--json"_s, u"--redis"_s, m_redis.url() });
        QVERIFY(stats.process.waitForFinished(kWaitMs));
        stats.readLog();
        QCOMPARE(stats.process.exitCode(), 0);
        QCOMPARE(QJsonDocument::fromJson(stats.log).object().value(u"dlq"_s).toInt(), 2);

        // stdin is a pipe here, not a terminal: refused without --yes.
        RedriveProcess refused;
        refused.start(home.path(),
                      { u"queue"_s, u"delete"_s, u"--all"_s, u"--redis"_s, m_redis.url() });
        QVERIFY(refused.process.waitForFinished(kWaitMs));
        refused.readLog();
        QCOMPARE(refused.process.exitCode(), 2);
        QVERIFY2(refused.log.contains("--yes"), refused.log.constData());
        QCOMPARE(m_redis.llen(kDlq), 2);

        RedriveProcess deleted;
        deleted.start(
            home.path(),
            { u"queue"_s, u"delete"_s, u"crm-1"_s, u"--yes"_s, u"--redis"_s, m_redis.url() });
        QVERIFY(deleted.process.waitForFinished(kWaitMs));
        deleted.readLog();
        QCOMPARE(deleted.process.exitCode(), 0);
        QCOMPARE(m_redis.llen(kDlq), 1);

        RedriveProcess down;
        QProcessEnvironment env;
        env.insert(u"REDRIVE_REDIS_PASSWORD"_s, u"pw-from-env"_s);
        down.start(home.path(), { u"queue"_s, u"list"_s, u"--redis"_s, u"redis://127.0.0.1:1/0"_s },
                   env);
        QVERIFY(down.process.waitForFinished(kWaitMs));
        down.readLog();
        QCOMPARE(down.process.exitCode(), 1);
        QVERIFY2(down.log.contains("Cannot reach Redis") && down.log.contains("127.0.0.1:1"),
                 down.log.constData());
        QVERIFY(!down.log.contains("pw-from-env"));

        RedriveProcess help;
        help.start(home.path(), { u"queue"_s, u"--help"_s });
        QVERIFY(help.process.waitForFinished(kWaitMs));
        help.readLog();
        QCOMPARE(help.process.exitCode(), 0);
        QVERIFY(help.log.contains("Usage: redrive queue"));
    }
};

QTEST_GUILESS_MAIN(TestQueueCommand)
#include "tst_queuecommand.moc"
