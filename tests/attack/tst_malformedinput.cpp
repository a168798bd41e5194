// SPDX-License-Identifier: MIT
// The malformed-input catalogue: hostile and broken requests sent over raw sockets to a real
// `redrive --headless`. Each case states the status it gets, or that the connection is closed
// without an answer; after each, nothing was stored, the process is alive, and a normal delivery
// is answered 200. The receiver's unit tests (tst_requestframer, tst_payloadvalidator,
// tst_webhookreceiver) check the messages and the framing rules one by one; this is the attacker's
// view of the whole process.
#include "tests/attack/attackkit.h"
#include "tests/support/redisserver.h"
#include "tests/support/redriveprocess.h"
#include "tests/support/testenv.h"

#include <QElapsedTimer>
#include <QFile>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <vector>

using namespace redrive::tests;

namespace {

constexpr int WaitMs = 20000;
constexpr int MaxBody = 100000; // --max-body, small so that oversize cases are cheap
constexpr int MaxConnections = 32;
// --header-timeout: short, for the slow senders, but well above a stall of a loaded machine
// between a normal request's connection and its bytes.
constexpr int HeaderTimeoutS = 3;
const QByteArray Dlq = "genesys_webhook_dlq";
const QByteArray Permanent = "genesys_webhook_permanent_failures";
constexpr int Closed = 0; // no answer, the connection closed

QByteArray head(const QByteArray &requestLine, const QByteArray &headers)
{
    return requestLine + "\r\n" + headers + "\r\n";
}

QByteArray post(const QByteArray &body, const QByteArray &contentType = "application/json")
{
    return head("POST /webhook/genesys HTTP/1.1",
                "Host: 127.0.0.1\r\nContent-Type: " + contentType
                    + "\r\nContent-Length: " + QByteArray::number(body.size()) + "\r\n")
        + body;
}

// A literal that may hold NUL bytes, without its terminating one.
template<size_t N>
QByteArray bytes(const char (&text)[N])
{
    return QByteArray(text, N - 1);
}

QByteArray chunkedHead(const QByteArray &extra = {})
{
    return head("POST /webhook/genesys HTTP/1.1",
                "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
                "Transfer-Encoding: chunked\r\n"
                    + extra);
}

} // namespace

class TestMalformedInput : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void catalogue_data();
    void catalogue();
    void thousandsOfIdleConnections();
    void halfSentRequestsAtTheDescriptorLimit();

private:
    // Nothing stored since the last check (besides `expected` more), the process alive, and a
    // normal delivery answered 200.
    void verifyUnharmed(RedriveProcess *redrive, int expectedStored);
    qlonglong storedCount() const { return m_redis.llen(Dlq) + m_redis.llen(Permanent); }

    RedisServer m_redis;
    QTemporaryDir m_home;
    RedriveProcess m_redrive;
    quint16 m_port = 0;
    qlonglong m_stored = 0;
};

void TestMalformedInput::initTestCase()
{
    QVERIFY2(QFile::exists(redriveBinary()), "REDRIVE_BINARY not built");
    QVERIFY2(m_redis.start(), qPrintable(m_redis.errorString()));
    QVERIFY(m_home.isValid());
    raiseOwnDescriptorLimit();
    // Every delivery that gets through is stored (--simulate-failure always): a 200 means an
    // entry, so a case that slipped through would show in the list.
    m_redrive.start(m_home.path(),
                    { QStringLiteral("--headless"), QStringLiteral("--no-worker"),
                      QStringLiteral("--simulate-failure"), QStringLiteral("always"),
                      QStringLiteral("--redis"), m_redis.url(), QStringLiteral("--listen"),
                      QStringLiteral("127.0.0.1:0"), QStringLiteral("--max-body"),
                      QString::number(MaxBody), QStringLiteral("--header-timeout"),
                      QString::number(HeaderTimeoutS), QStringLiteral("--max-connections"),
                      QString::number(MaxConnections) });
    const QUrl url = m_redrive.receiverUrl(WaitMs);
    QVERIFY2(url.isValid(), m_redrive.log.constData());
    m_port = quint16(url.port());
    // Redis connected: a normal delivery is stored.
    QVERIFY(QTest::qWaitFor(
        [this] {
            return rawExchange(m_port, { post(sampleNotification()) }, 0, WaitMs, 1)
                       .statuses.value(0)
                == 200;
        },
        WaitMs));
    m_stored = storedCount();
    QCOMPARE(m_stored, 1);
}

