// SPDX-License-Identifier: MIT
#include "core/genesys/genesysregistrar.h"
#include "tests/support/fakegenesysserver.h"

#include <QTest>

#include <optional>

using namespace Qt::StringLiterals;
using redrive::core::AuditAction;
using redrive::core::AuditOutcome;
using redrive::core::AuditRecord;
using redrive::core::AuditScope;
using redrive::core::GenesysClient;
using redrive::core::GenesysConnection;
using redrive::core::GenesysError;
using redrive::core::GenesysInventory;
using redrive::core::GenesysOperationResult;
using redrive::core::GenesysRegistrar;
using redrive::core::GenesysRegistrationRequest;
using redrive::core::GenesysRetryPolicy;
using redrive::core::GenesysStep;
using redrive::tests::FakeGenesysServer;

namespace {

constexpr int kWaitMs = 30000; // an upper bound for "eventually", never a measured duration
const QString kTopic = u"v2.detail.events.conversation.{id}.customer.start"_s;
const QString kOtherTopic = u"v2.detail.events.conversation.{id}.customer.end"_s;
const QString kSecret = u"s3cr3t-shared"_s;

QList<GenesysStep::State> states(const GenesysOperationResult &result, const QString &what)
{
    QList<GenesysStep::State> list;
    for (const GenesysStep &step : result.steps) {
        if (step.what == what)
            list.append(step.state);
    }
    return list;
}

} // namespace

class TestGenesysRegistrar final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<FakeGenesysServer> m_fake;
    std::unique_ptr<GenesysClient> m_client;
    std::unique_ptr<GenesysRegistrar> m_registrar;

    GenesysRegistrationRequest request(const QString &url = u"https://abc.ngrok.app"_s) const
    {
        GenesysRegistrationRequest r;
        r.publicUrl = QUrl(url);
        r.sharedSecret = kSecret;
        r.topic = kTopic;
        r.workflowId = u"wf-1"_s;
        return r;
    }

    std::optional<GenesysOperationResult> registerReceiver(const GenesysRegistrationRequest &r)
    {
        std::optional<GenesysOperationResult> result;
        m_registrar->registerReceiver(
            r, this, [&result](const GenesysOperationResult &res) { result = res; });
        if (!QTest::qWaitFor([&result] { return result.has_value(); }, kWaitMs))
            return std::nullopt;
        return result;
    }

    std::optional<GenesysOperationResult> unregister()
    {
        std::optional<GenesysOperationResult> result;
        m_registrar->unregister(this,
                                [&result](const GenesysOperationResult &res) { result = res; });
        if (!QTest::qWaitFor([&result] { return result.has_value(); }, kWaitMs))
            return std::nullopt;
        return result;
    }

    std::optional<GenesysInventory> list()
    {
        std::optional<GenesysInventory> result;
        GenesysError error;
        m_registrar->list(this, [&](const GenesysInventory &inventory, const GenesysError &e) {
            error = e;
            result = inventory;
        });
        if (!QTest::qWaitFor([&result] { return result.has_value(); }, kWaitMs) || error.isError())
            return std::nullopt;
        return result;
    }

    bool fakeIsEmpty() const
    {
        return m_fake->integrations().isEmpty() && m_fake->credentials().isEmpty()
            && m_fake->actions().isEmpty() && m_fake->triggers().isEmpty();
    }

