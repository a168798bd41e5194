// SPDX-License-Identifier: MIT
#pragma once

#include "core/audit/auditlog.h"

#include <QObject>
#include <QPointer>

#include <functional>

namespace redrive::ui {

// The console's door to the audit trail: the core::AuditLog lives on the engine's thread, so
// each call is posted there and each answer posted back, to its callback here if its context
// still exists. Nothing here waits for the other thread but the destructor.
class AuditBackend final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuditBackend)

public:
    using PageCallback = std::function<void(const core::AuditPage &page)>;
    using ExportCallback = std::function<void(qint64 written, const QString &error)>;

    // `log` lives on its own thread (or this one) and may go away first (the engine stopped):
    // calls made then are dropped.
    explicit AuditBackend(core::AuditLog *log, QObject *parent = nullptr);
    ~AuditBackend() override;

    // Newest first, `count` records older than `cursor` ("" = the newest).
    void readPage(const QByteArray &cursor, int count, const QObject *context, PageCallback done);
    // Newest first from `cursor`, the records containing `text` (case insensitive).
    void search(const QString &text, const QByteArray &cursor, int maxMatches,
                const QObject *context, PageCallback done);
    // The trail (with `text`: its matching records) as JSON Lines into the file at `path`,
    // oldest first; the file appears whole or not at all.
    void exportJsonLines(const QString &path, const QString &text, const QObject *context,
                         ExportCallback done);
    // Records an action taken outside the queue store (registration with Genesys Cloud).
    void record(const core::AuditRecord &record);

Q_SIGNALS:
    // A record was written by this process (for a view to show it).
    void recorded();

private:
    class Worker;
    // Runs `call(log)` on the log's thread, unless the log is gone by then.
    void there(std::function<void(core::AuditLog *log, QObject *worker)> call);
    template<typename... Args>
    std::function<void(Args...)> back(const QObject *context, std::function<void(Args...)> done);

    Worker *m_worker; // lives on the log's thread; deleted there
};

} // namespace redrive::ui
