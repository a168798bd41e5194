// SPDX-License-Identifier: MIT
// Registering: the request's bodies, the steps in order, the rollback.
#include "core/genesys/genesysregistrar.h"

#include "core/genesys/genesysapi.h"

#include <QJsonDocument>
#include <QPointer>

namespace redrive::core {

using namespace genesysapi;

namespace {

QString stateName(GenesysStep::State state)
{
    switch (state) {
    case GenesysStep::State::Created:
        return QStringLiteral("created");
    case GenesysStep::State::Updated:
        return QStringLiteral("updated");
    case GenesysStep::State::Unchanged:
        return QStringLiteral("unchanged");
    case GenesysStep::State::Deleted:
        return QStringLiteral("deleted");
    case GenesysStep::State::RolledBack:
        return QStringLiteral("rolled back");
    case GenesysStep::State::Failed:
        return QStringLiteral("FAILED");
    case GenesysStep::State::LeftInPlace:
        return QStringLiteral("left in place");
    }
    return {};
}

} // namespace

QString GenesysStep::describe() const
{
    QString text = QStringLiteral("%1: %2").arg(what, stateName(state));
    if (!id.isEmpty())
        text += QStringLiteral(" (id %1)").arg(id);
    if (!detail.isEmpty())
        text += QStringLiteral(" - ") + detail;
    return text;
}

QString GenesysOperationResult::summary() const
{
    QStringList lines;
    for (const GenesysStep &step : steps)
        lines.append(step.describe());
    if (!ok)
        lines.append(failureReport());
    return lines.join(QLatin1Char('\n'));
}

QString GenesysOperationResult::failureReport() const
{
    if (ok)
        return {};
    QStringList lines { QStringLiteral("Error: ") + error.message };
    if (leftInGenesys.isEmpty()) {
        lines.append(QStringLiteral("Nothing this run created is left in Genesys Cloud."));
    } else {
        lines.append(QStringLiteral("Still in Genesys Cloud:"));
        for (const QString &item : leftInGenesys)
            lines.append(QStringLiteral("  - ") + item);
    }
    return lines.join(QLatin1Char('\n'));
}

QList<GenesysInventory::Item> GenesysInventory::ofKind(const QString &kind) const
{
    QList<Item> matching;
    for (const Item &item : items) {
        if (item.kind == kind)
            matching.append(item);
    }
    return matching;
}

struct GenesysRegistrar::RegisterRun
{
    GenesysRegistrationRequest request;
    QPointer<QObject> context;
    bool hadContext = false;
    ResultCallback callback;
    GenesysOperationResult result;

    bool integrationCreated = false;
    bool integrationEnabled = false;
    bool credentialCreated = false;
    bool credentialAttached = false; // config PUT done with the new credential
    bool credentialRotated = false;
    bool actionCreated = false;
    bool actionRepointed = false;
    QJsonObject actionOldConfig;
    int actionVersion = 0;
    bool triggerCreated = false;

