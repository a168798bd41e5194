// SPDX-License-Identifier: MIT
#include "core/cli/queuecommand.h"

#include "core/audit/auditlog.h"
#include "core/audit/auditrecord.h"
#include "core/engine/embeddedredis.h"
#include "core/engine/engineconfig.h"
#include "core/queue/deadletterentry.h"
#include "core/redis/redisconnection.h"
#include "core/redis/redisendpoint.h"
#include "core/redis/redishashslot.h"
#include "core/settings/credentialstore.h"
#include "core/settings/settings.h"
#include "core/text/terminaltext.h"
#include "core/trends/trendreader.h"
#include "core/triage/failurefingerprint.h"
#include "core/triage/failuregroupscan.h"
#include "core/triage/failuregroupselection.h"

#include <QBuffer>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QEventLoop>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSocketNotifier>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace redrive::core {

namespace {

const QStringList kCommands { QStringLiteral("stats"),  QStringLiteral("list"),
                              QStringLiteral("show"),   QStringLiteral("groups"),
                              QStringLiteral("retry"),  QStringLiteral("delete"),
                              QStringLiteral("move"),   QStringLiteral("export"),
                              QStringLiteral("import"), QStringLiteral("audit") };

// The settings `redrive queue` takes from its command line: where Redis is and the key names.
const QList<SettingKey> kSettingKeys {
    SettingKey::RedisUrl,         SettingKey::DlqKey,        SettingKey::PermanentKey,
    SettingKey::KeyPrefix,        SettingKey::DataDirectory, SettingKey::RedisTlsCa,
    SettingKey::RedisTlsCert,     SettingKey::RedisTlsKey,   SettingKey::RedisTlsServerName,
    SettingKey::RedisTlsInsecure,
};

constexpr qint64 AuditDefaultLimit = 100;
constexpr int AuditPageSize = 500;
constexpr int AuditSearchScan = 20000; // stream entries one search call reads at most
constexpr int AuditSettleMs = 15000; // how long the exit waits for the trail to take its records

QJsonValue timeJson(const QDateTime &time)
{
    return time.isValid() ? QJsonValue(DeadLetterEntry::formatTimestamp(time))
                          : QJsonValue(QJsonValue::Null);
}

QString timeText(const QDateTime &time)
{
    return time.isValid() ? DeadLetterEntry::formatTimestamp(time) : QStringLiteral("-");
}

// The stable JSON of one list element (docs/CLI.md).
QJsonObject entryJson(const DeadLetterEntry &entry, const QString &list, qint64 index)
{
    return QJsonObject {
        { QStringLiteral("list"), list },
        { QStringLiteral("index"), index },
        { QStringLiteral("id"), entry.id() },
        { QStringLiteral("own_id"), entry.hasOwnId() },
        { QStringLiteral("status_code"), entry.statusCode() },
        { QStringLiteral("error_message"), entry.errorMessage() },
        { QStringLiteral("retry_count"), entry.retryCount() },
        { QStringLiteral("timestamp"), timeJson(entry.timestamp()) },
        { QStringLiteral("received_at"), timeJson(entry.receivedAt()) },
        { QStringLiteral("next_attempt_at"), timeJson(entry.nextAttemptAt()) },
        { QStringLiteral("topic"), entry.topic() },
        { QStringLiteral("source"), entry.source() },
        { QStringLiteral("group"), failureFingerprint(QByteArrayView(entry.raw())).groupId() },
        { QStringLiteral("retryable"), entry.isRetryable() },
        { QStringLiteral("problem"), entry.problem() },
    };
}

QString oneLine(QString text, int width)
{
    text.replace(QLatin1Char('\n'), QLatin1Char(' ')).replace(QLatin1Char('\r'), QLatin1Char(' '));
    return text.size() > width ? text.left(width - 3) + QStringLiteral("...") : text;
}

// "1 entry", "3 entries": every count a person reads.
QString counted(qint64 n, const char *one, const char *many)
{
    return QStringLiteral("%1 %2").arg(n).arg(QLatin1String(n == 1 ? one : many));
}

QString entries(qint64 n)
{
    return counted(n, "entry", "entries");
}

// `list` in text: our ids are UUIDs (36 characters), ids derived from other tools' text
// ("sha1-...") are shorter; the columns line up for both.
constexpr int IdWidth = 36;

QString entryHeader()
{
    return QStringLiteral("%1  %2  %3  %4  %5  %6")
        .arg(QStringLiteral("ID").leftJustified(IdWidth), QStringLiteral("STATUS"),
             QStringLiteral("RETRIES"), QStringLiteral("RECEIVED").leftJustified(24),
             QStringLiteral("TOPIC"), QStringLiteral("ERROR"));
}

QString entryLine(const DeadLetterEntry &entry)
{
    if (!entry.isRetryable())
        return QStringLiteral("%1  not an entry: %2")
            .arg(entry.id().leftJustified(IdWidth), entry.problem());
    return QStringLiteral("%1  %2  %3  %4  %5  %6")
        .arg(entry.id().leftJustified(IdWidth),
             QString::number(entry.statusCode()).rightJustified(6),
             QString::number(entry.retryCount()).rightJustified(7),
             timeText(entry.receivedAt()).leftJustified(24),
             entry.topic().isEmpty() ? QStringLiteral("-") : entry.topic(),
             oneLine(entry.errorMessage(), 100));
}

// One audit record as a line: when, who, then what was done to which entries and how it ended
// (each said once; AuditRecord::summary() is the log's form, which repeats who and when).
QString auditLine(const AuditRecord &record)
{
    QString what = auditActionName(record.action);
    if (!record.list.isEmpty()) {
        what += QStringLiteral(" %1 %2 %3")
                    .arg(entries(record.count),
                         record.action == AuditAction::Import ? QStringLiteral("into")
                                                              : QStringLiteral("of"),
                         record.list);
    }
    if (!record.target.isEmpty())
        what += QStringLiteral(" to %1").arg(record.target);
    switch (record.scope) {
    case AuditScope::Entry:
    case AuditScope::Selection:
        if (!record.ids.isEmpty()) {
            constexpr qsizetype Shown = 3;
            const qsizetype more = record.ids.size() - Shown;
            what += QStringLiteral(" (%1%2)").arg(
                record.ids.mid(0, Shown).join(QStringLiteral(", ")),
                record.truncated ? QStringLiteral(" and more")
                    : more > 0   ? QStringLiteral(" and %1 more").arg(more)
                                 : QString());
        }
        break;
    case AuditScope::Filter:
        what += QStringLiteral(" matching \"%1\"").arg(record.filter);
        break;
    case AuditScope::Group:
        what += QStringLiteral(" in group %1").arg(record.group);
        break;
    case AuditScope::List:
        if (!record.list.isEmpty() && record.action != AuditAction::Import)
            what += QStringLiteral(" (whole list)");
        break;
    case AuditScope::None:
        break;
    }
    if (!record.detail.isEmpty()) {
        what += record.action == AuditAction::Import ? QStringLiteral(" from %1").arg(record.detail)
            : record.action == AuditAction::Export   ? QStringLiteral(" to %1").arg(record.detail)
                                                     : QStringLiteral(" (%1)").arg(record.detail);
    }
    what += QStringLiteral(": %1").arg(auditOutcomeName(record.outcome));
    if (!record.reason.isEmpty())
        what += QStringLiteral(" (%1)").arg(record.reason);
    return QStringLiteral("%1  %2@%3 (%4)  %5")
        .arg(QDateTime::fromMSecsSinceEpoch(record.atMs, Qt::UTC).toString(Qt::ISODateWithMs),
             record.user, record.host, record.client, what);
}

// What to do about a Redis that refused the login, for someone at a shell.
QString loginHint(const QString &reason, const QString &keychainProblem)
{
    QString hint;
    if (reason.contains(QLatin1String("NOAUTH")))
        hint = QStringLiteral("Redis wants a password and none was given. Give it in "
                              "REDRIVE_REDIS_PASSWORD, in $CREDENTIALS_DIRECTORY/redis-password, "
                              "or in the OS keychain (entry redis-password of service Redrive); "
                              "for an ACL user, name the user in the URL: --redis "
                              "redis://USER@HOST:PORT (never the password).");
    else if (reason.contains(QLatin1String("WRONGPASS"))
             || reason.contains(QLatin1String("invalid password")))
        hint = QStringLiteral("Redis refused the user or password: check REDRIVE_REDIS_PASSWORD "
                              "(or $CREDENTIALS_DIRECTORY/redis-password, or the keychain entry "
                              "redis-password) and the user in the URL.");
    else
        return {};
    if (!keychainProblem.isEmpty())
        hint += QStringLiteral(" The keychain was not used: %1").arg(keychainProblem);
    return hint;
}

bool isYes(const QString &answer)
{
    const QString a = answer.trimmed().toLower();
    return a == QLatin1String("y") || a == QLatin1String("yes");
}

} // namespace

