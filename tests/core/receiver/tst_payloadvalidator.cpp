// SPDX-License-Identifier: MIT
#include "core/queue/deadletterentry.h"
#include "core/receiver/payloadvalidator.h"
#include "tests/support/testenv.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTest>

using redrive::core::DeadLetterEntry;
using redrive::core::PayloadValidator;

namespace {

bool qtAcceptsObject(const QByteArray &text)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text, &error);
    return error.error == QJsonParseError::NoError && document.isObject();
}

QByteArray nested(int depth)
{
    QByteArray text;
    for (int i = 0; i < depth; ++i)
        text += "{\"a\":";
    text += "1";
    text += QByteArray(depth, '}');
    return text;
}

} // namespace

class TestPayloadValidator : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void accepts_data();
    void accepts();
    void refuses_data();
    void refuses();
    void depthLimit();
    void compactFlag();
    void topic_data();
    void topic();
    void numberRangeAsQt_data();
    void numberRangeAsQt();
    void utf8AsQt();
    void neverLooserThanQt_data();
    void neverLooserThanQt();
    void entryOfDeepestPayloadStillParses();
    void hugeInputsDoNotCrash();
};

void TestPayloadValidator::accepts_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("sample notification") << redrive::tests::sampleNotification();
    QTest::newRow("empty object") << QByteArray("{}");
    QTest::newRow("whitespace around") << QByteArray(" \t\r\n{ \"a\" : [ 1 , 2 ] }\n");
    QTest::newRow("all value kinds") << QByteArray(
        "{\"s\":\"x\",\"n\":-0.5e+3,\"i\":0,\"t\":true,\"f\":false,\"z\":null,\"a\":[],\"o\":{}}");
    QTest::newRow("escapes") << QByteArray(
        R"({"a":"\" \\ \/ \b \f \n \r \t \u00e9 \uD83D\uDE00"})");
    QTest::newRow("lone surrogate escape") << QByteArray(R"({"a":"\ud800"})");
    QTest::newRow("utf-8") << QByteArray("{\"name\":\"Zo\xc3\xab \xe2\x82\xac \xf0\x9f\x98\x80\"}");
    QTest::newRow("big integer (stored as is)")
        << QByteArray("{\"a\":123456789012345678901234567890}");
    QTest::newRow("largest double") << QByteArray("{\"a\":1.7976931348623157e308}");
    QTest::newRow("smallest denormal") << QByteArray("{\"a\":4.9e-324}");
    QTest::newRow("duplicate keys") << QByteArray("{\"a\":1,\"a\":2}");
    QTest::newRow("empty key") << QByteArray("{\"\":1}");
}

void TestPayloadValidator::accepts()
{
    QFETCH(QByteArray, body);
    const PayloadValidator::Result result = PayloadValidator::check(body);
    QVERIFY2(result.ok, qPrintable(result.message));
    QVERIFY(result.code.isEmpty());
    QVERIFY(qtAcceptsObject(body));
}

