// SPDX-License-Identifier: MIT
#include "tests/support/redisserver.h"

#include "tests/support/testenv.h"

#include <QDeadlineTimer>
#include <QFile>
#include <QTcpSocket>
#include <QThread>

#include <csignal>
#include <sys/prctl.h>

namespace redrive::tests {

namespace {

bool readLine(QTcpSocket &socket, QByteArray *line)
{
    while (!socket.canReadLine()) {
        if (!socket.waitForReadyRead(5000))
            return false;
    }
    *line = socket.readLine();
    line->chop(2);
    return true;
}

QVariant readReply(QTcpSocket &socket)
{
    QByteArray line;
    if (!readLine(socket, &line) || line.isEmpty())
        return QStringLiteral("ERR no reply");
    const char kind = line.at(0);
    const QByteArray rest = line.mid(1);
    switch (kind) {
    case '+':
        return rest;
    case '-':
        return QString::fromUtf8(rest);
    case ':':
        return rest.toLongLong();
    case '$': {
        const qlonglong length = rest.toLongLong();
        if (length < 0)
            return {};
        while (socket.bytesAvailable() < length + 2) {
            if (!socket.waitForReadyRead(5000))
                return QStringLiteral("ERR short read");
        }
        QByteArray data = socket.read(length);
        socket.read(2);
        return data;
    }
    case '*': {
        const qlonglong count = rest.toLongLong();
        if (count < 0)
            return {};
        QVariantList list;
        for (qlonglong i = 0; i < count; ++i)
            list.append(readReply(socket));
        return list;
    }
    default:
        return QStringLiteral("ERR bad reply");
    }
}

} // namespace

RedisServer::RedisServer() = default;

RedisServer::~RedisServer()
{
    stop();
}

bool RedisServer::start(const QStringList &extraArgs)
{
    // A port this server picked itself is picked again when another process took it first; a
    // restart keeps its port.
    const bool ownPort = m_port == 0;
    for (int attempt = 1;; ++attempt) {
        if (ownPort)
            m_port = freeLoopbackPort();
        QStringList args { QStringLiteral("--port"),       QString::number(m_port),
                           QStringLiteral("--bind"),       QStringLiteral("127.0.0.1"),
                           QStringLiteral("--save"),       QString(),
                           QStringLiteral("--appendonly"), QStringLiteral("no"),
                           QStringLiteral("--dir"),        m_dir.path() };
        args.append(extraArgs);
        if (launch(args))
            return true;
        if (!ownPort || !m_portTaken || attempt == MaxStartAttempts)
            return false;
    }
}

bool RedisServer::startSentinel(const QString &config)
{
    const bool ownPort = m_port == 0;
    for (int attempt = 1;; ++attempt) {
        if (ownPort) {
            m_port = freeLoopbackPort();
            QFile::remove(m_dir.filePath(QStringLiteral("sentinel.conf")));
        }
        if (launchSentinel(config))
            return true;
        if (!ownPort || !m_portTaken || attempt == MaxStartAttempts)
            return false;
    }
}

bool RedisServer::launchSentinel(const QString &config)
{
    m_portTaken = false;
    const QString path = m_dir.filePath(QStringLiteral("sentinel.conf"));
    if (!QFile::exists(path)) {
        QFile file(path);
        const QString text = QStringLiteral("port %1\nbind 127.0.0.1\ndir %2\n%3\n")
                                 .arg(m_port)
                                 .arg(m_dir.path(), config);
        if (!file.open(QIODevice::WriteOnly) || file.write(text.toUtf8()) < 0) {
            m_error = QStringLiteral("cannot write %1").arg(path);
            return false;
        }
    }
    return launch({ path, QStringLiteral("--sentinel") });
}

bool RedisServer::launch(const QStringList &args)
{
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::ForwardedErrorChannel);
    m_process->setStandardOutputFile(QProcess::nullDevice());
    m_process->setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGTERM); });
    m_portTaken = false;
    m_process->start(QStringLiteral("redis-server"), args);
    if (!m_process->waitForStarted(5000)) {
        m_error = QStringLiteral("redis-server did not start: %1").arg(m_process->errorString());
        return false;
    }
    QDeadlineTimer deadline(10000);
    while (!deadline.hasExpired()) {
        QTcpSocket socket;
        socket.connectToHost(QHostAddress::LocalHost, m_port);
        if (socket.waitForConnected(200)) {
            socket.write("PING\r\n");
            QByteArray line;
            if (readLine(socket, &line) && line.startsWith("-NOAUTH"))
                return true; // a password is set: INFO would be refused too
            if (line == "+PONG") {
                if (answersFromOurProcess(socket))
                    return true;
                // Another test's server holds the port; ours cannot bind it and exits.
                m_error = QStringLiteral("port %1 is taken by another redis-server").arg(m_port);
                m_portTaken = true;
                kill();
                return false;
            }
        }
        // Waiting for the process (not sleeping) is what lets QProcess see that it exited.
        if (m_process->waitForFinished(20)) {
            m_error = QStringLiteral("redis-server exited at start with code %1 (port %2 taken?)")
                          .arg(m_process->exitCode())
                          .arg(m_port);
            m_portTaken = true;
            return false;
        }
    }
    m_error = QStringLiteral("redis-server did not answer PING within 10 s");
    return false;
}

