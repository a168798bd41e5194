// SPDX-License-Identifier: MIT
#include "core/redis/redisendpoint.h"

#include "core/settings/redactedurl.h"

#include <QUrl>
#include <QUrlQuery>

namespace redrive::core {

namespace {
constexpr quint16 SentinelPort = 26379;

// `scheme://[user[:password]@]host:port[,host:port...][/path]` (Sentinel, Cluster): QUrl takes
// one host only, so the parts are taken apart here; each host:port still goes through QUrl.
// Sets the user, password and seeds of `result`, and `path` to what follows the first '/'.
bool parseHostList(const QString &text, const QString &scheme, quint16 defaultPort,
                   const QString &what, RedisEndpoint *result, QString *path, QString *error)
{
    QString rest = text.mid(scheme.size() + 3); // after "scheme://"
    const qsizetype at = rest.lastIndexOf(QLatin1Char('@'));
    if (at >= 0) {
        const QString userInfo = rest.left(at);
        const qsizetype colon = userInfo.indexOf(QLatin1Char(':'));
        result->user = QUrl::fromPercentEncoding(userInfo.left(colon).toUtf8());
        if (colon >= 0)
            result->password = QUrl::fromPercentEncoding(userInfo.mid(colon + 1).toUtf8());
        rest.remove(0, at + 1);
    }
    const qsizetype slash = rest.indexOf(QLatin1Char('/'));
    const QString hosts = rest.left(slash);
    *path = slash < 0 ? QString() : rest.mid(slash + 1);
    for (const QString &entry : hosts.split(QLatin1Char(','))) {
        const QUrl one(QStringLiteral("redis://") + entry.trimmed(), QUrl::StrictMode);
        const int port = one.port(defaultPort);
        if (entry.trimmed().isEmpty() || !one.isValid() || one.host().isEmpty()
            || !one.userInfo().isEmpty() || !one.path().isEmpty() || port < 1 || port > 65535) {
            *error = QStringLiteral("Redis URL \"%1\": \"%2\" is not a %3's host:port")
                         .arg(redactedUrl(text), entry, what);
            return false;
        }
        result->seeds.append({ one.host(), quint16(port) });
    }
    result->host = result->seeds.first().host;
    result->port = result->seeds.first().port;
    return true;
}

// `redis+sentinel://[user[:password]@]host:port[,host:port...]/MASTER_NAME[/db]`.
bool parseSentinel(const QString &text, const QString &scheme, RedisEndpoint *result,
                   QString *error)
{
    const QString shown = redactedUrl(text);
    QString path;
    if (!parseHostList(text, scheme, SentinelPort, QStringLiteral("sentinel"), result, &path,
                       error))
        return false;
    const QStringList parts = path.split(QLatin1Char('/'), Qt::SkipEmptyParts);
    if (parts.isEmpty() || parts.size() > 2) {
        *error = QStringLiteral("Redis URL \"%1\": expected %2://[user@]host:port[,host:port...]"
                                "/MASTER_NAME[/db], naming the primary the sentinels know")
                     .arg(shown, scheme);
        return false;
    }
    result->masterName = QUrl::fromPercentEncoding(parts.at(0).toUtf8());
    if (parts.size() == 2) {
        bool ok = false;
        result->database = parts.at(1).toInt(&ok);
        if (!ok || result->database < 0) {
            *error = QStringLiteral("Redis URL \"%1\": the database after the master name must "
                                    "be a number >= 0")
                         .arg(shown);
            return false;
        }
    }
    result->kind = RedisEndpoint::Kind::Sentinel;
    result->tls = scheme == QLatin1String("rediss+sentinel");
    return true;
}

// `redis+cluster://[user[:password]@]host:port[,host:port...][/0]`: seed nodes of a Redis
// Cluster, which has database 0 only.
bool parseCluster(const QString &text, const QString &scheme, RedisEndpoint *result, QString *error)
{
    QString path;
    if (!parseHostList(text, scheme, 6379, QStringLiteral("cluster node"), result, &path, error))
        return false;
    if (!path.isEmpty() && path != QLatin1String("0")) {
        *error = QStringLiteral("Redis URL \"%1\": a Redis Cluster has database 0 only: expected "
                                "%2://[user@]host:port[,host:port...]")
                     .arg(redactedUrl(text), scheme);
        return false;
    }
    result->kind = RedisEndpoint::Kind::Cluster;
    result->tls = scheme == QLatin1String("rediss+cluster");
    return true;
}
} // namespace

QString RedisAddress::toString() const
{
    return host.contains(QLatin1Char(':')) ? QStringLiteral("[%1]:%2").arg(host).arg(port)
                                           : QStringLiteral("%1:%2").arg(host).arg(port);
}

bool RedisEndpoint::parse(const QString &text, RedisEndpoint *endpoint, QString *error)
{
    RedisEndpoint result;
    const QString trimmed = text.trimmed();
    for (const QString &scheme :
         { QStringLiteral("redis+sentinel"), QStringLiteral("rediss+sentinel"),
           QStringLiteral("redis+cluster"), QStringLiteral("rediss+cluster") }) {
        if (trimmed.startsWith(scheme + QLatin1String("://"), Qt::CaseInsensitive)) {
            const bool ok = scheme.endsWith(QLatin1String("cluster"))
                ? parseCluster(trimmed, scheme, &result, error)
                : parseSentinel(trimmed, scheme, &result, error);
            if (!ok)
                return false;
            *endpoint = result;
            return true;
        }
    }
    const QUrl url(text.trimmed(), QUrl::StrictMode);
    if (!url.isValid() || url.scheme().isEmpty()) {
        *error
            = QStringLiteral("Redis URL \"%1\" is not valid: expected redis://[user@]host:port/db, "
                             "rediss://[user@]host:port/db, unix:///path/to/redis.sock or "
                             "redis+sentinel://host:port[,host:port...]/MASTER_NAME[/db] or "
                             "redis+cluster://host:port[,host:port...]")
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
        *error = QStringLiteral("Redis URL \"%1\": scheme must be redis://, rediss://, unix://, "
                                "redis+sentinel://, rediss+sentinel://, redis+cluster:// or "
                                "rediss+cluster://")
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
    if (kind == Kind::Cluster) {
        QStringList hosts;
        for (const RedisAddress &seed : seeds)
            hosts.append(seed.toString());
        return redactedUrl(
            QStringLiteral("%1://%2%3")
                .arg(tls ? QLatin1String("rediss+cluster") : QLatin1String("redis+cluster"),
                     userPart, hosts.join(QLatin1Char(','))));
    }
    if (kind == Kind::Sentinel) {
        QStringList hosts;
        for (const RedisAddress &seed : seeds)
            hosts.append(seed.toString());
        return redactedUrl(
            QStringLiteral("%1://%2%3/%4/%5")
                .arg(tls ? QLatin1String("rediss+sentinel") : QLatin1String("redis+sentinel"),
                     userPart, hosts.join(QLatin1Char(',')), masterName)
                .arg(database));
    }
    const QString hostPart
        = host.contains(QLatin1Char(':')) ? QStringLiteral("[%1]").arg(host) : host;
    return redactedUrl(
        QStringLiteral("%1://%2%3:%4/%5")
            .arg(tls ? QLatin1String("rediss") : QLatin1String("redis"), userPart, hostPart)
            .arg(port)
            .arg(database));
}

} // namespace redrive::core
