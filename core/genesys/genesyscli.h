// SPDX-License-Identifier: MIT
#pragma once

#include "core/genesys/genesysclient.h"

#include <QObject>
#include <QProcessEnvironment>
#include <QStringList>

#include <functional>
#include <memory>

namespace redrive::core {

class CredentialStore;
class GenesysRegistrar;
class NgrokDiscovery;
class Settings;

enum class GenesysSecret { ClientSecret, SharedSecret };

// Looks a secret up (the app plugs its keychain in here). Calls `done` exactly once, with the
// secret, or with an empty secret and, when the lookup itself failed, an error message.
using GenesysSecretProvider
    = std::function<void(GenesysSecret which, QObject *context,
                         std::function<void(const QString &secret, const QString &error)> done)>;

// Answers GenesysCommand's secret lookups from a CredentialStore (the app's layered keychain
// store). `store` must outlive every command that uses the provider.
GenesysSecretProvider genesysSecretsFrom(CredentialStore *store);

// `redrive genesys <command> [options]` for scripts: regions, test-credentials, topics,
// workflows, list, register, unregister. Runs asynchronously and reports through signals; see
// runGenesysCommand() for the blocking entry point the executable uses.
class GenesysCommand final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GenesysCommand)

public:
    enum ExitCode { Success = 0, Failure = 1, UsageError = 2 };

    // `arguments` are the words after "genesys". `settings` may be null: the command then
    // reads the saved settings and `environment` itself. Environment variables read here:
    // GENESYS_CLIENT_SECRET and REDRIVE_SHARED_SECRET (before asking `secrets`), and through the
    // settings GENESYS_CLIENT_ID, GENESYS_REGION, REDRIVE_GENESYS_BASE_URL, REDRIVE_NGROK_API.
    GenesysCommand(const QStringList &arguments, const QProcessEnvironment &environment,
                   Settings *settings = nullptr, GenesysSecretProvider secrets = {},
                   QObject *parent = nullptr);
    ~GenesysCommand() override;

    static QString usage();
    void setRetryPolicy(const GenesysRetryPolicy &policy) { m_policy = policy; }
    void start();
    bool isFinished() const { return m_finished; }
    int exitCode() const { return m_exitCode; }

Q_SIGNALS:
    void output(const QString &line); // for stdout
    void errorOutput(const QString &line); // for stderr
    void finished(int exitCode);

private:
    void fetchSecret(GenesysSecret which, const QString &envName,
                     std::function<void(const QString &)> then);
    void withClient(std::function<void()> then);
    void runCommand();
    void runRegister();
    void registerTo(const QUrl &publicUrl);
    void done(int exitCode);
    void fail(int exitCode, const QString &message);

    QStringList m_arguments;
    QProcessEnvironment m_environment;
    Settings *m_settings;
    std::unique_ptr<Settings> m_ownSettings;
    GenesysSecretProvider m_secrets;
    GenesysRetryPolicy m_policy;

    QString m_command;
    QHash<QString, QString> m_options;
    bool m_ngrok = false;
    QString m_clientSecret; // never printed
    QString m_sharedSecret; // never printed
    std::unique_ptr<GenesysClient> m_client;
    std::unique_ptr<GenesysRegistrar> m_registrar;
    std::unique_ptr<NgrokDiscovery> m_ngrokDiscovery;
    bool m_finished = false;
    int m_exitCode = Success;
};

// Runs `redrive genesys ...` to completion and returns the process exit code. `arguments` are
// the words after "genesys". Needs a QCoreApplication (creates a temporary one if there is
// none) and runs its event loop until the command is done. Output goes to stdout/stderr.
int runGenesysCommand(const QStringList &arguments, Settings *settings = nullptr,
                      GenesysSecretProvider secrets = {});

} // namespace redrive::core
