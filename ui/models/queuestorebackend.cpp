// SPDX-License-Identifier: MIT
#include "ui/models/queuestorebackend.h"

#include "core/queue/queuestore.h"
#include "core/triage/failuregroupselection.h"
#include "core/triage/failuregrouptracker.h"

#include <QFile>
#include <QTimer>

#include <memory>

namespace redrive::ui {

using core::DeadLetterEntry;
using core::QueueStore;

namespace {

QueueStore::List storeList(QueueList list)
{
    return list == QueueList::DeadLetters ? QueueStore::List::DeadLetter
                                          : QueueStore::List::PermanentFailures;
}

QList<DeadLetterEntry> parseAll(const QList<QByteArray> &raws)
{
    QList<DeadLetterEntry> entries;
    entries.reserve(raws.size());
    for (const QByteArray &raw : raws)
        entries.append(DeadLetterEntry::parse(raw));
    return entries;
}

QueueResult fromBulk(const core::BulkResult &r)
{
    QueueResult result;
    result.affected = r.done;
    result.skipped = r.missing;
    result.cancelled = r.code == core::QueueError::Cancelled;
    if (r.code != core::QueueError::None && r.code != core::QueueError::Cancelled)
        result.error = r.error;
    return result;
}

QueueResult fromOperation(const core::OperationResult &r)
{
    QueueResult result;
    if (r.ok()) {
        result.affected = 1;
    } else {
        result.error = r.error;
        result.changedMeanwhile = r.code == core::QueueError::ChangedMeanwhile;
        result.skipped = result.changedMeanwhile ? 1 : 0;
    }
    return result;
}

// A store operation that runs in chunks: its Progress callback reports here and asks whether to
// go on, so Cancel stops it between two chunks (what was done stays done, and is counted).
class StoreJob final : public QueueJob
{
public:
    using QueueJob::QueueJob;
    void cancel() override { m_cancelled = true; }

    QueueStore::Progress progress()
    {
        QPointer<StoreJob> self(this);
        return [self](qint64 done, qint64 total) {
            if (!self)
                return false;
            Q_EMIT self->QueueJob::progress(done, total);
            return !self->m_cancelled;
        };
    }
    QueueStore::BulkCallback finisher()
    {
        return [this](const core::BulkResult &r) {
            m_file.reset();
            Q_EMIT finished(fromBulk(r));
        };
    }
    // Reports `error` as the result, on the next turn of the event loop.
    void failLater(const QString &error)
    {
        QTimer::singleShot(0, this, [this, error]() {
            QueueResult result;
            result.error = error;
            Q_EMIT finished(result);
        });
    }
    std::unique_ptr<QFile> m_file;

private:
    bool m_cancelled = false;
};

// One group action: a core::FailureGroupSelection and, for an export, its file.
class GroupJob final : public QueueJob
{
public:
    GroupJob(QueueStore *store, QueueStore::List list, const QString &groupId, QObject *parent)
        : QueueJob(parent)
        , m_selection(store, store->connection(), list, groupId, this)
    {
        connect(&m_selection, &core::FailureGroupSelection::progress, this,
                [this](qint64 scanned, qint64 length, qint64, qint64) {
                    Q_EMIT progress(scanned, qMax(scanned, length));
                });
        connect(&m_selection, &core::FailureGroupSelection::finished, this,
                [this](const core::FailureGroupSelectionResult &r) {
                    if (m_file)
                        m_file->close();
                    QueueResult result;
                    result.affected = r.done;
                    result.skipped = r.missing;
                    result.cancelled = r.code == core::QueueError::Cancelled;
                    if (!r.ok() && !result.cancelled)
                        result.error = r.error;
                    Q_EMIT finished(result);
                });
    }
    void cancel() override { m_selection.cancel(); }

