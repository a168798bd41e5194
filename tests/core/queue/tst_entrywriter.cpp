// SPDX-License-Identifier: MIT
#include "core/queue/deadletterentry.h"
#include "core/queue/entrywriter.h"
#include "core/receiver/payloadvalidator.h"
#include "tests/support/testenv.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

using redrive::core::DeadLetterEntry;
using redrive::core::EntryWriter;
using redrive::core::HeaderList;
using redrive::core::PayloadValidator;

Q_DECLARE_METATYPE(redrive::core::HeaderList)

namespace {

// Whitespace outside strings dropped, written here without EntryWriter's help.
QByteArray referenceMinify(const QByteArray &json)
{
    QByteArray out;
    bool inString = false;
    for (qsizetype i = 0; i < json.size(); ++i) {
        const char c = json.at(i);
        if (inString) {
            out.append(c);
            if (c == '\\' && i + 1 < json.size())
                out.append(json.at(++i));
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
            out.append(c);
        } else if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            out.append(c);
        }
    }
    return out;
}

// The reference: a new entry composed with QJsonObject and written by QJsonDocument (keys in
// its order), the payload's text spliced in first.
QByteArray composedByQJsonDocument(const QByteArray &payload, const QString &error, int status,
                                   const HeaderList &headers, const QString &source,
                                   const QString &id, const QDateTime &receivedAt,
                                   const QDateTime &now)
{
    const QString at = DeadLetterEntry::formatTimestamp(now);
    QJsonObject fields;
    fields.insert(QStringLiteral("error_message"), error);
    fields.insert(QStringLiteral("status_code"), status);
    fields.insert(QStringLiteral("timestamp"), at);
    fields.insert(QStringLiteral("retry_count"), 0);
    fields.insert(QStringLiteral("id"), id);
    fields.insert(QStringLiteral("received_at"), DeadLetterEntry::formatTimestamp(receivedAt));
    fields.insert(QStringLiteral("source"), source);
    QJsonObject headerObject;
    for (const auto &[name, value] : headers)
        headerObject.insert(QString::fromLatin1(name).toLower(), QString::fromUtf8(value));
    fields.insert(QStringLiteral("headers"), headerObject);
    fields.insert(QStringLiteral("attempts"),
                  QJsonArray { QJsonObject { { QStringLiteral("at"), at },
                                             { QStringLiteral("status_code"), status },
                                             { QStringLiteral("error"), error } } });
    const QByteArray tail = QJsonDocument(fields).toJson(QJsonDocument::Compact);
    return "{\"original_payload\":" + referenceMinify(payload) + ',' + tail.mid(1);
}

} // namespace

class TestEntryWriter : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void sameBytesAsQJsonDocument_data();
    void sameBytesAsQJsonDocument();
    void timestamps_data();
    void timestamps();
    void randomTimestamps();
    void stringEscaping_data();
    void stringEscaping();
    void minifyKeepsStrings();
};

