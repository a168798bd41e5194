// SPDX-License-Identifier: MIT
#include "core/triage/failuregroupaggregator.h"

#include "core/queue/deadletterentry.h"
#include "core/queue/topicpattern.h"

#include <QJsonArray>

#include <algorithm>

namespace redrive::core {

namespace {

// Bounds for the caches: a list of a million distinct free-text errors must not hold them all.
constexpr qsizetype CacheLimit = 20000;

} // namespace

QJsonObject FailureGroup::toJson() const
{
    const auto time = [](const QDateTime &t) {
        return t.isValid() ? QJsonValue(DeadLetterEntry::formatTimestamp(t))
                           : QJsonValue(QJsonValue::Null);
    };
    QJsonArray buckets;
    for (const int n : arrivals)
        buckets.append(n);
    return QJsonObject {
        { QStringLiteral("id"), id },
        { QStringLiteral("title"), title },
        { QStringLiteral("kind"), failureKindName(fingerprint.kind) },
        { QStringLiteral("status_code"), statusCode },
        { QStringLiteral("host"), fingerprint.host },
        { QStringLiteral("topic_pattern"), fingerprint.topicPattern },
        { QStringLiteral("detail"), fingerprint.detail },
        { QStringLiteral("count"), count },
        { QStringLiteral("share"), share },
        { QStringLiteral("first_seen"), time(firstSeen) },
        { QStringLiteral("last_seen"), time(lastSeen) },
        { QStringLiteral("arrivals"), buckets },
        { QStringLiteral("bucket_minutes"), int(FailureGroups::BucketMs / 60000) },
        { QStringLiteral("example_id"), exampleId },
    };
}

const FailureGroup *FailureGroups::find(const QString &groupId) const
{
    for (const FailureGroup &group : groups) {
        if (group.id == groupId)
            return &group;
    }
    return nullptr;
}

FailureGroupAggregator::FailureGroupAggregator(const QDateTime &now)
    : m_nowMs(now.toMSecsSinceEpoch())
{ }

int FailureGroupAggregator::groupFor(const FailureFingerprint &fingerprint, QByteArrayView raw,
                                     const QString &id)
{
    const QString key = fingerprint.key();
    const auto found = m_byKey.constFind(key);
    if (found != m_byKey.constEnd())
        return *found;
    Group group;
    group.fingerprint = fingerprint;
    group.arrivals = QList<int>(FailureGroups::BucketCount, 0);
    group.exampleId
        = id.isEmpty() ? DeadLetterEntry::parse(raw.toByteArray()).id() : id; // "sha1-..." ids
    m_groups.append(group);
    m_byKey.insert(key, int(m_groups.size() - 1));
    return int(m_groups.size() - 1);
}

int FailureGroupAggregator::groupFor(const ErrorFingerprint &error, const QString &pattern,
                                     QByteArrayView raw, const QString &id)
{
    const QPair<qint64, QString> key(error.serial, pattern);
    const auto found = m_bySerial.constFind(key);
    if (found != m_bySerial.constEnd())
        return *found;
    FailureFingerprint fingerprint = error.fingerprint;
    fingerprint.topicPattern = pattern;
    const int index = groupFor(fingerprint, raw, id);
    if (m_bySerial.size() >= CacheLimit)
        m_bySerial.clear();
    m_bySerial.insert(key, index);
    return index;
}

void FailureGroupAggregator::add(QByteArrayView raw)
{
    ++m_count;
    const FailureFacts facts = extractFailureFacts(raw);
    int index;
    if (!facts.isEntry) {
        index = groupFor(failureFingerprint(facts), raw, facts.id);
    } else {
        const ErrorKey errorKey { facts.statusCode, facts.errorMessage };
        auto cached = m_errors.constFind(errorKey);
        if (cached == m_errors.constEnd()) {
            if (m_errors.size() >= CacheLimit)
                m_errors.clear();
            FailureFacts withoutTopic = facts;
            withoutTopic.topic.clear();
            cached
                = m_errors.insert(errorKey, { failureFingerprint(withoutTopic), m_nextSerial++ });
        }
        QString pattern;
        // Topics mostly carry ids, so a cache by topic rarely hits; patterns do repeat, which
        // is what the group lookup below uses.
        auto topic = m_topics.constFind(facts.topic);
        if (topic != m_topics.constEnd()) {
            pattern = *topic;
        } else {
            TopicPattern split = topicPattern(facts.topic);
            pattern = std::move(split.pattern);
            if (split.ids.isEmpty()) { // only id-free topics repeat exactly
                if (m_topics.size() >= CacheLimit)
                    m_topics.clear();
                m_topics.insert(facts.topic, pattern);
            }
        }
        index = groupFor(*cached, pattern, raw, facts.id);
    }
    Group &group = m_groups[index];
    ++group.count;
    if (facts.isEntry) {
        auto status = std::find_if(group.statuses.begin(), group.statuses.end(),
                                   [&](const auto &s) { return s.first == facts.statusCode; });
        if (status != group.statuses.end())
            ++status->second;
        else
            group.statuses.append({ facts.statusCode, 1 });
    }
    const qint64 t = facts.arrivedAtMs;
    if (t >= 0) {
        group.firstMs = group.firstMs < 0 ? t : qMin(group.firstMs, t);
        group.lastMs = qMax(group.lastMs, t);
        // A clock a little ahead of ours still counts as "now".
        const qint64 age = qMax<qint64>(0, m_nowMs - t + 1);
        const qint64 bucket = (age - 1) / FailureGroups::BucketMs;
        if (m_nowMs - t >= -FailureGroups::BucketMs && bucket < FailureGroups::BucketCount)
            ++group.arrivals[FailureGroups::BucketCount - 1 - int(bucket)];
    }
}

FailureGroups FailureGroupAggregator::result() const
{
    FailureGroups result;
    result.at = QDateTime::fromMSecsSinceEpoch(m_nowMs, Qt::UTC);
    result.scanned = m_count;
    for (const Group &g : m_groups) {
        FailureGroup group;
        group.fingerprint = g.fingerprint;
        group.id = g.fingerprint.groupId();
        group.title = g.fingerprint.title();
        group.count = g.count;
        group.share = m_count > 0 ? double(g.count) / double(m_count) : 0.0;
        if (g.firstMs >= 0) {
            group.firstSeen = QDateTime::fromMSecsSinceEpoch(g.firstMs, Qt::UTC);
            group.lastSeen = QDateTime::fromMSecsSinceEpoch(g.lastMs, Qt::UTC);
        }
        group.arrivals = g.arrivals;
        group.exampleId = g.exampleId;
        group.statusCode = g.fingerprint.statusCode;
        if (group.statusCode == 0) {
            // The most frequent stored code; on a tie the lower one, for a stable answer.
            qint64 most = 0;
            for (const auto &[code, n] : g.statuses) {
                if (code != 0 && (n > most || (n == most && code < group.statusCode))) {
                    most = n;
                    group.statusCode = code;
                }
            }
        }
        result.groups.append(group);
    }
    std::sort(result.groups.begin(), result.groups.end(),
              [](const FailureGroup &a, const FailureGroup &b) {
                  return a.count != b.count ? a.count > b.count : a.title < b.title;
              });
    return result;
}

} // namespace redrive::core
