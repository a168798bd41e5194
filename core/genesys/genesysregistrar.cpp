// SPDX-License-Identifier: MIT
#include "core/genesys/genesysregistrar.h"

#include <QJsonDocument>
#include <QPointer>

namespace redrive::core {

namespace {

const QString kIntegrationsPath = QStringLiteral("/api/v2/integrations");
const QString kCredentialsPath = QStringLiteral("/api/v2/integrations/credentials");
const QString kActionsPath = QStringLiteral("/api/v2/integrations/actions");
const QString kTriggersPath = QStringLiteral("/api/v2/processautomation/triggers");
const QString kIntegrationType = QStringLiteral("custom-rest-actions");
// Listing stops here even if the API keeps offering pages: a guard against a paging loop.
constexpr int kMaxPages = 200;

QString str(const QJsonObject &object, const char *key)
{
    return object.value(QLatin1String(key)).toString();
}

QJsonObject obj(const QJsonObject &object, const char *key)
{
    return object.value(QLatin1String(key)).toObject();
}

bool isRedriveName(const QString &name)
{
    return name.startsWith(QLatin1String("Redrive"));
}

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

// The credential an integration's config points at (Redrive stores it under basicAuth).
QString configCredentialId(const QJsonObject &config)
{
    const QJsonObject credentials = obj(config, "credentials");
    const QString basic = str(obj(credentials, "basicAuth"), "id");
    if (!basic.isEmpty())
        return basic;
    for (const QJsonValue &ref : credentials) {
        const QString id = ref.toObject().value(QLatin1String("id")).toString();
        if (!id.isEmpty())
            return id;
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

// --- paging -------------------------------------------------------------------------------

void GenesysRegistrar::fetchPages(const QString &path, const QUrlQuery &query,
                                  EntitiesCallback callback)
{
    // Numbered pages: pageNumber=1.. until pageCount.
    auto pageQuery = [query](int page) {
        QUrlQuery numbered = query;
        numbered.addQueryItem(QStringLiteral("pageSize"), QStringLiteral("100"));
        numbered.addQueryItem(QStringLiteral("pageNumber"), QString::number(page));
        return numbered;
    };
    fetchAll(
        path, pageQuery(1),
        [path, pageQuery](const QJsonObject &page, int fetched) -> std::optional<PageRequest> {
            if (fetched >= page.value(QLatin1String("pageCount")).toInt())
                return std::nullopt;
            return PageRequest { path, pageQuery(fetched + 1) };
        },
        std::move(callback));
}

void GenesysRegistrar::fetchCursor(const QString &path, const QUrlQuery &query,
                                   EntitiesCallback callback)
{
    // Cursor pages: follow nextUri (which may be absolute: keep only path and query).
    QUrlQuery first = query;
    if (!first.hasQueryItem(QStringLiteral("pageSize")))
        first.addQueryItem(QStringLiteral("pageSize"), QStringLiteral("100"));
    fetchAll(
        path, first,
        [](const QJsonObject &page, int) -> std::optional<PageRequest> {
            QString nextUri = page.value(QLatin1String("nextUri")).toString();
            if (nextUri.isEmpty())
                return std::nullopt;
            if (nextUri.startsWith(QLatin1String("http"))) {
                const QUrl url(nextUri);
                nextUri = url.path() + QLatin1Char('?') + url.query(QUrl::FullyEncoded);
            }
            return PageRequest { nextUri, QUrlQuery() };
        },
        std::move(callback));
}

void GenesysRegistrar::fetchAll(const QString &path, const QUrlQuery &query, NextPage nextPage,
                                EntitiesCallback callback)
{
    struct State
    {
        QJsonArray all;
        int fetched = 0;
        std::function<void(const PageRequest &)> next;
    };
    // The stored lambda holds the state weakly and each request in flight strongly: no cycle.
    auto state = std::make_shared<State>();
    std::weak_ptr<State> weak = state;
    state->next = [this, weak, nextPage, callback](const PageRequest &request) {
        const std::shared_ptr<State> state = weak.lock();
        if (!state)
            return;
        m_client->get(request.path, request.query, this,
                      [state, nextPage, callback](const GenesysResponse &response) {
                          if (!response.ok()) {
                              callback({}, response.error);
                              return;
                          }
                          const QJsonObject page = response.object();
                          const QJsonArray entities
                              = page.value(QLatin1String("entities")).toArray();
                          for (const QJsonValue &entity : entities)
                              state->all.append(entity);
                          ++state->fetched;
                          if (!entities.isEmpty() && state->fetched < kMaxPages) {
                              if (const auto following = nextPage(page, state->fetched)) {
                                  state->next(*following);
                                  return;
                              }
                          }
                          callback(state->all, GenesysError());
                      });
    };
    state->next(PageRequest { path, query });
}

// --- listings -----------------------------------------------------------------------------

void GenesysRegistrar::listTopics(
    QObject *context, std::function<void(const QStringList &, const GenesysError &)> callback)
{
    QPointer<QObject> guard(context);
    const bool hadContext = context != nullptr;
    fetchCursor(
        kTriggersPath + QStringLiteral("/topics"),
        QUrlQuery { { QStringLiteral("pageSize"), QStringLiteral("200") } },
        [guard, hadContext, callback](const QJsonArray &entities, const GenesysError &error) {
            if (hadContext && !guard)
                return;
            QStringList topics;
            for (const QJsonValue &entity : entities) {
                // The SDK documents plain strings; tolerate {id|name} objects too.
                if (entity.isString())
                    topics.append(entity.toString());
                else
                    topics.append(entity.toObject().value(QLatin1String("name")).toString());
            }
            topics.removeAll(QString());
            callback(topics, error);
        });
}

void GenesysRegistrar::listWorkflows(
    QObject *context,
    std::function<void(const QList<GenesysWorkflow> &, const GenesysError &)> callback)
{
    QPointer<QObject> guard(context);
    const bool hadContext = context != nullptr;
    fetchPages(
        QStringLiteral("/api/v2/flows"),
        QUrlQuery { { QStringLiteral("type"), QStringLiteral("workflow") } },
        [guard, hadContext, callback](const QJsonArray &entities, const GenesysError &error) {
            if (hadContext && !guard)
                return;
            QList<GenesysWorkflow> flows;
            for (const QJsonValue &entity : entities)
                flows.append({ str(entity.toObject(), "id"), str(entity.toObject(), "name") });
            callback(flows, error);
        });
}

void GenesysRegistrar::list(
    QObject *context, std::function<void(const GenesysInventory &, const GenesysError &)> callback)
{
    struct State
    {
        GenesysInventory inventory;
        QStringList integrationIds;
        int configIndex = 0;
        std::function<void()> readConfig;
    };
    QPointer<QObject> guard(context);
    const bool hadContext = context != nullptr;
    // Lambdas kept in the state or in each other hold it weakly; requests in flight hold it.
    auto state = std::make_shared<State>();
    std::weak_ptr<State> weak = state;
    auto done = [guard, hadContext, callback](const GenesysInventory &inventory,
                                              const GenesysError &error) {
        if (hadContext && !guard)
            return;
        callback(inventory, error);
    };

    auto listTriggers = [this, weak, done] {
        const std::shared_ptr<State> state = weak.lock();
        if (!state)
            return;
        fetchCursor(
            kTriggersPath, {},
            [state, done](const QJsonArray &entities, const GenesysError &error) {
                if (error.isError())
                    return done(state->inventory, error);
                for (const QJsonValue &value : entities) {
                    const QJsonObject trigger = value.toObject();
                    if (!str(trigger, "name").startsWith(triggerPrefix()))
                        continue;
                    state->inventory.items.append(
                        { QStringLiteral("trigger"), str(trigger, "id"), str(trigger, "name"),
                          QStringLiteral("%1 -> workflow %2, %3")
                              .arg(str(trigger, "topicName"), str(obj(trigger, "target"), "id"),
                                   trigger.value(QLatin1String("enabled")).toBool()
                                       ? QStringLiteral("enabled")
                                       : QStringLiteral("disabled")) });
                }
                done(state->inventory, GenesysError());
            });
    };
    auto listActions = [this, weak, done, listTriggers] {
        const std::shared_ptr<State> state = weak.lock();
        if (!state)
            return;
        fetchPages(
            kActionsPath,
            QUrlQuery { { QStringLiteral("category"), actionCategory() },
                        { QStringLiteral("includeConfig"), QStringLiteral("true") } },
            [state, done, listTriggers](const QJsonArray &entities, const GenesysError &error) {
                if (error.isError())
                    return done(state->inventory, error);
                for (const QJsonValue &value : entities) {
                    const QJsonObject action = value.toObject();
                    if (!state->integrationIds.contains(str(action, "integrationId"))
                        && !isRedriveName(str(action, "name")))
                        continue;
                    state->inventory.items.append(
                        { QStringLiteral("data action"), str(action, "id"), str(action, "name"),
                          QStringLiteral("POST %1").arg(
                              str(obj(obj(action, "config"), "request"), "requestUrlTemplate")) });
                }
                listTriggers();
            });
    };
    state->readConfig = [this, weak, done, listActions] {
        const std::shared_ptr<State> state = weak.lock();
        if (!state)
            return;
        if (state->configIndex >= state->integrationIds.size()) {
            listActions();
            return;
        }
        const QString id = state->integrationIds.at(state->configIndex++);
        m_client->get(kIntegrationsPath + QLatin1Char('/') + id + QStringLiteral("/config/current"),
                      {}, this, [state, done, id](const GenesysResponse &response) {
                          if (!response.ok())
                              return done(state->inventory, response.error);
                          const QString credentialId = configCredentialId(response.object());
                          if (!credentialId.isEmpty())
                              state->inventory.items.append(
                                  { QStringLiteral("credential"), credentialId, QString(),
                                    QStringLiteral("used by integration %1").arg(id) });
                          state->readConfig();
                      });
    };
    fetchPages(kIntegrationsPath,
               QUrlQuery { { QStringLiteral("integrationType"), kIntegrationType } },
               [state, done](const QJsonArray &entities, const GenesysError &error) {
                   if (error.isError())
                       return done(state->inventory, error);
                   for (const QJsonValue &value : entities) {
                       const QJsonObject integration = value.toObject();
                       if (!isRedriveName(str(integration, "name")))
                           continue;
                       state->integrationIds.append(str(integration, "id"));
                       state->inventory.items.append(
                           { QStringLiteral("integration"), str(integration, "id"),
                             str(integration, "name"), str(integration, "intendedState") });
                   }
                   state->readConfig();
               });
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
    fetchPages(kIntegrationsPath,
               QUrlQuery { { QStringLiteral("integrationType"), kIntegrationType } },
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
                               QJsonObject { { QStringLiteral("id"), kIntegrationType } } } };
    m_client->post(kIntegrationsPath, body, this, [this, run](const GenesysResponse &response) {
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
    const QString configPath = kIntegrationsPath + QLatin1Char('/') + run->result.integrationId
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
        m_client->put(kCredentialsPath + QLatin1Char('/') + credentialId, body, this,
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
    m_client->post(kCredentialsPath, body, this, [this, run](const GenesysResponse &response) {
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
    const QString configPath = kIntegrationsPath + QLatin1Char('/') + run->result.integrationId
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
    m_client->patch(kIntegrationsPath + QLatin1Char('/') + run->result.integrationId,
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
        kActionsPath,
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
                    kActionsPath + QLatin1Char('/') + run->result.actionId, body, this,
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
                kActionsPath, body, this, [this, run, url](const GenesysResponse &response) {
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
    fetchCursor(
        kTriggersPath, QUrlQuery { { QStringLiteral("topicName"), run->request.topic } },
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
                m_client->put(kTriggersPath + QLatin1Char('/') + run->result.triggerId, body, this,
                              [this, run, change](const GenesysResponse &response) {
                                  if (!response.ok())
                                      return fail(run, QStringLiteral("trigger"), response.error);
                                  record(&run->result,
                                         { QStringLiteral("trigger"), run->result.triggerId,
                                           GenesysStep::State::Updated, change });
                                  finish(run);
                              });
                return;
            }
            m_client->post(kTriggersPath, wanted, this,
                           [this, run](const GenesysResponse &response) {
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
                                kTriggersPath + QLatin1Char('/') + r.triggerId,
                                {},
                                QStringLiteral("trigger %1").arg(r.triggerId) });
    if (run->actionCreated)
        run->undo.append(
            Undo { QStringLiteral("data action"),
                   r.actionId,
                   "DELETE",
                   kActionsPath + QLatin1Char('/') + r.actionId,
                   {},
                   QStringLiteral("data action \"%1\" (id %2) posting to %3")
                       .arg(actionName(), r.actionId, receiverUrl(run->request).toString()) });
    if (run->actionRepointed)
        run->undo.append(
            Undo { QStringLiteral("data action"), r.actionId, "PATCH",
                   kActionsPath + QLatin1Char('/') + r.actionId,
                   QJsonObject { { QStringLiteral("version"), run->actionVersion },
                                 { QStringLiteral("config"), run->actionOldConfig } },
                   QStringLiteral("data action \"%1\" (id %2), now posting to %3")
                       .arg(actionName(), r.actionId, receiverUrl(run->request).toString()) });
    if (run->integrationCreated)
        run->undo.append(Undo {
            QStringLiteral("integration"),
            r.integrationId,
            "DELETE",
            kIntegrationsPath + QLatin1Char('/') + r.integrationId,
            {},
            QStringLiteral("integration \"%1\" (id %2)").arg(integrationName(), r.integrationId) });
    if (run->credentialCreated && (run->integrationCreated || !run->credentialAttached))
        run->undo.append(Undo {
            QStringLiteral("credential"),
            r.credentialId,
            "DELETE",
            kCredentialsPath + QLatin1Char('/') + r.credentialId,
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

void GenesysRegistrar::finish(const std::shared_ptr<RegisterRun> &run)
{
    run->result.ok = !run->result.error.isError();
    if (run->hadContext && !run->context)
        return;
    run->callback(run->result);
}

// --- unregister ---------------------------------------------------------------------------

void GenesysRegistrar::unregister(QObject *context, ResultCallback callback)
{
    struct State
    {
        GenesysOperationResult result;
        QList<GenesysInventory::Item> items;
        int index = 0;
        std::function<void()> next;
    };
    QPointer<QObject> guard(context);
    const bool hadContext = context != nullptr;
    auto state = std::make_shared<State>();
    // No lambda stored in the state holds the state strongly: the requests in flight keep it
    // alive, so there is no cycle to break, and nothing is destroyed while it runs.
    auto done = [guard, hadContext, callback](GenesysOperationResult result) {
        result.ok = !result.error.isError();
        if (hadContext && !guard)
            return;
        callback(result);
    };
    std::weak_ptr<State> weak = state;
    state->next = [this, weak, done] {
        const std::shared_ptr<State> state = weak.lock();
        if (!state)
            return;
        if (state->index >= state->items.size()) {
            done(state->result);
            return;
        }
        const GenesysInventory::Item item = state->items.at(state->index++);
        QString path;
        if (item.kind == QLatin1String("trigger"))
            path = kTriggersPath;
        else if (item.kind == QLatin1String("data action"))
            path = kActionsPath;
        else if (item.kind == QLatin1String("integration"))
            path = kIntegrationsPath;
        else
            path = kCredentialsPath;
        m_client->remove(
            path + QLatin1Char('/') + item.id, this,
            [this, state, item](const GenesysResponse &response) {
                if (response.ok() || response.error.kind == GenesysError::Kind::NotFound) {
                    record(&state->result,
                           { item.kind, item.id, GenesysStep::State::Deleted, item.name });
                } else {
                    if (!state->result.error.isError())
                        state->result.error = response.error;
                    record(
                        &state->result,
                        { item.kind, item.id, GenesysStep::State::Failed, response.error.message });
                    state->result.leftInGenesys.append(
                        QStringLiteral("%1 %2 (id %3)").arg(item.kind, item.name, item.id));
                }
                state->next();
            });
    };
    list(this, [state, done](const GenesysInventory &inventory, const GenesysError &error) {
        if (error.isError()) {
            state->result.error = error;
            done(state->result);
            return;
        }
        // Triggers first (they feed the workflow), then actions, then each integration before
        // the credential it references.
        for (const char *kind : { "trigger", "data action", "integration", "credential" })
            state->items += inventory.ofKind(QLatin1String(kind));
        if (state->items.isEmpty()) {
            state->result.steps.append({ QStringLiteral("registration"), QString(),
                                         GenesysStep::State::Unchanged,
                                         QStringLiteral("nothing made by Redrive was found") });
        }
        state->next();
    });
}

} // namespace redrive::core