void TestEntryWriter::sameBytesAsQJsonDocument_data()
{
    QTest::addColumn<QByteArray>("payload");
    QTest::addColumn<QString>("error");
    QTest::addColumn<int>("status");
    QTest::addColumn<HeaderList>("headers");
    QTest::addColumn<QString>("id");

    const QByteArray sample = redrive::tests::sampleNotification();
    const HeaderList typical { { "Host", "127.0.0.1:5000" },
                               { "Content-Type", "application/json" },
                               { "User-Agent", "Genesys/1.0" },
                               { "X-Redrive-Secret", "[redacted]" },
                               { "ININ-Correlation-Id", "0d9c8b7a-6f5e" } };
    const QString simulated = QStringLiteral("Simulated Database Connection Timeout");
    const QString id = QStringLiteral("57128c0d-5cd8-49ce-ac9e-45a3c8137714");

    QTest::newRow("sample") << sample << simulated << 500 << typical << id;
    QTest::newRow("pretty payload")
        << QByteArray("{\n  \"a\" : [ 1, 2 ],\n\t\"b\": \"keep  these  spaces\",\r\n \"c\":{ } }\n")
        << simulated << 500 << typical << id;
    QTest::newRow("escapes in payload")
        << QByteArray(R"({ "q": "say \"hi\" \\ ", "u": "\u00e9\ud83d\ude00", "s": "a\/b" })")
        << simulated << 429 << HeaderList() << id;
    QTest::newRow("awkward error")
        << sample
        << QStringLiteral(
               "downstream answered 500: {\"err\":\"a\\b\"}\n\ttab \x01 caf\u00e9 \u20ac ")
            + QString::fromUtf8("\xf0\x9f\x98\x80") + QChar(0xd800) + QStringLiteral("end")
        << 500 << typical << id;
    QTest::newRow("permanent 400")
        << sample << QStringLiteral("downstream answered 400: bad") << 400 << typical << id;
    QTest::newRow("duplicate and mixed-case headers") << sample << simulated << 502
                                                      << HeaderList { { "X-B", "first" },
                                                                      { "x-a", "1" },
                                                                      { "X-b", "second" },
                                                                      { "X-A", "2" },
                                                                      { "x-B", "third" } }
                                                      << id;
    QTest::newRow("header values") << sample << simulated << 504
                                   << HeaderList { { "X-Tab", "a\tb" },
                                                   { "X-Utf8", "Zo\xc3\xab \xe2\x82\xac" },
                                                   { "X-Invalid", "caf\xe9 \xff\xfe x" },
                                                   { "X-Quote", "\"quoted\" \\ back" },
                                                   { "X-Empty", "" } }
                                   << id;
    QTest::newRow("non-ASCII header names (not HTTP, but create() takes them)")
        << sample << simulated << 500
        << HeaderList { { "X-Caf\xe9", "1" },
                        { "X-\xc0"
                          "B",
                          "2" },
                        { "X-zz", "3" },
                        { "X-\xe0"
                          "b",
                          "4" } }
        << id;
    QTest::newRow("odd id") << sample << QString() << 0 << HeaderList()
                            << QStringLiteral("a\"b\\c");
}

void TestEntryWriter::sameBytesAsQJsonDocument()
{
    QFETCH(QByteArray, payload);
    QFETCH(QString, error);
    QFETCH(int, status);
    QFETCH(HeaderList, headers);
    QFETCH(QString, id);
    const QDateTime receivedAt = QDateTime::currentDateTimeUtc().addMSecs(-1234);
    const DeadLetterEntry created = DeadLetterEntry::create(
        payload, error, status, headers, QStringLiteral("receiver"), id, receivedAt);
    QVERIFY(created.isRetryable());
    const QDateTime now = created.timestamp(); // create() reads the clock itself
    const QByteArray reference = composedByQJsonDocument(
        payload, error, status, headers, QStringLiteral("receiver"), id, receivedAt, now);
    QCOMPARE(created.raw(), reference);

    const PayloadValidator::Result check = PayloadValidator::check(payload);
    QVERIFY(check.ok);
    EntryWriter::Fields fields;
    fields.payload = payload;
    fields.payloadCompact = check.compact;
    fields.errorMessage = error;
    fields.statusCode = status;
    fields.headers = headers;
    fields.source = QStringLiteral("receiver");
    fields.id = id;
    fields.receivedAtMs = receivedAt.toMSecsSinceEpoch();
    fields.nowMs = now.toMSecsSinceEpoch();
    const QByteArray written = EntryWriter::write(fields);
    QCOMPARE(written, reference);

    // And the other way round: the written entry reads back field by field.
    const DeadLetterEntry entry = DeadLetterEntry::parse(written);
    QVERIFY(entry.isRetryable());
    QCOMPARE(entry.id(), id.isEmpty() ? entry.id() : id);
    QCOMPARE(entry.errorMessage(), created.errorMessage());
    QCOMPARE(entry.statusCode(), status);
    QCOMPARE(entry.retryCount(), 0);
    QCOMPARE(entry.source(), QStringLiteral("receiver"));
    QCOMPARE(entry.receivedAt().toMSecsSinceEpoch(), receivedAt.toMSecsSinceEpoch());
    QCOMPARE(entry.attempts().size(), 1);
    QCOMPARE(entry.attempts().first().statusCode, status);
}

