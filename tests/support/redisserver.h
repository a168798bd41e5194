// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <QVariant>

#include <memory>

class QTcpSocket;

namespace redrive::tests {

// A private redis-server on a free loopback port, for one test process. It dies with the test
// (PR_SET_PDEATHSIG), keeps no data on disk and can be stopped and started again on the same
// port to play a Redis outage.
class RedisServer
{
public:
    RedisServer();
    ~RedisServer();
    RedisServer(const RedisServer &) = delete;
    RedisServer &operator=(const RedisServer &) = delete;

    bool start(const QStringList &extraArgs = {});
    // Starts a sentinel: writes sentinel.conf (port, bind, dir, then `config`) in this server's
    // temporary folder (a sentinel rewrites its file) and runs `redis-server sentinel.conf
    // --sentinel`. Started again, it keeps what it learnt.
    bool startSentinel(const QString &config);
    void stop();
    // Ends the server with SIGKILL, as a crash would: with "--appendonly yes --appendfsync
    // always" every write it confirmed is still there after start().
    void kill();
    bool isRunning() const;
    // The server process, to pause it (SIGSTOP/SIGCONT); 0 when none runs.
    qint64 pid() const;
    quint16 port() const { return m_port; }
    QString url() const { return QStringLiteral("redis://127.0.0.1:%1/0").arg(m_port); }
    QString errorString() const { return m_error; }

    // TLS. makeTlsFiles() writes, with `openssl` in this server's temporary folder, a test CA,
    // a second CA that signed nothing here, and certificates (PEM, EC keys) signed by the first
    // CA: "server" for 127.0.0.1 and localhost, "named" for redis.test only, "client" for
    // client authentication; and "selfsigned", a server certificate for 127.0.0.1 that no CA
    // signed. tlsArgs() gives start() a TLS port (tlsPort(), beside the plain one that
    // command() uses) serving certificate `name`.
    bool makeTlsFiles();
    QString tlsFile(const QString &name) const; // e.g. "ca.pem", "client.key"
    // `files`: another server whose makeTlsFiles() made them (one CA for several servers).
    QStringList tlsArgs(const QString &name = QStringLiteral("server"),
                        bool requireClientCertificate = false,
                        const RedisServer *files = nullptr);
    quint16 tlsPort() const { return m_tlsPort; }
    // For a sentinel (startSentinel()'s `config`): a TLS port of its own (tlsPort()) serving
    // certificate `name` of `files` (made by its makeTlsFiles()), and TLS to the servers it
    // watches (tls-replication), trusting that server's test CA.
    QString sentinelTlsConfig(const RedisServer &files,
                              const QString &name = QStringLiteral("server"));
    QString tlsUrl() const { return QStringLiteral("rediss://127.0.0.1:%1/0").arg(m_tlsPort); }

    // Blocking RESP round trip for assertions. Returns a QByteArray for bulk/status replies, a
    // qlonglong for integers, a QVariantList for arrays, an invalid QVariant for nil, and a
    // QString "ERR ..." (wrapped as RedisError) for errors.
    QVariant command(const QList<QByteArray> &args) const;
    qlonglong llen(const QByteArray &key) const;
    QList<QByteArray> lrange(const QByteArray &key, int start = 0, int stop = -1) const;
    void lpush(const QByteArray &key, const QByteArray &value) const;
    void flushAll() const;

private:
    static constexpr int MaxStartAttempts = 5;
    bool launch(const QStringList &args);
    bool launchSentinel(const QString &config);
    // Whether the server that answered on port() is the process this object started.
    bool answersFromOurProcess(QTcpSocket &socket) const;

    std::unique_ptr<QProcess> m_process;
    QTemporaryDir m_dir;
    quint16 m_port = 0;
    quint16 m_tlsPort = 0;
    bool m_portTaken = false; // the last start failed because another process held a port
    QString m_error;
};

} // namespace redrive::tests
