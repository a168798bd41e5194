// SPDX-License-Identifier: MIT
// `redrive --headless` at its file descriptor limit: a real process started with a lowered
// RLIMIT_NOFILE (soft and hard, so raising it at start changes nothing) and more idle connections
// than the limit allows.
#include "tests/support/redisserver.h"
#include "tests/support/redriveprocess.h"
#include "tests/support/testenv.h"

#include <QNetworkAccessManager>
#include <QElapsedTimer>
#include <QFile>
#include <QNetworkReply>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <vector>


using redrive::tests::RedisServer;
using redrive::tests::RedriveProcess;

namespace {

constexpr int WaitMs = 15000;
constexpr int DescriptorLimit = 128;
constexpr int IdleClients = 160; // more than the limit

} // namespace

class TestReceiverLimits : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void descriptorExhaustionDoesNotSpin();
    void defaultLimitKeepsClearOfExhaustion();

private:
    // Starts redrive --headless with RLIMIT_NOFILE at DescriptorLimit; returns its URL.
    QUrl start(RedriveProcess *process, const QStringList &args);
    // Opens IdleClients connections that send nothing; true once all are connected.
    bool openIdleClients(std::vector<std::unique_ptr<QTcpSocket>> *clients, quint16 port);
    int post(const QUrl &url);

    RedisServer m_server;
    QTemporaryDir m_home;
    QNetworkAccessManager m_network;
};

void TestReceiverLimits::initTestCase()
{
    QVERIFY2(QFile::exists(redrive::tests::redriveBinary()), "REDRIVE_BINARY not built");
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    QVERIFY(m_home.isValid());
}

QUrl TestReceiverLimits::start(RedriveProcess *process, const QStringList &args)
{
    process->setDescriptorLimit(DescriptorLimit);
    process->start(m_home.path(),
                   QStringList { QStringLiteral("--headless"), QStringLiteral("--no-worker"),
                                 QStringLiteral("--redis"), m_server.url(),
                                 QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0") }
                       + args);
    return process->receiverUrl(WaitMs);
}

bool TestReceiverLimits::openIdleClients(std::vector<std::unique_ptr<QTcpSocket>> *clients,
                                         quint16 port)
{
    for (int i = 0; i < IdleClients; ++i) {
        clients->push_back(std::make_unique<QTcpSocket>());
        clients->back()->connectToHost(QHostAddress::LocalHost, port);
    }
    // The kernel completes the handshakes whether or not the receiver accepts them.
    return QTest::qWaitFor(
        [clients] {
            for (const auto &client : *clients) {
                if (client->state() == QAbstractSocket::ConnectingState
                    || client->state() == QAbstractSocket::HostLookupState)
                    return false;
            }
            return true;
        },
        WaitMs);
}

int TestReceiverLimits::post(const QUrl &url)
{
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    std::unique_ptr<QNetworkReply> reply(
        m_network.post(request, redrive::tests::sampleNotification()));
    if (!QTest::qWaitFor([&reply] { return reply->isFinished(); }, WaitMs)) {
        reply->abort();
        return 0;
    }
    return reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
}

// With a limit far above what the descriptors allow, accept() runs out of descriptors: the
// receiver pauses accepting and says so once, instead of retrying at full speed (100 % CPU
// before the fix), and takes deliveries again once the idle clients are gone.
void TestReceiverLimits::descriptorExhaustionDoesNotSpin()
{
#if defined(__SANITIZE_ADDRESS__)
    // The sanitizer runtimes need descriptors of their own (UBSan's vptr check probes memory
    // through a pipe): with every descriptor taken they report valid objects as faults. The
    // normal build runs this test.
    QSKIP("descriptor exhaustion is not observable under the sanitizers");
#endif
    RedriveProcess redrive;
    const QUrl url = start(&redrive,
                           { QStringLiteral("--max-connections"), QStringLiteral("1000"),
                             // The idle clients stay until the test lets them go.
                             QStringLiteral("--header-timeout"), QStringLiteral("120") });
    QVERIFY(url.isValid());
    std::vector<std::unique_ptr<QTcpSocket>> idle;
    QVERIFY(openIdleClients(&idle, quint16(url.port())));
    QVERIFY2(redrive.waitFor("out of file descriptors", WaitMs), redrive.log.constData());

    // A few seconds at the limit, with connections still waiting to be accepted.
    const double cpuBefore = redrive.cpuSeconds();
    QElapsedTimer wall;
    wall.start();
    QTest::qWait(3000); // the measurement window, not a wait for a condition
    const double cpuAfter = redrive.cpuSeconds();
    const double share = (cpuAfter - cpuBefore) / (double(wall.elapsed()) / 1000.0);
    qInfo("CPU at the descriptor limit: %.1f %% of wall time", share * 100.0);
    QVERIFY(cpuBefore >= 0 && cpuAfter >= 0);
    QVERIFY2(share < 0.30, qPrintable(QString::number(share * 100.0) + QStringLiteral(" %")));
    QCOMPARE(redrive.readLog().count("out of file descriptors"), 1);

    // The idle clients go: descriptors come back, and so do deliveries.
    idle.clear();
    QTRY_COMPARE_WITH_TIMEOUT(post(url), 200, WaitMs);
    QVERIFY2(redrive.waitFor("accepting resumed", WaitMs), redrive.log.constData());
    QCOMPARE(redrive.log.count("out of file descriptors"), 1);

    QVERIFY2(redrive.terminate(WaitMs), redrive.log.constData());
}

// Without --max-connections the limit follows the descriptor limit (128 less 64 kept for the
// rest): the clients beyond it are answered 503 at once, and descriptors never run out.
void TestReceiverLimits::defaultLimitKeepsClearOfExhaustion()
{
    RedriveProcess redrive;
    const QUrl url = start(&redrive, {});
    QVERIFY(url.isValid());
    // The start-up lines may arrive in more than one read.
    QVERIFY2(redrive.waitFor("up to 64 connections at once", WaitMs), redrive.log.constData());
    std::vector<std::unique_ptr<QTcpSocket>> idle;
    QVERIFY(openIdleClients(&idle, quint16(url.port())));
    // What each client got (a socket keeps what it read after the close).
    std::vector<QByteArray> received(idle.size());
    const auto refused = [&] {
        int count = 0;
        for (size_t i = 0; i < idle.size(); ++i) {
            received[i] += idle[i]->readAll();
            if (received[i].startsWith("HTTP/1.1 503 ") && received[i].contains("Retry-After: "))
                ++count;
        }
        return count;
    };
    QTRY_COMPARE_WITH_TIMEOUT(refused(), IdleClients - 64, WaitMs);
    QVERIFY2(redrive.waitFor("connection limit reached", WaitMs), redrive.log.constData());
    QCOMPARE(redrive.log.count("connection limit reached"), 1);

    idle.clear();
    QTRY_COMPARE_WITH_TIMEOUT(post(url), 200, WaitMs);
    QVERIFY2(!redrive.readLog().contains("out of file descriptors"), redrive.log.constData());

    QVERIFY2(redrive.terminate(WaitMs), redrive.log.constData());
}

QTEST_GUILESS_MAIN(TestReceiverLimits)
#include "tst_receiverlimits.moc"
