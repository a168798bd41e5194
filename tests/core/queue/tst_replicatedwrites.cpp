// SPDX-License-Identifier: MIT
// --redis-replicas: DeadLetterWriter acknowledges a write only once WAIT confirmed that many
// replicas have it. Real redis-server processes: a primary alone, and a primary with a replica.
#include "core/queue/deadletterwriter.h"
#include "core/redis/redisconnection.h"
#include "tests/support/redisserver.h"
#include "tests/support/redissync.h"

#include <QScopeGuard>
#include <QTest>

using namespace redrive::core;
using redrive::tests::RedisServer;
using redrive::tests::endpointOf;

namespace {
constexpr int Patience = 30000;

EntryWriter::Fields fields(int n)
{
    EntryWriter::Fields fields;
    fields.payload = "{\"n\":" + QByteArray::number(n) + '}';
    fields.payloadCompact = true;
    fields.errorMessage = QStringLiteral("down");
    fields.statusCode = 503;
    fields.id = QStringLiteral("entry-%1").arg(n);
    fields.nowMs = 1767225600000;
    return fields;
}

// The warnings logged since the last take (a message handler, for the test's thread only).
QStringList g_warnings;
QtMessageHandler g_previousHandler = nullptr;

void recordWarnings(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    if (type == QtWarningMsg)
        g_warnings.append(message);
    g_previousHandler(type, context, message);
}

qlonglong waitCalls(const RedisServer &server)
{
    const QByteArray stats = server.command({ "INFO", "commandstats" }).toByteArray();
    const qsizetype at = stats.indexOf("cmdstat_wait:calls=");
    return at < 0 ? 0 : stats.mid(at + 19).split(',').first().toLongLong();
}
} // namespace

class TestReplicatedWrites : public QObject
{
    Q_OBJECT

    // Defers `count` entries in one pass of the event loop and waits for every result.
    static QList<DeadLetterWriter::Result> deferAll(DeadLetterWriter &writer, int first, int count)
    {
        QList<DeadLetterWriter::Result> results;
        QObject context;
        for (int n = first; n < first + count; ++n)
            writer.defer(QueueStore::List::DeadLetter, fields(n), &context,
                         [&results](const DeadLetterWriter::Result &r) { results.append(r); });
        [&] { QTRY_COMPARE_WITH_TIMEOUT(results.size(), count, Patience); }();
        return results;
    }

private Q_SLOTS:
    void plainWritesSendNoWait()
    {
        RedisServer server;
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        RedisConnection connection(endpointOf(server.url()), QStringLiteral("test"));
        connection.open();
        QTRY_VERIFY_WITH_TIMEOUT(connection.isReady(), Patience);
        DeadLetterWriter writer(&connection, QueueKeys(), QStringLiteral("test"));
        for (const auto &result : deferAll(writer, 0, 5))
            QVERIFY2(result.stored, qPrintable(result.error));
        QCOMPARE(server.llen("genesys_webhook_dlq"), 5);
        QCOMPARE(waitCalls(server), 0);
    }

    void unconfirmedWritesAreNotAcknowledged()
    {
        RedisServer server; // no replica: WAIT 1 cannot be satisfied
        QVERIFY2(server.start(), qPrintable(server.errorString()));
        RedisConnection connection(endpointOf(server.url()), QStringLiteral("test"));
        connection.open();
        QTRY_VERIFY_WITH_TIMEOUT(connection.isReady(), Patience);
        DeadLetterWriter writer(&connection, QueueKeys(), QStringLiteral("test"));
        writer.setReplicas(1, 100);
        const QList<DeadLetterWriter::Result> results = deferAll(writer, 0, 3);
        for (const auto &result : results) {
            QVERIFY(!result.stored);
            QVERIFY2(result.error.contains(QLatin1String("only 0 of the 1 replicas")),
                     qPrintable(result.error));
        }
        // At least once: the entries are there all the same, and one WAIT covered all three.
        QCOMPARE(server.llen("genesys_webhook_dlq"), 3);
        QCOMPARE(waitCalls(server), 1);
    }

