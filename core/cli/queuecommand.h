// SPDX-License-Identifier: MIT
#pragma once

#include "core/queue/queuestore.h"

#include <QCommandLineOption>
#include <QHash>
#include <QObject>
#include <QSet>
#include <QStringList>

#include <functional>
#include <memory>

class QIODevice;

namespace redrive::core {

class AuditLog;
struct AuditPage;
class CredentialStore;
class FailureGroupScan;
class FailureGroupSelection;
class RedisConnection;
class Settings;
struct RedisEndpoint;

// Where `redrive queue` reads and writes: the process's standard streams, or a test's buffers.
struct QueueCommandIo
{
    QIODevice *out = nullptr; // results; `export` without --output writes its lines here
    QIODevice *in = nullptr; // `import -` reads it
    std::function<void(const QString &line)> err; // messages and errors, one line each
    // stdin is a terminal: a change is confirmed by asking. Otherwise it takes --yes.
    bool interactive = false;
    // Puts the question to the user and returns the answer line (only when interactive).
    std::function<QString(const QString &question)> ask;
    // True when stdout's reader went away (`| head`); may be empty (never).
    std::function<bool()> outputClosed;
};

// `redrive queue SUBCOMMAND` for servers without a display: stats, list, show, groups, retry,
// delete, move, export, import and audit, on the QueueStore the console uses, with its audit
// hook set to client "cli" so that every change is in the audit trail. Lists are read in chunks
// (QueueStore::scan, FailureGroupScan, AuditLog pages), never whole. Asynchronous: finished()
// comes once, after the audit records of the command were written (or given up on).
class QueueCommand final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QueueCommand)

public:
    enum ExitCode { Success = 0, Failure = 1, UsageError = 2 };

    // `arguments` are the words after "queue". `settings` (the environment already applied)
    // gets the Redis and key options of the command line; `credentials` (may be null) gives
    // the Redis passwords. Both must outlive the command.
    QueueCommand(const QStringList &arguments, Settings *settings, CredentialStore *credentials,
                 QueueCommandIo io, QObject *parent = nullptr);
    ~QueueCommand() override;

    static QString usage();
    // The options the command takes besides the Redis and key settings (for the manual page).
    static QList<QCommandLineOption> ownOptions();
    // The settings whose options `redrive queue` takes (--redis, --dlq-key, ...).
    static QList<QCommandLineOption> settingOptions();

    void start();
    // Ctrl+C: a change in progress stops after the chunk in flight (and is recorded as
    // cancelled with what was done); anything else stops at once. False when nothing is left to
    // stop gently (finished, or already interrupted): the caller may then quit outright.
    bool interrupt();
    bool isFinished() const { return m_finished; }
    int exitCode() const { return m_exitCode; }

Q_SIGNALS:
    void finished(int exitCode);

private:
    enum class Selection { None, Ids, Filter, Group, All };

    bool parse(QString *error);
    bool changesLists() const;
    void readSecrets(std::function<void()> then);
    void connectToRedis();
    void run();
    void runStats();
    void runList();
    void runShow(int listIndex);
    void runGroups();
    void runAudit();
    void readAuditPage();
    void auditPageRead(const AuditPage &page);
    void runImport();
    // retry, delete, move, export: finds the selection, asks, then acts.
    void runBulk();
    void collectIds(std::function<void(const QList<DeadLetterEntry> &)> then);
    // retry, delete, move, export --group: FailureGroupSelection (a count first, for the question).
    void runGroupAction();
    void confirmThen(const QString &question, std::function<void()> then);
    void act(const QList<DeadLetterEntry> &entries);
    void reportBulk(const BulkResult &result, const QString &verb);

    QString listName(QueueStore::List list) const;
    QString noSuchGroup() const;
    bool outputClosed() const;
    // import: keeps the lines of `data` that are JSON objects, warns for the others (by line
    // number); returns the lines kept.
    QByteArray importableLines(const QByteArray &data, const QString &from);
    void line(const QString &text);
    void jsonLine(const QJsonObject &object);
    void fail(int exitCode, const QString &message);
    void done(int exitCode);
    void finishNow(int exitCode);

    QStringList m_arguments;
    Settings *m_settings;
    CredentialStore *m_credentials;
    QueueCommandIo m_io;

    // What the command line asks for.
    QString m_command;
    QStringList m_positional;
    QueueStore::List m_list = QueueStore::List::DeadLetter;
    bool m_listGiven = false;
    QString m_filter;
    QString m_group;
    bool m_json = false;
    qint64 m_limit = -1; // -1: the command's default; 0: no limit
    bool m_yes = false;
    QString m_output;
    Selection m_selection = Selection::None;

    QString m_redisPassword; // never printed
    QString m_sentinelPassword; // never printed
    QString m_displayUrl; // the Redis URL without its password
    QString m_keychainProblem; // why the keychain gave no password ("" when it answered)
    bool m_embedded = false; // no --redis: the socket of the embedded Redis

    std::unique_ptr<RedisConnection> m_connection;
    std::unique_ptr<AuditLog> m_audit;
    std::unique_ptr<QueueStore> m_store;
    std::unique_ptr<FailureGroupScan> m_groupScan;
    std::unique_ptr<FailureGroupSelection> m_groupSelection;
    std::unique_ptr<QIODevice> m_file;
    bool m_connected = false;
    bool m_changing = false; // a change went out to Redis
    bool m_interrupted = false;
    bool m_outputClosed = false; // stdout's reader went away
    // audit: where the next page starts, lines still to print (-1: no limit), lines printed.
    QByteArray m_auditCursor;
    qint64 m_auditRemaining = 0;
    qint64 m_auditShown = 0;
    qint64 m_importLines = 0; // import: the lines kept
    qint64 m_importSkipped = 0; // import: the lines that are not JSON objects
    bool m_auditLost = false; // a record of this command's changes did not reach the trail
    bool m_finished = false;
    bool m_finishing = false;
    int m_exitCode = Success;
};

// Runs `redrive queue ...` to completion on the process's standard streams and returns the exit
// code. Needs a QCoreApplication; runs its event loop until the command is done.
int runQueueCommand(const QStringList &arguments, Settings *settings, CredentialStore *credentials);

} // namespace redrive::core
