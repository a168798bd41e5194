// SPDX-License-Identifier: MIT
#include "core/receiver/entrywriter.h"

#include <QDateTime>
#include <QVarLengthArray>

#include <algorithm>
#include <cstring>

namespace redrive::core {

namespace {

constexpr char HexDigits[] = "0123456789abcdef";

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

// Writes the escape QJsonDocument uses for an ASCII character that needs one; returns the end.
char *writeEscape(char *p, char16_t c)
{
    *p++ = '\\';
    switch (c) {
    case '"':
        *p++ = '"';
        return p;
    case '\\':
        *p++ = '\\';
        return p;
    case '\b':
        *p++ = 'b';
        return p;
    case '\f':
        *p++ = 'f';
        return p;
    case '\n':
        *p++ = 'n';
        return p;
    case '\r':
        *p++ = 'r';
        return p;
    case '\t':
        *p++ = 't';
        return p;
    default: // other control characters, and lone surrogates
        *p++ = 'u';
        *p++ = HexDigits[(c >> 12) & 0xf];
        *p++ = HexDigits[(c >> 8) & 0xf];
        *p++ = HexDigits[(c >> 4) & 0xf];
        *p++ = HexDigits[c & 0xf];
        return p;
    }
}

bool needsEscape(unsigned char c)
{
    return c < 0x20 || c == '"' || c == '\\';
}

void appendTwoDigits(char *at, int value)
{
    at[0] = char('0' + value / 10);
    at[1] = char('0' + value % 10);
}

// Room for `maxBytes` more at the end of `out`; returns where to write. Finish with finishAt().
char *makeRoom(QByteArray *out, qsizetype maxBytes)
{
    const qsizetype start = out->size();
    out->resize(start + maxBytes); // uninitialised: overwritten, then cut back
    return out->data() + start;
}

void finishAt(QByteArray *out, const char *end)
{
    out->resize(end - out->constData());
}

} // namespace

void EntryWriter::appendUtf8String(QByteArray *out, QByteArrayView utf8)
{
    const char *data = utf8.data();
    const qsizetype size = utf8.size();
    char *p = makeRoom(out, 2 + 6 * size);
    *p++ = '"';
    qsizetype run = 0;
    for (qsizetype i = 0; i < size; ++i) {
        const auto c = static_cast<unsigned char>(data[i]);
        if (!needsEscape(c))
            continue;
        std::memcpy(p, data + run, size_t(i - run));
        p = writeEscape(p + (i - run), c);
        run = i + 1;
    }
    std::memcpy(p, data + run, size_t(size - run));
    p += size - run;
    *p++ = '"';
    finishAt(out, p);
}

void EntryWriter::appendString(QByteArray *out, QStringView text)
{
    const qsizetype size = text.size();
    const char16_t *units = text.utf16();
    char *p = makeRoom(out, 2 + 6 * size); // at most 6 bytes per UTF-16 unit
    *p++ = '"';
    for (qsizetype i = 0; i < size; ++i) {
        const char16_t c = units[i];
        if (c < 0x80) {
            if (needsEscape(static_cast<unsigned char>(c)))
                p = writeEscape(p, c);
            else
                *p++ = char(c);
        } else if (c < 0x800) {
            *p++ = char(0xc0 | (c >> 6));
            *p++ = char(0x80 | (c & 0x3f));
        } else if (QChar::isHighSurrogate(c) && i + 1 < size
                   && QChar::isLowSurrogate(units[i + 1])) {
            const char32_t u = QChar::surrogateToUcs4(c, units[i + 1]);
            ++i;
            *p++ = char(0xf0 | (u >> 18));
            *p++ = char(0x80 | ((u >> 12) & 0x3f));
            *p++ = char(0x80 | ((u >> 6) & 0x3f));
            *p++ = char(0x80 | (u & 0x3f));
        } else if (QChar::isSurrogate(c)) {
            p = writeEscape(p, c); // what QJsonDocument writes for a lone surrogate
        } else {
            *p++ = char(0xe0 | (c >> 12));
            *p++ = char(0x80 | ((c >> 6) & 0x3f));
            *p++ = char(0x80 | (c & 0x3f));
        }
    }
    *p++ = '"';
    finishAt(out, p);
}

void EntryWriter::appendTimestamp(QByteArray *out, qint64 msecsSinceEpoch)
{
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm), proleptic Gregorian.
    constexpr qint64 MsPerDay = 86400000;
    qint64 days = msecsSinceEpoch / MsPerDay;
    qint64 msOfDay = msecsSinceEpoch % MsPerDay;
    if (msOfDay < 0) {
        msOfDay += MsPerDay;
        --days;
    }
    const qint64 z = days + 719468;
    const qint64 era = (z >= 0 ? z : z - 146096) / 146097;
    const qint64 doe = z - era * 146097;
    const qint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    const qint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    const qint64 mp = (5 * doy + 2) / 153;
    const int day = int(doy - (153 * mp + 2) / 5 + 1);
    const int month = int(mp < 10 ? mp + 3 : mp - 9);
    const qint64 year = yoe + era * 400 + (month <= 2 ? 1 : 0);
    if (year < 1000 || year > 9999) {
        // Not a time a delivery arrives at; keep Qt's own text for it.
        out->append('"');
        out->append(DeadLetterEntry::formatTimestamp(
                        QDateTime::fromMSecsSinceEpoch(msecsSinceEpoch, Qt::UTC))
                        .toUtf8());
        out->append('"');
        return;
    }
    char text[] = "\"YYYY-MM-DDTHH:MM:SS.mmmZ\"";
    const int y = int(year);
    appendTwoDigits(text + 1, y / 100);
    appendTwoDigits(text + 3, y % 100);
    appendTwoDigits(text + 6, month);
    appendTwoDigits(text + 9, day);
    const int seconds = int(msOfDay / 1000);
    appendTwoDigits(text + 12, seconds / 3600);
    appendTwoDigits(text + 15, (seconds / 60) % 60);
    appendTwoDigits(text + 18, seconds % 60);
    const int ms = int(msOfDay % 1000);
    text[21] = char('0' + ms / 100);
    appendTwoDigits(text + 22, ms % 100);
    out->append(text, sizeof(text) - 1);
}

