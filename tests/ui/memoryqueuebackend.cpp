// SPDX-License-Identifier: MIT
#include "tests/ui/memoryqueuebackend.h"

#include "core/queue/deadletterentry.h"
#include "core/triage/failuregroupselection.h"

#include <QFile>
#include <QTimer>

namespace redrive::tests {

using ui::QueueJob;
using ui::QueueList;
using ui::QueuePage;
using ui::QueueResult;

namespace {

// Works through its entries 50 at a time on the event loop, so tests see progress and can
// cancel midway.
class MemoryJob final : public QueueJob
{
public:
    MemoryJob(QList<QByteArray> entries, std::function<bool(const QByteArray &)> step,
              std::function<void()> after, QObject *parent)
        : QueueJob(parent)
        , m_entries(std::move(entries))
        , m_step(std::move(step))
        , m_after(std::move(after))
    {
        QTimer::singleShot(0, this, [this]() { next(); });
    }
    void cancel() override { m_cancelled = true; }

private:
    void next()
    {
        if (m_cancelled) {
            finish(true);
            return;
        }
        const qsizetype end = std::min(m_done + 50, m_entries.size());
        for (; m_done < end; ++m_done)
            m_result.affected += m_step(m_entries.at(m_done)) ? 1 : 0;
        Q_EMIT progress(m_done, m_entries.size());
        if (m_done == m_entries.size())
            finish(false);
        else
            QTimer::singleShot(1, this, [this]() { next(); });
    }
    void finish(bool cancelled)
    {
        m_result.cancelled = cancelled;
        m_result.skipped = m_done - m_result.affected;
        m_after();
        Q_EMIT finished(m_result);
    }

