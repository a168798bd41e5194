// SPDX-License-Identifier: MIT
// Listing: paged reads of the API, topics, workflows and what Redrive registered.
#include "core/genesys/genesysregistrar.h"

#include "core/genesys/genesysapi.h"

#include <QPointer>

namespace redrive::core {

using namespace genesysapi;

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
                          if (!entities.isEmpty() && state->fetched < MaxPages) {
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
        TriggersPath + QStringLiteral("/topics"),
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
            TriggersPath, {}, [state, done](const QJsonArray &entities, const GenesysError &error) {
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
            ActionsPath,
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
        m_client->get(IntegrationsPath + QLatin1Char('/') + id + QStringLiteral("/config/current"),
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
    fetchPages(IntegrationsPath,
               QUrlQuery { { QStringLiteral("integrationType"), IntegrationType } },
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

} // namespace redrive::core
