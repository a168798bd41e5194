// SPDX-License-Identifier: MIT
#include "core/queue/queuestore.h"

#include "core/audit/auditlog.h"
#include "core/queue/queueevent.h"
#include "core/queue/queuescript.h"
#include "core/redis/redisconnection.h"
#include "core/redis/redisreply.h"

#include <QFileDevice>
#include <QIODevice>
#include <QJsonDocument>
#include <QJsonObject>

namespace redrive::core {

namespace {

// Elements looked at per round trip by scans. A script's cost grows faster than the bytes it
// reads once LRANGE hands Lua more than about a megabyte (measured: ~4 us per 1.9 KB element at
// 250-500 elements a call, ~10 us at 2000, ~19 us at 8000), so the chunk is sized from the bytes
// the previous one held: about ScanChunkBytes a call, never holding Redis for long.
constexpr qint64 ScanChunkFirst = 256;
constexpr qint64 ScanChunkMin = 16;
constexpr qint64 ScanChunkMax = 4096;
constexpr qint64 ScanChunkBytes = 512 * 1024;
constexpr int BulkChunk = 200;

// KEYS[1] list. ARGV: start, stop, needle, wantElements.
// Returns {scanned, {index, element...}, bytes scanned}.
// string.find with plain=true: the needle is bytes, not a Lua pattern.
constexpr char ScanScript[] = R"lua(
local els = redis.call('LRANGE', KEYS[1], ARGV[1], ARGV[2])
local start = tonumber(ARGV[1])
local needle = ARGV[3]
local want = ARGV[4] == '1'
local out = {}
local bytes = 0
for i, e in ipairs(els) do
  bytes = bytes + #e
  if needle == '' or string.find(e, needle, 1, true) then
    out[#out + 1] = start + i - 1
    if want then out[#out + 1] = e else out[#out + 1] = '' end
  end
end
return {#els, out, bytes}
)lua";

// KEYS[1] list, KEYS[2] schedule, KEYS[3] DLQ. ARGV[1] action, then pairs (raw, replacement).
// remove: LREM; retry: still there -> drop its backoff; move: LREM from the list, LPUSH the
// replacement (reset entry) to the DLQ. Returns {done, missing}.
constexpr char BulkScript[] = R"lua(
local action = ARGV[1]
local done, missing = 0, 0
for i = 2, #ARGV, 2 do
  local raw = ARGV[i]
  if action == 'remove' then
    if redis.call('LREM', KEYS[1], 1, raw) > 0 then
      redis.call('ZREM', KEYS[2], raw)
      done = done + 1
    else
      missing = missing + 1
    end
  elseif action == 'retry' then
    if redis.call('LPOS', KEYS[1], raw) then
      redis.call('ZREM', KEYS[2], raw)
      done = done + 1
    else
      missing = missing + 1
    end
  else
    if redis.call('LREM', KEYS[1], 1, raw) > 0 then
      redis.call('LPUSH', KEYS[3], ARGV[i + 1])
      done = done + 1
    else
      missing = missing + 1
    end
  end
end
return {done, missing}
)lua";

// KEYS[1] list, KEYS[2] schedule. ARGV: original raw, new raw. 1 = replaced, 0 = gone.
constexpr char EditScript[] = R"lua(
local i = redis.call('LPOS', KEYS[1], ARGV[1])
if not i then return 0 end
redis.call('LSET', KEYS[1], i, ARGV[2])
redis.call('ZREM', KEYS[2], ARGV[1])
return 1
)lua";

// KEYS[1] list, KEYS[2] schedule (only given for the DLQ). Returns the number removed.
constexpr char PurgeScript[] = R"lua(
local n = redis.call('LLEN', KEYS[1])
redis.call('DEL', KEYS[1])
if KEYS[2] then redis.call('DEL', KEYS[2]) end
return n
)lua";

const QString ChangedText = QStringLiteral(
    "The entry changed meanwhile (a worker retried it, or someone edited or removed it). Nothing "
    "was changed: reload it and try again.");

QString redisError(const RedisReply &reply)
{
    return QStringLiteral("Redis: %1").arg(reply.errorText());
}

bool isValidUtf8(const QByteArray &bytes)
{
    // Invalid sequences decode to U+FFFD, so they do not survive the round trip.
    return QString::fromUtf8(bytes).toUtf8() == bytes;
}

} // namespace

