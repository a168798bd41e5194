// SPDX-License-Identifier: MIT
#include "core/receiver/entrywriter.h"

#include <QDateTime>
#include <QVarLengthArray>

#include <algorithm>

namespace redrive::core {

namespace {

constexpr char HexDigits[] = "0123456789abcdef";

bool isSpace(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

void appendEscapedAscii(QByteArray *out, char16_t c)
{
    switch (c) {
    case '"':
        out->append("\\\"", 2);
        return;
    case '\\':
        out->append("\\\\", 2);
        return;
    case '\b':
        out->append("\\b", 2);
        return;
    case '\f':
        out->append("\\f", 2);
        return;
    case '\n':
        out->append("\\n", 2);
        return;
    case '\r':
        out->append("\\r", 2);
        return;
    case '\t':
        out->append("\\t", 2);
        return;
    default:
        break;
    }
    if (c < 0x20) {
        const char escape[]
            = { '\\', 'u', '0', '0', HexDigits[(c >> 4) & 0xf], HexDigits[c & 0xf] };
        out->append(escape, 6);
    } else {
        out->append(char(c));
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

} // namespace

void EntryWriter::appendUtf8String(QByteArray *out, QByteArrayView utf8)
{
    out->append('"');
    const char *data = utf8.data();
    const qsizetype size = utf8.size();
    qsizetype run = 0;
    for (qsizetype i = 0; i < size; ++i) {
        const auto c = static_cast<unsigned char>(data[i]);
        if (!needsEscape(c))
            continue;
        out->append(data + run, i - run);
        appendEscapedAscii(out, c);
        run = i + 1;
    }
    out->append(data + run, size - run);
    out->append('"');
}

void EntryWriter::appendString(QByteArray *out, QStringView text)
{
    // Encoded through a small buffer: appending byte by byte costs more than the encoding.
    char buffer[512];
    qsizetype used = 0;
    const auto put = [&](char c) { buffer[used++] = c; };
    const auto putEscape = [&](char16_t c) {
        const char escape[] = { '\\',
                                'u',
                                HexDigits[(c >> 12) & 0xf],
                                HexDigits[(c >> 8) & 0xf],
                                HexDigits[(c >> 4) & 0xf],
                                HexDigits[c & 0xf] };
        for (const char e : escape)
            put(e);
    };
    put('"');
    const qsizetype size = text.size();
    for (qsizetype i = 0; i < size; ++i) {
        if (used > qsizetype(sizeof buffer) - 8) {
            out->append(buffer, used);
            used = 0;
        }
        const char16_t c = text.at(i).unicode();
        if (c < 0x80) {
            switch (c) {
            case '"':
                put('\\');
                put('"');
                break;
            case '\\':
                put('\\');
                put('\\');
                break;
            case '\b':
                put('\\');
                put('b');
                break;
            case '\f':
                put('\\');
                put('f');
                break;
            case '\n':
                put('\\');
                put('n');
                break;
            case '\r':
                put('\\');
                put('r');
                break;
            case '\t':
                put('\\');
                put('t');
                break;
            default:
                if (c < 0x20)
                    putEscape(c);
                else
                    put(char(c));
            }
        } else if (c < 0x800) {
            put(char(0xc0 | (c >> 6)));
            put(char(0x80 | (c & 0x3f)));
        } else if (QChar::isHighSurrogate(c) && i + 1 < size
                   && QChar::isLowSurrogate(text.at(i + 1).unicode())) {
            const char32_t u = QChar::surrogateToUcs4(c, text.at(i + 1).unicode());
            ++i;
            put(char(0xf0 | (u >> 18)));
            put(char(0x80 | ((u >> 12) & 0x3f)));
            put(char(0x80 | ((u >> 6) & 0x3f)));
            put(char(0x80 | (u & 0x3f)));
        } else if (QChar::isSurrogate(c)) {
            putEscape(c); // what QJsonDocument writes for a lone surrogate
        } else {
            put(char(0xe0 | (c >> 12)));
            put(char(0x80 | ((c >> 6) & 0x3f)));
            put(char(0x80 | (c & 0x3f)));
        }
    }
    put('"');
    out->append(buffer, used);
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
        QString name;
        QByteArrayView value;
    };
    QVarLengthArray<Header, 16> headers;
    for (const auto &[name, value] : fields.headers)
        headers.append({ QString::fromLatin1(name).toLower(), value });
    std::stable_sort(headers.begin(), headers.end(),
                     [](const Header &a, const Header &b) { return a.name < b.name; });

    const QByteArray payload = fields.payloadCompact ? fields.payload : minify(fields.payload);
    const QByteArray status = QByteArray::number(fields.statusCode);
    QByteArray out;
    out.reserve(payload.size() + 400 + 2 * fields.errorMessage.size());
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
        appendString(&out, headers[i].name);
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