void TestPayloadValidator::refuses_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("code");
    const QByteArray malformed = "malformed_json";
    QTest::newRow("empty") << QByteArray() << QByteArray("empty_body");
    QTest::newRow("only whitespace") << QByteArray(" \r\n\t") << QByteArray("empty_body");
    QTest::newRow("array") << QByteArray("[1,2]") << QByteArray("not_an_object");
    QTest::newRow("string") << QByteArray("\"x\"") << QByteArray("not_an_object");
    QTest::newRow("number") << QByteArray("12") << QByteArray("not_an_object");
    QTest::newRow("null") << QByteArray("null") << QByteArray("not_an_object");
    QTest::newRow("unterminated object") << QByteArray("{\"a\":1") << malformed;
    QTest::newRow("unterminated string") << QByteArray("{\"a\":\"x}") << malformed;
    QTest::newRow("trailing comma") << QByteArray("{\"a\":1,}") << malformed;
    QTest::newRow("trailing garbage") << QByteArray("{} x") << malformed;
    QTest::newRow("two objects") << QByteArray("{}{}") << malformed;
    QTest::newRow("single quotes") << QByteArray("{'a':1}") << malformed;
    QTest::newRow("missing colon") << QByteArray("{\"a\" 1}") << malformed;
    QTest::newRow("bare word") << QByteArray("{\"a\":tru}") << malformed;
    QTest::newRow("leading zero") << QByteArray("{\"a\":01}") << malformed;
    QTest::newRow("dot without digits") << QByteArray("{\"a\":1.}") << malformed;
    QTest::newRow("leading dot") << QByteArray("{\"a\":.5}") << malformed;
    QTest::newRow("plus sign") << QByteArray("{\"a\":+1}") << malformed;
    QTest::newRow("exponent without digits") << QByteArray("{\"a\":1e}") << malformed;
    QTest::newRow("NaN") << QByteArray("{\"a\":NaN}") << malformed;
    QTest::newRow("bad escape") << QByteArray(R"({"a":"\x"})") << malformed;
    QTest::newRow("short unicode escape") << QByteArray(R"({"a":"\u12"})") << malformed;
    QTest::newRow("raw control character") << QByteArray("{\"a\":\"x\x01y\"}") << malformed;
    QTest::newRow("raw tab in string") << QByteArray("{\"a\":\"x\ty\"}") << malformed;
    QTest::newRow("raw NUL") << QByteArray("{\"a\":\"\0\"}", 9) << malformed;
    QTest::newRow("NUL after") << QByteArray("{}\0", 3) << malformed;
    QTest::newRow("BOM") << QByteArray("\xef\xbb\xbf{}") << malformed;
    QTest::newRow("invalid utf-8") << QByteArray("{\"a\":\"\xff\"}") << QByteArray("invalid_utf8");
    QTest::newRow("overlong utf-8")
        << QByteArray("{\"a\":\"\xc0\xaf\"}") << QByteArray("invalid_utf8");
    QTest::newRow("utf-8 surrogate")
        << QByteArray("{\"a\":\"\xed\xa0\x80\"}") << QByteArray("invalid_utf8");
    QTest::newRow("truncated utf-8")
        << QByteArray("{\"a\":\"\xe2\x82\"}") << QByteArray("invalid_utf8");
    QTest::newRow("latin-1") << QByteArray("{\"a\":\"caf\xe9\"}") << QByteArray("invalid_utf8");
    QTest::newRow("overflow") << QByteArray("{\"a\":1e400}") << QByteArray("number_out_of_range");
    QTest::newRow("negative overflow")
        << QByteArray("{\"a\":-1.8e308}") << QByteArray("number_out_of_range");
    QTest::newRow("underflow") << QByteArray("{\"a\":2e-324}") << QByteArray("number_out_of_range");
    QTest::newRow("400 nines") << "{\"a\":" + QByteArray(400, '9') + "}"
                               << QByteArray("number_out_of_range");
    QTest::newRow("400 zeros then 1")
        << "{\"a\":0." + QByteArray(400, '0') + "1}" << QByteArray("number_out_of_range");
    QTest::newRow("too deep") << nested(65) << QByteArray("too_deep");
}

void TestPayloadValidator::refuses()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, code);
    const PayloadValidator::Result result = PayloadValidator::check(body);
    QVERIFY(!result.ok);
    QCOMPARE(result.code, code);
    QVERIFY(!result.message.isEmpty());
    QVERIFY(result.offset >= 0 && result.offset <= body.size());
}

void TestPayloadValidator::depthLimit()
{
    QVERIFY(PayloadValidator::check(nested(64)).ok);
    QCOMPARE(PayloadValidator::check(nested(65)).code, QByteArray("too_deep"));
    QVERIFY(PayloadValidator::check(nested(10), 10).ok);
    QCOMPARE(PayloadValidator::check(nested(11), 10).code, QByteArray("too_deep"));
    // Arrays count as levels too, and a million of them is refused quickly, without recursion.
    const QByteArray arrays = "{\"a\":" + QByteArray(1000000, '[') + "}";
    const PayloadValidator::Result result = PayloadValidator::check(arrays);
    QCOMPARE(result.code, QByteArray("too_deep"));
    QVERIFY(result.message.contains(QLatin1String("64")));
}

