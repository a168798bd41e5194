// SPDX-License-Identifier: MIT
#include "core/audit/auditlog.h"

#include "core/redis/redisconnection.h"

#include <QDateTime>
#include <QIODevice>
#include <QLoggingCategory>
#include <QRegularExpression>

#include <algorithm>

namespace redrive::core {

Q_LOGGING_CATEGORY(lcAudit, "redrive.audit")

namespace {

constexpr int ExportPage = 500;
constexpr int SearchPage = 500;
constexpr int RetryMs = 1000;

// Error replies that say "not now" rather than "never": the record is held and sent again.
// Transport failures (RedisConnection's own texts: sentences, "TLS: ...", the link down when the
// answer comes) are "not now" too; a reply from Redis starts with a code in capitals.
bool worthRetrying(const QString &error, bool linkUp)
{
    static const QRegularExpression redisCode(QStringLiteral("^([A-Z]+)( |$)"));
    const QRegularExpressionMatch match = redisCode.match(error);
    if (!linkUp || !match.hasMatch())
        return true;
    static const QStringList transient {
        QStringLiteral("LOADING"),    QStringLiteral("BUSY"),     QStringLiteral("READONLY"),
        QStringLiteral("MASTERDOWN"), QStringLiteral("TRYAGAIN"), QStringLiteral("CLUSTERDOWN")
    };
    return transient.contains(match.captured(1));
}

// `text` cut to at most `limit` bytes of UTF-8, never inside a character.
QString cutUtf8(const QString &text, int limit, bool *cut)
{
    const QByteArray utf8 = text.toUtf8();
    if (utf8.size() <= limit)
        return text;
    qsizetype end = limit;
    while (end > 0 && (quint8(utf8.at(end)) & 0xC0) == 0x80)
        --end;
    *cut = true;
    return QString::fromUtf8(utf8.left(end));
}

// An XRANGE/XREVRANGE reply: [[id, [field, value, ...]], ...]. Anything else in it reads as
// a garbage record rather than failing the page.
QList<AuditRecord> parseEntries(const RedisReply &reply)
{
    QList<AuditRecord> records;
    for (const RedisReply &entry : reply.elements()) {
        const QList<RedisReply> &parts = entry.elements();
        if (entry.type() != RedisReply::Type::Array || parts.size() != 2
            || parts.at(1).type() != RedisReply::Type::Array) {
            AuditRecord record;
            record.problem = QStringLiteral("Not a stream entry");
            records.append(record);
            continue;
        }
        QList<std::pair<QByteArray, QByteArray>> fields;
        const QList<RedisReply> &flat = parts.at(1).elements();
        for (qsizetype i = 0; i + 1 < flat.size(); i += 2)
            fields.append({ flat.at(i).bytes(), flat.at(i + 1).bytes() });
        records.append(AuditRecord::fromStreamEntry(parts.at(0).bytes(), fields));
    }
    return records;
}

} // namespace

struct AuditLog::SearchState
{
    QString text;
    QByteArray cursor;
    int maxMatches = 0;
    int maxScanned = 0;
    QPointer<const QObject> context;
    bool hasContext = false;
    PageCallback callback;
    AuditPage result;
};

struct AuditLog::ExportState
{
    QPointer<QIODevice> out;
    QString text;
    QByteArray cursor;
    QPointer<const QObject> context;
    bool hasContext = false;
    ExportCallback done;
    qint64 written = 0;
};

AuditLog::AuditLog(RedisConnection *connection, const QByteArray &streamKey, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_key(streamKey)
    , m_identity(AuditIdentity::local())
{
    m_retryTimer.setSingleShot(true);
    m_retryTimer.setInterval(RetryMs);
    connect(&m_retryTimer, &QTimer::timeout, this, &AuditLog::flushHeld);
    connect(m_connection, &RedisConnection::ready, this, &AuditLog::flushHeld);
}

AuditLog::~AuditLog()
{
    // Nothing may vanish silently: every record still held is said in a log line.
    while (!m_held.empty()) {
        Pending pending = std::move(m_held.front());
        m_held.pop_front();
        qCWarning(lcAudit).noquote() << "audit record lost (Redrive stopped before Redis took it):"
                                     << pending.record.summary();
    }
}

void AuditLog::record(AuditRecord record, const QObject *context, WriteCallback done)
{
    if (record.atMs == 0)
        record.atMs = QDateTime::currentMSecsSinceEpoch();
    if (record.user.isEmpty())
        record.user = m_identity.user;
    if (record.host.isEmpty())
        record.host = m_identity.host;
    if (record.client.isEmpty())
        record.client = m_client;
    if (record.ids.size() > m_idLimit) {
        record.ids = record.ids.mid(0, m_idLimit);
        record.truncated = true;
    }
    record.before = cutUtf8(record.before, m_textLimit, &record.truncated);
    record.after = cutUtf8(record.after, m_textLimit, &record.truncated);
    record.problem.clear();
    record.rawFields.clear();
    record.streamId.clear();

    Pending pending { std::move(record), context, context != nullptr, std::move(done),
                      ++m_sequence };
    if (!m_held.empty()) {
        // Behind older records that wait: the trail keeps the order actions were taken in.
        hold(std::move(pending));
        if (m_connection->isReady() && !m_retryTimer.isActive())
            QMetaObject::invokeMethod(this, &AuditLog::flushHeld, Qt::QueuedConnection);
        return;
    }
    send(std::move(pending));
}

void AuditLog::hold(Pending pending)
{
    // In record() order, whichever came back first.
    const auto place = std::upper_bound(
        m_held.begin(), m_held.end(), pending.sequence,
        [](quint64 sequence, const Pending &held) { return sequence < held.sequence; });
    m_held.insert(place, std::move(pending));
    if (m_held.size() > size_t(m_heldLimit)) {
        Pending oldest = std::move(m_held.front());
        m_held.pop_front();
        lose(oldest, QStringLiteral("more than %1 records waiting for Redis").arg(m_heldLimit));
    }
}

void AuditLog::send(Pending pending)
{
    QList<QByteArray> args { QByteArrayLiteral("XADD"),       m_key,
                             QByteArrayLiteral("MAXLEN"),     QByteArrayLiteral("~"),
                             QByteArray::number(m_maxLength), QByteArrayLiteral("*") };
    args += pending.record.toStreamFields();
    auto shared = std::make_shared<Pending>(std::move(pending));
    ++m_inFlight;
    m_connection->command(args, this, [this, shared](const RedisReply &reply) {
        --m_inFlight;
        if (!reply.isError()) {
            Q_EMIT written(shared->record);
            finishWrite(*shared, true, QString());
            checkSettled();
            return;
        }
        const QString error = reply.errorText();
        if (!worthRetrying(error, m_connection->isReady())) {
            lose(*shared, error);
            checkSettled();
            return;
        }
        const bool first = m_held.empty();
        hold(std::move(*shared));
        if (first) {
            qCWarning(lcAudit).noquote() << "audit records held until Redis takes them:" << error;
            Q_EMIT held(error);
        }
        if (m_connection->isReady())
            m_retryTimer.start();
    });
}

void AuditLog::flushHeld()
{
    if (m_held.empty() || !m_connection->isReady())
        return;
    std::deque<Pending> batch;
    batch.swap(m_held);
    // Sent in order on one connection, so Redis appends them in order. Should the link drop
    // again, the failures come back in order too and are held again, the first at the front.
    for (Pending &pending : batch)
        send(std::move(pending));
}

void AuditLog::checkSettled()
{
    if (pendingCount() == 0)
        Q_EMIT settled();
}

void AuditLog::finishWrite(Pending &pending, bool written, const QString &error)
{
    if (!pending.done || (pending.hasContext && !pending.context))
        return;
    pending.done(written, error);
}

void AuditLog::lose(Pending &pending, const QString &reason)
{
    qCWarning(lcAudit).noquote() << QStringLiteral("audit record lost (%1):").arg(reason)
                                 << pending.record.summary();
    Q_EMIT lost(pending.record, reason);
    finishWrite(pending, false, reason);
}

void AuditLog::readRaw(const QByteArray &cursor, int count, bool newestFirst,
                       const QObject *context, PageCallback callback)
{
    count = qMax(1, count);
    const QByteArray from = cursor.isEmpty() ? QByteArray(newestFirst ? "+" : "-") : '(' + cursor;
    const QByteArray to = newestFirst ? QByteArrayLiteral("-") : QByteArrayLiteral("+");
    m_connection->command(
        { newestFirst ? QByteArrayLiteral("XREVRANGE") : QByteArrayLiteral("XRANGE"), m_key, from,
          to, QByteArrayLiteral("COUNT"), QByteArray::number(count) },
        context ? context : this, [callback = std::move(callback), count](const RedisReply &reply) {
            AuditPage page;
            if (reply.isError()) {
                page.error
                    = QStringLiteral("Reading the audit trail failed: %1").arg(reply.errorText());
            } else if (reply.type() != RedisReply::Type::Array) {
                page.error = QStringLiteral("Reading the audit trail failed: unexpected reply");
            } else {
                page.records = parseEntries(reply);
                page.scanned = page.records.size();
                // The last id read, even of an entry that is garbage; none when the end came.
                const QList<RedisReply> &entries = reply.elements();
                if (entries.size() >= count && !entries.constLast().elements().isEmpty())
                    page.next = entries.constLast().elements().constFirst().bytes();
            }
            callback(page);
        });
}

void AuditLog::readPage(const QByteArray &cursor, int count, const QObject *context,
                        PageCallback callback)
{
    readRaw(cursor, count, true, context, std::move(callback));
}

void AuditLog::search(const QString &text, const QByteArray &cursor, int maxMatches, int maxScanned,
                      const QObject *context, PageCallback callback)
{
    auto state = std::make_shared<SearchState>();
    state->text = text;
    state->cursor = cursor;
    state->maxMatches = qMax(1, maxMatches);
    state->maxScanned = qMax(1, maxScanned);
    state->context = context;
    state->hasContext = context != nullptr;
    state->callback = std::move(callback);
    searchStep(state);
}

void AuditLog::searchStep(const std::shared_ptr<SearchState> &state)
{
    const int want = int(qMin<qint64>(SearchPage, state->maxScanned - state->result.scanned));
    readRaw(state->cursor, want, true, this, [this, state](const AuditPage &page) {
        if (state->hasContext && !state->context)
            return;
        AuditPage &result = state->result;
        if (!page.ok()) {
            result.error = page.error;
            state->callback(result);
            return;
        }
        for (const AuditRecord &record : page.records) {
            ++result.scanned;
            if (!record.streamId.isEmpty())
                result.next = record.streamId;
            if (QString::fromUtf8(record.toJsonLine()).contains(state->text, Qt::CaseInsensitive))
                result.records.append(record);
            if (result.records.size() >= state->maxMatches) {
                state->callback(result); // `next` continues right after this match
                return;
            }
        }
        if (page.next.isEmpty()) {
            result.next.clear(); // the oldest entry was searched
            state->callback(result);
            return;
        }
        result.next = page.next;
        if (result.scanned >= state->maxScanned) {
            state->callback(result);
            return;
        }
        state->cursor = page.next;
        searchStep(state);
    });
}

void AuditLog::exportJsonLines(QIODevice *out, const QString &text, const QObject *context,
                               ExportCallback done)
{
    auto state = std::make_shared<ExportState>();
    state->out = out;
    state->text = text;
    state->context = context;
    state->hasContext = context != nullptr;
    state->done = std::move(done);
    exportStep(state);
}

void AuditLog::exportStep(const std::shared_ptr<ExportState> &state)
{
    readRaw(state->cursor, ExportPage, false, this, [this, state](const AuditPage &page) {
        if (state->hasContext && !state->context)
            return;
        if (!page.ok()) {
            state->done(state->written, page.error);
            return;
        }
        if (!state->out || !state->out->isWritable()) {
            state->done(state->written,
                        QStringLiteral("Exporting the audit trail failed: the "
                                       "file is closed"));
            return;
        }
        for (const AuditRecord &record : page.records) {
            const QByteArray line = record.toJsonLine();
            if (!state->text.isEmpty()
                && !QString::fromUtf8(line).contains(state->text, Qt::CaseInsensitive))
                continue;
            if (state->out->write(line + '\n') < 0) {
                state->done(state->written,
                            QStringLiteral("Exporting the audit trail failed: %1")
                                .arg(state->out->errorString()));
                return;
            }
            ++state->written;
        }
        if (page.next.isEmpty()) {
            state->done(state->written, QString());
            return;
        }
        state->cursor = page.next;
        exportStep(state);
    });
}

} // namespace redrive::core
