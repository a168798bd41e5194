// SPDX-License-Identifier: MIT
#include "ui/models/auditbackend.h"

#include <QSaveFile>
#include <QThread>

#include <memory>
#include <tuple>

namespace redrive::ui {

// Stays on the log's thread: the context of every call there, so that answers still on their
// way when the backend goes are dropped there.
class AuditBackend::Worker final : public QObject
{
public:
    explicit Worker(core::AuditLog *log)
        : m_log(log)
    { }
    QPointer<core::AuditLog> m_log; // read on the log's thread only
};

AuditBackend::AuditBackend(core::AuditLog *log, QObject *parent)
    : QObject(parent)
    , m_worker(new Worker(log))
{
    qRegisterMetaType<core::AuditRecord>();
    if (log) {
        m_worker->moveToThread(log->thread());
        // Queued across threads; dropped with this object.
        connect(log, &core::AuditLog::written, this, [this] { Q_EMIT recorded(); });
    }
}

AuditBackend::~AuditBackend()
{
    // The worker ends on its thread before this object goes: nothing there refers to this one
    // afterwards (the answers already posted here are discarded with it).
    Worker *worker = m_worker;
    if (worker->thread()->isRunning() && worker->thread() != QThread::currentThread())
        QMetaObject::invokeMethod(
            worker, [worker] { delete worker; }, Qt::BlockingQueuedConnection);
    else
        delete worker;
}

void AuditBackend::there(std::function<void(core::AuditLog *, QObject *)> call)
{
    Worker *worker = m_worker;
    QMetaObject::invokeMethod(worker, [worker, call = std::move(call)] {
        if (worker->m_log)
            call(worker->m_log, worker);
    });
}

template<typename... Args>
std::function<void(Args...)> AuditBackend::back(const QObject *context,
                                                std::function<void(Args...)> done)
{
    return [this, context = QPointer<const QObject>(context), done](Args... args) {
        QMetaObject::invokeMethod(
            this, [context, done, values = std::make_tuple(std::decay_t<Args>(args)...)] {
                if (context)
                    std::apply(done, values);
            });
    };
}

void AuditBackend::readPage(const QByteArray &cursor, int count, const QObject *context,
                            PageCallback done)
{
    there([cursor, count, done = back(context, std::move(done))](core::AuditLog *log,
                                                                 QObject *worker) {
        log->readPage(cursor, count, worker, done);
    });
}

void AuditBackend::search(const QString &text, const QByteArray &cursor, int maxMatches,
                          const QObject *context, PageCallback done)
{
    // Bounded per call, so that a rare word never reads a 100,000-record trail in one go.
    constexpr int MaxScanned = 5000;
    there([text, cursor, maxMatches, done = back(context, std::move(done))](core::AuditLog *log,
                                                                            QObject *worker) {
        log->search(text, cursor, maxMatches, MaxScanned, worker, done);
    });
}

void AuditBackend::exportJsonLines(const QString &path, const QString &text, const QObject *context,
                                   ExportCallback done)
{
    there(
        [path, text, done = back(context, std::move(done))](core::AuditLog *log, QObject *worker) {
            auto file = std::make_shared<QSaveFile>(path);
            if (!file->open(QIODevice::WriteOnly)) {
                done(0, QObject::tr("Could not write %1: %2").arg(path, file->errorString()));
                return;
            }
            log->exportJsonLines(
                file.get(), text, worker, [file, path, done](qint64 written, const QString &error) {
                    if (!error.isEmpty()) {
                        file->cancelWriting();
                        done(written, error);
                        return;
                    }
                    if (!file->commit()) {
                        done(written,
                             QObject::tr("Could not write %1: %2").arg(path, file->errorString()));
                        return;
                    }
                    done(written, QString());
                });
        });
}

void AuditBackend::record(const core::AuditRecord &record)
{
    there([record](core::AuditLog *log, QObject *) { log->record(record); });
}

} // namespace redrive::ui
