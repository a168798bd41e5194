// SPDX-License-Identifier: MIT
// The webhook receiver against a real redis-server and real HTTP on loopback.
#include "core/delivery/downstreamclient.h"
#include "core/queue/deadletterentry.h"
#include "core/queue/queuekeys.h"
#include "core/receiver/webhookreceiver.h"
#include "core/redis/redisconnection.h"
#include "tests/support/fakedownstream.h"
#include "tests/support/redisserver.h"
#include "tests/support/testenv.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>
#include <QUuid>

#include <memory>
#include <vector>

using namespace redrive::core;
using redrive::tests::FakeDownstream;
using redrive::tests::RedisServer;

namespace {

constexpr int WaitMs = 15000;
// A downstream that takes this long to (simulated) time out: long enough that a test can act
// while a delivery is in progress, however slow the machine.
constexpr int SlowDownstreamMs = 2000;
const QByteArray Dlq = "genesys_webhook_dlq";
const QByteArray Permanent = "genesys_webhook_permanent_failures";
const QString Simulated = QStringLiteral("Simulated Database Connection Timeout");
using Headers = QList<QPair<QByteArray, QByteArray>>;

struct Response
{
    int status = 0;
    QByteArray body;
    QJsonObject json;
    QHash<QByteArray, QByteArray> headers; // lowercase names

    QByteArray header(const QByteArray &name) const { return headers.value(name.toLower()); }
};

// Splits raw bytes from a socket into the HTTP responses they hold (interim ones included).
QList<Response> parseResponses(const QByteArray &bytes)
{
    QList<Response> responses;
    qsizetype pos = 0;
    while (pos < bytes.size()) {
        const qsizetype headEnd = bytes.indexOf("\r\n\r\n", pos);
        if (headEnd < 0)
            break;
        const QList<QByteArray> lines = bytes.mid(pos, headEnd - pos).split('\n');
        Response response;
        const QList<QByteArray> statusLine = lines.first().trimmed().split(' ');
        response.status = statusLine.value(1).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines.at(i).trimmed();
            const qsizetype colon = line.indexOf(':');
            response.headers.insert(line.left(colon).toLower(), line.mid(colon + 1).trimmed());
        }
        const qsizetype length = response.headers.value("content-length").toLongLong();
        if (headEnd + 4 + length > bytes.size())
            break;
        response.body = bytes.mid(headEnd + 4, length);
        response.json = QJsonDocument::fromJson(response.body).object();
        responses.append(response);
        pos = headEnd + 4 + length;
    }
    return responses;
}

// A client that writes exactly the bytes it is given.
class RawClient
{
public:
    explicit RawClient(quint16 port)
    {
        QObject::connect(&socket, &QTcpSocket::readyRead, &socket,
                         [this] { received += socket.readAll(); });
        socket.connectToHost(QHostAddress::LocalHost, port);
    }
    bool waitConnected()
    {
        return QTest::qWaitFor([this] { return socket.state() == QAbstractSocket::ConnectedState; },
                               WaitMs);
    }
    void send(const QByteArray &bytes)
    {
        socket.write(bytes);
        socket.flush();
    }
    bool waitForResponses(int count, int timeoutMs = WaitMs)
    {
        return QTest::qWaitFor([&] { return parseResponses(received).size() >= count; }, timeoutMs);
    }
    bool waitForClose(int timeoutMs = WaitMs)
    {
        return QTest::qWaitFor(
            [this] { return socket.state() == QAbstractSocket::UnconnectedState; }, timeoutMs);
    }
    QList<Response> responses() const { return parseResponses(received); }

    QTcpSocket socket;
    QByteArray received;
};

QByteArray requestBytes(const QByteArray &method, const QByteArray &path, const Headers &headers,
                        const QByteArray &body, bool withLength = true)
{
    QByteArray bytes = method + ' ' + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (const auto &[name, value] : headers)
        bytes += name + ": " + value + "\r\n";
    if (withLength && (!body.isEmpty() || method == "POST"))
        bytes += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    return bytes + "\r\n" + body;
}

// What the tutorial's json.dumps writes for a compact JSON text: ", " and ": " between tokens.
QByteArray pythonSpaced(const QByteArray &compact)
{
    QByteArray out;
    bool inString = false;
    for (qsizetype i = 0; i < compact.size(); ++i) {
        const char c = compact.at(i);
        out += c;
        if (inString) {
            if (c == '\\')
                out += compact.at(++i);
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (c == ',' || c == ':') {
            out += ' ';
        }
    }
    return out;
}

ReceiverConfig testConfig()
{
    ReceiverConfig config;
    config.port = 0;
    config.housekeepingMs = 100;
    return config;
}

} // namespace

class TestWebhookReceiver : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();

    void listensOnAFreePort();
    void processedWithoutDownstream();
    void deferredEntryFieldByField();
    void downstreamOutcomes_data();
    void downstreamOutcomes();
    void downstreamTimeout();
    void downstreamConnectionRefused();
    void tutorialEntriesInteroperate();
    void badRequests_data();
    void badRequests();
    void jsonContentTypesAccepted_data();
    void jsonContentTypesAccepted();
    void oversizedBodyRefusedBeforeItIsSent();
    void oversizedUploadStillGetsItsAnswer();
    void chunkedBodies();
    void expectContinue();
    void keepAliveAndHttp10();
    void pipelinedRequestsRefused();
    void upgradeRequests();
    void sharedSecret_data();
    void sharedSecret();
    void secretHeaderNeverForwardedNorStored_data();
    void secretHeaderNeverForwardedNorStored();
    void redisOutageAnswers503ThenRecovers();
    void slowRedisWriteAnswers503();
    void outageAnswersSayWhyNotWhere();
    void clientGoneBeforeTheAnswer();
    void idleAndStalledConnectionsClosed();
    void slowHeadersClosed();
    void maxConnections();
    void stopAnswersWhatIsInProgress();
    void healthz();
    void metrics();
    void monitoringThroughATunnel_data();
    void monitoringThroughATunnel();
    void oneEventPerRequest();
    void concurrentDeliveries();

private:
    void startReceiver(const ReceiverConfig &config = testConfig());
    void configureDownstream(const QUrl &url, int timeoutMs, const QString &simulation);
    Response send(const QByteArray &method, const QString &path, const QByteArray &body,
                  const Headers &headers = { { "Content-Type", "application/json" } });
    Response post(const QByteArray &body = {},
                  const Headers &headers = { { "Content-Type", "application/json" } })
    {
        return send("POST", QStringLiteral("/webhook/genesys"), body.isNull() ? m_sample : body,
                    headers);
    }
    Response raw(const QByteArray &bytes);
    // Deliveries received and not answered yet, as /metrics reports them.
    int inFlight() const
    {
        const QByteArray text = m_receiver->metricsText();
        const QByteArray name = "\nredrive_receiver_in_flight ";
        const qsizetype at = text.indexOf(name);
        return at < 0
            ? -1
            : text.mid(at + name.size(), text.indexOf('\n', at + 1) - at - name.size()).toInt();
    }
    // A second connection subscribed to the queue-events channel, or null when it could not be.
    std::unique_ptr<RedisConnection> subscribeToEvents();

    RedisServer m_server;
    QByteArray m_sample;
    std::unique_ptr<RedisConnection> m_redis;
    std::unique_ptr<DownstreamClient> m_downstream;
    std::unique_ptr<DeadLetterWriter> m_writer;
    std::unique_ptr<WebhookReceiver> m_receiver;
    std::unique_ptr<QNetworkAccessManager> m_network;
    QList<DeliveryEvent> m_events;
};

void TestWebhookReceiver::initTestCase()
{
    qRegisterMetaType<DeliveryEvent>();
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    m_sample = redrive::tests::sampleNotification();
    QVERIFY(m_sample.size() > 1000);
}

void TestWebhookReceiver::init()
{
    m_server.flushAll();
    RedisEndpoint endpoint;
    QString error;
    QVERIFY(RedisEndpoint::parse(m_server.url(), &endpoint, &error));
    m_redis = std::make_unique<RedisConnection>(endpoint, QStringLiteral("tst_webhookreceiver"));
    m_redis->setReconnectDelays(20, 200);
    m_redis->open();
    QTRY_VERIFY_WITH_TIMEOUT(m_redis->isReady(), WaitMs);
    m_downstream = std::make_unique<DownstreamClient>();
    m_writer = std::make_unique<DeadLetterWriter>(m_redis.get(), QueueKeys(),
                                                  QStringLiteral("receiver"));
    m_network = std::make_unique<QNetworkAccessManager>();
    m_events.clear();
}

void TestWebhookReceiver::cleanup()
{
    m_receiver.reset();
    m_downstream.reset();
    m_writer.reset();
    m_redis.reset();
    m_network.reset();
    if (!m_server.isRunning())
        QVERIFY(m_server.start());
}

void TestWebhookReceiver::startReceiver(const ReceiverConfig &config)
{
    m_receiver = std::make_unique<WebhookReceiver>(m_writer.get(), m_downstream.get());
    m_receiver->setConfig(config);
    connect(m_receiver.get(), &WebhookReceiver::deliveryHandled, this,
            [this](const DeliveryEvent &event) { m_events.append(event); });
    QString error;
    QVERIFY2(m_receiver->start(&error), qPrintable(error));
}

void TestWebhookReceiver::configureDownstream(const QUrl &url, int timeoutMs,
                                              const QString &simulation)
{
    FailureSimulation mode;
    QVERIFY(FailureSimulation::parse(simulation, &mode));
    m_downstream->configure(url, timeoutMs, mode);
}

