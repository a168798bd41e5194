// SPDX-License-Identifier: MIT
#pragma once

#include <QObject>
#include <QProcessEnvironment>
#include <QVariant>

#include <functional>
#include <memory>

class QCommandLineOption;
class QCommandLineParser;
class QSettings;

namespace redrive::core {

// Every setting Redrive has. The table in settings.cpp gives each its file key, flag,
// environment variables, type, default and validation. Secrets are not settings: they live in
// the CredentialStore.
enum class SettingKey {
    RedisUrl,
    ListenAddress,
    AdminListenAddress,
    WebhookPath,
    DownstreamUrl,
    DownstreamTimeoutMs,
    SimulateFailure,
    MaxBodyBytes,
    SecretHeader,
    MaxConnections,
    HeaderTimeout,
    DlqKey,
    PermanentKey,
    KeyPrefix,
    MaxRetries,
    BackoffBaseMs,
    BackoffMaxMs,
    Concurrency,
    WorkerEnabled,
    ReceiverEnabled,
    GenesysRegion,
    GenesysClientId,
    GenesysBaseUrl,
    NgrokApiUrl,
    RedisServerBinary,
    DataDirectory,
    // TLS for rediss:// URLs
    RedisTlsCa,
    RedisTlsCert,
    RedisTlsKey,
    RedisTlsServerName,
    RedisTlsInsecure,
    // Replicated acknowledgements (WAIT)
    RedisReplicas,
    RedisReplicasTimeoutMs,
    // The console's tray icon and desktop notifications
    KeepReceivingInTray,
    NotifyNewGroups,
    NotifyGroupThreshold,
    NotifyIntervalMinutes,
    ReceiverThreads,
    KeyCount
};

enum class SettingSource { Default, SavedFile, Environment, CommandLine };

struct SettingSpec
{
    SettingKey key;
    QString fileKey; // key in the INI file, e.g. "receiver/listen"
    QString flag; // long command-line option without dashes; empty: no flag
    QStringList envVars; // first one wins; REDRIVE_* first, well-known aliases after
    QMetaType::Type type; // QString, Int, LongLong or Bool
    QVariant defaultValue;
    QString valueName; // for --help
    QString help;
    // Returns an empty string when `value` is acceptable, else a message fit for a user.
    std::function<QString(const QVariant &value)> validate;
};

// The one typed facade over Redrive's configuration. Layers, lowest first: defaults < saved
// file (INI under the XDG config folder) < environment < command line. Widgets never touch
// QSettings: they read and write through this class and listen to changed().
class Settings final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(Settings)

public:
    // `filePath` empty: the standard location (~/.config/Redrive/redrive.ini).
    explicit Settings(const QString &filePath = QString(), QObject *parent = nullptr);
    ~Settings() override;

    static const QList<SettingSpec> &specs();
    static const SettingSpec &spec(SettingKey key);

    // Reads REDRIVE_* (and aliases). Invalid values are collected in `errors` and ignored.
    void applyEnvironment(const QProcessEnvironment &environment, QStringList *errors);
    // One option per setting, plus --no-worker and --worker-only: what --help and the manual page
    // show. Help texts end with " [env: NAMES]" and " [default: VALUE]" where they apply.
    static QList<QCommandLineOption> commandLineOptions();
    // Adds commandLineOptions() to `parser`.
    static void addOptions(QCommandLineParser *parser);
    // Reads the options `parser` saw. Invalid values are collected in `errors`.
    void applyCommandLine(const QCommandLineParser &parser, QStringList *errors);

    QVariant value(SettingKey key) const;
    SettingSource source(SettingKey key) const;
    // A value in the settings file that cannot be used (a hand edit gone wrong): what is wrong
    // and what is used instead; "" when it is fine or absent. Such values never stop Redrive.
    QString fileProblem(SettingKey key) const;
    QStringList fileProblems() const;
    // Old names of settings used in the environment or on the command line ("--max-attempts is
    // deprecated, use --max-retries ..."), each once, to be logged after the start.
    QStringList deprecations() const { return m_deprecations; }
    static QString sourceName(SettingSource source);
    // Saves `value` to the settings file. Returns false with `error` set when invalid. When an
    // environment variable or flag overrides the key, the saved value takes effect next start.
    bool setValue(SettingKey key, const QVariant &value, QString *error = nullptr);
    void resetToDefault(SettingKey key);
    QString filePath() const;
    // `key=value (source)` lines for --print-config.
    QString describe() const;

    // Typed shortcuts.
    QString string(SettingKey key) const { return value(key).toString(); }
    int integer(SettingKey key) const { return value(key).toInt(); }
    qint64 integer64(SettingKey key) const { return value(key).toLongLong(); }
    bool flag(SettingKey key) const { return value(key).toBool(); }

Q_SIGNALS:
    void changed(redrive::core::SettingKey key);

private:
    bool convert(const SettingSpec &spec, const QString &text, QVariant *out, QString *error) const;

    std::unique_ptr<QSettings> m_file;
    QHash<SettingKey, QVariant> m_overrides;
    QHash<SettingKey, SettingSource> m_overrideSources;
    QStringList m_deprecations;
};

} // namespace redrive::core
