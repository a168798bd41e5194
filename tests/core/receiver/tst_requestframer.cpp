// SPDX-License-Identifier: MIT
#include "core/receiver/requestframer.h"

#include <QTest>

using redrive::core::RequestFramer;
using Event = RequestFramer::Event;

namespace {

// Feeds `data` in slices of `slice` bytes and returns the events, stopping at the first error.
QList<Event> feedAll(RequestFramer &framer, const QByteArray &data, qsizetype slice = 1 << 20)
{
    QList<Event> events;
    qsizetype offset = 0;
    while (offset <= data.size()) {
        const qsizetype length = qMin(slice, data.size() - offset);
        const char *chunk = data.constData() + offset;
        qsizetype pos = 0;
        for (;;) {
            Event event = Event::NeedMore;
            pos += framer.feed(chunk + pos, length - pos, &event);
            if (event == Event::NeedMore)
                break;
            events.append(event);
            if (event == Event::Error)
                return events;
        }
        offset += length;
        if (length == 0)
            break;
    }
    return events;
}

const QList<Event> OneMessage { Event::HeadComplete, Event::MessageComplete };

} // namespace

class TestRequestFramer : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void getWithoutBody();
    void postWithContentLength_data();
    void postWithContentLength();
    void keepAlive_data();
    void keepAlive();
    void blankLinesBetweenRequests();
    void twoRequestsInOneBuffer();
    void bareLineFeeds();
    void bodyOverLimitRefusedFromHeaders();
    void contentLengthForms_data();
    void contentLengthForms();
    void chunked_data();
    void chunked();
    void chunkedOverLimit();
    void chunkedMalformed_data();
    void chunkedMalformed();
    void framingConflicts_data();
    void framingConflicts();
    void unknownTransferCoding_data();
    void unknownTransferCoding();
    void expectContinue();
    void unknownExpectation();
    void upgradeOffersPassThrough();
    void headersTooLarge();
    void tooManyHeaderFields();
    void badRequestLines_data();
    void badRequestLines();
    void badHeaders_data();
    void badHeaders();
    void skipBodyCountsWithoutBytes();
    void hostRequiredInHttp11_data();
    void hostRequiredInHttp11();
};

