// SPDX-License-Identifier: MIT
#include "core/queue/deadletterentry.h"
#include "core/queue/entrywriter.h"
#include "core/triage/failurefingerprint.h"
#include "core/triage/failuregroupaggregator.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>
#include <QUuid>

using namespace redrive::core;

namespace {

const QString UserA = QStringLiteral("1087ebe8-8b4b-4c19-9f1a-6e3c0b735b49");
const QString UserB = QStringLiteral("22c4f0a1-0d5e-4a8b-b0c3-9a1e2f3d4c5b");

QByteArray presence(const QString &user)
{
    return QStringLiteral("{\"topicName\":\"v2.users.%1.presence\",\"version\":\"2\","
                          "\"eventBody\":{\"id\":\"%1\",\"topicName\":\"nested.is.not.it\"}}")
        .arg(user)
        .toUtf8();
}

// An entry as the receiver writes it.
QByteArray ours(const QString &error, int status, const QByteArray &payload,
                qint64 receivedAtMs = 1764650000000)
{
    EntryWriter::Fields fields;
    fields.payload = payload;
    fields.errorMessage = error;
    fields.statusCode = status;
    fields.source = QStringLiteral("receiver");
    fields.id = QStringLiteral("id-%1").arg(qHash(payload + error.toUtf8()));
    fields.receivedAtMs = receivedAtMs;
    fields.nowMs = receivedAtMs + 5;
    return EntryWriter::write(fields);
}

// An entry as the tutorial's push_to_dlq writes it: json.dumps with its default separators,
// datetime.now().isoformat() (naive, microseconds), no id.
QByteArray tutorial(const QString &error, int status, const QByteArray &payload,
                    const char *timestamp = "2026-12-02T05:31:49.123456")
{
    return "{\"original_payload\": " + payload + ", \"error_message\": \"" + error.toUtf8()
        + "\", \"status_code\": " + QByteArray::number(status) + ", \"timestamp\": \"" + timestamp
        + "\", \"retry_count\": 0}";
}

} // namespace