QueueCommand::QueueCommand(const QStringList &arguments, Settings *settings,
                           CredentialStore *credentials, QueueCommandIo io, QObject *parent)
    : QObject(parent)
    , m_arguments(arguments)
    , m_settings(settings)
    , m_credentials(credentials)
    , m_io(std::move(io))
{ }

QueueCommand::~QueueCommand() = default;

QList<QCommandLineOption> QueueCommand::ownOptions()
{
    return {
        QCommandLineOption(QStringLiteral("list"),
                           QStringLiteral("The list to act on: dlq (default) or permanent."),
                           QStringLiteral("dlq|permanent")),
        QCommandLineOption(QStringLiteral("filter"),
                           QStringLiteral("Only entries whose stored text contains TEXT (case "
                                          "sensitive); audit: records that contain it (any "
                                          "case)."),
                           QStringLiteral("TEXT")),
        QCommandLineOption(QStringLiteral("group"),
                           QStringLiteral("Only the entries of this failure group (see groups)."),
                           QStringLiteral("ID")),
        QCommandLineOption(QStringLiteral("all"),
                           QStringLiteral("retry, delete, move: every entry of the list.")),
        QCommandLineOption(QStringLiteral("json"),
                           QStringLiteral("One JSON object per line, with the field names of "
                                          "docs/CLI.md.")),
        QCommandLineOption(QStringLiteral("limit"),
                           QStringLiteral("At most N lines (list, groups, audit; 0: no limit). "
                                          "Default: no limit; audit 100."),
                           QStringLiteral("N")),
        QCommandLineOption(QStringLiteral("output"),
                           QStringLiteral("export: write to FILE instead of stdout."),
                           QStringLiteral("FILE")),
        QCommandLineOption(QStringList { QStringLiteral("y"), QStringLiteral("yes") },
                           QStringLiteral("Do it without asking: retry, delete, move and import "
                                          "ask on a terminal, and are refused without --yes "
                                          "when stdin is not one.")),
    };
}

QList<QCommandLineOption> QueueCommand::settingOptions()
{
    QStringList flags;
    for (const SettingKey key : kSettingKeys)
        flags.append(Settings::spec(key).flag);
    QList<QCommandLineOption> options;
    for (const QCommandLineOption &option : Settings::commandLineOptions()) {
        if (flags.contains(option.names().constFirst()))
            options.append(option);
    }
    return options;
}

QString QueueCommand::usage()
{
    QString text = QStringLiteral(
        "Usage: redrive queue <command> [options]\n"
        "\n"
        "Commands:\n"
        "  stats              lengths of both lists, entries waiting for their backoff,\n"
        "                     in flight, audit records\n"
        "  list               the entries of --list, newest first (--filter, --group, --limit)\n"
        "  show ID            one entry in full (both lists, or --list)\n"
        "  groups             the failure groups of --list, largest first\n"
        "  retry              DLQ: due now; permanent: back to the DLQ, attempts reset\n"
        "  delete             remove entries\n"
        "  move               from the permanent failures back to the DLQ, attempts reset\n"
        "  export             JSON Lines, newest first, to stdout or --output FILE\n"
        "  import FILE|-      append the JSON Lines of FILE (or stdin) to --list\n"
        "  audit              the audit trail, newest first (--limit, default 100; --filter)\n"
        "\n"
        "retry, delete, move and export act on IDs given as arguments, or on --filter TEXT,\n"
        "--group ID or --all (export: the whole list by default).\n"
        "\n"
        "Options:\n");
    for (const QCommandLineOption &option : ownOptions() + settingOptions()) {
        QStringList names;
        for (const QString &name : option.names())
            names.append((name.size() == 1 ? QStringLiteral("-") : QStringLiteral("--")) + name);
        text += QStringLiteral("  %1%2\n      %3\n")
                    .arg(names.join(QStringLiteral(", ")),
                         option.valueName().isEmpty() ? QString()
                                                      : QLatin1Char(' ') + option.valueName(),
                         option.description());
    }
    text += QStringLiteral(
        "\n"
        "The Redis password comes from $CREDENTIALS_DIRECTORY/redis-password,\n"
        "REDRIVE_REDIS_PASSWORD or the keychain (never the command line); without --redis the\n"
        "command uses the embedded Redis of a running Redrive (its socket in --data-dir).\n"
        "Exit codes: 0 done, 1 Redis or the operation failed (or was not confirmed),\n"
        "2 usage or configuration error.");
    return text;
}

void QueueCommand::line(const QString &text)
{
    m_io.out->write(terminalSafe(text).toUtf8() + '\n');
}

void QueueCommand::jsonLine(const QJsonObject &object)
{
    m_io.out->write(QJsonDocument(object).toJson(QJsonDocument::Compact) + '\n');
}

QString QueueCommand::listName(QueueStore::List list) const
{
    return list == QueueStore::List::DeadLetter ? QStringLiteral("dlq")
                                                : QStringLiteral("permanent");
}

void QueueCommand::finishNow(int exitCode)
{
    if (m_finished)
        return;
    m_finished = true;
    m_exitCode = exitCode;
    Q_EMIT finished(exitCode);
}

void QueueCommand::done(int exitCode)
{
    if (m_finished || m_finishing)
        return;
    m_finishing = true;
    // The records of what was done reach the log before the operation's callback: a process
    // that quit now would take them with it. Wait until Redis took them (or they are lost).
    const auto settle
        = [this, exitCode] { finishNow(m_auditLost && exitCode == Success ? Failure : exitCode); };
    if (!m_audit || m_audit->pendingCount() == 0) {
        settle();
        return;
    }
    connect(m_audit.get(), &AuditLog::settled, this, settle);
    QTimer::singleShot(AuditSettleMs, this, [this, settle] {
        if (m_finished)
            return;
        m_io.err(QStringLiteral("The audit trail has not taken %1 record(s) of this command "
                                "after %2 s (Redis at %3): they are lost.")
                     .arg(m_audit->pendingCount())
                     .arg(AuditSettleMs / 1000)
                     .arg(m_displayUrl));
        m_auditLost = true;
        settle();
    });
}

void QueueCommand::fail(int exitCode, const QString &message)
{
    if (m_finished || m_finishing)
        return;
    m_io.err(message);
    done(exitCode);
}

QString QueueCommand::noSuchGroup() const
{
    return QStringLiteral("No failure group %1 in %2 (`redrive queue groups%3` lists its groups).")
        .arg(m_group, QString::fromUtf8(m_store->key(m_list)),
             m_list == QueueStore::List::PermanentFailures ? QStringLiteral(" --list permanent")
                                                           : QString());
}