struct QueueStore::BulkJob
{
    List list;
    BulkAction action;
    QList<QByteArray> raws;
    qsizetype next = 0;
    BulkResult result;
    QPointer<const QObject> context;
    bool hasContext = false;
    BulkCallback callback;
    Progress progress;
    std::optional<AuditRecord> audit;
    bool single = false; // one entry: "changed meanwhile" when it was not there
    bool finished = false;
    qsizetype abandonedOf = 0; // the selection's size when its context went away midway
};

// A chunked walk over a list from the newest element; `onChunk` gets each chunk's matches.
struct QueueStore::ScanJob
{
    QByteArray key;
    QByteArray needle;
    bool wantElements = true;
    qint64 position = 0;
    qint64 chunk = ScanChunkFirst;
    qint64 total = 0;
    QPointer<const QObject> context;
    bool hasContext = false;
    // Returns false to stop.
    std::function<bool(const QList<QPair<qint64, QByteArray>> &matches, qint64 scanned)> onChunk;
    std::function<void(QueueError code, const QString &error)> onEnd;
};

QueueStore::QueueStore(RedisConnection *connection, const QueueKeys &keys, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_keys(keys)
{ }

QueueStore::~QueueStore() = default;

void QueueStore::setAuditLog(AuditLog *log)
{
    m_audit = log;
}

AuditLog *QueueStore::auditLog() const
{
    return m_audit;
}

std::optional<AuditRecord> QueueStore::startAudit(AuditAction action, AuditScope scope, List list,
                                                  const AuditContext &context) const
{
    if (!m_audit || context.selfRecorded)
        return std::nullopt;
    AuditRecord record;
    record.action = action;
    record.scope = context.group.isEmpty() ? scope : AuditScope::Group;
    record.list = QString::fromUtf8(key(list));
    // Out of permanent failures means into the DLQ, whatever the caller called it.
    if (action == AuditAction::Move
        || (action == AuditAction::Retry && list == List::PermanentFailures))
        record.target = QString::fromUtf8(m_keys.dlq);
    record.group = context.group;
    record.filter = context.filter;
    record.detail = context.detail;
    return record;
}

void QueueStore::finishAudit(AuditRecord record, QueueError code, const QString &error,
                             qint64 count)
{
    if (!m_audit)
        return;
    record.count = count;
    switch (code) {
    case QueueError::None:
        record.outcome = AuditOutcome::Done;
        break;
    case QueueError::Cancelled:
        record.outcome = AuditOutcome::Cancelled;
        record.reason = error;
        break;
    default:
        record.outcome = AuditOutcome::Failed;
        record.reason = error;
        break;
    }
    m_audit->record(std::move(record));
}

QStringList QueueStore::auditIds(const QList<QByteArray> &raws) const
{
    QStringList ids;
    const qsizetype n = m_audit ? qMin<qsizetype>(raws.size(), m_audit->idLimit() + 1) : 0;
    for (qsizetype i = 0; i < n; ++i)
        ids.append(DeadLetterEntry::parse(raws.at(i)).id());
    return ids;
}

QStringList QueueStore::auditIds(const QList<DeadLetterEntry> &entries) const
{
    QStringList ids;
    const qsizetype n = m_audit ? qMin<qsizetype>(entries.size(), m_audit->idLimit() + 1) : 0;
    for (qsizetype i = 0; i < n; ++i)
        ids.append(entries.at(i).id());
    return ids;
}

QByteArray QueueStore::key(List list) const
{
    return list == List::DeadLetter ? m_keys.dlq : m_keys.permanent;
}

void QueueStore::evalScript(const QByteArray &script, const QList<QByteArray> &keys,
                            const QList<QByteArray> &args, const QObject *context,
                            std::function<void(const RedisReply &)> callback)
{
    redrive::core::evalScript(m_connection, script, keys, args, context, std::move(callback));
}

void QueueStore::publish(List list, const char *action, qint64 count)
{
    QueueEvent event;
    event.event = action;
    event.source = m_eventSource;
    event.list = list;
    event.count = count;
    event.publish(m_connection, m_keys);
}

void QueueStore::page(List list, qint64 offset, int count, const QObject *context,
                      PageCallback callback)
{
    offset = qMax<qint64>(0, offset);
    count = qMax(0, count);
    // One script so the window and the total belong to the same moment.
    static constexpr char script[] = R"lua(
return {redis.call('LLEN', KEYS[1]), redis.call('LRANGE', KEYS[1], ARGV[1], ARGV[2])}
)lua";
    evalScript(script, { key(list) },
               { QByteArray::number(offset), QByteArray::number(offset + count - 1) }, context,
               [offset, count, callback = std::move(callback)](const RedisReply &reply) {
                   PageResult result;
                   result.offset = offset;
                   if (reply.isError() || reply.elements().size() != 2) {
                       result.code = QueueError::Redis;
                       result.error = reply.isError()
                           ? redisError(reply)
                           : QStringLiteral("Redis: unexpected reply to a page request");
                       callback(result);
                       return;
                   }
                   result.total = reply.elements().at(0).toInteger();
                   if (count > 0) {
                       for (const RedisReply &element : reply.elements().at(1).elements())
                           result.entries.append(DeadLetterEntry::parse(element.bytes()));
                   }
                   callback(result);
               });
}