void TestRequestFramer::getWithoutBody()
{
    RequestFramer framer(1024);
    QVERIFY(framer.isBetweenMessages());
    const QList<Event> events = feedAll(framer, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    QCOMPARE(events, OneMessage);
    QCOMPARE(framer.head().method, QByteArray("GET"));
    QCOMPARE(framer.head().target, QByteArray("/healthz"));
    QVERIFY(!framer.head().http10);
    QVERIFY(framer.head().keepAlive);
    QCOMPARE(framer.head().contentLength, 0);
    QVERIFY(framer.isBetweenMessages());
}

void TestRequestFramer::postWithContentLength_data()
{
    QTest::addColumn<int>("slice");
    for (int slice : { 1, 2, 3, 7, 16, 100, 100000 })
        QTest::addRow("slices of %d", slice) << slice;
}

void TestRequestFramer::postWithContentLength()
{
    QFETCH(int, slice);
    RequestFramer framer(1024);
    const QByteArray body = "{\"topicName\":\"x\"}";
    const QByteArray request = "POST /webhook/genesys HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               "Content-Type: application/json\r\nContent-Length: "
        + QByteArray::number(body.size()) + "\r\n\r\n" + body;
    QCOMPARE(feedAll(framer, request, slice), OneMessage);
    QCOMPARE(framer.head().contentLength, body.size());
    QVERIFY(framer.isBetweenMessages());
}

void TestRequestFramer::keepAlive_data()
{
    QTest::addColumn<QByteArray>("version");
    QTest::addColumn<QByteArray>("connection");
    QTest::addColumn<bool>("keepAlive");
    QTest::newRow("1.1 default") << QByteArray("HTTP/1.1") << QByteArray() << true;
    QTest::newRow("1.1 close") << QByteArray("HTTP/1.1") << QByteArray("close") << false;
    QTest::newRow("1.1 Close, list") << QByteArray("HTTP/1.1") << QByteArray("foo, Close") << false;
    QTest::newRow("1.0 default") << QByteArray("HTTP/1.0") << QByteArray() << false;
    QTest::newRow("1.0 keep-alive") << QByteArray("HTTP/1.0") << QByteArray("Keep-Alive") << true;
}

void TestRequestFramer::keepAlive()
{
    QFETCH(QByteArray, version);
    QFETCH(QByteArray, connection);
    QFETCH(bool, keepAlive);
    RequestFramer framer(1024);
    QByteArray request = "GET / " + version + "\r\nHost: x\r\n";
    if (!connection.isEmpty())
        request += "Connection: " + connection + "\r\n";
    request += "\r\n";
    QCOMPARE(feedAll(framer, request), OneMessage);
    QCOMPARE(framer.head().keepAlive, keepAlive);
    QCOMPARE(framer.head().http10, version == "HTTP/1.0");
}

void TestRequestFramer::blankLinesBetweenRequests()
{
    RequestFramer framer(1024);
    QCOMPARE(feedAll(framer, "\r\n\r\nGET / HTTP/1.1\r\nHost: x\r\n\r\n"), OneMessage);
    Event event = Event::NeedMore;
    QCOMPARE(framer.feed("\r\n", 2, &event), 2);
    QCOMPARE(event, Event::NeedMore);
    QVERIFY(framer.isBetweenMessages());
}

void TestRequestFramer::twoRequestsInOneBuffer()
{
    RequestFramer framer(1024);
    const QByteArray one = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n\r\n{}";
    const QByteArray two = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
    const QByteArray both = one + two;
    Event event = Event::NeedMore;
    qsizetype pos = framer.feed(both.constData(), both.size(), &event);
    QCOMPARE(event, Event::HeadComplete);
    pos += framer.feed(both.constData() + pos, both.size() - pos, &event);
    QCOMPARE(event, Event::MessageComplete);
    QCOMPARE(pos, one.size()); // stops right after the first request
    QVERIFY(framer.isBetweenMessages());
    QCOMPARE(feedAll(framer, both.mid(pos)), OneMessage);
    QCOMPARE(framer.head().target, QByteArray("/b"));
}

void TestRequestFramer::bareLineFeeds()
{
    RequestFramer framer(1024);
    QCOMPARE(feedAll(framer, "POST / HTTP/1.1\nHost: x\nContent-Length: 3\n\nabc"), OneMessage);
    QCOMPARE(framer.head().contentLength, 3);
}

void TestRequestFramer::bodyOverLimitRefusedFromHeaders()
{
    RequestFramer framer(1000);
    // Only the head: the refusal must not wait for (or need) the body.
    const QList<Event> events = feedAll(
        framer,
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\nExpect: 100-continue\r\n\r\n");
    QCOMPARE(events, QList<Event> { Event::Error });
    QCOMPARE(framer.errorStatus(), 413);
    QCOMPARE(framer.errorCode(), QByteArray("payload_too_large"));
    QVERIFY(framer.errorMessage().contains(QLatin1String("1001")));
    QVERIFY(framer.hasFailed());
    Event event = Event::NeedMore;
    QCOMPARE(framer.feed("x", 1, &event), 0); // consumes nothing after an error
    QCOMPARE(event, Event::Error);

    RequestFramer exact(1000);
    QCOMPARE(feedAll(exact,
                     "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n"
                         + QByteArray(1000, 'x')),
             OneMessage);
}

void TestRequestFramer::contentLengthForms_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::addColumn<int>("status"); // 0: accepted
    QTest::newRow("plain") << QByteArray("Content-Length: 2\r\n") << 0;
    QTest::newRow("spaces") << QByteArray("Content-Length:   2  \r\n") << 0;
    QTest::newRow("leading zeros") << QByteArray("Content-Length: 002\r\n") << 0;
    // RFC 9110 tolerates repeats of one value; QHttpServer 6.4 does not read lists: refused.
    QTest::newRow("same list") << QByteArray("Content-Length: 2, 2\r\n") << 400;
    QTest::newRow("same twice") << QByteArray("Content-Length: 2\r\ncontent-length: 2\r\n") << 400;
    QTest::newRow("different twice")
        << QByteArray("Content-Length: 2\r\nContent-Length: 3\r\n") << 400;
    QTest::newRow("negative") << QByteArray("Content-Length: -2\r\n") << 400;
    QTest::newRow("plus") << QByteArray("Content-Length: +2\r\n") << 400;
    QTest::newRow("hex") << QByteArray("Content-Length: 0x2\r\n") << 400;
    QTest::newRow("empty") << QByteArray("Content-Length: \r\n") << 400;
    QTest::newRow("huge") << QByteArray("Content-Length: 99999999999999999999999999\r\n") << 413;
}

void TestRequestFramer::contentLengthForms()
{
    QFETCH(QByteArray, headers);
    QFETCH(int, status);
    RequestFramer framer(1024);
    const QList<Event> events
        = feedAll(framer, "POST / HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n{}");
    if (status == 0) {
        QCOMPARE(events, OneMessage);
        QCOMPARE(framer.head().contentLength, 2);
    } else {
        QCOMPARE(events.last(), Event::Error);
        QCOMPARE(framer.errorStatus(), status);
    }
}

void TestRequestFramer::chunked_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("slice");
    const QByteArray simple = "2\r\n{}\r\n0\r\n\r\n";
    const QByteArray fancy = "4;name=value\r\n{\"a\"\r\nA\r\n:12345678}\r\n0;last\r\n\r\n";
    for (int slice : { 1, 3, 1000 }) {
        QTest::addRow("simple/%d", slice) << simple << slice;
        QTest::addRow("extensions/%d", slice) << fancy << slice;
    }
    QTest::newRow("uppercase hex") << QByteArray("A\r\n0123456789\r\n0\r\n\r\n") << 1000;
}

