// SPDX-License-Identifier: MIT
#include "tests/support/redriveprocess.h"


#include <QDeadlineTimer>
#include <QFile>
#include <QRegularExpression>
#include <QTcpSocket>

#include <csignal>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace redrive::tests {

RedriveProcess::RedriveProcess(const QString &home, const QStringList &extra,
                               const QProcessEnvironment &extraEnv)
{
    start(home,
          QStringList { QStringLiteral("--headless"), QStringLiteral("--listen"),
                        QStringLiteral("127.0.0.1:0"), QStringLiteral("--no-worker") }
              + extra,
          extraEnv);
}

RedriveProcess::~RedriveProcess()
{
    kill();
}

void RedriveProcess::start(const QString &home, const QStringList &args,
                           const QProcessEnvironment &extraEnv)
{
    kill();
    log.clear();
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("XDG_DATA_HOME"), home);
    env.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/config"));
    for (const char *name : { "REDIS_URL", "REDRIVE_REDIS_URL", "REDRIVE_SHARED_SECRET",
                              "REDRIVE_REDIS_PASSWORD" })
        env.remove(QString::fromLatin1(name));
    env.insert(QStringLiteral("REDRIVE_NO_KEYCHAIN"), QStringLiteral("1"));
    env.insert(extraEnv);
    process.setProcessEnvironment(env);
    process.setProcessChannelMode(QProcess::MergedChannels);
    const int limit = m_descriptorLimit;
    process.setChildProcessModifier([limit] {
        ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (limit > 0) {
            const rlimit value { rlim_t(limit), rlim_t(limit) };
            ::setrlimit(RLIMIT_NOFILE, &value);
        }
    });
    process.start(redriveBinary(), args);
}

bool RedriveProcess::waitFor(const QByteArray &text, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!deadline.hasExpired()) {
        log += process.readAll();
        if (log.contains(text))
            return true;
        if (process.state() == QProcess::NotRunning)
            return false;
        process.waitForReadyRead(100);
    }
    log += process.readAll();
    return log.contains(text);
}

void RedriveProcess::collect(int waitMs)
{
    QDeadlineTimer deadline(waitMs);
    while (!deadline.hasExpired() && process.state() != QProcess::NotRunning)
        process.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())));
    log += process.readAll();
}

const QByteArray &RedriveProcess::readLog()
{
    log += process.readAll();
    return log;
}

QByteArray RedriveProcess::firstLine() const
{
    const qsizetype end = log.indexOf('\n');
    return end < 0 ? QByteArray() : log.left(end);
}

QByteArray RedriveProcess::waitForFirstLine(int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!readLog().contains('\n') && !deadline.hasExpired() && isRunning())
        process.waitForReadyRead(100);
    readLog();
    return firstLine();
}

QUrl RedriveProcess::receiverUrl(int timeoutMs)
{
    // The whole line: it may arrive in pieces.
    static const QRegularExpression line(
        QStringLiteral("receiving deliveries at (http://\\S+)\n"));
    QDeadlineTimer deadline(timeoutMs);
    QRegularExpressionMatch match;
    while (!(match = line.match(QString::fromUtf8(readLog()))).hasMatch()) {
        if (deadline.hasExpired() || !isRunning()) {
            readLog();
            qWarning("redrive did not announce its receiver; log:\n%s", log.constData());
            return {};
        }
        process.waitForReadyRead(100);
    }
    return QUrl(match.captured(1));
}

quint16 RedriveProcess::receiverPort() const
{
    static const QRegularExpression line(
        QStringLiteral("receiving deliveries at http://127\\.0\\.0\\.1:(\\d+)/"));
    return quint16(line.match(QString::fromUtf8(log)).captured(1).toUInt());
}

QByteArray RedriveProcess::get(const QByteArray &path) const
{
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), receiverPort());
    if (!socket.waitForConnected(10000))
        return {};
    socket.write("GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    QByteArray response;
    QDeadlineTimer deadline(10000);
    while (!deadline.hasExpired() && socket.state() == QAbstractSocket::ConnectedState) {
        socket.waitForReadyRead(100);
        response += socket.readAll();
    }
    return response + socket.readAll();
}

void RedriveProcess::kill()
{
    if (process.state() == QProcess::NotRunning)
        return;
    process.kill();
    process.waitForFinished(30000);
    log += process.readAll();
}

bool RedriveProcess::terminate(int timeoutMs)
{
    if (process.state() == QProcess::NotRunning)
        return false;
    process.terminate();
    const bool finished = process.waitForFinished(timeoutMs);
    log += process.readAll();
    return finished && process.exitStatus() == QProcess::NormalExit && process.exitCode() == 0;
}

double RedriveProcess::cpuSeconds() const
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid()));
    if (pid() <= 0 || !stat.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray text = stat.readAll();
    // Fields after "(comm)": state is field 3, utime 14, stime 15.
    const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return -1;
    const double ticks = fields.at(11).toDouble() + fields.at(12).toDouble();
    return ticks / double(::sysconf(_SC_CLK_TCK));
}

} // namespace redrive::tests