    struct Undo
    {
        QString what;
        QString id;
        QByteArray method;
        QString path;
        QJsonObject body;
        QString leftText; // what stays if this undo fails
    };
    QList<Undo> undo;
};

GenesysRegistrar::GenesysRegistrar(GenesysClient *client, QObject *parent)
    : QObject(parent)
    , m_client(client)
{ }

GenesysRegistrar::~GenesysRegistrar() = default;

QString GenesysRegistrar::validate(const GenesysRegistrationRequest &request)
{
    const QUrl &url = request.publicUrl;
    if (!url.isValid() || url.host().isEmpty())
        return QStringLiteral("The public URL \"%1\" is not a valid URL.").arg(url.toString());
    if (url.scheme() != QLatin1String("https"))
        return QStringLiteral("The public URL must start with https:// (Genesys Cloud calls the "
                              "receiver from the internet): \"%1\".")
            .arg(url.toString());
    if (url.hasQuery() || url.hasFragment())
        return QStringLiteral("The public URL must not carry a query or fragment: \"%1\".")
            .arg(url.toString());
    const QString full = receiverUrl(request).toString();
    // requestUrlTemplate is a Velocity template: $ and # would be read as template syntax.
    if (full.contains(QLatin1Char('$')) || full.contains(QLatin1Char('#')))
        return QStringLiteral("The receiver URL \"%1\" must not contain $ or #.").arg(full);
    if (!request.path.startsWith(QLatin1Char('/')))
        return QStringLiteral("The webhook path \"%1\" must start with /.").arg(request.path);
    if (request.secretHeader.trimmed().isEmpty())
        return QStringLiteral("The shared-secret header name is empty.");
    if (request.sharedSecret.isEmpty())
        return QStringLiteral("No shared secret is set (keychain or REDRIVE_SHARED_SECRET): "
                              "without it anyone who learns the URL could post to the receiver.");
    if (request.topic.trimmed().isEmpty())
        return QStringLiteral("Pick a topic (list them with \"redrive genesys topics\").");
    if (request.workflowId.trimmed().isEmpty())
        return QStringLiteral("Pick a workflow id (list them with \"redrive genesys workflows\").");
    return {};
}

QUrl GenesysRegistrar::receiverUrl(const GenesysRegistrationRequest &request)
{
    QUrl url = request.publicUrl;
    QString base = url.path();
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    url.setPath(base + request.path);
    return url;
}

QJsonObject GenesysRegistrar::actionConfig(const GenesysRegistrationRequest &request)
{
    const QJsonObject headers {
        { QStringLiteral("Content-Type"), QStringLiteral("application/json") },
        { request.secretHeader, QStringLiteral("${credentials.%1}").arg(credentialField()) }
    };
    return QJsonObject {
        { QStringLiteral("timeoutSeconds"), 10 },
        { QStringLiteral("request"),
          QJsonObject {
              { QStringLiteral("requestUrlTemplate"), receiverUrl(request).toString() },
              { QStringLiteral("requestType"), QStringLiteral("POST") },
              { QStringLiteral("headers"), headers },
              { QStringLiteral("requestTemplate"), QStringLiteral("${input.rawRequest}") } } },
        { QStringLiteral("response"),
          QJsonObject { { QStringLiteral("translationMap"), QJsonObject() },
                        { QStringLiteral("translationMapDefaults"), QJsonObject() },
                        { QStringLiteral("successTemplate"), QStringLiteral("${rawResult}") } } }
    };
}

QJsonObject GenesysRegistrar::actionContract()
{
    const QJsonObject input {
        { QStringLiteral("inputSchema"),
          QJsonObject { { QStringLiteral("type"), QStringLiteral("object") },
                        { QStringLiteral("properties"),
                          QJsonObject { { QStringLiteral("eventBody"),
                                          QJsonObject { { QStringLiteral("type"),
                                                          QStringLiteral("object") } } } } } } }
    };
    const QJsonObject output { { QStringLiteral("successSchema"),
                                 QJsonObject {
                                     { QStringLiteral("type"), QStringLiteral("object") },
                                     { QStringLiteral("properties"), QJsonObject() } } } };
    return QJsonObject { { QStringLiteral("input"), input }, { QStringLiteral("output"), output } };
}

QJsonObject GenesysRegistrar::triggerBody(const GenesysRegistrationRequest &request)
{
    return QJsonObject {
        { QStringLiteral("name"), triggerPrefix() + request.topic },
        { QStringLiteral("topicName"), request.topic },
        { QStringLiteral("enabled"), true },
        { QStringLiteral("target"),
          QJsonObject {
              { QStringLiteral("type"), QStringLiteral("Workflow") },
              { QStringLiteral("id"), request.workflowId },
              { QStringLiteral("workflowTargetSettings"),
                QJsonObject { { QStringLiteral("dataFormat"), QStringLiteral("Json") } } } } },
        { QStringLiteral("eventTTLSeconds"), 60 },
        { QStringLiteral("description"),
          QStringLiteral("Made by Redrive: sends these events through the workflow to the Redrive "
                         "receiver (data action \"%1\").")
              .arg(actionName()) }
    };
}

// --- register -----------------------------------------------------------------------------

void GenesysRegistrar::record(GenesysOperationResult *result, GenesysStep step)
{
    Q_EMIT progress(step.describe());
    result->steps.append(std::move(step));
}

void GenesysRegistrar::registerReceiver(const GenesysRegistrationRequest &request, QObject *context,
                                        ResultCallback callback)
{
    auto run = std::make_shared<RegisterRun>();
    run->request = request;
    run->context = context;
    run->hadContext = context != nullptr;
    run->callback = std::move(callback);
    if (const QString problem = validate(request); !problem.isEmpty()) {
        run->result.error = GenesysError::make(GenesysError::Kind::Configuration, problem);
        finish(run);
        return;
    }
    stepFindIntegration(run);
}

void GenesysRegistrar::stepFindIntegration(const std::shared_ptr<RegisterRun> &run)
{
    fetchPages(IntegrationsPath,
               QUrlQuery { { QStringLiteral("integrationType"), IntegrationType } },
               [this, run](const QJsonArray &entities, const GenesysError &error) {
                   if (error.isError())
                       return fail(run, QStringLiteral("integration"), error);
                   for (const QJsonValue &value : entities) {
                       const QJsonObject integration = value.toObject();
                       if (str(integration, "name") != integrationName())
                           continue;
                       run->result.integrationId = str(integration, "id");
                       run->integrationEnabled
                           = str(integration, "intendedState") == QLatin1String("ENABLED");
                       record(&run->result,
                              { QStringLiteral("integration"), run->result.integrationId,
                                GenesysStep::State::Unchanged,
                                QStringLiteral("reusing \"%1\"").arg(integrationName()) });
                       stepReuseCredential(run);
                       return;
                   }
                   stepCreateIntegration(run);
               });
}

void GenesysRegistrar::stepCreateIntegration(const std::shared_ptr<RegisterRun> &run)
{
    const QJsonObject body { { QStringLiteral("name"), integrationName() },
                             { QStringLiteral("integrationType"),
                               QJsonObject { { QStringLiteral("id"), IntegrationType } } } };
    m_client->post(IntegrationsPath, body, this, [this, run](const GenesysResponse &response) {
        if (!response.ok())
            return fail(run, QStringLiteral("integration"), response.error);
        run->result.integrationId = str(response.object(), "id");
        if (run->result.integrationId.isEmpty())
            return fail(run, QStringLiteral("integration"),
                        GenesysError::make(GenesysError::Kind::InvalidResponse,
                                           QStringLiteral("Genesys Cloud created the integration "
                                                          "but returned no id.")));
        run->integrationCreated = true;
        run->integrationEnabled
            = str(response.object(), "intendedState") == QLatin1String("ENABLED");
        record(&run->result,
               { QStringLiteral("integration"), run->result.integrationId,
                 GenesysStep::State::Created,
                 QStringLiteral("\"%1\" (Web Services data actions)").arg(integrationName()) });
        stepCreateCredential(run);
    });
}

void GenesysRegistrar::stepReuseCredential(const std::shared_ptr<RegisterRun> &run)
{
    const QString configPath = IntegrationsPath + QLatin1Char('/') + run->result.integrationId
        + QStringLiteral("/config/current");
    m_client->get(configPath, {}, this, [this, run](const GenesysResponse &response) {
        if (!response.ok())
            return fail(run, QStringLiteral("integration config"), response.error);
        const QString credentialId = configCredentialId(response.object());
        if (credentialId.isEmpty()) {
            stepCreateCredential(run);
            return;
        }
        // The secret cannot be read back, so write the current one: this also rotates it.
        const QJsonObject body {
            { QStringLiteral("name"), credentialName() },
            { QStringLiteral("type"),
              QJsonObject { { QStringLiteral("name"), QStringLiteral("userDefined") } } },
            { QStringLiteral("credentialFields"),
              QJsonObject { { credentialField(), run->request.sharedSecret } } }
        };
        m_client->put(CredentialsPath + QLatin1Char('/') + credentialId, body, this,
                      [this, run, credentialId](const GenesysResponse &response) {
                          if (response.error.kind == GenesysError::Kind::NotFound) {
                              stepCreateCredential(run); // the config points at a deleted one
                              return;
                          }
                          if (!response.ok())
                              return fail(run, QStringLiteral("credential"), response.error);
                          run->result.credentialId = credentialId;
                          run->credentialRotated = true;
                          record(&run->result,
                                 { QStringLiteral("credential"), credentialId,
                                   GenesysStep::State::Updated,
                                   QStringLiteral("holds the current shared secret") });
                          stepEnable(run);
                      });
    });
}

void GenesysRegistrar::stepCreateCredential(const std::shared_ptr<RegisterRun> &run)
{
    const QJsonObject body { { QStringLiteral("name"), credentialName() },
                             { QStringLiteral("type"),
                               QJsonObject {
                                   { QStringLiteral("name"), QStringLiteral("userDefined") } } },
                             { QStringLiteral("credentialFields"),
                               QJsonObject { { credentialField(), run->request.sharedSecret } } } };
    m_client->post(CredentialsPath, body, this, [this, run](const GenesysResponse &response) {
        if (!response.ok())
            return fail(run, QStringLiteral("credential"), response.error);
        run->result.credentialId = str(response.object(), "id");
        run->credentialCreated = true;
        record(&run->result,
               { QStringLiteral("credential"), run->result.credentialId,
                 GenesysStep::State::Created,
                 QStringLiteral("\"%1\" (userDefined, field %2)")
                     .arg(credentialName(), credentialField()) });
        stepPutConfig(run);
    });
}

void GenesysRegistrar::stepPutConfig(const std::shared_ptr<RegisterRun> &run)
{
    const QString configPath = IntegrationsPath + QLatin1Char('/') + run->result.integrationId
        + QStringLiteral("/config/current");
    m_client->get(configPath, {}, this, [this, run, configPath](const GenesysResponse &response) {
        if (!response.ok())
            return fail(run, QStringLiteral("integration config"), response.error);
        const QJsonObject current = response.object();
        // Every field is required and version must be the current one; keep what is there.
        QJsonObject body {
            { QStringLiteral("name"),
              str(current, "name").isEmpty() ? integrationName() : str(current, "name") },
            { QStringLiteral("version"), current.value(QLatin1String("version")).toInt(1) },
            { QStringLiteral("properties"), obj(current, "properties") },
            { QStringLiteral("advanced"), obj(current, "advanced") },
            { QStringLiteral("notes"), str(current, "notes") },
            { QStringLiteral("credentials"),
              QJsonObject {
                  { QStringLiteral("basicAuth"),
                    QJsonObject { { QStringLiteral("id"), run->result.credentialId } } } } }
        };
        m_client->put(configPath, body, this, [this, run](const GenesysResponse &response) {
            if (!response.ok())
                return fail(run, QStringLiteral("integration config"), response.error);
            run->credentialAttached = true;
            record(&run->result,
                   { QStringLiteral("integration config"), run->result.integrationId,
                     GenesysStep::State::Updated,
                     QStringLiteral("uses credential %1").arg(run->result.credentialId) });
            stepEnable(run);
        });
    });
}

void GenesysRegistrar::stepEnable(const std::shared_ptr<RegisterRun> &run)
{
    if (run->integrationEnabled) {
        stepAction(run);
        return;
    }
    m_client->patch(IntegrationsPath + QLatin1Char('/') + run->result.integrationId,
                    QJsonObject { { QStringLiteral("intendedState"), QStringLiteral("ENABLED") } },
                    this, [this, run](const GenesysResponse &response) {
                        if (!response.ok())
                            return fail(run, QStringLiteral("integration"), response.error);
                        run->integrationEnabled = true;
                        record(&run->result,
                               { QStringLiteral("integration"), run->result.integrationId,
                                 GenesysStep::State::Updated, QStringLiteral("enabled") });
                        stepAction(run);
                    });
}

void GenesysRegistrar::stepAction(const std::shared_ptr<RegisterRun> &run)
{
    fetchPages(
        ActionsPath,
        QUrlQuery { { QStringLiteral("category"), actionCategory() },
                    { QStringLiteral("includeConfig"), QStringLiteral("true") } },
        [this, run](const QJsonArray &entities, const GenesysError &error) {
            if (error.isError())
                return fail(run, QStringLiteral("data action"), error);
            const QJsonObject wanted = actionConfig(run->request);
            const QString url = receiverUrl(run->request).toString();
            for (const QJsonValue &value : entities) {
                const QJsonObject action = value.toObject();
                if (str(action, "integrationId") != run->result.integrationId
                    || str(action, "name") != actionName())
                    continue;
                run->result.actionId = str(action, "id");
                const QJsonObject oldConfig = obj(action, "config");
                const QJsonObject oldRequest = obj(oldConfig, "request");
                const QJsonObject newRequest = obj(wanted, "request");
                if (oldRequest.value(QLatin1String("requestUrlTemplate"))
                        == newRequest.value(QLatin1String("requestUrlTemplate"))
                    && oldRequest.value(QLatin1String("requestType"))
                        == newRequest.value(QLatin1String("requestType"))
                    && oldRequest.value(QLatin1String("headers"))
                        == newRequest.value(QLatin1String("headers"))
                    && oldRequest.value(QLatin1String("requestTemplate"))
                        == newRequest.value(QLatin1String("requestTemplate"))) {
                    record(&run->result,
                           { QStringLiteral("data action"), run->result.actionId,
                             GenesysStep::State::Unchanged,
                             QStringLiteral("already posts to %1").arg(url) });
                    stepTrigger(run);
                    return;
                }
                // Re-point the existing action rather than adding a second one.
                const QJsonObject body { { QStringLiteral("version"),
                                           action.value(QLatin1String("version")).toInt() },
                                         { QStringLiteral("config"), wanted } };
                m_client->patch(
                    ActionsPath + QLatin1Char('/') + run->result.actionId, body, this,
                    [this, run, oldConfig, url, oldRequest](const GenesysResponse &response) {
                        if (!response.ok())
                            return fail(run, QStringLiteral("data action"), response.error);
                        run->actionRepointed = true;
                        run->actionOldConfig = oldConfig;
                        run->actionVersion
                            = response.object().value(QLatin1String("version")).toInt();
                        record(&run->result,
                               { QStringLiteral("data action"), run->result.actionId,
                                 GenesysStep::State::Updated,
                                 QStringLiteral("re-pointed from %1 to %2")
                                     .arg(str(oldRequest, "requestUrlTemplate"), url) });
                        stepTrigger(run);
                    });
                return;
            }
            const QJsonObject body { { QStringLiteral("name"), actionName() },
                                     { QStringLiteral("category"), actionCategory() },
                                     { QStringLiteral("integrationId"), run->result.integrationId },
                                     { QStringLiteral("secure"), false },
                                     { QStringLiteral("config"), wanted },
                                     { QStringLiteral("contract"), actionContract() } };
            m_client->post(
                ActionsPath, body, this, [this, run, url](const GenesysResponse &response) {
                    if (!response.ok())
                        return fail(run, QStringLiteral("data action"), response.error);
                    run->result.actionId = str(response.object(), "id");
                    run->actionCreated = true;
                    record(&run->result,
                           { QStringLiteral("data action"), run->result.actionId,
                             GenesysStep::State::Created,
                             QStringLiteral("\"%1\" posts to %2").arg(actionName(), url) });
                    stepTrigger(run);
                });
        });
}

void GenesysRegistrar::stepTrigger(const std::shared_ptr<RegisterRun> &run)
{
    fetchCursor(TriggersPath, QUrlQuery { { QStringLiteral("topicName"), run->request.topic } },
                [this, run](const QJsonArray &entities, const GenesysError &error) {
                    if (error.isError())
                        return fail(run, QStringLiteral("trigger"), error);
                    const QJsonObject wanted = triggerBody(run->request);
                    // One Redrive trigger per topic: a new workflow or a disabled trigger is
                    // updated in place rather than doubled.
                    for (const QJsonValue &value : entities) {
                        const QJsonObject trigger = value.toObject();
                        if (str(trigger, "name") != str(wanted, "name")
                            || str(trigger, "topicName") != run->request.topic)
                            continue;
                        run->result.triggerId = str(trigger, "id");
                        const QString oldWorkflow = str(obj(trigger, "target"), "id");
                        const bool enabled = trigger.value(QLatin1String("enabled")).toBool();
                        if (enabled && oldWorkflow == run->request.workflowId) {
                            record(&run->result,
                                   { QStringLiteral("trigger"), run->result.triggerId,
                                     GenesysStep::State::Unchanged,
                                     QStringLiteral("already sends %1 to workflow %2")
                                         .arg(run->request.topic, run->request.workflowId) });
                            finish(run);
                            return;
                        }
                        const QString change = oldWorkflow != run->request.workflowId
                            ? QStringLiteral("now targets workflow %1 instead of %2")
                                  .arg(run->request.workflowId, oldWorkflow)
                            : QStringLiteral("enabled again");
                        QJsonObject body = wanted;
                        body.insert(QStringLiteral("version"),
                                    trigger.value(QLatin1String("version")).toInt());
                        m_client->put(TriggersPath + QLatin1Char('/') + run->result.triggerId, body,
                                      this, [this, run, change](const GenesysResponse &response) {
                                          if (!response.ok())
                                              return fail(run, QStringLiteral("trigger"),
                                                          response.error);
                                          record(&run->result,
                                                 { QStringLiteral("trigger"), run->result.triggerId,
                                                   GenesysStep::State::Updated, change });
                                          finish(run);
                                      });
                        return;
                    }
                    m_client->post(
                        TriggersPath, wanted, this, [this, run](const GenesysResponse &response) {
                            if (!response.ok())
                                return fail(run, QStringLiteral("trigger"), response.error);
                            run->result.triggerId = str(response.object(), "id");
                            run->triggerCreated = true;
                            record(&run->result,
                                   { QStringLiteral("trigger"), run->result.triggerId,
                                     GenesysStep::State::Created,
                                     QStringLiteral("\"%1\" -> workflow %2, enabled")
                                         .arg(triggerPrefix() + run->request.topic,
                                              run->request.workflowId) });
                            finish(run);
                        });
                });
}

void GenesysRegistrar::fail(const std::shared_ptr<RegisterRun> &run, const QString &what,
                            const GenesysError &error)
{
    run->result.error = error;
    record(&run->result, { what, QString(), GenesysStep::State::Failed, error.message });
    using Undo = RegisterRun::Undo;
    const GenesysOperationResult &r = run->result;
    // Undo newest first; an integration goes before its credential, which it references.
    if (run->triggerCreated)
        run->undo.append(Undo { QStringLiteral("trigger"),
                                r.triggerId,
                                "DELETE",
                                TriggersPath + QLatin1Char('/') + r.triggerId,
                                {},
                                QStringLiteral("trigger %1").arg(r.triggerId) });
    if (run->actionCreated)
        run->undo.append(
            Undo { QStringLiteral("data action"),
                   r.actionId,
                   "DELETE",
                   ActionsPath + QLatin1Char('/') + r.actionId,
                   {},
                   QStringLiteral("data action \"%1\" (id %2) posting to %3")
                       .arg(actionName(), r.actionId, receiverUrl(run->request).toString()) });
    if (run->actionRepointed)
        run->undo.append(
            Undo { QStringLiteral("data action"), r.actionId, "PATCH",
                   ActionsPath + QLatin1Char('/') + r.actionId,
                   QJsonObject { { QStringLiteral("version"), run->actionVersion },
                                 { QStringLiteral("config"), run->actionOldConfig } },
                   QStringLiteral("data action \"%1\" (id %2), now posting to %3")
                       .arg(actionName(), r.actionId, receiverUrl(run->request).toString()) });
    if (run->integrationCreated)
        run->undo.append(Undo {
            QStringLiteral("integration"),
            r.integrationId,
            "DELETE",
            IntegrationsPath + QLatin1Char('/') + r.integrationId,
            {},
            QStringLiteral("integration \"%1\" (id %2)").arg(integrationName(), r.integrationId) });
    if (run->credentialCreated && (run->integrationCreated || !run->credentialAttached))
        run->undo.append(Undo {
            QStringLiteral("credential"),
            r.credentialId,
            "DELETE",
            CredentialsPath + QLatin1Char('/') + r.credentialId,
            {},
            QStringLiteral("credential \"%1\" (id %2)").arg(credentialName(), r.credentialId) });
    // What this run changed and deliberately leaves: it belongs to something that was there before.
    if (!run->integrationCreated && !r.integrationId.isEmpty()) {
        if (run->credentialCreated && run->credentialAttached)
            run->result.leftInGenesys.append(
                QStringLiteral("credential \"%1\" (id %2), now used by the existing integration %3")
                    .arg(credentialName(), r.credentialId, r.integrationId));
        if (run->credentialRotated)
            run->result.leftInGenesys.append(
                QStringLiteral("credential %1 now holds the current shared secret")
                    .arg(r.credentialId));
        run->result.leftInGenesys.append(
            QStringLiteral("integration \"%1\" (id %2), which existed before this run%3")
                .arg(integrationName(), r.integrationId,
                     run->integrationEnabled ? QStringLiteral(", enabled") : QString()));
    }
    if (!run->actionCreated && !run->actionRepointed && !r.actionId.isEmpty())
        run->result.leftInGenesys.append(
            QStringLiteral("data action %1, which existed before this run").arg(r.actionId));
    rollback(run, 0);
}

void GenesysRegistrar::rollback(const std::shared_ptr<RegisterRun> &run, int index)
{
    if (index >= run->undo.size()) {
        finish(run);
        return;
    }
    const RegisterRun::Undo undo = run->undo.at(index);
    const QJsonDocument body = undo.body.isEmpty() ? QJsonDocument() : QJsonDocument(undo.body);
    m_client->request(
        undo.method, undo.path, {}, body, this,
        [this, run, index, undo](const GenesysResponse &response) {
            if (response.ok() || response.error.kind == GenesysError::Kind::NotFound) {
                record(&run->result,
                       { undo.what, undo.id, GenesysStep::State::RolledBack,
                         undo.method == "PATCH" ? QStringLiteral("points at its previous URL again")
                                                : QStringLiteral("removed again") });
            } else {
                record(&run->result,
                       { undo.what, undo.id, GenesysStep::State::Failed,
                         QStringLiteral("could not roll back: ") + response.error.message });
                run->result.leftInGenesys.append(undo.leftText);
            }
            rollback(run, index + 1);
        });
}

AuditRecord GenesysRegistrar::auditRecord(AuditAction action, const GenesysOperationResult &result,
                                          const QString &detail)
{
    AuditRecord record;
    record.action = action;
    record.scope = AuditScope::None;
    record.outcome = result.ok ? AuditOutcome::Done : AuditOutcome::Failed;
    QStringList parts;
    if (!detail.isEmpty())
        parts.append(detail);
    const std::pair<const char *, QString> ids[] = { { "integration", result.integrationId },
                                                     { "credential", result.credentialId },
                                                     { "data action", result.actionId },
                                                     { "trigger", result.triggerId } };
    for (const auto &[what, id] : ids)
        if (!id.isEmpty())
            parts.append(QStringLiteral("%1 %2").arg(QLatin1String(what), id));
    if (action == AuditAction::Unregister)
        for (const GenesysStep &step : result.steps)
            if (step.state == GenesysStep::State::Deleted)
                parts.append(QStringLiteral("%1 %2 deleted").arg(step.what, step.id));
    record.detail = parts.join(QStringLiteral("; "));
    record.count = 0;
    if (!result.ok) {
        record.reason = result.error.message;
        if (!result.leftInGenesys.isEmpty())
            record.reason += QStringLiteral(" (still in Genesys Cloud: %1)")
                                 .arg(result.leftInGenesys.join(QStringLiteral(", ")));
    }
    return record;
}

void GenesysRegistrar::finish(const std::shared_ptr<RegisterRun> &run)
{
    run->result.ok = !run->result.error.isError();
    if (m_auditSink)
        m_auditSink(auditRecord(AuditAction::Register, run->result,
                                QStringLiteral("%1 for topic %2 through workflow %3")
                                    .arg(receiverUrl(run->request).toString(QUrl::RemoveUserInfo),
                                         run->request.topic, run->request.workflowId)));
    if (run->hadContext && !run->context)
        return;
    run->callback(run->result);
}

} // namespace redrive::core
