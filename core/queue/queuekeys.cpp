// SPDX-License-Identifier: MIT
#include "core/queue/queuekeys.h"

#include "core/redis/redishashslot.h"
#include "core/settings/settings.h"

#include <QStringList>

namespace redrive::core {

namespace {
// A hash tag in `prefix` itself: whatever is appended, the tag stays the one Redis hashes.
bool prefixKeepsTag(const QByteArray &prefix)
{
    const qsizetype open = prefix.indexOf('{');
    if (open < 0)
        return false;
    const qsizetype close = prefix.indexOf('}', open + 1);
    return close > open + 1;
}

// `name` with the hash tag `tag` in front, for the suggestion: the tutorial's "genesys_..."
// names become "{genesys}:...".
QByteArray tagged(const QByteArray &name, const QByteArray &tag)
{
    const QByteArray head = tag + '_';
    const QByteArray rest = name.startsWith(head) ? name.mid(head.size()) : name;
    return '{' + tag + "}:" + rest;
}

QString shellQuoted(const QByteArray &text)
{
    QString quoted = QString::fromUtf8(text);
    quoted.replace(QLatin1Char('\''), QLatin1String("'\\''"));
    return QLatin1Char('\'') + quoted + QLatin1Char('\'');
}
} // namespace

QueueKeys QueueKeys::fromSettings(const Settings &settings)
{
    QueueKeys keys;
    keys.dlq = settings.string(SettingKey::DlqKey).toUtf8();
    keys.permanent = settings.string(SettingKey::PermanentKey).toUtf8();
    keys.prefix = settings.string(SettingKey::KeyPrefix).toUtf8();
    keys.prefixSet = settings.source(SettingKey::KeyPrefix) != SettingSource::Default;
    if (!keys.prefixSet && prefixKeepsTag(keys.dlq))
        keys.prefix = keys.dlq + ':';
    return keys;
}

QString QueueKeys::clusterProblem() const
{
    const int slot = redisHashSlot(dlq);
    QStringList wrong;
    if (!redisHasHashTag(dlq))
        wrong.append(
            QStringLiteral("the DLQ key \"%1\" has no hash tag").arg(QString::fromUtf8(dlq)));
    if (!redisHasHashTag(permanent))
        wrong.append(QStringLiteral("the permanent-failures key \"%1\" has no hash tag")
                         .arg(QString::fromUtf8(permanent)));
    else if (redisHasHashTag(dlq) && redisHashSlot(permanent) != slot)
        wrong.append(QStringLiteral("the permanent-failures key \"%1\" is in slot %2, the DLQ key "
                                    "\"%3\" in slot %4")
                         .arg(QString::fromUtf8(permanent))
                         .arg(redisHashSlot(permanent))
                         .arg(QString::fromUtf8(dlq))
                         .arg(slot));
    // A prefix that follows the DLQ key is mended with it.
    if (!prefixKeepsTag(prefix) && (prefixSet || redisHasHashTag(dlq)))
        wrong.append(QStringLiteral("the key prefix \"%1\" has no hash tag of its own")
                         .arg(QString::fromUtf8(prefix)));
    else if (redisHasHashTag(dlq) && redisHashSlot(prefix) != slot)
        wrong.append(QStringLiteral("the key prefix \"%1\" is in slot %2, the DLQ key in slot %3")
                         .arg(QString::fromUtf8(prefix))
                         .arg(redisHashSlot(prefix))
                         .arg(slot));
    if (wrong.isEmpty())
        return QString();

    // The suggestion keeps the tag the DLQ key has, if any; else "genesys" (the tutorial's).
    const QByteArray tag
        = redisHasHashTag(dlq) ? redisHashTag(dlq).toByteArray() : QByteArrayLiteral("genesys");
    const QByteArray newDlq = redisHasHashTag(dlq) ? dlq : tagged(dlq, tag);
    const QByteArray newPermanent = redisHasHashTag(permanent) && redisHashTag(permanent) == tag
        ? permanent
        : tagged(permanent, tag);
    QString fix = QStringLiteral("--dlq-key %1 --permanent-key %2")
                      .arg(shellQuoted(newDlq), shellQuoted(newPermanent));
    // Without --key-prefix the other keys follow the DLQ key; a prefix given needs the tag too.
    if (prefixSet) {
        const QByteArray newPrefix
            = prefixKeepsTag(prefix) && redisHashTag(prefix) == tag ? prefix : tagged(prefix, tag);
        fix += QStringLiteral(" --key-prefix %1").arg(shellQuoted(newPrefix));
    }
    return QStringLiteral(
               "Redis Cluster: all of Redrive's keys must be in one hash slot (its scripts "
               "touch several at once), but %1. Give them one hash tag, e.g. %2 (the same with "
               "the REDRIVE_DLQ_KEY, REDRIVE_PERMANENT_KEY%3 environment variables or in the "
               "settings file); Redrive's other keys then keep the tag.")
        .arg(wrong.join(QLatin1String("; ")), fix,
             prefixSet ? QStringLiteral(", REDRIVE_KEY_PREFIX") : QString());
}

} // namespace redrive::core
