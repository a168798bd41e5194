// SPDX-License-Identifier: MIT
#include "tests/support/testenv.h"

#include <QFile>

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

} // namespace redrive::tests
