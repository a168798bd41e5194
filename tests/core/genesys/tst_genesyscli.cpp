// SPDX-License-Identifier: MIT
#include "core/genesys/genesyscli.h"
#include "core/settings/memorycredentialstore.h"
#include "core/settings/settings.h"
#include "tests/support/fakegenesysserver.h"
#include "tests/support/fakengrokagent.h"
#include "tests/support/testenv.h"

#include <QFileInfo>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace Qt::StringLiterals;
using redrive::core::GenesysCommand;
using redrive::core::GenesysSecret;
using redrive::core::GenesysSecretProvider;
using redrive::core::Settings;
using redrive::tests::FakeGenesysServer;
using redrive::tests::FakeNgrokAgent;

namespace {

constexpr int kWaitMs = 30000; // an upper bound for "eventually", never a measured duration
const QString kTopic = u"v2.detail.events.conversation.{id}.customer.start"_s;
const QString kShared = u"shared-s3cret"_s;

struct Outcome
{
    int exitCode = -1;
    QStringList out;
    QStringList err;
    QString all() const { return (out + err).join(u'\n'); }
};

} // namespace

class TestGenesysCli final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<FakeGenesysServer> m_fake;
    std::unique_ptr<FakeNgrokAgent> m_ngrok;
    std::unique_ptr<QTemporaryDir> m_dir;

    QProcessEnvironment environment(bool withSecrets = true) const
    {
        QProcessEnvironment env;
        env.insert(u"GENESYS_CLIENT_ID"_s, m_fake->clientId());
        env.insert(u"GENESYS_REGION"_s, u"eu-west-1"_s);
        env.insert(u"REDRIVE_GENESYS_BASE_URL"_s, m_fake->baseUrl().toString());
        env.insert(u"REDRIVE_NGROK_API"_s, m_ngrok->apiUrl().toString());
        env.insert(u"REDRIVE_LISTEN"_s, u"127.0.0.1:5000"_s);
        if (withSecrets) {
            env.insert(u"GENESYS_CLIENT_SECRET"_s, m_fake->clientSecret());
            env.insert(u"REDRIVE_SHARED_SECRET"_s, kShared);
        }
        return env;
    }

    Outcome run(const QStringList &arguments, const QProcessEnvironment &env,
                GenesysSecretProvider secrets = {})
    {
        Settings settings(m_dir->filePath(u"redrive.ini"_s));
        QStringList errors;
        settings.applyEnvironment(env, &errors);
        Outcome outcome;
        GenesysCommand command(arguments, env, &settings, std::move(secrets));
        redrive::core::GenesysRetryPolicy policy;
        policy.backoffBaseMs = 1;
        command.setRetryPolicy(policy);
        connect(&command, &GenesysCommand::output, this,
                [&outcome](const QString &line) { outcome.out.append(line); });
        connect(&command, &GenesysCommand::errorOutput, this,
                [&outcome](const QString &line) { outcome.err.append(line); });
        command.start();
        if (QTest::qWaitFor([&command] { return command.isFinished(); }, kWaitMs))
            outcome.exitCode = command.exitCode();
        return outcome;
    }

