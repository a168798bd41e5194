// SPDX-License-Identifier: MIT
#include "core/triage/failurefingerprint.h"

#include "core/delivery/downstreamclient.h"
#include "core/queue/deadletterentry.h"
#include "core/queue/topicpattern.h"
#include "core/text/hexdigit.h"

#include <QCryptographicHash>
#include <QDate>
#include <QTime>

#include <cstring>
#include <limits>

namespace redrive::core {

namespace {

// A forward-only reader over one element's bytes. Every step checks the end, so truncated or
// hostile text ends in `ok = false`, never in a read past the end.
struct Reader
{
    const char *p;
    const char *end;
    bool ok = true;

    void skipSpace()
    {
        while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
            ++p;
    }
    bool take(char c)
    {
        skipSpace();
        if (p < end && *p == c) {
            ++p;
            return true;
        }
        return false;
    }
    // At an opening quote: the bytes between the quotes, escapes left as they are. Looks for
    // the closing quote with memchr (most of an entry is the payload's strings); control
    // characters inside are not checked.
    QByteArrayView rawString()
    {
        if (p >= end || *p != '"') {
            ok = false;
            return {};
        }
        const char *start = ++p;
        for (;;) {
            const char *quote = static_cast<const char *>(std::memchr(p, '"', size_t(end - p)));
            if (!quote) {
                p = end;
                ok = false;
                return {};
            }
            const char *escapes = quote;
            while (escapes > start && escapes[-1] == '\\')
                --escapes;
            p = quote + 1;
            if ((quote - escapes) % 2 == 0) // not itself escaped
                return QByteArrayView(start, quote - start);
        }
    }
    // Skips one value of any type, checking the structure (depth limited like Qt's parser).
    void skipValue(int depth = 0)
    {
        skipSpace();
        if (p >= end || depth > 1000) {
            ok = false;
            return;
        }
        const char c = *p;
        if (c == '"') {
            rawString();
        } else if (c == '{') {
            ++p;
            if (take('}'))
                return;
            do {
                skipSpace();
                rawString();
                if (!ok || !take(':')) {
                    ok = false;
                    return;
                }
                skipValue(depth + 1);
                if (!ok)
                    return;
            } while (take(','));
            ok = ok && take('}');
        } else if (c == '[') {
            ++p;
            if (take(']'))
                return;
            do {
                skipValue(depth + 1);
                if (!ok)
                    return;
            } while (take(','));
            ok = ok && take(']');
        } else if (c == 't' || c == 'f' || c == 'n') {
            const QByteArrayView word = c == 't' ? "true" : (c == 'f' ? "false" : "null");
            if (end - p < word.size() || QByteArrayView(p, word.size()) != word) {
                ok = false;
                return;
            }
            p += word.size();
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            ++p;
            while (p < end
                   && ((*p >= '0' && *p <= '9') || *p == '.' || *p == 'e' || *p == 'E' || *p == '+'
                       || *p == '-'))
                ++p;
        } else {
            ok = false;
        }
    }
    // A number value as QJsonValue::toInt() reads it (0 when not a number).
    int intValue()
    {
        skipSpace();
        const char *start = p;
        skipValue();
        if (!ok || start == p || !(*start == '-' || (*start >= '0' && *start <= '9')))
            return 0;
        bool good = false;
        const double value = QByteArrayView(start, p - start).toDouble(&good);
        // Only doubles that are ints (as QJsonValue::toInt); the range check comes first, as
        // converting a double beyond int's range is undefined.
        if (!good || !(value >= double(std::numeric_limits<int>::min()))
            || !(value <= double(std::numeric_limits<int>::max())))
            return 0;
        return value == double(int(value)) ? int(value) : 0;
    }
};

// The text of a JSON string's inside (escapes resolved). Text without escapes, the common
// case, is one UTF-8 conversion.
QString decodeString(QByteArrayView raw)
{
    if (!raw.contains('\\'))
        return QString::fromUtf8(raw);
    QString out;
    out.reserve(raw.size());
    QByteArray run;
    const auto flush = [&] {
        out += QString::fromUtf8(run);
        run.clear();
    };
    for (qsizetype i = 0; i < raw.size(); ++i) {
        const char c = raw.at(i);
        if (c != '\\' || i + 1 >= raw.size()) {
            run += c;
            continue;
        }
        const char e = raw.at(++i);
        switch (e) {
        case 'n':
            run += '\n';
            break;
        case 't':
            run += '\t';
            break;
        case 'r':
            run += '\r';
            break;
        case 'b':
            run += '\b';
            break;
        case 'f':
            run += '\f';
            break;
        case 'u': {
            if (i + 4 >= raw.size())
                return out + QString::fromUtf8(run);
            int code = 0;
            for (int k = 1; k <= 4; ++k)
                code = code * 16 + qMax(0, hexDigitValue(raw.at(i + k)));
            i += 4;
            flush();
            out += QChar(char16_t(code)); // surrogate halves pair up in the QString
            break;
        }
        default:
            run += e; // \" \\ \/
        }
    }
    flush();
    return out;
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian).
qint64 daysFromCivil(int y, int m, int d)
{
    y -= m <= 2;
    const qint64 era = (y >= 0 ? y : y - 399) / 400;
    const int yoe = int(y - era * 400);
    const int doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    const int doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

// "2026-12-02T05:31:49.123Z" and "+hh:mm" offsets without QDateTime (the hot path of a scan);
// anything else, naive local times included, through DeadLetterEntry::parseTimestamp.
qint64 parseTimestampMs(QByteArrayView t)
{
    const auto digits = [&](qsizetype at, int count, int *value) {
        int v = 0;
        for (int k = 0; k < count; ++k) {
            if (at + k >= t.size() || t.at(at + k) < '0' || t.at(at + k) > '9')
                return false;
            v = v * 10 + (t.at(at + k) - '0');
        }
        *value = v;
        return true;
    };
    int y, mo, d, h, mi, s;
    if (t.size() >= 20 && digits(0, 4, &y) && t.at(4) == '-' && digits(5, 2, &mo) && t.at(7) == '-'
        && digits(8, 2, &d) && (t.at(10) == 'T' || t.at(10) == ' ') && digits(11, 2, &h)
        && t.at(13) == ':' && digits(14, 2, &mi) && t.at(16) == ':' && digits(17, 2, &s) && mo >= 1
        && mo <= 12 && d >= 1 && d <= 31 && h < 24 && mi < 60 && s < 61) {
        qsizetype i = 19;
        int ms = 0;
        if (t.at(i) == '.') {
            int scale = 100;
            for (++i; i < t.size() && t.at(i) >= '0' && t.at(i) <= '9'; ++i) {
                ms += (t.at(i) - '0') * scale;
                scale /= 10;
            }
        }
        int offsetMinutes = 0;
        bool zoned = false;
        if (i == t.size() - 1 && t.at(i) == 'Z') {
            zoned = true;
        } else if (i == t.size() - 6 && (t.at(i) == '+' || t.at(i) == '-') && t.at(i + 3) == ':') {
            int oh, om;
            if (digits(i + 1, 2, &oh) && digits(i + 4, 2, &om)) {
                offsetMinutes = (oh * 60 + om) * (t.at(i) == '-' ? -1 : 1);
                zoned = true;
            }
        }
        if (zoned)
            return ((daysFromCivil(y, mo, d) * 24 + h) * 60 + mi - offsetMinutes) * 60000LL
                + s * 1000LL + ms;
    }
    const QDateTime time = DeadLetterEntry::parseTimestamp(QString::fromUtf8(t));
    return time.isValid() ? time.toMSecsSinceEpoch() : -1;
}

constexpr QByteArrayView TopicKeys[] = { "topicName", "topic", "event", "eventType", "type" };

bool isWordChar(QChar c)
{
    return c.isLetterOrNumber() || c == QLatin1Char('_') || c == QLatin1Char('-');
}

// A word that names one thing rather than saying something: a number, a UUID, a long hex or
// letters-and-digits token ("req_8f3a2c91").
QString replacementFor(QStringView word)
{
    bool digits = true, hex = true, hasDigit = false, hasLetter = false;
    for (const QChar c : word) {
        const bool digit = c >= QLatin1Char('0') && c <= QLatin1Char('9');
        hasDigit = hasDigit || digit;
        hasLetter = hasLetter || c.isLetter();
        digits = digits && digit;
        hex = hex
            && (digit || c == QLatin1Char('-')
                || (c.toLower() >= QLatin1Char('a') && c.toLower() <= QLatin1Char('f')));
    }
    if (digits)
        return QStringLiteral("<n>");
    if (hasDigit && word.size() >= 8 && (hex || hasLetter))
        return QStringLiteral("<id>");
    return {};
}

QString hostOf(const QString &reason)
{
    // QNetworkReply: "Host db.example.com not found"; URLs in "Error transferring http://...".
    // A plain socket says "Host not found", naming none.
    static const QLatin1String hostPrefix("Host ");
    static const QLatin1String notFound(" not found");
    if (reason.startsWith(hostPrefix) && reason.endsWith(notFound)
        && reason.size() > hostPrefix.size() + notFound.size()) {
        const QString name
            = reason.mid(hostPrefix.size(), reason.size() - hostPrefix.size() - notFound.size())
                  .trimmed();
        if (!name.isEmpty() && !name.contains(QLatin1Char(' ')))
            return name;
    }
    const qsizetype scheme = reason.indexOf(QLatin1String("://"));
    if (scheme > 0) {
        qsizetype i = scheme + 3;
        qsizetype start = i;
        while (i < reason.size() && reason.at(i) != QLatin1Char('/') && !reason.at(i).isSpace())
            ++i;
        QString authority = reason.mid(start, i - start);
        authority = authority.mid(authority.lastIndexOf(QLatin1Char('@')) + 1); // no credentials
        if (!authority.startsWith(QLatin1Char('['))) {
            const qsizetype colon = authority.lastIndexOf(QLatin1Char(':'));
            if (colon >= 0)
                authority.truncate(colon);
        }
        return authority.toLower();
    }
    return {};
}

} // namespace

FailureFacts extractFailureFacts(QByteArrayView raw)
{
    FailureFacts facts;
    Reader r { raw.data(), raw.data() + raw.size() };
    r.skipSpace();
    if (r.p >= r.end || *r.p != '{') {
        r.skipValue();
        r.skipSpace();
        facts.garbage = r.ok && r.p == r.end ? FailureKind::NotEntry : FailureKind::NotJson;
        return facts;
    }
    ++r.p;
    QByteArrayView receivedAt, timestamp, topic;
    int topicRank = int(std::size(TopicKeys));
    bool hasPayload = false;
    if (!r.take('}')) {
        do {
            r.skipSpace();
            const QByteArrayView key = r.rawString();
            if (!r.ok || !r.take(':')) {
                r.ok = false;
                break;
            }
            r.skipSpace();
            if (key == "original_payload") {
                hasPayload = true;
                topic = {};
                topicRank = int(std::size(TopicKeys));
                if (r.p < r.end && *r.p == '{') {
                    ++r.p;
                    if (!r.take('}')) {
                        do {
                            r.skipSpace();
                            const QByteArrayView inner = r.rawString();
                            if (!r.ok || !r.take(':')) {
                                r.ok = false;
                                break;
                            }
                            r.skipSpace();
                            int rank = 0;
                            while (rank < topicRank && TopicKeys[rank] != inner)
                                ++rank;
                            if (rank < topicRank && r.p < r.end && *r.p == '"') {
                                const QByteArrayView value = r.rawString();
                                if (!value.isEmpty()) { // an empty value does not count
                                    topic = value;
                                    topicRank = rank;
                                }
                            } else {
                                r.skipValue(1);
                            }
                        } while (r.ok && r.take(','));
                        r.ok = r.ok && r.take('}');
                    }
                } else {
                    r.skipValue();
                }
            } else if (r.p < r.end && *r.p == '"'
                       && (key == "error_message" || key == "received_at" || key == "timestamp"
                           || key == "id")) {
                const QByteArrayView value = r.rawString();
                if (key == "error_message")
                    facts.errorMessage = decodeString(value);
                else if (key == "received_at")
                    receivedAt = value;
                else if (key == "timestamp")
                    timestamp = value;
                else
                    facts.id = decodeString(value);
            } else if (key == "status_code") {
                facts.statusCode = r.intValue();
            } else {
                if (key == "error_message")
                    facts.errorMessage.clear(); // not a string: as toString() reads it
                else if (key == "id")
                    facts.id.clear();
                else if (key == "received_at")
                    receivedAt = {};
                else if (key == "timestamp")
                    timestamp = {};
                r.skipValue();
            }
        } while (r.ok && r.take(','));
        r.ok = r.ok && r.take('}');
    }
    r.skipSpace();
    if (!r.ok || r.p != r.end) {
        facts = FailureFacts();
        facts.garbage = FailureKind::NotJson;
        return facts;
    }
    if (!hasPayload) {
        facts = FailureFacts();
        facts.garbage = FailureKind::NotEntry;
        return facts;
    }
    facts.isEntry = true;
    facts.topic = decodeString(topic);
    if (!receivedAt.isEmpty())
        facts.arrivedAtMs = parseTimestampMs(receivedAt);
    if (facts.arrivedAtMs < 0 && !timestamp.isEmpty())
        facts.arrivedAtMs = parseTimestampMs(timestamp);
    return facts;
}

QString normaliseErrorText(const QString &input)
{
    // Free text can be a whole stack trace: what tells failures apart is at its start.
    const QStringView text = QStringView(input).left(300);
    QString out;
    out.reserve(text.size());
    qsizetype i = 0;
    while (i < text.size()) {
        const QChar c = text.at(i);
        if ((c == QLatin1Char('"') || c == QLatin1Char('\''))
            && (i == 0 || !text.at(i - 1).isLetterOrNumber())) {
            qsizetype close = text.indexOf(c, i + 1);
            // An apostrophe inside a word ("can't") does not close a quote.
            while (close > 0 && close + 1 < text.size() && text.at(close + 1).isLetterOrNumber())
                close = text.indexOf(c, close + 1);
            if (close > i) {
                out += QLatin1String("<q>");
                i = close + 1;
                continue;
            }
        }
        if (isWordChar(c)) {
            qsizetype j = i;
            while (j < text.size() && isWordChar(text.at(j)))
                ++j;
            const QStringView word = text.mid(i, j - i);
            const QString replacement = replacementFor(word);
            out += replacement.isEmpty() ? word.toString() : replacement;
            i = j;
            continue;
        }
        if (c.isSpace()) {
            while (i < text.size() && text.at(i).isSpace())
                ++i;
            out += QLatin1Char(' ');
            continue;
        }
        out += c;
        ++i;
    }
    return out.trimmed();
}

FailureFingerprint failureFingerprint(const FailureFacts &facts)
{
    FailureFingerprint f;
    if (!facts.isEntry) {
        f.kind
            = facts.garbage == FailureKind::NotEntry ? FailureKind::NotEntry : FailureKind::NotJson;
        return f;
    }
    f.topicPattern = topicPattern(facts.topic).pattern;
    const QString &error = facts.errorMessage;
    static const QLatin1String timedOut("downstream timed out");
    static const QLatin1String answered("downstream answered ");
    static const QLatin1String unreachable("downstream unreachable: ");
    if (error.startsWith(timedOut)) {
        f.kind = FailureKind::Timeout;
        return f;
    }
    if (error.startsWith(answered)) {
        qsizetype i = answered.size();
        int status = 0;
        while (i < error.size() && error.at(i).isDigit() && status < 1000)
            status = status * 10 + error.at(i++).digitValue();
        if (status >= 100 && status < 1000) {
            f.statusCode = status;
            f.kind
                = DownstreamClient::classifyStatus(status) == DownstreamResult::Outcome::Permanent
                ? FailureKind::Refused
                : FailureKind::HttpStatus;
            return f;
        }
    }
    if (error.startsWith(unreachable)) {
        const QString reason = error.mid(unreachable.size()).trimmed();
        const QString lower = reason.toLower();
        f.host = hostOf(reason);
        if (lower.contains(QLatin1String("not found")) || lower.contains(QLatin1String("resolve"))
            || lower.contains(QLatin1String("name or service"))
            || lower.contains(QLatin1String("dns"))) {
            f.kind = FailureKind::Dns;
            if (f.host.isEmpty())
                f.detail = normaliseErrorText(reason);
        } else if (lower.contains(QLatin1String("ssl")) || lower.contains(QLatin1String("tls"))
                   || lower.contains(QLatin1String("certificate"))
                   || lower.contains(QLatin1String("handshake"))) {
            f.kind = FailureKind::Tls;
            f.detail = normaliseErrorText(reason);
        } else if (lower.contains(QLatin1String("timed out"))
                   || lower.contains(QLatin1String("timeout"))) {
            f.kind = FailureKind::Timeout;
        } else {
            f.kind = FailureKind::Unreachable;
            f.detail = normaliseErrorText(reason);
        }
        return f;
    }
    f.kind = FailureKind::Other;
    f.statusCode = facts.statusCode;
    f.detail = normaliseErrorText(error);
    return f;
}

QString failureKindName(FailureKind kind)
{
    switch (kind) {
    case FailureKind::Timeout:
        return QStringLiteral("timeout");
    case FailureKind::Unreachable:
        return QStringLiteral("unreachable");
    case FailureKind::Dns:
        return QStringLiteral("dns");
    case FailureKind::Tls:
        return QStringLiteral("tls");
    case FailureKind::HttpStatus:
        return QStringLiteral("http");
    case FailureKind::Refused:
        return QStringLiteral("refused");
    case FailureKind::Other:
        return QStringLiteral("other");
    case FailureKind::NotJson:
        return QStringLiteral("not-json");
    case FailureKind::NotEntry:
        return QStringLiteral("not-entry");
    }
    return QStringLiteral("other");
}

QString FailureFingerprint::key() const
{
    return QStringLiteral("v1|%1|%2|%3|%4|%5")
        .arg(failureKindName(kind))
        .arg(statusCode)
        .arg(host, topicPattern, detail);
}

QString FailureFingerprint::groupIdOfKey(const QString &key)
{
    return QString::fromLatin1(
        QCryptographicHash::hash(key.toUtf8(), QCryptographicHash::Sha1).toHex().left(12));
}

QString FailureFingerprint::failure() const
{
    static const QString dot = QStringLiteral(" · ");
    QString what;
    switch (kind) {
    case FailureKind::Timeout:
        what = QStringLiteral("Timeout");
        break;
    case FailureKind::Unreachable:
        what = QStringLiteral("Unreachable: ") + detail;
        break;
    case FailureKind::Dns:
        what = QStringLiteral("DNS: ")
            + (host.isEmpty() ? detail : host + QStringLiteral(" not found"));
        break;
    case FailureKind::Tls:
        what = QStringLiteral("TLS: ") + detail;
        break;
    case FailureKind::HttpStatus:
        what = QStringLiteral("HTTP %1").arg(statusCode);
        break;
    case FailureKind::Refused:
        what = QStringLiteral("HTTP %1 refused").arg(statusCode);
        break;
    case FailureKind::Other:
        what = (statusCode ? QString::number(statusCode) + dot : QString())
            + (detail.isEmpty() ? QStringLiteral("(no error text)") : detail);
        break;
    case FailureKind::NotJson:
        return QStringLiteral("Not JSON");
    case FailureKind::NotEntry:
        return QStringLiteral("JSON, not an entry");
    }
    if (!host.isEmpty() && kind != FailureKind::Dns)
        what += dot + host;
    return what;
}

QString FailureFingerprint::title() const
{
    if (kind == FailureKind::NotJson || kind == FailureKind::NotEntry)
        return failure();
    return failure() + QStringLiteral(" · ")
        + (topicPattern.isEmpty() ? QStringLiteral("(no topic)") : topicPattern);
}

} // namespace redrive::core
