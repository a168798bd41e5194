// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QStringList>

#include <utility>

namespace redrive::core {

// Who acts: the OS user and the host name, read once per process.
struct AuditIdentity
{
    QString user;
    QString host;
    static const AuditIdentity &local();
};

// The manual actions the audit trail records. The names (actionName) are stored in Redis and
// printed by --json: they never change; new actions get new names.
enum class AuditAction {
    Retry, // entries sent again now
    Edit, // an entry's payload changed (before and after are recorded)
    Delete,
    Move, // from `list` to `target` (e.g. back from permanent failures to the DLQ)
    Purge, // a whole list emptied
    Import, // entries read from a file into `list`
    Export, // entries written to a file
    Register, // the receiver's URL registered with Genesys Cloud
    Unregister,
};

// What the action was applied to: one entry, a hand-made selection, every entry matching a
// filter, a failure group, or the whole list.
enum class AuditScope { Entry, Selection, Filter, Group, List, None };

enum class AuditOutcome { Done, Failed, Cancelled };

QString auditActionName(AuditAction action);
bool auditActionFromName(QStringView name, AuditAction *action);
QString auditScopeName(AuditScope scope);
bool auditScopeFromName(QStringView name, AuditScope *scope);
QString auditOutcomeName(AuditOutcome outcome);
bool auditOutcomeFromName(QStringView name, AuditOutcome *outcome);

// How a manual action came about, beyond what the operation itself knows: given by whoever
// asks for it (QueueStore's operations take one) and copied into its record.
struct AuditContext
{
    QString group; // a failure group's id: the record's scope becomes "group"
    QString filter; // the filter a hand-made selection was made under
    QString detail; // free text: the file imported or exported, ...
    // The caller records the action itself: e.g. one record for a group action it carries out
    // as several bulk calls (AuditLog::record, with the totals).
    bool selfRecorded = false;
};

// One line of the audit trail. As written by AuditLog::record() and as read back; a stream
// entry that is not a valid record (written by another tool, fields missing or unknown) reads
// as a record with `problem` set and its raw fields kept, so that it can be shown as such.
struct AuditRecord
{
    QByteArray streamId; // set when read back ("1764655042123-0"); the write time
    qint64 atMs = 0; // when the action happened (UTC, ms since the epoch)
    QString user; // filled from AuditIdentity::local() when empty
    QString host;
    QString client; // "console", "cli", ... (AuditLog::setClient)
    AuditAction action = AuditAction::Retry;
    AuditScope scope = AuditScope::None;
    QString list; // the list's key the action read from ("" for registration)
    QString target; // where the entries went: Move, and Retry out of permanent failures
    QStringList ids; // the ids of the entries asked for (the first AuditLog::idLimit() of them)
    qint64 count = 0; // how many entries the action touched, as the caller says (never from ids)
    QString filter; // the filter text of a bulk action
    QString group; // the failure group's id of a group action
    AuditOutcome outcome = AuditOutcome::Done;
    QString reason; // why it failed or was cancelled
    QString detail; // free text: the URL registered, the file imported, ...
    QString before; // Edit: the payload before and after
    QString after;
    bool truncated = false; // ids, before or after were cut to the limits

    // Reading back: "" for a valid record; else what is wrong, and every field as stored.
    QString problem;
    QList<std::pair<QByteArray, QByteArray>> rawFields;

    bool isValid() const { return problem.isEmpty(); }

    // The stream entry's field/value pairs (XADD), empty fields left out.
    QList<QByteArray> toStreamFields() const;
    static AuditRecord fromStreamEntry(const QByteArray &id,
                                       const QList<std::pair<QByteArray, QByteArray>> &fields);

    // Stable field names, documented in docs/AUDIT.md.
    QJsonObject toJson() const;
    QByteArray toJsonLine() const; // compact, no newline
    // One line for logs: no payloads (before/after) and at most a few ids.
    QString summary() const;
};

} // namespace redrive::core

Q_DECLARE_METATYPE(redrive::core::AuditRecord)
