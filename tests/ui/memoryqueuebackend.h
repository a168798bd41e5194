// SPDX-License-Identifier: MIT
#pragma once

#include "ui/models/queuebackend.h"

namespace redrive::tests {

// Two lists in memory behind the console's backend interface, answering asynchronously like
// Redis would, for tests of the views' behaviour; the Redis-backed tests use the real store.
class MemoryQueueBackend final : public ui::QueueBackend
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MemoryQueueBackend)

public:
    explicit MemoryQueueBackend(QObject *parent = nullptr);
    ~MemoryQueueBackend() override;

    QList<QByteArray> &items(ui::QueueList list);
    // Writes from "someone else": the list changes and the change is announced.
    void pushExternally(ui::QueueList list, const QByteArray &raw);
    QList<QByteArray> retried; // entries "retry now" was asked for
    QStringList exported; // paths written

    void page(ui::QueueList list, qint64 offset, int count, const QObject *context,
              PageCallback done) override;
    void searchPage(ui::QueueList list, const QString &query, qint64 offset, int count,
                    const QObject *context, PageCallback done) override;
    void count(ui::QueueList list, const QString &query, const QObject *context,
               std::function<void(qint64, const QString &)> done) override;
    void findById(ui::QueueList list, const QString &id, const QObject *context,
                  std::function<void(const QByteArray &, const QString &)> done) override;
    void apply(BulkAction action, ui::QueueList list, const QList<QByteArray> &entries,
               const QObject *context, ResultCallback done) override;
    void edit(ui::QueueList list, const QByteArray &original, const QByteArray &payload,
              const QObject *context, ResultCallback done) override;
    ui::QueueJob *applyToMatching(BulkAction action, ui::QueueList list, const QString &query,
                                  QObject *parent) override;
    void purge(ui::QueueList list, const QObject *context, ResultCallback done) override;
    void exportEntries(ui::QueueList list, const QList<QByteArray> &entries, const QString &path,
                       const QObject *context, ResultCallback done) override;
    ui::QueueJob *exportMatching(ui::QueueList list, const QString &query, const QString &path,
                                 QObject *parent) override;
    ui::QueueJob *importFile(ui::QueueList list, const QString &path, QObject *parent) override;
    // Groups are counted by core::FailureGroupAggregator on each change while watched.
    void watchGroups(ui::QueueList list, bool watch) override;
    void groupPage(ui::QueueList list, const QString &groupId, qint64 offset, int count,
                   const QObject *context, PageCallback done) override;
    void countGroup(ui::QueueList list, const QString &groupId, const QObject *context,
                    std::function<void(qint64, const QString &)> done) override;
    ui::QueueJob *applyToGroup(GroupAction action, ui::QueueList list, const QString &groupId,
                               const QString &path, QObject *parent) override;
    QList<ui::QueueList> watched;

private:
    QList<QByteArray> members(ui::QueueList list, const QString &groupId) const;
    void emitGroups(ui::QueueList list);
    QList<QByteArray> matching(ui::QueueList list, const QString &query) const;
    qint64 applyOne(BulkAction action, ui::QueueList list, const QByteArray &raw);

    QList<QByteArray> m_dlq;
    QList<QByteArray> m_permanent;
};

} // namespace redrive::tests