void QueueStore::scanStep(std::shared_ptr<ScanJob> job)
{
    if (job->hasContext && !job->context)
        return;
    const qint64 start = job->position;
    const qint64 chunk = job->chunk;
    evalScript(ScanScript, { job->key },
               { QByteArray::number(start), QByteArray::number(start + chunk - 1), job->needle,
                 job->wantElements ? QByteArrayLiteral("1") : QByteArrayLiteral("0") },
               this, [this, job, chunk](const RedisReply &reply) {
                   if (job->hasContext && !job->context)
                       return;
                   if (reply.isError() || reply.elements().size() != 3) {
                       job->onEnd(QueueError::Redis,
                                  reply.isError() ? redisError(reply)
                                                  : QStringLiteral("Redis: unexpected reply"));
                       return;
                   }
                   const qint64 scanned = reply.elements().at(0).toInteger();
                   QList<QPair<qint64, QByteArray>> matches;
                   const auto &flat = reply.elements().at(1).elements();
                   for (qsizetype i = 0; i + 1 < flat.size(); i += 2)
                       matches.append({ flat.at(i).toInteger(), flat.at(i + 1).bytes() });
                   job->position += scanned;
                   const qint64 bytes = reply.elements().at(2).toInteger();
                   if (scanned > 0) {
                       const qint64 perElement = qMax<qint64>(1, bytes / scanned);
                       job->chunk = qBound(ScanChunkMin, ScanChunkBytes / perElement, ScanChunkMax);
                   }
                   if (!job->onChunk(matches, scanned)) {
                       job->onEnd(QueueError::Cancelled, QStringLiteral("Cancelled."));
                       return;
                   }
                   if (scanned < chunk) {
                       job->onEnd(QueueError::None, QString());
                       return;
                   }
                   scanStep(job);
               });
}

void QueueStore::search(List list, const QString &needle, qint64 limit, const QObject *context,
                        SearchCallback callback)
{
    auto job = std::make_shared<ScanJob>();
    auto result = std::make_shared<SearchResult>();
    job->key = key(list);
    job->needle = needle.toUtf8();
    job->context = context;
    job->hasContext = context != nullptr;
    job->onChunk
        = [result, limit](const QList<QPair<qint64, QByteArray>> &matches, qint64 scanned) {
              result->scanned += scanned;
              for (const auto &[index, raw] : matches) {
                  ++result->matches;
                  if (result->indexes.size() < limit) {
                      result->indexes.append(index);
                      result->entries.append(DeadLetterEntry::parse(raw));
                  }
              }
              return true;
          };
    job->onEnd = [result, callback = std::move(callback)](QueueError code, const QString &error) {
        result->code = code;
        result->error = error;
        callback(*result);
    };
    // Elements are only sent back while they may still be needed.
    job->wantElements = limit > 0;
    if (limit > 0) {
        auto inner = job->onChunk;
        auto *raw = job.get();
        job->onChunk = [inner, raw, result, limit](const QList<QPair<qint64, QByteArray>> &m,
                                                   qint64 scanned) {
            const bool ok = inner(m, scanned);
            raw->wantElements = result->indexes.size() < limit;
            return ok;
        };
    }
    scanStep(job);
}

void QueueStore::scan(List list, const QString &filter, const QObject *context,
                      ScanChunkCallback onChunk, ScanEndCallback onEnd)
{
    auto job = std::make_shared<ScanJob>();
    job->key = key(list);
    job->needle = filter.toUtf8();
    job->context = context;
    job->hasContext = context != nullptr;
    job->onChunk = [onChunk = std::move(onChunk)](const QList<QPair<qint64, QByteArray>> &found,
                                                  qint64) {
        QList<ScanMatch> matches;
        matches.reserve(found.size());
        for (const auto &[index, raw] : found)
            matches.append(ScanMatch { index, raw });
        return onChunk(matches);
    };
    job->onEnd = std::move(onEnd);
    scanStep(job);
}

