// SPDX-License-Identifier: MIT
#pragma once

#include "core/queue/queuestore.h"
#include "core/triage/failurefingerprint.h"

#include <QByteArrayView>
#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QMetaType>
#include <QString>
#include <QVarLengthArray>

#include <utility>

namespace redrive::core {

// One failure group of a list: its fingerprint and what the entries in it have in common.
struct FailureGroup
{
    QString id; // FailureFingerprint::groupId()
    QString title;
    FailureFingerprint fingerprint;
    qint64 count = 0;
    double share = 0; // count / elements scanned
    QDateTime firstSeen; // earliest arrival (received_at, else timestamp); invalid if none known
    QDateTime lastSeen;
    // Arrivals over the last 24 h before FailureGroups::at, oldest bucket first
    // (FailureGroups::BucketCount buckets of BucketMs each).
    QList<int> arrivals;
    QString exampleId; // DeadLetterEntry::id() of the group's first element in scan order
    // The HTTP status the group stands for: the fingerprint's (http, refused, other), else the
    // stored status_code most of its entries carry (504 for timeouts, 502 for unreachable, DNS
    // and TLS as Redrive writes them); 0 when they carry none.
    int statusCode = 0;

    // One JSON object with stable field names (docs/TRIAGE.md), for `--json` output and
    // anything else that hands groups on: id, title, kind, status_code, host, topic_pattern,
    // detail, count, share, first_seen, last_seen (ISO 8601 UTC or null), arrivals,
    // bucket_minutes, example_id.
    QJsonObject toJson() const;
};

// The groups of one list at one time.
struct FailureGroups
{
    static constexpr int BucketCount = 96;
    static constexpr qint64 BucketMs = 15 * 60 * 1000;

    QList<FailureGroup> groups; // largest first; equal counts by title
    qint64 scanned = 0; // elements counted
    qint64 length = 0; // the list's length when the scan ended
    QDateTime at; // when the scan started: the end of the arrival histograms
    // The list changed during the scan in a way the scan could not follow (see FailureGroupScan):
    // counts may be off by the number of elements moved. A later scan settles it.
    bool approximate = false;
    int windows = 0; // Redis calls the scan made
    qint64 longestCallMs = 0; // the slowest of them, round trip as seen by the client
    qint64 elapsedMs = 0;
    QueueError code = QueueError::None;
    QString error;
    bool ok() const { return code == QueueError::None; }
    const FailureGroup *find(const QString &groupId) const;
};

// Counts list elements into failure groups. Pure and synchronous (the scan feeds it), so that a
// test, the CLI or a benchmark can group elements without Redis.
class FailureGroupAggregator
{
public:
    explicit FailureGroupAggregator(const QDateTime &now = QDateTime::currentDateTimeUtc());

    void add(QByteArrayView raw);
    qint64 count() const { return m_count; }
    FailureGroups result() const;

private:
    struct Group
    {
        FailureFingerprint fingerprint;
        qint64 count = 0;
        qint64 firstMs = -1;
        qint64 lastMs = -1;
        QList<int> arrivals;
        QString exampleId;
        // Stored status_code -> entries with it; nearly always one code per group.
        QVarLengthArray<std::pair<int, qint64>, 2> statuses;
    };
    // Everything a fingerprint takes from the error text and status, which repeat across
    // thousands of entries; the topic differs in its ids and is matched per entry.
    struct ErrorKey
    {
        int statusCode;
        QString error;
        friend bool operator==(const ErrorKey &, const ErrorKey &) = default;
        friend size_t qHash(const ErrorKey &key, size_t seed = 0)
        {
            return qHashMulti(seed, key.statusCode, key.error);
        }
    };

    int groupFor(const FailureFingerprint &fingerprint, QByteArrayView raw, const QString &id);

    qint64 m_nowMs;
    qint64 m_count = 0;
    QList<Group> m_groups;
    QHash<QString, int> m_byKey;
    struct ErrorFingerprint
    {
        FailureFingerprint fingerprint; // without the topic
        qint64 serial; // never reused, so (serial, pattern) finds a group without its key text
    };
    int groupFor(const ErrorFingerprint &error, const QString &pattern, QByteArrayView raw,
                 const QString &id);

    QHash<ErrorKey, ErrorFingerprint> m_errors;
    qint64 m_nextSerial = 0;
    QHash<QPair<qint64, QString>, int> m_bySerial;
    QHash<QString, QString> m_topics; // topic -> pattern, for topics that repeat
};

} // namespace redrive::core

Q_DECLARE_METATYPE(redrive::core::FailureGroups)
