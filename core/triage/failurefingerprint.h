// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArrayView>
#include <QString>

namespace redrive::core {

// What kind of failure parked an entry, as far as its error text and status code tell.
enum class FailureKind {
    Timeout, // the downstream did not answer in time
    Unreachable, // connection refused, reset or closed before an answer
    Dns, // the downstream's host name did not resolve
    Tls, // TLS handshake or certificate refused
    HttpStatus, // the downstream answered a status that is retried (5xx, 408, 429)
    Refused, // the downstream refused the payload for good (any other 4xx)
    Other, // free text (the tutorial's own entries, other tools): status + normalised text
    NotJson, // the element is not JSON at all
    NotEntry, // JSON, but not an object with an original_payload
};

// The few fields of a list element that grouping needs, read without building a JSON document.
struct FailureFacts
{
    FailureKind garbage = FailureKind::Other; // NotJson / NotEntry when the element is garbage
    bool isEntry = false; // a JSON object with an original_payload
    int statusCode = 0;
    QString errorMessage;
    QString topic; // as DeadLetterEntry::topic() finds it
    QString id; // our own id, empty for entries written by other tools
    qint64 arrivedAtMs = -1; // received_at, else timestamp (ms since the epoch); -1 when unknown
};

// Reads `raw` (one list element). Strict about the JSON structure (balanced, strings closed,
// nothing after the object), lenient about what it does not look at (numbers' syntax, control
// characters inside strings). Agrees with DeadLetterEntry on fields, topic and timestamps.
FailureFacts extractFailureFacts(QByteArrayView raw);

// An entry's failure group: what failed, where and for which kind of event.
struct FailureFingerprint
{
    FailureKind kind = FailureKind::Other;
    int statusCode = 0; // HTTP status for HttpStatus/Refused; the stored status_code for Other
    QString host; // the downstream host when the error text names it
    QString topicPattern; // the event topic with its ids as {id} (core::topicPattern)
    QString detail; // normalised error text for Unreachable/Tls/Dns/Other, else empty

    // The canonical text the group id is a hash of. Stable across versions: changing it splits
    // every group a user has seen.
    QString key() const;
    // 12 hex digits of the key's SHA-1: short enough for a CLI argument, stable across runs.
    QString groupId() const { return groupIdOfKey(key()); }
    static QString groupIdOfKey(const QString &key);
    // "HTTP 503 · v2.users.{id}.presence", "Timeout · ...", "500 · Simulated ... · ...".
    QString title() const;
    // The title without its topic: "HTTP 503", "Timeout", "500 · Simulated ...".
    QString failure() const;

    friend bool operator==(const FailureFingerprint &, const FailureFingerprint &) = default;
};

FailureFingerprint failureFingerprint(const FailureFacts &facts);
inline FailureFingerprint failureFingerprint(QByteArrayView raw)
{
    return failureFingerprint(extractFailureFacts(raw));
}

// Error text with what differs from one delivery to the next taken out: quoted values become
// "<q>", ids (UUIDs, long hex, letters-and-digits tokens of 8 or more) "<id>", numbers "<n>",
// runs of white space one space; only the first 300 characters count.
// "Timeout after 5000 ms for 'abc'" -> "Timeout after <n> ms for <q>".
QString normaliseErrorText(const QString &text);

QString failureKindName(FailureKind kind); // "timeout", "unreachable", ... (stable, for JSON)

} // namespace redrive::core
