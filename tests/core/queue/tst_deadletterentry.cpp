// SPDX-License-Identifier: MIT
#include "core/queue/deadletterentry.h"
#include "tests/support/testenv.h"

#include <QJsonDocument>
#include <QTest>

using namespace redrive::core;

class TestDeadLetterEntry : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void tutorialEntryParses()
    {
        // Exactly what the tutorial's push_to_dlq writes: json.dumps with its default
        // separators and a naive datetime.now().isoformat() with microseconds.
        const QByteArray raw
            = R"({"original_payload": {"id": "evt-1", "event": "conversation.end"}, )"
              R"("error_message": "Simulated Database Connection Timeout", "status_code": 500, )"
              R"("timestamp": "2026-11-28T10:15:30.123456", "retry_count": 0})";
        const DeadLetterEntry entry = DeadLetterEntry::parse(raw);
        QVERIFY(entry.isJsonObject());
        QVERIFY(entry.isRetryable());
        QCOMPARE(entry.raw(), raw);
        QCOMPARE(entry.payload(), QByteArray(R"({"id": "evt-1", "event": "conversation.end"})"));
        QCOMPARE(entry.errorMessage(), QStringLiteral("Simulated Database Connection Timeout"));
        QCOMPARE(entry.statusCode(), 500);
        QCOMPARE(entry.retryCount(), 0);
        QCOMPARE(entry.timestamp(),
                 QDateTime(QDate(2026, 11, 28), QTime(10, 15, 30, 123), Qt::LocalTime));
        QCOMPARE(entry.receivedAt(), entry.timestamp());
        QCOMPARE(entry.topic(), QStringLiteral("conversation.end"));
        QVERIFY(!entry.hasOwnId());
        QVERIFY(entry.id().startsWith(QLatin1String("sha1-")));
        QCOMPARE(entry.id(), DeadLetterEntry::parse(raw).id()); // stable
        QVERIFY(entry.attempts().isEmpty());
    }

    void notJsonIsKeptRaw()
    {
        const QByteArray raw("this is \xff not json");
        const DeadLetterEntry entry = DeadLetterEntry::parse(raw);
        QVERIFY(!entry.isJsonObject());
        QVERIFY(!entry.isRetryable());
        QCOMPARE(entry.raw(), raw);
        QVERIFY(entry.problem().contains(QLatin1String("not JSON")));
        QVERIFY(!entry.id().isEmpty());

        const DeadLetterEntry array = DeadLetterEntry::parse("[1,2]");
        QVERIFY(!array.isRetryable());
        QVERIFY(array.problem().contains(QLatin1String("not an object")));
        const DeadLetterEntry noPayload = DeadLetterEntry::parse(R"({"error_message":"x"})");
        QVERIFY(noPayload.isJsonObject());
        QVERIFY(!noPayload.isRetryable());
        QVERIFY(noPayload.problem().contains(QLatin1String("original_payload")));
    }

    void createKeepsPayloadBytes()
    {
        // Key order, number digits and escapes survive; insignificant whitespace goes.
        const QByteArray payload
            = "{ \"z\": 1, \"a\": 12345678901234567890,\n \"s\": \"x\\u00e9 \\\"q\\\" y\" }";
        const DeadLetterEntry entry = DeadLetterEntry::create(
            payload, QStringLiteral("downstream answered 503"), 503,
            { { "Content-Type", "application/json" }, { "X-Redrive-Secret", "[redacted]" } },
            QStringLiteral("receiver"), QStringLiteral("id-1"));
        QVERIFY(entry.isRetryable());
        QCOMPARE(entry.payload(),
                 QByteArray("{\"z\":1,\"a\":12345678901234567890,\"s\":\"x\\u00e9 \\\"q\\\" y\"}"));
        QVERIFY(!entry.raw().contains('\n'));
        QCOMPARE(entry.id(), QStringLiteral("id-1"));
        QCOMPARE(entry.statusCode(), 503);
        QCOMPARE(entry.retryCount(), 0);
        QCOMPARE(entry.source(), QStringLiteral("receiver"));
        QCOMPARE(entry.attempts().size(), 1);
        QVERIFY(entry.timestamp().isValid());
        QCOMPARE(entry.timestamp().timeSpec(), Qt::UTC);
        // Every tutorial field present with its JSON type.
        const QJsonObject o = QJsonDocument::fromJson(entry.raw()).object();
        QVERIFY(o.value(QStringLiteral("original_payload")).isObject());
        QVERIFY(o.value(QStringLiteral("error_message")).isString());
        QVERIFY(o.value(QStringLiteral("status_code")).isDouble());
        QVERIFY(o.value(QStringLiteral("timestamp")).isString());
        QVERIFY(o.value(QStringLiteral("retry_count")).isDouble());
        QCOMPARE(o.value(QStringLiteral("headers"))
                     .toObject()
                     .value(QStringLiteral("x-redrive-secret"))
                     .toString(),
                 QStringLiteral("[redacted]"));
    }

    void sampleNotificationRoundTrips()
    {
        const QByteArray sample = redrive::tests::sampleNotification();
        QVERIFY(!sample.isEmpty());
        const DeadLetterEntry entry = DeadLetterEntry::create(sample, QStringLiteral("e"), 500, {},
                                                              QStringLiteral("receiver"));
        QCOMPARE(QJsonDocument::fromJson(entry.payload()), QJsonDocument::fromJson(sample));
        QVERIFY(entry.topic().startsWith(QLatin1String("v2.detail.events.conversation.")));
    }

    void failedAttemptUpdatesTheTutorialFields()
    {
        const QByteArray raw
            = R"({"original_payload": {"id": 7}, "error_message": "x", )"
              R"("status_code": 500, "timestamp": "2026-01-01T00:00:00", "retry_count": 1})";
        const DeadLetterEntry entry = DeadLetterEntry::parse(raw);
        const QDateTime now = QDateTime::currentDateTimeUtc();
        const DeadLetterEntry next = entry.withFailedAttempt(
            { now, 429, QStringLiteral("downstream answered 429"), 12 }, now.addSecs(4));
        QCOMPARE(next.retryCount(), 2);
        QCOMPARE(next.statusCode(), 429);
        QCOMPARE(next.errorMessage(), QStringLiteral("downstream answered 429"));
        QCOMPARE(next.payload(), QByteArray(R"({"id": 7})"));
        QCOMPARE(next.attempts().size(), 1);
        QCOMPARE(next.attempts().first().durationMs, 12);
        QCOMPARE(next.nextAttemptAt().toMSecsSinceEpoch() / 1000,
                 now.addSecs(4).toMSecsSinceEpoch() / 1000);
        QCOMPARE(next.id(), entry.id()); // the id shown for a tutorial entry does not change
        // The tutorial's timestamp (first failure) now tells the time of this attempt; when the
        // delivery came in is kept as received_at, through every later attempt.
        QCOMPARE(next.timestamp().toMSecsSinceEpoch() / 1000, now.toMSecsSinceEpoch() / 1000);
        QCOMPARE(next.receivedAt(), entry.timestamp());
        const DeadLetterEntry third = next.withFailedAttempt(
            { now.addSecs(5), 503, QStringLiteral("downstream answered 503"), 3 }, now.addSecs(9));
        QCOMPARE(third.receivedAt(), entry.timestamp());

        const DeadLetterEntry reset = next.resetForRetry();
        QCOMPARE(reset.retryCount(), 0);
        QVERIFY(!reset.nextAttemptAt().isValid());
        QCOMPARE(reset.attempts().size(), 1); // history kept
    }

    // An object without "original_payload" (the worker sets such elements aside) stays valid
    // JSON with all its fields through a retry or a move; it used to come out as
    // {"original_payload":,...}, which no reader can parse.
    void resetWithoutPayloadKeepsValidJson_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::newRow("one field") << QByteArray(R"({"foo":1})");
        QTest::newRow("empty object") << QByteArray("{}");
        QTest::newRow("tutorial fields, no payload")
            << QByteArray(R"({"error_message":"x","status_code":500,"retry_count":3})");
    }
    void resetWithoutPayloadKeepsValidJson()
    {
        QFETCH(QByteArray, raw);
        const DeadLetterEntry entry = DeadLetterEntry::parse(raw);
        QVERIFY(entry.isJsonObject());
        const DeadLetterEntry reset = entry.resetForRetry();
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(reset.raw(), &error);
        QVERIFY2(error.error == QJsonParseError::NoError, reset.raw().constData());
        const QJsonObject object = document.object();
        for (auto it = entry.object().begin(); it != entry.object().end(); ++it) {
            if (it.key() != QLatin1String("retry_count"))
                QCOMPARE(object.value(it.key()), it.value());
        }
        QCOMPARE(reset.retryCount(), 0);
        QCOMPARE(reset.id(), entry.id());
        QVERIFY(!object.contains(QStringLiteral("original_payload")));
    }

    void editReplacesOnlyThePayload()
    {
        const DeadLetterEntry entry
            = DeadLetterEntry::create(R"({"a":1})", QStringLiteral("e"), 500, {},
                                      QStringLiteral("receiver"), QStringLiteral("x"));
        const DeadLetterEntry edited = entry.withPayload("{\n  \"a\": 2\n}");
        QCOMPARE(edited.payload(), QByteArray(R"({"a":2})"));
        QCOMPARE(edited.id(), QStringLiteral("x"));
        QCOMPARE(edited.errorMessage(), QStringLiteral("e"));
        QVERIFY(edited.object().contains(QStringLiteral("edited_at")));
    }
};

QTEST_GUILESS_MAIN(TestDeadLetterEntry)
#include "tst_deadletterentry.moc"
