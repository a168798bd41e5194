// SPDX-License-Identifier: MIT
#include "tests/support/testenv.h"

#include <QFile>
#include <QHostAddress>
#include <QRandomGenerator>
#include <QTcpServer>

namespace redrive::tests {

QString redriveBinary()
{
    return qEnvironmentVariable("REDRIVE_BINARY");
}

QString testDataPath(const QString &name)
{
    return qEnvironmentVariable("REDRIVE_TEST_DATA") + QLatin1Char('/') + name;
}

QByteArray sampleNotification()
{
    QFile file(testDataPath(QStringLiteral("genesys-notification.json")));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll().trimmed();
}

quint16 freeLoopbackPort()
{
    // Linux's default ephemeral range starts at 32768; 20000-32767 lies below it and above the
    // ports services usually take.
    constexpr quint16 First = 20000;
    constexpr quint16 Count = 12768;
    for (int attempt = 0; attempt < 200; ++attempt) {
        const auto port = quint16(First + QRandomGenerator::global()->bounded(Count));
        QTcpServer probe;
        if (probe.listen(QHostAddress::LocalHost, port))
            return port;
    }
    QTcpServer probe; // that range is full: take one the kernel picks
    return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : 0;
}

} // namespace redrive::tests