Response TestWebhookReceiver::send(const QByteArray &method, const QString &path,
                                   const QByteArray &body, const Headers &headers)
{
    QNetworkRequest request(m_receiver->baseUrl().resolved(QUrl(path)));
    for (const auto &[name, value] : headers)
        request.setRawHeader(name, value);
    QNetworkReply *reply = m_network->sendCustomRequest(request, method, body);
    Response response;
    if (!QTest::qWaitFor([reply] { return reply->isFinished(); }, WaitMs)) {
        reply->abort();
        delete reply;
        return response;
    }
    response.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    response.body = reply->readAll();
    response.json = QJsonDocument::fromJson(response.body).object();
    for (const auto &[name, value] : reply->rawHeaderPairs())
        response.headers.insert(name.toLower(), value);
    delete reply;
    return response;
}

std::unique_ptr<RedisConnection> TestWebhookReceiver::subscribeToEvents()
{
    RedisEndpoint endpoint;
    QString error;
    if (!RedisEndpoint::parse(m_server.url(), &endpoint, &error))
        return nullptr;
    auto subscriber = std::make_unique<RedisConnection>(endpoint, QStringLiteral("tst-subscriber"));
    QSignalSpy subscribed(subscriber.get(), &RedisConnection::subscribed);
    subscriber->subscribe({ QueueKeys().channel() });
    subscriber->open();
    if (!QTest::qWaitFor([&] { return !subscribed.isEmpty(); }, WaitMs))
        return nullptr;
    return subscriber;
}

Response TestWebhookReceiver::raw(const QByteArray &bytes)
{
    RawClient client(m_receiver->port());
    if (!client.waitConnected())
        return {};
    client.send(bytes);
    if (!client.waitForResponses(1))
        return {};
    return client.responses().last();
}

void TestWebhookReceiver::listensOnAFreePort()
{
    startReceiver();
    QVERIFY(m_receiver->isListening());
    const quint16 port = m_receiver->port();
    QVERIFY(port != 0);
    QCOMPARE(m_receiver->url(),
             QUrl(QStringLiteral("http://127.0.0.1:%1/webhook/genesys").arg(port)));
    QVERIFY(m_receiver->start()); // already running: fine

    WebhookReceiver second(m_writer.get(), m_downstream.get());
    ReceiverConfig config = testConfig();
    config.port = port;
    second.setConfig(config);
    QString error;
    QVERIFY(!second.start(&error));
    QVERIFY2(error.contains(QString::number(port)), qPrintable(error));
    QVERIFY(!second.isListening());
    QCOMPARE(second.port(), quint16(0));

    QVERIFY(ReceiverConfig::parseListen(QStringLiteral("localhost:0"), &config.address,
                                        &config.port, &error));
    QCOMPARE(config.address, QHostAddress(QHostAddress::LocalHost));
    QVERIFY(ReceiverConfig::parseListen(QStringLiteral("[::1]:5000"), &config.address, &config.port,
                                        &error));
    QCOMPARE(config.address, QHostAddress(QHostAddress::LocalHostIPv6));
    QCOMPARE(config.port, quint16(5000));
    QVERIFY(!ReceiverConfig::parseListen(QStringLiteral("example.com:80"), &config.address,
                                         &config.port, &error));
    QVERIFY(!ReceiverConfig::parseListen(QStringLiteral("127.0.0.1:70000"), &config.address,
                                         &config.port, &error));

    m_receiver->stop();
    QVERIFY(!m_receiver->isListening());
    QTcpSocket probe;
    probe.connectToHost(QHostAddress::LocalHost, port);
    QTRY_VERIFY_WITH_TIMEOUT(probe.state() == QAbstractSocket::UnconnectedState, WaitMs);
}

void TestWebhookReceiver::processedWithoutDownstream()
{
    startReceiver();
    const Response response = post();
    QCOMPARE(response.status, 200);
    QCOMPARE(response.json.value(QStringLiteral("status")).toString(), QStringLiteral("processed"));
    const QString id = response.json.value(QStringLiteral("id")).toString();
    QVERIFY(!QUuid::fromString(id).isNull());
    QCOMPARE(m_server.llen(Dlq), 0);
    QCOMPARE(m_server.llen(Permanent), 0);

    QCOMPARE(m_events.size(), 1);
    const DeliveryEvent &event = m_events.first();
    QCOMPARE(event.id, id);
    QCOMPARE(event.outcome, DeliveryEvent::Outcome::Processed);
    QCOMPARE(event.httpStatus, 200);
    QCOMPARE(event.topic,
             QStringLiteral("v2.detail.events.conversation."
                            "7c0a4f6e-2b1d-4e9a-9f3c-5d8e1a2b3c4d.customer.start"));
    QCOMPARE(event.payload, m_sample);
    QCOMPARE(event.method, QStringLiteral("POST"));
    QCOMPARE(event.path, QStringLiteral("/webhook/genesys"));
    QCOMPARE(event.remoteAddress, QStringLiteral("127.0.0.1"));
    QVERIFY(qAbs(event.receivedAt.secsTo(QDateTime::currentDateTimeUtc())) < 60);

    const ReceiverCounters counters = m_receiver->counters();
    QCOMPARE(counters.received, 1u);
    QCOMPARE(counters.processed, 1u);
    QCOMPARE(counters.deferred + counters.failedPermanently + counters.rejected, 0u);
}

void TestWebhookReceiver::deferredEntryFieldByField()
{
    configureDownstream({}, 1000, QStringLiteral("always"));
    startReceiver();

    const std::unique_ptr<RedisConnection> subscriber = subscribeToEvents();
    QVERIFY(subscriber);
    QSignalSpy published(subscriber.get(), &RedisConnection::messageReceived);

    const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-1);
    const Response response = post({},
                                   { { "Content-Type", "application/json" },
                                     { "ININ-Correlation-Id", "0d9c8b7a-6f5e-4d3c" },
                                     { "Authorization", "Bearer do-not-store" },
                                     { "User-Agent", "Genesys-Data-Action" } });
    QCOMPARE(response.status, 200);
    QCOMPARE(response.json.value(QStringLiteral("status")).toString(),
             QStringLiteral("deferred_to_dlq"));
    const QString id = response.json.value(QStringLiteral("id")).toString();
    QVERIFY(!QUuid::fromString(id).isNull());

    QCOMPARE(m_server.llen(Dlq), 1);
    QCOMPARE(m_server.llen(Permanent), 0);
    const QByteArray raw = m_server.lrange(Dlq).first();
    const QJsonObject entry = QJsonDocument::fromJson(raw).object();
    QStringList keys = entry.keys();
    keys.sort();
    QCOMPARE(keys,
             (QStringList { QStringLiteral("attempts"), QStringLiteral("error_message"),
                            QStringLiteral("headers"), QStringLiteral("id"),
                            QStringLiteral("original_payload"), QStringLiteral("received_at"),
                            QStringLiteral("retry_count"), QStringLiteral("source"),
                            QStringLiteral("status_code"), QStringLiteral("timestamp") }));
    // The tutorial's fields.
    QVERIFY(raw.startsWith("{\"original_payload\":" + m_sample + ","));
    QCOMPARE(entry.value(QStringLiteral("original_payload")).toObject(),
             QJsonDocument::fromJson(m_sample).object());
    QCOMPARE(entry.value(QStringLiteral("error_message")).toString(), Simulated);
    QCOMPARE(entry.value(QStringLiteral("status_code")).toInt(-1), 500);
    QVERIFY(entry.value(QStringLiteral("status_code")).isDouble());
    const QDateTime timestamp = QDateTime::fromString(
        entry.value(QStringLiteral("timestamp")).toString(), Qt::ISODateWithMs);
    QVERIFY(timestamp.isValid());
    QCOMPARE(timestamp.timeSpec(), Qt::UTC);
    QVERIFY(timestamp >= before && timestamp <= QDateTime::currentDateTimeUtc());
    QCOMPARE(entry.value(QStringLiteral("retry_count")).toInt(-1), 0);
    QVERIFY(entry.value(QStringLiteral("retry_count")).isDouble());
    // Redrive's fields.
    QCOMPARE(entry.value(QStringLiteral("id")).toString(), id);
    const QDateTime receivedAt = QDateTime::fromString(
        entry.value(QStringLiteral("received_at")).toString(), Qt::ISODateWithMs);
    QVERIFY(receivedAt >= before && receivedAt <= timestamp);
    QCOMPARE(entry.value(QStringLiteral("source")).toString(), QStringLiteral("receiver"));
    const QJsonObject headers = entry.value(QStringLiteral("headers")).toObject();
    QCOMPARE(headers.value(QStringLiteral("content-type")).toString(),
             QStringLiteral("application/json"));
    QCOMPARE(headers.value(QStringLiteral("inin-correlation-id")).toString(),
             QStringLiteral("0d9c8b7a-6f5e-4d3c"));
    QCOMPARE(headers.value(QStringLiteral("authorization")).toString(),
             QStringLiteral("[redacted]"));
    QCOMPARE(headers.value(QStringLiteral("user-agent")).toString(),
             QStringLiteral("Genesys-Data-Action"));
    QVERIFY(!headers.contains(QStringLiteral("content-length")));
    QVERIFY(!headers.contains(QStringLiteral("connection")));
    const QJsonArray attempts = entry.value(QStringLiteral("attempts")).toArray();
    QCOMPARE(attempts.size(), 1);
    const QJsonObject attempt = attempts.first().toObject();
    QCOMPARE(attempt.value(QStringLiteral("at")), entry.value(QStringLiteral("timestamp")));
    QCOMPARE(attempt.value(QStringLiteral("status_code")).toInt(), 500);
    QCOMPARE(attempt.value(QStringLiteral("error")).toString(), Simulated);

    // DeadLetterEntry reads it as the retry worker and the console will.
    const DeadLetterEntry parsed = DeadLetterEntry::parse(raw);
    QVERIFY(parsed.isRetryable());
    QVERIFY(parsed.hasOwnId());
    QCOMPARE(parsed.id(), id);
    QCOMPARE(parsed.payload(), m_sample);
    QCOMPARE(parsed.retryCount(), 0);
    QCOMPARE(parsed.source(), QStringLiteral("receiver"));
    QCOMPARE(parsed.topic(), m_events.first().topic);

    // The console hears about it.
    QTRY_COMPARE_WITH_TIMEOUT(published.size(), 1, WaitMs);
    QCOMPARE(published.first().at(0).toByteArray(), QueueKeys().channel());
    const QJsonObject message
        = QJsonDocument::fromJson(published.first().at(1).toByteArray()).object();
    QCOMPARE(message.value(QStringLiteral("event")).toString(), QStringLiteral("pushed"));
    QCOMPARE(message.value(QStringLiteral("list")).toString(), QStringLiteral("dlq"));
    QCOMPARE(message.value(QStringLiteral("key")).toString(), QString::fromLatin1(Dlq));
    QCOMPARE(message.value(QStringLiteral("source")).toString(), QStringLiteral("receiver"));
    QCOMPARE(message.value(QStringLiteral("count")).toInt(), 1);
    QCOMPARE(message.value(QStringLiteral("ids")).toArray(), QJsonArray { id });

    QCOMPARE(m_events.size(), 1);
    const DeliveryEvent &event = m_events.first();
    QCOMPARE(event.outcome, DeliveryEvent::Outcome::Deferred);
    QCOMPARE(event.httpStatus, 200);
    QCOMPARE(event.downstreamStatus, 500);
    QCOMPARE(event.error, Simulated);
    QCOMPARE(m_receiver->counters().deferred, 1u);
}

