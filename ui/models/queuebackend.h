// SPDX-License-Identifier: MIT
#pragma once

#include "core/triage/failuregroupaggregator.h"
#include "ui/models/queuetablemodel.h"

#include <QObject>
#include <QPointer>

#include <functional>

namespace redrive::ui {

enum class QueueList { DeadLetters, PermanentFailures };

// What a queue operation did: how many entries it changed, how many it left (no longer there,
// not retryable), and the error that stopped it, in words fit for the user.
struct QueueResult
{
    QString error;
    bool changedMeanwhile = false; // an edit refused because the entry is not as it was read
    bool cancelled = false;
    qint64 affected = 0;
    qint64 skipped = 0;
};

// A long operation under way (bulk on a filter, export, import): reports progress, can be
// cancelled, and finishes exactly once.
class QueueJob : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QueueJob)

public:
    using QObject::QObject;
    ~QueueJob() override = default;
    virtual void cancel() = 0;

Q_SIGNALS:
    void progress(qint64 done, qint64 total);
    void finished(const redrive::ui::QueueResult &result);
};

// Everything the console asks of the two Redis lists. The production implementation forwards
// to core::QueueStore (the one place with the Redis commands and scripts, atomic against running
// workers); tests can put an in-memory list behind it. Callbacks run once, later, on the
// caller's thread, unless `context` is gone.
class QueueBackend : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QueueBackend)

public:
    enum class BulkAction { Retry, Delete, MoveToDlq };
    enum class GroupAction { Retry, Delete, MoveToDlq, Export };
    using PageCallback = std::function<void(const QueuePage &)>;
    using ResultCallback = std::function<void(const QueueResult &)>;

    using QObject::QObject;
    ~QueueBackend() override = default;

    // Elements offset .. offset+count-1 (0 = newest) and the list's length.
    virtual void page(QueueList list, qint64 offset, int count, const QObject *context,
                      PageCallback done)
        = 0;
    // The same over the elements whose text contains `query` (exact bytes, case-sensitive),
    // searched inside Redis over the whole list; `total` is the number of matches.
    virtual void searchPage(QueueList list, const QString &query, qint64 offset, int count,
                            const QObject *context, PageCallback done)
        = 0;
    // Number of elements matching `query` (empty: the list's length).
    virtual void count(QueueList list, const QString &query, const QObject *context,
                       std::function<void(qint64 count, const QString &error)> done)
        = 0;
    // The current text of the entry with this id, empty when it is gone.
    virtual void findById(QueueList list, const QString &id, const QObject *context,
                          std::function<void(const QByteArray &raw, const QString &error)> done)
        = 0;

    virtual void apply(BulkAction action, QueueList list, const QList<QByteArray> &entries,
                       const QObject *context, ResultCallback done)
        = 0;
    // Replaces the payload of `original`; refused (changedMeanwhile) when the stored element is
    // no longer byte for byte `original`.
    virtual void edit(QueueList list, const QByteArray &original, const QByteArray &payload,
                      const QObject *context, ResultCallback done)
        = 0;
    // The job is owned by the caller.
    virtual QueueJob *applyToMatching(BulkAction action, QueueList list, const QString &query,
                                      QObject *parent)
        = 0;
    virtual void purge(QueueList list, const QObject *context, ResultCallback done) = 0;
    virtual void exportEntries(QueueList list, const QList<QByteArray> &entries,
                               const QString &path, const QObject *context, ResultCallback done)
        = 0;
    virtual QueueJob *exportMatching(QueueList list, const QString &query, const QString &path,
                                     QObject *parent)
        = 0;
    virtual QueueJob *importFile(QueueList list, const QString &path, QObject *parent) = 0;

    // Failure groups (core/triage, docs/TRIAGE.md). While a list is watched, its groups are
    // counted and counted again after changes: groupsProgress() during a scan, groupsUpdated()
    // after each, groupsFailed() when Redis did not answer (the last groups stay valid).
    virtual void watchGroups(QueueList list, bool watch) = 0;
    // The members of one group a page at a time (`total`: the group's size), for a list view
    // filtered to the group. Reads the whole list in windows.
    virtual void groupPage(QueueList list, const QString &groupId, qint64 offset, int count,
                           const QObject *context, PageCallback done)
        = 0;
    // The group's size now (the preview before an action).
    virtual void countGroup(QueueList list, const QString &groupId, const QObject *context,
                            std::function<void(qint64 count, const QString &error)> done)
        = 0;
    // Acts on every member of the group (core::FailureGroupSelection); `path` for Export.
    // progress(scanned, length): elements looked at of the list's length.
    virtual QueueJob *applyToGroup(GroupAction action, QueueList list, const QString &groupId,
                                   const QString &path, QObject *parent)
        = 0;

Q_SIGNALS:
    // The list changed (written by anyone); views re-read what they show.
    void changed(redrive::ui::QueueList list);
    void groupsUpdated(redrive::ui::QueueList list, const redrive::core::FailureGroups &groups);
    void groupsProgress(redrive::ui::QueueList list, qint64 scanned, qint64 length);
    void groupsFailed(redrive::ui::QueueList list, const QString &error);
};

} // namespace redrive::ui

Q_DECLARE_METATYPE(redrive::ui::QueueResult)