bool QueueCommand::outputClosed() const
{
    return m_outputClosed || (m_io.outputClosed && m_io.outputClosed());
}

bool QueueCommand::changesLists() const
{
    return m_command == QLatin1String("retry") || m_command == QLatin1String("delete")
        || m_command == QLatin1String("move") || m_command == QLatin1String("import");
}

bool QueueCommand::parse(QString *error)
{
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    parser.addOptions(ownOptions());
    parser.addOptions(settingOptions());
    parser.addOption(
        QCommandLineOption(QStringList { QStringLiteral("h"), QStringLiteral("help") }));
    if (!parser.parse(QStringList { QStringLiteral("redrive-queue") } + m_arguments)) {
        *error = parser.errorText();
        return false;
    }
    if (parser.isSet(QStringLiteral("help"))) {
        m_command = QStringLiteral("help");
        return true;
    }
    m_positional = parser.positionalArguments();
    m_command = m_positional.isEmpty() ? QString() : m_positional.takeFirst();
    if (m_command.isEmpty()) {
        *error = usage();
        return false;
    }
    if (!kCommands.contains(m_command)) {
        *error = QStringLiteral("Unknown command \"%1\".").arg(m_command);
        return false;
    }

    QStringList settingErrors;
    m_settings->applyCommandLine(parser, &settingErrors);
    if (!settingErrors.isEmpty()) {
        *error = settingErrors.join(QLatin1Char('\n'));
        return false;
    }

    m_listGiven = parser.isSet(QStringLiteral("list"));
    if (m_listGiven) {
        const QString list = parser.value(QStringLiteral("list"));
        if (list == QLatin1String("dlq"))
            m_list = QueueStore::List::DeadLetter;
        else if (list == QLatin1String("permanent"))
            m_list = QueueStore::List::PermanentFailures;
        else {
            *error = QStringLiteral("--list takes dlq or permanent, not \"%1\".").arg(list);
            return false;
        }
    }
    m_json = parser.isSet(QStringLiteral("json"));
    m_yes = parser.isSet(QStringLiteral("yes"));
    m_output = parser.value(QStringLiteral("output"));
    if (parser.isSet(QStringLiteral("limit"))) {
        bool ok = false;
        m_limit = parser.value(QStringLiteral("limit")).toLongLong(&ok);
        if (!ok || m_limit < 0) {
            *error = QStringLiteral("--limit takes a number of 0 or more (0: no limit), not "
                                    "\"%1\".")
                         .arg(parser.value(QStringLiteral("limit")));
            return false;
        }
    }
    const bool hasFilter = parser.isSet(QStringLiteral("filter"));
    const bool hasGroup = parser.isSet(QStringLiteral("group"));
    const bool hasAll = parser.isSet(QStringLiteral("all"));
    m_filter = parser.value(QStringLiteral("filter"));
    m_group = parser.value(QStringLiteral("group")).trimmed();
    if (hasGroup && m_group.isEmpty()) {
        *error = QStringLiteral("--group takes a group id (see `redrive queue groups`).");
        return false;
    }

    const auto refuse = [&](bool given, const QString &option) {
        if (given)
            *error = QStringLiteral("%1 does not apply to %2.").arg(option, m_command);
        return given;
    };
    const bool bulk = m_command == QLatin1String("retry") || m_command == QLatin1String("delete")
        || m_command == QLatin1String("move") || m_command == QLatin1String("export");
    if (refuse(!bulk && hasAll, QStringLiteral("--all"))
        || refuse(m_command != QLatin1String("export") && !m_output.isEmpty(),
                  QStringLiteral("--output"))
        || refuse(m_command != QLatin1String("list") && m_command != QLatin1String("groups")
                      && m_command != QLatin1String("audit") && m_limit >= 0,
                  QStringLiteral("--limit"))
        || refuse(!changesLists() && m_yes, QStringLiteral("--yes"))
        || refuse((m_command == QLatin1String("stats") || m_command == QLatin1String("show")
                   || m_command == QLatin1String("groups") || m_command == QLatin1String("import")
                   || m_command == QLatin1String("audit"))
                      && hasGroup,
                  QStringLiteral("--group"))
        || refuse((m_command == QLatin1String("stats") || m_command == QLatin1String("show")
                   || m_command == QLatin1String("groups") || m_command == QLatin1String("import"))
                      && hasFilter,
                  QStringLiteral("--filter"))
        || refuse((m_command == QLatin1String("stats") || m_command == QLatin1String("audit"))
                      && m_listGiven,
                  QStringLiteral("--list")))
        return false;

    if (m_command == QLatin1String("move")) {
        if (m_listGiven && m_list != QueueStore::List::PermanentFailures) {
            *error = QStringLiteral("move takes entries from the permanent failures back to the "
                                    "DLQ (--list permanent); to retry DLQ entries now, use retry.");
            return false;
        }
        m_list = QueueStore::List::PermanentFailures;
    }

    if (m_command == QLatin1String("show")) {
        if (m_positional.size() != 1) {
            *error = QStringLiteral("show takes one entry id.");
            return false;
        }
    } else if (m_command == QLatin1String("import")) {
        if (m_positional.size() != 1) {
            *error = QStringLiteral("import takes one file (or - for stdin).");
            return false;
        }
    } else if (!bulk && !m_positional.isEmpty()) {
        *error = QStringLiteral("Unexpected argument \"%1\".").arg(m_positional.constFirst());
        return false;
    }

    if (bulk) {
        const int kinds
            = int(!m_positional.isEmpty()) + int(hasFilter) + int(hasGroup) + int(hasAll);
        if (kinds > 1) {
            *error = QStringLiteral("%1 takes one of: entry ids, --filter TEXT, --group ID, "
                                    "--all.")
                         .arg(m_command);
            return false;
        }
        m_selection = !m_positional.isEmpty() ? Selection::Ids
            : hasFilter                       ? Selection::Filter
            : hasGroup                        ? Selection::Group
            : hasAll                          ? Selection::All
                                              : Selection::None;
        if (m_selection == Selection::None) {
            if (m_command != QLatin1String("export")) {
                *error = QStringLiteral("Which entries? %1 takes entry ids, --filter TEXT, "
                                        "--group ID or --all.")
                             .arg(m_command);
                return false;
            }
            m_selection = Selection::All;
        }
        if (m_selection == Selection::Filter && m_filter.isEmpty()) {
            *error = QStringLiteral("--filter takes a text; for every entry, say --all.");
            return false;
        }
    } else if (m_command == QLatin1String("list")) {
        m_selection = hasGroup ? Selection::Group : hasFilter ? Selection::Filter : Selection::All;
    }

    if (changesLists() && !m_yes && !m_io.interactive) {
        *error = QStringLiteral("%1 changes the list and stdin is not a terminal, so nobody can "
                                "be asked: add --yes to do it.")
                     .arg(m_command);
        return false;
    }
    return true;
}

