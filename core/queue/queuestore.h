// SPDX-License-Identifier: MIT
#pragma once

#include "core/audit/auditrecord.h"
#include "core/queue/deadletterentry.h"
#include "core/queue/queuekeys.h"

#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>

#include <functional>
#include <memory>
#include <optional>

class QIODevice;

namespace redrive::core {

class AuditLog;
class RedisConnection;

// Error codes of queue operations; `error` texts are fit to show to a user as they are.
enum class QueueError {
    None,
    Redis, // Redis unreachable or replied with an error
    ChangedMeanwhile, // the element is no longer in the list as it was read (a worker or another
                      // user changed, retried or removed it): the operation was not applied
    InvalidInput, // e.g. an edited payload that is not a JSON object
    Io, // export/import device error
    Cancelled,
};

struct PageResult
{
    qint64 total = 0; // length of the list when the page was read
    qint64 offset = 0; // index of entries.first() (0 = newest, the left end)
    QList<DeadLetterEntry> entries;
    QueueError code = QueueError::None;
    QString error;
};

struct SearchResult
{
    qint64 matches = 0; // all matches in the list (even beyond `limit`)
    qint64 scanned = 0; // elements looked at
    QList<qint64> indexes; // list indexes of the first `limit` matches, ascending
    QList<DeadLetterEntry> entries; // the same matches
    QueueError code = QueueError::None;
    QString error;
};

// One element a scan found: its index when read (0 = newest) and its exact text.
struct ScanMatch
{
    qint64 index = 0;
    QByteArray raw;
};

struct OperationResult
{
    QueueError code = QueueError::None;
    QString error;
    bool ok() const { return code == QueueError::None; }
};

struct BulkResult
{
    int done = 0; // elements acted on
    int missing = 0; // elements no longer there (changed or removed meanwhile): left alone
    QueueError code = QueueError::None;
    QString error;
};

// Queue operations for the console and scripts, over the tutorial's two lists. Every mutation is
// one Lua script that matches elements by their exact raw text, so it is atomic against running
// workers and other consoles; each publishes a QueueEvent (source "console") on keys.channel().
// All calls are asynchronous: the callback runs once, on this object's thread, unless `context`
// is destroyed first.
//
// With an AuditLog set, every manual operation (the mutations, import and export; not page or
// search) records one AuditRecord when it ends: done, failed (Redis, changed meanwhile) or
// cancelled, with the entries asked for (ids), how many were acted on (count) and the caller's
// AuditContext (failure group, filter, detail). The record is given to the log before the
// callback runs, also when `context` was destroyed meanwhile (what was applied is recorded).
// Input refused before Redis is asked (an edit that is not a JSON object) is not recorded.
class QueueStore final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QueueStore)

