// SPDX-License-Identifier: MIT
#include "core/engine/embeddedredis.h"

#include <QDir>
#include <QFile>
#include <QLocalSocket>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>

#include <csignal>
#include <memory>
#include <sys/prctl.h>
#include <utility>

namespace redrive::core {

namespace {
// sockaddr_un holds 108 bytes including the terminator.
constexpr qsizetype MaxSocketPath = 100;
// Between two connection attempts while redis-server is creating its socket (usually one or
// two attempts: it listens before it loads its data).
constexpr int ProbeIntervalMs = 20;
constexpr int ProbeTimeoutMs = 1000;
} // namespace

EmbeddedRedis::EmbeddedRedis(const QString &program, const QString &dataDirectory, QObject *parent)
    : QObject(parent)
    , m_program(program)
    , m_dataDirectory(dataDirectory.isEmpty() ? defaultDataDirectory() : dataDirectory)
{
    m_probeTimer.setSingleShot(true);
    m_probeTimer.setInterval(ProbeIntervalMs);
    connect(&m_probeTimer, &QTimer::timeout, this, &EmbeddedRedis::probe);
}

EmbeddedRedis::~EmbeddedRedis()
{
    stop();
}

QString EmbeddedRedis::defaultDataDirectory()
{
    // A systemd service with StateDirectory= gets its writable folder(s) here, colon-separated:
    // the data goes into the first one (the service's home is read-only there).
    const QString state = qEnvironmentVariable("STATE_DIRECTORY").section(QLatin1Char(':'), 0, 0);
    if (!state.isEmpty())
        return state + QStringLiteral("/redis");
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation)
        + QStringLiteral("/Redrive/redis");
}