void TestPayloadValidator::compactFlag()
{
    QVERIFY(PayloadValidator::check("{\"a\":\"with spaces inside\"}").compact);
    QVERIFY(!PayloadValidator::check("{\"a\": 1}").compact);
    QVERIFY(!PayloadValidator::check("{\"a\":1}\n").compact);
    QVERIFY(PayloadValidator::check(redrive::tests::sampleNotification()).compact);
}

void TestPayloadValidator::topic_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QByteArray>("topic");
    QTest::newRow("sample") << redrive::tests::sampleNotification()
                            << QByteArray("v2.detail.events.conversation."
                                          "7c0a4f6e-2b1d-4e9a-9f3c-5d8e1a2b3c4d.customer.start");
    QTest::newRow("topicName wins")
        << QByteArray("{\"type\":\"t\",\"event\":\"e\",\"topicName\":\"n\"}") << QByteArray("n");
    QTest::newRow("event over type")
        << QByteArray("{\"type\":\"t\",\"event\":\"e\"}") << QByteArray("e");
    QTest::newRow("nested keys do not count")
        << QByteArray("{\"x\":{\"topicName\":\"n\"},\"type\":\"t\"}") << QByteArray("t");
    QTest::newRow("not a string") << QByteArray("{\"topicName\":{\"a\":1}}") << QByteArray();
    QTest::newRow("none") << QByteArray("{\"a\":\"b\"}") << QByteArray();
}

void TestPayloadValidator::topic()
{
    QFETCH(QByteArray, body);
    QFETCH(QByteArray, topic);
    const PayloadValidator::Result result = PayloadValidator::check(body);
    QVERIFY(result.ok);
    QCOMPARE(result.topic, topic);
    if (!topic.isEmpty())
        QCOMPARE(DeadLetterEntry::parse("{\"original_payload\":" + body + "}").topic(),
                 QString::fromUtf8(topic));
}

void TestPayloadValidator::numberRangeAsQt_data()
{
    QTest::addColumn<QByteArray>("number");
    for (const char *number :
         { "1e-310", "2.2250738585072014e-308", "1e-320", "5e-324", "3e-324", "2.5e-324",
           "2.4703282292062328e-324", "2.4703282292062327e-324", "1.7976931348623158e308",
           "1.7976931348623159e308", "0.0", "-0.0e-999", "0e999999", "-1e-400", "1e308", "1e309",
           "12345678901234567", "-9223372036854775809" })
        QTest::newRow(number) << QByteArray(number);
}

// Right at the edges of the double range: refused here exactly when QJsonDocument refuses.
void TestPayloadValidator::numberRangeAsQt()
{
    QFETCH(QByteArray, number);
    const QByteArray body = "{\"a\":" + number + "}";
    const PayloadValidator::Result result = PayloadValidator::check(body);
    QCOMPARE(result.ok, qtAcceptsObject(body));
    if (!result.ok)
        QCOMPARE(result.code, QByteArray("number_out_of_range"));
}

// UTF-8 is checked while scanning strings: it must agree with Qt on every short sequence.
void TestPayloadValidator::utf8AsQt()
{
    const auto bytes = [](std::initializer_list<int> values) {
        QByteArray text;
        for (const int value : values)
            text.append(char(value));
        return text;
    };
    QList<QByteArray> sequences;
    for (int a = 0x80; a < 0x100; ++a) {
        for (int b = 0; b < 0x100; ++b) {
            sequences.append(bytes({ a, b }));
            if (a >= 0xe0) {
                for (int c : { 0x00, 0x41, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xff }) {
                    sequences.append(bytes({ a, b, c }));
                    if (a >= 0xf0)
                        for (int d : { 0x41, 0x80, 0xbf, 0xc0 })
                            sequences.append(bytes({ a, b, c, d }));
                }
            }
        }
    }
    int valid = 0;
    for (const QByteArray &sequence : std::as_const(sequences)) {
        for (const QByteArray &body : { "{\"a\":\"" + sequence + "\"}",
                                        "{\"a\":\"x" + sequence + "0123456789abcdefghij\"}" }) {
            const bool qt = QByteArrayView(body).isValidUtf8() && qtAcceptsObject(body);
            const PayloadValidator::Result result = PayloadValidator::check(body);
            if (result.ok != qt)
                QFAIL(qPrintable(QStringLiteral("%1: ours %2, Qt %3")
                                     .arg(QString::fromLatin1(body.toHex(' ')))
                                     .arg(result.ok)
                                     .arg(qt)));
            if (!result.ok && !QByteArrayView(body).isValidUtf8())
                QCOMPARE(result.code, QByteArray("invalid_utf8"));
            valid += result.ok;
        }
    }
    QVERIFY(valid > 1000);
    // Outside strings nothing but ASCII is JSON; invalid UTF-8 there is still named as such.
    QCOMPARE(PayloadValidator::check("{\"a\":1\xff}").code, QByteArray("invalid_utf8"));
    QCOMPARE(PayloadValidator::check("{\"a\":1\xc3\xa9}").code, QByteArray("malformed_json"));
}