void TestWebhookReceiver::downstreamOutcomes_data()
{
    QTest::addColumn<int>("downstreamStatus");
    QTest::addColumn<QString>("answer");
    QTest::addColumn<QByteArray>("list"); // empty: nothing stored
    QTest::newRow("200") << 200 << QStringLiteral("processed") << QByteArray();
    QTest::newRow("204") << 204 << QStringLiteral("processed") << QByteArray();
    QTest::newRow("500") << 500 << QStringLiteral("deferred_to_dlq") << Dlq;
    QTest::newRow("503") << 503 << QStringLiteral("deferred_to_dlq") << Dlq;
    QTest::newRow("429") << 429 << QStringLiteral("deferred_to_dlq") << Dlq;
    QTest::newRow("408") << 408 << QStringLiteral("deferred_to_dlq") << Dlq;
    QTest::newRow("400") << 400 << QStringLiteral("permanent_failure") << Permanent;
    QTest::newRow("404") << 404 << QStringLiteral("permanent_failure") << Permanent;
    QTest::newRow("422") << 422 << QStringLiteral("permanent_failure") << Permanent;
}

void TestWebhookReceiver::downstreamOutcomes()
{
    QFETCH(int, downstreamStatus);
    QFETCH(QString, answer);
    QFETCH(QByteArray, list);
    FakeDownstream downstream;
    QVERIFY(downstream.listen());
    downstream.setStatus(downstreamStatus);
    configureDownstream(downstream.url(), 5000, QStringLiteral("never"));
    startReceiver();

    const Response response = post({},
                                   { { "Content-Type", "application/json" },
                                     { "ININ-Correlation-Id", "abc" },
                                     { "Cookie", "not-forwarded" } });
    QCOMPARE(response.status, 200);
    QCOMPARE(response.json.value(QStringLiteral("status")).toString(), answer);
    const QString id = response.json.value(QStringLiteral("id")).toString();

    QCOMPARE(downstream.requests().size(), 1);
    const FakeDownstream::Request &forwarded = downstream.requests().first();
    QCOMPARE(forwarded.body, m_sample);
    QCOMPARE(forwarded.header(DownstreamClient::DeliveryIdHeader), id.toUtf8());
    QCOMPARE(forwarded.header("content-type"), QByteArray("application/json"));
    QCOMPARE(forwarded.header("inin-correlation-id"), QByteArray("abc"));
    QVERIFY(forwarded.header("cookie").isEmpty());

    const qlonglong stored = m_server.llen(Dlq) + m_server.llen(Permanent);
    QCOMPARE(stored, list.isEmpty() ? 0 : 1);
    QCOMPARE(m_events.size(), 1);
    QCOMPARE(m_events.first().downstreamStatus, downstreamStatus);
    if (list.isEmpty())
        return;
    const DeadLetterEntry entry = DeadLetterEntry::parse(m_server.lrange(list).first());
    QCOMPARE(entry.id(), id);
    QCOMPARE(entry.statusCode(), downstreamStatus);
    QVERIFY2(entry.errorMessage().contains(QString::number(downstreamStatus)),
             qPrintable(entry.errorMessage()));
    QCOMPARE(entry.payload(), m_sample);
}

void TestWebhookReceiver::downstreamTimeout()
{
    FakeDownstream downstream;
    QVERIFY(downstream.listen());
    downstream.setStatus(0); // never answers
    configureDownstream(downstream.url(), 300, QStringLiteral("never"));
    startReceiver();
    const Response response = post();
    QCOMPARE(response.status, 200);
    QCOMPARE(response.json.value(QStringLiteral("status")).toString(),
             QStringLiteral("deferred_to_dlq"));
    const DeadLetterEntry entry = DeadLetterEntry::parse(m_server.lrange(Dlq).value(0));
    QCOMPARE(entry.statusCode(), 504);
    QVERIFY2(entry.errorMessage().contains(QLatin1String("timed out")),
             qPrintable(entry.errorMessage()));
}

void TestWebhookReceiver::downstreamConnectionRefused()
{
    QTcpServer closed;
    QVERIFY(closed.listen(QHostAddress::LocalHost, 0));
    const quint16 port = closed.serverPort();
    closed.close();
    configureDownstream(QUrl(QStringLiteral("http://127.0.0.1:%1/hook").arg(port)), 2000,
                        QStringLiteral("never"));
    startReceiver();
    const Response response = post();
    QCOMPARE(response.status, 200);
    QCOMPARE(response.json.value(QStringLiteral("status")).toString(),
             QStringLiteral("deferred_to_dlq"));
    const DeadLetterEntry entry = DeadLetterEntry::parse(m_server.lrange(Dlq).value(0));
    QCOMPARE(entry.statusCode(), 502);
    QVERIFY2(entry.errorMessage().contains(QLatin1String("unreachable")),
             qPrintable(entry.errorMessage()));
}

// The tutorial's push_to_dlq and Redrive share the list: each side reads what the other wrote.
void TestWebhookReceiver::tutorialEntriesInteroperate()
{
    configureDownstream({}, 1000, QStringLiteral("always"));
    startReceiver();
    QCOMPARE(post().status, 200);

    // Exactly what push_to_dlq writes: json.dumps(dlq_entry) with its default separators, the
    // payload re-serialised by Python, and a naive datetime.now().isoformat() (microseconds).
    const QDateTime now = QDateTime::currentDateTime();
    const QString isoformat
        = now.toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzz")) + QStringLiteral("417");
    const QByteArray tutorialEntry = "{\"original_payload\": " + pythonSpaced(m_sample)
        + ", \"error_message\": \"Simulated Database Connection Timeout\", \"status_code\": 500, "
          "\"timestamp\": \""
        + isoformat.toLatin1() + "\", \"retry_count\": 0}";

    const QString python = QStandardPaths::findExecutable(QStringLiteral("python3"));
    if (!python.isEmpty()) {
        // Cross-check the bytes above with Python itself, when it is there.
        QProcess process;
        process.start(python,
                      { QStringLiteral("-c"),
                        QStringLiteral("import json,sys\n"
                                       "payload = json.loads(sys.stdin.read())\n"
                                       "entry = {'original_payload': payload,"
                                       " 'error_message': 'Simulated Database Connection Timeout',"
                                       " 'status_code': 500, 'timestamp': sys.argv[1],"
                                       " 'retry_count': 0}\n"
                                       "sys.stdout.write(json.dumps(entry))\n"),
                        isoformat });
        process.write(m_sample);
        process.closeWriteChannel();
        QVERIFY(process.waitForFinished(WaitMs));
        QCOMPARE(process.readAllStandardOutput(), tutorialEntry);
    }
    m_server.lpush(Dlq, tutorialEntry);

    const QList<QByteArray> entries = m_server.lrange(Dlq);
    QCOMPARE(entries.size(), 2);
    QCOMPARE(entries.first(), tutorialEntry); // LPUSH: newest on the left
    const DeadLetterEntry theirs = DeadLetterEntry::parse(entries.at(0));
    const DeadLetterEntry ours = DeadLetterEntry::parse(entries.at(1));
    QVERIFY2(theirs.isRetryable(), qPrintable(theirs.problem()));
    QVERIFY(!theirs.hasOwnId());
    QVERIFY(theirs.id().startsWith(QLatin1String("sha1-")));
    QCOMPARE(QJsonDocument::fromJson(theirs.payload()).object(),
             QJsonDocument::fromJson(ours.payload()).object());
    QCOMPARE(theirs.errorMessage(), ours.errorMessage());
    QCOMPARE(theirs.statusCode(), ours.statusCode());
    QCOMPARE(theirs.retryCount(), ours.retryCount());
    QCOMPARE(theirs.timestamp(), QDateTime(now.date(), now.time())); // naive: local time, ms
    QCOMPARE(theirs.receivedAt(), theirs.timestamp());
    QCOMPARE(theirs.topic(), ours.topic());
    QVERIFY(theirs.attempts().isEmpty());

    if (!python.isEmpty()) {
        // And the tutorial's process_dlq reads ours: json.loads, then the fields it uses.
        QProcess process;
        process.start(python,
                      { QStringLiteral("-c"),
                        QStringLiteral("import json,sys\n"
                                       "entry = json.loads(sys.stdin.read())\n"
                                       "payload = entry['original_payload']\n"
                                       "print(entry.get('retry_count', 0) + 1,"
                                       " payload['topicName'], entry['status_code'])\n") });
        process.write(entries.at(1));
        process.closeWriteChannel();
        QVERIFY(process.waitForFinished(WaitMs));
        QCOMPARE(process.readAllStandardOutput().trimmed(), "1 " + ours.topic().toUtf8() + " 500");
    }
}