void TestRequestFramer::chunked()
{
    QFETCH(QByteArray, body);
    QFETCH(int, slice);
    RequestFramer framer(1024);
    const QByteArray request
        = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: Chunked\r\n\r\n" + body
        + "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    const QList<Event> events = feedAll(framer, request, slice);
    QCOMPARE(events, OneMessage + OneMessage);
}

void TestRequestFramer::chunkedOverLimit()
{
    RequestFramer framer(10);
    QByteArray request = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                         "chunked\r\n\r\n5\r\n12345\r\n5\r\n12345\r\n";
    QCOMPARE(feedAll(framer, request), QList<Event> { Event::HeadComplete });
    // The chunk that would go over is refused from its size line, before its data.
    QCOMPARE(feedAll(framer, "1\r\n"), QList<Event> { Event::Error });
    QCOMPARE(framer.errorStatus(), 413);

    RequestFramer huge(1024);
    QCOMPARE(feedAll(huge,
                     "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "ffffffffffffffffffffffff\r\n"),
             (QList<Event> { Event::HeadComplete, Event::Error }));
    QCOMPARE(huge.errorStatus(), 413);
}

void TestRequestFramer::chunkedMalformed_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("no size") << QByteArray("\r\n");
    QTest::newRow("not hex") << QByteArray("zz\r\n");
    QTest::newRow("junk after size") << QByteArray("2 x\r\n{}\r\n");
    QTest::newRow("data longer than size") << QByteArray("2\r\n{}x\r\n0\r\n\r\n");
    QTest::newRow("trailer field (QHttpServer 6.4 cannot)")
        << QByteArray("0\r\nX-Trailer: t\r\n\r\n");
    QTest::newRow("bare LF after size") << QByteArray("2\n{}\r\n0\r\n\r\n");
    QTest::newRow("bare LF after data") << QByteArray("2\r\n{}\n0\r\n\r\n");
    QTest::newRow("bare LF at the end") << QByteArray("2\r\n{}\r\n0\r\n\n");
}

void TestRequestFramer::chunkedMalformed()
{
    QFETCH(QByteArray, body);
    RequestFramer framer(1024);
    const QList<Event> events = feedAll(
        framer, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body);
    QCOMPARE(events.last(), Event::Error);
    QCOMPARE(framer.errorStatus(), 400);
}

void TestRequestFramer::framingConflicts_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::newRow("both lengths") << QByteArray(
        "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n");
    QTest::newRow("chunked twice") << QByteArray("Transfer-Encoding: chunked, chunked\r\n");
    QTest::newRow("chunked in two fields")
        << QByteArray("Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n");
    QTest::newRow("empty coding") << QByteArray("Transfer-Encoding: \r\n");
}

void TestRequestFramer::framingConflicts()
{
    QFETCH(QByteArray, headers);
    RequestFramer framer(1024);
    QCOMPARE(feedAll(framer, "POST / HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n"),
             QList<Event> { Event::Error });
    QCOMPARE(framer.errorStatus(), 400);
    QCOMPARE(framer.errorCode(), QByteArray("bad_framing"));
}