void TestPayloadValidator::neverLooserThanQt_data()
{
    QTest::addColumn<quint32>("seed");
    for (quint32 seed = 1; seed <= 8; ++seed)
        QTest::addRow("seed %u", seed) << seed;
}

// Whatever the receiver accepts ends up inside a dead-letter entry that QJsonDocument must
// read: mutate valid documents at random and check that no mutation passes here and fails there.
void TestPayloadValidator::neverLooserThanQt()
{
    QFETCH(quint32, seed);
    QRandomGenerator random(seed);
    const QList<QByteArray> seeds {
        redrive::tests::sampleNotification(),
        R"({"a":[1,-2.5e-3,true,false,null,{"b":"\u00e9\n"}],"c":{},"d":[]})",
        "{\"n\":[0,1e308,4.9e-324,1E+2,-0,123456789012345678901234567890]}"
    };
    const QByteArray alphabet = "{}[]\",:\\ \t\r\n0123456789.eE+-tfnrulsaxu/\x01\x7f\xc3\xa9\xff\0";
    int accepted = 0;
    for (int round = 0; round < 4000; ++round) {
        QByteArray text = seeds.at(int(random.bounded(seeds.size())));
        const int edits = 1 + int(random.bounded(3));
        for (int e = 0; e < edits && !text.isEmpty(); ++e) {
            const qsizetype at = qsizetype(random.bounded(quint32(text.size())));
            const char c = alphabet.at(qsizetype(random.bounded(quint32(alphabet.size()))));
            switch (random.bounded(3)) {
            case 0:
                text.remove(at, 1);
                break;
            case 1:
                text.insert(at, c);
                break;
            default:
                text[at] = c;
                break;
            }
        }
        const PayloadValidator::Result result = PayloadValidator::check(text);
        if (result.ok) {
            ++accepted;
            QVERIFY2(qtAcceptsObject(text), text.constData());
        }
    }
    QVERIFY(accepted > 100); // the mutations are not all trivially broken
}

void TestPayloadValidator::entryOfDeepestPayloadStillParses()
{
    const QByteArray deepest = nested(PayloadValidator::DefaultMaxDepth);
    QVERIFY(PayloadValidator::check(deepest).ok);
    const DeadLetterEntry entry = DeadLetterEntry::create(deepest, QStringLiteral("e"), 500, {},
                                                          QStringLiteral("receiver"));
    QVERIFY2(entry.isRetryable(), qPrintable(entry.problem()));
}

void TestPayloadValidator::hugeInputsDoNotCrash()
{
    const QByteArray longString = "{\"a\":\"" + QByteArray(qsizetype(8) * 1024 * 1024, 'x') + "\"}";
    QVERIFY(PayloadValidator::check(longString).ok);
    const QByteArray longNumber = "{\"a\":" + QByteArray(qsizetype(1024) * 1024, '1') + "}";
    QCOMPARE(PayloadValidator::check(longNumber).code, QByteArray("number_out_of_range"));
    const QByteArray manyKeys = [] {
        QByteArray text = "{";
        for (int i = 0; i < 100000; ++i)
            text += "\"k" + QByteArray::number(i) + "\":[" + QByteArray::number(i) + "],";
        text.chop(1);
        return text + "}";
    }();
    QVERIFY(PayloadValidator::check(manyKeys).ok);
}

QTEST_GUILESS_MAIN(TestPayloadValidator)
#include "tst_payloadvalidator.moc"