void QueueStore::retryNow(List list, const DeadLetterEntry &entry, const QObject *context,
                          OperationCallback callback, const AuditContext &audit)
{
    // From permanent failures a retry is a move back to the DLQ (recorded as the retry it was).
    runSingle(list, list == List::PermanentFailures ? BulkAction::MoveToDlq : BulkAction::RetryNow,
              entry, context, std::move(callback),
              startAudit(AuditAction::Retry, AuditScope::Entry, list, audit));
}

void QueueStore::edit(List list, const DeadLetterEntry &original, const QByteArray &newPayload,
                      const QObject *context, OperationCallback callback, const AuditContext &audit)
{
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(newPayload, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        OperationResult result;
        result.code = QueueError::InvalidInput;
        result.error = parseError.error != QJsonParseError::NoError
            ? QStringLiteral("The payload is not valid JSON: %1 (at character %2).")
                  .arg(parseError.errorString())
                  .arg(parseError.offset)
            : QStringLiteral("The payload must be a JSON object.");
        answerLater(std::move(callback), result);
        return;
    }
    if (!original.isJsonObject()) {
        OperationResult result;
        result.code = QueueError::InvalidInput;
        result.error = QStringLiteral("This element is not a JSON entry; it can only be deleted "
                                      "or exported.");
        answerLater(std::move(callback), result);
        return;
    }
    const QByteArray replacement = original.withPayload(newPayload).raw();
    std::optional<AuditRecord> record
        = startAudit(AuditAction::Edit, AuditScope::Entry, list, audit);
    if (record) {
        record->ids = { original.id() };
        record->before = QString::fromUtf8(original.payload());
        record->after = QString::fromUtf8(newPayload);
    }
    // Answered on `this`, so that an edit applied after `context` went away is still recorded.
    evalScript(EditScript, { key(list), m_keys.schedule() }, { original.raw(), replacement }, this,
               [this, list, guard = QPointer<const QObject>(context),
                hasContext = context != nullptr, record = std::move(record),
                callback = std::move(callback)](const RedisReply &reply) mutable {
                   OperationResult result;
                   if (reply.isError()) {
                       result.code = QueueError::Redis;
                       result.error = redisError(reply);
                   } else if (reply.toInteger() == 0) {
                       result.code = QueueError::ChangedMeanwhile;
                       result.error = ChangedText;
                   } else {
                       publish(list, "edit", 1);
                   }
                   if (record)
                       finishAudit(std::move(*record), result.code, result.error,
                                   result.ok() ? 1 : 0);
                   if (!hasContext || guard)
                       callback(result);
               });
}

void QueueStore::moveToDlq(const DeadLetterEntry &entry, const QObject *context,
                           OperationCallback callback, const AuditContext &audit)
{
    runSingle(List::PermanentFailures, BulkAction::MoveToDlq, entry, context, std::move(callback),
              startAudit(AuditAction::Move, AuditScope::Entry, List::PermanentFailures, audit));
}

void QueueStore::remove(List list, const DeadLetterEntry &entry, const QObject *context,
                        OperationCallback callback, const AuditContext &audit)
{
    runSingle(list, BulkAction::Remove, entry, context, std::move(callback),
              startAudit(AuditAction::Delete, AuditScope::Entry, list, audit));
}

void QueueStore::runSingle(List list, BulkAction action, const DeadLetterEntry &entry,
                           const QObject *context, OperationCallback callback,
                           std::optional<AuditRecord> audit)
{
    if (audit)
        audit->ids = { entry.id() };
    runBulk(
        list, action, { entry.raw() }, context,
        [callback = std::move(callback)](const BulkResult &bulk) {
            OperationResult result;
            result.code = bulk.code;
            result.error = bulk.error;
            if (result.ok() && bulk.done == 0) {
                result.code = QueueError::ChangedMeanwhile;
                result.error = ChangedText;
            }
            callback(result);
        },
        {}, std::move(audit), true);
}