bool EmbeddedRedis::claim(QString *error)
{
    if (m_lock)
        return true;
    if (!QDir().mkpath(m_dataDirectory)) {
        *error = QStringLiteral("cannot create the embedded Redis folder %1").arg(m_dataDirectory);
        return false;
    }
    QFile::setPermissions(m_dataDirectory, QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
    m_lock = std::make_unique<QLockFile>(m_dataDirectory + QStringLiteral("/redrive.lock"));
    m_lock->setStaleLockTime(0);
    if (!m_lock->tryLock(0)) {
        qint64 pid = 0;
        QString host, app;
        m_lock->getLockInfo(&pid, &host, &app);
        const QString socket = m_dataDirectory + QStringLiteral("/redis.sock");
        *error = QStringLiteral("Another Redrive (pid %1) is already running the embedded Redis "
                                "in %2. Close it first, or let this one use the same Redis: "
                                "--redis unix://%3 (the Redis URL setting); or give this one its "
                                "own --data-dir.")
                     .arg(pid)
                     .arg(m_dataDirectory, socket);
        m_lock.reset();
        return false;
    }
    return true;
}

bool EmbeddedRedis::start(QString *error, int readyTimeoutMs)
{
    if (!claim(error))
        return false;
    m_readyTimeoutMs = readyTimeoutMs;

    QStringList args { QStringLiteral("--dir"),
                       m_dataDirectory,
                       QStringLiteral("--appendonly"),
                       QStringLiteral("yes"),
                       QStringLiteral("--appendfsync"),
                       QStringLiteral("everysec"),
                       QStringLiteral("--save"),
                       QString(),
                       QStringLiteral("--daemonize"),
                       QStringLiteral("no"),
                       QStringLiteral("--logfile"),
                       QStringLiteral("redis.log"),
                       QStringLiteral("--protected-mode"),
                       QStringLiteral("yes") };
    const QString socketPath = m_dataDirectory + QStringLiteral("/redis.sock");
    if (socketPath.toLocal8Bit().size() <= MaxSocketPath) {
        m_endpoint.unixSocket = socketPath;
        // A socket left by a server that was killed would answer "exists" before the new one
        // listens; the lock says no other server of ours uses it.
        QFile::remove(socketPath);
        args << QStringLiteral("--port") << QStringLiteral("0") << QStringLiteral("--unixsocket")
             << socketPath << QStringLiteral("--unixsocketperm") << QStringLiteral("700");
    } else {
        // Socket paths are short: fall back to a free loopback port.
        QTcpServer probe;
        probe.listen(QHostAddress::LocalHost, 0);
        m_endpoint.host = QStringLiteral("127.0.0.1");
        m_endpoint.port = probe.serverPort();
        probe.close();
        args << QStringLiteral("--port") << QString::number(m_endpoint.port)
             << QStringLiteral("--bind") << QStringLiteral("127.0.0.1");
    }

    m_process = std::make_unique<QProcess>();
    m_process->setProgram(m_program);
    m_process->setArguments(args);
    m_process->setWorkingDirectory(m_dataDirectory);
    m_process->setStandardOutputFile(QProcess::nullDevice());
    m_process->setStandardErrorFile(QProcess::nullDevice());
    // The signal comes when the *thread* that started the child ends: the engine's thread,
    // which ends only after the engine (and this object, which stops the server) is gone, or
    // when the whole process dies.
    m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
    connect(m_process.get(), &QProcess::finished, this, [this](int code, QProcess::ExitStatus) {
        if (m_stopping)
            return;
        Q_EMIT exitedUnexpectedly(QStringLiteral("the embedded redis-server exited (code %1)%2")
                                      .arg(code)
                                      .arg(logTail()));
    });
    m_process->start();
    if (!m_process->waitForStarted(5000)) {
        const bool missing = m_process->error() == QProcess::FailedToStart;
        *error = missing
            ? QStringLiteral("cannot start \"%1\": redis-server is not installed. Install it "
                             "(Debian/Ubuntu: sudo apt-get install redis-server) or point Redrive "
                             "at a Redis with --redis URL.")
                  .arg(m_program)
            : QStringLiteral("cannot start \"%1\": %2").arg(m_program, m_process->errorString());
        m_process.reset();
        m_lock.reset();
        return false;
    }
    m_ready = false;
    m_startFailedSent = false;
    m_probeTimer.setInterval(ProbeIntervalMs);
    m_sinceStart.start();
    probe();
    return true;
}

void EmbeddedRedis::probe()
{
    if (!isRunning() || m_ready)
        return; // exitedUnexpectedly() says why it stopped
    if (m_sinceStart.elapsed() > m_readyTimeoutMs && !m_startFailedSent) {
        m_startFailedSent = true; // said once; the probes go on, a late start is still welcome
        m_probeTimer.setInterval(1000);
        Q_EMIT startFailed(
            QStringLiteral("the embedded redis-server has not accepted a connection on %1 after "
                           "%2 s%3")
                .arg(m_endpoint.displayUrl())
                .arg(m_readyTimeoutMs / 1000)
                .arg(logTail()));
    }
    // A connection that succeeds is the proof (the socket file alone may exist a moment before
    // the server listens on it); it is closed at once. An attempt gets ProbeTimeoutMs to end
    // one way or the other.
    QIODevice *socket = nullptr;
    auto finished = std::make_shared<bool>(false);
    const auto answered = [this, finished](QIODevice *device, bool connected) {
        if (std::exchange(*finished, true))
            return;
        device->deleteLater();
        if (connected) {
            m_ready = true;
            Q_EMIT ready();
        } else {
            m_probeTimer.start();
        }
    };
    if (!m_endpoint.unixSocket.isEmpty()) {
        auto *local = new QLocalSocket(this);
        socket = local;
        connect(local, &QLocalSocket::connected, this, [local, answered] {
            local->abort();
            answered(local, true);
        });
        connect(local, &QLocalSocket::errorOccurred, this,
                [local, answered] { answered(local, false); });
        local->connectToServer(m_endpoint.unixSocket);
    } else {
        auto *tcp = new QTcpSocket(this);
        socket = tcp;
        connect(tcp, &QTcpSocket::connected, this, [tcp, answered] {
            tcp->abort();
            answered(tcp, true);
        });
        connect(tcp, &QTcpSocket::errorOccurred, this, [tcp, answered] { answered(tcp, false); });
        tcp->connectToHost(QHostAddress::LocalHost, m_endpoint.port);
    }
    QTimer::singleShot(ProbeTimeoutMs, socket, [socket, answered] { answered(socket, false); });
}

QString EmbeddedRedis::logTail() const
{
    QFile log(m_dataDirectory + QStringLiteral("/redis.log"));
    if (!log.open(QIODevice::ReadOnly))
        return {};
    if (log.size() > 2000)
        log.seek(log.size() - 2000);
    const QList<QByteArray> lines = log.readAll().trimmed().split('\n');
    return lines.isEmpty() ? QString()
                           : QStringLiteral(": %1").arg(QString::fromUtf8(lines.last()).trimmed());
}

void EmbeddedRedis::stop()
{
    m_probeTimer.stop();
    if (m_process) {
        m_stopping = true;
        if (m_process->state() != QProcess::NotRunning) {
            // SIGTERM: redis flushes the AOF and removes its socket before it exits.
            m_process->terminate();
            if (!m_process->waitForFinished(10000)) {
                m_process->kill();
                m_process->waitForFinished(2000);
            }
        }
        m_process.reset();
        m_stopping = false;
    }
    m_lock.reset();
}

bool EmbeddedRedis::isRunning() const
{
    return m_process && m_process->state() == QProcess::Running;
}

} // namespace redrive::core