private Q_SLOTS:
    void init()
    {
        m_fake = std::make_unique<FakeGenesysServer>();
        QVERIFY(m_fake->start());
        m_fake->addWorkflow(u"wf-1"_s, u"Forward to Redrive"_s);
        m_fake->addWorkflow(u"wf-2"_s, u"Other workflow"_s);
        m_fake->addTopic(kTopic);
        m_fake->addTopic(kOtherTopic);
        GenesysConnection c;
        c.baseUrlOverride = m_fake->baseUrl().toString();
        c.clientId = m_fake->clientId();
        c.clientSecret = m_fake->clientSecret();
        m_client = std::make_unique<GenesysClient>(c);
        GenesysRetryPolicy policy;
        policy.backoffBaseMs = 1;
        policy.backoffMaxMs = 4;
        m_client->setRetryPolicy(policy);
        m_registrar = std::make_unique<GenesysRegistrar>(m_client.get());
    }

    void cleanup()
    {
        m_registrar.reset();
        m_client.reset();
        m_fake.reset();
    }

    void registerCreatesEverythingWithDocumentedBodies()
    {
        const auto result = registerReceiver(request());
        QVERIFY(result);
        QVERIFY2(result->ok, qPrintable(result->summary()));
        QVERIFY2(m_fake->rejections().isEmpty(), qPrintable(m_fake->rejections().join(u'\n')));
        QCOMPARE(states(*result, u"integration"_s),
                 (QList { GenesysStep::State::Created, GenesysStep::State::Updated }));
        QCOMPARE(states(*result, u"credential"_s), QList { GenesysStep::State::Created });
        QCOMPARE(states(*result, u"data action"_s), QList { GenesysStep::State::Created });
        QCOMPARE(states(*result, u"trigger"_s), QList { GenesysStep::State::Created });

        QCOMPARE(m_fake->integrations().size(), 1);
        const QJsonObject integration = m_fake->integrations().first();
        QCOMPARE(integration.value(u"name"_s).toString(), u"Redrive receiver"_s);
        QCOMPARE(integration.value(u"intendedState"_s).toString(), u"ENABLED"_s);
        QCOMPARE(integration.value(u"integrationType"_s).toObject().value(u"id"_s).toString(),
                 u"custom-rest-actions"_s);

        QCOMPARE(m_fake->credentials().size(), 1);
        const QString credentialId = m_fake->credentials().first().value(u"id"_s).toString();
        QCOMPARE(m_fake->credentialFields(credentialId).value(u"sharedSecret"_s), kSecret);
        QCOMPARE(m_fake->integrationConfig(result->integrationId)
                     .value(u"credentials"_s)
                     .toObject()
                     .value(u"basicAuth"_s)
                     .toObject()
                     .value(u"id"_s)
                     .toString(),
                 credentialId);

        QCOMPARE(m_fake->actions().size(), 1);
        const QJsonObject action = m_fake->actions().first();
        QCOMPARE(action.value(u"integrationId"_s).toString(), result->integrationId);
        QCOMPARE(action.value(u"category"_s).toString(), u"Redrive"_s);
        QVERIFY(action.value(u"id"_s).toString().startsWith(u"custom_-_"_s));
        const QJsonObject req = action.value(u"config"_s).toObject().value(u"request"_s).toObject();
        QCOMPARE(req.value(u"requestUrlTemplate"_s).toString(),
                 u"https://abc.ngrok.app/webhook/genesys"_s);
        QCOMPARE(req.value(u"requestType"_s).toString(), u"POST"_s);
        QCOMPARE(req.value(u"headers"_s).toObject().value(u"X-Redrive-Secret"_s).toString(),
                 u"${credentials.sharedSecret}"_s);
        QCOMPARE(req.value(u"requestTemplate"_s).toString(), u"${input.rawRequest}"_s);

        QCOMPARE(m_fake->triggers().size(), 1);
        const QJsonObject trigger = m_fake->triggers().first();
        QCOMPARE(trigger.value(u"topicName"_s).toString(), kTopic);
        QVERIFY(trigger.value(u"enabled"_s).toBool());
        QVERIFY(trigger.value(u"name"_s).toString().startsWith(u"Redrive: "_s));
        const QJsonObject target = trigger.value(u"target"_s).toObject();
        QCOMPARE(target.value(u"type"_s).toString(), u"Workflow"_s);
        QCOMPARE(target.value(u"id"_s).toString(), u"wf-1"_s);
        QCOMPARE(
            target.value(u"workflowTargetSettings"_s).toObject().value(u"dataFormat"_s).toString(),
            u"Json"_s);

        // The secret never appears in what the registrar reports.
        QVERIFY(!result->summary().contains(kSecret));
    }

    void registerListRepointUnregister()
    {
        QVERIFY(registerReceiver(request())->ok);
        auto inventory = list();
        QVERIFY(inventory);
        QCOMPARE(inventory->ofKind(u"integration"_s).size(), 1);
        QCOMPARE(inventory->ofKind(u"credential"_s).size(), 1);
        QCOMPARE(inventory->ofKind(u"data action"_s).size(), 1);
        QCOMPARE(inventory->ofKind(u"trigger"_s).size(), 1);
        QVERIFY(inventory->ofKind(u"data action"_s).first().detail.contains(u"abc.ngrok.app"_s));

        // Same URL again: nothing new, nothing re-pointed.
        m_fake->clearLog();
        auto again = registerReceiver(request());
        QVERIFY2(again && again->ok, qPrintable(again->summary()));
        QCOMPARE(states(*again, u"data action"_s), QList { GenesysStep::State::Unchanged });
        QCOMPARE(states(*again, u"trigger"_s), QList { GenesysStep::State::Unchanged });
        QCOMPARE(m_fake->count("POST", u"/api/v2/"_s), 0);

        // The tunnel moved: the same action is re-pointed, not duplicated.
        const QString actionId = m_fake->actions().first().value(u"id"_s).toString();
        auto moved = registerReceiver(request(u"https://xyz.ngrok-free.app/"_s));
        QVERIFY2(moved && moved->ok, qPrintable(moved->summary()));
        QCOMPARE(states(*moved, u"data action"_s), QList { GenesysStep::State::Updated });
        QCOMPARE(m_fake->actions().size(), 1);
        const QJsonObject action = m_fake->actions().first();
        QCOMPARE(action.value(u"id"_s).toString(), actionId);
        QCOMPARE(action.value(u"version"_s).toInt(), 2);
        QCOMPARE(action.value(u"config"_s)
                     .toObject()
                     .value(u"request"_s)
                     .toObject()
                     .value(u"requestUrlTemplate"_s)
                     .toString(),
                 u"https://xyz.ngrok-free.app/webhook/genesys"_s);
        QCOMPARE(m_fake->triggers().size(), 1);
        QCOMPARE(m_fake->integrations().size(), 1);
        QCOMPARE(m_fake->credentials().size(), 1);
        QVERIFY2(m_fake->rejections().isEmpty(), qPrintable(m_fake->rejections().join(u'\n')));

        const auto removed = unregister();
        QVERIFY(removed);
        QVERIFY2(removed->ok, qPrintable(removed->summary()));
        QCOMPARE(states(*removed, u"trigger"_s), QList { GenesysStep::State::Deleted });
        QVERIFY(fakeIsEmpty());
        inventory = list();
        QVERIFY(inventory && inventory->items.isEmpty());
    }

    void registrationAndUnregistrationAreAudited()
    {
        QList<AuditRecord> records;
        m_registrar->setAuditSink([&](const AuditRecord &record) { records.append(record); });
        const auto registered = registerReceiver(request());
        QVERIFY(registered && registered->ok);
        QCOMPARE(records.size(), 1); // given before the caller hears back
        const AuditRecord r = records.first();
        QCOMPARE(r.action, AuditAction::Register);
        QCOMPARE(r.scope, AuditScope::None);
        QCOMPARE(r.outcome, AuditOutcome::Done);
        QVERIFY2(r.detail.contains(u"https://abc.ngrok.app/webhook/genesys"_s),
                 qPrintable(r.detail));
        QVERIFY(r.detail.contains(kTopic));
        QVERIFY(r.detail.contains(registered->actionId));
        QVERIFY(r.detail.contains(registered->triggerId));
        QVERIFY(!r.toJsonLine().contains(kSecret.toUtf8())); // never a credential

        const auto removed = unregister();
        QVERIFY(removed && removed->ok);
        QCOMPARE(records.size(), 2);
        QCOMPARE(records.at(1).action, AuditAction::Unregister);
        QCOMPARE(records.at(1).outcome, AuditOutcome::Done);
        QVERIFY2(records.at(1).detail.contains(registered->triggerId + u" deleted"_s),
                 qPrintable(records.at(1).detail));

        // A failed registration is recorded as failed, with what is left.
        m_fake->failNext("POST", u"/api/v2/processautomation/triggers"_s, 400);
        m_fake->failNext("DELETE", u"/api/v2/integrations/"_s, 500, 100);
        const auto failed = registerReceiver(request());
        QVERIFY(failed && !failed->ok);
        QCOMPARE(records.size(), 3);
        QCOMPARE(records.at(2).outcome, AuditOutcome::Failed);
        QVERIFY(records.at(2).reason.contains(u"still in Genesys Cloud"_s));
        QVERIFY(!records.at(2).toJsonLine().contains(kSecret.toUtf8()));
    }

    void secondTopicAddsOnlyATrigger()
    {
        QVERIFY(registerReceiver(request())->ok);
        auto r = request();
        r.topic = kOtherTopic;
        const auto result = registerReceiver(r);
        QVERIFY2(result && result->ok, qPrintable(result->summary()));
        QCOMPARE(m_fake->triggers().size(), 2);
        QCOMPARE(m_fake->actions().size(), 1);
        QVERIFY(unregister()->ok);
        QVERIFY(fakeIsEmpty());
    }

    void anotherWorkflowUpdatesTheTriggerInPlace()
    {
        QVERIFY(registerReceiver(request())->ok);
        const QString triggerId = m_fake->triggers().first().value(u"id"_s).toString();
        auto r = request();
        r.workflowId = u"wf-2"_s;
        const auto result = registerReceiver(r);
        QVERIFY2(result && result->ok, qPrintable(result->summary()));
        QCOMPARE(states(*result, u"trigger"_s), QList { GenesysStep::State::Updated });
        QCOMPARE(m_fake->triggers().size(), 1);
        const QJsonObject trigger = m_fake->triggers().first();
        QCOMPARE(trigger.value(u"id"_s).toString(), triggerId);
        QCOMPARE(trigger.value(u"version"_s).toInt(), 2);
        QCOMPARE(trigger.value(u"target"_s).toObject().value(u"id"_s).toString(), u"wf-2"_s);
        QVERIFY2(m_fake->rejections().isEmpty(), qPrintable(m_fake->rejections().join(u'\n')));
    }

    void failureInStep2RollsBack()
    {
        m_fake->failNext("POST", u"/api/v2/integrations/actions"_s, 400);
        const auto result = registerReceiver(request());
        QVERIFY(result);
        QVERIFY(!result->ok);
        QCOMPARE(result->error.kind, GenesysError::Kind::BadRequest);
        QCOMPARE(states(*result, u"data action"_s), QList { GenesysStep::State::Failed });
        QVERIFY(states(*result, u"integration"_s).contains(GenesysStep::State::RolledBack));
        QVERIFY(states(*result, u"credential"_s).contains(GenesysStep::State::RolledBack));
        QVERIFY2(result->leftInGenesys.isEmpty(), qPrintable(result->summary()));
        QVERIFY(result->summary().contains(u"Nothing this run created is left"_s));
        QVERIFY(fakeIsEmpty());
    }

    void failureInStep3RollsBack()
    {
        m_fake->failNext("POST", u"/api/v2/processautomation/triggers"_s, 403);
        const auto result = registerReceiver(request());
        QVERIFY(result);
        QVERIFY(!result->ok);
        QCOMPARE(result->error.kind, GenesysError::Kind::Forbidden);
        QVERIFY2(result->error.message.contains(u"processautomation:trigger"_s),
                 qPrintable(result->error.message));
        QVERIFY(states(*result, u"data action"_s).contains(GenesysStep::State::RolledBack));
        QVERIFY2(result->leftInGenesys.isEmpty(), qPrintable(result->summary()));
        QVERIFY(fakeIsEmpty());
    }

    void failureAfterRepointRestoresTheOldUrl()
    {
        QVERIFY(registerReceiver(request())->ok);
        auto r = request(u"https://new.ngrok.app"_s);
        r.topic = kOtherTopic;
        m_fake->failNext("POST", u"/api/v2/processautomation/triggers"_s, 400);
        const auto result = registerReceiver(r);
        QVERIFY(result && !result->ok);
        QCOMPARE(states(*result, u"data action"_s),
                 (QList { GenesysStep::State::Updated, GenesysStep::State::RolledBack }));
        QCOMPARE(m_fake->actions().size(), 1);
        QCOMPARE(m_fake->actions()
                     .first()
                     .value(u"config"_s)
                     .toObject()
                     .value(u"request"_s)
                     .toObject()
                     .value(u"requestUrlTemplate"_s)
                     .toString(),
                 u"https://abc.ngrok.app/webhook/genesys"_s);
        // The integration existed before this run, so it stays, and the report says so.
        QCOMPARE(m_fake->integrations().size(), 1);
        QVERIFY2(result->summary().contains(u"which existed before this run"_s),
                 qPrintable(result->summary()));
        QCOMPARE(m_fake->triggers().size(), 1);
    }

    void failedRollbackSaysWhatIsLeft()
    {
        m_fake->failNext("POST", u"/api/v2/processautomation/triggers"_s, 400);
        // Every delete under /integrations fails: action, integration and credential all stay.
        m_fake->failNext("DELETE", u"/api/v2/integrations/"_s, 500, 100);
        const auto result = registerReceiver(request());
        QVERIFY(result && !result->ok);
        QCOMPARE(result->error.kind, GenesysError::Kind::BadRequest);
        QCOMPARE(m_fake->actions().size(), 1);
        QCOMPARE(m_fake->integrations().size(), 1);
        QCOMPARE(m_fake->credentials().size(), 1);
        QCOMPARE(result->leftInGenesys.size(), 3);
        const QString left = result->leftInGenesys.join(u'\n');
        QVERIFY2(left.contains(m_fake->actions().first().value(u"id"_s).toString())
                     && left.contains(m_fake->integrations().first().value(u"id"_s).toString())
                     && left.contains(m_fake->credentials().first().value(u"id"_s).toString()),
                 qPrintable(result->summary()));
        QVERIFY(result->summary().contains(u"Still in Genesys Cloud"_s));
    }

    void invalidRequestsSendNothing_data()
    {
        QTest::addColumn<QString>("url");
        QTest::addColumn<QString>("secret");
        QTest::addColumn<QString>("expected");
        QTest::newRow("http") << u"http://abc.ngrok.app"_s << kSecret << u"https://"_s;
        QTest::newRow("no host") << u"https://"_s << kSecret << u"not a valid URL"_s;
        QTest::newRow("query") << u"https://abc.ngrok.app/?a=1"_s << kSecret << u"query"_s;
        QTest::newRow("velocity") << u"https://abc.ngrok.app/$x"_s << kSecret << u"$ or #"_s;
        QTest::newRow("no secret") << u"https://abc.ngrok.app"_s << QString() << u"shared secret"_s;
    }

    void invalidRequestsSendNothing()
    {
        QFETCH(QString, url);
        QFETCH(QString, secret);
        QFETCH(QString, expected);
        auto r = request(url);
        r.sharedSecret = secret;
        const auto result = registerReceiver(r);
        QVERIFY(result && !result->ok);
        QCOMPARE(result->error.kind, GenesysError::Kind::Configuration);
        QVERIFY2(result->error.message.contains(expected), qPrintable(result->error.message));
        QCOMPARE(m_fake->requests().size(), 0);
    }

    void unknownWorkflowIsReportedAndRolledBack()
    {
        auto r = request();
        r.workflowId = u"no-such-flow"_s;
        const auto result = registerReceiver(r);
        QVERIFY(result && !result->ok);
        QVERIFY2(result->error.message.contains(u"no-such-flow"_s),
                 qPrintable(result->error.message));
        QVERIFY(fakeIsEmpty());
    }

    void pagingFindsTheExistingIntegration()
    {
        m_fake->setMaxPageSize(1);
        m_fake->seedIntegration(u"Someone else's"_s, u"custom-rest-actions"_s);
        m_fake->seedIntegration(u"Another one"_s, u"custom-rest-actions"_s);
        QVERIFY(registerReceiver(request())->ok);
        const auto again = registerReceiver(request(u"https://moved.ngrok.app"_s));
        QVERIFY2(again && again->ok, qPrintable(again->summary()));
        QCOMPARE(m_fake->integrations().size(), 3);
        QCOMPARE(m_fake->actions().size(), 1);
        QVERIFY(m_fake->count("GET", u"/api/v2/integrations"_s) > 3);
    }

    void listAndUnregisterLeaveOthersAlone()
    {
        m_fake->seedIntegration(u"Billing actions"_s, u"custom-rest-actions"_s);
        m_fake->seedTrigger(u"Ops alerting"_s, kTopic, u"wf-2"_s);
        QVERIFY(registerReceiver(request())->ok);
        const auto inventory = list();
        QVERIFY(inventory);
        QCOMPARE(inventory->items.size(), 4);
        QVERIFY(unregister()->ok);
        QCOMPARE(m_fake->integrations().size(), 1);
        QCOMPARE(m_fake->integrations().first().value(u"name"_s).toString(), u"Billing actions"_s);
        QCOMPARE(m_fake->triggers().size(), 1);
        QCOMPARE(m_fake->triggers().first().value(u"name"_s).toString(), u"Ops alerting"_s);
    }

    void unregisterWithNothingThere()
    {
        const auto result = unregister();
        QVERIFY(result && result->ok);
        QVERIFY(result->summary().contains(u"nothing made by Redrive"_s));
    }

    void unregisterReportsWhatCouldNotBeRemoved()
    {
        QVERIFY(registerReceiver(request())->ok);
        m_fake->failNext("DELETE", u"/api/v2/processautomation/triggers/"_s, 403);
        const auto result = unregister();
        QVERIFY(result && !result->ok);
        QCOMPARE(result->leftInGenesys.size(), 1);
        QVERIFY(result->leftInGenesys.first().startsWith(u"trigger"_s));
        QCOMPARE(m_fake->triggers().size(), 1);
        QVERIFY(m_fake->actions().isEmpty());
        QVERIFY(m_fake->integrations().isEmpty());
    }

    void destroyingTheRegistrarMidwayIsSafe()
    {
        // A callback may legitimately run before the registrar goes (list is quick); none may
        // run after it is gone.
        bool dropped = false;
        bool calledAfterDrop = false;
        m_registrar->registerReceiver(request(), this, [&](const GenesysOperationResult &) {
            calledAfterDrop = calledAfterDrop || dropped;
        });
        m_registrar->list(this, [&](const GenesysInventory &, const GenesysError &) {
            calledAfterDrop = calledAfterDrop || dropped;
        });
        // Wait until the work is under way (token and a first API call), then drop the registrar.
        QTRY_VERIFY_WITH_TIMEOUT(m_fake->count("GET", u"/api/v2/"_s) >= 1, kWaitMs);
        m_registrar.reset();
        dropped = true;
        // The client is still usable, and a request sent now is answered after anything the
        // registrar had in flight.
        std::optional<redrive::core::GenesysResponse> probe;
        m_client->get(u"/api/v2/flows"_s, {}, this,
                      [&probe](const redrive::core::GenesysResponse &r) { probe = r; });
        QTRY_VERIFY_WITH_TIMEOUT(probe.has_value(), kWaitMs);
        QVERIFY(probe->ok());
        QVERIFY(!calledAfterDrop);
    }

    void topicsAndWorkflowsArePaged()
    {
        m_fake->setMaxPageSize(1);
        for (int i = 0; i < 3; ++i)
            m_fake->addTopic(u"v2.users.{id}.presence.%1"_s.arg(i));
        std::optional<QStringList> topics;
        m_registrar->listTopics(this, [&](const QStringList &t, const GenesysError &e) {
            QVERIFY(!e.isError());
            topics = t;
        });
        QTRY_VERIFY_WITH_TIMEOUT(topics.has_value(), kWaitMs);
        QCOMPARE(topics->size(), 5);
        QVERIFY(topics->contains(kTopic));

        std::optional<QList<redrive::core::GenesysWorkflow>> flows;
        m_registrar->listWorkflows(
            this, [&](const QList<redrive::core::GenesysWorkflow> &f, const GenesysError &e) {
                QVERIFY(!e.isError());
                flows = f;
            });
        QTRY_VERIFY_WITH_TIMEOUT(flows.has_value(), kWaitMs);
        QCOMPARE(flows->size(), 2);
        QCOMPARE(flows->first().name, u"Forward to Redrive"_s);
        // The flows query must use the lowercase type (the fake refuses "WORKFLOW").
        QVERIFY(m_fake->rejections().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestGenesysRegistrar)
#include "tst_genesysregistrar.moc"
