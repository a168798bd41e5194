// SPDX-License-Identifier: MIT
#include "core/audit/auditrecord.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QSysInfo>

#include <algorithm>
#include <array>

#ifdef Q_OS_UNIX
#include <pwd.h>
#include <unistd.h>
#endif

namespace redrive::core {

namespace {

// The stored format; a reader that meets another version shows the entry as not understood.
constexpr QByteArrayView FormatVersion = "1";

template<typename Enum, size_t N>
bool fromName(const std::array<std::pair<Enum, const char *>, N> &names, QStringView name,
              Enum *value)
{
    for (const auto &[candidate, text] : names) {
        if (name == QLatin1String(text)) {
            *value = candidate;
            return true;
        }
    }
    return false;
}

template<typename Enum, size_t N>
QString toName(const std::array<std::pair<Enum, const char *>, N> &names, Enum value)
{
    for (const auto &[candidate, text] : names) {
        if (candidate == value)
            return QLatin1String(text);
    }
    return QString();
}

constexpr std::array<std::pair<AuditAction, const char *>, 9> ActionNames { {
    { AuditAction::Retry, "retry" },
    { AuditAction::Edit, "edit" },
    { AuditAction::Delete, "delete" },
    { AuditAction::Move, "move" },
    { AuditAction::Purge, "purge" },
    { AuditAction::Import, "import" },
    { AuditAction::Export, "export" },
    { AuditAction::Register, "register" },
    { AuditAction::Unregister, "unregister" },
} };

constexpr std::array<std::pair<AuditScope, const char *>, 6> ScopeNames { {
    { AuditScope::Entry, "entry" },
    { AuditScope::Selection, "selection" },
    { AuditScope::Filter, "filter" },
    { AuditScope::Group, "group" },
    { AuditScope::List, "list" },
    { AuditScope::None, "none" },
} };

constexpr std::array<std::pair<AuditOutcome, const char *>, 3> OutcomeNames { {
    { AuditOutcome::Done, "done" },
    { AuditOutcome::Failed, "failed" },
    { AuditOutcome::Cancelled, "cancelled" },
} };

QString userName()
{
#ifdef Q_OS_UNIX
    // The account the process runs as, whatever the environment claims.
    if (const passwd *account = getpwuid(geteuid()); account && account->pw_name)
        return QString::fromLocal8Bit(account->pw_name);
#endif
    for (const char *name : { "USER", "LOGNAME", "USERNAME" }) {
        const QString value = qEnvironmentVariable(name);
        if (!value.isEmpty())
            return value;
    }
    return QStringLiteral("unknown");
}

QString isoTime(qint64 ms)
{
    return QDateTime::fromMSecsSinceEpoch(ms).toUTC().toString(Qt::ISODateWithMs);
}

} // namespace

const AuditIdentity &AuditIdentity::local()
{
    static const AuditIdentity identity { userName(), QSysInfo::machineHostName() };
    return identity;
}

QString auditActionName(AuditAction action)
{
    return toName(ActionNames, action);
}
bool auditActionFromName(QStringView name, AuditAction *action)
{
    return fromName(ActionNames, name, action);
}
QString auditScopeName(AuditScope scope)
{
    return toName(ScopeNames, scope);
}
bool auditScopeFromName(QStringView name, AuditScope *scope)
{
    return fromName(ScopeNames, name, scope);
}
QString auditOutcomeName(AuditOutcome outcome)
{
    return toName(OutcomeNames, outcome);
}
bool auditOutcomeFromName(QStringView name, AuditOutcome *outcome)
{
    return fromName(OutcomeNames, name, outcome);
}

QList<QByteArray> AuditRecord::toStreamFields() const
{
    QList<QByteArray> fields { QByteArrayLiteral("v"),       FormatVersion.toByteArray(),
                               QByteArrayLiteral("at"),      QByteArray::number(atMs),
                               QByteArrayLiteral("action"),  auditActionName(action).toUtf8(),
                               QByteArrayLiteral("scope"),   auditScopeName(scope).toUtf8(),
                               QByteArrayLiteral("outcome"), auditOutcomeName(outcome).toUtf8(),
                               QByteArrayLiteral("count"),   QByteArray::number(count) };
    const auto add = [&fields](const char *name, const QString &value) {
        if (!value.isEmpty())
            fields << QByteArray(name) << value.toUtf8();
    };
    add("user", user);
    add("host", host);
    add("client", client);
    add("list", list);
    add("target", target);
    if (!ids.isEmpty())
        fields << QByteArrayLiteral("ids")
               << QJsonDocument(QJsonArray::fromStringList(ids)).toJson(QJsonDocument::Compact);
    add("filter", filter);
    add("group", group);
    add("reason", reason);
    add("detail", detail);
    add("before", before);
    add("after", after);
    if (truncated)
        fields << QByteArrayLiteral("truncated") << QByteArrayLiteral("1");
    return fields;
}

AuditRecord AuditRecord::fromStreamEntry(const QByteArray &id,
                                         const QList<std::pair<QByteArray, QByteArray>> &fields)
{
    AuditRecord record;
    record.streamId = id;
    record.rawFields = fields;
    QStringList problems;
    bool hasVersion = false, hasAt = false, hasAction = false, hasOutcome = false;
    for (const auto &[name, value] : fields) {
        const QString text = QString::fromUtf8(value);
        if (name == "v") {
            hasVersion = true;
            if (value != FormatVersion)
                problems << QStringLiteral("format version \"%1\" not understood").arg(text);
        } else if (name == "at") {
            bool ok = false;
            record.atMs = value.toLongLong(&ok);
            hasAt = ok;
            if (!ok)
                problems << QStringLiteral("time \"%1\" is not a number").arg(text);
        } else if (name == "action") {
            hasAction = auditActionFromName(text, &record.action);
            if (!hasAction)
                problems << QStringLiteral("unknown action \"%1\"").arg(text);
        } else if (name == "scope") {
            if (!auditScopeFromName(text, &record.scope))
                problems << QStringLiteral("unknown scope \"%1\"").arg(text);
        } else if (name == "outcome") {
            hasOutcome = auditOutcomeFromName(text, &record.outcome);
            if (!hasOutcome)
                problems << QStringLiteral("unknown outcome \"%1\"").arg(text);
        } else if (name == "count") {
            bool ok = false;
            record.count = value.toLongLong(&ok);
            if (!ok)
                problems << QStringLiteral("count \"%1\" is not a number").arg(text);
        } else if (name == "ids") {
            const QJsonDocument document = QJsonDocument::fromJson(value);
            if (!document.isArray())
                problems << QStringLiteral("ids are not a JSON array");
            for (const QJsonValue &item : document.array())
                record.ids << item.toString();
        } else if (name == "user") {
            record.user = text;
        } else if (name == "host") {
            record.host = text;
        } else if (name == "client") {
            record.client = text;
        } else if (name == "list") {
            record.list = text;
        } else if (name == "target") {
            record.target = text;
        } else if (name == "filter") {
            record.filter = text;
        } else if (name == "group") {
            record.group = text;
        } else if (name == "reason") {
            record.reason = text;
        } else if (name == "detail") {
            record.detail = text;
        } else if (name == "before") {
            record.before = text;
        } else if (name == "after") {
            record.after = text;
        } else if (name == "truncated") {
            record.truncated = value == "1";
        }
        // Fields a later version adds are left to it.
    }
    // A field that is there but wrong was named above; one that is missing is named here.
    const auto missing = [&fields](QByteArrayView wanted) {
        return std::none_of(fields.cbegin(), fields.cend(),
                            [wanted](const auto &field) { return field.first == wanted; });
    };
    if (!hasVersion)
        problems << QStringLiteral("no format version");
    if (!hasAt && missing("at"))
        problems << QStringLiteral("no time");
    if (!hasAction && missing("action"))
        problems << QStringLiteral("no action");
    if (!hasOutcome && missing("outcome"))
        problems << QStringLiteral("no outcome");
    if (!problems.isEmpty())
        record.problem = QStringLiteral("Not an audit record Redrive wrote: %1")
                             .arg(problems.join(QLatin1String("; ")));
    return record;
}

QJsonObject AuditRecord::toJson() const
{
    QJsonObject json;
    json.insert(QLatin1String("id"), QString::fromLatin1(streamId));
    json.insert(QLatin1String("garbage"), !isValid());
    if (!isValid()) {
        json.insert(QLatin1String("problem"), problem);
        QJsonObject raw;
        for (const auto &[name, value] : rawFields)
            raw.insert(QString::fromUtf8(name), QString::fromUtf8(value));
        json.insert(QLatin1String("fields"), raw);
        return json;
    }
    json.insert(QLatin1String("at"), isoTime(atMs));
    json.insert(QLatin1String("at_ms"), atMs);
    json.insert(QLatin1String("user"), user);
    json.insert(QLatin1String("host"), host);
    json.insert(QLatin1String("client"), client);
    json.insert(QLatin1String("action"), auditActionName(action));
    json.insert(QLatin1String("scope"), auditScopeName(scope));
    json.insert(QLatin1String("list"), list);
    json.insert(QLatin1String("target"), target);
    json.insert(QLatin1String("ids"), QJsonArray::fromStringList(ids));
    json.insert(QLatin1String("count"), count);
    json.insert(QLatin1String("filter"), filter);
    json.insert(QLatin1String("group"), group);
    json.insert(QLatin1String("outcome"), auditOutcomeName(outcome));
    json.insert(QLatin1String("reason"), reason);
    json.insert(QLatin1String("detail"), detail);
    json.insert(QLatin1String("before"), before);
    json.insert(QLatin1String("after"), after);
    json.insert(QLatin1String("truncated"), truncated);
    return json;
}

QByteArray AuditRecord::toJsonLine() const
{
    return QJsonDocument(toJson()).toJson(QJsonDocument::Compact);
}

QString AuditRecord::summary() const
{
    QString text = QStringLiteral("%1 %2").arg(auditActionName(action), auditScopeName(scope));
    if (!list.isEmpty())
        text += QStringLiteral(" on %1").arg(list);
    if (!target.isEmpty())
        text += QStringLiteral(" to %1").arg(target);
    text += QStringLiteral(", %1 entries").arg(count);
    if (!ids.isEmpty()) {
        constexpr qsizetype Shown = 3;
        text += QStringLiteral(" (%1%2)").arg(ids.mid(0, Shown).join(QLatin1String(", ")),
                                              ids.size() > Shown ? QStringLiteral(", ...")
                                                                 : QString());
    }
    if (!group.isEmpty())
        text += QStringLiteral(", group %1").arg(group);
    if (!filter.isEmpty())
        text += QStringLiteral(", filter \"%1\"").arg(filter);
    text += QStringLiteral(", %1").arg(auditOutcomeName(outcome));
    if (!reason.isEmpty())
        text += QStringLiteral(" (%1)").arg(reason);
    return text + QStringLiteral(", by %1@%2 at %3").arg(user, host, isoTime(atMs));
}

} // namespace redrive::core