void QueueCommand::start()
{
    QString error;
    if (!parse(&error)) {
        fail(UsageError, QStringLiteral("%1\nSee `redrive queue --help`.").arg(error));
        return;
    }
    if (m_command == QLatin1String("help")) {
        line(usage());
        done(Success);
        return;
    }
    if (m_command == QLatin1String("import")) {
        // Read to the end first (QueueStore reads the device with atEnd(), which a pipe does
        // not answer reliably before it is drained), and keep only the lines that can be
        // entries.
        const QString path = m_positional.constFirst();
        QByteArray data;
        if (path == QLatin1String("-")) {
            data = m_io.in ? m_io.in->readAll() : QByteArray();
        } else {
            QFile file(path);
            if (!file.open(QIODevice::ReadOnly))
                return fail(Failure,
                            QStringLiteral("Cannot read %1: %2").arg(path, file.errorString()));
            data = file.readAll();
        }
        auto buffer = std::make_unique<QBuffer>();
        buffer->setData(
            importableLines(data, path == QLatin1String("-") ? QStringLiteral("stdin") : path));
        buffer->open(QIODevice::ReadOnly);
        m_file = std::move(buffer);
    }
    if (m_command == QLatin1String("export") && !m_output.isEmpty()) {
        auto file = std::make_unique<QFile>(m_output);
        if (!file->open(QIODevice::WriteOnly | QIODevice::Truncate))
            return fail(Failure,
                        QStringLiteral("Cannot write %1: %2").arg(m_output, file->errorString()));
        m_file = std::move(file);
    }
    readSecrets([this] { connectToRedis(); });
}

QByteArray QueueCommand::importableLines(const QByteArray &data, const QString &from)
{
    constexpr int WarningsShown = 20;
    QByteArray kept;
    qint64 number = 0;
    for (QByteArray line : data.split('\n')) {
        ++number;
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.trimmed().isEmpty())
            continue;
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(line, &error);
        if (!document.isObject()) {
            if (++m_importSkipped <= WarningsShown)
                m_io.err(QStringLiteral("warning: %1 line %2 skipped: %3")
                             .arg(from)
                             .arg(number)
                             .arg(document.isNull() ? QStringLiteral("not JSON (%1 at byte %2)")
                                                          .arg(error.errorString())
                                                          .arg(error.offset + 1)
                                                    : QStringLiteral("not a JSON object")));
            continue;
        }
        kept += line;
        kept += '\n';
        ++m_importLines;
    }
    if (m_importSkipped > WarningsShown)
        m_io.err(QStringLiteral("warning: %1 more lines of %2 skipped.")
                     .arg(m_importSkipped - WarningsShown)
                     .arg(from));
    return kept;
}

void QueueCommand::readSecrets(std::function<void()> then)
{
    if (!m_credentials) {
        then();
        return;
    }
    struct State
    {
        int pending = 2;
        QString fatal;
    };
    auto state = std::make_shared<State>();
    const auto one = [this, state, then](SecretKind kind, const SecretResult &result,
                                         QString *into) {
        if (result.ok)
            *into = result.value;
        else if (kind == SecretKind::RedisPassword)
            m_keychainProblem = result.error;
        if (!result.ok && result.error.contains(QLatin1String("did not answer")))
            state->fatal = QStringLiteral("%1: %2 Set %3, or REDRIVE_NO_KEYCHAIN=1 to run without "
                                          "the keychain.")
                               .arg(CredentialStore::displayName(kind), result.error,
                                    CredentialStore::environmentVariable(kind));
        if (--state->pending == 0) {
            if (!state->fatal.isEmpty())
                return fail(UsageError, state->fatal);
            then();
        }
    };
    m_credentials->read(SecretKind::RedisPassword, this, [this, one](const SecretResult &r) {
        one(SecretKind::RedisPassword, r, &m_redisPassword);
    });
    m_credentials->read(SecretKind::RedisSentinelPassword, this,
                        [this, one](const SecretResult &r) {
                            one(SecretKind::RedisSentinelPassword, r, &m_sentinelPassword);
                        });
}

void QueueCommand::connectToRedis()
{
    const EngineConfig config = EngineConfig::fromSettings(*m_settings);
    RedisEndpoint endpoint;
    QString error;
    if (config.redisUrl.isEmpty()) {
        // The embedded Redis of a running Redrive listens on a socket in its data folder.
        m_embedded = true;
        const QString folder = config.dataDirectory.isEmpty()
            ? EmbeddedRedis::defaultDataDirectory()
            : config.dataDirectory;
        endpoint.unixSocket = folder + QStringLiteral("/redis.sock");
    } else if (!RedisEndpoint::parse(config.redisUrl, &endpoint, &error)) {
        return fail(UsageError, QStringLiteral("--redis: %1").arg(error));
    } else {
        if (endpoint.kind == RedisEndpoint::Kind::Cluster) {
            // The queue's scripts touch several keys: in a cluster they must share one slot.
            if (const QString problem = config.keys.clusterProblem(); !problem.isEmpty())
                return fail(UsageError, problem);
            endpoint.clusterSlot = redisHashSlot(config.keys.dlq);
        }
        if (!m_redisPassword.isEmpty())
            endpoint.password = m_redisPassword;
        if (!m_sentinelPassword.isEmpty() && endpoint.kind == RedisEndpoint::Kind::Sentinel)
            endpoint.sentinelPassword = m_sentinelPassword;
        QStringList warnings;
        if (!config.applyRedisTls(&endpoint, &error, &warnings))
            return fail(UsageError, error);
        for (const QString &warning : std::as_const(warnings))
            m_io.err(QStringLiteral("warning: ") + warning);
    }
    m_displayUrl = endpoint.displayUrl();

    m_connection = std::make_unique<RedisConnection>(endpoint, QStringLiteral("redrive-cli"));
    m_audit = std::make_unique<AuditLog>(m_connection.get(), config.keys.audit());
    m_audit->setClient(QStringLiteral("cli"));
    connect(m_audit.get(), &AuditLog::lost, this,
            [this](const AuditRecord &record, const QString &reason) {
                m_auditLost = true;
                m_io.err(QStringLiteral("The audit trail did not take the record of this action "
                                        "(%1): %2")
                             .arg(reason, record.summary()));
            });
    m_store = std::make_unique<QueueStore>(m_connection.get(), config.keys);
    // Every change goes into the audit trail, as the console's do.
    m_store->setAuditLog(m_audit.get());
    m_store->setEventSource("cli");
    connect(m_connection.get(), &RedisConnection::ready, this, [this] {
        if (std::exchange(m_connected, true))
            return;
        run();
    });
    connect(
        m_connection.get(), &RedisConnection::attemptFailed, this, [this](const QString &reason) {
            if (m_connected)
                return;
            if (m_embedded) {
                return fail(Failure,
                            QStringLiteral("No running Redrive to ask: %1. Without a Redis URL the "
                                           "command uses the Redis a running Redrive started "
                                           "(its socket in the data folder, --data-dir): start "
                                           "Redrive first, or give --redis URL (or REDIS_URL).")
                                .arg(reason.contains(m_displayUrl)
                                         ? reason
                                         : QStringLiteral("%1: %2").arg(m_displayUrl, reason)));
            }
            QString message = reason.contains(m_displayUrl)
                ? QStringLiteral("Cannot reach Redis: %1").arg(reason)
                : QStringLiteral("Cannot reach Redis at %1: %2").arg(m_displayUrl, reason);
            if (const QString hint = loginHint(reason, m_keychainProblem); !hint.isEmpty())
                message += QLatin1Char('\n') + hint;
            fail(Failure, message);
        });
    m_connection->open();
}

void QueueCommand::run()
{
    if (m_command == QLatin1String("stats"))
        return runStats();
    if (m_command == QLatin1String("list"))
        return runList();
    if (m_command == QLatin1String("show"))
        return runShow(0);
    if (m_command == QLatin1String("groups"))
        return runGroups();
    if (m_command == QLatin1String("audit"))
        return runAudit();
    if (m_command == QLatin1String("import"))
        return runImport();
    runBulk();
}

