// SPDX-License-Identifier: MIT
#pragma once

#include "core/delivery/headerpolicy.h"

#include <QByteArray>
#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QPair>
#include <QString>

namespace redrive::core {

// One element of the dead-letter or permanent-failure list. The text in Redis is the truth:
// parse() never fails, keeps the exact bytes (operations match elements by value) and copes with
// the tutorial's entries (no id, naive timestamps) and with elements that are not JSON at all.
// The delivered payload is kept byte for byte: entries are written by splicing its raw text.
class DeadLetterEntry
{
public:
    struct Attempt
    {
        QDateTime at;
        int statusCode = 0;
        QString error;
        qint64 durationMs = -1;
    };

    static DeadLetterEntry parse(const QByteArray &raw);

    // A new entry for a delivery that failed with `statusCode`/`errorMessage`, written by
    // EntryWriter (the one writer of new entries). `payload` must be the text of a JSON object;
    // it is stored unchanged but for whitespace outside strings.
    static DeadLetterEntry create(const QByteArray &payload, const QString &errorMessage,
                                  int statusCode, const HeaderList &headers, const QString &source,
                                  const QString &id = QString(),
                                  const QDateTime &receivedAt = QDateTime::currentDateTimeUtc());

    const QByteArray &raw() const { return m_raw; }
    bool isJsonObject() const { return m_isObject; }
    // A JSON object with an `original_payload`: something that can be retried.
    bool isRetryable() const { return m_isObject && m_payloadStart >= 0; }
    // Why the element cannot be retried (not JSON, no payload, ...); empty when it can.
    QString problem() const { return m_problem; }

    // Our `id`, or for entries without one a stable id derived from the text ("sha1-...").
    QString id() const;
    bool hasOwnId() const;
    // The delivered payload, byte for byte as stored.
    QByteArray payload() const;
    QString errorMessage() const;
    int statusCode() const;
    int retryCount() const;
    QDateTime timestamp() const; // the tutorial's field; naive values are local time
    QDateTime receivedAt() const; // ours, falling back to timestamp
    QDateTime nextAttemptAt() const;
    QList<Attempt> attempts() const;
    HeaderList headers() const;
    QString source() const;
    // The event topic: `topicName` of a Genesys notification, else a best guess, else empty.
    QString topic() const;
    const QJsonObject &object() const { return m_object; }

    // The entry after one more failed attempt: retry_count + 1, error/status replaced, the
    // attempt appended to the history, next_attempt_at set (invalid: removed).
    DeadLetterEntry withFailedAttempt(const Attempt &attempt, const QDateTime &nextAttemptAt) const;
    // The same entry with its payload replaced (an edit). `payload` must be a JSON object text.
    DeadLetterEntry withPayload(const QByteArray &payload) const;
    // Back from permanent failures: attempt count reset, due now, history kept.
    DeadLetterEntry resetForRetry() const;
    // Fields replaced/added (not original_payload). Keeps the payload bytes.
    DeadLetterEntry withFields(const QJsonObject &fields) const;

    static QString formatTimestamp(const QDateTime &time);
    static QDateTime parseTimestamp(const QString &text);

private:
    static QByteArray compose(const QByteArray &payload, const QJsonObject &fields);

    QByteArray m_raw;
    QJsonObject m_object;
    bool m_isObject = false;
    qsizetype m_payloadStart = -1;
    qsizetype m_payloadLength = 0;
    QString m_problem;
};

} // namespace redrive::core