    void confirmedWritesAreOnTheReplica()
    {
        RedisServer primary;
        QVERIFY2(primary.start(), qPrintable(primary.errorString()));
        RedisServer replica;
        QVERIFY2(replica.start({ QStringLiteral("--replicaof"), QStringLiteral("127.0.0.1"),
                                 QString::number(primary.port()) }),
                 qPrintable(replica.errorString()));
        QTRY_VERIFY_WITH_TIMEOUT(
            primary.command({ "INFO", "replication" }).toByteArray().contains("state=online"),
            Patience);
        RedisConnection connection(endpointOf(primary.url()), QStringLiteral("test"));
        connection.open();
        QTRY_VERIFY_WITH_TIMEOUT(connection.isReady(), Patience);
        DeadLetterWriter writer(&connection, QueueKeys(), QStringLiteral("test"));
        writer.setReplicas(1, Patience);
        int acknowledged = 0;
        for (int pass = 0; pass < 3; ++pass) {
            for (const auto &result : deferAll(writer, pass * 40, 40)) {
                QVERIFY2(result.stored, qPrintable(result.error));
                ++acknowledged;
            }
            // Confirmed means on the replica already, not merely soon.
            QCOMPARE(replica.llen("genesys_webhook_dlq"), acknowledged);
        }
        QVERIFY(waitCalls(primary) >= 3);
        QVERIFY(waitCalls(primary) < acknowledged); // one WAIT per pass, not per write
    }

    // Fewer replicas asked for than the primary has: one warning line, at the start and again
    // after a reconnect only if the figures changed; none when they are equal.
    void fewerReplicasThanThePrimaryHasAreWarnedOf()
    {
        RedisServer primary;
        QVERIFY2(primary.start(), qPrintable(primary.errorString()));
        RedisServer replicas[2];
        for (RedisServer &replica : replicas)
            QVERIFY2(replica.start({ QStringLiteral("--replicaof"), QStringLiteral("127.0.0.1"),
                                     QString::number(primary.port()) }),
                     qPrintable(replica.errorString()));
        QTRY_VERIFY_WITH_TIMEOUT(primary.command({ "INFO", "replication" })
                                     .toByteArray()
                                     .contains("connected_slaves:2"),
                                 Patience);
        g_warnings.clear();
        g_previousHandler = qInstallMessageHandler(recordWarnings);
        const auto restore = qScopeGuard([] { qInstallMessageHandler(g_previousHandler); });
        const auto warned = [] {
            return g_warnings.filter(QStringLiteral("can lose acknowledged deliveries"));
        };
        RedisConnection connection(endpointOf(primary.url()), QStringLiteral("test"));
        // Every reply before a PING's has been handled once the PING's comes.
        const auto ping = [&connection] {
            bool answered = false;
            connection.command({ "PING" }, &connection,
                               [&answered](const RedisReply &) { answered = true; });
            QTRY_VERIFY_WITH_TIMEOUT(answered, Patience);
        };
        DeadLetterWriter writer(&connection, QueueKeys(), QStringLiteral("test"));
        writer.setReplicas(1, Patience);
        connection.open();
        QTRY_COMPARE_WITH_TIMEOUT(warned().size(), 1, Patience);
        QVERIFY2(warned().first().contains(QStringLiteral("has 2 replicas and --redis-replicas "
                                                          "is 1")),
                 qPrintable(warned().first()));
        // A reconnect to the same primary, same figures: not repeated.
        connection.relocate(QStringLiteral("test"));
        QTRY_VERIFY_WITH_TIMEOUT(connection.isReady(), Patience);
        ping();
        QCOMPARE(warned().size(), 1);
        // Asking for every replica: nothing to warn of.
        g_warnings.clear();
        writer.setReplicas(2, Patience);
        ping();
        QVERIFY2(warned().isEmpty(), qPrintable(warned().join(QLatin1Char('\n'))));
    }
};

QTEST_GUILESS_MAIN(TestReplicatedWrites)
#include "tst_replicatedwrites.moc"