void TestWebhookReceiver::badRequests_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("code");
    QTest::addColumn<QByteArray>("allow");
    const Headers json { { "Content-Type", "application/json" } };
    const QByteArray path = "/webhook/genesys";
    const auto post = [&](const QByteArray &body, const Headers &headers) {
        return requestBytes("POST", path, headers, body);
    };
    QByteArray deep = "{\"a\":";
    for (int i = 0; i < 100; ++i)
        deep += "[";
    deep += QByteArray(100, ']') + "}";

    QTest::newRow("empty body") << post("", json) << 400 << QByteArray("empty_body")
                                << QByteArray();
    QTest::newRow("whitespace body")
        << post(" \n", json) << 400 << QByteArray("empty_body") << QByteArray();
    QTest::newRow("malformed") << post("{\"topicName\":", json) << 400
                               << QByteArray("malformed_json") << QByteArray();
    QTest::newRow("not an object")
        << post("[{\"a\":1}]", json) << 400 << QByteArray("not_an_object") << QByteArray();
    QTest::newRow("string") << post("\"hello\"", json) << 400 << QByteArray("not_an_object")
                            << QByteArray();
    QTest::newRow("invalid utf-8")
        << post("{\"a\":\"\xc3\x28\"}", json) << 400 << QByteArray("invalid_utf8") << QByteArray();
    QTest::newRow("too deep") << post(deep, json) << 400 << QByteArray("too_deep") << QByteArray();
    QTest::newRow("huge number") << post("{\"a\":1e999}", json) << 400
                                 << QByteArray("number_out_of_range") << QByteArray();
    QTest::newRow("text/plain") << post("{}", { { "Content-Type", "text/plain" } }) << 415
                                << QByteArray("unsupported_media_type") << QByteArray();
    QTest::newRow("no content type")
        << post("{}", {}) << 415 << QByteArray("unsupported_media_type") << QByteArray();
    QTest::newRow("form") << post("a=1",
                                  { { "Content-Type", "application/x-www-form-urlencoded" } })
                          << 415 << QByteArray("unsupported_media_type") << QByteArray();
    QTest::newRow("utf-16") << post("{}",
                                    { { "Content-Type", "application/json; charset=utf-16" } })
                            << 415 << QByteArray("unsupported_media_type") << QByteArray();
    QTest::newRow("GET on the path") << requestBytes("GET", path, {}, {}) << 405
                                     << QByteArray("method_not_allowed") << QByteArray("POST");
    QTest::newRow("PUT on the path") << requestBytes("PUT", path, json, "{}") << 405
                                     << QByteArray("method_not_allowed") << QByteArray("POST");
    QTest::newRow("DELETE /healthz") << requestBytes("DELETE", "/healthz", {}, {}) << 405
                                     << QByteArray("method_not_allowed") << QByteArray("GET, HEAD");
    QTest::newRow("POST /metrics") << requestBytes("POST", "/metrics", json, "{}") << 405
                                   << QByteArray("method_not_allowed") << QByteArray("GET, HEAD");
    QTest::newRow("unknown path") << requestBytes("GET", "/nope", {}, {}) << 404
                                  << QByteArray("not_found") << QByteArray();
    QTest::newRow("POST below the path") << requestBytes("POST", path + "/x", json, "{}") << 404
                                         << QByteArray("not_found") << QByteArray();
    QTest::newRow("over the limit") << requestBytes("POST", path, json, QByteArray(300, ' ')) << 413
                                    << QByteArray("payload_too_large") << QByteArray();
    QTest::newRow("http/2 preface") << QByteArray("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") << 505
                                    << QByteArray("http_version_not_supported") << QByteArray();
    QTest::newRow("unknown method") << requestBytes("BREW", path, {}, {}) << 501
                                    << QByteArray("method_not_implemented") << QByteArray();
    QTest::newRow("malformed header")
        << QByteArray("POST /webhook/genesys HTTP/1.1\r\nHost: x\r\nBad header\r\n\r\n") << 400
        << QByteArray("bad_header") << QByteArray();
    QTest::newRow("Content-Length twice")
        << QByteArray(
               "POST /webhook/genesys HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               "Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}")
        << 400 << QByteArray("bad_content_length") << QByteArray();
    QTest::newRow("chunked with a trailer") << QByteArray(
        "POST /webhook/genesys HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\nX-T: 1\r\n\r\n")
                                            << 400 << QByteArray("bad_chunk") << QByteArray();
    QTest::newRow("two lengths") << QByteArray(
        "POST /webhook/genesys HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
        "Transfer-Encoding: chunked\r\n\r\n")
                                 << 400 << QByteArray("bad_framing") << QByteArray();
    QTest::newRow("HTTP/1.1 without Host")
        << QByteArray("POST /webhook/genesys HTTP/1.1\r\nContent-Type: application/json\r\n"
                      "Content-Length: 2\r\n\r\n{}")
        << 400 << QByteArray("bad_host") << QByteArray();
}

void TestWebhookReceiver::badRequests()
{
    QFETCH(QByteArray, request);
    QFETCH(int, status);
    QFETCH(QByteArray, code);
    QFETCH(QByteArray, allow);
    configureDownstream({}, 1000, QStringLiteral("always")); // anything accepted gets stored
    ReceiverConfig config = testConfig();
    config.maxBodyBytes = 256;
    startReceiver(config);

    const Response response = raw(request);
    QCOMPARE(response.status, status);
    QCOMPARE(response.header("content-type"), QByteArray("application/json"));
    QCOMPARE(response.json.value(QStringLiteral("error")).toString().toLatin1(), code);
    QVERIFY(!response.json.value(QStringLiteral("message")).toString().isEmpty());
    QCOMPARE(response.header("allow"), allow);
    QCOMPARE(m_server.llen(Dlq), 0);
    QCOMPARE(m_server.llen(Permanent), 0);
    QTRY_COMPARE_WITH_TIMEOUT(m_events.size(), 1, WaitMs);
    QCOMPARE(m_events.first().outcome, DeliveryEvent::Outcome::Rejected);
    QCOMPARE(m_events.first().httpStatus, status);
    QVERIFY(!m_events.first().error.isEmpty());
    // Counted as a refused delivery only when it was sent to the webhook path.
    const QByteArray target = request.split(' ').value(1);
    const bool delivery = target == testConfig().path.toUtf8() && code != "method_not_implemented";
    // (An unknown method is refused before the target is read: not counted as a delivery.)
    QCOMPARE(m_receiver->counters().rejected, delivery ? 1u : 0u);
    QCOMPARE(m_receiver->counters().received, delivery ? 1u : 0u);
    QCOMPARE(m_receiver->counters().otherRequests, delivery ? 0u : 1u);
}

void TestWebhookReceiver::jsonContentTypesAccepted_data()
{
    QTest::addColumn<QByteArray>("contentType");
    QTest::newRow("plain") << QByteArray("application/json");
    QTest::newRow("charset") << QByteArray("application/json; charset=utf-8");
    QTest::newRow("quoted charset") << QByteArray("application/json;charset=\"UTF-8\"");
    QTest::newRow("case") << QByteArray("Application/JSON");
    QTest::newRow("+json") << QByteArray("application/vnd.genesys.notification+json");
}

void TestWebhookReceiver::jsonContentTypesAccepted()
{
    QFETCH(QByteArray, contentType);
    startReceiver();
    const Response response = post({}, { { "Content-Type", contentType } });
    QCOMPARE(response.status, 200);
}

// The limit is enforced from the headers: the answer comes before a single body byte is sent.
void TestWebhookReceiver::oversizedBodyRefusedBeforeItIsSent()
{
    configureDownstream({}, 1000, QStringLiteral("always"));
    startReceiver(); // 1 MiB limit
    RawClient client(m_receiver->port());
    QVERIFY(client.waitConnected());
    client.send(requestBytes("POST", "/webhook/genesys", { { "Content-Type", "application/json" } },
                             {}, false)
                    .replace("\r\n\r\n", "\r\nContent-Length: 1048577\r\n\r\n"));
    QVERIFY(client.waitForResponses(1));
    const Response response = client.responses().first();
    QCOMPARE(response.status, 413);
    QCOMPARE(response.header("connection"), QByteArray("close"));
    QVERIFY(response.json.value(QStringLiteral("message"))
                .toString()
                .contains(QLatin1String("1048576")));
    // Sending the body anyway does no harm; the connection ends.
    client.send(QByteArray(qsizetype(256) * 1024, 'x'));
    QVERIFY(client.waitForClose());

    // Exactly at the limit is fine (a JSON object padded with whitespace).
    const QByteArray atLimit = "{}" + QByteArray(1024 * 1024 - 2, ' ');
    QCOMPARE(post(atLimit).status, 200);

    // A chunked body is cut off at the chunk that goes over.
    RawClient chunked(m_receiver->port());
    QVERIFY(chunked.waitConnected());
    chunked.send("POST /webhook/genesys HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                 "Transfer-Encoding: chunked\r\n\r\n80000\r\n"
                 + QByteArray(0x80000, ' ') + "\r\n80001\r\n");
    QVERIFY(chunked.waitForResponses(1));
    QCOMPARE(chunked.responses().first().status, 413);
    QCOMPARE(m_server.llen(Dlq), 1);
}

