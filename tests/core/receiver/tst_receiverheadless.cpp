// SPDX-License-Identifier: MIT
// `redrive --headless` end to end: the receiver the engine starts, driven over HTTP.
#include "core/queue/deadletterentry.h"
#include "tests/support/redisserver.h"
#include "tests/support/redriveprocess.h"
#include "tests/support/testenv.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using redrive::core::DeadLetterEntry;
using redrive::tests::RedisServer;
using redrive::tests::RedriveProcess;

namespace {
constexpr int WaitMs = 15000;
}

class TestReceiverHeadless : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void firstLineIsTheUrlAndDeliveriesLand();
    void sharedSecretFromTheEnvironment();
    void portTakenIsAClearError();
    void withoutADisplayItSaysHeadless();

private:
    // Starts redrive --headless with `args`; returns the URL from its first line.
    QUrl start(RedriveProcess *process, const QStringList &args,
               const QProcessEnvironment &extra = {});
    int post(const QUrl &url, const QList<QPair<QByteArray, QByteArray>> &headers,
             QJsonObject *json = nullptr);

    RedisServer m_server;
    QTemporaryDir m_home;
    QNetworkAccessManager m_network;
};

void TestReceiverHeadless::initTestCase()
{
    QVERIFY2(QFile::exists(redrive::tests::redriveBinary()), "REDRIVE_BINARY not built");
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    QVERIFY(m_home.isValid());
}

QUrl TestReceiverHeadless::start(RedriveProcess *process, const QStringList &args,
                                 const QProcessEnvironment &extra)
{
    process->start(m_home.path(),
                   QStringList { QStringLiteral("--headless"), QStringLiteral("--redis"),
                                 m_server.url(), QStringLiteral("--listen"),
                                 QStringLiteral("127.0.0.1:0") }
                       + args,
                   extra);
    const QString firstLine = QString::fromUtf8(process->waitForFirstLine(WaitMs));
    static const QRegularExpression url(QStringLiteral("receiving deliveries at (http://\\S+)$"));
    const QRegularExpressionMatch match = url.match(firstLine);
    if (!match.hasMatch())
        qWarning("first line: %s", qPrintable(firstLine));
    return match.hasMatch() ? QUrl(match.captured(1)) : QUrl();
}

int TestReceiverHeadless::post(const QUrl &url, const QList<QPair<QByteArray, QByteArray>> &headers,
                               QJsonObject *json)
{
    QNetworkRequest request(url);
    for (const auto &[name, value] : headers)
        request.setRawHeader(name, value);
    std::unique_ptr<QNetworkReply> reply(
        m_network.post(request, redrive::tests::sampleNotification()));
    if (!QTest::qWaitFor([&reply] { return reply->isFinished(); }, WaitMs))
        return 0;
    if (json)
        *json = QJsonDocument::fromJson(reply->readAll()).object();
    return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
}

void TestReceiverHeadless::firstLineIsTheUrlAndDeliveriesLand()
{
    m_server.flushAll();
    RedriveProcess redrive;
    // Without the retry worker, which would otherwise take the entry off the list to retry it
    // (tst_retryworker covers the two together).
    const QUrl url = start(&redrive,
                           { QStringLiteral("--simulate-failure"), QStringLiteral("always"),
                             QStringLiteral("--no-worker") });
    QVERIFY(url.isValid());
    QCOMPARE(url.host(), QStringLiteral("127.0.0.1"));
    QVERIFY(url.port() > 0);
    QCOMPARE(url.path(), QStringLiteral("/webhook/genesys"));

    // It listens before Redis is connected: until then a delivery that needs storing gets 503.
    QJsonObject json;
    QVERIFY(QTest::qWaitFor(
        [&] {
            return post(url, { { "Content-Type", "application/json" } }, &json) == 200;
        },
        WaitMs));
    QCOMPARE(json.value(QStringLiteral("status")).toString(), QStringLiteral("deferred_to_dlq"));
    const QList<QByteArray> entries = m_server.lrange("genesys_webhook_dlq");
    QCOMPARE(entries.size(), 1);
    const DeadLetterEntry entry = DeadLetterEntry::parse(entries.first());
    QCOMPARE(entry.id(), json.value(QStringLiteral("id")).toString());
    QCOMPARE(entry.payload(), redrive::tests::sampleNotification());
    QCOMPARE(entry.errorMessage(), QStringLiteral("Simulated Database Connection Timeout"));

    QVERIFY2(redrive.terminate(WaitMs), redrive.log.constData());
}

void TestReceiverHeadless::sharedSecretFromTheEnvironment()
{
    RedriveProcess redrive;
    QProcessEnvironment extra;
    extra.insert(QStringLiteral("REDRIVE_SHARED_SECRET"), QStringLiteral("let-me-in"));
    const QUrl url
        = start(&redrive, { QStringLiteral("--secret-header"), QStringLiteral("X-Token") }, extra);
    QVERIFY(url.isValid());
    QCOMPARE(post(url, { { "Content-Type", "application/json" } }), 401);
    QCOMPARE(post(url, { { "Content-Type", "application/json" }, { "X-Token", "nope" } }), 401);
    QCOMPARE(post(url, { { "Content-Type", "application/json" }, { "X-Token", "let-me-in" } }),
             200);
    QVERIFY2(redrive.terminate(WaitMs), redrive.log.constData());
}

void TestReceiverHeadless::portTakenIsAClearError()
{
    QTcpServer taken;
    QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
    RedriveProcess redrive;
    redrive.start(m_home.path(),
                  { QStringLiteral("--headless"), QStringLiteral("--redis"), m_server.url(),
                    QStringLiteral("--listen"),
                    QStringLiteral("127.0.0.1:%1").arg(taken.serverPort()) });
    QVERIFY(redrive.process.waitForFinished(WaitMs));
    QCOMPARE(redrive.process.exitCode(), 1);
    const QString errors = QString::fromUtf8(redrive.readLog());
    QVERIFY2(errors.contains(
                 QStringLiteral("cannot listen on 127.0.0.1 port %1").arg(taken.serverPort())),
             qPrintable(errors));
}

// A server user's first try: `redrive` with no display gets a way forward, not Qt's abort.
void TestReceiverHeadless::withoutADisplayItSaysHeadless()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const char *name : { "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM" })
        environment.remove(QString::fromLatin1(name));
    environment.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home.path());
    for (const QStringList &args : { QStringList {}, QStringList { QStringLiteral("--bogus") } }) {
        QProcess redrive;
        redrive.setProcessEnvironment(environment);
        redrive.setProcessChannelMode(QProcess::MergedChannels);
        redrive.start(redrive::tests::redriveBinary(), args);
        QVERIFY(redrive.waitForFinished(WaitMs));
        const QByteArray output = redrive.readAll();
        QCOMPARE(redrive.exitStatus(), QProcess::NormalExit);
        QCOMPARE(redrive.exitCode(), 2);
        QVERIFY2(output.contains("no display") && output.contains("redrive --headless"),
                 output.constData());
    }
}

QTEST_GUILESS_MAIN(TestReceiverHeadless)
#include "tst_receiverheadless.moc"