void TestRequestFramer::unknownTransferCoding_data()
{
    QTest::addColumn<QByteArray>("headers");
    QTest::newRow("gzip, chunked") << QByteArray("Transfer-Encoding: gzip, chunked\r\n");
    QTest::newRow("chunked, gzip") << QByteArray("Transfer-Encoding: chunked, gzip\r\n");
    QTest::newRow("gzip only") << QByteArray("Transfer-Encoding: gzip\r\n");
    QTest::newRow("deflate in a second field")
        << QByteArray("Transfer-Encoding: deflate\r\nTransfer-Encoding: chunked\r\n");
}

// A body in a coding the receiver does not decode is refused, not stored still encoded.
void TestRequestFramer::unknownTransferCoding()
{
    QFETCH(QByteArray, headers);
    RequestFramer framer(1024);
    QCOMPARE(feedAll(framer, "POST / HTTP/1.1\r\nHost: x\r\n" + headers + "\r\n"),
             QList<Event> { Event::Error });
    QCOMPARE(framer.errorStatus(), 501);
    QCOMPARE(framer.errorCode(), QByteArray("transfer_coding_not_implemented"));
}

void TestRequestFramer::expectContinue()
{
    RequestFramer framer(1024);
    QCOMPARE(
        feedAll(framer,
                "POST / HTTP/1.1\r\nHost: x\r\nExpect: 100-Continue\r\nContent-Length: 2\r\n\r\n"),
        QList<Event> { Event::HeadComplete });
    QVERIFY(framer.head().expectContinue);
    QCOMPARE(feedAll(framer, "{}"), QList<Event> { Event::MessageComplete });
}

void TestRequestFramer::unknownExpectation()
{
    RequestFramer framer(1024);
    QCOMPARE(feedAll(framer, "POST / HTTP/1.1\r\nHost: x\r\nExpect: something\r\n\r\n"),
             QList<Event> { Event::Error });
    QCOMPARE(framer.errorStatus(), 417);
}

void TestRequestFramer::upgradeOffersPassThrough()
{
    // An Upgrade offer (curl --http2 on http://) is served as plain HTTP/1.1.
    RequestFramer framer(1024);
    QCOMPARE(feedAll(framer,
                     "POST / HTTP/1.1\r\nHost: x\r\nConnection: Upgrade, HTTP2-Settings\r\n"
                     "Upgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n"
                     "Content-Length: 2\r\n\r\n{}"),
             OneMessage);
}

void TestRequestFramer::headersTooLarge()
{
    RequestFramer framer(1024, 200);
    QByteArray request = "GET / HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 20; ++i)
        request += "X-Filler: 0123456789\r\n";
    const QList<Event> events = feedAll(framer, request, 7);
    QCOMPARE(events, QList<Event> { Event::Error });
    QCOMPARE(framer.errorStatus(), 431);

    RequestFramer oneLongLine(1024, 200);
    QCOMPARE(feedAll(oneLongLine, "GET /" + QByteArray(300, 'a')), QList<Event> { Event::Error });
    QCOMPARE(oneLongLine.errorStatus(), 431);
}

void TestRequestFramer::tooManyHeaderFields()
{
    QByteArray head = "GET / HTTP/1.1\r\nHost: x\r\n"; // Host counts as a field too
    for (int i = 1; i < RequestFramer::MaxHeaderFields; ++i)
        head += "X-" + QByteArray::number(i) + ": v\r\n";
    RequestFramer hundred(1024);
    QCOMPARE(feedAll(hundred, head + "\r\n"), OneMessage);
    RequestFramer more(1024);
    QCOMPARE(feedAll(more, head + "X-One-Too-Many: v\r\n\r\n"), QList<Event> { Event::Error });
    QCOMPARE(more.errorStatus(), 431);
}

void TestRequestFramer::badRequestLines_data()
{
    QTest::addColumn<QByteArray>("line");
    QTest::addColumn<int>("status");
    QTest::newRow("two parts") << QByteArray("GET /") << 400;
    QTest::newRow("four parts") << QByteArray("GET / HTTP/1.1 x") << 400;
    QTest::newRow("double space") << QByteArray("GET  / HTTP/1.1") << 400;
    QTest::newRow("not http") << QByteArray("GET / FTP/1.0") << 400;
    QTest::newRow("http 2") << QByteArray("PRI * HTTP/2.0") << 505;
    QTest::newRow("http 0.9") << QByteArray("GET / HTTP/0.9") << 505;
    QTest::newRow("unknown method") << QByteArray("BREW /pot HTTP/1.1") << 501;
    QTest::newRow("connect") << QByteArray("CONNECT example.com:443 HTTP/1.1") << 501;
    QTest::newRow("lowercase method") << QByteArray("post / HTTP/1.1") << 501;
    QTest::newRow("bad method chars") << QByteArray("P(ST / HTTP/1.1") << 400;
    QTest::newRow("relative target") << QByteArray("GET webhook HTTP/1.1") << 400;
    QTest::newRow("control in target") << QByteArray("GET /a\x01 HTTP/1.1") << 400;
}