void TestEntryWriter::timestamps_data()
{
    QTest::addColumn<qint64>("ms");
    QTest::newRow("epoch") << qint64(0);
    QTest::newRow("before epoch") << qint64(-1);
    QTest::newRow("leap day 2024")
        << QDateTime(QDate(2024, 2, 29), QTime(23, 59, 59, 999), Qt::UTC).toMSecsSinceEpoch();
    QTest::newRow("2000-03-01")
        << QDateTime(QDate(2000, 3, 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();
    QTest::newRow("2100-02-28")
        << QDateTime(QDate(2100, 2, 28), QTime(12, 0, 0, 5), Qt::UTC).toMSecsSinceEpoch();
    QTest::newRow("year 9999")
        << QDateTime(QDate(9999, 12, 31), QTime(23, 59, 59, 999), Qt::UTC).toMSecsSinceEpoch();
    QTest::newRow("year 999 (fallback)")
        << QDateTime(QDate(999, 1, 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();
    QTest::newRow("now") << QDateTime::currentMSecsSinceEpoch();
}

void TestEntryWriter::timestamps()
{
    QFETCH(qint64, ms);
    QCOMPARE(QString::fromLatin1(EntryWriter::timestamp(ms)),
             DeadLetterEntry::formatTimestamp(QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC)));
}

void TestEntryWriter::randomTimestamps()
{
    QRandomGenerator random(42);
    const qint64 from = QDateTime(QDate(1970, 1, 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();
    const qint64 to = QDateTime(QDate(2200, 1, 1), QTime(0, 0), Qt::UTC).toMSecsSinceEpoch();
    for (int i = 0; i < 20000; ++i) {
        const qint64 ms = from + qint64(random.bounded(double(to - from)));
        const QString expected
            = DeadLetterEntry::formatTimestamp(QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC));
        if (QString::fromLatin1(EntryWriter::timestamp(ms)) != expected)
            QFAIL(qPrintable(QStringLiteral("%1: %2").arg(ms).arg(expected)));
    }
}

void TestEntryWriter::stringEscaping_data()
{
    QTest::addColumn<QString>("text");
    QString controls;
    for (char16_t c = 0; c < 0x20; ++c)
        controls += QChar(c);
    QTest::newRow("controls") << controls;
    QTest::newRow("quotes and slashes") << QStringLiteral("\"/\\");
    QTest::newRow("delete and C1") << QStringLiteral("\x7f\u0080\u009f");
    QTest::newRow("bmp") << QStringLiteral("\u00e9\u20ac\u2028\ufeff\uffff");
    QTest::newRow("astral") << QString::fromUtf8("\xf0\x9f\x98\x80\xf4\x8f\xbf\xbf");
    QTest::newRow("lone surrogates") << QString(QChar(0xdc00)) + QChar(0xd800);
    QTest::newRow("long") << QString(3000, QChar(0x00e9)) + QString(3000, QLatin1Char('"'));
}

void TestEntryWriter::stringEscaping()
{
    QFETCH(QString, text);
    // What QJsonDocument writes for the same string.
    const QByteArray array = QJsonDocument(QJsonArray { text }).toJson(QJsonDocument::Compact);
    QByteArray mine;
    EntryWriter::appendString(&mine, text);
    QCOMPARE(mine, array.mid(1, array.size() - 2));
    const bool loneSurrogate = text.contains(QChar(0xd800)) || text.contains(QChar(0xdc00));
    if (!loneSurrogate) { // the UTF-8 path cannot carry those
        QByteArray fromUtf8;
        EntryWriter::appendUtf8String(&fromUtf8, text.toUtf8());
        QCOMPARE(fromUtf8, mine);
    }
}

void TestEntryWriter::minifyKeepsStrings()
{
    QCOMPARE(EntryWriter::minify("{ \"a b\" : \"c \\\" d\" ,\n\"e\":[ 1 ,2 ] }"),
             QByteArray("{\"a b\":\"c \\\" d\",\"e\":[1,2]}"));
    const QByteArray compact = "{\"a\":1}";
    QVERIFY(EntryWriter::minify(compact).isSharedWith(compact)); // nothing to drop: no copy
}

QTEST_GUILESS_MAIN(TestEntryWriter)
#include "tst_entrywriter.moc"