void QueueStore::purge(List list, const QObject *context, BulkCallback callback,
                       const AuditContext &audit)
{
    QList<QByteArray> keys { key(list) };
    if (list == List::DeadLetter)
        keys.append(m_keys.schedule());
    evalScript(PurgeScript, keys, {}, this,
               [this, list, guard = QPointer<const QObject>(context),
                hasContext = context != nullptr,
                record = startAudit(AuditAction::Purge, AuditScope::List, list, audit),
                callback = std::move(callback)](const RedisReply &reply) mutable {
                   BulkResult result;
                   if (reply.isError()) {
                       result.code = QueueError::Redis;
                       result.error = redisError(reply);
                   } else {
                       result.done = int(reply.toInteger());
                       publish(list, "purge", result.done);
                   }
                   if (record)
                       finishAudit(std::move(*record), result.code, result.error, result.done);
                   if (!hasContext || guard)
                       callback(result);
               });
}

void QueueStore::runBulk(List list, BulkAction action, QList<QByteArray> raws,
                         const QObject *context, BulkCallback callback, Progress progress,
                         std::optional<AuditRecord> audit, bool single)
{
    auto job = std::make_shared<BulkJob>();
    job->list = list;
    job->action = action;
    job->raws = std::move(raws);
    job->context = context;
    job->hasContext = context != nullptr;
    job->callback = std::move(callback);
    job->progress = std::move(progress);
    job->audit = std::move(audit);
    job->single = single;
    bulkStep(job);
}

void QueueStore::finishBulk(const std::shared_ptr<BulkJob> &job, bool queued)
{
    if (job->finished)
        return;
    job->finished = true;
    // Abandoned before anything was asked of Redis: there is no action to record.
    if (job->abandonedOf > 0 && job->next == 0)
        job->audit.reset();
    if (job->audit) {
        AuditRecord record = std::move(*job->audit);
        job->audit.reset();
        QueueError code = job->result.code;
        QString error = job->result.error;
        if (code == QueueError::None && job->single && job->result.done == 0) {
            code = QueueError::ChangedMeanwhile;
            error = ChangedText;
        } else if (job->abandonedOf > 0 && code == QueueError::None) {
            code = QueueError::Cancelled;
            error = QStringLiteral("Stopped after %1 of %2 entries: whoever asked for it went "
                                   "away.")
                        .arg(job->next)
                        .arg(job->abandonedOf);
        }
        if (!job->single && job->result.missing > 0) {
            const QString missing
                = QStringLiteral("%1 no longer there (changed or removed meanwhile)")
                      .arg(job->result.missing);
            record.detail = record.detail.isEmpty()
                ? missing
                : record.detail + QStringLiteral("; ") + missing;
        }
        finishAudit(std::move(record), code, error, job->result.done);
    }
    auto answer = [job] {
        if (!job->hasContext || job->context)
            job->callback(job->result);
    };
    if (queued)
        QMetaObject::invokeMethod(this, answer, Qt::QueuedConnection);
    else
        answer();
}

void QueueStore::bulkStep(std::shared_ptr<BulkJob> job)
{
    if (job->hasContext && !job->context && job->next < job->raws.size()) {
        // Nothing more is done; what was is published and recorded.
        job->abandonedOf = job->raws.size();
        job->raws.resize(job->next);
    }
    if (job->next >= job->raws.size()) {
        if (job->result.done > 0) {
            const char *name = job->action == BulkAction::Remove ? "remove"
                : job->action == BulkAction::RetryNow            ? "retry"
                                                                 : "move";
            publish(job->list, name, job->result.done);
            if (job->action == BulkAction::MoveToDlq)
                publish(List::DeadLetter, name, job->result.done);
        }
        // Asynchronous even for an empty selection: callers may rely on "never from inside".
        finishBulk(job, true);
        return;
    }
    QList<QByteArray> args { job->action == BulkAction::Remove ? QByteArrayLiteral("remove")
                                 : job->action == BulkAction::RetryNow
                                 ? QByteArrayLiteral("retry")
                                 : QByteArrayLiteral("move") };
    const qsizetype end = qMin(job->raws.size(), job->next + BulkChunk);
    for (qsizetype i = job->next; i < end; ++i) {
        const QByteArray &raw = job->raws.at(i);
        args.append(raw);
        if (job->action == BulkAction::MoveToDlq) {
            const DeadLetterEntry entry = DeadLetterEntry::parse(raw);
            // A non-JSON element goes back unchanged: the worker sets it aside again, with why.
            args.append(entry.isJsonObject() ? entry.resetForRetry().raw() : raw);
        } else {
            args.append(QByteArray());
        }
    }
    job->next = end;
    evalScript(BulkScript, { key(job->list), m_keys.schedule(), m_keys.dlq }, args, this,
               [this, job](const RedisReply &reply) {
                   if (reply.isError() || reply.elements().size() != 2) {
                       job->result.code = QueueError::Redis;
                       job->result.error = reply.isError()
                           ? redisError(reply)
                           : QStringLiteral("Redis: unexpected reply");
                       job->next = job->raws.size();
                       finishBulk(job, false);
                       return;
                   }
                   job->result.done += int(reply.elements().at(0).toInteger());
                   job->result.missing += int(reply.elements().at(1).toInteger());
                   if (job->progress && (!job->hasContext || job->context)
                       && job->next < job->raws.size()
                       && !job->progress(job->next, job->raws.size())) {
                       job->result.code = QueueError::Cancelled;
                       job->result.error = QStringLiteral("Cancelled after %1 of %2 entries.")
                                               .arg(job->next)
                                               .arg(job->raws.size());
                       job->raws.resize(job->next);
                   }
                   bulkStep(job);
               });
}