void TestMalformedInput::cleanupTestCase()
{
    QVERIFY2(m_redrive.terminate(WaitMs), m_redrive.log.constData());
    qInfo("log of the catalogue's receiver:\n%s", m_redrive.log.constData());
}

void TestMalformedInput::verifyUnharmed(RedriveProcess *redrive, int expectedStored)
{
    QCOMPARE(storedCount(), m_stored + expectedStored);
    QVERIFY2(redrive->isRunning(), redrive->readLog().constData());
    const RawResult normal = rawExchange(redrive->receiverPort(), { post(sampleNotification()) },
                                         0, WaitMs, 1);
    QCOMPARE(normal.statuses.value(0), 200);
    QCOMPARE(storedCount(), m_stored + expectedStored + 1);
    m_stored = storedCount();
}

void TestMalformedInput::catalogue_data()
{
    QTest::addColumn<QList<QByteArray>>("parts"); // sent one after the other
    QTest::addColumn<int>("gapMs"); // between parts; -1: after the previous part's answer
    QTest::addColumn<QList<int>>("expected"); // the answers' statuses; empty: closed, none
    QTest::addColumn<int>("stored"); // deliveries stored (a valid request in the case)

    const auto row = [](const char *name, const QByteArray &bytes, int status) {
        QTest::newRow(name) << QList<QByteArray> { bytes } << 0
                            << (status == Closed ? QList<int> {} : QList<int> { status }) << 0;
    };
    const QByteArray sample = sampleNotification();
    const QByteArray valid = post(sample);

    // Bodies that are not one JSON object.
    row("empty body", post(""), 400);
    row("only whitespace", post(" \r\n\t "), 400);
    row("truncated object", post("{\"topicName\":"), 400);
    row("trailing comma", post("{\"a\":1,}"), 400);
    row("single quotes", post("{'a':1}"), 400);
    row("unquoted key", post("{a:1}"), 400);
    row("an array", post("[1,2,3]"), 400);
    row("a number", post("42"), 400);
    row("null", post("null"), 400);
    row("two objects", post("{}{}"), 400);
    row("garbage after the object", post("{\"a\":1} trailing"), 400);
    row("unterminated string", post("{\"a\":\"b}"), 400);
    row("bad escape", post("{\"a\":\"\\q\"}"), 400);
    row("control character in a string", post("{\"a\":\"x\ty\"}"), 400);
    row("NaN", post("{\"a\":NaN}"), 400);
    row("comment", post("{/* c */\"a\":1}"), 400);
    row("leading zero", post("{\"a\":012}"), 400);
    row("number out of range", post("{\"a\":1e999}"), 400);
    row("nested 10,000 arrays", post(QByteArray(10000, '[') + QByteArray(10000, ']')), 400);
    {
        QByteArray deep;
        for (int i = 0; i < 100; ++i)
            deep += "{\"a\":";
        deep += "1" + QByteArray(100, '}');
        row("nested 100 objects", post(deep), 400);
    }
    row("invalid UTF-8", post("{\"a\":\"\xff\xfe\"}"), 400);
    row("overlong UTF-8", post("{\"a\":\"\xc0\xaf\"}"), 400);
    row("UTF-8 surrogate", post("{\"a\":\"\xed\xa0\x80\"}"), 400);
    row("truncated UTF-8", post("{\"a\":\"\xe2\x82\"}"), 400);
    row("NUL in a string", post(bytes("{\"a\":\"x\0y\"}")), 400);
    row("NUL after the object", post(bytes("{\"a\":1}\0")), 400);
    row("NUL body", post(QByteArray(64, '\0')), 400);
    row("UTF-16 body", post(bytes("{\0}\0"), "application/json; charset=utf-16"), 415);

    // Methods, paths and content types.
    row("GET on the webhook", head("GET /webhook/genesys HTTP/1.1", "Host: 127.0.0.1\r\n"), 405);
    row("PUT on the webhook",
        head("PUT /webhook/genesys HTTP/1.1",
             "Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n")
            + "{}",
        405);
    row("unknown method", head("BREW /webhook/genesys HTTP/1.1", "Host: 127.0.0.1\r\n"), 501);
    row("lower-case method", head("post /webhook/genesys HTTP/1.1", "Host: 127.0.0.1\r\n"), 501);
    row("text/plain", post("{}", "text/plain"), 415);
    row("form", post("a=1", "application/x-www-form-urlencoded"), 415);
    row("no content type",
        head("POST /webhook/genesys HTTP/1.1", "Host: 127.0.0.1\r\nContent-Length: 2\r\n") + "{}",
        415);
    row("other path", head("POST /admin HTTP/1.1", "Host: 127.0.0.1\r\nContent-Length: 0\r\n"),
        404);
    row("path traversal", head("GET /../../etc/passwd HTTP/1.1", "Host: 127.0.0.1\r\n"), 404);

    // Request line and version.
    row("very long target",
        head("POST /webhook/genesys?" + QByteArray(200000, 'a') + " HTTP/1.1",
             "Host: 127.0.0.1\r\n"),
        431);
    row("control character in the target",
        head("POST /webhook/\x01genesys HTTP/1.1", "Host: 127.0.0.1\r\n"), 400);
    row("target not a path", head("POST webhook HTTP/1.1", "Host: 127.0.0.1\r\n"), 400);
    row("HTTP/2.0", head("POST /webhook/genesys HTTP/2.0", "Host: 127.0.0.1\r\n"), 505);
    row("HTTP/2 preface", QByteArray("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 505);
    row("HTTP/0.9", QByteArray("GET /webhook/genesys\r\n\r\n"), 400);
    row("missing Host on HTTP/1.1",
        head("POST /webhook/genesys HTTP/1.1",
             "Content-Type: application/json\r\nContent-Length: "
                 + QByteArray::number(sample.size()) + "\r\n")
            + sample,
        400);
    row("two Hosts",
        head("POST /webhook/genesys HTTP/1.1",
             "Host: a\r\nHost: b\r\nContent-Type: application/json\r\nContent-Length: 2\r\n")
            + "{}",
        400);
    row("binary garbage", bytes("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\0\0\r\n\r\n"),
        400);

    // Headers.
    {
        QByteArray flood;
        for (int i = 0; i < 200; ++i)
            flood += "X-Flood-" + QByteArray::number(i) + ": x\r\n";
        row("200 header fields",
            head("POST /webhook/genesys HTTP/1.1", "Host: 127.0.0.1\r\n" + flood), 431);
    }
    row("one 200 KB header",
        head("POST /webhook/genesys HTTP/1.1",
             "Host: 127.0.0.1\r\nX-Big: " + QByteArray(200000, 'b') + "\r\n"),
        431);
    row("obsolete line folding",
        head("POST /webhook/genesys HTTP/1.1", "Host: 127.0.0.1\r\nX-A: one\r\n two\r\n"), 400);
    row("NUL in a header",
        head("POST /webhook/genesys HTTP/1.1", bytes("Host: 127.0.0.1\r\nX-A: a\0b\r\n")),
        400);
    row("header without a colon",
        head("POST /webhook/genesys HTTP/1.1", "Host: 127.0.0.1\r\nNoColonHere\r\n"), 400);
    row("space before the colon",
        head("POST /webhook/genesys HTTP/1.1", "Host : 127.0.0.1\r\n"), 400);
    row("Expect other than 100-continue",
        head("POST /webhook/genesys HTTP/1.1",
             "Host: 127.0.0.1\r\nContent-Type: application/json\r\nExpect: 200-ok\r\n"
             "Content-Length: 2\r\n")
            + "{}",
        417);

    // Lengths and chunks.
    row("oversize by Content-Length",
        head("POST /webhook/genesys HTTP/1.1",
             "Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: "
                 + QByteArray::number(MaxBody + 1) + "\r\n"),
        413);
    row("Content-Length beyond 64 bits",
        head("POST /webhook/genesys HTTP/1.1",
             "Host: 127.0.0.1\r\nContent-Type: application/json\r\n"
             "Content-Length: 99999999999999999999999999\r\n"),
        413);
    row("negative Content-Length",
        head("POST /webhook/genesys HTTP/1.1",
             "Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: -1\r\n"),
        400);
    row("Content-Length not a number",
        head("POST /webhook/genesys HTTP/1.1",
             "Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1e3\r\n"),
        400);
    row("Content-Length twice, same value",
        head("POST /webhook/genesys HTTP/1.1",
             "Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
             "Content-Length: 2\r\n")
            + "{}",
        400);
    row("Content-Length twice, different values (smuggling)",
        head("POST /webhook/genesys HTTP/1.1",
             "Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\n"
             "Content-Length: 40\r\n")
            + "{}" + valid,
        400);
    row("Content-Length list",
        head("POST /webhook/genesys HTTP/1.1",
             "Host: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2, 2\r\n")
            + "{}",
        400);
    row("Content-Length and chunked (CL.TE smuggling)",
        chunkedHead("Content-Length: 4\r\n") + "0\r\n\r\n" + valid, 400);
    row("chunked and Content-Length (TE.CL smuggling)",
        head("POST /webhook/genesys HTTP/1.1",
             "Host: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n"
             "Content-Length: 200\r\n")
            + "2\r\n{}\r\n0\r\n\r\n",
        400);
    row("Transfer-Encoding gzip",
        head("POST /webhook/genesys HTTP/1.1",
             "Host: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: gzip\r\n"),
        501);
    row("Transfer-Encoding chunked, identity", chunkedHead().replace("chunked", "chunked, identity"),
        501);
    row("Transfer-Encoding gzip, chunked (a coding the receiver would not decode)",
        chunkedHead().replace("chunked", "gzip, chunked") + "2\r\n{}\r\n0\r\n\r\n", 501);
    row("chunk size not hex", chunkedHead() + "zz\r\n{}\r\n0\r\n\r\n", 400);
    row("chunk size over 64 bits", chunkedHead() + "ffffffffffffffffffffffff\r\n", 413);
    row("chunk longer than its size", chunkedHead() + "2\r\n{}}}\r\n0\r\n\r\n", 400);
    row("chunk without its CRLF", chunkedHead() + "2\r\n{}0\r\n\r\n", 400);
    row("chunk size line without CRLF", chunkedHead() + "2\n{}\r\n0\r\n\r\n", 400);
    {
        // Oversize by chunks: each within limits, together over --max-body.
        QList<QByteArray> parts { chunkedHead() };
        const QByteArray chunk = "4000\r\n" + QByteArray(0x4000, ' ') + "\r\n";
        for (int sent = 0; sent <= MaxBody; sent += 0x4000)
            parts.append(chunk);
        parts.append("0\r\n\r\n");
        QTest::newRow("oversize by chunks") << parts << 0 << QList<int> { 413 } << 0;
    }
    {
        QList<QByteArray> parts { chunkedHead() };
        for (const char c : QByteArray("{\"topicName\":\"v2.users.x\"}"))
            parts.append("1\r\n" + QByteArray(1, c) + "\r\n");
        parts.append("0\r\n\r\n");
        // A valid delivery one byte per chunk, on a connection kept alive, then garbage.
        parts.append("GARBAGE\r\n\r\n");
        QTest::newRow("one byte per chunk, then garbage")
            << parts << -1 << QList<int> { 200, 400 } << 1;
    }

    // Several requests on one connection.
    QTest::newRow("pipelined garbage after a valid request")
        << QList<QByteArray> { valid + "GARBAGE / HTTP/1.1\r\n\r\n" } << 0 << QList<int> { 400 }
        << 0;
    QTest::newRow("garbage after a valid request's answer")
        << QList<QByteArray> { valid, "\x01\x02\x03\r\n\r\n" } << -1 << QList<int> { 200, 400 }
        << 1;
    QTest::newRow("HTTP/1.0 delivery without Host")
        << QList<QByteArray> { head("POST /webhook/genesys HTTP/1.0",
                                    "Content-Type: application/json\r\nContent-Length: "
                                        + QByteArray::number(sample.size()) + "\r\n")
                               + sample }
        << 0 << QList<int> { 200 } << 1;

    // Slow senders (--header-timeout 3): closed, with 408 once something came.
    {
        QList<QByteArray> parts { "POST /webhook/genesys HTTP/1.1\r\n" };
        for (const char c : QByteArray("Host: 127.0.0.1\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaa"))
            parts.append(QByteArray(1, c));
        QTest::newRow("slowloris (a header byte every 200 ms)")
            << parts << 200 << QList<int> { 408 } << 0;
    }
    QTest::newRow("connected, silent") << QList<QByteArray> {} << 0 << QList<int> {} << 0;
}

void TestMalformedInput::catalogue()
{
    QFETCH(QList<QByteArray>, parts);
    QFETCH(int, gapMs);
    QFETCH(QList<int>, expected);
    QFETCH(int, stored);
    const RawResult result = rawExchange(m_port, parts, gapMs, WaitMs, int(expected.size()));
    QVERIFY(result.connected);
    QCOMPARE(result.statuses, expected);
    if (expected.isEmpty())
        QVERIFY2(result.closed, "the receiver kept the connection open");
    verifyUnharmed(&m_redrive, stored);
}

// More idle connections than --max-connections: those beyond it are answered 503 at once; the
// ones held are closed by the header deadline, and deliveries are taken again.
void TestMalformedInput::thousandsOfIdleConnections()
{
    constexpr int Idle = 2000;
    std::vector<std::unique_ptr<QTcpSocket>> idle;
    for (int i = 0; i < Idle; ++i) {
        idle.push_back(std::make_unique<QTcpSocket>());
        idle.back()->connectToHost(QHostAddress::LocalHost, m_port);
    }
    std::vector<QByteArray> received(idle.size());
    const auto count = [&](int *refused, int *closed) {
        *refused = *closed = 0;
        for (size_t i = 0; i < idle.size(); ++i) {
            received[i] += idle[i]->readAll();
            *refused += received[i].startsWith("HTTP/1.1 503 ");
            *closed += idle[i]->state() == QAbstractSocket::UnconnectedState;
        }
    };
    int refused = 0;
    int closed = 0;
    // Every one is closed: beyond the limit at once with a 503, the others by the deadline.
    QTRY_VERIFY_WITH_TIMEOUT((count(&refused, &closed), closed == Idle), 60000);
    qInfo("%d idle connections, --max-connections %d: %d answered 503, %d closed silently", Idle,
          MaxConnections, refused, closed - refused);
    QVERIFY2(refused >= Idle - MaxConnections, qPrintable(QString::number(refused)));
    QVERIFY(m_redrive.readLog().contains("connection limit reached"));
    verifyUnharmed(&m_redrive, 0);
}

// Descriptors run out on connections that each sent half a request head (the descriptor limit
// lowered to 128, --max-connections far above it): the receiver does not spin, the header
// deadline closes the half-sent requests, and deliveries are taken again without the clients
// letting go.
void TestMalformedInput::halfSentRequestsAtTheDescriptorLimit()
{
#if defined(__SANITIZE_ADDRESS__)
    // As in tst_receiverlimits: the sanitizer runtimes need descriptors of their own.
    QSKIP("descriptor exhaustion is not observable under the sanitizers");
#endif
    constexpr int Clients = 200;
    RedriveProcess redrive;
    redrive.setDescriptorLimit(128);
    redrive.start(m_home.path(),
                  { QStringLiteral("--headless"), QStringLiteral("--no-worker"),
                    QStringLiteral("--simulate-failure"), QStringLiteral("always"),
                    QStringLiteral("--redis"), m_redis.url(), QStringLiteral("--listen"),
                    QStringLiteral("127.0.0.1:0"), QStringLiteral("--max-connections"),
                    QStringLiteral("1000"), QStringLiteral("--header-timeout"),
                    QStringLiteral("3") });
    const QUrl url = redrive.receiverUrl(WaitMs);
    QVERIFY2(url.isValid(), redrive.log.constData());
    std::vector<std::unique_ptr<QTcpSocket>> clients;
    for (int i = 0; i < Clients; ++i) {
        clients.push_back(std::make_unique<QTcpSocket>());
        QTcpSocket *socket = clients.back().get();
        QObject::connect(socket, &QTcpSocket::connected, socket,
                         [socket] { socket->write("POST /webhook/genesys HTTP/1.1\r\nHost: x"); });
        socket->connectToHost(QHostAddress::LocalHost, quint16(url.port()));
    }
    QVERIFY2(redrive.waitFor("out of file descriptors", WaitMs), redrive.log.constData());

    // A few seconds at the limit: a measurement window, not a wait for a condition.
    const double cpuBefore = redrive.cpuSeconds();
    QElapsedTimer wall;
    wall.start();
    QTest::qWait(2000);
    const double share = (redrive.cpuSeconds() - cpuBefore) / (double(wall.elapsed()) / 1000.0);
    qInfo("CPU with half-sent requests at the descriptor limit: %.1f %% of wall time",
          share * 100.0);
    QVERIFY(cpuBefore >= 0);
    // A liveness check against a hot loop (a spinning accept takes a whole core).
    QVERIFY2(share < 0.5, qPrintable(QStringLiteral("%1 %").arg(share * 100.0)));

    // The clients hold on; the deadline closes them batch by batch.
    int timedOut = 0;
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            timedOut = 0;
            for (const auto &client : clients)
                timedOut += client->state() == QAbstractSocket::UnconnectedState;
            return timedOut == Clients;
        }(),
        90000);
    QVERIFY2(redrive.waitFor("accepting resumed", WaitMs), redrive.log.constData());
    QCOMPARE(redrive.log.count("out of file descriptors"), 1);
    verifyUnharmed(&redrive, 0);
    QVERIFY2(redrive.terminate(WaitMs), redrive.log.constData());
}

QTEST_GUILESS_MAIN(TestMalformedInput)
#include "tst_malformedinput.moc"