// Clients that send the whole body before reading (most do) still get the 413, not a reset.
void TestWebhookReceiver::oversizedUploadStillGetsItsAnswer()
{
    startReceiver();
    const Response response = post(QByteArray(qsizetype(3) * 1024 * 1024, ' '));
    QCOMPARE(response.status, 413);
    QCOMPARE(response.json.value(QStringLiteral("error")).toString(),
             QStringLiteral("payload_too_large"));
}

void TestWebhookReceiver::chunkedBodies()
{
    configureDownstream({}, 1000, QStringLiteral("always"));
    startReceiver();
    QByteArray request
        = "POST /webhook/genesys HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
          "Transfer-Encoding: chunked\r\n\r\n";
    for (qsizetype at = 0; at < m_sample.size(); at += 500) {
        const QByteArray piece = m_sample.mid(at, 500);
        request += QByteArray::number(piece.size(), 16) + "\r\n" + piece + "\r\n";
    }
    request += "0\r\n\r\n";
    RawClient client(m_receiver->port());
    QVERIFY(client.waitConnected());
    for (qsizetype at = 0; at < request.size(); at += 333) { // and in awkward pieces
        client.send(request.mid(at, 333));
        QTest::qWait(1);
    }
    QVERIFY(client.waitForResponses(1));
    QCOMPARE(client.responses().first().status, 200);
    QCOMPARE(DeadLetterEntry::parse(m_server.lrange(Dlq).value(0)).payload(), m_sample);
}

void TestWebhookReceiver::expectContinue()
{
    startReceiver();
    RawClient client(m_receiver->port());
    QVERIFY(client.waitConnected());
    client.send(
        requestBytes("POST", "/webhook/genesys",
                     { { "Content-Type", "application/json" }, { "Expect", "100-continue" } }, {},
                     false)
            .replace("\r\n\r\n",
                     "\r\nContent-Length: " + QByteArray::number(m_sample.size()) + "\r\n\r\n"));
    QVERIFY(client.waitForResponses(1));
    QCOMPARE(client.responses().first().status, 100);
    client.send(m_sample);
    QVERIFY(client.waitForResponses(2));
    QCOMPARE(client.responses().at(1).status, 200);
}