void QueueStore::runMatching(List list, BulkAction action, const QString &filter,
                             const QObject *context, BulkCallback callback, Progress progress,
                             std::optional<AuditRecord> audit)
{
    if (audit) {
        audit->filter = filter;
        if (audit->scope != AuditScope::Group)
            audit->scope = filter.isEmpty() ? AuditScope::List : AuditScope::Filter;
    }
    // Matches are collected first, then acted on by exact value: an element that changed in
    // between counts as missing instead of being acted on in its new form.
    auto job = std::make_shared<ScanJob>();
    auto raws = std::make_shared<QList<QByteArray>>();
    job->key = key(list);
    job->needle = filter.toUtf8();
    job->context = context;
    job->hasContext = context != nullptr;
    job->onChunk = [raws](const QList<QPair<qint64, QByteArray>> &matches, qint64) {
        for (const auto &match : matches)
            raws->append(match.second);
        return true;
    };
    job->onEnd = [this, list, action, raws, context, hasContext = context != nullptr,
                  guard = QPointer<const QObject>(context), callback = std::move(callback),
                  progress = std::move(progress),
                  audit = std::move(audit)](QueueError code, const QString &error) mutable {
        if (code != QueueError::None) {
            if (audit)
                finishAudit(std::move(*audit), code, error, 0);
            BulkResult result;
            result.code = code;
            result.error = error;
            callback(result);
            return;
        }
        if (hasContext && !guard)
            return; // nothing was changed yet
        if (audit)
            audit->ids = auditIds(*raws);
        runBulk(list, action, *raws, context, callback, progress, std::move(audit));
    };
    scanStep(job);
}

namespace {

QList<QByteArray> rawsOf(const QList<DeadLetterEntry> &entries)
{
    QList<QByteArray> raws;
    raws.reserve(entries.size());
    for (const DeadLetterEntry &entry : entries)
        raws.append(entry.raw());
    return raws;
}

} // namespace

void QueueStore::retryNowMany(List list, const QList<DeadLetterEntry> &entries,
                              const QObject *context, BulkCallback callback, Progress progress,
                              const AuditContext &audit)
{
    std::optional<AuditRecord> record
        = startAudit(AuditAction::Retry, AuditScope::Selection, list, audit);
    if (record)
        record->ids = auditIds(entries);
    runBulk(list, list == List::DeadLetter ? BulkAction::RetryNow : BulkAction::MoveToDlq,
            rawsOf(entries), context, std::move(callback), std::move(progress), std::move(record));
}

void QueueStore::moveToDlqMany(const QList<DeadLetterEntry> &entries, const QObject *context,
                               BulkCallback callback, Progress progress, const AuditContext &audit)
{
    std::optional<AuditRecord> record
        = startAudit(AuditAction::Move, AuditScope::Selection, List::PermanentFailures, audit);
    if (record)
        record->ids = auditIds(entries);
    runBulk(List::PermanentFailures, BulkAction::MoveToDlq, rawsOf(entries), context,
            std::move(callback), std::move(progress), std::move(record));
}

void QueueStore::removeMany(List list, const QList<DeadLetterEntry> &entries,
                            const QObject *context, BulkCallback callback, Progress progress,
                            const AuditContext &audit)
{
    std::optional<AuditRecord> record
        = startAudit(AuditAction::Delete, AuditScope::Selection, list, audit);
    if (record)
        record->ids = auditIds(entries);
    runBulk(list, BulkAction::Remove, rawsOf(entries), context, std::move(callback),
            std::move(progress), std::move(record));
}

