// SPDX-License-Identifier: MIT
#pragma once

#include "ui/models/queuebackend.h"

#include <array>
#include <memory>

namespace redrive::core {
class FailureGroupTracker;
class QueueStore;
} // namespace redrive::core

namespace redrive::ui {

// The console's queue backend in the application: every read and write goes to
// core::QueueStore (Lua scripts atomic against running workers); this class only translates
// between the views' terms (raw elements, paths, jobs with a Cancel) and the store's.
class QueueStoreBackend final : public QueueBackend
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QueueStoreBackend)

public:
    // `store` must outlive this object.
    explicit QueueStoreBackend(core::QueueStore *store, QObject *parent = nullptr);
    ~QueueStoreBackend() override;

    // Called by whoever watches Redis for changes (pub/sub and polling).
    void notifyChanged(QueueList list) { Q_EMIT changed(list); }

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
    core::QueueStore *m_store;
    std::array<std::unique_ptr<core::FailureGroupTracker>, 2> m_trackers; // by QueueList
};

} // namespace redrive::ui