void QueueCommand::runStats()
{
    struct Stats
    {
        qint64 dlq = 0;
        qint64 permanent = 0;
        qint64 waiting = 0;
        qint64 workers = 0;
        qint64 inFlight = 0;
        qint64 audit = 0;
        TrendSeries lastHour;
        int pending = 0;
        QString error;
    };
    auto stats = std::make_shared<Stats>();
    const QueueKeys &keys = m_store->keys();
    const auto finish = [this, stats, keys] {
        if (--stats->pending > 0)
            return;
        if (!stats->error.isEmpty())
            return fail(Failure, QStringLiteral("Redis at %1: %2").arg(m_displayUrl, stats->error));
        const qint64 due = qMax<qint64>(0, stats->dlq - stats->waiting);
        QJsonObject lastHour;
        QStringList hourText;
        for (int i = 0; i < TrendCounterCount; ++i) {
            const auto counter = TrendCounter(i);
            const QString name = QString::fromLatin1(trendCounterName(counter));
            lastHour.insert(name, stats->lastHour.total(counter));
            hourText.append(QStringLiteral("%1 %2").arg(stats->lastHour.total(counter)).arg(name));
        }
        if (m_json) {
            jsonLine(QJsonObject {
                { QStringLiteral("dlq_key"), QString::fromUtf8(keys.dlq) },
                { QStringLiteral("dlq"), stats->dlq },
                { QStringLiteral("due"), due },
                { QStringLiteral("waiting"), stats->waiting },
                { QStringLiteral("permanent_key"), QString::fromUtf8(keys.permanent) },
                { QStringLiteral("permanent"), stats->permanent },
                { QStringLiteral("in_flight"), stats->inFlight },
                { QStringLiteral("workers"), stats->workers },
                { QStringLiteral("audit_records"), stats->audit },
                { QStringLiteral("last_hour"), lastHour },
                { QStringLiteral("redis"), m_displayUrl },
            });
        } else {
            line(QStringLiteral("Redis:       %1").arg(m_displayUrl));
            line(QStringLiteral("DLQ:         %1 (%2 due now, %3 waiting for their backoff)  %4")
                     .arg(entries(stats->dlq))
                     .arg(due)
                     .arg(stats->waiting)
                     .arg(QString::fromUtf8(keys.dlq)));
            line(QStringLiteral("permanent:   %1  %2")
                     .arg(entries(stats->permanent), QString::fromUtf8(keys.permanent)));
            line(QStringLiteral("in flight:   %1 (%2)")
                     .arg(entries(stats->inFlight), counted(stats->workers, "worker", "workers")));
            line(QStringLiteral("audit trail: %1").arg(counted(stats->audit, "record", "records")));
            line(QStringLiteral("last hour:   %1").arg(hourText.join(QStringLiteral(", "))));
        }
        done(Success);
    };
    const auto ask = [this, stats, finish](const QList<QByteArray> &command, qint64 *into) {
        ++stats->pending;
        m_connection->command(command, this, [stats, finish, into](const RedisReply &reply) {
            if (reply.isError())
                stats->error = reply.errorText();
            else
                *into = reply.toInteger();
            finish();
        });
    };
    ++stats->pending; // until every command went out
    ask({ "LLEN", keys.dlq }, &stats->dlq);
    ask({ "LLEN", keys.permanent }, &stats->permanent);
    ask({ "ZCOUNT", keys.schedule(), QByteArray::number(QDateTime::currentMSecsSinceEpoch() + 1),
          "+inf" },
        &stats->waiting);
    ask({ "XLEN", m_audit->key() }, &stats->audit);
    // The trend counters every Redrive process on this Redis adds to (docs/TRENDS.md).
    ++stats->pending;
    TrendReader::read(m_connection.get(), keys, TrendRange::Hour,
                      QDateTime::currentMSecsSinceEpoch(), this,
                      [stats, finish](const TrendSeries &series) {
                          if (!series.ok())
                              stats->error = series.error;
                          stats->lastHour = series;
                          finish();
                      });
    ++stats->pending;
    m_connection->command(
        { "SMEMBERS", keys.workers() }, this, [this, stats, finish, keys](const RedisReply &reply) {
            if (reply.isError()) {
                stats->error = reply.errorText();
            } else {
                stats->workers = reply.elements().size();
                for (const RedisReply &worker : reply.elements()) {
                    ++stats->pending;
                    m_connection->command({ "LLEN", keys.inflight(worker.bytes()) }, this,
                                          [stats, finish](const RedisReply &r) {
                                              if (r.isError())
                                                  stats->error = r.errorText();
                                              else
                                                  stats->inFlight += r.toInteger();
                                              finish();
                                          });
                }
            }
            finish();
        });
    finish();
}

void QueueCommand::runList()
{
    auto shown = std::make_shared<qint64>(0);
    const qint64 limit = m_limit > 0 ? m_limit : -1;
    const QString list = listName(m_list);
    const QString needle = m_selection == Selection::Filter ? m_filter : QString();
    m_store->scan(
        m_list, needle, this,
        [this, shown, limit, list](const QList<ScanMatch> &matches) {
            QByteArray text;
            for (const ScanMatch &match : matches) {
                if (m_selection == Selection::Group
                    && !FailureGroupSelection::belongsTo(QByteArrayView(match.raw), m_group))
                    continue;
                const DeadLetterEntry entry = DeadLetterEntry::parse(match.raw);
                if (*shown == 0 && !m_json)
                    text += entryHeader().toUtf8() + '\n';
                text += m_json ? QJsonDocument(entryJson(entry, list, match.index))
                                     .toJson(QJsonDocument::Compact)
                               : terminalSafe(entryLine(entry)).toUtf8();
                text += '\n';
                if (++*shown == limit)
                    break;
            }
            // A reader that went away (`| head`): stop reading the list.
            if (m_io.out->write(text) != text.size()) {
                m_outputClosed = true;
                return false;
            }
            return *shown != limit && !m_interrupted;
        },
        [this, shown, limit](QueueError code, const QString &error) {
            // The reader took what it wanted (`list | head`): not an error.
            if (m_outputClosed)
                return done(Success);
            if (code != QueueError::None && !(code == QueueError::Cancelled && *shown == limit))
                return fail(Failure, error);
            if (*shown == 0 && m_selection == Selection::Group)
                return fail(Failure, noSuchGroup());
            if (*shown == 0 && !m_json)
                m_io.err(QStringLiteral("No entries."));
            done(Success);
        });
}

