// SPDX-License-Identifier: MIT
#pragma once

#include "core/queue/queuestore.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QHash>
#include <QMetaType>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>

class QIODevice;

namespace redrive::core {

class RedisConnection;

// What FailureGroupSelection did (or, for Count, found).
struct FailureGroupSelectionResult
{
    qint64 scanned = 0; // list elements looked at
    qint64 matched = 0; // of them in the group
    qint64 done = 0; // acted on (retried, moved, removed, exported)
    qint64 missing = 0; // in the group but gone before the action reached them: left alone
    // The list moved under the scan more than it could follow (see FailureGroupScan): some
    // members may have been missed. Running the action again takes what is left.
    bool approximate = false;
    qint64 elapsedMs = 0;
    // Count with setPage(): the members from the page's offset on (in list order, newest
    // first), at most its limit.
    QList<QByteArray> page;
    QueueError code = QueueError::None;
    QString error;
    bool ok() const { return code == QueueError::None; }
};

// Acts on the members of one failure group of a list (FailureFingerprint::groupId()) without
// holding the list: reads it in windows from the new end to the old one (LRANGE, sized like
// FailureGroupScan's), picks the window's members and hands them to QueueStore's bulk
// operations before reading on. So each member is acted on by its exact text, atomically
// (a member that a worker or another console changed or removed meanwhile counts as missing),
// and Redis is never busy with this for longer than one window or one bulk chunk.
//
// Windows find their place again by value, as FailureGroupScan does: the last element the
// selection kept (did not remove) is looked for near where it should be, so that entries
// pushed at the new end meanwhile, and the members this selection removed, shift nothing.
class FailureGroupSelection final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FailureGroupSelection)

public:
    enum class Action {
        Count, // only counts the members (the preview before a destructive action)
        RetryNow, // DLQ: due now; permanent failures: back to the DLQ (as QueueStore::retryNowMany)
        MoveToDlq, // permanent failures only: back to the DLQ, attempts reset
        Remove,
        Export, // JSON Lines to the device given to setExportDevice, newest first
    };
    Q_ENUM(Action)

    // `store` and `connection` (the store's, or another to the same Redis) must outlive this
    // object and live on its thread.
    FailureGroupSelection(QueueStore *store, RedisConnection *connection, QueueStore::List list,
                          const QString &groupId, QObject *parent = nullptr);
    ~FailureGroupSelection() override;

    QueueStore::List list() const { return m_list; }
    const QString &groupId() const { return m_groupId; }

    // For Action::Export: open for writing; must outlive the run.
    void setExportDevice(QIODevice *device) { m_device = device; }
    // With the store's AuditLog set, each action (not Count) is recorded once when it ends, as
    // a group action (scope "group", the group id, the ids of the first members acted on, the
    // count, done / failed / cancelled) — not as the bulk calls it is made of. `detail` is
    // copied into the record (default for Export: the file's name when the device is a QFile).
    void setAuditDetail(const QString &detail) { m_auditDetail = detail; }
    // For Action::Count: keep the raw text of members number offset .. offset+limit-1 (0 = the
    // newest member) in the result's `page`, to show a group's members a page at a time.
    void setPage(qint64 offset, qint64 limit)
    {
        m_pageOffset = qMax<qint64>(0, offset);
        m_pageLimit = qMax<qint64>(0, limit);
    }
    // Bytes a window aims at (default 512 KiB); 16 to 4,096 elements a window.
    void setWindowBytes(qint64 bytes) { m_windowBytes = qMax<qint64>(1024, bytes); }

    // Starts; refused (finished() with InvalidInput) while running, for MoveToDlq on the DLQ
    // and for Export without a device. finished() comes once per start(), never from inside it.
    void start(Action action);
    // Stops after the window or chunk in flight: finished() then carries QueueError::Cancelled
    // and what was done so far (what was done stays done).
    void cancel();
    bool isRunning() const { return m_running; }
    Action action() const { return m_action; }

    // Whether one list element belongs to `groupId`.
    static bool belongsTo(QByteArrayView raw, const QString &groupId);

Q_SIGNALS:
    // After each window: elements looked at, the list's length, members found, acted on.
    void progress(qint64 scanned, qint64 length, qint64 matched, qint64 done);
    void finished(const redrive::core::FailureGroupSelectionResult &result);

private:
    bool removesMembers() const;
    bool matches(QByteArrayView raw);
    void sendWindow();
    void windowReplied(qint64 start, qint64 count, const RedisReply &length,
                       const RedisReply &range);
    void acted(const BulkResult &bulk);
    void next();
    void finish(QueueError code, const QString &error);
    void finishLater(QueueError code, const QString &error);
    void recordAudit();

    QueueStore *m_store;
    RedisConnection *m_connection;
    QueueStore::List m_list;
    QString m_groupId;
    QPointer<QIODevice> m_device;
    qint64 m_windowBytes = 512 * 1024;
    QString m_auditDetail;
    QStringList m_auditIds; // of the members acted on, up to the log's limit + 1
    qint64 m_pageOffset = 0;
    qint64 m_pageLimit = 0;

    Action m_action = Action::Count;
    bool m_running = false;
    bool m_cancelled = false;
    bool m_atEnd = false;
    quint64 m_generation = 0;
    FailureGroupSelectionResult m_result;
    QElapsedTimer m_clock;
    qint64 m_length = 0;
    qint64 m_windowCount = 16;
    QByteArray m_anchor; // the last element looked at that is still in the list
    qint64 m_anchorIndex = -1; // where it should be now; -1 before there is one
    QHash<QString, bool> m_memberKeys; // fingerprint key -> in the group
};

} // namespace redrive::core

Q_DECLARE_METATYPE(redrive::core::FailureGroupSelectionResult)
