// SPDX-License-Identifier: MIT
#pragma once

#include "tests/support/testenv.h"

#include <QDeadlineTimer>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>

namespace redrive::tests {

// `redrive --headless --listen 127.0.0.1:0 --no-worker` with its own XDG folders, no keychain
// and no REDIS_URL from the caller's environment; stderr and stdout merged into `log`.
class RedriveProcess
{
public:
    explicit RedriveProcess(const QString &home, const QStringList &extra = {},
                            const QProcessEnvironment &extraEnv = {})
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_DATA_HOME"), home);
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), home + QStringLiteral("/config"));
        env.remove(QStringLiteral("REDIS_URL"));
        env.insert(QStringLiteral("REDRIVE_NO_KEYCHAIN"), QStringLiteral("1"));
        env.insert(extraEnv);
        process.setProcessEnvironment(env);
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.start(redriveBinary(),
                      QStringList { QStringLiteral("--headless"), QStringLiteral("--listen"),
                                    QStringLiteral("127.0.0.1:0"), QStringLiteral("--no-worker") }
                          + extra);
    }
    ~RedriveProcess()
    {
        if (process.state() != QProcess::NotRunning) {
            process.kill();
            process.waitForFinished();
        }
    }
    RedriveProcess(const RedriveProcess &) = delete;
    RedriveProcess &operator=(const RedriveProcess &) = delete;

    bool waitFor(const QByteArray &text, int timeoutMs = 20000)
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
        return false;
    }
    // Reads what the process wrote meanwhile, for `waitMs` at most, without waiting for a text.
    void collect(int waitMs)
    {
        QDeadlineTimer deadline(waitMs);
        while (!deadline.hasExpired() && process.state() != QProcess::NotRunning)
            process.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime())));
        log += process.readAll();
    }
    // The receiver's port, from its first log line; 0 before that line.
    quint16 receiverPort() const
    {
        static const QRegularExpression line(
            QStringLiteral("receiving deliveries at http://127\\.0\\.0\\.1:(\\d+)/"));
        return quint16(line.match(QString::fromUtf8(log)).captured(1).toUInt());
    }
    // A plain HTTP/1.1 GET of `path` on the receiver: the whole response, headers included.
    QByteArray get(const QByteArray &path) const
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

    QProcess process;
    QByteArray log;
};

} // namespace redrive::tests
