// SPDX-License-Identifier: MIT
// Entry point: parses the command line, resolves secrets, then wires the Engine to either the
// main window or the headless service. Everything else lives in core and ui.

#include "app/manpage.h"
#include "core/cli/queuecommand.h"
#include "core/engine/enginethread.h"
#include "core/genesys/genesyscli.h"
#include "core/queue/queuekeys.h"
#include "core/receiver/descriptorlimit.h"
#include "core/redis/redisendpoint.h"
#include "core/settings/credentialfiles.h"
#include "core/settings/keychaincredentialstore.h"
#include "core/settings/memorycredentialstore.h"
#include "core/settings/settings.h"
#include "core/text/terminaltext.h"
#include "ui/widgets/appearance.h"
#include "ui/widgets/iconprovider.h"
#include "ui/widgets/mainwindow.h"

#include <QApplication>
#include <QCommandLineParser>
#include <QMessageBox>
#include <QSocketNotifier>

#include <csignal>
#include <cstdio>
#include <memory>
#include <sys/socket.h>
#include <unistd.h>

using namespace redrive::core;

namespace {

int g_signalPipe[2] = { -1, -1 };

void onSignal(int)
{
    const char byte = 1;
    [[maybe_unused]] const ssize_t written = ::write(g_signalPipe[1], &byte, 1);
}

// SIGINT/SIGTERM run `stop` from the event loop, so the engine can stop cleanly.
void onSignals(QCoreApplication *app, std::function<void()> stop)
{
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalPipe) != 0)
        return;
    auto *notifier = new QSocketNotifier(g_signalPipe[0], QSocketNotifier::Read, app);
    QObject::connect(notifier, &QSocketNotifier::activated, app, [stop = std::move(stop)] {
        char byte;
        [[maybe_unused]] const ssize_t r = ::read(g_signalPipe[0], &byte, 1);
        stop();
    });
    struct sigaction action = {};
    action.sa_handler = onSignal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = SA_RESTART;
    sigaction(SIGINT, &action, nullptr);
    sigaction(SIGTERM, &action, nullptr);
}

// Every option of `redrive` besides --help and --version: what --help and the manual page show.
QList<QCommandLineOption> commandLineOptions()
{
    QList<QCommandLineOption> options {
        QCommandLineOption(QStringLiteral("headless"),
                           QStringLiteral("Run the receiver and the retry worker without a window; "
                                          "logs go to stderr; SIGINT/SIGTERM stop it cleanly.")),
        QCommandLineOption(QStringLiteral("print-config"),
                           QStringLiteral("Print every setting's effective value and where it "
                                          "comes from, and where each secret comes from (never "
                                          "its value), then exit.")),
        QCommandLineOption(QStringLiteral("help-man"),
                           QStringLiteral("Print the manual page (roff) and exit.")),
        QCommandLineOption(QStringLiteral("help-env"),
                           QStringLiteral("Print the service's settings file template and exit.")),
    };
    // For the build (the installed manual page and /etc/default/redrive), not for users.
    options[2].setFlags(QCommandLineOption::HiddenFromHelp);
    options[3].setFlags(QCommandLineOption::HiddenFromHelp);
    return options + Settings::commandLineOptions();
}

bool wantsGui(int argc, char **argv)
{
    for (int i = 1; i < argc; ++i) {
        const QByteArray arg(argv[i]);
        if (arg == "--headless" || arg == "--help" || arg == "-h" || arg == "--help-all"
            || arg == "--version" || arg == "-v" || arg == "--print-config" || arg == "--help-man"
            || arg == "--help-env")
            return false;
    }
    return !(argc > 1 && (QByteArray(argv[1]) == "genesys" || QByteArray(argv[1]) == "queue"));
}

// Whether a window can be opened: a display server, or a Qt platform chosen explicitly
// (QT_QPA_PLATFORM=offscreen, vnc, ...).
bool hasDisplay()
{
    for (const char *name : { "DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM" }) {
        if (!qEnvironmentVariableIsEmpty(name))
            return true;
    }
    return false;
}

void printError(const QString &text)
{
    std::fprintf(stderr, "redrive: %s\n", qPrintable(text));
}

// Redis Cluster (--redis redis+cluster://...): keys that cannot share one slot are a
// configuration error, found before anything starts; "" otherwise.
QString clusterKeyProblem(const Settings &settings)
{
    RedisEndpoint endpoint;
    QString error;
    if (!RedisEndpoint::parse(settings.string(SettingKey::RedisUrl), &endpoint, &error)
        || endpoint.kind != RedisEndpoint::Kind::Cluster)
        return {};
    return QueueKeys::fromSettings(settings).clusterProblem();
}

