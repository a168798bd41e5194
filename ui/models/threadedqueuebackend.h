// SPDX-License-Identifier: MIT
#pragma once

#include "ui/models/queuebackend.h"

#include <memory>

class QThread;

namespace redrive::ui {

// A QueueBackend whose work happens on another thread (the engine's, where the Redis
// connection lives): each call is posted there to `inner`, each answer posted back and handed
// to its callback here if its context still exists. Jobs are mirrored: progress and the result
// come back, Cancel goes there. Nothing here waits for the other thread but the destructor.
class ThreadedQueueBackend final : public QueueBackend
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ThreadedQueueBackend)

public:
    // `inner` (no parent) moves to `thread` and is deleted there. `target` is what `inner`
    // works on (a core::QueueStore on that thread): calls made once it is gone (the engine
    // stopped, the program is ending) are dropped.
    ThreadedQueueBackend(std::unique_ptr<QueueBackend> inner, QThread *thread,
                         const QObject *target, QObject *parent = nullptr);
    ~ThreadedQueueBackend() override;

    // Called by whoever watches the lists for changes.
    void notifyChanged(QueueList list);

    void page(QueueList list, qint64 offset, int count, const QObject *context,
              PageCallback done) override;
    void searchPage(QueueList list, const QString &query, qint64 offset, int count,
                    const QObject *context, PageCallback done) override;
    void count(QueueList list, const QString &query, const QObject *context,
               std::function<void(qint64, const QString &)> done) override;
    void findById(QueueList list, const QString &id, const QObject *context,
                  std::function<void(const QByteArray &, const QString &)> done) override;
    void apply(BulkAction action, QueueList list, const QList<QByteArray> &entries,
               const QObject *context, ResultCallback done) override;
    void edit(QueueList list, const QByteArray &original, const QByteArray &payload,
              const QObject *context, ResultCallback done) override;
    QueueJob *applyToMatching(BulkAction action, QueueList list, const QString &query,
                              QObject *parent) override;
    void purge(QueueList list, const QObject *context, ResultCallback done) override;
    void exportEntries(QueueList list, const QList<QByteArray> &entries, const QString &path,
                       const QObject *context, ResultCallback done) override;
    QueueJob *exportMatching(QueueList list, const QString &query, const QString &path,
                             QObject *parent) override;
    QueueJob *importFile(QueueList list, const QString &path, QObject *parent) override;
    void watchGroups(QueueList list, bool watch) override;
    void groupPage(QueueList list, const QString &groupId, qint64 offset, int count,
                   const QObject *context, PageCallback done) override;
    void countGroup(QueueList list, const QString &groupId, const QObject *context,
                    std::function<void(qint64, const QString &)> done) override;
    QueueJob *applyToGroup(GroupAction action, QueueList list, const QString &groupId,
                           const QString &path, QObject *parent) override;

private:
    // Runs `call(inner)` on the inner thread, unless the target is gone by then.
    void there(std::function<void(QueueBackend *inner)> call);
    // Wraps a callback made here into one the inner thread may call: it posts the values back
    // and calls `done` here if `context` still exists.
    template<typename... Args>
    std::function<void(Args...)> back(const QObject *context, std::function<void(Args...)> done);
    // A job here that mirrors the one `start` makes on the inner thread.
    QueueJob *mirror(QObject *parent, std::function<QueueJob *(QueueBackend *inner)> start);

    QueueBackend *m_inner; // lives on the inner thread
    std::shared_ptr<QPointer<const QObject>> m_target; // read on the inner thread only
};

} // namespace redrive::ui
