// SPDX-License-Identifier: MIT
#include "core/genesys/genesyscli.h"

#include "core/genesys/genesysregistrar.h"
#include "core/genesys/ngrokdiscovery.h"
#include "core/settings/credentialstore.h"
#include "core/settings/settings.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QTextStream>

#include <cstdio>

namespace redrive::core {

namespace {

const QStringList kCommands { QStringLiteral("regions"),   QStringLiteral("test-credentials"),
                              QStringLiteral("topics"),    QStringLiteral("workflows"),
                              QStringLiteral("list"),      QStringLiteral("register"),
                              QStringLiteral("unregister") };

// Options that take a value, with their help text.
const QList<QPair<QString, QString>> &valueOptions()
{
    static const QList<QPair<QString, QString>> options {
        { QStringLiteral("public-url"),
          QStringLiteral("register: the receiver's public https URL") },
        { QStringLiteral("topic"), QStringLiteral("register: the notification topic to forward") },
        { QStringLiteral("workflow"),
          QStringLiteral("register: id of the Architect workflow that "
                         "calls the \"Redrive forward\" data action") },
        { QStringLiteral("port"),
          QStringLiteral("register --ngrok: the receiver's local port "
                         "(default: from the listen address)") },
        { QStringLiteral("path"), QStringLiteral("the receiver's webhook path") },
        { QStringLiteral("secret-header"), QStringLiteral("header carrying the shared secret") },
        { QStringLiteral("region"), QStringLiteral("Genesys Cloud region, e.g. eu-west-1") },
        { QStringLiteral("base-url"),
          QStringLiteral("override of the Genesys API/login base URL") },
        { QStringLiteral("ngrok-api"),
          QStringLiteral("ngrok agent API, default http://127.0.0.1:4040") },
        { QStringLiteral("filter"),
          QStringLiteral("topics/workflows: show only names containing this") },
    };
    return options;
}

quint16 portOf(const QString &listenAddress)
{
    const qsizetype colon = listenAddress.lastIndexOf(QLatin1Char(':'));
    return colon < 0 ? 0 : quint16(listenAddress.mid(colon + 1).toUInt());
}

} // namespace

GenesysCommand::GenesysCommand(const QStringList &arguments, const QProcessEnvironment &environment,
                               Settings *settings, GenesysSecretProvider secrets, QObject *parent)
    : QObject(parent)
    , m_arguments(arguments)
    , m_environment(environment)
    , m_settings(settings)
    , m_secrets(std::move(secrets))
{
    if (!m_settings) {
        m_ownSettings = std::make_unique<Settings>();
        QStringList errors;
        m_ownSettings->applyEnvironment(environment, &errors);
        for (const QString &error : std::as_const(errors))
            QMetaObject::invokeMethod(
                this, [this, error] { Q_EMIT errorOutput(QStringLiteral("warning: ") + error); },
                Qt::QueuedConnection);
        m_settings = m_ownSettings.get();
    }
}

GenesysCommand::~GenesysCommand() = default;

QString GenesysCommand::usage()
{
    QString text
        = QStringLiteral("Usage: redrive genesys <command> [options]\n"
                         "\n"
                         "Commands:\n"
                         "  regions            list the Genesys Cloud regions and their hosts\n"
                         "  test-credentials   fetch a token with the OAuth client id and secret\n"
                         "  topics             list the notification topics a trigger can use\n"
                         "  workflows          list the org's Architect workflows\n"
                         "  list               show what Redrive registered in the org\n"
                         "  register           register the receiver: --public-url URL | --ngrok,\n"
                         "                     --topic TOPIC --workflow ID\n"
                         "  unregister         remove everything Redrive registered\n"
                         "\n"
                         "Options:\n");
    for (const auto &option : valueOptions())
        text += QStringLiteral("  --%1 VALUE\n      %2\n").arg(option.first, option.second);
    text += QStringLiteral(
        "  --ngrok\n      register: use the https URL ngrok forwards to the receiver's port\n"
        "  --list-topics, --list-workflows\n      same as the topics / workflows commands\n"
        "\n"
        "Environment: GENESYS_CLIENT_ID, GENESYS_CLIENT_SECRET, GENESYS_REGION,\n"
        "REDRIVE_GENESYS_BASE_URL, REDRIVE_SHARED_SECRET, REDRIVE_NGROK_API.\n"
        "Secrets not in the environment are taken from the keychain.\n"
        "Exit codes: 0 done, 1 Genesys Cloud or ngrok failed, 2 usage or configuration error.");
    return text;
}

void GenesysCommand::done(int exitCode)
{
    if (m_finished)
        return;
    m_finished = true;
    m_exitCode = exitCode;
    Q_EMIT finished(exitCode);
}

void GenesysCommand::fail(int exitCode, const QString &message)
{
    Q_EMIT errorOutput(message);
    done(exitCode);
}

void GenesysCommand::start()
{
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    for (const auto &option : valueOptions())
        parser.addOption(QCommandLineOption(option.first, option.second, QStringLiteral("value")));
    parser.addOption(QCommandLineOption(QStringLiteral("ngrok")));
    parser.addOption(QCommandLineOption(QStringLiteral("list-topics")));
    parser.addOption(QCommandLineOption(QStringLiteral("list-workflows")));
    parser.addOption(
        QCommandLineOption(QStringList { QStringLiteral("h"), QStringLiteral("help") }));
    if (!parser.parse(QStringList { QStringLiteral("redrive-genesys") } + m_arguments))
        return fail(UsageError, parser.errorText() + QStringLiteral("\n\n") + usage());
    if (parser.isSet(QStringLiteral("help"))) {
        Q_EMIT output(usage());
        return done(Success);
    }
    const QStringList positional = parser.positionalArguments();
    m_command = positional.value(0);
    if (parser.isSet(QStringLiteral("list-topics")))
        m_command = QStringLiteral("topics");
    else if (parser.isSet(QStringLiteral("list-workflows")))
        m_command = QStringLiteral("workflows");
    if (m_command.isEmpty())
        return fail(UsageError, usage());
    if (!kCommands.contains(m_command))
        return fail(UsageError,
                    QStringLiteral("Unknown command \"%1\".\n\n%2").arg(m_command, usage()));
    if (positional.size() > 1 && !parser.isSet(QStringLiteral("list-topics"))
        && !parser.isSet(QStringLiteral("list-workflows")))
        return fail(UsageError,
                    QStringLiteral("Unexpected argument \"%1\".").arg(positional.at(1)));
    for (const auto &option : valueOptions()) {
        if (parser.isSet(option.first))
            m_options.insert(option.first, parser.value(option.first));
    }
    m_ngrok = parser.isSet(QStringLiteral("ngrok"));

    if (m_command == QLatin1String("regions")) {
        for (const GenesysRegion &region : genesysRegions())
            Q_EMIT output(QStringLiteral("%1 %2 %3")
                              .arg(region.name.leftJustified(15),
                                   (QStringLiteral("api.") + region.domain).leftJustified(30),
                                   QStringLiteral("login.") + region.domain));
        return done(Success);
    }
    if (m_command == QLatin1String("register"))
        return runRegister();
    withClient([this] { runCommand(); });
}

void GenesysCommand::fetchSecret(GenesysSecret which, const QString &envName,
                                 std::function<void(const QString &)> then)
{
    const QString fromEnv = m_environment.value(envName);
    if (!fromEnv.isEmpty()) {
        then(fromEnv);
        return;
    }
    if (!m_secrets) {
        then(QString());
        return;
    }
    m_secrets(which, this, [this, envName, then](const QString &secret, const QString &error) {
        if (secret.isEmpty() && !error.isEmpty()) {
            fail(UsageError,
                 QStringLiteral("Could not read the secret from the keychain (%1). Set "
                                "%2 instead.")
                     .arg(error, envName));
            return;
        }
        then(secret);
    });
}

void GenesysCommand::withClient(std::function<void()> then)
{
    fetchSecret(GenesysSecret::ClientSecret, QStringLiteral("GENESYS_CLIENT_SECRET"),
                [this, then](const QString &secret) {
                    m_clientSecret = secret;
                    GenesysConnection connection;
                    connection.region = m_options.value(
                        QStringLiteral("region"), m_settings->string(SettingKey::GenesysRegion));
                    connection.baseUrlOverride = m_options.value(
                        QStringLiteral("base-url"), m_settings->string(SettingKey::GenesysBaseUrl));
                    connection.clientId = m_settings->string(SettingKey::GenesysClientId);
                    if (connection.clientId.isEmpty())
                        connection.clientId
                            = m_environment.value(QStringLiteral("GENESYS_CLIENT_ID"));
                    connection.clientSecret = m_clientSecret;
                    m_client = std::make_unique<GenesysClient>(connection);
                    m_client->setRetryPolicy(m_policy);
                    QString problem;
                    if (!m_client->isConfigured(&problem))
                        return fail(UsageError, problem);
                    connect(m_client.get(), &GenesysClient::retryScheduled, this,
                            [this](const QString &what, int delayMs, const QString &reason) {
                                Q_EMIT errorOutput(QStringLiteral("%1: %2; trying again in %3 s")
                                                       .arg(what, reason)
                                                       .arg(delayMs / 1000.0));
                            });
                    m_registrar = std::make_unique<GenesysRegistrar>(m_client.get());
                    connect(m_registrar.get(), &GenesysRegistrar::progress, this,
                            [this](const QString &line) { Q_EMIT output(line); });
                    then();
                });
}

void GenesysCommand::runCommand()
{
    if (m_command == QLatin1String("test-credentials")) {
        m_client->testCredentials(this, [this](const GenesysError &error) {
            if (error.isError())
                return fail(Failure, error.message);
            Q_EMIT output(
                QStringLiteral("Credentials OK: %1 issued a token valid for %2 s (region %3).")
                    .arg(m_client->endpoints().tokenUrl.host())
                    .arg(m_client->tokenExpiresInSeconds())
                    .arg(m_client->regionName()));
            done(Success);
        });
        return;
    }
    const QString filter = m_options.value(QStringLiteral("filter"));
    if (m_command == QLatin1String("topics")) {
        m_registrar->listTopics(
            this, [this, filter](const QStringList &topics, const GenesysError &error) {
                if (error.isError())
                    return fail(Failure, error.message);
                for (const QString &topic : topics) {
                    if (filter.isEmpty() || topic.contains(filter, Qt::CaseInsensitive))
                        Q_EMIT output(topic);
                }
                done(Success);
            });
        return;
    }
    if (m_command == QLatin1String("workflows")) {
        m_registrar->listWorkflows(
            this, [this, filter](const QList<GenesysWorkflow> &flows, const GenesysError &error) {
                if (error.isError())
                    return fail(Failure, error.message);
                for (const GenesysWorkflow &flow : flows) {
                    if (filter.isEmpty() || flow.name.contains(filter, Qt::CaseInsensitive))
                        Q_EMIT output(QStringLiteral("%1  %2").arg(flow.id, flow.name));
                }
                done(Success);
            });
        return;
    }
    if (m_command == QLatin1String("list")) {
        m_registrar->list(
            this, [this](const GenesysInventory &inventory, const GenesysError &error) {
                if (error.isError())
                    return fail(Failure, error.message);
                if (inventory.items.isEmpty())
                    Q_EMIT output(QStringLiteral("Nothing registered by Redrive in this org."));
                for (const GenesysInventory::Item &item : inventory.items) {
                    Q_EMIT output(
                        QStringLiteral("%1  %2  %3  %4")
                            .arg(item.kind.leftJustified(12), item.id, item.name, item.detail)
                            .trimmed());
                }
                done(Success);
            });
        return;
    }
    if (m_command == QLatin1String("unregister")) {
        m_registrar->unregister(this, [this](const GenesysOperationResult &result) {
            if (!result.ok)
                return fail(Failure, result.failureReport()); // steps went out as progress
            if (result.steps.size() == 1
                && result.steps.first().what == QLatin1String("registration"))
                Q_EMIT output(QStringLiteral("Nothing registered by Redrive in this org."));
            Q_EMIT output(QStringLiteral("Unregistered."));
            done(Success);
        });
        return;
    }
}

void GenesysCommand::runRegister()
{
    const bool hasUrl = m_options.contains(QStringLiteral("public-url"));
    if (hasUrl == m_ngrok)
        return fail(UsageError,
                    QStringLiteral("register needs exactly one of --public-url URL or "
                                   "--ngrok."));
    if (!m_options.contains(QStringLiteral("topic"))
        || !m_options.contains(QStringLiteral("workflow")))
        return fail(UsageError,
                    QStringLiteral("register needs --topic TOPIC and --workflow ID "
                                   "(see the topics and workflows commands)."));
    fetchSecret(
        GenesysSecret::SharedSecret, QStringLiteral("REDRIVE_SHARED_SECRET"),
        [this, hasUrl](const QString &secret) {
            if (secret.isEmpty())
                return fail(UsageError,
                            QStringLiteral("No shared secret: set REDRIVE_SHARED_SECRET or "
                                           "store one in the keychain. The receiver checks it "
                                           "on every delivery."));
            m_sharedSecret = secret;
            withClient([this, hasUrl] {
                if (hasUrl) {
                    const QUrl url(m_options.value(QStringLiteral("public-url")), QUrl::StrictMode);
                    registerTo(url);
                    return;
                }
                quint16 port = quint16(m_options.value(QStringLiteral("port")).toUInt());
                if (port == 0)
                    port = portOf(m_settings->string(SettingKey::ListenAddress));
                const QUrl api(m_options.value(QStringLiteral("ngrok-api"),
                                               m_settings->string(SettingKey::NgrokApiUrl)));
                m_ngrokDiscovery = std::make_unique<NgrokDiscovery>(api, port);
                m_ngrokDiscovery->discover(this, [this](const NgrokResult &result) {
                    if (!result.tunnel)
                        return fail(Failure, result.hint);
                    Q_EMIT output(
                        QStringLiteral("ngrok: %1 forwards to %2")
                            .arg(result.tunnel->publicUrl.toString(), result.tunnel->forwardTo));
                    registerTo(result.tunnel->publicUrl);
                });
            });
        });
}

void GenesysCommand::registerTo(const QUrl &publicUrl)
{
    GenesysRegistrationRequest request;
    request.publicUrl = publicUrl;
    request.path
        = m_options.value(QStringLiteral("path"), m_settings->string(SettingKey::WebhookPath));
    request.secretHeader = m_options.value(QStringLiteral("secret-header"),
                                           m_settings->string(SettingKey::SecretHeader));
    request.sharedSecret = m_sharedSecret;
    request.topic = m_options.value(QStringLiteral("topic"));
    request.workflowId = m_options.value(QStringLiteral("workflow"));
    if (const QString problem = GenesysRegistrar::validate(request); !problem.isEmpty())
        return fail(UsageError, problem);
    m_registrar->registerReceiver(
        request, this, [this, request](const GenesysOperationResult &result) {
            if (!result.ok)
                return fail(Failure, result.failureReport()); // steps went out as progress
            Q_EMIT output(QStringLiteral("Registered: %1 events go through workflow %2 to %3. The "
                                         "workflow must call the data action \"%4\" (category %5).")
                              .arg(request.topic, request.workflowId,
                                   GenesysRegistrar::receiverUrl(request).toString(),
                                   GenesysRegistrar::actionName(),
                                   GenesysRegistrar::actionCategory()));
            done(Success);
        });
}

GenesysSecretProvider genesysSecretsFrom(CredentialStore *store)
{
    return [store](GenesysSecret which, QObject *context,
                   std::function<void(const QString &, const QString &)> done) {
        const SecretKind kind = which == GenesysSecret::ClientSecret
            ? SecretKind::GenesysClientSecret
            : SecretKind::SharedSecret;
        store->read(kind, context, [done](const SecretResult &result) {
            done(result.found ? result.value : QString(), result.ok ? QString() : result.error);
        });
    };
}

int runGenesysCommand(const QStringList &arguments, Settings *settings,
                      GenesysSecretProvider secrets)
{
    std::unique_ptr<QCoreApplication> ownApp;
    if (!QCoreApplication::instance()) {
        static int argc = 1;
        static char name[] = "redrive";
        static char *argv[] = { name, nullptr };
        ownApp = std::make_unique<QCoreApplication>(argc, argv);
    }
    QTextStream out(stdout);
    QTextStream err(stderr);
    GenesysCommand command(arguments, QProcessEnvironment::systemEnvironment(), settings,
                           std::move(secrets));
    QObject::connect(&command, &GenesysCommand::output, &command,
                     [&out](const QString &line) { out << line << Qt::endl; });
    QObject::connect(&command, &GenesysCommand::errorOutput, &command,
                     [&err](const QString &line) { err << line << Qt::endl; });
    QObject::connect(
        &command, &GenesysCommand::finished, QCoreApplication::instance(),
        [](int code) { QCoreApplication::exit(code); }, Qt::QueuedConnection);
    QMetaObject::invokeMethod(&command, &GenesysCommand::start, Qt::QueuedConnection);
    const int code = QCoreApplication::exec();
    return command.isFinished() ? command.exitCode() : code;
}

} // namespace redrive::core