// Secrets from $CREDENTIALS_DIRECTORY (systemd's LoadCredential=) go first in `store`. False,
// with the reason printed, when a credential file is there but cannot be used.
bool useCredentialFiles(LayeredCredentialStore *store)
{
    QHash<SecretKind, QString> secrets;
    QString error;
    if (!CredentialFiles::readFromEnvironment(QProcessEnvironment::systemEnvironment(), &secrets,
                                              &error)) {
        printError(error);
        return false;
    }
    store->setCredentialFileSecrets(secrets);
    return true;
}

// What a keychain that cannot be used means, and what to do about it.
QString keychainNote(const QString &error)
{
    return QStringLiteral("keychain not used: %1 Secrets come from credential files "
                          "($CREDENTIALS_DIRECTORY) and the environment (REDRIVE_SHARED_SECRET, "
                          "REDRIVE_REDIS_PASSWORD, ...) only; set REDRIVE_NO_KEYCHAIN=1 to run "
                          "without the keychain and not see this again.")
        .arg(error);
}

// --print-config's settings: Settings::describe(), with the key prefix Redrive uses. Without
// --key-prefix, a DLQ key with a hash tag puts the other keys under "<DLQ key>:" (QueueKeys),
// which the plain default would hide.
QString describedSettings(const Settings &settings)
{
    QString text = settings.describe();
    const QueueKeys keys = QueueKeys::fromSettings(settings);
    const QString prefix = QString::fromUtf8(keys.prefix);
    if (keys.prefixSet || prefix == settings.string(SettingKey::KeyPrefix))
        return text;
    const QString name = Settings::spec(SettingKey::KeyPrefix).fileKey;
    QStringList lines = text.split(QLatin1Char('\n'));
    for (QString &line : lines) {
        if (line.startsWith(name + QStringLiteral(" = ")))
            line = QStringLiteral("%1 = %2  (default: the DLQ key and \":\", so that the other "
                                  "keys share its hash tag)")
                       .arg(name, prefix);
    }
    return lines.join(QLatin1Char('\n'));
}

// Reads the secrets the engine needs, then calls `done` (with notes to log once the engine
// started: the first line on stderr says where the receiver listens). A keychain that is missing is
// not an error (environment-only use); one that does not answer is, because going on without the
// shared secret would accept deliveries the user meant to protect.
void resolveSecrets(
    CredentialStore *store, QObject *context,
    std::function<void(const EngineSecrets &, const QString &, const QStringList &)> done)
{
    struct State
    {
        EngineSecrets secrets;
        QString fatal;
        QStringList notes;
        int pending = 3;
    };
    auto state = std::make_shared<State>();
    const auto finishOne = [state, done] {
        if (--state->pending != 0)
            return;
        done(state->secrets, state->fatal, state->notes);
    };
    const auto handle = [state, finishOne](SecretKind kind, const SecretResult &result,
                                           auto assign) {
        if (result.ok) {
            assign(result.value);
        } else if (result.error.contains(QLatin1String("did not answer"))) {
            state->fatal = QStringLiteral("%1: %2 Set %3, or REDRIVE_NO_KEYCHAIN=1 to run without "
                                          "the keychain.")
                               .arg(CredentialStore::displayName(kind), result.error,
                                    CredentialStore::environmentVariable(kind));
        } else {
            const QString note = keychainNote(result.error);
            if (!state->notes.contains(note))
                state->notes.append(note);
        }
        finishOne();
    };
    store->read(SecretKind::RedisPassword, context, [state, handle](const SecretResult &r) {
        handle(SecretKind::RedisPassword, r,
               [state](const QString &v) { state->secrets.redisPassword = v; });
    });
    store->read(SecretKind::RedisSentinelPassword, context, [state, handle](const SecretResult &r) {
        handle(SecretKind::RedisSentinelPassword, r,
               [state](const QString &v) { state->secrets.redisSentinelPassword = v; });
    });
    store->read(SecretKind::SharedSecret, context, [state, handle](const SecretResult &r) {
        handle(SecretKind::SharedSecret, r,
               [state](const QString &v) { state->secrets.sharedSecret = v.toUtf8(); });
    });
}

} // namespace

