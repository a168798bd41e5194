// SPDX-License-Identifier: MIT
#pragma once

#include "core/redis/redisendpoint.h"

#include <QElapsedTimer>
#include <QLockFile>
#include <QObject>
#include <QProcess>
#include <QTimer>

#include <memory>

namespace redrive::core {

// The private redis-server Redrive starts when no Redis URL is configured: data (AOF on) in
// the user's app-data folder (a service's state folder under systemd), reachable only through a
// unix socket (mode 700) or loopback, and stopped when Redrive exits. The child is asked to die
// with us (PR_SET_PDEATHSIG) so a killed Redrive leaves no orphan; a lock file keeps two Redrives
// from running two servers on one AOF.
class EmbeddedRedis final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EmbeddedRedis)

public:
    EmbeddedRedis(const QString &program, const QString &dataDirectory, QObject *parent = nullptr);
    ~EmbeddedRedis() override;

    // Takes the data folder (its lock file) without starting anything: false, with a message,
    // when another Redrive holds it. start() claims it too if this was not called.
    bool claim(QString *error);
    // Starts redis-server without waiting for it: ready() follows once it accepts connections
    // on its socket, startFailed() if it has not after `readyTimeoutMs`. False with a message
    // fit for a user when it cannot start at all.
    bool start(QString *error, int readyTimeoutMs = 10000);
    void stop();
    bool isRunning() const;
    RedisEndpoint endpoint() const { return m_endpoint; }
    QString dataDirectory() const { return m_dataDirectory; }
    // $STATE_DIRECTORY/redis when set (a systemd service), else the user's app-data folder.
    static QString defaultDataDirectory();

Q_SIGNALS:
    // The server accepts connections on endpoint(): connections opened now find it there.
    void ready();
    // It runs but has not accepted a connection within the start's deadline (once; ready()
    // may still follow).
    void startFailed(const QString &reason);
    // redis-server ended while we did not ask it to (crash, OOM kill, bad config).
    void exitedUnexpectedly(const QString &reason);

private:
    QString logTail() const;
    // One connection attempt to the socket; again shortly after while it is refused.
    void probe();

    QString m_program;
    QString m_dataDirectory;
    RedisEndpoint m_endpoint;
    std::unique_ptr<QLockFile> m_lock;
    std::unique_ptr<QProcess> m_process;
    bool m_stopping = false;
    int m_readyTimeoutMs = 10000;
    QElapsedTimer m_sinceStart;
    QTimer m_probeTimer;
    bool m_ready = false;
    bool m_startFailedSent = false;
};

} // namespace redrive::core
