// SPDX-License-Identifier: MIT
// Issue 10, defect 4: a password (and user) written into any source of the Redis URL — the
// settings file, REDRIVE_REDIS_URL, --redis — shows nowhere: not in --print-config, not in the
// start-up warnings or errors, not in the log of a running `redrive --headless`, not in /healthz
// or /metrics.
#include "tests/support/redriveprocess.h"

#include <QDir>
#include <QFile>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

using redrive::tests::RedriveProcess;

namespace {

const QByteArray Password = "pw-Q8v2Lm";
const QByteArray User = "usr-R4t6";

enum class Source { File, Environment, Flag };

quint16 closedPort()
{
    QTcpServer probe; // free now, and nothing listens there once it is closed
    return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : 0;
}

} // namespace

class TestSecretsInOutput : public QObject
{
    Q_OBJECT

private:
    // Starts redrive with `url` put into `source`; `extra` are more arguments.
    static std::unique_ptr<RedriveProcess> run(const QTemporaryDir &home, Source source,
                                               const QString &url, const QStringList &extra,
                                               QProcessEnvironment env = {})
    {
        QStringList args = extra;
        switch (source) {
        case Source::File: {
            QDir().mkpath(home.filePath(QStringLiteral("config/Redrive")));
            QFile file(home.filePath(QStringLiteral("config/Redrive/redrive.ini")));
            if (file.open(QIODevice::WriteOnly))
                file.write("[redis]\nurl=" + url.toUtf8() + "\n");
            break;
        }
        case Source::Environment:
            env.insert(QStringLiteral("REDRIVE_REDIS_URL"), url);
            break;
        case Source::Flag:
            args << QStringLiteral("--redis") << url;
            break;
        }
        return std::make_unique<RedriveProcess>(home.path(), args, env);
    }

    static void verifyClean(const QByteArray &output, const char *where)
    {
        QVERIFY2(!output.contains(Password) && !output.contains(User),
                 qPrintable(QStringLiteral("%1 shows the user-info:\n%2")
                                .arg(QLatin1String(where), QString::fromUtf8(output))));
    }

private Q_SLOTS:
    void nowhere_data()
    {
        QTest::addColumn<int>("source");
        QTest::addColumn<QString>("url");
        const quint16 port = closedPort();
        const QString valid = QStringLiteral("redis://%1:%2@127.0.0.1:%3/0")
                                  .arg(QLatin1String(User), QLatin1String(Password))
                                  .arg(port);
        const QString invalid = QStringLiteral("redis://%1:%2@127.0.0.1:notaport/0")
                                    .arg(QLatin1String(User), QLatin1String(Password));
        const QString userOnly
            = QStringLiteral("redis://%1@127.0.0.1:%2/0").arg(QLatin1String(User)).arg(port);
        const QList<std::pair<const char *, Source>> sources { { "file", Source::File },
                                                               { "env", Source::Environment },
                                                               { "flag", Source::Flag } };
        for (const auto &[name, source] : sources) {
            QTest::addRow("%s, password", name) << int(source) << valid;
            QTest::addRow("%s, invalid URL", name) << int(source) << invalid;
            QTest::addRow("%s, user", name) << int(source) << userOnly;
        }
    }

    void nowhere()
    {
        QFETCH(int, source);
        QFETCH(QString, url);
        {
            QTemporaryDir home;
            auto printed = run(home, Source(source), url, { QStringLiteral("--print-config") });
            QVERIFY(printed->process.waitForFinished(20000));
            printed->log += printed->process.readAll();
            // The settings, or (a URL from the environment or a flag that is refused) the error.
            QVERIFY2(printed->log.contains("redis/url = ") || printed->log.startsWith("redrive: "),
                     printed->log.constData());
            verifyClean(printed->log, "--print-config");
        }
        {
            QTemporaryDir home;
            // The password from the environment too: a login that fails must not show it either.
            QProcessEnvironment env;
            env.insert(QStringLiteral("REDRIVE_REDIS_PASSWORD"), QString::fromLatin1(Password));
            auto headless = run(home, Source(source), url, {}, env);
            const bool started = headless->waitFor("receiving deliveries at");
            if (started) {
                // Long enough for the connection to fail and say so, then every endpoint.
                QByteArray health;
                QTRY_VERIFY_WITH_TIMEOUT(!(health = headless->get("/healthz")).isEmpty(), 20000);
                headless->collect(1500);
                health = headless->get("/healthz");
                verifyClean(health, "/healthz");
                // Nor where Redis is: the port is public behind a tunnel.
                const int port = QUrl(url).port();
                QVERIFY2(port <= 0 || !health.contains(':' + QByteArray::number(port)),
                         health.constData());
                QVERIFY2(!health.contains("redis://"), health.constData());
                verifyClean(headless->get("/metrics"), "/metrics");
                headless->process.terminate();
            }
            if (headless->process.state() != QProcess::NotRunning)
                QVERIFY(headless->process.waitForFinished(20000));
            headless->log += headless->process.readAll();
            verifyClean(headless->log, "the log of --headless");
        }
    }
};

QTEST_GUILESS_MAIN(TestSecretsInOutput)
#include "tst_secretsinoutput.moc"