void QueueCommand::runShow(int listIndex)
{
    // Without --list, the DLQ first, then the permanent failures.
    const QList<QueueStore::List> lists = m_listGiven
        ? QList<QueueStore::List> { m_list }
        : QList<QueueStore::List> { QueueStore::List::DeadLetter,
                                    QueueStore::List::PermanentFailures };
    if (listIndex >= lists.size()) {
        QStringList keys;
        for (const QueueStore::List list : lists)
            keys.append(QString::fromUtf8(m_store->key(list)));
        return fail(Failure,
                    QStringLiteral("No entry with id %1 in %2.")
                        .arg(m_positional.constFirst(), keys.join(QStringLiteral(" or "))));
    }
    const QueueStore::List list = lists.at(listIndex);
    const QString id = m_positional.constFirst();
    // Our ids are in the stored text, so Redis narrows the walk; ids derived from the text of
    // other tools' entries ("sha1-...") are not, so those take a walk over every element.
    const QString needle = id.startsWith(QLatin1String("sha1-")) ? QString() : id;
    auto found = std::make_shared<bool>(false);
    m_store->scan(
        list, needle, this,
        [this, found, id, list](const QList<ScanMatch> &matches) {
            for (const ScanMatch &match : matches) {
                const DeadLetterEntry entry = DeadLetterEntry::parse(match.raw);
                if (entry.id() != id)
                    continue;
                *found = true;
                const QString name = listName(list);
                if (m_json) {
                    QJsonObject object = entryJson(entry, name, match.index);
                    object.insert(QStringLiteral("entry"),
                                  entry.isJsonObject() ? QJsonValue(entry.object())
                                                       : QJsonValue(QJsonValue::Null));
                    object.insert(QStringLiteral("raw"),
                                  entry.isJsonObject() ? QString()
                                                       : QString::fromUtf8(entry.raw()));
                    jsonLine(object);
                } else {
                    const FailureFingerprint fingerprint
                        = failureFingerprint(QByteArrayView(entry.raw()));
                    line(QStringLiteral("id:            %1%2")
                             .arg(entry.id(),
                                  entry.hasOwnId() ? QString()
                                                   : QStringLiteral(" (derived from the text)")));
                    line(QStringLiteral("list:          %1 (%2), index %3")
                             .arg(QString::fromUtf8(m_store->key(list)), name)
                             .arg(match.index));
                    line(QStringLiteral("group:         %1  %2")
                             .arg(fingerprint.groupId(), fingerprint.title()));
                    if (entry.isRetryable()) {
                        line(QStringLiteral("status:        %1").arg(entry.statusCode()));
                        line(QStringLiteral("error:         %1").arg(entry.errorMessage()));
                        line(QStringLiteral("retries:       %1").arg(entry.retryCount()));
                        line(QStringLiteral("received:      %1").arg(timeText(entry.receivedAt())));
                        line(QStringLiteral("next attempt:  %1")
                                 .arg(timeText(entry.nextAttemptAt())));
                        const auto orDash = [](const QString &text) {
                            return text.isEmpty() ? QStringLiteral("-") : text;
                        };
                        line(QStringLiteral("topic:         %1").arg(orDash(entry.topic())));
                        line(QStringLiteral("source:        %1").arg(orDash(entry.source())));
                    } else {
                        line(QStringLiteral("problem:       %1").arg(entry.problem()));
                    }
                    line(QString());
                    m_io.out->write(
                        entry.isJsonObject()
                            ? QJsonDocument(entry.object()).toJson(QJsonDocument::Indented)
                            : terminalSafe(QString::fromUtf8(entry.raw())).toUtf8() + '\n');
                }
                return false;
            }
            return true;
        },
        [this, found, listIndex](QueueError code, const QString &error) {
            if (*found)
                return done(Success);
            if (code != QueueError::None)
                return fail(Failure, error);
            runShow(listIndex + 1);
        });
}

void QueueCommand::runGroups()
{
    m_groupScan = std::make_unique<FailureGroupScan>(m_connection.get(), m_store->key(m_list));
    connect(
        m_groupScan.get(), &FailureGroupScan::finished, this, [this](const FailureGroups &result) {
            if (!result.ok())
                return fail(Failure, result.error);
            const QString list = listName(m_list);
            const qint64 limit = m_limit > 0 ? m_limit : -1;
            if (!m_json) {
                line(QStringLiteral("%1 (%2): %3 in %4%5")
                         .arg(QString::fromUtf8(m_store->key(m_list)), list,
                              entries(result.scanned),
                              counted(result.groups.size(), "group", "groups"))
                         .arg(result.approximate
                                  ? QStringLiteral(" (approximate: the list changed during "
                                                   "the count)")
                                  : QString()));
            }
            if (!m_json && !result.groups.isEmpty())
                line(QStringLiteral("%1  %2  %3  %4")
                         .arg(QStringLiteral("GROUP").leftJustified(12),
                              QStringLiteral("ENTRIES").rightJustified(8),
                              QStringLiteral("SHARE").rightJustified(6), QStringLiteral("TITLE")));
            qint64 shown = 0;
            for (const FailureGroup &group : result.groups) {
                if (shown++ == limit)
                    break;
                if (m_json) {
                    QJsonObject object = group.toJson();
                    object.insert(QStringLiteral("list"), list);
                    jsonLine(object);
                } else {
                    line(QStringLiteral("%1  %2  %3%  %4")
                             .arg(group.id.leftJustified(12),
                                  QString::number(group.count).rightJustified(8),
                                  QString::number(group.share * 100, 'f', 1).rightJustified(5),
                                  group.title));
                }
            }
            done(Success);
        });
    m_groupScan->start();
}

void QueueCommand::runAudit()
{
    m_auditRemaining = m_limit < 0 ? AuditDefaultLimit : m_limit == 0 ? -1 : m_limit;
    readAuditPage();
}

void QueueCommand::readAuditPage()
{
    const int count
        = m_auditRemaining < 0 ? AuditPageSize : int(qMin<qint64>(m_auditRemaining, AuditPageSize));
    const auto read = [this](const AuditPage &page) { auditPageRead(page); };
    if (m_filter.isEmpty())
        m_audit->readPage(m_auditCursor, count, this, read);
    else
        m_audit->search(m_filter, m_auditCursor, count, AuditSearchScan, this, read);
}

void QueueCommand::auditPageRead(const AuditPage &page)
{
    if (!page.ok())
        return fail(Failure, QStringLiteral("Audit trail: %1").arg(page.error));
    QByteArray text;
    for (const AuditRecord &record : page.records) {
        if (m_auditRemaining == 0)
            break;
        if (m_json) {
            text += record.toJsonLine();
        } else if (!record.isValid()) {
            text += terminalSafe(QStringLiteral("%1  not an audit record: %2")
                                     .arg(QString::fromLatin1(record.streamId), record.problem))
                        .toUtf8();
        } else {
            text += terminalSafe(auditLine(record)).toUtf8();
        }
        text += '\n';
        ++m_auditShown;
        if (m_auditRemaining > 0)
            --m_auditRemaining;
    }
    if (m_io.out->write(text) != text.size())
        return done(Success); // the reader took what it wanted (`| head`): not an error
    m_auditCursor = page.next;
    if (m_auditRemaining == 0 || page.next.isEmpty()) {
        if (m_auditShown == 0 && !m_json)
            m_io.err(QStringLiteral("No audit records."));
        return done(Success);
    }
    readAuditPage();
}

bool QueueCommand::interrupt()
{
    if (m_finished || m_finishing)
        return false;
    if (!m_changing) {
        // Nothing changed yet: stop at once.
        fail(Failure, QStringLiteral("Interrupted: nothing changed."));
        return true;
    }
    if (std::exchange(m_interrupted, true))
        return false;
    m_io.err(QStringLiteral("Stopping after the chunk in flight (what is done stays done; it is "
                            "in the audit trail). Interrupt again to quit at once."));
    if (m_groupSelection && m_groupSelection->isRunning())
        m_groupSelection->cancel();
    return true;
}

void QueueCommand::confirmThen(const QString &question, std::function<void()> then)
{
    if (m_yes) {
        then();
        return;
    }
    if (!isYes(m_io.ask(question + QStringLiteral(" [y/N] ")))) {
        fail(Failure, QStringLiteral("Nothing changed."));
        return;
    }
    then();
}