    core::FailureGroupSelection m_selection;
    std::unique_ptr<QFile> m_file;
};

} // namespace

QueueStoreBackend::QueueStoreBackend(QueueStore *store, QObject *parent)
    : QueueBackend(parent)
    , m_store(store)
{
    connect(this, &QueueBackend::changed, this, [this](QueueList list) {
        if (auto &tracker = m_trackers.at(size_t(list)))
            tracker->listChanged();
    });
}

QueueStoreBackend::~QueueStoreBackend() = default;

void QueueStoreBackend::page(QueueList list, qint64 offset, int count, const QObject *context,
                             PageCallback done)
{
    m_store->page(storeList(list), offset, count, context, [done](const core::PageResult &r) {
        QueuePage page;
        page.error = r.code == core::QueueError::None ? QString() : r.error;
        page.total = r.total;
        page.entries.reserve(r.entries.size());
        for (const DeadLetterEntry &entry : r.entries)
            page.entries.append(entry.raw());
        done(page);
    });
}

void QueueStoreBackend::searchPage(QueueList list, const QString &query, qint64 offset, int count,
                                   const QObject *context, PageCallback done)
{
    // The store returns the first `limit` matches and counts all of them; a page further down
    // the results asks for as many as it needs and keeps its slice.
    m_store->search(storeList(list), query, offset + count, context,
                    [done, offset, count](const core::SearchResult &r) {
                        QueuePage page;
                        page.error = r.code == core::QueueError::None ? QString() : r.error;
                        page.total = r.matches;
                        for (qint64 i = offset; i < r.entries.size() && i < offset + count; ++i)
                            page.entries.append(r.entries.at(i).raw());
                        done(page);
                    });
}

void QueueStoreBackend::count(QueueList list, const QString &query, const QObject *context,
                              std::function<void(qint64, const QString &)> done)
{
    if (query.isEmpty()) {
        m_store->page(storeList(list), 0, 0, context, [done](const core::PageResult &r) {
            done(r.total, r.code == core::QueueError::None ? QString() : r.error);
        });
        return;
    }
    m_store->search(storeList(list), query, 0, context, [done](const core::SearchResult &r) {
        done(r.matches, r.code == core::QueueError::None ? QString() : r.error);
    });
}

void QueueStoreBackend::findById(QueueList list, const QString &id, const QObject *context,
                                 std::function<void(const QByteArray &, const QString &)> done)
{
    // Entries carry their id in their text (the store writes it into tutorial entries on their
    // first change), so the search narrows it down and the parsed id decides.
    m_store->search(storeList(list), id, 50, context, [done, id](const core::SearchResult &r) {
        if (r.code != core::QueueError::None) {
            done({}, r.error);
            return;
        }
        for (const DeadLetterEntry &entry : r.entries) {
            if (entry.id() == id) {
                done(entry.raw(), QString());
                return;
            }
        }
        done({}, QString());
    });
}

void QueueStoreBackend::apply(BulkAction action, QueueList list, const QList<QByteArray> &entries,
                              const QObject *context, ResultCallback done)
{
    auto callback = [done](const core::BulkResult &r) { done(fromBulk(r)); };
    const QList<DeadLetterEntry> parsed = parseAll(entries);
    switch (action) {
    case BulkAction::Retry:
        m_store->retryNowMany(storeList(list), parsed, context, callback);
        return;
    case BulkAction::Delete:
        m_store->removeMany(storeList(list), parsed, context, callback);
        return;
    case BulkAction::MoveToDlq:
        m_store->moveToDlqMany(parsed, context, callback);
        return;
    }
}

void QueueStoreBackend::edit(QueueList list, const QByteArray &original, const QByteArray &payload,
                             const QObject *context, ResultCallback done)
{
    m_store->edit(storeList(list), DeadLetterEntry::parse(original), payload, context,
                  [done](const core::OperationResult &r) { done(fromOperation(r)); });
}

QueueJob *QueueStoreBackend::applyToMatching(BulkAction action, QueueList list,
                                             const QString &query, QObject *parent)
{
    auto *job = new StoreJob(parent);
    switch (action) {
    case BulkAction::Retry:
        m_store->retryNowMatching(storeList(list), query, job, job->finisher(), job->progress());
        break;
    case BulkAction::Delete:
        m_store->removeMatching(storeList(list), query, job, job->finisher(), job->progress());
        break;
    case BulkAction::MoveToDlq:
        m_store->moveToDlqMatching(query, job, job->finisher(), job->progress());
        break;
    }
    return job;
}

void QueueStoreBackend::purge(QueueList list, const QObject *context, ResultCallback done)
{
    m_store->purge(storeList(list), context,
                   [done](const core::BulkResult &r) { done(fromBulk(r)); });
}

void QueueStoreBackend::exportEntries(QueueList list, const QList<QByteArray> &entries,
                                      const QString &path, const QObject *context,
                                      ResultCallback done)
{
    auto file = std::make_shared<QFile>(path);
    if (!file->open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        QueueResult result;
        result.error = tr("Cannot write %1: %2").arg(path, file->errorString());
        QTimer::singleShot(0, context, [done, result]() { done(result); });
        return;
    }
    m_store->exportJsonLines(storeList(list), QString(), parseAll(entries), file.get(), context,
                             [done, file](const core::BulkResult &r) {
                                 file->close();
                                 done(fromBulk(r));
                             });
}

QueueJob *QueueStoreBackend::exportMatching(QueueList list, const QString &query,
                                            const QString &path, QObject *parent)
{
    auto *job = new StoreJob(parent);
    job->m_file = std::make_unique<QFile>(path);
    if (!job->m_file->open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        job->failLater(tr("Cannot write %1: %2").arg(path, job->m_file->errorString()));
        return job;
    }
    m_store->exportJsonLines(storeList(list), query, {}, job->m_file.get(), job, job->finisher(),
                             job->progress());
    return job;
}

QueueJob *QueueStoreBackend::importFile(QueueList list, const QString &path, QObject *parent)
{
    auto *job = new StoreJob(parent);
    job->m_file = std::make_unique<QFile>(path);
    if (!job->m_file->open(QIODevice::ReadOnly)) {
        job->failLater(tr("Cannot read %1: %2").arg(path, job->m_file->errorString()));
        return job;
    }
    m_store->importJsonLines(storeList(list), job->m_file.get(), job, job->finisher(),
                             job->progress());
    return job;
}

void QueueStoreBackend::watchGroups(QueueList list, bool watch)
{
    auto &tracker = m_trackers.at(size_t(list));
    if (!watch) {
        tracker.reset();
        return;
    }
    if (tracker)
        return;
    tracker = std::make_unique<core::FailureGroupTracker>(m_store->connection(),
                                                          m_store->key(storeList(list)));
    connect(
        tracker.get(), &core::FailureGroupTracker::updated, this,
        [this, list](const core::FailureGroups &groups) { Q_EMIT groupsUpdated(list, groups); });
    connect(tracker.get(), &core::FailureGroupTracker::progress, this,
            [this, list](qint64 scanned, qint64 length) {
                Q_EMIT groupsProgress(list, scanned, length);
            });
    connect(tracker.get(), &core::FailureGroupTracker::failed, this,
            [this, list](const QString &error) { Q_EMIT groupsFailed(list, error); });
    tracker->start();
}

void QueueStoreBackend::groupPage(QueueList list, const QString &groupId, qint64 offset, int count,
                                  const QObject *context, PageCallback done)
{
    auto *selection = new core::FailureGroupSelection(m_store, m_store->connection(),
                                                      storeList(list), groupId, this);
    selection->setPage(offset, count);
    QPointer<const QObject> guard(context);
    connect(selection, &core::FailureGroupSelection::finished, selection,
            [selection, guard, hasContext = context != nullptr,
             done](const core::FailureGroupSelectionResult &r) {
                selection->deleteLater();
                if (hasContext && !guard)
                    return;
                QueuePage page;
                page.error = r.ok() ? QString() : r.error;
                page.total = r.matched;
                page.entries = r.page;
                done(page);
            });
    selection->start(core::FailureGroupSelection::Action::Count);
}

void QueueStoreBackend::countGroup(QueueList list, const QString &groupId, const QObject *context,
                                   std::function<void(qint64, const QString &)> done)
{
    groupPage(list, groupId, 0, 0, context,
              [done](const QueuePage &page) { done(page.total, page.error); });
}

QueueJob *QueueStoreBackend::applyToGroup(GroupAction action, QueueList list,
                                          const QString &groupId, const QString &path,
                                          QObject *parent)
{
    using Action = core::FailureGroupSelection::Action;
    auto *job = new GroupJob(m_store, storeList(list), groupId, parent);
    Action selectionAction = Action::RetryNow;
    switch (action) {
    case GroupAction::Retry:
        selectionAction = Action::RetryNow;
        break;
    case GroupAction::Delete:
        selectionAction = Action::Remove;
        break;
    case GroupAction::MoveToDlq:
        selectionAction = Action::MoveToDlq;
        break;
    case GroupAction::Export:
        selectionAction = Action::Export;
        job->m_file = std::make_unique<QFile>(path);
        if (!job->m_file->open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            const QString error = tr("Cannot write %1: %2").arg(path, job->m_file->errorString());
            job->m_file.reset();
            QTimer::singleShot(0, job, [job, error] {
                QueueResult result;
                result.error = error;
                Q_EMIT job->finished(result);
            });
            return job;
        }
        job->m_selection.setExportDevice(job->m_file.get());
        break;
    }
    job->m_selection.start(selectionAction);
    return job;
}

} // namespace redrive::ui
