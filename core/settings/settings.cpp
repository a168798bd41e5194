// SPDX-License-Identifier: MIT
#include "core/settings/settings.h"

#include "core/redis/redisendpoint.h"
#include "core/settings/redactedurl.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QHostAddress>
#include <QRegularExpression>
#include <QSettings>
#include <QStandardPaths>
#include <QUrl>

namespace redrive::core {

namespace {

QString validateHttpUrl(const QVariant &value, bool allowEmpty)
{
    const QString text = value.toString();
    if (text.isEmpty())
        return allowEmpty ? QString() : QStringLiteral("must not be empty");
    const QUrl url(text, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty()
        || (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https")))
        return QStringLiteral("\"%1\" is not an http:// or https:// URL").arg(redactedUrl(text));
    return {};
}

std::function<QString(const QVariant &)> range(qint64 minimum, qint64 maximum)
{
    return [minimum, maximum](const QVariant &value) -> QString {
        const qint64 v = value.toLongLong();
        if (v < minimum || v > maximum)
            return QStringLiteral("%1 is out of range (%2 to %3)").arg(v).arg(minimum).arg(maximum);
        return {};
    };
}

// How a setting's value is shown (--print-config, warnings): URLs without their user-info.
QString shownValue(const SettingSpec &spec, const QString &value)
{
    return spec.valueName == QLatin1String("URL") ? redactedUrl(value) : value;
}

QString validateRedisKey(const QVariant &value)
{
    const QString text = value.toString();
    if (text.isEmpty())
        return QStringLiteral("a Redis key name must not be empty");
    if (text.contains(QRegularExpression(QStringLiteral("\\s"))))
        return QStringLiteral("\"%1\": a Redis key name here must not contain spaces").arg(text);
    return {};
}

const QStringList &regionNames()
{
    static const QStringList names {
        QStringLiteral("us-east-1"),      QStringLiteral("us-east-2"),
        QStringLiteral("us-west-2"),      QStringLiteral("ca-central-1"),
        QStringLiteral("sa-east-1"),      QStringLiteral("mx-central-1"),
        QStringLiteral("eu-west-1"),      QStringLiteral("eu-west-2"),
        QStringLiteral("eu-central-1"),   QStringLiteral("eu-central-2"),
        QStringLiteral("me-central-1"),   QStringLiteral("ap-south-1"),
        QStringLiteral("ap-southeast-1"), QStringLiteral("ap-southeast-2"),
        QStringLiteral("ap-northeast-1"), QStringLiteral("ap-northeast-2"),
        QStringLiteral("ap-northeast-3")
    };
    return names;
}

// Empty (not set) or a file that can be read.
QString validateReadableFile(const QVariant &value)
{
    const QString path = value.toString();
    if (path.isEmpty())
        return {};
    const QFileInfo info(path);
    if (!info.isFile() || !info.isReadable())
        return QStringLiteral("\"%1\" is not a readable file").arg(path);
    return {};
}

QString validateListen(const QVariant &v)
{

    const QString text = v.toString();
    const qsizetype colon = text.lastIndexOf(QLatin1Char(':'));
    if (colon <= 0)
        return QStringLiteral("\"%1\" is not HOST:PORT").arg(text);
    QString host = text.left(colon);
    if (host.startsWith(QLatin1Char('[')) && host.endsWith(QLatin1Char(']')))
        host = host.mid(1, host.size() - 2);
    bool ok = false;
    const int port = text.mid(colon + 1).toInt(&ok);
    if (!ok || port < 0 || port > 65535)
        return QStringLiteral("\"%1\": the port must be 0-65535").arg(text);
    if (QHostAddress(host).isNull() && host != QLatin1String("localhost"))
        return QStringLiteral("\"%1\": the host must be an IP address or localhost").arg(text);
    return {};
}

QList<SettingSpec> buildSpecs()
{
    using T = QMetaType::Type;
    const auto env = [](std::initializer_list<const char *> names) {
        QStringList list;
        for (const char *name : names)
            list.append(QString::fromLatin1(name));
        return list;
    };
    QList<SettingSpec> specs {
        { SettingKey::RedisUrl, QStringLiteral("redis/url"), QStringLiteral("redis"),
          env({ "REDRIVE_REDIS_URL", "REDIS_URL" }), T::QString, QString(), QStringLiteral("URL"),
          QStringLiteral("Redis to use: redis://[user@]host:port/db, rediss://... (TLS), "
                         "redis+sentinel://host:port[,host:port...]/MASTER_NAME[/db] (the "
                         "primary the sentinels name), unix:///path or "
                         "redis+cluster://host:port[,host:port...] (Redis Cluster). Empty: start "
                         "a private embedded redis-server. The password comes from the keychain "
                         "or REDRIVE_REDIS_PASSWORD."),
          [](const QVariant &v) -> QString {
              const QString text = v.toString();
              if (text.isEmpty())
                  return {};
              // The one parser of Redis URLs says what is wrong (and the same Redrive would).
              RedisEndpoint endpoint;
              QString error;
              if (!RedisEndpoint::parse(text, &endpoint, &error))
                  return error;
              if (!endpoint.password.isEmpty())
                  return QStringLiteral("put the Redis password in the keychain or "
                                        "REDRIVE_REDIS_PASSWORD, not in the URL");
              return {};
          } },
        { SettingKey::ListenAddress, QStringLiteral("receiver/listen"), QStringLiteral("listen"),
          env({ "REDRIVE_LISTEN" }), T::QString, QStringLiteral("127.0.0.1:5000"),
          QStringLiteral("HOST:PORT"),
          QStringLiteral("Address the webhook receiver listens on (port 0: pick a free one)."),
          validateListen },
        { SettingKey::AdminListenAddress, QStringLiteral("admin/listen"),
          QStringLiteral("admin-listen"), env({ "REDRIVE_ADMIN_LISTEN" }), T::QString,
          QStringLiteral("127.0.0.1:5001"), QStringLiteral("HOST:PORT"),
          QStringLiteral("Where a process without the receiver (--worker-only) serves /healthz and "
                         "/metrics (port 0: pick a free one). With the receiver they are on its "
                         "address."),
          validateListen },
        { SettingKey::WebhookPath, QStringLiteral("receiver/path"), QStringLiteral("path"),
          env({ "REDRIVE_PATH" }), T::QString, QStringLiteral("/webhook/genesys"),
          QStringLiteral("PATH"), QStringLiteral("URL path that accepts deliveries."),
          [](const QVariant &v) -> QString {
              const QString text = v.toString();
              if (!text.startsWith(QLatin1Char('/')) || text.contains(QLatin1Char(' '))
                  || text.contains(QLatin1Char('?')) || text.contains(QLatin1Char('#')))
                  return QStringLiteral("\"%1\" must start with / and hold no spaces, ? or #")
                      .arg(text);
              return {};
          } },
        { SettingKey::DownstreamUrl, QStringLiteral("downstream/url"), QStringLiteral("downstream"),
          env({ "REDRIVE_DOWNSTREAM" }), T::QString, QString(), QStringLiteral("URL"),
          QStringLiteral("Your system's endpoint (http:// or https://): each delivery Redrive "
                         "receives is forwarded to it with an HTTP POST; one it does not accept "
                         "goes to the DLQ, from which the retry worker sends it again. Empty: "
                         "nothing is forwarded, deliveries are accepted and shown, and the retry "
                         "worker does not run."),
          [](const QVariant &v) { return validateHttpUrl(v, true); } },
        { SettingKey::DownstreamTimeoutMs, QStringLiteral("downstream/timeout_ms"),
          QStringLiteral("downstream-timeout"), env({ "REDRIVE_DOWNSTREAM_TIMEOUT" }), T::Int,
          10000, QStringLiteral("MS"),
          QStringLiteral("Downstream request timeout in milliseconds."), range(1, 600000) },
        { SettingKey::SimulateFailure, QStringLiteral("downstream/simulate_failure"),
          QStringLiteral("simulate-failure"), env({ "REDRIVE_SIMULATE_FAILURE" }), T::QString,
          QStringLiteral("never"), QStringLiteral("MODE"),
          QStringLiteral("For testing only, never in production: make forwarding fail on "
                         "purpose, to watch the DLQ and the retries work. never (the default: "
                         "real forwarding), always, timeout, or N% of deliveries (for example "
                         "25%). Deliveries that fail this way go to the DLQ."),
          [](const QVariant &v) -> QString {
              static const QRegularExpression percent(QStringLiteral("^(\\d{1,3})%$"));
              const QString text = v.toString();
              if (text == QLatin1String("never") || text == QLatin1String("always")
                  || text == QLatin1String("timeout"))
                  return {};
              const auto match = percent.match(text);
              if (match.hasMatch() && match.captured(1).toInt() <= 100)
                  return {};
              return QStringLiteral("\"%1\" is not never, always, timeout or N% (0-100)").arg(text);
          } },
        { SettingKey::MaxBodyBytes, QStringLiteral("receiver/max_body"), QStringLiteral("max-body"),
          env({ "REDRIVE_MAX_BODY" }), T::LongLong, qint64(1024 * 1024), QStringLiteral("BYTES"),
          QStringLiteral("Largest delivery body accepted (bigger ones get 413)."),
          range(64, qint64(64) * 1024 * 1024) },
        { SettingKey::SecretHeader, QStringLiteral("receiver/secret_header"),
          QStringLiteral("secret-header"), env({ "REDRIVE_SECRET_HEADER" }), T::QString,
          QStringLiteral("X-Redrive-Secret"), QStringLiteral("NAME"),
          QStringLiteral("Header carrying the shared secret (the secret itself: keychain or "
                         "REDRIVE_SHARED_SECRET)."),
          [](const QVariant &v) -> QString {
              static const QRegularExpression token(
                  QStringLiteral("^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"));
              if (!token.match(v.toString()).hasMatch())
                  return QStringLiteral("\"%1\" is not a valid HTTP header name").arg(v.toString());
              return {};
          } },
        { SettingKey::MaxConnections, QStringLiteral("receiver/max_connections"),
          QStringLiteral("max-connections"), env({ "REDRIVE_MAX_CONNECTIONS" }), T::Int, 0,
          QStringLiteral("N"),
          QStringLiteral("Client connections the receiver holds at once; beyond it a new one is "
                         "answered 503 and closed. 0: the file descriptor limit less 64, at "
                         "most 1024."),
          range(0, 1000000) },
        { SettingKey::HeaderTimeout, QStringLiteral("receiver/header_timeout"),
          QStringLiteral("header-timeout"), env({ "REDRIVE_HEADER_TIMEOUT" }), T::Int, 10,
          QStringLiteral("SECONDS"),
          QStringLiteral("A client that has not sent a request's complete headers this long "
                         "after connecting (or after the request's first byte) is closed."),
          range(1, 3600) },
        { SettingKey::DlqKey, QStringLiteral("redis/dlq_key"), QStringLiteral("dlq-key"),
          env({ "REDRIVE_DLQ_KEY" }), T::QString, QStringLiteral("genesys_webhook_dlq"),
          QStringLiteral("KEY"), QStringLiteral("Redis list holding deliveries awaiting retry."),
          validateRedisKey },
        { SettingKey::PermanentKey, QStringLiteral("redis/permanent_key"),
          QStringLiteral("permanent-key"), env({ "REDRIVE_PERMANENT_KEY" }), T::QString,
          QStringLiteral("genesys_webhook_permanent_failures"), QStringLiteral("KEY"),
          QStringLiteral("Redis list holding permanent failures."), validateRedisKey },
        { SettingKey::KeyPrefix, QStringLiteral("redis/key_prefix"), QStringLiteral("key-prefix"),
          env({ "REDRIVE_KEY_PREFIX" }), T::QString, QStringLiteral("genesys_webhook_dlq:"),
          QStringLiteral("PREFIX"),
          QStringLiteral("Prefix of Redrive's other keys (schedule, in-flight lists, channel)."),
          validateRedisKey },
        { SettingKey::MaxRetries, QStringLiteral("worker/max_retries"),
          QStringLiteral("max-retries"), env({ "REDRIVE_MAX_RETRIES" }), T::Int, 3,
          QStringLiteral("N"),
          QStringLiteral("Retries by the worker after the delivery that failed; when the last "
                         "one fails too, the entry is a permanent failure (was --max-attempts)."),
          range(1, 1000) },
        { SettingKey::BackoffBaseMs, QStringLiteral("worker/backoff_base_ms"),
          QStringLiteral("backoff-base"), env({ "REDRIVE_BACKOFF_BASE" }), T::Int, 1000,
          QStringLiteral("MS"),
          QStringLiteral("Ceiling of the delay after the first failed retry (half to all of it, "
                         "at random); doubles after each one. An entry new to the DLQ is retried "
                         "at once."),
          range(1, 86400000) },
        { SettingKey::BackoffMaxMs, QStringLiteral("worker/backoff_max_ms"),
          QStringLiteral("backoff-max"), env({ "REDRIVE_BACKOFF_MAX" }), T::Int, 300000,
          QStringLiteral("MS"), QStringLiteral("Longest retry delay."), range(1, 604800000) },
        { SettingKey::Concurrency, QStringLiteral("worker/concurrency"),
          QStringLiteral("concurrency"), env({ "REDRIVE_CONCURRENCY" }), T::Int, 16,
          QStringLiteral("N"), QStringLiteral("Parallel downstream attempts of the retry worker."),
          range(1, 1024) },
        { SettingKey::WorkerEnabled,
          QStringLiteral("worker/enabled"),
          QString(),
          env({ "REDRIVE_WORKER" }),
          T::Bool,
          true,
          QString(),
          QStringLiteral("Run the retry worker (--no-worker turns it off)."),
          {} },
        { SettingKey::ReceiverEnabled,
          QStringLiteral("receiver/enabled"),
          QString(),
          env({ "REDRIVE_RECEIVER" }),
          T::Bool,
          true,
          QString(),
          QStringLiteral("Run the receiver (--worker-only turns it off)."),
          {} },
        { SettingKey::GenesysRegion, QStringLiteral("genesys/region"), QStringLiteral("region"),
          env({ "REDRIVE_GENESYS_REGION", "GENESYS_REGION" }), T::QString,
          QStringLiteral("us-east-1"), QStringLiteral("REGION"),
          QStringLiteral("Genesys Cloud region, e.g. eu-west-1."),
          [](const QVariant &v) -> QString {
              if (!regionNames().contains(v.toString()))
                  return QStringLiteral("unknown Genesys Cloud region \"%1\" (known: %2)")
                      .arg(v.toString(), regionNames().join(QStringLiteral(", ")));
              return {};
          } },
        { SettingKey::GenesysClientId,
          QStringLiteral("genesys/client_id"),
          QStringLiteral("client-id"),
          env({ "REDRIVE_GENESYS_CLIENT_ID", "GENESYS_CLIENT_ID" }),
          T::QString,
          QString(),
          QStringLiteral("ID"),
          QStringLiteral("Genesys Cloud OAuth client id (the secret: keychain or "
                         "GENESYS_CLIENT_SECRET)."),
          {} },
        { SettingKey::GenesysBaseUrl, QStringLiteral("genesys/base_url"),
          QStringLiteral("genesys-base-url"), env({ "REDRIVE_GENESYS_BASE_URL" }), T::QString,
          QString(), QStringLiteral("URL"),
          QStringLiteral("Override of the Genesys API and login base URL (tests, proxies)."),
          [](const QVariant &v) { return validateHttpUrl(v, true); } },
        { SettingKey::NgrokApiUrl, QStringLiteral("ngrok/api_url"), QStringLiteral("ngrok-api"),
          env({ "REDRIVE_NGROK_API" }), T::QString, QStringLiteral("http://127.0.0.1:4040"),
          QStringLiteral("URL"), QStringLiteral("ngrok agent's local API."),
          [](const QVariant &v) { return validateHttpUrl(v, false); } },
        { SettingKey::RedisServerBinary,
          QStringLiteral("redis/server_binary"),
          QStringLiteral("redis-server"),
          env({ "REDRIVE_REDIS_SERVER" }),
          T::QString,
          QStringLiteral("redis-server"),
          QStringLiteral("PATH"),
          QStringLiteral("redis-server program used for the embedded Redis."),
          {} },
        { SettingKey::DataDirectory,
          QStringLiteral("redis/data_dir"),
          QStringLiteral("data-dir"),
          env({ "REDRIVE_DATA_DIR" }),
          T::QString,
          QString(),
          QStringLiteral("DIR"),
          QStringLiteral("Folder of the embedded Redis data (default: $STATE_DIRECTORY/redis "
                         "when set, as under systemd, else the app-data folder)."),
          {} },
        // TLS (rediss://): one block, in the order of SettingKey.
        { SettingKey::RedisTlsCa, QStringLiteral("redis/tls_ca"), QStringLiteral("redis-ca"),
          env({ "REDRIVE_REDIS_CA" }), T::QString, QString(), QStringLiteral("FILE"),
          QStringLiteral("rediss://: CA certificates (PEM) to verify the Redis server with, "
                         "instead of the system's."),
          validateReadableFile },
        { SettingKey::RedisTlsCert, QStringLiteral("redis/tls_cert"), QStringLiteral("redis-cert"),
          env({ "REDRIVE_REDIS_CERT" }), T::QString, QString(), QStringLiteral("FILE"),
          QStringLiteral("rediss://: client certificate (PEM) for a Redis that asks for one."),
          validateReadableFile },
        { SettingKey::RedisTlsKey, QStringLiteral("redis/tls_key"), QStringLiteral("redis-key"),
          env({ "REDRIVE_REDIS_KEY" }), T::QString, QString(), QStringLiteral("FILE"),
          QStringLiteral("rediss://: private key (PEM, unencrypted) of --redis-cert."),
          validateReadableFile },
        { SettingKey::RedisTlsServerName,
          QStringLiteral("redis/tls_server_name"),
          QStringLiteral("redis-tls-server-name"),
          env({ "REDRIVE_REDIS_TLS_SERVER_NAME" }),
          T::QString,
          QString(),
          QStringLiteral("NAME"),
          QStringLiteral("rediss://: name the server certificate must carry (and SNI), when it "
                         "is not the host of the URL."),
          {} },
        { SettingKey::RedisTlsInsecure,
          QStringLiteral("redis/tls_insecure"),
          QStringLiteral("redis-insecure"),
          env({ "REDRIVE_REDIS_INSECURE" }),
          T::Bool,
          false,
          QString(),
          QStringLiteral("rediss://: do not verify the server certificate at all (encrypted but "
                         "open to impersonation; warned at every start)."),
          {} },
        { SettingKey::RedisReplicas, QStringLiteral("redis/replicas"),
          QStringLiteral("redis-replicas"), env({ "REDRIVE_REDIS_REPLICAS" }), T::Int, 0,
          QStringLiteral("N"),
          QStringLiteral("A deferred delivery is answered 2xx only once N replicas confirmed its "
                         "write (WAIT); otherwise 503, though the entry may be stored. 0: once "
                         "the primary has it."),
          range(0, 100) },
        { SettingKey::RedisReplicasTimeoutMs, QStringLiteral("redis/replicas_timeout_ms"),
          QStringLiteral("redis-replicas-timeout"), env({ "REDRIVE_REDIS_REPLICAS_TIMEOUT" }),
          T::Int, 1000, QStringLiteral("MS"),
          QStringLiteral("How long a write waits for --redis-replicas confirmations before the "
                         "delivery is answered 503."),
          range(1, 60000) },
        { SettingKey::KeepReceivingInTray,
          QStringLiteral("console/keep_receiving_in_tray"),
          QString(),
          env({ "REDRIVE_KEEP_RECEIVING_IN_TRAY" }),
          T::Bool,
          false,
          QString(),
          QStringLiteral("Closing the console's window keeps Redrive receiving, with an icon in "
                         "the system tray (where the desktop has one); Quit is in its menu."),
          {} },
        { SettingKey::NotifyNewGroups,
          QStringLiteral("console/notify_new_groups"),
          QString(),
          env({ "REDRIVE_NOTIFY_NEW_GROUPS" }),
          T::Bool,
          true,
          QString(),
          QStringLiteral("A desktop notification when a new failure group appears in the DLQ."),
          {} },
        { SettingKey::NotifyGroupThreshold, QStringLiteral("console/notify_group_threshold"),
          QString(), env({ "REDRIVE_NOTIFY_GROUP_THRESHOLD" }), T::Int, 1000, QStringLiteral("N"),
          QStringLiteral("A desktop notification when a failure group grows past N entries "
                         "(0: never)."),
          range(0, 1000000000) },
        { SettingKey::NotifyIntervalMinutes, QStringLiteral("console/notify_interval_minutes"),
          QString(), env({ "REDRIVE_NOTIFY_INTERVAL" }), T::Int, 30, QStringLiteral("MINUTES"),
          QStringLiteral("At most one notification per failure group in this many minutes."),
          range(1, 10080) },
        { SettingKey::ReceiverThreads, QStringLiteral("receiver/threads"),
          QStringLiteral("receiver-threads"), env({ "REDRIVE_RECEIVER_THREADS" }), T::Int, 0,
          QStringLiteral("N"),
          QStringLiteral("Threads taking deliveries, each with its own listening socket on the "
                         "port (SO_REUSEPORT) and its own Redis connection. 0: one per core, at "
                         "most 4."),
          range(0, 64) },
    };
    Q_ASSERT(specs.size() == int(SettingKey::KeyCount));
    for (int i = 0; i < specs.size(); ++i)
        Q_ASSERT(int(specs[i].key) == i);
    return specs;
}

// Names a setting had before, still read (with a warning naming the new one), same meaning.
struct RenamedSetting
{
    SettingKey key;
    const char *flag;
    const char *envVar;
    const char *fileKey;
};
// --max-attempts always counted the worker's retries after the failed delivery, not every
// attempt: the new name says what the number is.
const RenamedSetting RenamedSettings[] = {
    { SettingKey::MaxRetries, "max-attempts", "REDRIVE_MAX_ATTEMPTS", "worker/max_attempts" },
};

QString renamedNotice(const QString &old, const QString &now)
{
    return QStringLiteral("%1 is deprecated, use %2 (it is the same number)").arg(old, now);
}

// The key a setting is stored under in `file`: its own, or the old name when only that is there.
QString storedKey(const QSettings &file, const SettingSpec &spec)
{
    if (!file.contains(spec.fileKey)) {
        for (const RenamedSetting &renamed : RenamedSettings) {
            const QString old = QLatin1String(renamed.fileKey);
            if (renamed.key == spec.key && file.contains(old))
                return old;
        }
    }
    return spec.fileKey;
}

} // namespace

const QList<SettingSpec> &Settings::specs()
{
    static const QList<SettingSpec> table = buildSpecs();
    return table;
}

const SettingSpec &Settings::spec(SettingKey key)
{
    return specs()[int(key)];
}

Settings::Settings(const QString &filePath, QObject *parent)
    : QObject(parent)
{
    QString path = filePath;
    if (path.isEmpty()) {
        path = QStandardPaths::writableLocation(QStandardPaths::GenericConfigLocation)
            + QStringLiteral("/Redrive/redrive.ini");
    }
    QDir().mkpath(QFileInfo(path).absolutePath());
    m_file = std::make_unique<QSettings>(path, QSettings::IniFormat);
}

Settings::~Settings() = default;

QString Settings::filePath() const
{
    return m_file->fileName();
}

bool Settings::convert(const SettingSpec &spec, const QString &text, QVariant *out,
                       QString *error) const
{
    QVariant value;
    bool ok = true;
    switch (spec.type) {
    case QMetaType::Int:
        value = text.trimmed().toInt(&ok);
        break;
    case QMetaType::LongLong:
        value = text.trimmed().toLongLong(&ok);
        break;
    case QMetaType::Bool: {
        const QString t = text.trimmed().toLower();
        if (t == QLatin1String("1") || t == QLatin1String("true") || t == QLatin1String("yes")
            || t == QLatin1String("on"))
            value = true;
        else if (t == QLatin1String("0") || t == QLatin1String("false") || t == QLatin1String("no")
                 || t == QLatin1String("off"))
            value = false;
        else
            ok = false;
        break;
    }
    default:
        value = text;
        break;
    }
    if (!ok) {
        *error = QStringLiteral("\"%1\" is not a valid %2")
                     .arg(text,
                          spec.type == QMetaType::Bool ? QStringLiteral("yes/no value")
                                                       : QStringLiteral("number"));
        return false;
    }
    if (spec.validate) {
        const QString problem = spec.validate(value);
        if (!problem.isEmpty()) {
            *error = problem;
            return false;
        }
    }
    *out = value;
    return true;
}

void Settings::applyEnvironment(const QProcessEnvironment &environment, QStringList *errors)
{
    for (const SettingSpec &spec : specs()) {
        for (const QString &name : spec.envVars) {
            if (!environment.contains(name))
                continue;
            QVariant value;
            QString error;
            if (convert(spec, environment.value(name), &value, &error)) {
                m_overrides.insert(spec.key, value);
                m_overrideSources.insert(spec.key, SettingSource::Environment);
            } else if (errors) {
                errors->append(QStringLiteral("%1: %2").arg(name, error));
            }
            break;
        }
    }
    for (const RenamedSetting &renamed : RenamedSettings) {
        const QString name = QLatin1String(renamed.envVar);
        if (!environment.contains(name))
            continue;
        const SettingSpec &now = spec(renamed.key);
        if (const QString notice = renamedNotice(name, now.envVars.constFirst());
            !m_deprecations.contains(notice))
            m_deprecations.append(notice);
        if (m_overrideSources.value(renamed.key) == SettingSource::Environment)
            continue; // the new name wins
        QVariant value;
        QString error;
        if (convert(now, environment.value(name), &value, &error)) {
            m_overrides.insert(renamed.key, value);
            m_overrideSources.insert(renamed.key, SettingSource::Environment);
        } else if (errors) {
            errors->append(QStringLiteral("%1: %2").arg(name, error));
        }
    }
}

QList<QCommandLineOption> Settings::commandLineOptions()
{
    QList<QCommandLineOption> options;
    for (const SettingSpec &spec : specs()) {
        if (spec.flag.isEmpty())
            continue;
        QString help = spec.help;
        if (!spec.envVars.isEmpty())
            help += QStringLiteral(" [env: %1]").arg(spec.envVars.join(QStringLiteral(", ")));
        if (spec.defaultValue.isValid() && !spec.defaultValue.toString().isEmpty())
            help += QStringLiteral(" [default: %1]").arg(spec.defaultValue.toString());
        options.append(QCommandLineOption(spec.flag, help, spec.valueName));
    }
    for (const RenamedSetting &renamed : RenamedSettings) {
        QCommandLineOption option(
            QLatin1String(renamed.flag),
            QStringLiteral("Deprecated name of --%1.").arg(spec(renamed.key).flag),
            spec(renamed.key).valueName);
        option.setFlags(QCommandLineOption::HiddenFromHelp);
        options.append(option);
    }
    options.append(QCommandLineOption(
        QStringLiteral("no-worker"),
        QStringLiteral("Receiver only: do not run the retry worker. [env: REDRIVE_WORKER=0]")));
    options.append(QCommandLineOption(
        QStringLiteral("worker-only"),
        QStringLiteral("Retry worker only: do not run the receiver. [env: REDRIVE_RECEIVER=0]")));
    return options;
}

void Settings::addOptions(QCommandLineParser *parser)
{
    parser->addOptions(commandLineOptions());
}

void Settings::applyCommandLine(const QCommandLineParser &parser, QStringList *errors)
{
    // The options seen, rather than isSet() for each flag: a parser may hold only some of the
    // options (`redrive queue` takes the Redis and key settings only), and isSet() warns about
    // an option it does not know.
    const QStringList seen = parser.optionNames();
    const auto isSet = [&seen](const QString &flag) { return seen.contains(flag); };
    for (const SettingSpec &spec : specs()) {
        if (spec.flag.isEmpty() || !isSet(spec.flag))
            continue;
        QVariant value;
        QString error;
        // A yes/no setting whose flag takes no value (--redis-insecure): the flag means yes.
        const QString text = spec.type == QMetaType::Bool && spec.valueName.isEmpty()
            ? QStringLiteral("yes")
            : parser.value(spec.flag);
        if (convert(spec, text, &value, &error)) {
            m_overrides.insert(spec.key, value);
            m_overrideSources.insert(spec.key, SettingSource::CommandLine);
        } else if (errors) {
            errors->append(QStringLiteral("--%1: %2").arg(spec.flag, error));
        }
    }
    for (const RenamedSetting &renamed : RenamedSettings) {
        const QString flag = QLatin1String(renamed.flag);
        if (!isSet(flag))
            continue;
        const SettingSpec &now = spec(renamed.key);
        if (const QString notice
            = renamedNotice(QStringLiteral("--") + flag, QStringLiteral("--") + now.flag);
            !m_deprecations.contains(notice))
            m_deprecations.append(notice);
        if (isSet(now.flag))
            continue; // the new name wins
        QVariant value;
        QString error;
        if (convert(now, parser.value(flag), &value, &error)) {
            m_overrides.insert(renamed.key, value);
            m_overrideSources.insert(renamed.key, SettingSource::CommandLine);
        } else if (errors) {
            errors->append(QStringLiteral("--%1: %2").arg(flag, error));
        }
    }
    if (isSet(QStringLiteral("no-worker"))) {
        m_overrides.insert(SettingKey::WorkerEnabled, false);
        m_overrideSources.insert(SettingKey::WorkerEnabled, SettingSource::CommandLine);
    }
    if (isSet(QStringLiteral("worker-only"))) {
        m_overrides.insert(SettingKey::ReceiverEnabled, false);
        m_overrideSources.insert(SettingKey::ReceiverEnabled, SettingSource::CommandLine);
    }
}

QVariant Settings::value(SettingKey key) const
{
    if (const auto it = m_overrides.constFind(key); it != m_overrides.cend())
        return *it;
    const SettingSpec &s = spec(key);
    if (const QString stored = storedKey(*m_file, s); m_file->contains(stored)) {
        QVariant value;
        QString error;
        // A hand-edited file with a bad value falls back to the default instead of failing.
        if (convert(s, m_file->value(stored).toString(), &value, &error))
            return value;
    }
    return s.defaultValue;
}

SettingSource Settings::source(SettingKey key) const
{
    if (const auto it = m_overrideSources.constFind(key); it != m_overrideSources.cend())
        return *it;
    return m_file->contains(storedKey(*m_file, spec(key))) && fileProblem(key).isEmpty()
        ? SettingSource::SavedFile
        : SettingSource::Default;
}

QString Settings::fileProblem(SettingKey key) const
{
    const SettingSpec &s = spec(key);
    const QString stored = storedKey(*m_file, s);
    if (!m_file->contains(stored))
        return {};
    QVariant value;
    QString error;
    if (convert(s, m_file->value(stored).toString(), &value, &error))
        return {};
    return QStringLiteral("%1: %2 = \"%3\" is not valid (%4); using the default, %5")
        .arg(m_file->fileName(), stored, shownValue(s, m_file->value(stored).toString()), error,
             s.defaultValue.toString().isEmpty() ? QStringLiteral("empty")
                                                 : s.defaultValue.toString());
}

QStringList Settings::fileProblems() const
{
    QStringList problems;
    for (const SettingSpec &s : specs()) {
        if (const QString problem = fileProblem(s.key); !problem.isEmpty())
            problems.append(problem);
    }
    return problems;
}

QString Settings::sourceName(SettingSource source)
{
    switch (source) {
    case SettingSource::Default:
        return QStringLiteral("default");
    case SettingSource::SavedFile:
        return QStringLiteral("settings file");
    case SettingSource::Environment:
        return QStringLiteral("environment");
    case SettingSource::CommandLine:
        return QStringLiteral("command line");
    }
    return {};
}

bool Settings::setValue(SettingKey key, const QVariant &value, QString *error)
{
    const SettingSpec &s = spec(key);
    QVariant converted;
    QString problem;
    if (!convert(s, value.toString(), &converted, &problem)) {
        if (error)
            *error = problem;
        return false;
    }
    const QVariant before = this->value(key);
    m_file->remove(storedKey(*m_file, s)); // an old name goes: the value is under the new one
    m_file->setValue(s.fileKey, converted.toString());
    m_file->sync();
    if (this->value(key) != before)
        Q_EMIT changed(key);
    return true;
}

void Settings::resetToDefault(SettingKey key)
{
    const QVariant before = value(key);
    m_file->remove(storedKey(*m_file, spec(key)));
    m_file->remove(spec(key).fileKey);
    m_file->sync();
    if (value(key) != before)
        Q_EMIT changed(key);
}

QString Settings::describe() const
{
    QString text;
    for (const SettingSpec &s : specs()) {
        const SettingSource from = source(s.key);
        const QString origin = from == SettingSource::Default && !fileProblem(s.key).isEmpty()
            ? QStringLiteral("default: the settings file's value \"%1\" is not valid")
                  .arg(shownValue(s, m_file->value(storedKey(*m_file, s)).toString()))
            : sourceName(from);
        text += QStringLiteral("%1 = %2  (%3)\n")
                    .arg(s.fileKey, shownValue(s, value(s.key).toString()), origin);
    }
    return text;
}

} // namespace redrive::core
