// SPDX-License-Identifier: MIT
#include "core/engine/embeddedredis.h"

#include <QDir>
#include <QFile>
#include <QStandardPaths>
#include <QTcpServer>

#include <csignal>
#include <sys/prctl.h>

namespace redrive::core {

namespace {
// sockaddr_un holds 108 bytes including the terminator.
constexpr qsizetype MaxSocketPath = 100;
} // namespace

EmbeddedRedis::EmbeddedRedis(const QString &program, const QString &dataDirectory, QObject *parent)
    : QObject(parent)
    , m_program(program)
    , m_dataDirectory(dataDirectory.isEmpty() ? defaultDataDirectory() : dataDirectory)
{ }

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

bool EmbeddedRedis::start(QString *error)
{
    if (!claim(error))
        return false;

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
    return true;
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