void QueueStore::retryNowMatching(List list, const QString &filter, const QObject *context,
                                  BulkCallback callback, Progress progress,
                                  const AuditContext &audit)
{
    runMatching(list, list == List::DeadLetter ? BulkAction::RetryNow : BulkAction::MoveToDlq,
                filter, context, std::move(callback), std::move(progress),
                startAudit(AuditAction::Retry, AuditScope::Filter, list, audit));
}

void QueueStore::moveToDlqMatching(const QString &filter, const QObject *context,
                                   BulkCallback callback, Progress progress,
                                   const AuditContext &audit)
{
    runMatching(List::PermanentFailures, BulkAction::MoveToDlq, filter, context,
                std::move(callback), std::move(progress),
                startAudit(AuditAction::Move, AuditScope::Filter, List::PermanentFailures, audit));
}

void QueueStore::removeMatching(List list, const QString &filter, const QObject *context,
                                BulkCallback callback, Progress progress, const AuditContext &audit)
{
    runMatching(list, BulkAction::Remove, filter, context, std::move(callback), std::move(progress),
                startAudit(AuditAction::Delete, AuditScope::Filter, list, audit));
}

QByteArray QueueStore::toJsonLine(const QByteArray &raw)
{
    const bool singleLine = !raw.contains('\n') && !raw.contains('\r');
    if (singleLine && !raw.startsWith("{\"redrive_raw_")) {
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(raw, &error);
        if (error.error == QJsonParseError::NoError && document.isObject())
            return raw;
    }
    QJsonObject wrapper;
    if (isValidUtf8(raw))
        wrapper.insert(QStringLiteral("redrive_raw_text"), QString::fromUtf8(raw));
    else
        wrapper.insert(QStringLiteral("redrive_raw_base64"), QString::fromLatin1(raw.toBase64()));
    return QJsonDocument(wrapper).toJson(QJsonDocument::Compact);
}

QByteArray QueueStore::fromJsonLine(const QByteArray &line)
{
    if (line.startsWith("{\"redrive_raw_")) {
        const QJsonObject object = QJsonDocument::fromJson(line).object();
        if (object.size() == 1) {
            if (object.contains(QStringLiteral("redrive_raw_text")))
                return object.value(QStringLiteral("redrive_raw_text")).toString().toUtf8();
            if (object.contains(QStringLiteral("redrive_raw_base64")))
                return QByteArray::fromBase64(
                    object.value(QStringLiteral("redrive_raw_base64")).toString().toLatin1());
        }
    }
    return line;
}

void QueueStore::exportJsonLines(List list, const QString &filter,
                                 const QList<DeadLetterEntry> &selection, QIODevice *device,
                                 const QObject *context, BulkCallback callback, Progress progress,
                                 const AuditContext &audit)
{
    std::optional<AuditRecord> record = startAudit(AuditAction::Export,
                                                   !selection.isEmpty()   ? AuditScope::Selection
                                                       : filter.isEmpty() ? AuditScope::List
                                                                          : AuditScope::Filter,
                                                   list, audit);
    if (record) {
        if (selection.isEmpty())
            record->filter = filter;
        if (record->detail.isEmpty())
            if (const auto *file = qobject_cast<const QFileDevice *>(device))
                record->detail = file->fileName();
    }
    if (!selection.isEmpty()) {
        BulkResult result;
        for (const DeadLetterEntry &entry : selection) {
            if (device->write(toJsonLine(entry.raw()) + '\n') < 0) {
                result.code = QueueError::Io;
                result.error
                    = QStringLiteral("Could not write the export: %1").arg(device->errorString());
                break;
            }
            ++result.done;
        }
        if (record) {
            record->ids = auditIds(selection.mid(0, result.done));
            finishAudit(std::move(*record), result.code, result.error, result.done);
        }
        answerLater(std::move(callback), result);
        return;
    }
    auto job = std::make_shared<ScanJob>();
    auto result = std::make_shared<BulkResult>();
    auto audited = std::make_shared<std::optional<AuditRecord>>(std::move(record));
    // One more than the log keeps, so that it says the list was cut.
    const int idLimit = m_audit ? m_audit->idLimit() + 1 : 0;
    QPointer<QIODevice> target(device);
    job->key = key(list);
    job->needle = filter.toUtf8();
    job->context = context;
    job->hasContext = context != nullptr;
    job->onChunk
        = [result, target, audited, idLimit, job = job.get(), progress = std::move(progress)](
              const QList<QPair<qint64, QByteArray>> &matches, qint64) {
              if (!target) {
                  result->code = QueueError::Io;
                  result->error = QStringLiteral("The export file was closed.");
                  return false;
              }
              QByteArray chunk;
              for (const auto &match : matches)
                  chunk += toJsonLine(match.second) + '\n';
              if (target->write(chunk) != chunk.size()) {
                  result->code = QueueError::Io;
                  result->error
                      = QStringLiteral("Could not write the export: %1").arg(target->errorString());
                  return false;
              }
              result->done += int(matches.size());
              if (*audited)
                  for (qsizetype i = 0; i < matches.size() && (*audited)->ids.size() < idLimit; ++i)
                      (*audited)->ids.append(DeadLetterEntry::parse(matches.at(i).second).id());
              return !progress || progress(job->position, -1);
          };
    job->onEnd = [this, result, audited, callback = std::move(callback)](QueueError code,
                                                                         const QString &error) {
        if (result->code == QueueError::None) {
            result->code = code;
            result->error = error;
        }
        if (*audited) {
            finishAudit(std::move(**audited), result->code, result->error, result->done);
            audited->reset();
        }
        callback(*result);
    };
    scanStep(job);
}

