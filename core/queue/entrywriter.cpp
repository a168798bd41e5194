// SPDX-License-Identifier: MIT
#include "core/queue/entrywriter.h"

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

template<qsizetype N> char *writeLiteral(char *p, const char (&text)[N])
{
    std::memcpy(p, text, N - 1);
    return p + N - 1;
}

char *writeBytes(char *p, QByteArrayView bytes)
{
    std::memcpy(p, bytes.data(), size_t(bytes.size()));
    return p + bytes.size();
}

char *writeNumber(char *p, int value)
{
    char digits[12];
    int count = 0;
    unsigned magnitude = value < 0 ? 0u - unsigned(value) : unsigned(value);
    do {
        digits[count++] = char('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude);
    if (value < 0)
        *p++ = '-';
    while (count)
        *p++ = digits[--count];
    return p;
}

// At most 2 + 6 bytes per input byte.
char *writeUtf8String(char *p, QByteArrayView utf8)
{
    const char *data = utf8.data();
    const qsizetype size = utf8.size();
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
    return p;
}

// An ASCII header name, lowercased, as a JSON string (names are tokens: nothing to escape
// but quotes and backslashes, which tokens do not have; escaped anyway). At most 2 + 6 per byte.
char *writeLowerAsciiString(char *p, QByteArrayView name)
{
    *p++ = '"';
    for (const char c : name) {
        if (needsEscape(static_cast<unsigned char>(c)))
            p = writeEscape(p, static_cast<unsigned char>(c));
        else
            *p++ = (c >= 'A' && c <= 'Z') ? char(c - 'A' + 'a') : c;
    }
    *p++ = '"';
    return p;
}

// At most 2 + 6 bytes per UTF-16 unit.
char *writeString(char *p, QStringView text)
{
    const qsizetype size = text.size();
    const char16_t *units = text.utf16();
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
    return p;
}

bool isPlainYear(qint64 msecsSinceEpoch)
{
    // 1000-01-01T00:00:00Z and 10000-01-01T00:00:00Z
    return msecsSinceEpoch >= -30610224000000LL && msecsSinceEpoch < 253402300800000LL;
}

// "YYYY-MM-DDTHH:MM:SS.mmmZ" with its quotes: 26 bytes (at most 64 outside the years
// 1000-9999, which take Qt's own text as DeadLetterEntry does).
char *writeTimestamp(char *p, qint64 msecsSinceEpoch)
{
    if (!isPlainYear(msecsSinceEpoch)) {
        const QByteArray text = DeadLetterEntry::formatTimestamp(
                                    QDateTime::fromMSecsSinceEpoch(msecsSinceEpoch, Qt::UTC))
                                    .toLatin1()
                                    .left(60);
        *p++ = '"';
        p = writeBytes(p, text);
        *p++ = '"';
        return p;
    }
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
    const int year = int(yoe + era * 400 + (month <= 2 ? 1 : 0));
    const int seconds = int(msOfDay / 1000);
    const int ms = int(msOfDay % 1000);
    p = writeLiteral(p, "\"YYYY-MM-DDTHH:MM:SS.mmmZ\"");
    char *t = p - 26;
    appendTwoDigits(t + 1, year / 100);
    appendTwoDigits(t + 3, year % 100);
    appendTwoDigits(t + 6, month);
    appendTwoDigits(t + 9, day);
    appendTwoDigits(t + 12, seconds / 3600);
    appendTwoDigits(t + 15, (seconds / 60) % 60);
    appendTwoDigits(t + 18, seconds % 60);
    t[21] = char('0' + ms / 100);
    appendTwoDigits(t + 22, ms % 100);
    return p;
}

} // namespace

void EntryWriter::appendUtf8String(QByteArray *out, QByteArrayView utf8)
{
    finishAt(out, writeUtf8String(makeRoom(out, 2 + 6 * utf8.size()), utf8));
}

void EntryWriter::appendString(QByteArray *out, QStringView text)
{
    finishAt(out, writeString(makeRoom(out, 2 + 6 * text.size()), text));
}

void EntryWriter::appendTimestamp(QByteArray *out, qint64 msecsSinceEpoch)
{
    finishAt(out, writeTimestamp(makeRoom(out, 64), msecsSinceEpoch));
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
    // keeps its keys, the last of duplicate names winning. HTTP header names are ASCII tokens,
    // compared and lowercased in place; anything else takes create()'s Latin-1 route.
    struct Header
    {
        QByteArrayView name; // ASCII, any case; or lowercased UTF-8 (in `converted`)
        QByteArrayView value;
        QByteArray converted; // storage for what does not come as it is stored
        QByteArray repaired; // the value as QString::fromUtf8() reads it, when not UTF-8
        bool ascii = true;
    };
    const auto compare = [](const Header &a, const Header &b) {
        if (a.ascii && b.ascii) {
            const int c = qstrnicmp(a.name.data(), a.name.size(), b.name.data(), b.name.size());
            return c;
        }
        const QByteArray left = a.ascii ? a.name.toByteArray().toLower() : a.converted;
        const QByteArray right = b.ascii ? b.name.toByteArray().toLower() : b.converted;
        return left < right ? -1 : (right < left ? 1 : 0);
    };
    QVarLengthArray<Header, 16> headers;
    qsizetype headerBytes = 0;
    for (const auto &[name, value] : fields.headers) {
        Header header;
        for (const char c : name)
            header.ascii = header.ascii && static_cast<unsigned char>(c) < 0x80;
        if (header.ascii) {
            header.name = name;
        } else {
            header.converted = QString::fromLatin1(name).toLower().toUtf8();
            header.name = header.converted;
        }
        header.value = value;
        if (!value.isValidUtf8()) {
            header.repaired = QString::fromUtf8(value).toUtf8();
            header.value = header.repaired;
        }
        headerBytes += 6 + 6 * (header.name.size() + header.value.size());
        // Insertion sort, stable: a handful of headers, no allocation.
        qsizetype at = headers.size();
        while (at > 0 && compare(headers[at - 1], header) > 0)
            --at;
        headers.insert(at, std::move(header));
    }

    const QByteArray payload = fields.payloadCompact ? fields.payload : minify(fields.payload);
    // Everything goes into one buffer sized for the worst case of every escape, then cut back.
    QByteArray out;
    char *p = makeRoom(
        &out,
        payload.size() + 500 + headerBytes
            + 6 * (2 * fields.errorMessage.size() + fields.id.size() + fields.source.size()));
    p = writeLiteral(p, "{\"original_payload\":");
    p = writeBytes(p, payload);
    p = writeLiteral(p, ",\"attempts\":[{\"at\":");
    p = writeTimestamp(p, fields.nowMs);
    p = writeLiteral(p, ",\"error\":");
    p = writeString(p, fields.errorMessage);
    p = writeLiteral(p, ",\"status_code\":");
    p = writeNumber(p, fields.statusCode);
    p = writeLiteral(p, "}],\"error_message\":");
    p = writeString(p, fields.errorMessage);
    p = writeLiteral(p, ",\"headers\":{");
    bool first = true;
    for (qsizetype i = 0; i < headers.size(); ++i) {
        if (i + 1 < headers.size() && compare(headers[i + 1], headers[i]) == 0)
            continue; // a later one with the same name replaces it
        if (!first)
            *p++ = ',';
        first = false;
        p = headers[i].ascii ? writeLowerAsciiString(p, headers[i].name)
                             : writeUtf8String(p, headers[i].name);
        *p++ = ':';
        p = writeUtf8String(p, headers[i].value);
    }
    p = writeLiteral(p, "},\"id\":");
    p = writeString(p, fields.id);
    p = writeLiteral(p, ",\"received_at\":");
    p = writeTimestamp(p, fields.receivedAtMs);
    p = writeLiteral(p, ",\"retry_count\":0,\"source\":");
    p = writeString(p, fields.source);
    p = writeLiteral(p, ",\"status_code\":");
    p = writeNumber(p, fields.statusCode);
    p = writeLiteral(p, ",\"timestamp\":");
    p = writeTimestamp(p, fields.nowMs);
    *p++ = '}';
    finishAt(&out, p);
    return out;
}

} // namespace redrive::core
