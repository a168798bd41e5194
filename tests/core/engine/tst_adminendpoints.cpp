// SPDX-License-Identifier: MIT
// /healthz and /metrics of a real `redrive --headless` process, over HTTP: on --admin-listen for a
// worker alone, on the receiver's port otherwise.
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

using redrive::tests::RedisServer;
using redrive::tests::RedriveProcess;

namespace {

constexpr int WaitMs = 20000;

struct Reply
{
    int status = 0;
    QByteArray body;
    QByteArray contentType;
};

// The value of the sample `series` (name with its labels, as written) in a scrape; -1 if absent.
double sample(const QByteArray &text, const QByteArray &series)
{
    for (const QByteArray &line : text.split('\n')) {
        if (line.startsWith(series + ' '))
            return line.mid(series.size() + 1).toDouble();
    }
    return -1;
}

// A tutorial-style entry whose every attempt fails (the process runs --simulate-failure always).
QByteArray tutorialEntry(int n)
{
    return QByteArrayLiteral("{\"original_payload\":{\"topicName\":\"v2.users.")
        + QByteArray::number(n)
        + QByteArrayLiteral(".presence\"},\"error_message\":\"down\",\"status_code\":503,"
                            "\"timestamp\":\"2026-01-01T00:00:00\",\"retry_count\":0}");
}

} // namespace

class TestAdminEndpoints : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void workerOnlyServesHealthAndMetrics();
    void workerOnlyAdminPortTakenIsAClearError();
    void receiverPortHasTheWholeProcess();

private:
    // Starts redrive --headless with `args`; returns the URL its first line announces.
    QUrl start(RedriveProcess *process, const QStringList &args, const QString &pattern,
               QString *firstLine = nullptr);
    Reply get(const QUrl &url);

    RedisServer m_server;
    QTemporaryDir m_home;
    QNetworkAccessManager m_network;
};

void TestAdminEndpoints::initTestCase()
{
    QVERIFY2(QFile::exists(redrive::tests::redriveBinary()), "REDRIVE_BINARY not built");
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    QVERIFY(m_home.isValid());
}

void TestAdminEndpoints::init()
{
    m_server.flushAll();
}

QUrl TestAdminEndpoints::start(RedriveProcess *process, const QStringList &args,
                               const QString &pattern, QString *firstLineOut)
{
    process->start(
        m_home.path(),
        QStringList { QStringLiteral("--headless"), QStringLiteral("--redis"), m_server.url() }
            + args);
    const QString firstLine = QString::fromUtf8(process->waitForFirstLine(WaitMs));
    if (firstLineOut)
        *firstLineOut = firstLine;
    const QRegularExpressionMatch match = QRegularExpression(pattern).match(firstLine);
    if (!match.hasMatch())
        qWarning("first line: %s", qPrintable(firstLine));
    return match.hasMatch() ? QUrl(match.captured(1)) : QUrl();
}

Reply TestAdminEndpoints::get(const QUrl &url)
{
    std::unique_ptr<QNetworkReply> reply(m_network.get(QNetworkRequest(url)));
    Reply result;
    if (!QTest::qWaitFor([&reply] { return reply->isFinished(); }, WaitMs))
        return result;
    result.status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    result.body = reply->readAll();
    result.contentType = reply->header(QNetworkRequest::ContentTypeHeader).toByteArray();
    return result;
}