bool RedisServer::answersFromOurProcess(QTcpSocket &socket) const
{
    socket.write("INFO server\r\n");
    const QByteArray info = readReply(socket).toByteArray();
    const qsizetype at = info.indexOf("process_id:");
    if (at < 0)
        return true; // not an answer to judge by
    const qsizetype end = info.indexOf('\r', at);
    const qint64 pid = info.mid(at + 11, end - at - 11).toLongLong();
    return pid == m_process->processId();
}

void RedisServer::stop()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->terminate();
        if (!m_process->waitForFinished(5000)) {
            m_process->kill();
            m_process->waitForFinished(2000);
        }
    }
    m_process.reset();
}

void RedisServer::kill()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(5000);
    }
    m_process.reset();
}

bool RedisServer::makeTlsFiles()
{
    const auto openssl = [this](const QStringList &args) {
        QProcess process;
        process.setWorkingDirectory(m_dir.path());
        process.setProcessChannelMode(QProcess::MergedChannels);
        process.start(QStringLiteral("openssl"), args);
        if (!process.waitForFinished(60000) || process.exitStatus() != QProcess::NormalExit
            || process.exitCode() != 0) {
            m_error
                = QStringLiteral("openssl %1 failed: %2")
                      .arg(args.join(QLatin1Char(' ')), QString::fromLocal8Bit(process.readAll()));
            return false;
        }
        return true;
    };
    const QStringList newKey { QStringLiteral("-newkey"), QStringLiteral("ec"),
                               QStringLiteral("-pkeyopt"),
                               QStringLiteral("ec_paramgen_curve:prime256v1"),
                               QStringLiteral("-nodes") };
    const auto selfSigned
        = [&](const QString &name, const QString &subject, const QString &extension) {
              return openssl(QStringList { QStringLiteral("req"), QStringLiteral("-x509") } + newKey
                             + QStringList { QStringLiteral("-keyout"),
                                             name + QStringLiteral(".key"), QStringLiteral("-out"),
                                             name + QStringLiteral(".pem"), QStringLiteral("-days"),
                                             QStringLiteral("3"), QStringLiteral("-subj"), subject,
                                             QStringLiteral("-addext"), extension });
          };
    const auto signedByCa = [&](const QString &name, const QString &extensions) {
        QFile ext(tlsFile(name + QStringLiteral(".ext")));
        if (!ext.open(QIODevice::WriteOnly) || ext.write(extensions.toUtf8()) < 0)
            return false;
        ext.close();
        return openssl(QStringList { QStringLiteral("req") } + newKey
                       + QStringList { QStringLiteral("-keyout"), name + QStringLiteral(".key"),
                                       QStringLiteral("-out"), name + QStringLiteral(".csr"),
                                       QStringLiteral("-subj"), QStringLiteral("/CN=") + name })
            && openssl({ QStringLiteral("x509"), QStringLiteral("-req"), QStringLiteral("-in"),
                         name + QStringLiteral(".csr"), QStringLiteral("-CA"),
                         QStringLiteral("ca.pem"), QStringLiteral("-CAkey"),
                         QStringLiteral("ca.key"), QStringLiteral("-CAcreateserial"),
                         QStringLiteral("-out"), name + QStringLiteral(".pem"),
                         QStringLiteral("-days"), QStringLiteral("3"), QStringLiteral("-extfile"),
                         name + QStringLiteral(".ext") });
    };
    const QString caExtension = QStringLiteral("basicConstraints=critical,CA:TRUE");
    return selfSigned(QStringLiteral("ca"), QStringLiteral("/CN=Redrive test CA"), caExtension)
        && selfSigned(QStringLiteral("other-ca"), QStringLiteral("/CN=Some other CA"), caExtension)
        && selfSigned(QStringLiteral("selfsigned"), QStringLiteral("/CN=self-signed Redis"),
                      QStringLiteral("subjectAltName=IP:127.0.0.1"))
        && signedByCa(QStringLiteral("server"),
                      QStringLiteral("subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                     "extendedKeyUsage=serverAuth\n"))
        && signedByCa(QStringLiteral("named"),
                      QStringLiteral("subjectAltName=DNS:redis.test\n"
                                     "extendedKeyUsage=serverAuth\n"))
        && signedByCa(QStringLiteral("client"),
                      QStringLiteral("subjectAltName=DNS:redrive-client\n"
                                     "extendedKeyUsage=clientAuth\n"));
}

QString RedisServer::tlsFile(const QString &name) const
{
    return m_dir.filePath(name);
}

QStringList RedisServer::tlsArgs(const QString &name, bool requireClientCertificate,
                                 const RedisServer *files)
{
    if (m_tlsPort == 0)
        m_tlsPort = freeLoopbackPort();
    const RedisServer &from = files ? *files : *this;
    return { QStringLiteral("--tls-port"),
             QString::number(m_tlsPort),
             QStringLiteral("--tls-cert-file"),
             from.tlsFile(name + QStringLiteral(".pem")),
             QStringLiteral("--tls-key-file"),
             from.tlsFile(name + QStringLiteral(".key")),
             QStringLiteral("--tls-ca-cert-file"),
             from.tlsFile(QStringLiteral("ca.pem")),
             QStringLiteral("--tls-auth-clients"),
             requireClientCertificate ? QStringLiteral("yes") : QStringLiteral("no") };
}

QString RedisServer::sentinelTlsConfig(const RedisServer &files, const QString &name)
{
    if (m_tlsPort == 0)
        m_tlsPort = freeLoopbackPort();
    return QStringLiteral("tls-port %1\ntls-cert-file %2\ntls-key-file %3\n"
                          "tls-ca-cert-file %4\ntls-auth-clients no\ntls-replication yes\n")
        .arg(m_tlsPort)
        .arg(files.tlsFile(name + QStringLiteral(".pem")),
             files.tlsFile(name + QStringLiteral(".key")),
             files.tlsFile(QStringLiteral("ca.pem")));
}

qint64 RedisServer::pid() const
{
    return isRunning() ? m_process->processId() : 0;
}

bool RedisServer::isRunning() const
{
    return m_process && m_process->state() == QProcess::Running;
}

QVariant RedisServer::command(const QList<QByteArray> &args) const
{
    QTcpSocket socket;
    socket.connectToHost(QHostAddress::LocalHost, m_port);
    if (!socket.waitForConnected(5000))
        return QStringLiteral("ERR cannot connect");
    QByteArray request = "*" + QByteArray::number(args.size()) + "\r\n";
    for (const QByteArray &arg : args)
        request += "$" + QByteArray::number(arg.size()) + "\r\n" + arg + "\r\n";
    socket.write(request);
    socket.waitForBytesWritten(5000);
    return readReply(socket);
}

qlonglong RedisServer::llen(const QByteArray &key) const
{
    return command({ "LLEN", key }).toLongLong();
}

QList<QByteArray> RedisServer::lrange(const QByteArray &key, int start, int stop) const
{
    QList<QByteArray> result;
    const QVariantList list
        = command({ "LRANGE", key, QByteArray::number(start), QByteArray::number(stop) }).toList();
    for (const QVariant &item : list)
        result.append(item.toByteArray());
    return result;
}

void RedisServer::lpush(const QByteArray &key, const QByteArray &value) const
{
    command({ "LPUSH", key, value });
}

void RedisServer::flushAll() const
{
    command({ "FLUSHALL" });
}

} // namespace redrive::tests
