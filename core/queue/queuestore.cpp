// SPDX-License-Identifier: MIT
#include "core/queue/queuestore.h"

#include "core/queue/queueevent.h"
#include "core/queue/queuescript.h"
#include "core/redis/redisconnection.h"
#include "core/redis/redisreply.h"

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
    event.source = "console";
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
                          OperationCallback callback)
{
    if (list == List::PermanentFailures) {
        moveToDlq(entry, context, std::move(callback));
        return;
    }
    runSingle(list, BulkAction::RetryNow, entry, context, std::move(callback));
}

void QueueStore::edit(List list, const DeadLetterEntry &original, const QByteArray &newPayload,
                      const QObject *context, OperationCallback callback)
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
    evalScript(EditScript, { key(list), m_keys.schedule() }, { original.raw(), replacement },
               context, [this, list, callback = std::move(callback)](const RedisReply &reply) {
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
                   callback(result);
               });
}

void QueueStore::moveToDlq(const DeadLetterEntry &entry, const QObject *context,
                           OperationCallback callback)
{
    runSingle(List::PermanentFailures, BulkAction::MoveToDlq, entry, context, std::move(callback));
}

void QueueStore::remove(List list, const DeadLetterEntry &entry, const QObject *context,
                        OperationCallback callback)
{
    runSingle(list, BulkAction::Remove, entry, context, std::move(callback));
}

void QueueStore::runSingle(List list, BulkAction action, const DeadLetterEntry &entry,
                           const QObject *context, OperationCallback callback)
{
    runBulk(list, action, { entry.raw() }, context,
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
            {});
}

void QueueStore::purge(List list, const QObject *context, BulkCallback callback)
{
    QList<QByteArray> keys { key(list) };
    if (list == List::DeadLetter)
        keys.append(m_keys.schedule());
    evalScript(PurgeScript, keys, {}, context,
               [this, list, callback = std::move(callback)](const RedisReply &reply) {
                   BulkResult result;
                   if (reply.isError()) {
                       result.code = QueueError::Redis;
                       result.error = redisError(reply);
                   } else {
                       result.done = int(reply.toInteger());
                       publish(list, "purge", result.done);
                   }
                   callback(result);
               });
}

void QueueStore::runBulk(List list, BulkAction action, QList<QByteArray> raws,
                         const QObject *context, BulkCallback callback, Progress progress)
{
    auto job = std::make_shared<BulkJob>();
    job->list = list;
    job->action = action;
    job->raws = std::move(raws);
    job->context = context;
    job->hasContext = context != nullptr;
    job->callback = std::move(callback);
    job->progress = std::move(progress);
    bulkStep(job);
}

void QueueStore::bulkStep(std::shared_ptr<BulkJob> job)
{
    if (job->hasContext && !job->context)
        return;
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
        QMetaObject::invokeMethod(
            this,
            [job] {
                if (!job->hasContext || job->context)
                    job->callback(job->result);
            },
            Qt::QueuedConnection);
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
                   if (job->hasContext && !job->context)
                       return;
                   if (reply.isError() || reply.elements().size() != 2) {
                       job->result.code = QueueError::Redis;
                       job->result.error = reply.isError()
                           ? redisError(reply)
                           : QStringLiteral("Redis: unexpected reply");
                       job->next = job->raws.size();
                       job->callback(job->result);
                       return;
                   }
                   job->result.done += int(reply.elements().at(0).toInteger());
                   job->result.missing += int(reply.elements().at(1).toInteger());
                   if (job->progress && job->next < job->raws.size()
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
                             const QObject *context, BulkCallback callback, Progress progress)
{
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
                  progress = std::move(progress)](QueueError code, const QString &error) {
        if (code != QueueError::None) {
            BulkResult result;
            result.code = code;
            result.error = error;
            callback(result);
            return;
        }
        if (hasContext && !guard)
            return;
        runBulk(list, action, *raws, context, callback, progress);
    };
    scanStep(job);
}

void QueueStore::retryNowMany(List list, const QList<DeadLetterEntry> &entries,
                              const QObject *context, BulkCallback callback, Progress progress)
{
    QList<QByteArray> raws;
    for (const DeadLetterEntry &entry : entries)
        raws.append(entry.raw());
    runBulk(list, list == List::DeadLetter ? BulkAction::RetryNow : BulkAction::MoveToDlq, raws,
            context, std::move(callback), std::move(progress));
}

void QueueStore::moveToDlqMany(const QList<DeadLetterEntry> &entries, const QObject *context,
                               BulkCallback callback, Progress progress)
{
    retryNowMany(List::PermanentFailures, entries, context, std::move(callback),
                 std::move(progress));
}

void QueueStore::removeMany(List list, const QList<DeadLetterEntry> &entries,
                            const QObject *context, BulkCallback callback, Progress progress)
{
    QList<QByteArray> raws;
    for (const DeadLetterEntry &entry : entries)
        raws.append(entry.raw());
    runBulk(list, BulkAction::Remove, raws, context, std::move(callback), std::move(progress));
}

void QueueStore::retryNowMatching(List list, const QString &filter, const QObject *context,
                                  BulkCallback callback, Progress progress)
{
    runMatching(list, list == List::DeadLetter ? BulkAction::RetryNow : BulkAction::MoveToDlq,
                filter, context, std::move(callback), std::move(progress));
}

void QueueStore::moveToDlqMatching(const QString &filter, const QObject *context,
                                   BulkCallback callback, Progress progress)
{
    runMatching(List::PermanentFailures, BulkAction::MoveToDlq, filter, context,
                std::move(callback), std::move(progress));
}

void QueueStore::removeMatching(List list, const QString &filter, const QObject *context,
                                BulkCallback callback, Progress progress)
{
    runMatching(list, BulkAction::Remove, filter, context, std::move(callback),
                std::move(progress));
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
                                 const QObject *context, BulkCallback callback, Progress progress)
{
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
        answerLater(std::move(callback), result);
        return;
    }
    auto job = std::make_shared<ScanJob>();
    auto result = std::make_shared<BulkResult>();
    QPointer<QIODevice> target(device);
    job->key = key(list);
    job->needle = filter.toUtf8();
    job->context = context;
    job->hasContext = context != nullptr;
    job->onChunk = [result, target, job = job.get(), progress = std::move(progress)](
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
        return !progress || progress(job->position, -1);
    };
    job->onEnd = [result, callback = std::move(callback)](QueueError code, const QString &error) {
        if (result->code == QueueError::None) {
            result->code = code;
            result->error = error;
        }
        callback(*result);
    };
    scanStep(job);
}

void QueueStore::importJsonLines(List list, QIODevice *device, const QObject *context,
                                 BulkCallback callback, Progress progress)
{
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
    auto result = std::make_shared<BulkResult>();
    auto remaining = std::make_shared<QList<QByteArray>>(std::move(elements));
    const qint64 total = remaining->size();
    auto step = std::make_shared<std::function<void()>>();
    QPointer<const QObject> guard(context);
    const bool hasContext = context != nullptr;
    *step = [this, list, result, remaining, total, step, guard, hasContext,
             callback = std::move(callback), progress = std::move(progress)] {
        if (hasContext && !guard) {
            *step = nullptr;
            return;
        }
        if (remaining->isEmpty()) {
            if (result->done > 0)
                publish(list, "import", result->done);
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