class TestFailureFingerprint : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void ourEntries_data()
    {
        QTest::addColumn<QString>("error");
        QTest::addColumn<int>("status");
        QTest::addColumn<FailureKind>("kind");
        QTest::addColumn<int>("code");
        QTest::addColumn<QString>("host");
        QTest::addColumn<QString>("title");
        const QString topic = QStringLiteral(" · v2.users.{id}.presence");
        QTest::newRow("503 with body")
            << QStringLiteral("downstream answered 503: {\"busy\":1}") << 503
            << FailureKind::HttpStatus << 503 << QString() << QStringLiteral("HTTP 503") + topic;
        QTest::newRow("429") << QStringLiteral("downstream answered 429") << 429
                             << FailureKind::HttpStatus << 429 << QString()
                             << QStringLiteral("HTTP 429") + topic;
        QTest::newRow("422 refused")
            << QStringLiteral("downstream answered 422: {\"message\":\"bad field 'x'\"}") << 422
            << FailureKind::Refused << 422 << QString()
            << QStringLiteral("HTTP 422 refused") + topic;
        QTest::newRow("timeout") << QStringLiteral("downstream timed out after 5000 ms") << 504
                                 << FailureKind::Timeout << 0 << QString()
                                 << QStringLiteral("Timeout") + topic;
        QTest::newRow("simulated timeout")
            << QStringLiteral("downstream timed out after 250 ms (simulated)") << 504
            << FailureKind::Timeout << 0 << QString() << QStringLiteral("Timeout") + topic;
        QTest::newRow("refused") << QStringLiteral("downstream unreachable: Connection refused")
                                 << 502 << FailureKind::Unreachable << 0 << QString()
                                 << QStringLiteral("Unreachable: Connection refused") + topic;
        QTest::newRow("dns") << QStringLiteral(
            "downstream unreachable: Host crm.example.com not found")
                             << 502 << FailureKind::Dns << 0 << QStringLiteral("crm.example.com")
                             << QStringLiteral("DNS: crm.example.com not found") + topic;
        QTest::newRow("tls")
            << QStringLiteral("downstream unreachable: SSL handshake failed: The certificate "
                              "has expired")
            << 502 << FailureKind::Tls << 0 << QString()
            << QStringLiteral("TLS: SSL handshake failed: The certificate has expired") + topic;
        // The texts Qt 6.4 gives (both clients say "Connection refused", above), as the
        // downstream clients put them after "unreachable: ": QNetworkReply names the host, a
        // plain QTcpSocket/QSslSocket (the keep-alive client) does not.
        QTest::newRow("dns, socket")
            << QStringLiteral("downstream unreachable: Host not found") << 502 << FailureKind::Dns
            << 0 << QString() << QStringLiteral("DNS: Host not found") + topic;
        QTest::newRow("dns, reply without a name")
            << QStringLiteral("downstream unreachable: Host  not found") << 502 << FailureKind::Dns
            << 0 << QString() << QStringLiteral("DNS: Host not found") + topic;
        QTest::newRow("closed, socket")
            << QStringLiteral("downstream unreachable: The remote host closed the connection")
            << 502 << FailureKind::Unreachable << 0 << QString()
            << QStringLiteral("Unreachable: The remote host closed the connection") + topic;
        QTest::newRow("timeout, socket")
            << QStringLiteral("downstream unreachable: Socket operation timed out") << 502
            << FailureKind::Timeout << 0 << QString() << QStringLiteral("Timeout") + topic;
        QTest::newRow("tls, socket")
            << QStringLiteral("downstream unreachable: Error during SSL handshake: "
                              "error:0A00010B:SSL routines::wrong version number")
            << 502 << FailureKind::Tls << 0 << QString()
            << QStringLiteral("TLS: Error during SSL handshake: error:<id>:SSL routines::wrong "
                              "version number")
                + topic;
        QTest::newRow("tls, reply")
            << QStringLiteral("downstream unreachable: SSL handshake failed: Error during SSL "
                              "handshake: error:0A00010B:SSL routines::wrong version number")
            << 502 << FailureKind::Tls << 0 << QString()
            << QStringLiteral("TLS: SSL handshake failed: Error during SSL handshake: "
                              "error:<id>:SSL routines::wrong version number")
                + topic;
        QTest::newRow("url in reason")
            << QStringLiteral("downstream unreachable: Error transferring "
                              "http://user:pw@Billing.example:8443/hook - server replied: ")
            << 502 << FailureKind::Unreachable << 0 << QStringLiteral("billing.example")
            << QStringLiteral("Unreachable: Error transferring http://user:pw@Billing.example:"
                              "<n>/hook - server replied: · billing.example")
                + topic;
    }
    void ourEntries()
    {
        QFETCH(QString, error);
        QFETCH(int, status);
        QFETCH(FailureKind, kind);
        QFETCH(int, code);
        QFETCH(QString, host);
        QFETCH(QString, title);
        const FailureFingerprint a = failureFingerprint(ours(error, status, presence(UserA)));
        QCOMPARE(a.kind, kind);
        QCOMPARE(a.statusCode, code);
        QCOMPARE(a.host, host);
        QCOMPARE(a.topicPattern, QStringLiteral("v2.users.{id}.presence"));
        QCOMPARE(a.title(), title);
        // Another user, another time, the same failure: the same group.
        const FailureFingerprint b
            = failureFingerprint(ours(error, status, presence(UserB), 1764000000000));
        QCOMPARE(b, a);
        QCOMPARE(b.groupId(), a.groupId());
        // Another topic: another group.
        const FailureFingerprint c = failureFingerprint(
            ours(error, status,
                 QByteArrayLiteral("{\"topicName\":\"v2.routing.queues.1234567."
                                   "conversations\"}")));
        QCOMPARE(c.topicPattern, QStringLiteral("v2.routing.queues.{id}.conversations"));
        QVERIFY(c.groupId() != a.groupId());
    }

    void httpBodiesDoNotSplitGroups()
    {
        const auto id = [](const char *error) {
            return failureFingerprint(ours(QString::fromUtf8(error), 503, presence(UserA)))
                .groupId();
        };
        QCOMPARE(id("downstream answered 503: {\"requestId\":\"r-1\"}"),
                 id("downstream answered 503"));
        QVERIFY(id("downstream answered 503") != id("downstream answered 502"));
        QVERIFY(id("downstream answered 503") != id("downstream timed out after 10 ms"));
    }

    void tutorialEntries()
    {
        const QByteArray payload = presence(UserA);
        const FailureFingerprint simulated = failureFingerprint(
            tutorial(QStringLiteral("Simulated Database Connection Timeout"), 500, payload));
        QCOMPARE(simulated.kind, FailureKind::Other);
        QCOMPARE(simulated.statusCode, 500);
        QCOMPARE(simulated.detail, QStringLiteral("Simulated Database Connection Timeout"));
        QCOMPARE(simulated.title(),
                 QStringLiteral("500 · Simulated Database Connection Timeout"
                                " · v2.users.{id}.presence"));
        // The consumer's re-queued entries say something else: another group.
        const FailureFingerprint still = failureFingerprint(
            tutorial(QStringLiteral("Still failing..."), 500, presence(UserB)));
        QVERIFY(still.groupId() != simulated.groupId());
        // Same text, another status: another group.
        QVERIFY(failureFingerprint(tutorial(QStringLiteral("Simulated Database Connection "
                                                           "Timeout"),
                                            503, payload))
                    .groupId()
                != simulated.groupId());
        // Numbers, ids and quoted values do not split a group.
        const auto group = [&](const char *text) {
            return failureFingerprint(tutorial(QString::fromUtf8(text), 500, payload)).groupId();
        };
        QCOMPARE(group("Timeout after 5000 ms for 'order-1'"),
                 group("Timeout after 30 ms for 'order-27'"));
        QCOMPARE(group("record 1087ebe8-8b4b-4c19-9f1a-6e3c0b735b49 locked"),
                 group("record 22c4f0a1-0d5e-4a8b-b0c3-9a1e2f3d4c5b locked"));
        QVERIFY(group("record 1087ebe8-8b4b-4c19-9f1a-6e3c0b735b49 locked")
                != group("record 1087ebe8-8b4b-4c19-9f1a-6e3c0b735b49 missing"));
        // A tutorial payload without a topic still groups, under "(no topic)".
        const FailureFingerprint bare
            = failureFingerprint(tutorial(QStringLiteral("boom"), 500, QByteArrayLiteral("{}")));
        QCOMPARE(bare.title(), QStringLiteral("500 · boom · (no topic)"));
    }

    void normalisation_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("normalised");
        QTest::newRow("numbers") << QStringLiteral("Timeout after 5000 ms (attempt 3)")
                                 << QStringLiteral("Timeout after <n> ms (attempt <n>)");
        QTest::newRow("quotes") << QStringLiteral("field \"email\" invalid: 'a@b'")
                                << QStringLiteral("field <q> invalid: <q>");
        QTest::newRow("apostrophe")
            << QStringLiteral("can't reach 'db-1'") << QStringLiteral("can't reach <q>");
        QTest::newRow("uuid") << QStringLiteral("conversation 1087ebe8-8b4b-4c19-9f1a-6e3c0b735b49")
                              << QStringLiteral("conversation <id>");
        QTest::newRow("token") << QStringLiteral("request req_8f3a2c91x failed")
                               << QStringLiteral("request <id> failed");
        QTest::newRow("short words kept")
            << QStringLiteral("HTTP/1.1 v2 5xx") << QStringLiteral("HTTP/<n>.<n> v2 5xx");
        QTest::newRow("white space") << QStringLiteral("  a \n\t b  ") << QStringLiteral("a b");
        QTest::newRow("unclosed quote") << QStringLiteral("say \"hi") << QStringLiteral("say \"hi");
    }
    void normalisation()
    {
        QFETCH(QString, text);
        QFETCH(QString, normalised);
        QCOMPARE(normaliseErrorText(text), normalised);
    }

    void garbage_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::addColumn<FailureKind>("kind");
        QTest::newRow("text") << QByteArrayLiteral("hello") << FailureKind::NotJson;
        QTest::newRow("empty") << QByteArray() << FailureKind::NotJson;
        QTest::newRow("truncated")
            << ours(QStringLiteral("downstream answered 503"), 503, presence(UserA)).chopped(3)
            << FailureKind::NotJson;
        QTest::newRow("trailing") << QByteArrayLiteral("{\"original_payload\":{}} x")
                                  << FailureKind::NotJson;
        QTest::newRow("unclosed string")
            << QByteArrayLiteral("{\"original_payload\":{\"a\":\"") << FailureKind::NotJson;
        QTest::newRow("array") << QByteArrayLiteral("[1, 2]") << FailureKind::NotEntry;
        QTest::newRow("no payload")
            << QByteArrayLiteral("{\"error_message\":\"x\"}") << FailureKind::NotEntry;
        QTest::newRow("binary") << QByteArray("\x00\xff{", 3) << FailureKind::NotJson;
    }
    void garbage()
    {
        QFETCH(QByteArray, raw);
        QFETCH(FailureKind, kind);
        const FailureFingerprint f = failureFingerprint(raw);
        QCOMPARE(f.kind, kind);
        QCOMPARE(f.title(),
                 kind == FailureKind::NotJson ? QStringLiteral("Not JSON")
                                              : QStringLiteral("JSON, not an entry"));
        // The entry parser agrees that it cannot be retried.
        QVERIFY(!DeadLetterEntry::parse(raw).isRetryable());
    }

    // The fast reader and DeadLetterEntry (QJsonDocument) read the same fields.
    void agreesWithEntryParser_data()
    {
        QTest::addColumn<QByteArray>("raw");
        QTest::newRow("ours") << ours(QStringLiteral("downstream answered 500: caf\u00e9 \"q\""),
                                      500, presence(UserA));
        QTest::newRow("tutorial") << tutorial(QStringLiteral("boom"), 500, presence(UserB));
        QTest::newRow("escapes") << QByteArrayLiteral(
            "{\"original_payload\":{\"event\":\"a\\u00e9\\\"b\\\\\"},\"error_message\":"
            "\"line\\nnext \\ud83d\\ude00\",\"status_code\":422.0,\"id\":\"x\\/y\","
            "\"timestamp\":\"2026-01-02T03:04:05+02:00\"}");
        QTest::newRow("priority and types") << QByteArrayLiteral(
            "{\"original_payload\":{\"type\":\"t\",\"topicName\":\"\",\"topic\":\"real\"},"
            "\"error_message\":5,\"status_code\":\"503\",\"id\":7,"
            "\"received_at\":\"2026-01-02T03:04:05.5Z\",\"timestamp\":\"2025-01-01T00:00:00Z\"}");
        QTest::newRow("duplicate keys") << QByteArrayLiteral(
            "{\"original_payload\":{\"topic\":\"first\"},\"original_payload\":{\"event\":\"e\"},"
            "\"error_message\":\"a\",\"error_message\":\"b\"}");
        QTest::newRow("huge and fractional status") << QByteArrayLiteral(
            "{\"original_payload\":{},\"status_code\":1e300,\"error_message\":\"x\"}");
        QTest::newRow("fractional status") << QByteArrayLiteral(
            "{\"original_payload\":{},\"status_code\":503.5,\"error_message\":\"x\"}");
        QTest::newRow("payload not an object") << QByteArrayLiteral(
            "{ \"original_payload\" : [1], \"error_message\" : \"x\" , \"status_code\" : 404 }");
    }
    void agreesWithEntryParser()
    {
        QFETCH(QByteArray, raw);
        const DeadLetterEntry entry = DeadLetterEntry::parse(raw);
        QVERIFY(entry.isJsonObject());
        const FailureFacts facts = extractFailureFacts(raw);
        QVERIFY(facts.isEntry);
        QCOMPARE(facts.errorMessage, entry.errorMessage());
        QCOMPARE(facts.statusCode, entry.statusCode());
        QCOMPARE(facts.topic, entry.topic());
        QCOMPARE(facts.id, entry.hasOwnId() ? entry.id() : QString());
        QCOMPARE(facts.arrivedAtMs,
                 entry.receivedAt().isValid() ? entry.receivedAt().toMSecsSinceEpoch() : -1);
    }

    // "Host not found" names no host: it is the detail, never taken for a host called
    // "not found" (which titled the group "DNS: not found not found").
    void dnsWithoutAHostName()
    {
        const auto fingerprint = [](const char *error) {
            return failureFingerprint(ours(QString::fromUtf8(error), 502, presence(UserA)));
        };
        const FailureFingerprint socket = fingerprint("downstream unreachable: Host not found");
        QCOMPARE(socket.host, QString());
        QCOMPARE(socket.detail, QStringLiteral("Host not found"));
        QCOMPARE(socket.failure(), QStringLiteral("DNS: Host not found"));
        QCOMPARE(socket.key(), QStringLiteral("v1|dns|0||v2.users.{id}.presence|Host not found"));
        QCOMPARE(fingerprint("downstream unreachable: Host  not found"), socket);
        // A named host is the group's host, and another host another group.
        const FailureFingerprint named
            = fingerprint("downstream unreachable: Host crm.example.com not found");
        QCOMPARE(named.host, QStringLiteral("crm.example.com"));
        QCOMPARE(named.detail, QString());
        QCOMPARE(named.failure(), QStringLiteral("DNS: crm.example.com not found"));
        QVERIFY(named.groupId() != socket.groupId());
        QVERIFY(fingerprint("downstream unreachable: Host billing.example.com not found").groupId()
                != named.groupId());
    }

    void groupIdIsStable()
    {
        FailureFingerprint f;
        f.kind = FailureKind::HttpStatus;
        f.statusCode = 503;
        f.topicPattern = QStringLiteral("v2.users.{id}.presence");
        QCOMPARE(f.key(), QStringLiteral("v1|http|503||v2.users.{id}.presence|"));
        // Pinned: a change here renames every group users have seen (CLI --group, settings).
        QCOMPARE(f.groupId(), QStringLiteral("346ef1ee1e32"));
        QCOMPARE(f.groupId().size(), 12);
    }

    void aggregatesAMixedList()
    {
        const qint64 now = 1764650000000;
        FailureGroupAggregator aggregator(QDateTime::fromMSecsSinceEpoch(now, Qt::UTC));
        for (int i = 0; i < 30; ++i) // one an hour over the last 30 hours
            aggregator.add(ours(QStringLiteral("downstream answered 503"), 503,
                                presence(QUuid::createUuid().toString(QUuid::WithoutBraces)),
                                now - i * 3600000LL - 1000));
        for (int i = 0; i < 5; ++i)
            aggregator.add(tutorial(QStringLiteral("Simulated Database Connection Timeout"), 500,
                                    presence(UserA)));
        aggregator.add("garbage");
        aggregator.add("garbage");
        const FailureGroups result = aggregator.result();
        QCOMPARE(result.scanned, 37);
        QCOMPARE(result.groups.size(), 3);
        const FailureGroup &top = result.groups.at(0);
        QCOMPARE(top.count, 30);
        QCOMPARE(top.title, QStringLiteral("HTTP 503 · v2.users.{id}.presence"));
        QCOMPARE(top.share, 30.0 / 37.0);
        QCOMPARE(top.lastSeen.toMSecsSinceEpoch(), now - 1000);
        QCOMPARE(top.firstSeen.toMSecsSinceEpoch(), now - 29 * 3600000LL - 1000);
        QCOMPARE(top.arrivals.size(), FailureGroups::BucketCount);
        int inHistogram = 0;
        for (int n : top.arrivals)
            inHistogram += n;
        QCOMPARE(inHistogram, 24); // the last 24 h only
        QCOMPARE(top.arrivals.last(), 1); // 1 s ago
        QCOMPARE(top.arrivals.at(FailureGroups::BucketCount - 5), 1); // 1 h ago: 4 buckets back
        QVERIFY(top.exampleId.startsWith(QLatin1String("id-")));
        QCOMPARE(result.groups.at(1).count, 5);
        QVERIFY(result.groups.at(1).exampleId.startsWith(QLatin1String("sha1-")));
        QCOMPARE(result.groups.at(2).title, QStringLiteral("Not JSON"));
        QCOMPARE(result.groups.at(2).count, 2);
        QCOMPARE(result.find(top.id), &result.groups.at(0));
        QCOMPARE(result.find(QStringLiteral("nope")), nullptr);

        const QJsonObject json = top.toJson();
        QCOMPARE(json.value(QStringLiteral("id")).toString(), top.id);
        QCOMPARE(json.value(QStringLiteral("kind")).toString(), QStringLiteral("http"));
        QCOMPARE(json.value(QStringLiteral("status_code")).toInt(), 503);
        QCOMPARE(json.value(QStringLiteral("topic_pattern")).toString(),
                 QStringLiteral("v2.users.{id}.presence"));
        QCOMPARE(json.value(QStringLiteral("count")).toInteger(), 30);
        QCOMPARE(json.value(QStringLiteral("last_seen")).toString(),
                 DeadLetterEntry::formatTimestamp(top.lastSeen));
        QCOMPARE(json.value(QStringLiteral("arrivals")).toArray().size(),
                 FailureGroups::BucketCount);
        QCOMPARE(json.value(QStringLiteral("bucket_minutes")).toInt(), 15);
        QCOMPARE(json.value(QStringLiteral("example_id")).toString(), top.exampleId);
        QVERIFY(result.groups.at(2).toJson().value(QStringLiteral("first_seen")).isNull());
    }

    // A group's status_code is the HTTP status its entries carry, also for the kinds whose
    // fingerprint has none (timeouts 504, unreachable, DNS and TLS 502), as the receiver and
    // the retry worker write entries and as the tutorial's json.dumps spacing has them.
    void groupStatusIsTheEntriesStatus_data()
    {
        QTest::addColumn<bool>("tutorialFormat");
        QTest::addColumn<QString>("error");
        QTest::addColumn<int>("stored");
        QTest::addColumn<QString>("kind");
        QTest::newRow("timeout") << false << QStringLiteral("downstream timed out after 5000 ms")
                                 << 504 << QStringLiteral("timeout");
        QTest::newRow("refused") << false
                                 << QStringLiteral("downstream unreachable: Connection "
                                                   "refused")
                                 << 502 << QStringLiteral("unreachable");
        QTest::newRow("dns") << false << QStringLiteral("downstream unreachable: Host not found")
                             << 502 << QStringLiteral("dns");
        QTest::newRow("tls") << false
                             << QStringLiteral("downstream unreachable: SSL handshake failed: "
                                               "The certificate has expired")
                             << 502 << QStringLiteral("tls");
        QTest::newRow("http") << false << QStringLiteral("downstream answered 503") << 503
                              << QStringLiteral("http");
        QTest::newRow("tutorial format, timeout")
            << true << QStringLiteral("downstream timed out after 5000 ms") << 504
            << QStringLiteral("timeout");
        QTest::newRow("tutorial format, dns")
            << true << QStringLiteral("downstream unreachable: Host crm.example.com not found")
            << 502 << QStringLiteral("dns");
        QTest::newRow("tutorial's own")
            << true << QStringLiteral("Simulated Database Connection Timeout") << 500
            << QStringLiteral("other");
    }
    void groupStatusIsTheEntriesStatus()
    {
        QFETCH(bool, tutorialFormat);
        QFETCH(QString, error);
        QFETCH(int, stored);
        QFETCH(QString, kind);
        FailureGroupAggregator aggregator;
        for (const QString &user : { UserA, UserB, UserA })
            aggregator.add(tutorialFormat ? tutorial(error, stored, presence(user))
                                          : ours(error, stored, presence(user)));
        const FailureGroups result = aggregator.result();
        QCOMPARE(result.groups.size(), 1);
        const FailureGroup &group = result.groups.first();
        QCOMPARE(group.count, 3);
        QCOMPARE(group.statusCode, stored);
        const QJsonObject json = group.toJson();
        QCOMPARE(json.value(QStringLiteral("kind")).toString(), kind);
        QCOMPARE(json.value(QStringLiteral("status_code")).toInt(), stored);
    }

    // Entries of one group with different stored codes: the most frequent one counts; none
    // stored gives 0.
    void groupStatusOfMixedEntries()
    {
        FailureGroupAggregator aggregator;
        const QString timedOut = QStringLiteral("downstream timed out after 5000 ms");
        aggregator.add(ours(timedOut, 502, presence(UserA)));
        aggregator.add(ours(timedOut, 504, presence(UserB)));
        aggregator.add(ours(timedOut, 504, presence(UserA)));
        aggregator.add(ours(timedOut, 0, presence(UserB)));
        aggregator.add(ours(timedOut, 0, presence(UserA)));
        aggregator.add(ours(timedOut, 0, presence(UserB)));
        FailureGroups result = aggregator.result();
        QCOMPARE(result.groups.size(), 1);
        QCOMPARE(result.groups.first().statusCode, 504);

        FailureGroupAggregator none;
        none.add(QByteArrayLiteral(
            R"({"original_payload": {}, "error_message": "downstream timed out after 5 ms"})"));
        result = none.result();
        QCOMPARE(result.groups.size(), 1);
        QCOMPARE(result.groups.first().fingerprint.kind, FailureKind::Timeout);
        QCOMPARE(result.groups.first().toJson().value(QStringLiteral("status_code")).toInt(), 0);
    }
};

QTEST_GUILESS_MAIN(TestFailureFingerprint)
#include "tst_failurefingerprint.moc"
