// SPDX-License-Identifier: MIT
// Unregistering: everything Redrive made, found by its names, removed in order.
#include "core/genesys/genesysregistrar.h"

#include "core/genesys/genesysapi.h"

#include <QPointer>

namespace redrive::core {

using namespace genesysapi;

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
    auto done = [this, guard, hadContext, callback](GenesysOperationResult result) {
        result.ok = !result.error.isError();
        if (m_auditSink)
            m_auditSink(auditRecord(AuditAction::Unregister, result, QString()));
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
            path = TriggersPath;
        else if (item.kind == QLatin1String("data action"))
            path = ActionsPath;
        else if (item.kind == QLatin1String("integration"))
            path = IntegrationsPath;
        else
            path = CredentialsPath;
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
