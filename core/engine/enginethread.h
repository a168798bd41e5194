// SPDX-License-Identifier: MIT
#pragma once

#include "core/engine/engineconfig.h"
#include "core/engine/enginestatus.h"
#include "core/queue/queuestore.h"
#include "core/receiver/deliveryevent.h"
#include "core/trends/trendseries.h"
#include "core/trends/registrationstatus.h"
#include "core/trends/workeroverview.h"
#include "core/triage/failuregroupaggregator.h"

#include <QObject>
#include <QThread>

#include <functional>

namespace redrive::core {

class AuditLog;
class Engine;

// The door to the engine from the thread that made it (the GUI thread): the Engine runs on a
// thread of its own, so a slow paint, a modal dialog or a long model reset never delays a
// webhook's answer. This object talks to it only by queued calls and signals that carry values
// (EngineStatus, DeliveryEvent); its own signals arrive on the caller's thread.
// Like Tiled's services: the destructor stops the engine on its thread, then quit() and wait().
class EngineThread final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EngineThread)

public:
    explicit EngineThread(const EngineConfig &config, QObject *parent = nullptr);
    ~EngineThread() override;

    // Starts the engine on its thread; started() tells how it went. `withConsole`: the
    // console's queue store and watcher too (consoleStore()); a headless engine does without.
    void start(const EngineSecrets &secrets, bool withConsole = false);
    // The engine's Engine::shutdown() (deliveries in progress answered, the worker's entries
    // handed back), then shutDown().
    void shutdown(int timeoutMs = 3000);
    // The latest status the engine published (a copy kept on this side).
    EngineStatus status() const { return m_status; }
    bool hasStarted() const { return m_status.running; }

    void setReceiverListening(bool listening);
    // The Redis server's version for the About box: `done` runs on this thread, unless
    // `context` is gone by then.
    void askRedisVersion(QObject *context,
                         std::function<void(const QString &version, const QString &error)> done);

    // The trend counters of `range` in Redis (every process' on it): `done` runs on this
    // thread with the series (its error set when Redis did not answer), unless `context` is gone.
    void readTrends(QObject *context, TrendRange range,
                    std::function<void(const TrendSeries &series)> done);

    // The retry worker's state (WorkerOverview) on this thread, unless `context` is gone.
    void readWorkerOverview(QObject *context,
                            std::function<void(const WorkerOverview &overview)> done);
    // The registration with Genesys Cloud as the audit trail last recorded it.
    void readRegistration(QObject *context,
                          std::function<void(const RegistrationStatus &status)> done);
    // Starts keeping the dead-letter list's failure groups current (once; with the console):
    // groupsUpdated() after each scan.
    void watchDeadLetterGroups();

    // The console's lists: a QueueStore that lives on the engine's thread. Use it only through
    // calls posted to engineThread() (ui's ThreadedQueueBackend does); queueChanged() announces
    // changes. Null until started (with the console).
    QueueStore *consoleStore();
    // The audit trail the console's store records into (client "console"), on the engine's
    // thread like the store: use it only through calls posted to engineThread().
    AuditLog *consoleAudit() { return m_consoleAudit; }
    QThread *engineThread() { return &m_thread; }


Q_SIGNALS:
    void started(bool ok, const QString &error);
    void statusChanged(const redrive::core::EngineStatus &status);
    void problem(const QString &message);
    void deliveryHandled(const redrive::core::DeliveryEvent &event);
    void receiverStartFailed(const QString &error);
    void queueChanged(redrive::core::QueueStore::List list);
    void groupsUpdated(redrive::core::QueueStore::List list,
                       const redrive::core::FailureGroups &groups);
    void shutDown();

private:
    QThread m_thread;
    Engine *m_engine; // lives on m_thread; deleted there
    EngineStatus m_status;
    QueueStore *m_consoleStore = nullptr;
    AuditLog *m_consoleAudit = nullptr;
};

} // namespace redrive::core