void TestAdminEndpoints::workerOnlyServesHealthAndMetrics()
{
    m_server.lpush("genesys_webhook_dlq", tutorialEntry(1));
    RedriveProcess redrive;
    const QUrl admin
        = start(&redrive,
                { QStringLiteral("--worker-only"), QStringLiteral("--simulate-failure"),
                  QStringLiteral("always"), QStringLiteral("--max-attempts"), QStringLiteral("3"),
                  QStringLiteral("--backoff-base"), QStringLiteral("1"),
                  QStringLiteral("--admin-listen"), QStringLiteral("127.0.0.1:0") },
                QStringLiteral("serving /healthz and /metrics at (http://\\S+)$"));
    QVERIFY(admin.isValid());
    QCOMPARE(admin.host(), QStringLiteral("127.0.0.1"));
    QVERIFY(admin.port() > 0);

    QUrl health = admin;
    health.setPath(QStringLiteral("/healthz"));
    Reply reply;
    QVERIFY(QTest::qWaitFor([&] { return (reply = get(health)).status == 200; }, WaitMs));
    const QJsonObject json = QJsonDocument::fromJson(reply.body).object();
    QCOMPARE(json.value(QStringLiteral("status")).toString(), QStringLiteral("ok"));
    QCOMPARE(json.value(QStringLiteral("redis")).toString(), QStringLiteral("up"));
    QCOMPARE(json.value(QStringLiteral("worker")).toString(), QStringLiteral("running"));

    // The entry fails until its attempts are used up and lands in the permanent-failure list.
    QVERIFY(QTest::qWaitFor(
        [&] { return m_server.llen("genesys_webhook_permanent_failures") == 1; }, WaitMs));
    QUrl metrics = admin;
    metrics.setPath(QStringLiteral("/metrics"));
    QVERIFY(QTest::qWaitFor(
        [&] {
            reply = get(metrics);
            return sample(reply.body,
                          "redrive_queue_length{queue=\"permanent\",key=\""
                          "genesys_webhook_permanent_failures\"}")
                == 1;
        },
        WaitMs));
    QCOMPARE(reply.status, 200);
    QVERIFY(reply.contentType.startsWith("text/plain; version=0.0.4"));
    const QByteArray &text = reply.body;
    QCOMPARE(sample(text, "redrive_queue_length{queue=\"dlq\",key=\"genesys_webhook_dlq\"}"), 0);
    QCOMPARE(sample(text, "redrive_queue_scheduled"), 0);
    QCOMPARE(sample(text, "redrive_redis_up"), 1);
    // Every claim ended in a retry later or in the permanent-failure list.
    const double claimed = sample(text, "redrive_worker_claimed_total");
    QVERIFY(sample(text, "redrive_worker_rescheduled_total") >= 1);
    QCOMPARE(sample(text, "redrive_worker_permanent_total"), 1);
    QCOMPARE(claimed, sample(text, "redrive_worker_rescheduled_total") + 1);
    QCOMPARE(sample(text, "redrive_worker_delivered_total"), 0);
    QCOMPARE(sample(text, "redrive_worker_set_aside_total"), 0);
    QCOMPARE(sample(text, "redrive_worker_in_flight"), 0);
    QVERIFY(sample(text, "redrive_worker_lease_renewals_total") >= 1);
    QCOMPARE(sample(text, "redrive_worker_lease_losses_total"), 0);
    QCOMPARE(sample(text, "redrive_worker_attempt_duration_seconds_count"), claimed);
    QCOMPARE(sample(text, "redrive_worker_attempt_duration_seconds_bucket{le=\"+Inf\"}"), claimed);
    QVERIFY(text.contains("# TYPE redrive_worker_attempt_duration_seconds histogram\n"));
    static const QRegularExpression buildInfo(
        QStringLiteral("\nredrive_build_info\\{version=\"[0-9.]+\",qt=\"6\\.[0-9.]+\",redis=\"[0-9]"
                       "+\\.[0-9.]+\"\\} 1\n"));
    QVERIFY2(buildInfo.match(QString::fromUtf8(text)).hasMatch(), text.constData());
    // No receiver in this process: none of its families.
    QVERIFY(!text.contains("redrive_receiver_"));
    // Each family is announced once, and every sample is "name{labels} number".
    static const QRegularExpression line(
        QStringLiteral("^[a-z_]+(\\{[a-z_]+=\"[^\"]*\"(,[a-z_]+=\"[^\"]*\")*\\})? [0-9.e+-]+$"));
    QSet<QByteArray> families;
    for (const QByteArray &l : text.split('\n')) {
        if (l.startsWith("# TYPE ")) {
            const QByteArray family = l.split(' ').at(2);
            QVERIFY2(!families.contains(family), family.constData());
            families.insert(family);
        } else if (!l.isEmpty() && !l.startsWith('#')) {
            QVERIFY2(line.match(QString::fromUtf8(l)).hasMatch(), l.constData());
        }
    }

    QUrl other = admin;
    other.setPath(QStringLiteral("/webhook/genesys"));
    QCOMPARE(get(other).status, 404);

    // Redis gone: the health check says so.
    m_server.stop();
    QVERIFY(QTest::qWaitFor([&] { return (reply = get(health)).status == 503; }, WaitMs));
    QCOMPARE(QJsonDocument::fromJson(reply.body).object().value(QStringLiteral("redis")).toString(),
             QStringLiteral("down"));
    // Why, not where: nobody who reaches the port learns the Redis address.
    QVERIFY2(!QJsonDocument::fromJson(reply.body)
                  .object()
                  .value(QStringLiteral("error"))
                  .toString()
                  .isEmpty(),
             reply.body.constData());
    QVERIFY2(!reply.body.contains("127.0.0.1") && !reply.body.contains("redis://")
                 && !reply.body.contains(':' + QByteArray::number(m_server.port())),
             reply.body.constData());
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));

    QVERIFY2(redrive.terminate(WaitMs), redrive.log.constData());
}

