// SPDX-License-Identifier: MIT
#include "core/redis/redisendpoint.h"

#include "core/settings/redactedurl.h"

#include <QUrl>
#include <QUrlQuery>

namespace redrive::core {

bool RedisEndpoint::parse(const QString &text, RedisEndpoint *endpoint, QString *error)
{
    RedisEndpoint result;
    const QUrl url(text.trimmed(), QUrl::StrictMode);
    if (!url.isValid() || url.scheme().isEmpty()) {
        *error
            = QStringLiteral("Redis URL \"%1\" is not valid: expected redis://[user@]host:port/db, "
                             "rediss://[user@]host:port/db or unix:///path/to/redis.sock")
                  .arg(redactedUrl(text));
        return false;
    }
    const QString scheme = url.scheme().toLower();
    if (scheme == QLatin1String("unix")) {
        if (url.path().isEmpty()) {
            *error = QStringLiteral("Redis URL \"%1\" names no socket path").arg(redactedUrl(text));
            return false;
        }
        result.unixSocket = url.path();
        const QString db = QUrlQuery(url).queryItemValue(QStringLiteral("db"));
        if (!db.isEmpty()) {
            bool ok = false;
            result.database = db.toInt(&ok);
            if (!ok || result.database < 0) {
                *error = QStringLiteral("Redis URL \"%1\": db must be a number >= 0")
                             .arg(redactedUrl(text));
                return false;
            }
        }
    } else if (scheme == QLatin1String("redis") || scheme == QLatin1String("rediss")) {
        result.tls = scheme == QLatin1String("rediss");
        if (url.host().isEmpty()) {
            *error = QStringLiteral("Redis URL \"%1\" names no host").arg(redactedUrl(text));
            return false;
        }
        result.host = url.host();
        const int port = url.port(6379);
        if (port < 1 || port > 65535) {
            *error
                = QStringLiteral("Redis URL \"%1\": port must be 1-65535").arg(redactedUrl(text));
            return false;
        }
        result.port = quint16(port);
        QString path = url.path();
        if (path.startsWith(QLatin1Char('/')))
            path.remove(0, 1);
        if (!path.isEmpty()) {
            bool ok = false;
            result.database = path.toInt(&ok);
            if (!ok || result.database < 0) {
                *error = QStringLiteral("Redis URL \"%1\": the database after the last / must be "
                                        "a number >= 0")
                             .arg(redactedUrl(text));
                return false;
            }
        }
    } else {
        *error = QStringLiteral("Redis URL \"%1\": scheme must be redis://, rediss:// or unix://")
                     .arg(redactedUrl(text));
        return false;
    }
    result.user = url.userName();
    result.password = url.password();
    *endpoint = result;
    return true;
}

QString RedisEndpoint::displayUrl() const
{
    if (isUnix())
        return QStringLiteral("unix://%1%2")
            .arg(unixSocket, database ? QStringLiteral("?db=%1").arg(database) : QString());
    // The user goes through the one redaction like every URL shown; the password is never put in.
    const QString userPart = user.isEmpty() ? QString() : user + QLatin1Char('@');
    const QString hostPart
        = host.contains(QLatin1Char(':')) ? QStringLiteral("[%1]").arg(host) : host;
    return redactedUrl(
        QStringLiteral("%1://%2%3:%4/%5")
            .arg(tls ? QLatin1String("rediss") : QLatin1String("redis"), userPart, hostPart)
            .arg(port)
            .arg(database));
}

} // namespace redrive::core