void TestWebhookReceiver::keepAliveAndHttp10()
{
    startReceiver();
    RawClient client(m_receiver->port());
    QVERIFY(client.waitConnected());
    for (int i = 1; i <= 3; ++i) {
        client.send(requestBytes("POST", "/webhook/genesys",
                                 { { "Content-Type", "application/json" } }, m_sample));
        QVERIFY(client.waitForResponses(i));
        QCOMPARE(client.responses().at(i - 1).status, 200);
        QVERIFY(client.responses().at(i - 1).header("connection").isEmpty());
    }
    QCOMPARE(client.socket.state(), QAbstractSocket::ConnectedState);

    client.send("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QVERIFY(client.waitForResponses(4));
    QCOMPARE(client.responses().at(3).header("connection"), QByteArray("close"));
    QVERIFY(client.waitForClose());

    RawClient old(m_receiver->port());
    QVERIFY(old.waitConnected());
    old.send("GET /healthz HTTP/1.0\r\n\r\n");
    QVERIFY(old.waitForResponses(1));
    QCOMPARE(old.responses().first().status, 200);
    QCOMPARE(old.responses().first().header("connection"), QByteArray("close"));
    QVERIFY(old.waitForClose());

    RawClient oldKeepAlive(m_receiver->port());
    QVERIFY(oldKeepAlive.waitConnected());
    oldKeepAlive.send("GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    QVERIFY(oldKeepAlive.waitForResponses(1));
    QCOMPARE(oldKeepAlive.responses().first().header("connection"), QByteArray("keep-alive"));
    QTest::qWait(50);
    QCOMPARE(oldKeepAlive.socket.state(), QAbstractSocket::ConnectedState);

    RawClient head(m_receiver->port());
    QVERIFY(head.waitConnected());
    head.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    // Two requests at once is pipelining: refused, see below. One HEAD at a time:
    QVERIFY(head.waitForClose());
    RawClient head2(m_receiver->port());
    QVERIFY(head2.waitConnected());
    head2.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    QVERIFY(QTest::qWaitFor([&] { return head2.received.contains("\r\n\r\n"); }, WaitMs));
    QVERIFY(head2.received.startsWith("HTTP/1.1 200 OK\r\n"));
    QVERIFY(head2.received.endsWith("\r\n\r\n")); // headers only
    QVERIFY(head2.received.contains("Content-Length: 28\r\n"));
}

void TestWebhookReceiver::pipelinedRequestsRefused()
{
    configureDownstream({}, SlowDownstreamMs, QStringLiteral("timeout"));
    startReceiver();

    // Two requests in one packet: neither reaches QHttpServer 6.4, which would lose one.
    const QByteArray one = requestBytes("POST", "/webhook/genesys",
                                        { { "Content-Type", "application/json" } }, m_sample);
    RawClient together(m_receiver->port());
    QVERIFY(together.waitConnected());
    together.send(one + one);
    QVERIFY(together.waitForResponses(1));
    QCOMPARE(together.responses().first().status, 400);
    QCOMPARE(together.responses().first().json.value(QStringLiteral("error")).toString(),
             QStringLiteral("pipelining_not_supported"));
    QVERIFY(together.waitForClose());

    // The second request while the first is being processed: the first still gets its answer
    // (in order, with "Connection: close"); the second none: the client sends it again.
    RawClient overlapping(m_receiver->port());
    QVERIFY(overlapping.waitConnected());
    overlapping.send(one);
    QTRY_VERIFY_WITH_TIMEOUT(inFlight() == 1, WaitMs);
    overlapping.send(one);
    QVERIFY(overlapping.waitForResponses(1));
    QVERIFY(overlapping.waitForClose());
    QCOMPARE(overlapping.responses().size(), 1);
    QCOMPARE(overlapping.responses().first().status, 200);
    QCOMPARE(overlapping.responses().first().header("connection"), QByteArray("close"));
    QCOMPARE(m_server.llen(Dlq), 1);
}

void TestWebhookReceiver::upgradeRequests()
{
    startReceiver();
    // An h2c offer (curl --http2 on http://) is served as HTTP/1.1.
    const Response h2c = raw(requestBytes("POST", "/webhook/genesys",
                                          { { "Content-Type", "application/json" },
                                            { "Connection", "Upgrade, HTTP2-Settings" },
                                            { "Upgrade", "h2c" },
                                            { "HTTP2-Settings", "AAMAAABkAAQCAAAAAAIAAAAA" } },
                                          m_sample));
    QCOMPARE(h2c.status, 200);
    // A WebSocket handshake gets an answer (none is served here), and the receiver goes on.
    const Response websocket
        = raw(requestBytes("GET", "/webhook/genesys",
                           { { "Connection", "Upgrade" },
                             { "Upgrade", "websocket" },
                             { "Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==" },
                             { "Sec-WebSocket-Version", "13" } },
                           {}));
    QCOMPARE(websocket.status, 405);
    QCOMPARE(post().status, 200);
}

void TestWebhookReceiver::sharedSecret_data()
{
    QTest::addColumn<QByteArray>("headerName");
    QTest::addColumn<QByteArray>("sent"); // empty: header absent
    QTest::addColumn<int>("status");
    QTest::addColumn<QByteArray>("code");
    QTest::newRow("missing") << QByteArray("X-Redrive-Secret") << QByteArray() << 401
                             << QByteArray("missing_secret");
    QTest::newRow("wrong") << QByteArray("X-Redrive-Secret") << QByteArray("s3cret-but-not") << 401
                           << QByteArray("wrong_secret");
    QTest::newRow("prefix") << QByteArray("X-Redrive-Secret") << QByteArray("s3cre") << 401
                            << QByteArray("wrong_secret");
    QTest::newRow("case matters") << QByteArray("X-Redrive-Secret") << QByteArray("S3CRET") << 401
                                  << QByteArray("wrong_secret");
    QTest::newRow("right") << QByteArray("X-Redrive-Secret") << QByteArray("s3cret") << 200
                           << QByteArray();
    QTest::newRow("header name is case-insensitive")
        << QByteArray("x-redrive-secret") << QByteArray("s3cret") << 200 << QByteArray();
    QTest::newRow("other header") << QByteArray("X-Other") << QByteArray("s3cret") << 401
                                  << QByteArray("missing_secret");
}

void TestWebhookReceiver::sharedSecret()
{
    QFETCH(QByteArray, headerName);
    QFETCH(QByteArray, sent);
    QFETCH(int, status);
    QFETCH(QByteArray, code);
    configureDownstream({}, 1000, QStringLiteral("always"));
    startReceiver();
    QVERIFY(!m_receiver->hasSharedSecret());
    m_receiver->setSharedSecret("s3cret");
    QVERIFY(m_receiver->hasSharedSecret());

    Headers headers { { "Content-Type", "application/json" } };
    if (!sent.isEmpty())
        headers.append({ headerName, sent });
    const Response response = post({}, headers);
    QCOMPARE(response.status, status);
    if (status == 401) {
        QCOMPARE(response.json.value(QStringLiteral("error")).toString().toLatin1(), code);
        QVERIFY(response.header("www-authenticate").contains("X-Redrive-Secret"));
        QCOMPARE(m_server.llen(Dlq), 0);
        QCOMPARE(m_events.first().outcome, DeliveryEvent::Outcome::Rejected);
        return;
    }
    // Stored, and the secret is not.
    const QByteArray stored = m_server.lrange(Dlq).value(0);
    QVERIFY(!stored.contains("s3cret"));
    QVERIFY(!DeadLetterEntry::parse(stored)
                 .object()
                 .value(QStringLiteral("headers"))
                 .toObject()
                 .contains(QStringLiteral("x-redrive-secret")));

    // Sent twice, even right: ambiguous, refused.
    QCOMPARE(raw(requestBytes("POST", "/webhook/genesys",
                              { { "Content-Type", "application/json" },
                                { "X-Redrive-Secret", "s3cret" },
                                { "X-Redrive-Secret", "s3cret" } },
                              m_sample))
                 .status,
             401);

    // Off again: no check.
    m_receiver->setSharedSecret({});
    QCOMPARE(post().status, 200);
}

void TestWebhookReceiver::secretHeaderNeverForwardedNorStored_data()
{
    QTest::addColumn<QByteArray>("secretHeader");
    QTest::addColumn<bool>("secretSet"); // the header is dropped even when no secret is set
    QTest::newRow("X-Genesys-Token") << QByteArray("X-Genesys-Token") << true;
    QTest::newRow("ININ-Secret") << QByteArray("ININ-Secret") << true;
    QTest::newRow("X-Redrive-Secret") << QByteArray("X-Redrive-Secret") << true;
    QTest::newRow("X-Genesys-Token, no secret set") << QByteArray("X-Genesys-Token") << false;
}

// The shared secret reaches neither the downstream (first attempt) nor the stored entry, even
// when its header has a name that is otherwise forwarded and stored.
void TestWebhookReceiver::secretHeaderNeverForwardedNorStored()
{
    QFETCH(QByteArray, secretHeader);
    QFETCH(bool, secretSet);
    FakeDownstream downstream;
    QVERIFY(downstream.listen());
    downstream.setStatus(503); // the delivery is stored as well
    configureDownstream(downstream.url(), 5000, QStringLiteral("never"));
    ReceiverConfig config = testConfig();
    config.secretHeader = secretHeader;
    startReceiver(config);
    if (secretSet)
        m_receiver->setSharedSecret("s3cret");

    const Response response = post({},
                                   { { "Content-Type", "application/json" },
                                     { secretHeader.toLower(), "s3cret" },
                                     { "ININ-Correlation-Id", "abc" } });
    QCOMPARE(response.status, 200);
    QCOMPARE(downstream.requests().size(), 1);
    const FakeDownstream::Request &forwarded = downstream.requests().first();
    QCOMPARE(forwarded.header("inin-correlation-id"), QByteArray("abc"));
    for (const auto &[name, value] : forwarded.headers) {
        QVERIFY2(name.compare(secretHeader, Qt::CaseInsensitive) != 0, name.constData());
        QVERIFY2(!value.contains("s3cret"), name.constData());
    }

    const QByteArray stored = m_server.lrange(Dlq).value(0);
    QVERIFY(!stored.isEmpty());
    QVERIFY2(!stored.contains("s3cret"), stored.constData());
    const DeadLetterEntry entry = DeadLetterEntry::parse(stored);
    for (const auto &[name, value] : entry.headers())
        QVERIFY2(name.compare(secretHeader, Qt::CaseInsensitive) != 0, name.constData());
    QVERIFY(entry.headers().contains({ "inin-correlation-id", "abc" }));
}

// A 2xx never stands for a lost delivery: without Redis, a delivery that needs storing gets 503.
void TestWebhookReceiver::redisOutageAnswers503ThenRecovers()
{
    configureDownstream({}, 1000, QStringLiteral("always"));
    ReceiverConfig config = testConfig();
    config.retryAfterSeconds = 7;
    startReceiver(config);
    QCOMPARE(post().status, 200);
    QCOMPARE(m_server.llen(Dlq), 1);

    m_server.stop();
    QTRY_VERIFY_WITH_TIMEOUT(!m_redis->isReady(), WaitMs);
    const Response health = send("GET", QStringLiteral("/healthz"), {}, {});
    QCOMPARE(health.status, 503);
    QCOMPARE(health.json.value(QStringLiteral("redis")).toString(), QStringLiteral("down"));
    for (int i = 0; i < 5; ++i) {
        const Response response = post();
        QCOMPARE(response.status, 503);
        QCOMPARE(response.header("retry-after"), QByteArray("7"));
        QCOMPARE(response.json.value(QStringLiteral("error")).toString(),
                 QStringLiteral("storage_unavailable"));
        QVERIFY(response.json.value(QStringLiteral("message"))
                    .toString()
                    .contains(QLatin1String("nothing was kept")));
    }
    QCOMPARE(m_receiver->counters().unavailable, 5u);
    QVERIFY(m_receiver->counters().redisErrors >= 5u);
    QCOMPARE(m_events.last().outcome, DeliveryEvent::Outcome::Unavailable);
    QCOMPARE(m_events.last().httpStatus, 503);

    // Processing does not need Redis: with a working downstream, deliveries still go through.
    configureDownstream({}, 1000, QStringLiteral("never"));
    QCOMPARE(post().status, 200);
    configureDownstream({}, 1000, QStringLiteral("always"));

    QVERIFY(m_server.start());
    QTRY_VERIFY_WITH_TIMEOUT(m_redis->isReady(), WaitMs);
    QCOMPARE(send("GET", QStringLiteral("/healthz"), {}, {}).status, 200);
    const Response after = post();
    QCOMPARE(after.status, 200);
    QCOMPARE(after.json.value(QStringLiteral("status")).toString(),
             QStringLiteral("deferred_to_dlq"));
    QCOMPARE(m_server.llen(Dlq), 1); // the restarted redis-server keeps no data: only the new one
    QCOMPARE(DeadLetterEntry::parse(m_server.lrange(Dlq).first()).id(),
             after.json.value(QStringLiteral("id")).toString());
}

void TestWebhookReceiver::slowRedisWriteAnswers503()
{
    configureDownstream({}, 1000, QStringLiteral("always"));
    ReceiverConfig config = testConfig();
    config.redisTimeoutMs = 300;
    startReceiver(config);
    // Paused far longer than the receiver may wait, however slow the machine; resumed below.
    QCOMPARE(m_server.command({ "CLIENT", "PAUSE", "30000", "WRITE" }).toByteArray(),
             QByteArray("OK"));
    QElapsedTimer clock;
    clock.start();
    const Response response = post();
    QCOMPARE(response.status, 503);
    QVERIFY(clock.elapsed() < 30000); // answered before Redis came back
    QVERIFY(response.json.value(QStringLiteral("message"))
                .toString()
                .contains(QLatin1String("300 ms")));
    QCOMPARE(m_server.command({ "CLIENT", "UNPAUSE" }).toByteArray(), QByteArray("OK"));
    // The write may still land afterwards: then the sender may deliver twice (never zero times).
    QTRY_COMPARE_WITH_TIMEOUT(m_server.llen(Dlq), 1, WaitMs);
    QCOMPARE(m_receiver->counters().unavailable, 1u);
}

// The receiver's port is public (ngrok): a 503 and /healthz say why Redis cannot take the
// delivery, never where Redis is nor who Redrive logs in as, whatever the Redis URL holds.
void TestWebhookReceiver::outageAnswersSayWhyNotWhere()
{
    const QByteArray user = "rcv-user-5u8";
    const QByteArray password = "rcv-pw-Z7k2q";
    const QByteArray hostPort = "127.0.0.1:" + QByteArray::number(m_server.port());
    const auto verifyPrivate = [&](const Response &response, const char *what) {
        const QByteArray text
            = response.body + ' ' + QJsonDocument(response.json).toJson(QJsonDocument::Compact);
        for (const QByteArray &secret :
             { hostPort, ':' + QByteArray::number(m_server.port()), QByteArray("127.0.0.1"), user,
               password, QByteArray("redis://"), QByteArray("***") })
            QVERIFY2(!text.contains(secret),
                     qPrintable(QStringLiteral("%1 shows %2: %3")
                                    .arg(QLatin1String(what), QString::fromUtf8(secret),
                                         QString::fromUtf8(response.body))));
    };
    // A user Redis does not know yet: every login is refused.
    RedisEndpoint endpoint;
    QString error;
    QVERIFY(RedisEndpoint::parse(
        QStringLiteral("redis://%1:%2@%3/0")
            .arg(QString::fromUtf8(user), QString::fromUtf8(password), QString::fromUtf8(hostPort)),
        &endpoint, &error));
    m_writer.reset();
    m_redis = std::make_unique<RedisConnection>(endpoint, QStringLiteral("tst_webhookreceiver"));
    m_redis->setReconnectDelays(20, 200);
    m_redis->open();
    m_writer = std::make_unique<DeadLetterWriter>(m_redis.get(), QueueKeys(),
                                                  QStringLiteral("receiver"));
    QTRY_VERIFY_WITH_TIMEOUT(m_redis->lastError().contains(QLatin1String("WRONGPASS")), WaitMs);
    // The connection's own reason names the place (redacted): the one for the log.
    QVERIFY(m_redis->lastError().contains(QString::fromUtf8(hostPort)));
    QVERIFY(!m_redis->lastError().contains(QString::fromUtf8(password)));

    configureDownstream({}, 1000, QStringLiteral("always"));
    startReceiver();
    Response response = post();
    QCOMPARE(response.status, 503);
    QCOMPARE(response.json.value(QStringLiteral("error")).toString(),
             QStringLiteral("storage_unavailable"));
    QString message = response.json.value(QStringLiteral("message")).toString();
    QVERIFY2(message.contains(QLatin1String("refused the login"))
                 && message.contains(QLatin1String("WRONGPASS")),
             qPrintable(message));
    verifyPrivate(response, "the 503 for a refused login");
    QVERIFY(!m_events.last().error.contains(QString::fromUtf8(hostPort)));
    Response health = send("GET", QStringLiteral("/healthz"), {}, {});
    QCOMPARE(health.status, 503);
    QVERIFY2(health.json.value(QStringLiteral("error"))
                 .toString()
                 .contains(QLatin1String("refused the login")),
             health.body.constData());
    verifyPrivate(health, "/healthz with a refused login");

    // Now Redis knows the user: deliveries are stored.
    QCOMPARE(m_server.command({ "ACL", "SETUSER", user, "on", ">" + password, "~*", "&*", "+@all" })
                 .toByteArray(),
             QByteArray("OK"));
    QTRY_VERIFY_WITH_TIMEOUT(m_redis->isReady(), WaitMs);
    QTRY_COMPARE_WITH_TIMEOUT(send("GET", QStringLiteral("/healthz"), {}, {}).status, 200, WaitMs);
    QCOMPARE(post().status, 200);

    // Redis gone: refused connections, then the same answers without the place.
    m_server.stop(); // the restarted server of cleanup() knows no such user
    QTRY_VERIFY_WITH_TIMEOUT(!m_redis->isReady(), WaitMs);
    response = post();
    QCOMPARE(response.status, 503);
    message = response.json.value(QStringLiteral("message")).toString();
    QVERIFY2(message.contains(QLatin1String("Redis")), qPrintable(message));
    verifyPrivate(response, "the 503 for an outage");
    health = send("GET", QStringLiteral("/healthz"), {}, {});
    QCOMPARE(health.status, 503);
    QVERIFY(!health.json.value(QStringLiteral("error")).toString().isEmpty());
    verifyPrivate(health, "/healthz in an outage");
    const Response metrics = send("GET", QStringLiteral("/metrics"), {}, {});
    QCOMPARE(metrics.status, 200);
    verifyPrivate(metrics, "/metrics in an outage");
}

void TestWebhookReceiver::clientGoneBeforeTheAnswer()
{
    configureDownstream({}, SlowDownstreamMs, QStringLiteral("timeout"));
    startReceiver();
    {
        RawClient client(m_receiver->port());
        QVERIFY(client.waitConnected());
        client.send(requestBytes("POST", "/webhook/genesys",
                                 { { "Content-Type", "application/json" } }, m_sample));
        QTRY_VERIFY_WITH_TIMEOUT(inFlight() == 1, WaitMs);
        client.socket.abort();
    }
    // The delivery still finishes: stored (the sender saw no 2xx and may send it again).
    QTRY_COMPARE_WITH_TIMEOUT(m_events.size(), 1, WaitMs);
    QCOMPARE(m_server.llen(Dlq), 1);
    QCOMPARE(m_receiver->counters().clientGone, 1u);
    QCOMPARE(post().status, 200); // and the receiver is fine
}

void TestWebhookReceiver::idleAndStalledConnectionsClosed()
{
    ReceiverConfig config = testConfig();
    config.idleTimeoutMs = 300;
    startReceiver(config);
    RawClient idle(m_receiver->port());
    QVERIFY(idle.waitConnected());
    RawClient stalled(m_receiver->port());
    QVERIFY(stalled.waitConnected());
    stalled.send("POST /webhook/genesys HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":");
    QVERIFY(idle.waitForClose(5000));
    QVERIFY(idle.received.isEmpty());
    QVERIFY(stalled.waitForResponses(1, 5000));
    QCOMPARE(stalled.responses().first().status, 408);
    QVERIFY(stalled.waitForClose(8000));
}

// Slowloris: a head that trickles in, a byte at a time and never idle, is closed at the header
// deadline with 408; a connection that sends nothing at all is closed without a word.
void TestWebhookReceiver::slowHeadersClosed()
{
    ReceiverConfig config = testConfig();
    config.headerTimeoutMs = 1000;
    startReceiver(config);
    RawClient silent(m_receiver->port());
    QVERIFY(silent.waitConnected());
    RawClient slow(m_receiver->port());
    QVERIFY(slow.waitConnected());
    // 400 s worth at the pace below: it never completes while the test runs.
    const QByteArray head
        = "POST /webhook/genesys HTTP/1.1\r\nHost: x\r\nX-Slow: " + QByteArray(4000, 'a');
    qsizetype sent = 0;
    QTimer drip;
    drip.setInterval(100); // far below the idle timeout: the connection is never idle
    connect(&drip, &QTimer::timeout, this, [&] {
        if (sent < head.size() && slow.socket.state() == QAbstractSocket::ConnectedState)
            slow.send(head.mid(sent++, 1));
    });
    drip.start();
    QVERIFY(slow.waitForClose(WaitMs));
    drip.stop();
    QVERIFY(sent < head.size());
    QCOMPARE(slow.responses().value(0).status, 408);
    QCOMPARE(slow.responses().value(0).json.value(QStringLiteral("error")).toString(),
             QStringLiteral("request_timeout"));
    QVERIFY(silent.waitForClose(WaitMs));
    QVERIFY(silent.received.isEmpty());
    QCOMPARE(m_server.llen(Dlq), 0);
    // A client that sends its request in time is served as before.
    QCOMPARE(post().status, 200);
}

// Beyond the connection limit a new connection is answered 503 with Retry-After and closed at
// once; the connections open are served as usual, and a freed slot is taken again.
void TestWebhookReceiver::maxConnections()
{
    ReceiverConfig config = testConfig();
    config.maxConnections = 3;
    config.retryAfterSeconds = 9;
    startReceiver(config);
    QCOMPARE(m_receiver->maxConnections(), 3);
    std::vector<std::unique_ptr<RawClient>> held;
    for (int i = 0; i < 3; ++i) {
        held.push_back(std::make_unique<RawClient>(m_receiver->port()));
        QVERIFY(held.back()->waitConnected());
    }
    QTRY_COMPARE_WITH_TIMEOUT(m_receiver->openConnections(), 3, WaitMs);

    RawClient refused(m_receiver->port());
    QVERIFY(refused.waitForResponses(1));
    const Response busy = refused.responses().first();
    QCOMPARE(busy.status, 503);
    QCOMPARE(busy.header("retry-after"), QByteArray("9"));
    QCOMPARE(busy.header("connection"), QByteArray("close"));
    QCOMPARE(busy.json.value(QStringLiteral("error")).toString(),
             QStringLiteral("too_many_connections"));
    QVERIFY(refused.waitForClose());
    QCOMPARE(m_receiver->openConnections(), 3);

    // The connections open are served.
    held.front()->send(requestBytes("POST", "/webhook/genesys",
                                    { { "Content-Type", "application/json" } }, m_sample));
    QVERIFY(held.front()->waitForResponses(1));
    QCOMPARE(held.front()->responses().first().status, 200);

    // One goes: the next connection is taken.
    held.pop_back();
    QTRY_COMPARE_WITH_TIMEOUT(m_receiver->openConnections(), 2, WaitMs);
    RawClient next(m_receiver->port());
    QVERIFY(next.waitConnected());
    next.send(requestBytes("POST", "/webhook/genesys", { { "Content-Type", "application/json" } },
                           m_sample));
    QVERIFY(next.waitForResponses(1));
    QCOMPARE(next.responses().first().status, 200);
}

// stop(): no new connections or requests; a delivery in progress still gets its answer (the
// engine's shutdown waits for Redis to confirm what was sent before it closes the connection).
void TestWebhookReceiver::stopAnswersWhatIsInProgress()
{
    configureDownstream({}, SlowDownstreamMs, QStringLiteral("timeout"));
    startReceiver();
    const quint16 port = m_receiver->port();
    QSignalSpy stopped(m_receiver.get(), &WebhookReceiver::stopped);

    RawClient busy(port);
    QVERIFY(busy.waitConnected());
    RawClient idle(port);
    QVERIFY(idle.waitConnected());
    busy.send(requestBytes("POST", "/webhook/genesys", { { "Content-Type", "application/json" } },
                           m_sample));
    QTRY_VERIFY_WITH_TIMEOUT(inFlight() == 1, WaitMs); // in the downstream's (simulated) timeout
    m_receiver->stop();
    QVERIFY(!m_receiver->isListening());
    QVERIFY(!m_receiver->isStopped());
    QCOMPARE(m_receiver->port(), quint16(0));

    QVERIFY(idle.waitForClose()); // nothing in progress there: closed at once
    QTcpSocket late;
    late.connectToHost(QHostAddress::LocalHost, port);
    QTRY_VERIFY_WITH_TIMEOUT(late.state() == QAbstractSocket::UnconnectedState, WaitMs);

    QVERIFY(busy.waitForResponses(1));
    QCOMPARE(busy.responses().first().status, 200);
    QCOMPARE(busy.responses().first().json.value(QStringLiteral("status")).toString(),
             QStringLiteral("deferred_to_dlq"));
    QCOMPARE(busy.responses().first().header("connection"), QByteArray("close"));
    QVERIFY(busy.waitForClose());
    QTRY_COMPARE_WITH_TIMEOUT(stopped.size(), 1, WaitMs);
    QVERIFY(m_receiver->isStopped());
    QCOMPARE(m_server.llen(Dlq), 1);

    // And it starts again.
    QString error;
    QVERIFY2(m_receiver->start(&error), qPrintable(error));
    QCOMPARE(post().status, 200);
}

void TestWebhookReceiver::healthz()
{
    startReceiver();
    const Response response = send("GET", QStringLiteral("/healthz"), {}, {});
    QCOMPARE(response.status, 200);
    QCOMPARE(response.json,
             (QJsonObject { { QStringLiteral("status"), QStringLiteral("ok") },
                            { QStringLiteral("redis"), QStringLiteral("up") } }));
    QCOMPARE(response.header("cache-control"), QByteArray("no-store"));
    QVERIFY(m_events.isEmpty()); // monitoring is not a delivery
}

void TestWebhookReceiver::monitoringThroughATunnel_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QByteArray>("value");
    QTest::newRow("ngrok's X-Forwarded-For")
        << QByteArray("X-Forwarded-For") << QByteArray("203.0.113.9");
    QTest::newRow("RFC 7239 Forwarded") << QByteArray("Forwarded") << QByteArray("for=203.0.113.9");
    QTest::newRow("X-Real-IP") << QByteArray("X-Real-IP") << QByteArray("203.0.113.9");
    QTest::newRow("an ngrok header") << QByteArray("ngrok-skip-browser-warning") << QByteArray("1");
}

// What the tunnel to the receiver's port shows the Internet: whether it is up, no reasons (they
// name hosts and users) and no metrics. Asked directly, the same port answers in full.
void TestWebhookReceiver::monitoringThroughATunnel()
{
    QFETCH(QByteArray, header);
    QFETCH(QByteArray, value);
    startReceiver();
    const Headers relayed { { header, value } };
    Response health = send("GET", QStringLiteral("/healthz"), {}, relayed);
    QCOMPARE(health.status, 200);
    QCOMPARE(health.json, (QJsonObject { { QStringLiteral("status"), QStringLiteral("ok") } }));
    const Response metrics = send("GET", QStringLiteral("/metrics"), {}, relayed);
    QCOMPARE(metrics.status, 404);
    QVERIFY(!metrics.body.contains("redrive_"));
    QCOMPARE(send("GET", QStringLiteral("/metrics"), {}, {}).status, 200);

    m_server.stop();
    QTRY_VERIFY_WITH_TIMEOUT(!m_redis->isReady(), WaitMs);
    health = send("GET", QStringLiteral("/healthz"), {}, relayed);
    QCOMPARE(health.status, 503);
    QCOMPARE(health.json,
             (QJsonObject { { QStringLiteral("status"), QStringLiteral("unavailable") } }));
    const Response direct = send("GET", QStringLiteral("/healthz"), {}, {});
    QCOMPARE(direct.status, 503);
    QVERIFY(!direct.json.value(QStringLiteral("error")).toString().isEmpty());
}

void TestWebhookReceiver::metrics()
{
    configureDownstream({}, 1000, QStringLiteral("always"));
    startReceiver();
    QCOMPARE(post().status, 200);
    QCOMPARE(post().status, 200);
    QCOMPARE(post("[]").status, 400);
    QCOMPARE(send("GET", QStringLiteral("/healthz"), {}, {}).status, 200);

    const Response response = send("GET", QStringLiteral("/metrics"), {}, {});
    QCOMPARE(response.status, 200);
    QVERIFY(response.header("content-type").startsWith("text/plain; version=0.0.4"));
    const QByteArray text = response.body;
    const auto has = [&text](const QByteArray &line) {
        return text.contains("\n" + line + "\n") || text.startsWith(line + "\n");
    };
    QVERIFY2(has("redrive_receiver_deliveries_total{outcome=\"deferred\"} 2"), text.constData());
    QVERIFY(has("redrive_receiver_deliveries_total{outcome=\"rejected\"} 1"));
    QVERIFY(has("redrive_receiver_deliveries_total{outcome=\"processed\"} 0"));
    QVERIFY(has("redrive_receiver_deliveries_total{outcome=\"unavailable\"} 0"));
    QVERIFY(has("redrive_receiver_received_total 3"));
    QVERIFY(has("redrive_receiver_responses_total{code=\"400\"} 1"));
    QVERIFY(has("redrive_receiver_responses_total{code=\"200\"} 3")); // with /healthz
    QVERIFY(has("redrive_receiver_redis_errors_total 0"));
    QVERIFY(has("redrive_receiver_request_duration_seconds_count 3"));
    QVERIFY(has("redrive_receiver_request_duration_seconds_bucket{le=\"+Inf\"} 3"));
    QVERIFY(text.contains("redrive_receiver_request_duration_seconds_bucket{le=\"0.001\"} "));
    QVERIFY(text.contains("# TYPE redrive_receiver_request_duration_seconds histogram\n"));
    QVERIFY(has("redrive_redis_up 1"));
    QVERIFY(has("redrive_receiver_thread_responses_total{thread=\"0\"} 4"));
    // The lists' lengths are the engine's (its metrics read them once a second), not read twice.
    QVERIFY(!text.contains("redrive_queue_length"));
    // Every sample line is "name{labels} value" with a number for a value.
    static const QRegularExpression sample(
        QStringLiteral("^[a-z_]+(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\\})? [0-9.e+-]+$"));
    for (const QByteArray &line : text.split('\n')) {
        if (!line.isEmpty() && !line.startsWith('#'))
            QVERIFY2(sample.match(QString::fromUtf8(line)).hasMatch(), line.constData());
    }
    QVERIFY(m_receiver->metricsText().contains("redrive_receiver_responses_total{code=\"200\"} 4"));
}

void TestWebhookReceiver::oneEventPerRequest()
{
    startReceiver();
    post();
    post("nope");
    send("GET", QStringLiteral("/webhook/genesys"), {}, {});
    send("GET", QStringLiteral("/elsewhere"), {}, {});
    send("GET", QStringLiteral("/healthz"), {}, {});
    send("GET", QStringLiteral("/metrics"), {}, {});
    raw("BREW /pot HTTP/1.1\r\nHost: x\r\n\r\n");
    QTRY_COMPARE_WITH_TIMEOUT(m_events.size(), 5, WaitMs);
    QTest::qWait(100);
    QCOMPARE(m_events.size(), 5);
    const ReceiverCounters counters = m_receiver->counters();
    // /elsewhere and /pot were answered and shown, but they are not deliveries.
    QCOMPARE(counters.received, 3u);
    QCOMPARE(counters.processed, 1u);
    QCOMPARE(counters.rejected, 2u);
    QCOMPARE(counters.otherRequests, 2u);
}

void TestWebhookReceiver::concurrentDeliveries()
{
    configureDownstream({}, 1000, QStringLiteral("50%"));
    startReceiver();
    const std::unique_ptr<RedisConnection> subscriber = subscribeToEvents();
    QVERIFY(subscriber);
    QSignalSpy published(subscriber.get(), &RedisConnection::messageReceived);
    const QUrl url = m_receiver->url();
    QList<QNetworkReply *> replies;
    for (int i = 0; i < 200; ++i) {
        QNetworkRequest request(url);
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
        replies.append(m_network->post(request, m_sample));
    }
    QVERIFY(QTest::qWaitFor(
        [&] {
            return std::all_of(replies.cbegin(), replies.cend(),
                               [](QNetworkReply *reply) { return reply->isFinished(); });
        },
        WaitMs));
    QSet<QString> ids;
    int deferred = 0;
    for (QNetworkReply *reply : std::as_const(replies)) {
        QCOMPARE(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt(), 200);
        const QJsonObject json = QJsonDocument::fromJson(reply->readAll()).object();
        ids.insert(json.value(QStringLiteral("id")).toString());
        deferred
            += json.value(QStringLiteral("status")).toString() == QLatin1String("deferred_to_dlq");
        delete reply;
    }
    QCOMPARE(ids.size(), 200);
    QVERIFY(deferred > 0 && deferred < 200);
    // Announced on the channel, possibly several to a message: every stored id exactly once.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            int announced = 0;
            for (const QList<QVariant> &message : std::as_const(published))
                announced += QJsonDocument::fromJson(message.at(1).toByteArray())
                                 .object()
                                 .value(QStringLiteral("count"))
                                 .toInt();
            return announced == deferred;
        }(),
        WaitMs);
    QSet<QString> announcedIds;
    for (const QList<QVariant> &message : std::as_const(published)) {
        const QJsonObject json = QJsonDocument::fromJson(message.at(1).toByteArray()).object();
        const QJsonArray list = json.value(QStringLiteral("ids")).toArray();
        QCOMPARE(json.value(QStringLiteral("count")).toInt(), list.size());
        for (const auto &id : list)
            announcedIds.insert(id.toString());
    }
    QCOMPARE(announcedIds.size(), deferred);
    QCOMPARE(m_server.llen(Dlq), deferred);
    for (const QByteArray &raw : m_server.lrange(Dlq))
        QVERIFY(ids.contains(DeadLetterEntry::parse(raw).id()));
}

QTEST_GUILESS_MAIN(TestWebhookReceiver)
#include "tst_webhookreceiver.moc"
