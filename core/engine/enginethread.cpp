// SPDX-License-Identifier: MIT
#include "core/engine/enginethread.h"

#include "core/engine/engine.h"

#include <QPointer>

namespace redrive::core {

EngineThread::EngineThread(const EngineConfig &config, QObject *parent)
    : QObject(parent)
    , m_engine(new Engine(config))
{
    qRegisterMetaType<EngineStatus>();
    qRegisterMetaType<DeliveryEvent>();
    qRegisterMetaType<QueueStore::List>();
    qRegisterMetaType<TrendSeries>();
    qRegisterMetaType<WorkerOverview>();
    qRegisterMetaType<RegistrationStatus>();
    qRegisterMetaType<FailureGroups>();
    m_thread.setObjectName(QStringLiteral("engine"));
    m_engine->moveToThread(&m_thread);
    m_status = m_engine->status(); // before the thread runs: nothing races
    // Cross-thread connections: queued, each signal's values copied to this side.
    connect(m_engine, &Engine::statusChanged, this, [this](const EngineStatus &status) {
        m_status = status;
        Q_EMIT statusChanged(status);
    });
    connect(m_engine, &Engine::problem, this, &EngineThread::problem);
    connect(m_engine, &Engine::deliveryHandled, this, &EngineThread::deliveryHandled);
    connect(m_engine, &Engine::receiverStartFailed, this, &EngineThread::receiverStartFailed);
    connect(m_engine, &Engine::queueChanged, this, &EngineThread::queueChanged);
    connect(m_engine, &Engine::groupsUpdated, this, &EngineThread::groupsUpdated);
    m_thread.start();
}

EngineThread::~EngineThread()
{
    // The engine's objects (sockets, timers, the embedded redis-server's process) belong to its
    // thread: they are taken down there, while this thread waits (the program is ending).
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(
        engine, [engine] { delete engine; }, Qt::BlockingQueuedConnection);
    m_thread.requestInterruption();
    m_thread.quit();
    m_thread.wait();
}

// The engine's thread posts its answers to this object: it exists as long as the engine does (the
// destructor takes the engine down first), and whatever waits for an answer on this side is
// checked here, on its own thread.
void EngineThread::start(const EngineSecrets &secrets, bool withConsole)
{
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(m_engine, [this, engine, secrets, withConsole] {
        QString error;
        const bool ok = engine->start(secrets, &error);
        QueueStore *store = ok && withConsole ? engine->openConsole() : nullptr;
        AuditLog *audit = store ? engine->consoleAudit() : nullptr;
        const EngineStatus status = engine->status();
        QMetaObject::invokeMethod(this, [this, ok, error, store, audit, status] {
            m_consoleStore = store;
            m_consoleAudit = audit;
            m_status = status;
            Q_EMIT started(ok, error);
        });
    });
}

void EngineThread::shutdown(int timeoutMs)
{
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(m_engine, [this, engine, timeoutMs] {
        engine->shutdown(
            [this, engine] {
                const EngineStatus status = engine->status();
                QMetaObject::invokeMethod(this, [this, status] {
                    m_consoleStore = nullptr;
                    m_consoleAudit = nullptr;
                    m_status = status;
                    Q_EMIT shutDown();
                });
            },
            timeoutMs);
    });
}

void EngineThread::setReceiverListening(bool listening)
{
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(m_engine,
                              [engine, listening] { engine->setReceiverListening(listening); });
}

void EngineThread::askRedisVersion(QObject *context,
                                   std::function<void(const QString &, const QString &)> done)
{
    QPointer<QObject> target(context);
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(m_engine, [this, engine, target, done = std::move(done)] {
        engine->askRedisVersion(engine,
                                [this, target, done](const QString &version, const QString &error) {
                                    QMetaObject::invokeMethod(this, [target, done, version, error] {
                                        if (target)
                                            done(version, error);
                                    });
                                });
    });
}

void EngineThread::readTrends(QObject *context, TrendRange range,
                              std::function<void(const TrendSeries &)> done)
{
    QPointer<QObject> target(context);
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(m_engine, [this, engine, target, range, done = std::move(done)] {
        engine->readTrends(range, engine, [this, target, done](const TrendSeries &series) {
            QMetaObject::invokeMethod(this, [target, done, series] {
                if (target)
                    done(series);
            });
        });
    });
}

void EngineThread::readWorkerOverview(QObject *context,
                                      std::function<void(const WorkerOverview &)> done)
{
    QPointer<QObject> target(context);
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(m_engine, [this, engine, target, done = std::move(done)] {
        engine->readWorkerOverview(engine, [this, target, done](const WorkerOverview &overview) {
            QMetaObject::invokeMethod(this, [target, done, overview] {
                if (target)
                    done(overview);
            });
        });
    });
}

void EngineThread::readRegistration(QObject *context,
                                    std::function<void(const RegistrationStatus &)> done)
{
    QPointer<QObject> target(context);
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(m_engine, [this, engine, target, done = std::move(done)] {
        engine->readRegistration(engine, [this, target, done](const RegistrationStatus &status) {
            QMetaObject::invokeMethod(this, [target, done, status] {
                if (target)
                    done(status);
            });
        });
    });
}

void EngineThread::watchDeadLetterGroups()
{
    Engine *engine = m_engine;
    QMetaObject::invokeMethod(m_engine, [engine] { engine->watchDeadLetterGroups(); });
}

QueueStore *EngineThread::consoleStore()
{
    return m_consoleStore;
}

} // namespace redrive::core
