// SPDX-License-Identifier: MIT
#pragma once

#include "core/queue/deadletterentry.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>
#include <QStringView>

namespace redrive::core {

// The one writer of new dead-letter entries' text: DeadLetterEntry::create() and the receiver's
// deferrals (DeadLetterWriter) both go through it, so there is one format. The text is what
// QJsonDocument would write for the same fields (key order, escaping, timestamps; tst_entrywriter
// compares it with a QJsonObject composition), without going through QJsonObject: that costs
// ~70 µs per entry, this ~2 µs, and the receiver writes one per failed delivery at wire speed.
// Reading entries stays DeadLetterEntry's job.
class EntryWriter
{
public:
    struct Fields
    {
        QByteArray payload; // a JSON object text (validated by the caller)
        bool payloadCompact = false; // no whitespace outside strings: stored as is
        QString errorMessage;
        int statusCode = 0;
        HeaderList headers; // already redacted
        QString source;
        QString id;
        qint64 receivedAtMs = 0; // milliseconds since the epoch
        qint64 nowMs = 0; // the entry's timestamp and first attempt
    };

    static QByteArray write(const Fields &fields);

    // DeadLetterEntry::formatTimestamp() for a UTC time given in ms since the epoch.
    static void appendTimestamp(QByteArray *out, qint64 msecsSinceEpoch);
    static QByteArray timestamp(qint64 msecsSinceEpoch);
    // A JSON string literal with QJsonDocument's escaping, from UTF-16 or from valid UTF-8.
    static void appendString(QByteArray *out, QStringView text);
    static void appendUtf8String(QByteArray *out, QByteArrayView utf8);
    // Drops whitespace outside strings, as DeadLetterEntry does before storing a payload.
    static QByteArray minify(const QByteArray &json);
};

} // namespace redrive::core