private Q_SLOTS:
    void init()
    {
        m_dir = std::make_unique<QTemporaryDir>();
        m_fake = std::make_unique<FakeGenesysServer>();
        QVERIFY(m_fake->start());
        m_fake->addWorkflow(u"wf-1"_s, u"Forward to Redrive"_s);
        m_fake->addTopic(kTopic);
        m_ngrok = std::make_unique<FakeNgrokAgent>();
        QVERIFY(m_ngrok->start());
    }

    void cleanup()
    {
        m_ngrok.reset();
        m_fake.reset();
        m_dir.reset();
    }

    void usageErrors_data()
    {
        QTest::addColumn<QStringList>("arguments");
        QTest::addColumn<QString>("expected");
        QTest::newRow("nothing") << QStringList() << u"Usage: redrive genesys"_s;
        QTest::newRow("unknown") << QStringList { u"frobnicate"_s } << u"Unknown command"_s;
        QTest::newRow("bad option") << QStringList { u"list"_s, u"--bogus"_s } << u"bogus"_s;
        QTest::newRow("no url") << QStringList { u"register"_s, u"--topic"_s, kTopic,
                                                 u"--workflow"_s, u"wf-1"_s }
                                << u"--public-url URL or --ngrok"_s;
        QTest::newRow("both") << QStringList { u"register"_s,    u"--ngrok"_s, u"--public-url"_s,
                                               u"https://a.b"_s, u"--topic"_s, kTopic,
                                               u"--workflow"_s,  u"wf-1"_s }
                              << u"exactly one"_s;
        QTest::newRow("no topic") << QStringList { u"register"_s, u"--ngrok"_s } << u"--topic"_s;
        QTest::newRow("http url") << QStringList {
            u"register"_s,   u"--public-url"_s, u"http://a.ngrok.app"_s, u"--topic"_s, kTopic,
            u"--workflow"_s, u"wf-1"_s
        } << u"https://"_s;
    }

    void usageErrors()
    {
        QFETCH(QStringList, arguments);
        QFETCH(QString, expected);
        const Outcome outcome = run(arguments, environment());
        QCOMPARE(outcome.exitCode, int(GenesysCommand::UsageError));
        QVERIFY2(outcome.err.join(u'\n').contains(expected), qPrintable(outcome.all()));
        QCOMPARE(m_fake->count("POST", u"/api/v2/"_s), 0);
    }

    void help()
    {
        const Outcome outcome = run({ u"--help"_s }, environment());
        QCOMPARE(outcome.exitCode, 0);
        QVERIFY(outcome.out.join(u'\n').contains(u"test-credentials"_s));
    }

    void regions()
    {
        const Outcome outcome = run({ u"regions"_s }, environment(false));
        QCOMPARE(outcome.exitCode, 0);
        QCOMPARE(outcome.out.size(), 17);
        const QStringList euWest1 = outcome.out.filter(u"eu-west-1 "_s);
        QCOMPARE(euWest1.size(), 1);
        QCOMPARE(euWest1.first().simplified(),
                 u"eu-west-1 api.mypurecloud.ie login.mypurecloud.ie"_s);
    }

    void testCredentials()
    {
        const Outcome outcome = run({ u"test-credentials"_s }, environment());
        QCOMPARE(outcome.exitCode, 0);
        QVERIFY2(outcome.out.join(u'\n').contains(u"Credentials OK"_s), qPrintable(outcome.all()));
        QCOMPARE(m_fake->tokenRequests(), 1);
    }

    void testCredentialsWithWrongSecret()
    {
        QProcessEnvironment env = environment();
        env.insert(u"GENESYS_CLIENT_SECRET"_s, u"nope"_s);
        const Outcome outcome = run({ u"test-credentials"_s }, env);
        QCOMPARE(outcome.exitCode, int(GenesysCommand::Failure));
        QVERIFY2(outcome.err.join(u'\n').contains(u"refused the OAuth client id or secret"_s),
                 qPrintable(outcome.all()));
        QVERIFY(!outcome.all().contains(u"nope"_s));
    }

    void missingSecretWithoutKeychain()
    {
        const Outcome outcome = run({ u"test-credentials"_s }, environment(false));
        QCOMPARE(outcome.exitCode, int(GenesysCommand::UsageError));
        QVERIFY2(outcome.err.join(u'\n').contains(u"GENESYS_CLIENT_SECRET"_s),
                 qPrintable(outcome.all()));
        QCOMPARE(m_fake->requests().size(), 0);
    }

    void secretProviderIsAskedWhenTheEnvironmentHasNone()
    {
        QList<GenesysSecret> asked;
        const QString clientSecret = m_fake->clientSecret();
        GenesysSecretProvider provider
            = [&asked, clientSecret](GenesysSecret which, QObject *, auto done) {
                  asked.append(which);
                  done(which == GenesysSecret::ClientSecret ? clientSecret : kShared, QString());
              };
        const Outcome outcome = run({ u"register"_s, u"--public-url"_s, u"https://abc.ngrok.app"_s,
                                      u"--topic"_s, kTopic, u"--workflow"_s, u"wf-1"_s },
                                    environment(false), provider);
        QCOMPARE(outcome.exitCode, 0);
        QCOMPARE(asked, (QList { GenesysSecret::SharedSecret, GenesysSecret::ClientSecret }));
        const QString credentialId = m_fake->credentials().first().value(u"id"_s).toString();
        QCOMPARE(m_fake->credentialFields(credentialId).value(u"sharedSecret"_s), kShared);
    }

    void credentialStoreAnswersSecretLookups()
    {
        redrive::core::MemoryCredentialStore store;
        store.set(redrive::core::SecretKind::GenesysClientSecret, m_fake->clientSecret());
        store.set(redrive::core::SecretKind::SharedSecret, kShared);
        const Outcome outcome = run({ u"register"_s, u"--public-url"_s, u"https://abc.ngrok.app"_s,
                                      u"--topic"_s, kTopic, u"--workflow"_s, u"wf-1"_s },
                                    environment(false), redrive::core::genesysSecretsFrom(&store));
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.all()));
        const QString credentialId = m_fake->credentials().first().value(u"id"_s).toString();
        QCOMPARE(m_fake->credentialFields(credentialId).value(u"sharedSecret"_s), kShared);

        // An empty store: the command says which variable to set instead.
        redrive::core::MemoryCredentialStore empty;
        const Outcome missing
            = run({ u"list"_s }, environment(false), redrive::core::genesysSecretsFrom(&empty));
        QCOMPARE(missing.exitCode, int(GenesysCommand::UsageError));
        QVERIFY2(missing.err.join(u'\n').contains(u"GENESYS_CLIENT_SECRET"_s),
                 qPrintable(missing.all()));
    }

    void keychainErrorIsShown()
    {
        GenesysSecretProvider provider = [](GenesysSecret, QObject *, auto done) {
            done(QString(), u"The keyring is locked"_s);
        };
        const Outcome outcome = run({ u"list"_s }, environment(false), provider);
        QCOMPARE(outcome.exitCode, int(GenesysCommand::UsageError));
        QVERIFY2(outcome.err.join(u'\n').contains(u"The keyring is locked"_s)
                     && outcome.err.join(u'\n').contains(u"GENESYS_CLIENT_SECRET"_s),
                 qPrintable(outcome.all()));
    }

    void registerWithNgrokThenListThenUnregister()
    {
        m_ngrok->addTunnel(u"https://tunnel.ngrok.app"_s, u"http://localhost:5000"_s);
        Outcome outcome
            = run({ u"register"_s, u"--ngrok"_s, u"--topic"_s, kTopic, u"--workflow"_s, u"wf-1"_s },
                  environment());
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.all()));
        QVERIFY(outcome.out.first().startsWith(u"ngrok: https://tunnel.ngrok.app"_s));
        QVERIFY(outcome.out.last().startsWith(u"Registered:"_s));
        QVERIFY(!outcome.all().contains(kShared));
        QVERIFY2(m_fake->rejections().isEmpty(), qPrintable(m_fake->rejections().join(u'\n')));
        QCOMPARE(m_fake->actions().size(), 1);
        QCOMPARE(m_fake->actions()
                     .first()
                     .value(u"config"_s)
                     .toObject()
                     .value(u"request"_s)
                     .toObject()
                     .value(u"requestUrlTemplate"_s)
                     .toString(),
                 u"https://tunnel.ngrok.app/webhook/genesys"_s);
        QCOMPARE(m_fake->triggers().size(), 1);

        outcome = run({ u"list"_s }, environment());
        QCOMPARE(outcome.exitCode, 0);
        QCOMPARE(outcome.out.size(), 4);
        QVERIFY(outcome.out.join(u'\n').contains(u"https://tunnel.ngrok.app/webhook/genesys"_s));

        outcome = run({ u"unregister"_s }, environment());
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.all()));
        QVERIFY(m_fake->integrations().isEmpty() && m_fake->actions().isEmpty()
                && m_fake->triggers().isEmpty() && m_fake->credentials().isEmpty());

        outcome = run({ u"list"_s }, environment());
        QCOMPARE(outcome.out, QStringList { u"Nothing registered by Redrive in this org."_s });
    }

    void pathHeaderAndPortOptions()
    {
        m_ngrok->addTunnel(u"https://other.ngrok.app"_s, u"http://localhost:5000"_s);
        m_ngrok->addTunnel(u"https://mine.ngrok.app"_s, u"http://localhost:7000"_s);
        const Outcome outcome
            = run({ u"register"_s, u"--ngrok"_s, u"--port"_s, u"7000"_s, u"--path"_s,
                    u"/hooks/gc"_s, u"--secret-header"_s, u"X-Hook-Key"_s, u"--topic"_s, kTopic,
                    u"--workflow"_s, u"wf-1"_s },
                  environment());
        QVERIFY2(outcome.exitCode == 0, qPrintable(outcome.all()));
        const QJsonObject request = m_fake->actions()
                                        .first()
                                        .value(u"config"_s)
                                        .toObject()
                                        .value(u"request"_s)
                                        .toObject();
        QCOMPARE(request.value(u"requestUrlTemplate"_s).toString(),
                 u"https://mine.ngrok.app/hooks/gc"_s);
        QCOMPARE(request.value(u"headers"_s).toObject().value(u"X-Hook-Key"_s).toString(),
                 u"${credentials.sharedSecret}"_s);
        QVERIFY(!request.value(u"headers"_s).toObject().contains(u"X-Redrive-Secret"_s));
    }

    void registerWithNgrokNotForwarding()
    {
        m_ngrok->addTunnel(u"https://tunnel.ngrok.app"_s, u"http://localhost:8080"_s);
        const Outcome outcome
            = run({ u"register"_s, u"--ngrok"_s, u"--topic"_s, kTopic, u"--workflow"_s, u"wf-1"_s },
                  environment());
        QCOMPARE(outcome.exitCode, int(GenesysCommand::Failure));
        QVERIFY2(outcome.err.join(u'\n').contains(u"no tunnel forwards to port 5000"_s),
                 qPrintable(outcome.all()));
        QCOMPARE(m_fake->count("POST", u"/api/v2/"_s), 0);
    }

    void registerFailureIsReportedPrecisely()
    {
        m_fake->failNext("POST", u"/api/v2/processautomation/triggers"_s, 403);
        const Outcome outcome = run({ u"register"_s, u"--public-url"_s, u"https://abc.ngrok.app"_s,
                                      u"--topic"_s, kTopic, u"--workflow"_s, u"wf-1"_s },
                                    environment());
        QCOMPARE(outcome.exitCode, int(GenesysCommand::Failure));
        // Steps go to stdout as they happen; stderr says what failed and what is left.
        const QString out = outcome.out.join(u'\n');
        QVERIFY2(out.contains(u"trigger: FAILED"_s) && out.contains(u"rolled back"_s),
                 qPrintable(outcome.all()));
        QCOMPARE(outcome.err.size(), 1);
        QVERIFY2(outcome.err.first().startsWith(u"Error: The OAuth client lacks a permission"_s)
                     && outcome.err.first().endsWith(
                         u"Nothing this run created is left in Genesys Cloud."_s),
                 qPrintable(outcome.all()));
        QVERIFY(m_fake->actions().isEmpty() && m_fake->integrations().isEmpty());
    }

    void topicsAndWorkflows()
    {
        m_fake->addTopic(u"v2.users.{id}.presence"_s);
        Outcome outcome = run({ u"topics"_s, u"--filter"_s, u"presence"_s }, environment());
        QCOMPARE(outcome.exitCode, 0);
        QCOMPARE(outcome.out, QStringList { u"v2.users.{id}.presence"_s });
        outcome = run({ u"--list-workflows"_s }, environment());
        QCOMPARE(outcome.exitCode, 0);
        QCOMPARE(outcome.out, QStringList { u"wf-1  Forward to Redrive"_s });
    }

    void theExecutableRunsGenesysCommands()
    {
        const QString binary = redrive::tests::redriveBinary();
        if (binary.isEmpty() || !QFileInfo::exists(binary))
            QSKIP("the redrive executable is not built");
        const auto run = [&binary](const QStringList &arguments, const QProcessEnvironment &env) {
            auto process = std::make_unique<QProcess>();
            process->setProcessEnvironment(env);
            process->start(binary, QStringList { u"genesys"_s } + arguments);
            // The fakes answer from this process's event loop, so wait without blocking it.
            if (!QTest::qWaitFor([&process] { return process->state() == QProcess::NotRunning; },
                                 kWaitMs)) {
                process->kill(); // a hung child fails the checks below instead of the run
                process->waitForFinished();
            }
            return process;
        };
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        const QProcessEnvironment ours = environment();
        for (const QString &key : ours.keys())
            env.insert(key, ours.value(key));
        const auto help = run({ u"--help"_s }, env);
        // Until app/main.cpp hands "genesys" to runGenesysCommand() the binary prints its own
        // help here; the command line itself is covered in-process by the tests above.
        if (!help->readAllStandardOutput().contains("Usage: redrive genesys <command>"))
            QSKIP("app/main.cpp does not hand \"genesys\" to runGenesysCommand() yet");

        m_ngrok->addTunnel(u"https://tunnel.ngrok.app"_s, u"http://localhost:5000"_s);
        auto process = run(
            { u"register"_s, u"--ngrok"_s, u"--topic"_s, kTopic, u"--workflow"_s, u"wf-1"_s }, env);
        const QString out = QString::fromUtf8(process->readAllStandardOutput());
        QVERIFY2(process->exitStatus() == QProcess::NormalExit && process->exitCode() == 0,
                 qPrintable(out + QString::fromUtf8(process->readAllStandardError())));
        QVERIFY2(out.contains(u"Registered:"_s), qPrintable(out));
        QCOMPARE(m_fake->actions().size(), 1);
        QCOMPARE(m_fake->triggers().size(), 1);
        QVERIFY2(m_fake->rejections().isEmpty(), qPrintable(m_fake->rejections().join(u'\n')));

        process = run({ u"unregister"_s }, env);
        QCOMPARE(process->exitCode(), 0);
        QVERIFY(m_fake->integrations().isEmpty() && m_fake->actions().isEmpty()
                && m_fake->triggers().isEmpty() && m_fake->credentials().isEmpty());

        env.insert(u"GENESYS_CLIENT_SECRET"_s, u"wrong"_s);
        process = run({ u"test-credentials"_s }, env);
        QCOMPARE(process->exitCode(), 1);
        QVERIFY(QString::fromUtf8(process->readAllStandardError())
                    .contains(u"refused the OAuth client id or secret"_s));
    }

    void runGenesysCommandReturnsTheExitCode()
    {
        // The blocking entry point the executable calls: reads the process environment.
        qputenv("GENESYS_CLIENT_ID", m_fake->clientId().toUtf8());
        qputenv("GENESYS_CLIENT_SECRET", m_fake->clientSecret().toUtf8());
        qputenv("REDRIVE_GENESYS_BASE_URL", m_fake->baseUrl().toString().toUtf8());
        QCOMPARE(redrive::core::runGenesysCommand({ u"test-credentials"_s }), 0);
        QCOMPARE(m_fake->tokenRequests(), 1);
        qputenv("GENESYS_CLIENT_SECRET", "wrong");
        QCOMPARE(redrive::core::runGenesysCommand({ u"test-credentials"_s }), 1);
        QCOMPARE(redrive::core::runGenesysCommand({ u"nonsense"_s }), 2);
        qunsetenv("GENESYS_CLIENT_ID");
        qunsetenv("GENESYS_CLIENT_SECRET");
        qunsetenv("REDRIVE_GENESYS_BASE_URL");
    }
};

QTEST_GUILESS_MAIN(TestGenesysCli)
#include "tst_genesyscli.moc"
