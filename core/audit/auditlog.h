// SPDX-License-Identifier: MIT
#pragma once

#include "core/audit/auditrecord.h"

#include <QByteArray>
#include <QObject>
#include <QPointer>
#include <QTimer>

#include <deque>
#include <functional>
#include <memory>

class QIODevice;

namespace redrive::core {

class RedisConnection;

// One page of the audit trail, newest first (or oldest first for an export).
struct AuditPage
{
    QList<AuditRecord> records;
    // Give it back to read on after the last record of this page; "" when the stream ended.
    QByteArray next;
    qint64 scanned = 0; // stream entries read for this page (a search reads more than it keeps)
    QString error; // "" when Redis answered
    bool ok() const { return error.isEmpty(); }
};

// The audit trail: every manual action, appended to a capped Redis stream next to the lists
// (key: QueueKeys::audit(), the queue's prefix + "audit", so that it keeps the lists' hash tag),
// and read back in pages. Nothing here blocks: each call answers through a callback with a context
// object.
//
// A record Redis could not take because the connection is down is held (in order, up to
// heldLimit()) and written as soon as the connection is ready again; a record Redis refused
// (an error reply: wrong key type, out of memory, no permission) or one pushed out of the full
// backlog is lost, and a warning line on the "redrive.audit" category says which action it was.
class AuditLog final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuditLog)

public:
    using WriteCallback = std::function<void(bool written, const QString &error)>;
    using PageCallback = std::function<void(const AuditPage &page)>;
    using ExportCallback = std::function<void(qint64 written, const QString &error)>;

    // `connection` must outlive this object and live on its thread. `streamKey`:
    // QueueKeys::audit().
    AuditLog(RedisConnection *connection, const QByteArray &streamKey, QObject *parent = nullptr);
    ~AuditLog() override;

    QByteArray key() const { return m_key; }

    // Entries the stream keeps, about (XADD MAXLEN ~: Redis trims whole nodes, so a few dozen
    // more may stay). Default 100,000.
    void setMaxLength(qint64 entries) { m_maxLength = qMax<qint64>(1, entries); }
    qint64 maxLength() const { return m_maxLength; }
    // Records held while Redis is down (default 1,000); beyond that the oldest is lost.
    void setHeldLimit(int records) { m_heldLimit = qMax(1, records); }
    int heldLimit() const { return m_heldLimit; }
    int heldCount() const { return int(m_held.size()); }
    // Records given to record() and not yet written or lost: sent and unanswered, or held. A
    // short-lived process waits for settled() before it quits.
    int pendingCount() const { return m_inFlight + int(m_held.size()); }
    // Limits on what one record stores: entry ids (default 1,000; `count` has the total) and
    // bytes of `before` and `after` each (default 64 KiB); what is cut sets `truncated`.
    void setIdLimit(int ids) { m_idLimit = qMax(0, ids); }
    int idLimit() const { return m_idLimit; }
    void setTextLimit(int bytes) { m_textLimit = qMax(0, bytes); }
    // Who acts (default AuditIdentity::local()) and through what ("console", "cli").
    void setIdentity(const AuditIdentity &identity) { m_identity = identity; }
    void setClient(const QString &client) { m_client = client; }

    // Appends `record`; user, host, client and (when 0) the time are filled in. `done` runs once,
    // when Redis confirmed it (written) or when it is lost, never from inside this call; not at
    // all for a record still held when this object is destroyed (a warning line says it).
    void record(AuditRecord record, const QObject *context = nullptr, WriteCallback done = {});

    // Newest first: `count` records older than `cursor` ("" = the newest).
    void readPage(const QByteArray &cursor, int count, const QObject *context,
                  PageCallback callback);
    // Newest first from `cursor`: the records whose JSON line contains `text` (case
    // insensitive), until `maxMatches` are found or `maxScanned` entries were read; the page's
    // `next` continues the search.
    void search(const QString &text, const QByteArray &cursor, int maxMatches, int maxScanned,
                const QObject *context, PageCallback callback);
    // Writes the trail to `out` as JSON Lines, oldest first, one page of 500 at a time (the
    // next page is asked for once the previous one is written); with `text`, only the records
    // that contain it. `out` must stay open until `done`.
    void exportJsonLines(QIODevice *out, const QString &text, const QObject *context,
                         ExportCallback done);

Q_SIGNALS:
    // A record could not be written now and is held (the connection is down).
    void held(const QString &reason);
    // A record is lost for good; also said in a warning line.
    void lost(const redrive::core::AuditRecord &record, const QString &reason);
    // A record was written; `record` as sent (streamId empty).
    void written(const redrive::core::AuditRecord &record);
    // pendingCount() dropped to 0: every record given so far is written or lost.
    void settled();

private:
    struct Pending
    {
        AuditRecord record;
        QPointer<const QObject> context;
        bool hasContext = false;
        WriteCallback done;
        quint64 sequence = 0; // order of record() calls: held records go out in this order
    };
    void hold(Pending pending);
    void send(Pending pending);
    void flushHeld();
    void finishWrite(Pending &pending, bool written, const QString &error);
    void lose(Pending &pending, const QString &reason);
    void checkSettled();
    // XREVRANGE (newest first) or XRANGE from after `cursor`.
    void readRaw(const QByteArray &cursor, int count, bool newestFirst, const QObject *context,
                 PageCallback callback);
    struct SearchState;
    void searchStep(const std::shared_ptr<SearchState> &state);
    struct ExportState;
    void exportStep(const std::shared_ptr<ExportState> &state);

    RedisConnection *m_connection;
    QByteArray m_key;
    qint64 m_maxLength = 100000;
    int m_heldLimit = 1000;
    int m_idLimit = 1000;
    int m_textLimit = 64 * 1024;
    AuditIdentity m_identity;
    QString m_client;
    std::deque<Pending> m_held;
    // A Redis that answered "busy" (LOADING, READONLY, ...) while the link stays up: try again.
    QTimer m_retryTimer;
    quint64 m_sequence = 0;
    int m_inFlight = 0;
};

} // namespace redrive::core