void TestAdminEndpoints::workerOnlyAdminPortTakenIsAClearError()
{
    QTcpServer taken;
    QVERIFY(taken.listen(QHostAddress::LocalHost, 0));
    RedriveProcess redrive;
    QString output;
    start(&redrive,
          { QStringLiteral("--worker-only"), QStringLiteral("--simulate-failure"),
            QStringLiteral("always"), QStringLiteral("--admin-listen"),
            QStringLiteral("127.0.0.1:%1").arg(taken.serverPort()) },
          QStringLiteral("."), &output);
    // It may be gone already: waitForFinished() is false for a process that is not running.
    QVERIFY(!redrive.isRunning() || redrive.process.waitForFinished(WaitMs));
    QCOMPARE(redrive.process.exitCode(), 1);
    QVERIFY2(output.contains(QStringLiteral("cannot serve /healthz and /metrics on 127.0.0.1")),
             qPrintable(output));
    QVERIFY(output.contains(QStringLiteral("--admin-listen")));
}

void TestAdminEndpoints::receiverPortHasTheWholeProcess()
{
    RedriveProcess redrive;
    const QUrl url = start(&redrive,
                           { QStringLiteral("--simulate-failure"), QStringLiteral("always"),
                             QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0") },
                           QStringLiteral("receiving deliveries at (http://\\S+)$"));
    QVERIFY(url.isValid());
    QUrl stray = url;
    stray.setPath(QStringLiteral("/favicon.ico"));
    QCOMPARE(get(stray).status, 404);
    QUrl metrics = url;
    metrics.setPath(QStringLiteral("/metrics"));
    Reply reply;
    QVERIFY(QTest::qWaitFor(
        [&] {
            reply = get(metrics);
            return sample(reply.body, "redrive_queue_scheduled") >= 0
                && reply.body.contains("\nredrive_queue_length{queue=\"dlq\"");
        },
        WaitMs));
    const QByteArray &text = reply.body;
    // A request to another path is answered, but it is not a delivery.
    QCOMPARE(sample(text, "redrive_receiver_received_total"), 0);
    QCOMPARE(sample(text, "redrive_receiver_other_requests_total"), 1);
    QCOMPARE(sample(text, "redrive_receiver_responses_total{code=\"404\"}"), 1);
    QVERIFY(text.contains("# HELP redrive_receiver_received_total Requests to the webhook path"));
    // The worker's and the queues' families are on the same port.
    QCOMPARE(sample(text, "redrive_worker_claimed_total"), 0);
    QVERIFY(text.contains("\nredrive_build_info{version=\""));
    QCOMPARE(text.count("# TYPE redrive_redis_up "), 1);
    QCOMPARE(text.count("# TYPE redrive_queue_length "), 1);
    QVERIFY2(redrive.terminate(WaitMs), redrive.log.constData());
}

QTEST_GUILESS_MAIN(TestAdminEndpoints)
#include "tst_adminendpoints.moc"