    QList<QByteArray> m_entries;
    std::function<bool(const QByteArray &)> m_step;
    std::function<void()> m_after;
    qsizetype m_done = 0;
    bool m_cancelled = false;
    QueueResult m_result;
};

} // namespace

MemoryQueueBackend::MemoryQueueBackend(QObject *parent)
    : ui::QueueBackend(parent)
{
    connect(this, &QueueBackend::changed, this, [this](QueueList list) {
        if (watched.contains(list))
            QTimer::singleShot(0, this, [this, list] { emitGroups(list); });
    });
}

MemoryQueueBackend::~MemoryQueueBackend() = default;

QList<QByteArray> &MemoryQueueBackend::items(QueueList list)
{
    return list == QueueList::DeadLetters ? m_dlq : m_permanent;
}

void MemoryQueueBackend::pushExternally(QueueList list, const QByteArray &raw)
{
    items(list).prepend(raw);
    Q_EMIT changed(list);
}

QList<QByteArray> MemoryQueueBackend::matching(QueueList list, const QString &query) const
{
    const QList<QByteArray> &all = list == QueueList::DeadLetters ? m_dlq : m_permanent;
    if (query.isEmpty())
        return all;
    QList<QByteArray> result;
    const QByteArray needle = query.toUtf8();
    for (const QByteArray &raw : all) {
        if (raw.contains(needle))
            result.append(raw);
    }
    return result;
}

void MemoryQueueBackend::page(QueueList list, qint64 offset, int count, const QObject *context,
                              PageCallback done)
{
    QueuePage page;
    page.total = items(list).size();
    page.entries = items(list).mid(offset, count);
    QTimer::singleShot(0, context, [done, page]() { done(page); });
}

void MemoryQueueBackend::searchPage(QueueList list, const QString &query, qint64 offset, int count,
                                    const QObject *context, PageCallback done)
{
    const QList<QByteArray> all = matching(list, query);
    QueuePage page;
    page.total = all.size();
    page.entries = all.mid(offset, count);
    QTimer::singleShot(0, context, [done, page]() { done(page); });
}

void MemoryQueueBackend::count(QueueList list, const QString &query, const QObject *context,
                               std::function<void(qint64, const QString &)> done)
{
    const qint64 n = matching(list, query).size();
    QTimer::singleShot(0, context, [done, n]() { done(n, QString()); });
}

void MemoryQueueBackend::findById(QueueList list, const QString &id, const QObject *context,
                                  std::function<void(const QByteArray &, const QString &)> done)
{
    QByteArray found;
    for (const QByteArray &raw : items(list)) {
        if (core::DeadLetterEntry::parse(raw).id() == id) {
            found = raw;
            break;
        }
    }
    QTimer::singleShot(0, context, [done, found]() { done(found, QString()); });
}

qint64 MemoryQueueBackend::applyOne(BulkAction action, QueueList list, const QByteArray &raw)
{
    const qsizetype index = items(list).indexOf(raw);
    if (index < 0)
        return 0;
    switch (action) {
    case BulkAction::Retry:
        retried.append(raw);
        return 1;
    case BulkAction::Delete:
        items(list).removeAt(index);
        return 1;
    case BulkAction::MoveToDlq:
        if (list != QueueList::PermanentFailures)
            return 0;
        items(list).removeAt(index);
        m_dlq.prepend(core::DeadLetterEntry::parse(raw).resetForRetry().raw());
        return 1;
    }
    return 0;
}

void MemoryQueueBackend::apply(BulkAction action, QueueList list, const QList<QByteArray> &entries,
                               const QObject *context, ResultCallback done)
{
    QueueResult result;
    for (const QByteArray &raw : entries)
        result.affected += applyOne(action, list, raw);
    result.skipped = entries.size() - result.affected;
    Q_EMIT changed(list);
    if (action == BulkAction::MoveToDlq)
        Q_EMIT changed(QueueList::DeadLetters);
    QTimer::singleShot(0, context, [done, result]() { done(result); });
}

void MemoryQueueBackend::edit(QueueList list, const QByteArray &original, const QByteArray &payload,
                              const QObject *context, ResultCallback done)
{
    QueueResult result;
    const qsizetype index = items(list).indexOf(original);
    if (index < 0) {
        result.changedMeanwhile = true;
        result.error = QStringLiteral("the entry changed since it was read");
    } else {
        items(list)[index] = core::DeadLetterEntry::parse(original).withPayload(payload).raw();
        result.affected = 1;
        Q_EMIT changed(list);
    }
    QTimer::singleShot(0, context, [done, result]() { done(result); });
}

QueueJob *MemoryQueueBackend::applyToMatching(BulkAction action, QueueList list,
                                              const QString &query, QObject *parent)
{
    return new MemoryJob(
        matching(list, query),
        [this, action, list](const QByteArray &raw) { return applyOne(action, list, raw) > 0; },
        [this, list]() {
            Q_EMIT changed(list);
            Q_EMIT changed(QueueList::DeadLetters);
        },
        parent);
}

void MemoryQueueBackend::purge(QueueList list, const QObject *context, ResultCallback done)
{
    QueueResult result;
    result.affected = items(list).size();
    items(list).clear();
    Q_EMIT changed(list);
    QTimer::singleShot(0, context, [done, result]() { done(result); });
}

void MemoryQueueBackend::exportEntries(QueueList, const QList<QByteArray> &entries,
                                       const QString &path, const QObject *context,
                                       ResultCallback done)
{
    QueueResult result;
    QFile file(path);
    if (!file.open(QIODevice::WriteOnly)) {
        result.error = file.errorString();
    } else {
        for (const QByteArray &raw : entries)
            file.write(raw + '\n');
        result.affected = entries.size();
        exported.append(path);
    }
    QTimer::singleShot(0, context, [done, result]() { done(result); });
}

QueueJob *MemoryQueueBackend::exportMatching(QueueList list, const QString &query,
                                             const QString &path, QObject *parent)
{
    auto file = std::make_shared<QFile>(path);
    const bool open = file->open(QIODevice::WriteOnly);
    exported.append(path);
    return new MemoryJob(
        matching(list, query),
        [file, open](const QByteArray &raw) { return open && file->write(raw + '\n') > 0; },
        [file]() { file->close(); }, parent);
}

QueueJob *MemoryQueueBackend::importFile(QueueList list, const QString &path, QObject *parent)
{
    QList<QByteArray> lines;
    QFile file(path);
    if (file.open(QIODevice::ReadOnly)) {
        while (!file.atEnd()) {
            const QByteArray line = file.readLine().trimmed();
            if (!line.isEmpty())
                lines.append(line);
        }
    }
    return new MemoryJob(
        lines,
        [this, list](const QByteArray &raw) {
            items(list).prepend(raw);
            return true;
        },
        [this, list]() { Q_EMIT changed(list); }, parent);
}

void MemoryQueueBackend::emitGroups(QueueList list)
{
    if (!watched.contains(list))
        return;
    core::FailureGroupAggregator aggregator;
    for (const QByteArray &raw : items(list))
        aggregator.add(raw);
    core::FailureGroups groups = aggregator.result();
    groups.length = items(list).size();
    Q_EMIT groupsProgress(list, groups.scanned, groups.length);
    Q_EMIT groupsUpdated(list, groups);
}

void MemoryQueueBackend::watchGroups(QueueList list, bool watch)
{
    watched.removeAll(list);
    if (watch) {
        watched.append(list);
        QTimer::singleShot(0, this, [this, list] { emitGroups(list); });
    }
}

QList<QByteArray> MemoryQueueBackend::members(QueueList list, const QString &groupId) const
{
    QList<QByteArray> out;
    for (const QByteArray &raw : list == QueueList::DeadLetters ? m_dlq : m_permanent) {
        if (core::FailureGroupSelection::belongsTo(raw, groupId))
            out.append(raw);
    }
    return out;
}

void MemoryQueueBackend::groupPage(QueueList list, const QString &groupId, qint64 offset, int count,
                                   const QObject *context, PageCallback done)
{
    const QList<QByteArray> all = members(list, groupId);
    QueuePage page;
    page.total = all.size();
    page.entries = all.mid(offset, count);
    QTimer::singleShot(0, context, [done, page]() { done(page); });
}

void MemoryQueueBackend::countGroup(QueueList list, const QString &groupId, const QObject *context,
                                    std::function<void(qint64, const QString &)> done)
{
    const qint64 count = members(list, groupId).size();
    QTimer::singleShot(0, context, [done, count]() { done(count, QString()); });
}

QueueJob *MemoryQueueBackend::applyToGroup(GroupAction action, QueueList list,
                                           const QString &groupId, const QString &path,
                                           QObject *parent)
{
    if (action == GroupAction::Export) {
        auto file = std::make_shared<QFile>(path);
        const bool open = file->open(QIODevice::WriteOnly);
        exported.append(path);
        return new MemoryJob(
            members(list, groupId),
            [file, open](const QByteArray &raw) { return open && file->write(raw + '\n') > 0; },
            [file]() { file->close(); }, parent);
    }
    const BulkAction bulk = action == GroupAction::Retry ? BulkAction::Retry
        : action == GroupAction::Delete                  ? BulkAction::Delete
                                                         : BulkAction::MoveToDlq;
    return new MemoryJob(
        members(list, groupId),
        [this, bulk, list](const QByteArray &raw) { return applyOne(bulk, list, raw) > 0; },
        [this, list]() {
            Q_EMIT changed(list);
            Q_EMIT changed(QueueList::DeadLetters);
        },
        parent);
}

} // namespace redrive::tests