void QueueCommand::runImport()
{
    const QString key = QString::fromUtf8(m_store->key(m_list));
    const QString from = m_positional.constFirst() == QLatin1String("-")
        ? QStringLiteral("stdin")
        : m_positional.constFirst();
    if (m_importLines == 0)
        return fail(Failure,
                    QStringLiteral("Nothing to import: %1 has no entries%2.")
                        .arg(from,
                             m_importSkipped > 0
                                 ? QStringLiteral(" (%1 skipped)")
                                       .arg(counted(m_importSkipped, "line", "lines"))
                                 : QString()));
    confirmThen(
        QStringLiteral("Append %1 of %2 to %3?").arg(entries(m_importLines), from, key),
        [this, key, from] {
            m_changing = true;
            m_store->importJsonLines(
                m_list, m_file.get(), this,
                [this, key, from](const BulkResult &result) {
                    if (m_json)
                        jsonLine(QJsonObject {
                            { QStringLiteral("action"), QStringLiteral("import") },
                            { QStringLiteral("list"), listName(m_list) },
                            { QStringLiteral("key"), key },
                            { QStringLiteral("done"), result.done },
                            { QStringLiteral("missing"), 0 },
                            { QStringLiteral("skipped"), m_importSkipped },
                            { QStringLiteral("error"), result.error },
                        });
                    if (result.code != QueueError::None)
                        return fail(Failure,
                                    QStringLiteral("Import stopped after %1: %2")
                                        .arg(entries(result.done), result.error));
                    if (!m_json)
                        line(QStringLiteral("Imported %1 from %2 into %3%4.")
                                 .arg(entries(result.done), from, key,
                                      m_importSkipped > 0
                                          ? QStringLiteral("; skipped %1 that %2 not "
                                                           "JSON objects (see the "
                                                           "warnings)")
                                                .arg(counted(m_importSkipped, "line", "lines"),
                                                     m_importSkipped == 1 ? QStringLiteral("is")
                                                                          : QStringLiteral("are"))
                                          : QString()));
                    done(Success);
                },
                [this](qint64, qint64) { return !m_interrupted; },
                AuditContext { QString(), QString(), from });
        });
}

void QueueCommand::collectIds(std::function<void(const QList<DeadLetterEntry> &)> then)
{
    auto wanted = std::make_shared<QStringList>(m_positional);
    wanted->removeDuplicates();
    auto found = std::make_shared<QList<DeadLetterEntry>>();
    const QString needle = wanted->size() == 1 && !wanted->constFirst().startsWith(u"sha1-")
        ? wanted->constFirst()
        : QString();
    m_store->scan(
        m_list, needle, this,
        [wanted, found](const QList<ScanMatch> &matches) {
            for (const ScanMatch &match : matches) {
                DeadLetterEntry entry = DeadLetterEntry::parse(match.raw);
                if (wanted->removeOne(entry.id()))
                    found->append(std::move(entry));
            }
            return !wanted->isEmpty();
        },
        [this, wanted, found, then](QueueError code, const QString &error) {
            if (!wanted->isEmpty()) {
                if (code != QueueError::None)
                    return fail(Failure, error);
                return fail(Failure,
                            QStringLiteral("No entry with id %1 in %2: nothing changed.")
                                .arg(wanted->join(QStringLiteral(", ")),
                                     QString::fromUtf8(m_store->key(m_list))));
            }
            then(*found);
        });
}

void QueueCommand::runGroupAction()
{
    using Action = FailureGroupSelection::Action;
    const Action action = m_command == QLatin1String("export") ? Action::Export
        : m_command == QLatin1String("delete")                 ? Action::Remove
        : m_command == QLatin1String("move")                   ? Action::MoveToDlq
                                                               : Action::RetryNow;
    m_groupSelection = std::make_unique<FailureGroupSelection>(m_store.get(), m_connection.get(),
                                                               m_list, m_group);
    const QString verb = action == Action::Export       ? QStringLiteral("Exported")
        : action == Action::Remove                      ? QStringLiteral("Deleted")
        : m_list == QueueStore::List::PermanentFailures ? QStringLiteral("Moved")
                                                        : QStringLiteral("Retried");
    connect(
        m_groupSelection.get(), &FailureGroupSelection::finished, this,
        [this, action, verb](const FailureGroupSelectionResult &result) {
            if (m_groupSelection->action() != Action::Count) {
                BulkResult bulk;
                bulk.done = int(result.done);
                bulk.missing = int(result.missing);
                bulk.code = result.code;
                bulk.error = result.error;
                if (result.approximate && result.ok())
                    m_io.err(QStringLiteral("warning: the list moved under the walk more than "
                                            "it could follow: some members of group %1 may "
                                            "have been missed; run it again for the rest.")
                                 .arg(m_group));
                return reportBulk(bulk, verb);
            }
            if (!result.ok())
                return fail(Failure, result.error);
            const QString key = QString::fromUtf8(m_store->key(m_list));
            if (result.matched == 0)
                return fail(Failure, noSuchGroup() + QStringLiteral(" Nothing changed."));
            const QString what
                = QStringLiteral("%1 of group %2 in %3").arg(entries(result.matched), m_group, key);
            const QString question = action == Action::Remove
                ? QStringLiteral("Delete the %1? This cannot be undone.").arg(what)
                : m_list == QueueStore::List::PermanentFailures
                ? QStringLiteral("Move the %1 back to %2 (attempts reset, due now)?")
                      .arg(what, QString::fromUtf8(m_store->keys().dlq))
                : QStringLiteral("Retry the %1 now (due at once, the worker sends them on "
                                 "its next pass)?")
                      .arg(what);
            confirmThen(question, [this, action] {
                m_changing = true;
                m_groupSelection->start(action);
            });
        });
    if (action == Action::Export) {
        m_groupSelection->setExportDevice(m_file ? m_file.get() : m_io.out);
        // As for an export without --group: the audit record names the file, or stdout.
        m_groupSelection->setAuditDetail(m_file ? m_output : QStringLiteral("stdout"));
        m_groupSelection->start(Action::Export);
        return;
    }
    // The count first: the question says it, and a group with no member here is an error.
    m_groupSelection->start(Action::Count);
}

void QueueCommand::runBulk()
{
    if (m_selection == Selection::Ids) {
        collectIds([this](const QList<DeadLetterEntry> &entries) { act(entries); });
        return;
    }
    if (m_selection == Selection::Group)
        return runGroupAction();
    if (m_command == QLatin1String("export")) {
        act({});
        return;
    }
    // A filter or --all: the count first, for the question (and "nothing to do").
    const QString filter = m_selection == Selection::Filter ? m_filter : QString();
    m_store->search(m_list, filter, 0, this, [this](const SearchResult &result) {
        if (result.code != QueueError::None)
            return fail(Failure, result.error);
        if (result.matches == 0) {
            if (m_json)
                jsonLine(QJsonObject {
                    { QStringLiteral("action"), m_command },
                    { QStringLiteral("list"), listName(m_list) },
                    { QStringLiteral("key"), QString::fromUtf8(m_store->key(m_list)) },
                    { QStringLiteral("done"), 0 },
                    { QStringLiteral("missing"), 0 },
                    { QStringLiteral("error"), QString() },
                });
            else
                line(QStringLiteral("No entries to %1.").arg(m_command));
            return done(Success);
        }
        QList<DeadLetterEntry> none;
        const QString scope = m_selection == Selection::Filter
            ? QStringLiteral(" matching \"%1\"").arg(m_filter)
            : QString();
        const QString key = QString::fromUtf8(m_store->key(m_list));
        const QString dlq = QString::fromUtf8(m_store->keys().dlq);
        QString question;
        if (m_command == QLatin1String("delete"))
            question = QStringLiteral("Delete %1 of %2%3? This cannot be undone.")
                           .arg(entries(result.matches), key, scope);
        else if (m_list == QueueStore::List::PermanentFailures)
            question = QStringLiteral("Move %1 of %2%3 back to %4 (attempts reset, due now)?")
                           .arg(entries(result.matches), key, scope, dlq);
        else
            question = QStringLiteral("Retry %1 of %2%3 now (due at once, the worker sends them "
                                      "on its next pass)?")
                           .arg(entries(result.matches), key, scope);
        confirmThen(question, [this] { act({}); });
    });
}