int main(int argc, char **argv)
{
    // Before anything opens a descriptor, and inherited by the embedded Redis: each receiver
    // connection is one, and the usual soft limit (1024) is far below the hard one.
    redrive::core::DescriptorLimit::raiseToHardLimit();
    const bool gui = wantsGui(argc, argv);
    if (gui && !hasDisplay()) {
        // QApplication would abort with a message about the "xcb" plugin.
        printError(QStringLiteral(
            "no display to open the window on (DISPLAY and WAYLAND_DISPLAY are not set). On a "
            "server, run `redrive --headless` for the receiver and the retry worker without a "
            "window; `redrive --help` lists the options."));
        return 2;
    }
    std::unique_ptr<QCoreApplication> app = gui ? std::make_unique<QApplication>(argc, argv)
                                                : std::make_unique<QCoreApplication>(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("Redrive"));
    QCoreApplication::setOrganizationName(QStringLiteral("Redrive"));
    QCoreApplication::setApplicationVersion(QStringLiteral(REDRIVE_VERSION));
    if (gui) {
        // Ties the windows to the installed desktop file (task bar icon and name on Wayland).
        QGuiApplication::setDesktopFileName(redrive::ui::IconProvider::applicationId());
        QApplication::setWindowIcon(redrive::ui::IconProvider::applicationIcon());
        redrive::ui::appearance::installTranslations(); // plural forms: "1 retry", "3 retries"
    }
    qSetMessagePattern(QStringLiteral("%{time yyyy-MM-ddThh:mm:ss.zzz} "
                                      "%{if-warning}warning: %{endif}%{if-critical}error: %{endif}"
                                      "%{message}"));
    // Log lines carry texts from senders and downstreams: no terminal escapes in them.
    redrive::core::installTerminalSafeLogging();

    // `redrive genesys ...` and `redrive queue ...` have their own options, so they are
    // dispatched before the main parser.
    const bool queue = argc > 1 && qstrcmp(argv[1], "queue") == 0;
    if (queue || (argc > 1 && qstrcmp(argv[1], "genesys") == 0)) {
        Settings settings;
        QStringList errors;
        settings.applyEnvironment(QProcessEnvironment::systemEnvironment(), &errors);
        for (const QString &error : std::as_const(errors))
            printError(error);
        if (!errors.isEmpty())
            return 2;
        KeychainCredentialStore keychain(QStringLiteral("Redrive"), 5000);
        LayeredCredentialStore credentials(
            LayeredCredentialStore::secretsFrom(QProcess::systemEnvironment()),
            qEnvironmentVariableIntValue("REDRIVE_NO_KEYCHAIN") ? nullptr : &keychain);
        if (!useCredentialFiles(&credentials))
            return 2;
        if (queue)
            return runQueueCommand(QCoreApplication::arguments().mid(2), &settings, &credentials);
        return runGenesysCommand(QCoreApplication::arguments().mid(2), &settings,
                                 genesysSecretsFrom(&credentials));
    }

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Redrive: a console and webhook receiver for Genesys Cloud deliveries that failed "
        "downstream. Without options it opens the window.\n"
        "Secrets come from credential files in $CREDENTIALS_DIRECTORY (receiver-shared-secret, "
        "redis-password, redis-sentinel-password, genesys-client-secret; systemd "
        "LoadCredential=), else from REDRIVE_SHARED_SECRET, REDRIVE_REDIS_PASSWORD, "
        "REDRIVE_REDIS_SENTINEL_PASSWORD and GENESYS_CLIENT_SECRET, else from the OS keychain; "
        "never from the command line.\n"
        "Subcommands: redrive genesys --help (Genesys Cloud registration), redrive queue --help "
        "(the queue from a shell)."));
    parser.addHelpOption();
    parser.addVersionOption();
    const QList<QCommandLineOption> options = commandLineOptions();
    parser.addOptions(options);
    parser.process(*app);
    if (parser.isSet(QStringLiteral("help-man"))) {
        std::fputs(qPrintable(redrive::app::manPage(options)), stdout);
        return 0;
    }
    if (parser.isSet(QStringLiteral("help-env"))) {
        std::fputs(qPrintable(redrive::app::environmentFileTemplate()), stdout);
        return 0;
    }

    Settings settings;
    QStringList errors;
    settings.applyEnvironment(QProcessEnvironment::systemEnvironment(), &errors);
    settings.applyCommandLine(parser, &errors);
    if (!errors.isEmpty()) {
        for (const QString &error : std::as_const(errors))
            printError(error);
        return 2;
    }
    if (const QString problem = clusterKeyProblem(settings); !problem.isEmpty()) {
        printError(problem);
        return 2;
    }
    if (!settings.flag(SettingKey::ReceiverEnabled) && !settings.flag(SettingKey::WorkerEnabled)) {
        printError(QStringLiteral("--worker-only and --no-worker together leave nothing to run"));
        return 2;
    }

    // Headless processes must never hang on a locked keyring: a short timeout there.
    KeychainCredentialStore keychain(QStringLiteral("Redrive"), gui ? 30000 : 5000);
    LayeredCredentialStore credentials(
        LayeredCredentialStore::secretsFrom(QProcess::systemEnvironment()),
        qEnvironmentVariableIntValue("REDRIVE_NO_KEYCHAIN") ? nullptr : &keychain);
    if (!useCredentialFiles(&credentials))
        return 2;

    if (parser.isSet(QStringLiteral("print-config"))) {
        std::fprintf(stdout, "# settings file: %s\n%s", qPrintable(settings.filePath()),
                     qPrintable(describedSettings(settings)));
        // Where each secret comes from, never its value; a keychain that cannot be asked is
        // explained once, after the list.
        struct Secrets
        {
            QHash<SecretKind, QString> states;
            QString keychainProblem;
        };
        auto secrets = std::make_shared<Secrets>();
        const auto print = [secrets] {
            for (SecretKind kind : CredentialStore::allKinds())
                std::fprintf(stdout, "secret %s = %s\n", qPrintable(CredentialStore::keyName(kind)),
                             qPrintable(secrets->states.value(kind)));
            if (!secrets->keychainProblem.isEmpty())
                std::fprintf(stdout, "# %s\n", qPrintable(keychainNote(secrets->keychainProblem)));
        };
        for (SecretKind kind : CredentialStore::allKinds()) {
            const auto origin = credentials.overrideOrigin(kind);
            credentials.read(
                kind, app.get(), [kind, origin, secrets, print](const SecretResult &r) {
                    const QString where = origin == LayeredCredentialStore::Origin::CredentialFile
                        ? QStringLiteral("credential file $CREDENTIALS_DIRECTORY/%1")
                              .arg(CredentialFiles::fileName(kind))
                        : origin == LayeredCredentialStore::Origin::Environment
                        ? CredentialStore::environmentVariable(kind)
                        : QStringLiteral("keychain");
                    if (!r.ok)
                        secrets->keychainProblem = r.error;
                    secrets->states.insert(
                        kind,
                        !r.ok
                            ? QStringLiteral("unknown (the keychain could not be asked; see below)")
                            : r.found ? QStringLiteral("set (%1)").arg(where)
                                      : QStringLiteral("not set"));
                    if (secrets->states.size() == CredentialStore::allKinds().size()) {
                        print();
                        QCoreApplication::quit();
                    }
                });
        }
        return app->exec();
    }

    // The engine runs on its own thread in both modes. Headless, the main thread would do as
    // well (it has nothing else to do), but one thread model means the service runs, and its
    // tests exercise, exactly the engine the console runs; it costs one idle thread.
    EngineThread engine(EngineConfig::fromSettings(settings));
    // Stop taking deliveries, let the worker hand its in-flight entries back, then quit (the
    // embedded Redis stops with the engine).
    bool stopping = false;
    QObject::connect(&engine, &EngineThread::shutDown, app.get(), [] { QCoreApplication::quit(); });
    const auto shutdownAndQuit = [&engine, &stopping] {
        if (std::exchange(stopping, true))
            return;
        engine.shutdown();
    };
    onSignals(app.get(), shutdownAndQuit);
    if (gui) {
        QGuiApplication::setQuitOnLastWindowClosed(false);
        QObject::connect(qApp, &QGuiApplication::lastWindowClosed, &engine, shutdownAndQuit);
    }
    std::unique_ptr<redrive::ui::MainWindow> window;
    int exitCode = 0;
    QStringList secretNotes;
    const auto fail = [&exitCode, gui](const QString &error) {
        printError(error);
        if (gui)
            QMessageBox::critical(nullptr, QStringLiteral("Redrive cannot start"), error);
        exitCode = 1;
        QCoreApplication::exit(1);
    };
    QObject::connect(
        &engine, &EngineThread::started, app.get(), [&](bool ok, const QString &error) {
            if (!ok) {
                fail(error);
                return;
            }
            // After the first line (where the receiver listens): what the file
            // got wrong, and old names of settings still in use.
            for (const QString &problem : settings.fileProblems() + settings.deprecations())
                qWarning().noquote() << problem;
            for (const QString &note : std::as_const(secretNotes))
                qInfo().noquote() << note;
            if (!gui)
                return;
            window = std::make_unique<redrive::ui::MainWindow>(engine, settings, credentials);
            window->show();
        });
    resolveSecrets(
        &credentials, &engine,
        [&](const EngineSecrets &secrets, const QString &fatal, const QStringList &notes) {
            secretNotes = notes;
            if (!fatal.isEmpty())
                fail(fatal);
            else
                engine.start(secrets, gui);
        });
    const int loopCode = app->exec();
    window.reset(); // before the engine it shows
    return exitCode ? exitCode : loopCode;
}
