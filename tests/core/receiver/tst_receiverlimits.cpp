// SPDX-License-Identifier: MIT
// `redrive --headless` at its file descriptor limit: a real process started with a lowered
// RLIMIT_NOFILE (the shell's ulimit sets soft and hard, so raising it at start changes nothing)
// and more idle connections than the limit allows.
#include "tests/support/redisserver.h"
#include "tests/support/testenv.h"

#include <QElapsedTimer>
#include <QFile>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>
#include <vector>

#include <sys/prctl.h>
#include <unistd.h>

using redrive::tests::RedisServer;

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
    // Starts redrive --headless under `ulimit -n DescriptorLimit`; returns its URL. Its log
    // goes to m_log.
    QUrl start(QProcess *process, const QStringList &args);
    // Opens IdleClients connections that send nothing; true once all are connected.
    bool openIdleClients(std::vector<std::unique_ptr<QTcpSocket>> *clients, quint16 port);
    // CPU time (user + system) the process used so far, in seconds; negative if unknown.
    static double cpuSeconds(qint64 pid);
    int post(const QUrl &url);

    RedisServer m_server;
    QTemporaryDir m_home;
    QNetworkAccessManager m_network;
    QByteArray m_log;
};

void TestReceiverLimits::initTestCase()
{
    QVERIFY2(QFile::exists(redrive::tests::redriveBinary()), "REDRIVE_BINARY not built");
    QVERIFY2(m_server.start(), qPrintable(m_server.errorString()));
    QVERIFY(m_home.isValid());
}

QUrl TestReceiverLimits::start(QProcess *process, const QStringList &args)
{
    m_log.clear();
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    environment.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home.path());
    environment.insert(QStringLiteral("REDRIVE_NO_KEYCHAIN"), QStringLiteral("1"));
    environment.remove(QStringLiteral("REDRIVE_SHARED_SECRET"));
    process->setProcessEnvironment(environment);
    process->setReadChannel(QProcess::StandardError);
    process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
    connect(process, &QProcess::readyReadStandardError, this,
            [this, process] { m_log += process->readAllStandardError(); });
    // exec: the process measured below is redrive itself, not the shell.
    process->start(
        QStringLiteral("/bin/sh"),
        QStringList { QStringLiteral("-c"),
                      QStringLiteral("ulimit -n %1 && exec \"$0\" \"$@\"").arg(DescriptorLimit),
                      redrive::tests::redriveBinary(), QStringLiteral("--headless"),
                      QStringLiteral("--no-worker"), QStringLiteral("--redis"), m_server.url(),
                      QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0") }
            + args);
    if (!process->waitForStarted(WaitMs))
        return {};
    static const QRegularExpression url(QStringLiteral("receiving deliveries at (http://\\S+)"));
    QRegularExpressionMatch match;
    if (!QTest::qWaitFor(
            [&] {
                match = url.match(QString::fromUtf8(m_log));
                return match.hasMatch();
            },
            WaitMs)) {
        qWarning("log: %s", m_log.constData());
        return {};
    }
    return QUrl(match.captured(1));
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

double TestReceiverLimits::cpuSeconds(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray text = stat.readAll();
    // Fields after "(comm)": state is field 3, utime 14, stime 15.
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return -1;
    const double ticks = fields.at(11).toDouble() + fields.at(12).toDouble();
    return ticks / double(::sysconf(_SC_CLK_TCK));
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
    QProcess redrive;
    const QUrl url = start(&redrive,
                           { QStringLiteral("--max-connections"), QStringLiteral("1000"),
                             // The idle clients stay until the test lets them go.
                             QStringLiteral("--header-timeout"), QStringLiteral("120") });
    QVERIFY(url.isValid());
    std::vector<std::unique_ptr<QTcpSocket>> idle;
    QVERIFY(openIdleClients(&idle, quint16(url.port())));
    QTRY_VERIFY2_WITH_TIMEOUT(m_log.contains("out of file descriptors"), m_log.constData(), WaitMs);

    // A few seconds at the limit, with connections still waiting to be accepted.
    const double cpuBefore = cpuSeconds(redrive.processId());
    QElapsedTimer wall;
    wall.start();
    QTest::qWait(3000); // the measurement window, not a wait for a condition
    const double cpuAfter = cpuSeconds(redrive.processId());
    const double share = (cpuAfter - cpuBefore) / (double(wall.elapsed()) / 1000.0);
    qInfo("CPU at the descriptor limit: %.1f %% of wall time", share * 100.0);
    QVERIFY(cpuBefore >= 0 && cpuAfter >= 0);
    QVERIFY2(share < 0.30, qPrintable(QString::number(share * 100.0) + QStringLiteral(" %")));
    QCOMPARE(m_log.count("out of file descriptors"), 1);

    // The idle clients go: descriptors come back, and so do deliveries.
    idle.clear();
    QTRY_COMPARE_WITH_TIMEOUT(post(url), 200, WaitMs);
    QTRY_VERIFY2_WITH_TIMEOUT(m_log.contains("accepting resumed"), m_log.constData(), WaitMs);
    QCOMPARE(m_log.count("out of file descriptors"), 1);

    redrive.terminate();
    QVERIFY(redrive.waitForFinished(WaitMs));
    QCOMPARE(redrive.exitCode(), 0);
}

// Without --max-connections the limit follows the descriptor limit (128 less 64 kept for the
// rest): the clients beyond it are answered 503 at once, and descriptors never run out.
void TestReceiverLimits::defaultLimitKeepsClearOfExhaustion()
{
    QProcess redrive;
    const QUrl url = start(&redrive, {});
    QVERIFY(url.isValid());
    // The start-up lines may arrive in more than one read.
    QTRY_VERIFY2_WITH_TIMEOUT(m_log.contains("up to 64 connections at once"), m_log.constData(),
                              WaitMs);
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
    QTRY_VERIFY2_WITH_TIMEOUT(m_log.contains("connection limit reached"), m_log.constData(),
                              WaitMs);
    QCOMPARE(m_log.count("connection limit reached"), 1);

    idle.clear();
    QTRY_COMPARE_WITH_TIMEOUT(post(url), 200, WaitMs);
    QVERIFY2(!m_log.contains("out of file descriptors"), m_log.constData());

    redrive.terminate();
    QVERIFY(redrive.waitForFinished(WaitMs));
    QCOMPARE(redrive.exitCode(), 0);
}

QTEST_GUILESS_MAIN(TestReceiverLimits)
#include "tst_receiverlimits.moc"
