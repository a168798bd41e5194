// SPDX-License-Identifier: MIT
#pragma once

#include "tests/support/testenv.h"

#include <QByteArray>
#include <QProcess>
#include <QStringList>
#include <QUrl>

namespace redrive::tests {

// The built `redrive` as a child process, with its own XDG folders (XDG_DATA_HOME = home,
// XDG_CONFIG_HOME = home/config), no keychain, and none of the caller's REDIS_URL, shared secret
// or Redis password. It dies with the test (PR_SET_PDEATHSIG). stderr and stdout are merged into
// `log`, which grows whenever waitFor(), collect() or readLog() runs.
class RedriveProcess
{
public:
    // Nothing started yet: start() with the whole command line.
    RedriveProcess() = default;
    // Starts `redrive --headless --listen 127.0.0.1:0 --no-worker <extra>` at once.
    explicit RedriveProcess(const QString &home, const QStringList &extra = {},
                            const QProcessEnvironment &extraEnv = {});
    ~RedriveProcess();
    RedriveProcess(const RedriveProcess &) = delete;
    RedriveProcess &operator=(const RedriveProcess &) = delete;

    // Soft and hard RLIMIT_NOFILE of the child (0: inherited). Before start().
    void setDescriptorLimit(int limit) { m_descriptorLimit = limit; }
    // `redrive <args>`; a previous run's log is dropped.
    void start(const QString &home, const QStringList &args,
               const QProcessEnvironment &extraEnv = {});

    // Reads the log until it contains `text`; false at the deadline or if the process ended.
    bool waitFor(const QByteArray &text, int timeoutMs = 20000);
    // Reads what the process wrote meanwhile, for `waitMs` at most, without waiting for a text.
    void collect(int waitMs);
    // Appends what the process wrote so far, without waiting.
    const QByteArray &readLog();
    // The first line of the log (complete, without its end), empty before it.
    QByteArray firstLine() const;
    // Waits for the first complete line of the log and returns it (empty if none came).
    QByteArray waitForFirstLine(int timeoutMs = 20000);
    // Waits for the start-up line "receiving deliveries at <url>" and returns the URL; invalid
    // (with the log as a warning) if the process ended or said nothing within the deadline.
    QUrl receiverUrl(int timeoutMs = 20000);
    // The receiver's port, from the log; 0 before the start-up line.
    quint16 receiverPort() const;
    // A plain HTTP/1.1 GET of `path` on the receiver: the whole response, headers included.
    QByteArray get(const QByteArray &path) const;

    qint64 pid() const { return process.processId(); }
    bool isRunning() const { return process.state() != QProcess::NotRunning; }
    // SIGKILL, then reaps the process.
    void kill();
    // SIGTERM; true once it exited on its own with status 0.
    bool terminate(int timeoutMs = 20000);
    // CPU time (user + system) the process used so far, in seconds; negative if unknown.
    double cpuSeconds() const;

    QProcess process;
    QByteArray log;

private:
    int m_descriptorLimit = 0;
};

} // namespace redrive::tests