QByteArray EntryWriter::timestamp(qint64 msecsSinceEpoch)
{
    QByteArray out;
    appendTimestamp(&out, msecsSinceEpoch);
    return out.mid(1, out.size() - 2);
}

QByteArray EntryWriter::minify(const QByteArray &json)
{
    const char *data = json.constData();
    const qsizetype size = json.size();
    QByteArray out;
    qsizetype run = 0;
    bool inString = false;
    for (qsizetype i = 0; i < size; ++i) {
        const char c = data[i];
        if (inString) {
            if (c == '\\')
                ++i;
            else if (c == '"')
                inString = false;
        } else if (c == '"') {
            inString = true;
        } else if (isSpace(c)) {
            if (out.isNull())
                out.reserve(size);
            out.append(data + run, i - run);
            run = i + 1;
        }
    }
    if (run == 0)
        return json;
    out.append(data + run, size - run);
    return out;
}

QByteArray EntryWriter::write(const Fields &fields)
{
    // Headers as DeadLetterEntry::create() stores them: names lowercased, sorted as QJsonObject
    // keeps its keys, the last of duplicate names winning.
    struct Header
    {
        QByteArray name; // lowercased, UTF-8: sorts as QJsonObject's keys for these names
        QByteArrayView value;
    };
    QVarLengthArray<Header, 16> headers;
    for (const auto &[name, value] : fields.headers) {
        bool ascii = true;
        for (const char c : name)
            ascii = ascii && static_cast<unsigned char>(c) < 0x80;
        // HTTP header names are ASCII tokens; anything else takes create()'s Latin-1 route.
        headers.append(
            { ascii ? name.toLower() : QString::fromLatin1(name).toLower().toUtf8(), value });
    }
    std::stable_sort(headers.begin(), headers.end(),
                     [](const Header &a, const Header &b) { return a.name < b.name; });

    const QByteArray payload = fields.payloadCompact ? fields.payload : minify(fields.payload);
    const QByteArray status = QByteArray::number(fields.statusCode);
    QByteArray out;
    // Room for the worst case of every escape, so that nothing below reallocates.
    qsizetype headerBytes = 0;
    for (const Header &header : headers)
        headerBytes += 8 + 6 * (header.name.size() + header.value.size());
    out.reserve(payload.size() + 512 + headerBytes
                + 6 * (2 * fields.errorMessage.size() + fields.id.size() + fields.source.size()));
    out.append("{\"original_payload\":");
    out.append(payload);
    out.append(",\"attempts\":[{\"at\":");
    appendTimestamp(&out, fields.nowMs);
    out.append(",\"error\":");
    appendString(&out, fields.errorMessage);
    out.append(",\"status_code\":");
    out.append(status);
    out.append("}],\"error_message\":");
    appendString(&out, fields.errorMessage);
    out.append(",\"headers\":{");
    bool first = true;
    for (qsizetype i = 0; i < headers.size(); ++i) {
        if (i + 1 < headers.size() && headers[i + 1].name == headers[i].name)
            continue; // a later one with the same name replaces it
        if (!first)
            out.append(',');
        first = false;
        appendUtf8String(&out, headers[i].name);
        out.append(':');
        if (headers[i].value.isValidUtf8())
            appendUtf8String(&out, headers[i].value);
        else
            appendString(&out, QString::fromUtf8(headers[i].value));
    }
    out.append("},\"id\":");
    appendString(&out, fields.id);
    out.append(",\"received_at\":");
    appendTimestamp(&out, fields.receivedAtMs);
    out.append(",\"retry_count\":0,\"source\":");
    appendString(&out, fields.source);
    out.append(",\"status_code\":");
    out.append(status);
    out.append(",\"timestamp\":");
    appendTimestamp(&out, fields.nowMs);
    out.append('}');
    return out;
}

} // namespace redrive::core