public:
    enum class List { DeadLetter, PermanentFailures };
    Q_ENUM(List)

    // Called after each chunk of a long operation; return false to stop it (the result then
    // carries QueueError::Cancelled and the counts so far).
    using Progress = std::function<bool(qint64 done, qint64 total)>;
    using PageCallback = std::function<void(const PageResult &)>;
    using SearchCallback = std::function<void(const SearchResult &)>;
    using OperationCallback = std::function<void(const OperationResult &)>;
    using BulkCallback = std::function<void(const BulkResult &)>;

    // `connection` must outlive this object and live on its thread.
    QueueStore(RedisConnection *connection, const QueueKeys &keys, QObject *parent = nullptr);
    ~QueueStore() override;

    const QueueKeys &keys() const { return m_keys; }
    // What the change events say made the change ("console" by default; the CLI says "cli").
    void setEventSource(const QByteArray &source) { m_eventSource = source; }
    // Not owned; nullptr (the default) records nothing. Must live on this object's thread.
    void setAuditLog(AuditLog *log);
    AuditLog *auditLog() const;
    // The connection the store works on (for readers beside it, e.g. core/triage's scans).
    RedisConnection *connection() const { return m_connection; }
    QByteArray key(List list) const;

    // Up to `count` entries starting at `offset` (0 = newest) and the list's length.
    void page(List list, qint64 offset, int count, const QObject *context, PageCallback callback);

    // Elements whose raw text contains `needle` (case-sensitive bytes), scanned server-side in
    // chunks so Redis is never blocked for long. `limit` caps the entries returned (0 = none).
    void search(List list, const QString &needle, qint64 limit, const QObject *context,
                SearchCallback callback);

    // Streams the elements whose raw text contains `filter` (every element when empty), from
    // the newest, in chunks read as search() reads them: nothing holds the whole list. `onChunk`
    // gets each chunk's matches (possibly none) and returns false to stop; `onEnd` runs once,
    // with QueueError::Cancelled after a stop. A walk by position: elements pushed meanwhile
    // shift the rest, so one may be seen twice or not at all (as by search() and exports).
    using ScanChunkCallback = std::function<bool(const QList<ScanMatch> &matches)>;
    using ScanEndCallback = std::function<void(QueueError code, const QString &error)>;
    void scan(List list, const QString &filter, const QObject *context, ScanChunkCallback onChunk,
              ScanEndCallback onEnd);

    // Dead-letter entry: due now (its backoff is dropped). Permanent failure: same as moveToDlq.
    void retryNow(List list, const DeadLetterEntry &entry, const QObject *context,
                  OperationCallback callback, const AuditContext &audit = {});
    // Replaces the entry's payload in place (the entry is then due now when in the DLQ).
    // Refused with ChangedMeanwhile if `original.raw()` is no longer in the list.
    void edit(List list, const DeadLetterEntry &original, const QByteArray &newPayload,
              const QObject *context, OperationCallback callback, const AuditContext &audit = {});
    // From permanent failures back to the DLQ with the attempt count reset, due now.
    void moveToDlq(const DeadLetterEntry &entry, const QObject *context, OperationCallback callback,
                   const AuditContext &audit = {});
    void remove(List list, const DeadLetterEntry &entry, const QObject *context,
                OperationCallback callback, const AuditContext &audit = {});
    // Empties the list; `done` is the number of elements removed.
    void purge(List list, const QObject *context, BulkCallback callback,
               const AuditContext &audit = {});

    // Bulk variants over a selection, or over every element containing `filter`
    // (an empty filter selects everything).
    void retryNowMany(List list, const QList<DeadLetterEntry> &entries, const QObject *context,
                      BulkCallback callback, Progress progress = {},
                      const AuditContext &audit = {});
    void moveToDlqMany(const QList<DeadLetterEntry> &entries, const QObject *context,
                       BulkCallback callback, Progress progress = {},
                       const AuditContext &audit = {});
    void removeMany(List list, const QList<DeadLetterEntry> &entries, const QObject *context,
                    BulkCallback callback, Progress progress = {}, const AuditContext &audit = {});
    void retryNowMatching(List list, const QString &filter, const QObject *context,
                          BulkCallback callback, Progress progress = {},
                          const AuditContext &audit = {});
    void moveToDlqMatching(const QString &filter, const QObject *context, BulkCallback callback,
                           Progress progress = {}, const AuditContext &audit = {});
    void removeMatching(List list, const QString &filter, const QObject *context,
                        BulkCallback callback, Progress progress = {},
                        const AuditContext &audit = {});

    // JSON Lines, newest first, one element per line. A single-line JSON object is written as
    // it is; anything else (multi-line, not JSON, not UTF-8) is wrapped as
    // {"redrive_raw_text": "..."} or {"redrive_raw_base64": "..."} so the round trip is exact.
    // `selection` (if not empty) exports exactly those entries; else `filter` applies.
    // `device` must be open for writing and outlive the operation.
    // Recorded as an export (data left Redis), detail: the file's name unless the context has one.
    void exportJsonLines(List list, const QString &filter, const QList<DeadLetterEntry> &selection,
                         QIODevice *device, const QObject *context, BulkCallback callback,
                         Progress progress = {}, const AuditContext &audit = {});
    // Appends every line of `device` to the list (at the old end, keeping the file's order:
    // exporting then importing into an empty list gives the same list). Empty lines are skipped.
    void importJsonLines(List list, QIODevice *device, const QObject *context,
                         BulkCallback callback, Progress progress = {},
                         const AuditContext &audit = {});

    static QByteArray toJsonLine(const QByteArray &raw);
    static QByteArray fromJsonLine(const QByteArray &line);

private:
    enum class BulkAction { RetryNow, MoveToDlq, Remove };
    struct BulkJob;
    struct ScanJob;

    void evalScript(const QByteArray &script, const QList<QByteArray> &keys,
                    const QList<QByteArray> &args, const QObject *context,
                    std::function<void(const class RedisReply &)> callback);
    void runBulk(List list, BulkAction action, QList<QByteArray> raws, const QObject *context,
                 BulkCallback callback, Progress progress, std::optional<AuditRecord> audit,
                 bool single = false);
    // One entry through the bulk path: "changed meanwhile" when it was no longer there.
    void runSingle(List list, BulkAction action, const DeadLetterEntry &entry,
                   const QObject *context, OperationCallback callback,
                   std::optional<AuditRecord> audit);
    // Answers on the next turn of the event loop, as every other outcome does.
    template<typename Callback, typename Result>
    void answerLater(Callback callback, const Result &result)
    {
        QMetaObject::invokeMethod(
            this, [callback = std::move(callback), result] { callback(result); },
            Qt::QueuedConnection);
    }
    void bulkStep(std::shared_ptr<BulkJob> job);
    // Records the job's audit (once) and answers, unless its context is gone.
    void finishBulk(const std::shared_ptr<BulkJob> &job, bool queued);
    void runMatching(List list, BulkAction action, const QString &filter, const QObject *context,
                     BulkCallback callback, Progress progress, std::optional<AuditRecord> audit);
    // A record for `action` on `list`, with the context copied in; none without an AuditLog.
    std::optional<AuditRecord> startAudit(AuditAction action, AuditScope scope, List list,
                                          const AuditContext &context) const;
    // The record finished with the operation's outcome and handed to the AuditLog.
    void finishAudit(AuditRecord record, QueueError code, const QString &error, qint64 count);
    // Ids of the first AuditLog::idLimit() + 1 elements: one more than the log keeps, so that
    // it cuts the list and marks the record truncated.
    QStringList auditIds(const QList<QByteArray> &raws) const;
    QStringList auditIds(const QList<DeadLetterEntry> &entries) const;
    void scanStep(std::shared_ptr<ScanJob> job);
    void publish(List list, const char *action, qint64 count);

    RedisConnection *m_connection;
    QueueKeys m_keys;
    QByteArray m_eventSource = "console";
    QPointer<AuditLog> m_audit;
};

} // namespace redrive::core