void TestRequestFramer::badRequestLines()
{
    QFETCH(QByteArray, line);
    QFETCH(int, status);
    RequestFramer framer(1024);
    QCOMPARE(feedAll(framer, line + "\r\n\r\n"), QList<Event> { Event::Error });
    QCOMPARE(framer.errorStatus(), status);
    QVERIFY(!framer.errorMessage().isEmpty());
}

void TestRequestFramer::badHeaders_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::newRow("no colon") << QByteArray("Content-Type application/json");
    QTest::newRow("space before colon") << QByteArray("Content-Type : application/json");
    QTest::newRow("empty name") << QByteArray(": value");
    QTest::newRow("folded") << QByteArray("X-A: 1\r\n  continued");
    QTest::newRow("control character") << QByteArray("X-A: a\x01z");
}

void TestRequestFramer::badHeaders()
{
    QFETCH(QByteArray, header);
    RequestFramer framer(1024);
    QCOMPARE(feedAll(framer, "GET / HTTP/1.1\r\nHost: x\r\n" + header + "\r\n\r\n"),
             QList<Event> { Event::Error });
    QCOMPARE(framer.errorStatus(), 400);
}

void TestRequestFramer::skipBodyCountsWithoutBytes()
{
    RequestFramer framer(1 << 20);
    QCOMPARE(feedAll(framer, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"),
             QList<Event> { Event::HeadComplete });
    QCOMPARE(framer.bodyBytesPending(), 100000);
    framer.skipBody(60000);
    QCOMPARE(framer.bodyBytesPending(), 40000);
    framer.skipBody(40000);
    Event event = Event::NeedMore;
    QCOMPARE(framer.feed("", 0, &event), 0);
    QCOMPARE(event, Event::MessageComplete);

    RequestFramer chunked(1 << 20);
    QCOMPARE(
        feedAll(chunked, "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n400\r\n"),
        QList<Event> { Event::HeadComplete });
    QCOMPARE(chunked.bodyBytesPending(), 1024);
    chunked.skipBody(1024);
    QCOMPARE(chunked.bodyBytesPending(), 0);
    QCOMPARE(feedAll(chunked, "\r\n0\r\n\r\n"), QList<Event> { Event::MessageComplete });
}

void TestRequestFramer::hostRequiredInHttp11_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<bool>("accepted");
    QTest::newRow("1.1 with Host") << QByteArray("GET / HTTP/1.1\r\nHost: a\r\n\r\n") << true;
    QTest::newRow("1.1 with an empty Host")
        << QByteArray("GET / HTTP/1.1\r\nHost:\r\n\r\n") << true; // RFC 9112 section 3.2 allows it
    QTest::newRow("1.1 with host in lower case")
        << QByteArray("GET / HTTP/1.1\r\nhOST: a\r\n\r\n") << true;
    QTest::newRow("1.1 without Host") << QByteArray("GET / HTTP/1.1\r\n\r\n") << false;
    QTest::newRow("1.1 POST without Host")
        << QByteArray("POST / HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}") << false;
    QTest::newRow("1.1 with two Host fields")
        << QByteArray("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n") << false;
    QTest::newRow("1.0 without Host") << QByteArray("GET / HTTP/1.0\r\n\r\n") << true;
}

void TestRequestFramer::hostRequiredInHttp11()
{
    QFETCH(QByteArray, request);
    QFETCH(bool, accepted);
    RequestFramer framer(1024);
    const QList<Event> events = feedAll(framer, request);
    if (accepted) {
        QCOMPARE(events, OneMessage);
        return;
    }
    QCOMPARE(events, QList<Event> { Event::Error });
    QCOMPARE(framer.errorStatus(), 400);
    QCOMPARE(framer.errorCode(), QByteArray("bad_host"));
    QVERIFY(framer.errorMessage().contains(QLatin1String("Host")));
}

QTEST_GUILESS_MAIN(TestRequestFramer)
#include "tst_requestframer.moc"