void QueueCommand::act(const QList<DeadLetterEntry> &entries)
{
    const bool byIds = m_selection == Selection::Ids;
    const QString filter = m_selection == Selection::Filter ? m_filter : QString();
    const auto report = [this](const QString &verb) {
        return [this, verb](const BulkResult &result) { reportBulk(result, verb); };
    };
    // Called between chunks: false stops the operation after the chunk in flight (Ctrl+C).
    const auto keepGoing = [this](qint64, qint64) { return !m_interrupted; };
    m_changing = m_command != QLatin1String("export");
    if (m_command == QLatin1String("export")) {
        QIODevice *device = m_file ? m_file.get() : m_io.out;
        m_store->exportJsonLines(
            m_list, filter, byIds ? entries : QList<DeadLetterEntry>(), device, this,
            report(QStringLiteral("Exported")), keepGoing,
            AuditContext { QString(), QString(), m_file ? m_output : QStringLiteral("stdout") });
        return;
    }
    if (byIds) {
        const QString key = QString::fromUtf8(m_store->key(m_list));
        const QString ids = m_positional.join(QStringLiteral(", "));
        const QString question = m_command == QLatin1String("delete")
            ? QStringLiteral("Delete %1 from %2? This cannot be undone.").arg(ids, key)
            : m_list == QueueStore::List::PermanentFailures
            ? QStringLiteral("Move %1 from %2 back to %3 (attempts reset, due now)?")
                  .arg(ids, key, QString::fromUtf8(m_store->keys().dlq))
            : QStringLiteral("Retry %1 of %2 now (due at once, the worker sends them on its next "
                             "pass)?")
                  .arg(ids, key);
        confirmThen(question, [this, entries, report, keepGoing] {
            if (m_command == QLatin1String("delete"))
                m_store->removeMany(m_list, entries, this, report(QStringLiteral("Deleted")),
                                    keepGoing);
            else if (m_list == QueueStore::List::PermanentFailures)
                m_store->moveToDlqMany(entries, this, report(QStringLiteral("Moved")), keepGoing);
            else
                m_store->retryNowMany(m_list, entries, this, report(QStringLiteral("Retried")),
                                      keepGoing);
        });
        return;
    }
    if (m_command == QLatin1String("delete"))
        m_store->removeMatching(m_list, filter, this, report(QStringLiteral("Deleted")), keepGoing);
    else if (m_list == QueueStore::List::PermanentFailures)
        m_store->moveToDlqMatching(filter, this, report(QStringLiteral("Moved")), keepGoing);
    else
        m_store->retryNowMatching(m_list, filter, this, report(QStringLiteral("Retried")),
                                  keepGoing);
}

void QueueCommand::reportBulk(const BulkResult &result, const QString &verb)
{
    const QString key = QString::fromUtf8(m_store->key(m_list));
    if (m_json && !(m_command == QLatin1String("export") && !m_file)) {
        jsonLine(QJsonObject {
            { QStringLiteral("action"), m_command },
            { QStringLiteral("list"), listName(m_list) },
            { QStringLiteral("key"), key },
            { QStringLiteral("done"), result.done },
            { QStringLiteral("missing"), result.missing },
            { QStringLiteral("error"), result.error },
        });
    }
    const bool toStdout = m_command == QLatin1String("export") && !m_file;
    // `export | head`: the reader took what it wanted, which is not an error (the audit trail
    // has the export as failed, with how many entries went out).
    if (result.code != QueueError::None && toStdout && outputClosed())
        return done(Success);
    const bool retryDlq = m_command != QLatin1String("export")
        && m_command != QLatin1String("delete") && m_list == QueueStore::List::DeadLetter;
    if (result.code != QueueError::None)
        return fail(Failure,
                    QStringLiteral("%1 %2 of %3, then: %4")
                        .arg(verb, entries(result.done), key, result.error));
    if (m_selection == Selection::Group && result.done == 0 && result.missing == 0)
        return fail(Failure, noSuchGroup());
    QString text = retryDlq ? QStringLiteral("Made %1 of %2 due now").arg(entries(result.done), key)
                            : QStringLiteral("%1 %2 of %3").arg(verb, entries(result.done), key);
    if (m_command == QLatin1String("export"))
        text += m_file ? QStringLiteral(" to %1").arg(m_output) : QString();
    else if (m_list == QueueStore::List::PermanentFailures && m_command != QLatin1String("delete"))
        text += QStringLiteral(" back to %1 (attempts reset, due now)")
                    .arg(QString::fromUtf8(m_store->keys().dlq));
    if (result.missing > 0)
        text += QStringLiteral("; %1 changed or left meanwhile and %2 not touched")
                    .arg(entries(result.missing),
                         result.missing == 1 ? QStringLiteral("was") : QStringLiteral("were"));
    text += QLatin1Char('.');
    if (retryDlq && result.done > 0)
        text += QStringLiteral(" A running worker sends %1 on its next pass.")
                    .arg(result.done == 1 ? QStringLiteral("it") : QStringLiteral("them"));
    // An export to stdout keeps stdout for its lines.
    if (toStdout)
        m_io.err(text);
    else if (!m_json)
        line(text);
    done(Success);
}

int runQueueCommand(const QStringList &arguments, Settings *settings, CredentialStore *credentials)
{
    QFile out;
    // Unbuffered: each chunk of results is one write, whose failure (a reader that went away;
    // Qt's network code ignores SIGPIPE) the command sees at once.
    out.open(STDOUT_FILENO, QIODevice::WriteOnly | QIODevice::Unbuffered,
             QFileDevice::DontCloseHandle);
    QFile in;
    in.open(STDIN_FILENO, QIODevice::ReadOnly, QFileDevice::DontCloseHandle);
    QueueCommandIo io;
    io.out = &out;
    io.in = &in;
    io.err = [](const QString &text) { std::fprintf(stderr, "%s\n", qPrintable(text)); };
    io.interactive = ::isatty(STDIN_FILENO) == 1;
    io.outputClosed = [] {
        // A pipe or socket whose reader closed its end reports an error to poll().
        pollfd descriptor { STDOUT_FILENO, POLLOUT, 0 };
        return ::poll(&descriptor, 1, 0) == 1 && (descriptor.revents & (POLLERR | POLLHUP));
    };
    // A reader that goes away (`| head`) is seen as a failed write, not a signal that kills the
    // process mid-change.
    ::signal(SIGPIPE, SIG_IGN);
    io.ask = [&out](const QString &question) {
        out.flush();
        std::fputs(qPrintable(question), stderr);
        std::fflush(stderr);
        char answer[256] = {};
        if (!std::fgets(answer, sizeof answer, stdin))
            return QString();
        return QString::fromLocal8Bit(answer);
    };
    QueueCommand command(arguments, settings, credentials, io);
    // SIGINT/SIGTERM reach the command from the event loop (through a socket pair: a signal
    // handler may only write); a second one, or one with nothing to stop gently, ends the
    // process as usual. Without SA_RESTART, so that a question waiting for its answer ends.
    static int signalPipe[2] = { -1, -1 };
    std::unique_ptr<QSocketNotifier> notifier;
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, signalPipe) == 0) {
        notifier = std::make_unique<QSocketNotifier>(signalPipe[0], QSocketNotifier::Read);
        QObject::connect(notifier.get(), &QSocketNotifier::activated, &command, [&command] {
            char number = 0;
            if (::read(signalPipe[0], &number, 1) != 1)
                return;
            if (!command.interrupt()) {
                ::signal(number, SIG_DFL);
                ::raise(number);
            }
        });
        struct sigaction action = {};
        action.sa_handler = [](int number) {
            const char byte = char(number);
            [[maybe_unused]] const ssize_t written = ::write(signalPipe[1], &byte, 1);
        };
        sigemptyset(&action.sa_mask);
        sigaction(SIGINT, &action, nullptr);
        sigaction(SIGTERM, &action, nullptr);
    }
    QEventLoop loop;
    QObject::connect(&command, &QueueCommand::finished, &loop, &QEventLoop::quit);
    command.start();
    if (!command.isFinished())
        loop.exec();
    out.flush();
    return command.exitCode();
}

} // namespace redrive::core