void QueueStore::importJsonLines(List list, QIODevice *device, const QObject *context,
                                 BulkCallback callback, Progress progress,
                                 const AuditContext &audit)
{
    std::optional<AuditRecord> record
        = startAudit(AuditAction::Import, AuditScope::List, list, audit);
    if (record && record->detail.isEmpty())
        if (const auto *file = qobject_cast<const QFileDevice *>(device))
            record->detail = file->fileName();
    QList<QByteArray> elements;
    while (!device->atEnd()) {
        QByteArray line = device->readLine();
        if (line.endsWith('\n'))
            line.chop(1);
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.isEmpty())
            continue;
        elements.append(fromJsonLine(line));
    }
    if (record)
        record->ids = auditIds(elements);
    auto audited = std::make_shared<std::optional<AuditRecord>>(std::move(record));
    auto result = std::make_shared<BulkResult>();
    auto remaining = std::make_shared<QList<QByteArray>>(std::move(elements));
    const qint64 total = remaining->size();
    auto step = std::make_shared<std::function<void()>>();
    QPointer<const QObject> guard(context);
    const bool hasContext = context != nullptr;
    *step = [this, list, result, remaining, total, step, guard, hasContext, audited,
             callback = std::move(callback), progress = std::move(progress)] {
        const bool gone = hasContext && !guard;
        if (gone && result->done == 0) {
            *step = nullptr;
            return;
        }
        if (remaining->isEmpty() || gone) {
            if (result->done > 0)
                publish(list, "import", result->done);
            if (*audited) {
                if (gone && !remaining->isEmpty() && result->code == QueueError::None) {
                    result->code = QueueError::Cancelled;
                    result->error = QStringLiteral("Stopped after %1 of %2 entries: whoever "
                                                   "asked for it went away.")
                                        .arg(result->done)
                                        .arg(total);
                }
                finishAudit(std::move(**audited), result->code, result->error, result->done);
                audited->reset();
            }
            if (!gone)
                callback(*result);
            *step = nullptr; // breaks the self-reference
            return;
        }
        QList<QByteArray> command { QByteArrayLiteral("RPUSH"), key(list) };
        const qsizetype n = qMin<qsizetype>(remaining->size(), BulkChunk);
        command += remaining->mid(0, n);
        remaining->remove(0, n);
        m_connection->command(command, this, [=](const RedisReply &reply) {
            if (reply.isError()) {
                result->code = QueueError::Redis;
                result->error = redisError(reply);
                remaining->clear();
            } else {
                result->done += int(n);
                if (progress && !remaining->isEmpty() && !progress(result->done, total)) {
                    result->code = QueueError::Cancelled;
                    result->error = QStringLiteral("Cancelled after %1 of %2 entries.")
                                        .arg(result->done)
                                        .arg(total);
                    remaining->clear();
                }
            }
            if (*step)
                (*step)();
        });
    };
    // Asynchronous even for an empty file: callers may rely on "never from inside".
    QMetaObject::invokeMethod(
        this, [step] { (*step)(); }, Qt::QueuedConnection);
}

} // namespace redrive::core
