// SPDX-License-Identifier: MIT
#include "core/triage/failuregroupselection.h"

#include "core/audit/auditlog.h"
#include "core/audit/auditrecord.h"
#include "core/redis/redisconnection.h"
#include "core/redis/redisreply.h"
#include "core/triage/failurefingerprint.h"

#include <QFile>
#include <QIODevice>

#include <memory>

namespace redrive::core {

namespace {

constexpr qint64 MinWindow = 16;
constexpr qint64 MaxWindow = 4096;
// Elements each window re-reads before the anchor's expected place; removals before it (the
// worker's claims, another console) up to this many are followed exactly.
constexpr qint64 Overlap = 64;

} // namespace

FailureGroupSelection::FailureGroupSelection(QueueStore *store, RedisConnection *connection,
                                             QueueStore::List list, const QString &groupId,
                                             QObject *parent)
    : QObject(parent)
    , m_store(store)
    , m_connection(connection)
    , m_list(list)
    , m_groupId(groupId.trimmed().toLower())
{ }

FailureGroupSelection::~FailureGroupSelection() = default;

bool FailureGroupSelection::belongsTo(QByteArrayView raw, const QString &groupId)
{
    return failureFingerprint(raw).groupId() == groupId.trimmed().toLower();
}

bool FailureGroupSelection::removesMembers() const
{
    switch (m_action) {
    case Action::Remove:
    case Action::MoveToDlq:
        return true;
    case Action::RetryNow:
        return m_list == QueueStore::List::PermanentFailures; // back to the DLQ
    case Action::Count:
    case Action::Export:
        return false;
    }
    return false;
}

bool FailureGroupSelection::matches(QByteArrayView raw)
{
    // Thousands of members share a few fingerprints: hash each key once.
    const QString key = failureFingerprint(raw).key();
    auto it = m_memberKeys.constFind(key);
    if (it == m_memberKeys.constEnd()) {
        it = m_memberKeys.insert(key, FailureFingerprint::groupIdOfKey(key) == m_groupId);
    }
    return it.value();
}

void FailureGroupSelection::start(Action action)
{
    if (m_running) {
        FailureGroupSelectionResult refused;
        refused.code = QueueError::InvalidInput;
        refused.error = QStringLiteral("A group action is already running.");
        QMetaObject::invokeMethod(
            this, [this, refused] { Q_EMIT finished(refused); }, Qt::QueuedConnection);
        return;
    }
    ++m_generation;
    m_action = action;
    m_running = true;
    m_cancelled = false;
    m_atEnd = false;
    m_result = FailureGroupSelectionResult();
    m_clock.start();
    m_length = 0;
    m_windowCount = MinWindow;
    m_anchor.clear();
    m_anchorIndex = -1;
    m_auditIds.clear();
    if (action == Action::MoveToDlq && m_list != QueueStore::List::PermanentFailures) {
        finishLater(QueueError::InvalidInput,
                    QStringLiteral("Only permanent failures can be moved to the DLQ."));
        return;
    }
    if (action == Action::Export && (!m_device || !m_device->isWritable())) {
        finishLater(QueueError::Io, QStringLiteral("The export file is not open for writing."));
        return;
    }
    QMetaObject::invokeMethod(
        this,
        [this, generation = m_generation] {
            if (generation == m_generation && m_running)
                sendWindow();
        },
        Qt::QueuedConnection);
}

void FailureGroupSelection::cancel()
{
    if (m_running)
        m_cancelled = true;
}

void FailureGroupSelection::sendWindow()
{
    const qint64 start = m_anchorIndex < 0 ? 0 : qMax<qint64>(0, m_anchorIndex + 1 - Overlap);
    const qint64 count = (m_anchorIndex + 1 - start) + m_windowCount;
    const QByteArray key = m_store->key(m_list);
    auto length = std::make_shared<RedisReply>();
    const quint64 generation = m_generation;
    m_connection->command({ QByteArrayLiteral("LLEN"), key }, this,
                          [length](const RedisReply &reply) { *length = reply; });
    m_connection->command({ QByteArrayLiteral("LRANGE"), key, QByteArray::number(start),
                            QByteArray::number(start + count - 1) },
                          this, [this, generation, start, count, length](const RedisReply &reply) {
                              if (generation == m_generation && m_running)
                                  windowReplied(start, count, *length, reply);
                          });
}

void FailureGroupSelection::windowReplied(qint64 start, qint64 count, const RedisReply &length,
                                          const RedisReply &range)
{
    if (range.isError() || length.isError()) {
        const QString reason = range.isError() ? range.errorText() : length.errorText();
        finish(QueueError::Redis, QStringLiteral("Reading the list failed: %1").arg(reason));
        return;
    }
    if (range.type() != RedisReply::Type::Array) {
        finish(QueueError::Redis, QStringLiteral("Reading the list failed: unexpected reply"));
        return;
    }
    m_length = length.toInteger();
    const QList<RedisReply> &elements = range.elements();
    const qint64 size = elements.size();
    qint64 first = 0; // first element not looked at yet
    if (m_anchorIndex >= 0) {
        // The anchor where it should be, then ever further from there.
        const qint64 expected = m_anchorIndex - start;
        qint64 found = -1;
        for (qint64 d = 0; found < 0 && (expected - d >= 0 || expected + d < size); ++d) {
            if (expected + d >= 0 && expected + d < size
                && elements.at(expected + d).bytes() == m_anchor)
                found = expected + d;
            else if (d > 0 && expected - d >= 0 && expected - d < size
                     && elements.at(expected - d).bytes() == m_anchor)
                found = expected - d;
        }
        if (found >= 0) {
            first = found + 1;
        } else {
            m_result.approximate = true;
            first = qBound<qint64>(0, expected + 1, size);
        }
        m_anchorIndex = start + first - 1;
    }
    m_atEnd = size < count;

    const bool removes = removesMembers();
    QList<DeadLetterEntry> members;
    qint64 bytes = 0;
    for (qint64 i = first; i < size; ++i) {
        const QByteArray &raw = elements.at(i).bytes();
        bytes += raw.size();
        ++m_result.scanned;
        const bool member = matches(raw);
        if (member && m_action == Action::Count) {
            const qint64 ordinal = m_result.matched + members.size();
            if (ordinal >= m_pageOffset && ordinal < m_pageOffset + m_pageLimit)
                m_result.page.append(raw);
        }
        if (member)
            members.append(m_action == Action::Count ? DeadLetterEntry()
                                                     : DeadLetterEntry::parse(raw));
        if (!member || !removes) {
            // Stays in the list: the next window finds its place by it. Members acted on
            // before it in this window leave the list, so it moves up by as many.
            m_anchor = raw;
            m_anchorIndex = start + i - (removes ? members.size() : 0);
        }
    }
    if (size > first) {
        const qint64 average = qMax<qint64>(1, bytes / (size - first));
        m_windowCount = qBound(MinWindow, m_windowBytes / average, MaxWindow);
    }
    m_result.matched += members.size();
    if (members.isEmpty() || m_action == Action::Count) {
        if (m_action == Action::Count)
            m_result.done += members.size();
        next();
        return;
    }
    const quint64 generation = m_generation;
    auto onBulk = [this, generation](const BulkResult &bulk) {
        if (generation == m_generation && m_running)
            acted(bulk);
    };
    // Cancel between chunks of a large window too.
    auto chunkProgress = [this](qint64, qint64) { return !m_cancelled; };
    // One record for the whole action (recordAudit), not one per window.
    AuditContext audit;
    audit.group = m_groupId;
    audit.selfRecorded = true;
    if (AuditLog *log = m_store->auditLog()) {
        for (qsizetype i = 0; i < members.size() && m_auditIds.size() <= log->idLimit(); ++i)
            m_auditIds.append(members.at(i).id());
    }
    switch (m_action) {
    case Action::RetryNow:
        m_store->retryNowMany(m_list, members, this, onBulk, chunkProgress, audit);
        break;
    case Action::MoveToDlq:
        m_store->moveToDlqMany(members, this, onBulk, chunkProgress, audit);
        break;
    case Action::Remove:
        m_store->removeMany(m_list, members, this, onBulk, chunkProgress, audit);
        break;
    case Action::Export:
        if (!m_device) {
            finish(QueueError::Io, QStringLiteral("The export file was closed."));
            return;
        }
        m_store->exportJsonLines(m_list, QString(), members, m_device, this, onBulk, {}, audit);
        break;
    case Action::Count:
        break;
    }
}

void FailureGroupSelection::acted(const BulkResult &bulk)
{
    m_result.done += bulk.done;
    m_result.missing += bulk.missing;
    if (bulk.code == QueueError::Cancelled) {
        // Members of this window the bulk operation did not reach are still in the list.
        finish(QueueError::Cancelled,
               QStringLiteral("Cancelled after %1 of the group's entries.").arg(m_result.done));
        return;
    }
    if (bulk.code != QueueError::None) {
        finish(bulk.code, bulk.error);
        return;
    }
    next();
}

void FailureGroupSelection::next()
{
    Q_EMIT progress(m_result.scanned, m_length, m_result.matched, m_result.done);
    if (m_atEnd) {
        finish(QueueError::None, QString());
        return;
    }
    if (m_cancelled) {
        finish(QueueError::Cancelled,
               QStringLiteral("Cancelled after %1 of the group's entries.").arg(m_result.done));
        return;
    }
    sendWindow();
}

void FailureGroupSelection::finish(QueueError code, const QString &error)
{
    m_result.code = code;
    m_result.error = error;
    m_result.elapsedMs = m_clock.isValid() ? m_clock.elapsed() : 0;
    ++m_generation; // replies still travelling are for nobody
    m_running = false;
    recordAudit(); // before the answer, as QueueStore's own operations do
    Q_EMIT finished(m_result);
}

void FailureGroupSelection::recordAudit()
{
    AuditLog *log = m_store->auditLog();
    // Count changes nothing; input refused before Redis was asked is not an action.
    if (!log || m_action == Action::Count || m_result.code == QueueError::InvalidInput)
        return;
    if (m_action == Action::Export && m_result.code == QueueError::Io && m_result.scanned == 0)
        return;
    AuditRecord record;
    const bool intoDlq = m_action == Action::MoveToDlq
        || (m_action == Action::RetryNow && m_list == QueueStore::List::PermanentFailures);
    switch (m_action) {
    case Action::RetryNow:
        record.action = AuditAction::Retry;
        break;
    case Action::MoveToDlq:
        record.action = AuditAction::Move;
        break;
    case Action::Remove:
        record.action = AuditAction::Delete;
        break;
    case Action::Export:
    case Action::Count:
        record.action = AuditAction::Export;
        break;
    }
    record.scope = AuditScope::Group;
    record.list = QString::fromUtf8(m_store->key(m_list));
    if (intoDlq)
        record.target = QString::fromUtf8(m_store->keys().dlq);
    record.group = m_groupId;
    record.ids = m_auditIds;
    record.count = m_result.done;
    record.detail = m_auditDetail;
    if (record.detail.isEmpty() && m_action == Action::Export) {
        if (const auto *file = qobject_cast<const QFile *>(m_device.data()))
            record.detail = file->fileName();
    }
    switch (m_result.code) {
    case QueueError::None:
        record.outcome = AuditOutcome::Done;
        break;
    case QueueError::Cancelled:
        record.outcome = AuditOutcome::Cancelled;
        record.reason = m_result.error;
        break;
    default:
        record.outcome = AuditOutcome::Failed;
        record.reason = m_result.error;
        break;
    }
    log->record(std::move(record));
}

void FailureGroupSelection::finishLater(QueueError code, const QString &error)
{
    QMetaObject::invokeMethod(
        this,
        [this, code, error, generation = m_generation] {
            if (generation == m_generation && m_running)
                finish(code, error);
        },
        Qt::QueuedConnection);
}

} // namespace redrive::core
