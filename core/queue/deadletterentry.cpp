// SPDX-License-Identifier: MIT
#include "core/queue/deadletterentry.h"

#include "core/queue/entrywriter.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QUuid>

namespace redrive::core {

namespace {

const QString PayloadKey = QStringLiteral("original_payload");

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

qsizetype skipSpace(const QByteArray &text, qsizetype i)
{
    while (i < text.size() && isSpace(text.at(i)))
        ++i;
    return i;
}

// Index just past the JSON string starting at `i` (which holds the opening quote).
qsizetype skipString(const QByteArray &text, qsizetype i)
{
    for (++i; i < text.size(); ++i) {
        if (text.at(i) == '\\')
            ++i;
        else if (text.at(i) == '"')
            return i + 1;
    }
    return text.size();
}

// Index just past the JSON value starting at `i`. Only called on text that already parsed.
qsizetype skipValue(const QByteArray &text, qsizetype i)
{
    int depth = 0;
    for (; i < text.size(); ++i) {
        const char c = text.at(i);
        if (c == '"') {
            i = skipString(text, i) - 1;
            if (depth == 0)
                return i + 1;
        } else if (c == '{' || c == '[') {
            ++depth;
        } else if (c == '}' || c == ']') {
            if (depth == 0)
                return i; // end of the enclosing container
            if (--depth == 0)
                return i + 1;
        } else if (depth == 0 && (c == ',' || isSpace(c))) {
            return i;
        }
    }
    return i;
}

// Finds the raw text of the top-level "original_payload" value of a JSON object text.
bool findPayload(const QByteArray &text, qsizetype *start, qsizetype *length)
{
    qsizetype i = skipSpace(text, 0);
    if (i >= text.size() || text.at(i) != '{')
        return false;
    i = skipSpace(text, i + 1);
    bool found = false;
    while (i < text.size() && text.at(i) == '"') {
        const qsizetype keyEnd = skipString(text, i);
        const QByteArray key = text.mid(i + 1, keyEnd - i - 2);
        i = skipSpace(text, keyEnd);
        if (i >= text.size() || text.at(i) != ':')
            return found;
        i = skipSpace(text, i + 1);
        const qsizetype valueEnd = skipValue(text, i);
        if (key == "original_payload") {
            *start = i;
            *length = valueEnd - i;
            found = true; // duplicates: the last one wins, as in QJsonDocument
        }
        i = skipSpace(text, valueEnd);
        if (i < text.size() && text.at(i) == ',')
            i = skipSpace(text, i + 1);
        else
            break;
    }
    return found;
}

} // namespace

DeadLetterEntry DeadLetterEntry::parse(const QByteArray &raw)
{
    DeadLetterEntry entry;
    entry.m_raw = raw;
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(raw, &error);
    if (error.error != QJsonParseError::NoError) {
        entry.m_problem
            = QStringLiteral("not JSON (%1 at byte %2)").arg(error.errorString()).arg(error.offset);
        return entry;
    }
    if (!document.isObject()) {
        entry.m_problem = QStringLiteral("JSON but not an object");
        return entry;
    }
    entry.m_isObject = true;
    entry.m_object = document.object();
    if (!entry.m_object.contains(PayloadKey)
        || !findPayload(raw, &entry.m_payloadStart, &entry.m_payloadLength)) {
        entry.m_payloadStart = -1;
        entry.m_problem = QStringLiteral("no original_payload field");
    }
    return entry;
}

DeadLetterEntry DeadLetterEntry::create(const QByteArray &payload, const QString &errorMessage,
                                        int statusCode, const HeaderList &headers,
                                        const QString &source, const QString &id,
                                        const QDateTime &receivedAt)
{
    EntryWriter::Fields fields;
    fields.payload = payload;
    fields.errorMessage = errorMessage;
    fields.statusCode = statusCode;
    fields.headers = headers;
    fields.source = source;
    fields.id = id.isEmpty() ? QUuid::createUuid().toString(QUuid::WithoutBraces) : id;
    fields.receivedAtMs = receivedAt.toMSecsSinceEpoch();
    fields.nowMs = QDateTime::currentMSecsSinceEpoch();
    return parse(EntryWriter::write(fields));
}

QByteArray DeadLetterEntry::compose(const QByteArray &payload, const QJsonObject &fields)
{
    // No payload text to keep byte for byte (an element without "original_payload", which the
    // worker sets aside, or one whose field could not be located in the text): the object is
    // written as it is, so that a retry or move never turns it into broken JSON.
    if (payload.isEmpty())
        return QJsonDocument(fields).toJson(QJsonDocument::Compact);
    QJsonObject rest = fields;
    rest.remove(PayloadKey);
    const QByteArray tail = QJsonDocument(rest).toJson(QJsonDocument::Compact);
    QByteArray text = "{\"original_payload\":" + payload;
    if (tail.size() > 2)
        text += ',' + tail.mid(1);
    else
        text += '}';
    return text;
}

QString DeadLetterEntry::id() const
{
    const QString own = m_object.value(QStringLiteral("id")).toString();
    if (!own.isEmpty())
        return own;
    return QStringLiteral("sha1-")
        + QString::fromLatin1(
               QCryptographicHash::hash(m_raw, QCryptographicHash::Sha1).toHex().left(16));
}

bool DeadLetterEntry::hasOwnId() const
{
    return !m_object.value(QStringLiteral("id")).toString().isEmpty();
}

QByteArray DeadLetterEntry::payload() const
{
    if (m_payloadStart < 0)
        return {};
    return m_raw.mid(m_payloadStart, m_payloadLength);
}

QString DeadLetterEntry::errorMessage() const
{
    return m_object.value(QStringLiteral("error_message")).toString();
}

int DeadLetterEntry::statusCode() const
{
    return m_object.value(QStringLiteral("status_code")).toInt();
}

int DeadLetterEntry::retryCount() const
{
    return m_object.value(QStringLiteral("retry_count")).toInt();
}

QDateTime DeadLetterEntry::timestamp() const
{
    return parseTimestamp(m_object.value(QStringLiteral("timestamp")).toString());
}

QDateTime DeadLetterEntry::receivedAt() const
{
    const QDateTime own = parseTimestamp(m_object.value(QStringLiteral("received_at")).toString());
    return own.isValid() ? own : timestamp();
}

QDateTime DeadLetterEntry::nextAttemptAt() const
{
    return parseTimestamp(m_object.value(QStringLiteral("next_attempt_at")).toString());
}

QList<DeadLetterEntry::Attempt> DeadLetterEntry::attempts() const
{
    QList<Attempt> result;
    const QJsonArray list = m_object.value(QStringLiteral("attempts")).toArray();
    for (const QJsonValue &value : list) {
        const QJsonObject o = value.toObject();
        result.append({ parseTimestamp(o.value(QStringLiteral("at")).toString()),
                        o.value(QStringLiteral("status_code")).toInt(),
                        o.value(QStringLiteral("error")).toString(),
                        qint64(o.value(QStringLiteral("duration_ms")).toDouble(-1)) });
    }
    return result;
}

HeaderList DeadLetterEntry::headers() const
{
    HeaderList result;
    const QJsonObject o = m_object.value(QStringLiteral("headers")).toObject();
    for (auto it = o.begin(); it != o.end(); ++it)
        result.append({ it.key().toLatin1(), it.value().toString().toUtf8() });
    return result;
}

QString DeadLetterEntry::source() const
{
    return m_object.value(QStringLiteral("source")).toString();
}

QString DeadLetterEntry::topic() const
{
    const QJsonObject payload = m_object.value(PayloadKey).toObject();
    for (const char *key : { "topicName", "topic", "event", "eventType", "type" }) {
        const QString value = payload.value(QLatin1String(key)).toString();
        if (!value.isEmpty())
            return value;
    }
    return {};
}

DeadLetterEntry DeadLetterEntry::withFields(const QJsonObject &fields) const
{
    QJsonObject merged = m_object;
    for (auto it = fields.begin(); it != fields.end(); ++it) {
        if (it.value().isUndefined() || it.value().isNull())
            merged.remove(it.key());
        else
            merged.insert(it.key(), it.value());
    }
    return parse(compose(payload(), merged));
}

DeadLetterEntry DeadLetterEntry::withFailedAttempt(const Attempt &attempt,
                                                   const QDateTime &nextAttemptAt) const
{
    QJsonArray history = m_object.value(QStringLiteral("attempts")).toArray();
    QJsonObject record { { QStringLiteral("at"), formatTimestamp(attempt.at) },
                         { QStringLiteral("status_code"), attempt.statusCode },
                         { QStringLiteral("error"), attempt.error } };
    if (attempt.durationMs >= 0)
        record.insert(QStringLiteral("duration_ms"), attempt.durationMs);
    history.append(record);
    QJsonObject fields { { QStringLiteral("retry_count"), retryCount() + 1 },
                         { QStringLiteral("error_message"), attempt.error },
                         { QStringLiteral("status_code"), attempt.statusCode },
                         { QStringLiteral("timestamp"), formatTimestamp(attempt.at) },
                         { QStringLiteral("attempts"), history },
                         { QStringLiteral("next_attempt_at"),
                           nextAttemptAt.isValid() ? QJsonValue(formatTimestamp(nextAttemptAt))
                                                   : QJsonValue(QJsonValue::Null) } };
    if (!hasOwnId())
        fields.insert(QStringLiteral("id"), id()); // keep the id the console has been showing
    // A tutorial entry's `timestamp` is when it first failed, and is about to become the time of
    // this attempt: keep the first as `received_at`, which the console shows.
    if (!m_object.contains(QStringLiteral("received_at"))) {
        if (const QDateTime first = receivedAt(); first.isValid())
            fields.insert(QStringLiteral("received_at"), formatTimestamp(first));
    }
    return withFields(fields);
}

DeadLetterEntry DeadLetterEntry::withPayload(const QByteArray &newPayload) const
{
    QJsonObject fields = m_object;
    fields.insert(PayloadKey, QJsonDocument::fromJson(newPayload).object());
    if (!hasOwnId())
        fields.insert(QStringLiteral("id"), id());
    fields.insert(QStringLiteral("edited_at"), formatTimestamp(QDateTime::currentDateTimeUtc()));
    return parse(compose(EntryWriter::minify(newPayload), fields));
}

DeadLetterEntry DeadLetterEntry::resetForRetry() const
{
    QJsonObject fields { { QStringLiteral("retry_count"), 0 },
                         { QStringLiteral("next_attempt_at"), QJsonValue(QJsonValue::Null) } };
    if (!hasOwnId())
        fields.insert(QStringLiteral("id"), id());
    return withFields(fields);
}

QString DeadLetterEntry::formatTimestamp(const QDateTime &time)
{
    return time.toUTC().toString(Qt::ISODateWithMs);
}

QDateTime DeadLetterEntry::parseTimestamp(const QString &text)
{
    if (text.isEmpty())
        return {};
    QString t = text.trimmed();
    // Python's isoformat() writes microseconds; Qt reads at most milliseconds.
    const qsizetype dot = t.indexOf(QLatin1Char('.'));
    if (dot > 0) {
        qsizetype end = dot + 1;
        while (end < t.size() && t.at(end).isDigit())
            ++end;
        if (end - dot - 1 > 3)
            t.remove(dot + 4, end - dot - 4);
    }
    QDateTime time = QDateTime::fromString(t, Qt::ISODateWithMs);
    if (!time.isValid())
        time = QDateTime::fromString(t, Qt::ISODate);
    return time; // without an offset Qt reads local time, as datetime.now() wrote it
}

} // namespace redrive::core
