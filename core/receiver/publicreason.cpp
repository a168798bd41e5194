// SPDX-License-Identifier: MIT
#include "core/receiver/publicreason.h"

#include <QRegularExpression>

namespace redrive::core {

QString publicRedisReason(const QString &reason)
{
    // "Redis at <url>[ (<host:port>)]", as the connection writes its reasons: the place goes,
    // the sentence stays.
    static const QRegularExpression at(QStringLiteral(
        R"(\s+at\s+[A-Za-z][A-Za-z0-9+.\-]*://\S*?(?:\s+\([^)]*\))?(?=:\s|:$|\s|$))"));
    static const QRegularExpression leftovers[] = {
        // any other URL (scheme://...) and user@host
        QRegularExpression(QStringLiteral(R"([A-Za-z][A-Za-z0-9+.\-]*://\S*)")),
        QRegularExpression(QStringLiteral(R"(\S*@\S+)")),
        // [IPv6]:port, IPv4, host:port
        QRegularExpression(QStringLiteral(R"(\[[0-9A-Fa-f:.%\w]*\](?::\d+)?)")),
        QRegularExpression(QStringLiteral(R"(\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b)")),
        QRegularExpression(QStringLiteral(R"(\b[A-Za-z0-9_.\-]+:\d{1,5}\b)")),
        // an absolute file path (a Unix socket, a certificate file)
        QRegularExpression(QStringLiteral(R"((?:^|(?<=[\s(]))/[^\s:,)]+)")),
    };
    // Redis' ACL refusals name the user: "NOPERM User alice has no permissions ..."
    static const QRegularExpression user(QStringLiteral(R"(\b([Uu]ser)\s+(?!has\b|is\b|or\b)\S+)"));
    QString text = reason;
    text.replace(at, QString());
    for (const QRegularExpression &pattern : leftovers)
        text.replace(pattern, QStringLiteral("(hidden)"));
    text.replace(user, QStringLiteral("\\1 (hidden)"));
    text = text.simplified();
    return text.isEmpty() ? QStringLiteral("no connection to Redis") : text;
}

} // namespace redrive::core
