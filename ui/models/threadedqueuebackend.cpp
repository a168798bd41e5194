// SPDX-License-Identifier: MIT
#include "ui/models/threadedqueuebackend.h"

#include <QThread>

#include <atomic>

namespace redrive::ui {

namespace {

// What the two halves of a mirrored job share: the job on the inner thread (read there only)
// and whether Cancel was pressed here before it existed.
struct JobLink
{
    QPointer<QueueJob> inner;
    std::atomic<bool> cancelled { false };
};

class MirrorJob final : public QueueJob
{
public:
    MirrorJob(std::shared_ptr<JobLink> link, std::function<void(std::function<void()>)> there,
              QObject *parent)
        : QueueJob(parent)
        , m_link(std::move(link))
        , m_there(std::move(there))
    { }
    // A job given up (its view closed) stops there too.
    ~MirrorJob() override
    {
        if (!m_finished)
            cancel();
    }
    void cancel() override
    {
        m_link->cancelled = true;
        m_there([link = m_link] {
            if (link->inner)
                link->inner->cancel();
        });
    }
    void finish(const QueueResult &result)
    {
        m_finished = true;
        Q_EMIT finished(result);
    }

private:
    std::shared_ptr<JobLink> m_link;
    std::function<void(std::function<void()>)> m_there;
    bool m_finished = false;
};

} // namespace

ThreadedQueueBackend::ThreadedQueueBackend(std::unique_ptr<QueueBackend> inner, QThread *thread,
                                           const QObject *target, QObject *parent)
    : QueueBackend(parent)
    , m_inner(inner.release())
    , m_target(std::make_shared<QPointer<const QObject>>(target))
{
    Q_ASSERT(!m_inner->parent());
    m_inner->moveToThread(thread);
    // Values only: the groups are copied across, the inner backend keeps its own.
    connect(m_inner, &QueueBackend::groupsUpdated, this,
            [this](QueueList list, const core::FailureGroups &groups) {
                Q_EMIT groupsUpdated(list, groups);
            });
    connect(m_inner, &QueueBackend::groupsProgress, this,
            [this](QueueList list, qint64 scanned, qint64 length) {
                Q_EMIT groupsProgress(list, scanned, length);
            });
    connect(m_inner, &QueueBackend::groupsFailed, this,
            [this](QueueList list, const QString &error) { Q_EMIT groupsFailed(list, error); });
}

void ThreadedQueueBackend::notifyChanged(QueueList list)
{
    Q_EMIT changed(list);
    // The inner backend's group trackers count again after changes.
    there([list](QueueBackend *inner) { Q_EMIT inner->changed(list); });
}

ThreadedQueueBackend::~ThreadedQueueBackend()
{
    // Answers still on their way to this object are discarded with it; the inner backend and
    // what it started end on their thread, before this one goes on (the console is closing).
    QueueBackend *inner = m_inner;
    if (inner->thread()->isRunning() && inner->thread() != QThread::currentThread())
        QMetaObject::invokeMethod(
            inner, [inner] { delete inner; }, Qt::BlockingQueuedConnection);
    else
        delete inner;
}

void ThreadedQueueBackend::there(std::function<void(QueueBackend *)> call)
{
    QueueBackend *inner = m_inner;
    QMetaObject::invokeMethod(inner, [inner, target = m_target, call = std::move(call)] {
        if (*target)
            call(inner);
    });
}

template<typename... Args>
std::function<void(Args...)> ThreadedQueueBackend::back(const QObject *context,
                                                        std::function<void(Args...)> done)
{
    // `this` outlives every call made on the inner thread: the destructor ends the inner
    // backend there first. The context is checked here, on its own thread.
    return [this, context = QPointer<const QObject>(context), done](Args... args) {
        QMetaObject::invokeMethod(
            this, [context, done, values = std::make_tuple(std::decay_t<Args>(args)...)] {
                if (context)
                    std::apply(done, values);
            });
    };
}

void ThreadedQueueBackend::page(QueueList list, qint64 offset, int count, const QObject *context,
                                PageCallback done)
{
    there([list, offset, count, done = back(context, std::move(done))](QueueBackend *inner) {
        inner->page(list, offset, count, inner, done);
    });
}

void ThreadedQueueBackend::searchPage(QueueList list, const QString &query, qint64 offset,
                                      int count, const QObject *context, PageCallback done)
{
    there([list, query, offset, count, done = back(context, std::move(done))](QueueBackend *inner) {
        inner->searchPage(list, query, offset, count, inner, done);
    });
}

void ThreadedQueueBackend::count(QueueList list, const QString &query, const QObject *context,
                                 std::function<void(qint64, const QString &)> done)
{
    there([list, query, done = back(context, std::move(done))](QueueBackend *inner) {
        inner->count(list, query, inner, done);
    });
}

void ThreadedQueueBackend::findById(QueueList list, const QString &id, const QObject *context,
                                    std::function<void(const QByteArray &, const QString &)> done)
{
    there([list, id, done = back(context, std::move(done))](QueueBackend *inner) {
        inner->findById(list, id, inner, done);
    });
}

void ThreadedQueueBackend::apply(BulkAction action, QueueList list,
                                 const QList<QByteArray> &entries, const QObject *context,
                                 ResultCallback done)
{
    there([action, list, entries, done = back(context, std::move(done))](QueueBackend *inner) {
        inner->apply(action, list, entries, inner, done);
    });
}

void ThreadedQueueBackend::edit(QueueList list, const QByteArray &original,
                                const QByteArray &payload, const QObject *context,
                                ResultCallback done)
{
    there([list, original, payload, done = back(context, std::move(done))](QueueBackend *inner) {
        inner->edit(list, original, payload, inner, done);
    });
}

void ThreadedQueueBackend::purge(QueueList list, const QObject *context, ResultCallback done)
{
    there([list, done = back(context, std::move(done))](QueueBackend *inner) {
        inner->purge(list, inner, done);
    });
}

void ThreadedQueueBackend::exportEntries(QueueList list, const QList<QByteArray> &entries,
                                         const QString &path, const QObject *context,
                                         ResultCallback done)
{
    there([list, entries, path, done = back(context, std::move(done))](QueueBackend *inner) {
        inner->exportEntries(list, entries, path, inner, done);
    });
}

QueueJob *ThreadedQueueBackend::mirror(QObject *parent,
                                       std::function<QueueJob *(QueueBackend *)> start)
{
    auto link = std::make_shared<JobLink>();
    auto *job = new MirrorJob(
        link, [this](std::function<void()> call) { there([call](QueueBackend *) { call(); }); },
        parent);
    auto progress = back(job, std::function<void(qint64, qint64)>([job](qint64 done, qint64 total) {
                             Q_EMIT job->progress(done, total);
                         }));
    auto finished
        = back(job, std::function<void(const QueueResult &)>([job](const QueueResult &result) {
                   job->finish(result);
               }));
    there([link, start = std::move(start), progress, finished](QueueBackend *inner) {
        QueueJob *innerJob = start(inner);
        link->inner = innerJob;
        QObject::connect(innerJob, &QueueJob::progress, innerJob, progress);
        QObject::connect(innerJob, &QueueJob::finished, innerJob,
                         [innerJob, finished](const QueueResult &result) {
                             finished(result);
                             innerJob->deleteLater();
                         });
        if (link->cancelled)
            innerJob->cancel();
    });
    return job;
}

QueueJob *ThreadedQueueBackend::applyToMatching(BulkAction action, QueueList list,
                                                const QString &query, QObject *parent)
{
    return mirror(parent, [action, list, query](QueueBackend *inner) {
        return inner->applyToMatching(action, list, query, inner);
    });
}

QueueJob *ThreadedQueueBackend::exportMatching(QueueList list, const QString &query,
                                               const QString &path, QObject *parent)
{
    return mirror(parent, [list, query, path](QueueBackend *inner) {
        return inner->exportMatching(list, query, path, inner);
    });
}

QueueJob *ThreadedQueueBackend::importFile(QueueList list, const QString &path, QObject *parent)
{
    return mirror(
        parent, [list, path](QueueBackend *inner) { return inner->importFile(list, path, inner); });
}

void ThreadedQueueBackend::watchGroups(QueueList list, bool watch)
{
    there([list, watch](QueueBackend *inner) { inner->watchGroups(list, watch); });
}

void ThreadedQueueBackend::groupPage(QueueList list, const QString &groupId, qint64 offset,
                                     int count, const QObject *context, PageCallback done)
{
    there(
        [list, groupId, offset, count, done = back(context, std::move(done))](QueueBackend *inner) {
            inner->groupPage(list, groupId, offset, count, inner, done);
        });
}

void ThreadedQueueBackend::countGroup(QueueList list, const QString &groupId,
                                      const QObject *context,
                                      std::function<void(qint64, const QString &)> done)
{
    there([list, groupId, done = back(context, std::move(done))](QueueBackend *inner) {
        inner->countGroup(list, groupId, inner, done);
    });
}

QueueJob *ThreadedQueueBackend::applyToGroup(GroupAction action, QueueList list,
                                             const QString &groupId, const QString &path,
                                             QObject *parent)
{
    return mirror(parent, [action, list, groupId, path](QueueBackend *inner) {
        return inner->applyToGroup(action, list, groupId, path, inner);
    });
}

} // namespace redrive::ui
