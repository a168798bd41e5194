// SPDX-License-Identifier: MIT
#include "core/receiver/payloadvalidator.h"

#include <QVarLengthArray>

#include <bit>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstring>
#include <system_error>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace redrive::core {

namespace {

// Keys whose top-level string value names the event, best first (as DeadLetterEntry::topic()).
constexpr const char *TopicKeys[] = { "topicName", "topic", "event", "eventType", "type" };
constexpr int NoTopic = int(std::size(TopicKeys));

// Length of the well-formed UTF-8 sequence of two to four bytes at `p` (RFC 3629: no overlong
// forms, no surrogates, nothing above U+10FFFF), 0 when there is none.
int utf8SequenceLength(const unsigned char *p, qsizetype available)
{
    const unsigned char c = p[0];
    int length = 0;
    unsigned char low = 0x80;
    unsigned char high = 0xbf;
    if (c >= 0xc2 && c <= 0xdf) {
        length = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        length = 3;
        if (c == 0xe0)
            low = 0xa0;
        else if (c == 0xed)
            high = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
        length = 4;
        if (c == 0xf0)
            low = 0x90;
        else if (c == 0xf4)
            high = 0x8f;
    } else {
        return 0;
    }
    if (available < length || p[1] < low || p[1] > high)
        return 0;
    for (int k = 2; k < length; ++k) {
        if (p[k] < 0x80 || p[k] > 0xbf)
            return 0;
    }
    return length;
}

// Offset of the first byte that is not part of a well-formed UTF-8 sequence.
qsizetype firstInvalidUtf8(QByteArrayView text)
{
    const auto *data = reinterpret_cast<const unsigned char *>(text.data());
    const qsizetype size = text.size();
    qsizetype i = 0;
    while (i < size) {
        if (data[i] < 0x80) {
            ++i;
            continue;
        }
        const int length = utf8SequenceLength(data + i, size - i);
        if (length == 0)
            return i;
        i += length;
    }
    return size;
}

class Scanner
{
public:
    Scanner(QByteArrayView text, int maxDepth)
        : m_data(text.data())
        , m_size(text.size())
        , m_maxDepth(maxDepth)
    { }

    PayloadValidator::Result run();

private:
    enum class Expect { Value, Key, AfterValue };

    bool atEnd() const { return m_pos >= m_size; }
    // Most JSON on the wire is compact: one comparison when there is no whitespace.
    void skipSpace()
    {
        if (m_pos<m_size &&static_cast<unsigned char>(m_data[m_pos])> ' ')
            return;
        skipSpaceSlow();
    }
    char peek() const { return m_data[m_pos]; }
    void skipSpaceSlow();
    // Inlined into run(): called for every key and string value, most of them short.
    Q_ALWAYS_INLINE bool string(qsizetype *contentStart, bool *hasEscapes);
    bool number();
    bool literal(const char *word, qsizetype length);
    bool fail(const char *code, const QString &detail);
    QString describeHere() const;

    const char *m_data;
    qsizetype m_size;
    int m_maxDepth;
    qsizetype m_pos = 0;
    bool m_compact = true;
    PayloadValidator::Result m_result;
};

void Scanner::skipSpaceSlow()
{
    while (m_pos < m_size) {
        const char c = m_data[m_pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            return;
        m_compact = false;
        ++m_pos;
    }
}

bool Scanner::fail(const char *code, const QString &detail)
{
    m_result.ok = false;
    m_result.code = code;
    m_result.offset = m_pos;
    m_result.message = detail;
    return false;
}

QString Scanner::describeHere() const
{
    if (atEnd())
        return QStringLiteral("the body ends too early");
    const auto c = static_cast<unsigned char>(m_data[m_pos]);
    if (c >= 0x21 && c < 0x7f)
        return QStringLiteral("unexpected '%1'").arg(QLatin1Char(char(c)));
    return QStringLiteral("unexpected byte 0x%1").arg(c, 2, 16, QLatin1Char('0'));
}

// The bytes of `word` that are '"', '\\', a control character or not ASCII (where a string scan
// stops: the last ones to check their UTF-8), as
// a mask with the high bit of each such byte set: eight bytes at a time instead of one (the
// "has zero byte" bit trick). Bits above the lowest match may be false alarms, never below it.
quint64 stringSpecialMask(quint64 word)
{
    constexpr quint64 Ones = 0x0101010101010101ULL;
    constexpr quint64 Highs = 0x8080808080808080ULL;
    const quint64 quote = word ^ (Ones * '"');
    const quint64 backslash = word ^ (Ones * '\\');
    return (((quote - Ones) & ~quote) | ((backslash - Ones) & ~backslash)
            | ((word - Ones * 0x20) & ~word) | word)
        & Highs;
}

bool isStringSpecial(unsigned char c)
{
    return c == '"' || c == '\\' || c < 0x20 || c >= 0x80;
}

// Index of the first '"', '\\', control character or non-ASCII byte at or after `pos`, or
// `size`.
qsizetype findStringSpecial(const char *data, qsizetype pos, qsizetype size)
{
#if defined(__SSE2__)
    // Sixteen bytes at a time: every x86-64 CPU has SSE2.
    const __m128i quote = _mm_set1_epi8('"');
    const __m128i backslash = _mm_set1_epi8('\\');
    const __m128i lastControl = _mm_set1_epi8(0x1f);
    while (pos + 16 <= size) {
        const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(data + pos));
        const __m128i special = _mm_or_si128(
            _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)),
            _mm_cmpeq_epi8(_mm_min_epu8(bytes, lastControl), bytes)); // bytes <= 0x1f
        // movemask takes each byte's top bit: non-ASCII bytes are in it as they are.
        if (const int mask = _mm_movemask_epi8(_mm_or_si128(special, bytes)))
            return pos + std::countr_zero(unsigned(mask));
        pos += 16;
    }
#endif
    if constexpr (std::endian::native == std::endian::little) {
        while (pos + 8 <= size) {
            quint64 word;
            std::memcpy(&word, data + pos, sizeof word);
            if (const quint64 mask = stringSpecialMask(word))
                return pos + std::countr_zero(mask) / 8;
            pos += 8;
        }
    }
    while (pos < size && !isStringSpecial(static_cast<unsigned char>(data[pos])))
        ++pos;
    return pos;
}

Q_ALWAYS_INLINE bool Scanner::string(qsizetype *contentStart, bool *hasEscapes)
{
    // At the opening quote. Works on locals: the loop stays in registers.
    const char *data = m_data;
    const qsizetype size = m_size;
    qsizetype pos = m_pos + 1;
    *contentStart = pos;
    *hasEscapes = false;
    for (;;) {
        pos = findStringSpecial(data, pos, size);
        if (pos >= size)
            break;
        const auto c = static_cast<unsigned char>(data[pos]);
        if (c == '"') {
            m_pos = pos + 1;
            return true;
        }
        if (c >= 0x80) {
            const int length = utf8SequenceLength(
                reinterpret_cast<const unsigned char *>(data) + pos, size - pos);
            if (length == 0) {
                m_pos = pos;
                return fail("invalid_utf8",
                            QStringLiteral("the body is not valid UTF-8 (at byte %1)").arg(pos));
            }
            pos += length;
            continue;
        }
        if (c < 0x20) {
            m_pos = pos;
            return fail("malformed_json",
                        QStringLiteral("a control character (0x%1) inside a string must be escaped")
                            .arg(c, 2, 16, QLatin1Char('0')));
        }
        // A backslash.
        *hasEscapes = true;
        if (pos + 1 >= size)
            break;
        const char e = data[pos + 1];
        if (e == 'u') {
            if (pos + 6 > size)
                break;
            for (qsizetype i = pos + 2; i < pos + 6; ++i) {
                if (!std::isxdigit(static_cast<unsigned char>(data[i]))) {
                    m_pos = i;
                    return fail("malformed_json",
                                QStringLiteral("\\u must be followed by 4 hex digits"));
                }
            }
            pos += 6;
        } else if (e != '\0' && std::strchr("\"\\/bfnrt", e)) {
            pos += 2;
        } else {
            m_pos = pos + 1;
            return fail("malformed_json", QStringLiteral("invalid escape sequence in a string"));
        }
    }
    m_pos = size;
    return fail("malformed_json", QStringLiteral("unterminated string"));
}

bool Scanner::number()
{
    const qsizetype start = m_pos;
    bool nonZeroDigit = false;
    bool plain = true; // an integer short enough to be exact: no range check needed
    if (m_data[m_pos] == '-')
        ++m_pos;
    if (atEnd() || !std::isdigit(static_cast<unsigned char>(peek())))
        return fail("malformed_json", QStringLiteral("a number needs digits"));
    if (peek() == '0') {
        ++m_pos;
        if (!atEnd() && std::isdigit(static_cast<unsigned char>(peek())))
            return fail("malformed_json", QStringLiteral("numbers must not have leading zeros"));
    } else {
        while (!atEnd() && std::isdigit(static_cast<unsigned char>(peek()))) {
            nonZeroDigit = nonZeroDigit || peek() != '0';
            ++m_pos;
        }
    }
    if (!atEnd() && peek() == '.') {
        plain = false;
        ++m_pos;
        if (atEnd() || !std::isdigit(static_cast<unsigned char>(peek())))
            return fail("malformed_json",
                        QStringLiteral("a decimal point must be followed by digits"));
        while (!atEnd() && std::isdigit(static_cast<unsigned char>(peek()))) {
            nonZeroDigit = nonZeroDigit || peek() != '0';
            ++m_pos;
        }
    }
    if (!atEnd() && (peek() == 'e' || peek() == 'E')) {
        plain = false;
        ++m_pos;
        if (!atEnd() && (peek() == '+' || peek() == '-'))
            ++m_pos;
        if (atEnd() || !std::isdigit(static_cast<unsigned char>(peek())))
            return fail("malformed_json", QStringLiteral("an exponent needs digits"));
        while (!atEnd() && std::isdigit(static_cast<unsigned char>(peek())))
            ++m_pos;
    }
    if (plain && m_pos - start <= 16)
        return true;
    // Like QJsonDocument: a number that overflows a double, or underflows to zero, is refused.
    double value = 0;
    const auto [end, error] = std::from_chars(m_data + start, m_data + m_pos, value);
    if (error != std::errc() || end != m_data + m_pos || !std::isfinite(value)
        || (value == 0 && nonZeroDigit)) {
        m_pos = start;
        return fail("number_out_of_range",
                    QStringLiteral("the number at byte %1 does not fit a 64-bit floating point "
                                   "value")
                        .arg(start));
    }
    return true;
}

bool Scanner::literal(const char *word, qsizetype length)
{
    if (m_size - m_pos < length || std::memcmp(m_data + m_pos, word, size_t(length)) != 0)
        return fail("malformed_json",
                    QStringLiteral("%1 (expected a JSON value)").arg(describeHere()));
    m_pos += length;
    return true;
}

PayloadValidator::Result Scanner::run()
{
    skipSpace();
    if (atEnd()) {
        fail("empty_body", QStringLiteral("the body is empty; expected a JSON object"));
        return m_result;
    }
    const char first = peek();

    // One entry per open container: '{' or '['.
    QVarLengthArray<char, 32> stack;
    Expect expect = Expect::Value;
    int topicRank = NoTopic; // rank of the topic key captured so far
    int pendingRank = NoTopic; // rank of the key whose value comes next (top level only)
    qsizetype topicStart = 0;
    qsizetype topicLength = 0;

    for (;;) {
        skipSpace();
        if (expect == Expect::AfterValue && stack.isEmpty())
            break;
        if (atEnd()) {
            fail("malformed_json", QStringLiteral("the body ends before the JSON value does"));
            return m_result;
        }
        const char c = peek();
        switch (expect) {
        case Expect::Value:
            switch (c) {
            case '{':
            case '[':
                if (stack.size() >= m_maxDepth) {
                    fail(
                        "too_deep",
                        QStringLiteral("the JSON is nested deeper than %1 levels").arg(m_maxDepth));
                    return m_result;
                }
                stack.append(c);
                ++m_pos;
                skipSpace();
                if (!atEnd() && peek() == (c == '{' ? '}' : ']')) {
                    stack.removeLast();
                    ++m_pos;
                    expect = Expect::AfterValue;
                } else {
                    expect = c == '{' ? Expect::Key : Expect::Value;
                }
                pendingRank = NoTopic;
                continue;
            case '"': {
                qsizetype start = 0;
                bool escapes = false;
                if (!string(&start, &escapes))
                    return m_result;
                if (pendingRank < topicRank && !escapes && m_pos - 1 > start) {
                    topicRank = pendingRank;
                    topicStart = start;
                    topicLength = m_pos - 1 - start;
                }
                break;
            }
            case 't':
                if (!literal("true", 4))
                    return m_result;
                break;
            case 'f':
                if (!literal("false", 5))
                    return m_result;
                break;
            case 'n':
                if (!literal("null", 4))
                    return m_result;
                break;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    if (!number())
                        return m_result;
                    break;
                }
                fail("malformed_json",
                     QStringLiteral("%1 (expected a JSON value)").arg(describeHere()));
                return m_result;
            }
            pendingRank = NoTopic;
            expect = Expect::AfterValue;
            continue;

        case Expect::Key: {
            if (c != '"') {
                fail("malformed_json",
                     QStringLiteral("%1 (expected an object key in double quotes)")
                         .arg(describeHere()));
                return m_result;
            }
            qsizetype start = 0;
            bool escapes = false;
            if (!string(&start, &escapes))
                return m_result;
            pendingRank = NoTopic;
            if (stack.size() == 1 && !escapes) {
                const QByteArrayView key(m_data + start, m_pos - 1 - start);
                for (int rank = 0; rank < NoTopic; ++rank) {
                    if (key == QByteArrayView(TopicKeys[rank])) {
                        pendingRank = rank;
                        break;
                    }
                }
            }
            skipSpace();
            if (atEnd() || peek() != ':') {
                fail("malformed_json",
                     QStringLiteral("%1 (expected ':' after an object key)").arg(describeHere()));
                return m_result;
            }
            ++m_pos;
            expect = Expect::Value;
            continue;
        }

        case Expect::AfterValue: {
            const char open = stack.last();
            const char close = open == '{' ? '}' : ']';
            if (c == ',') {
                ++m_pos;
                expect = open == '{' ? Expect::Key : Expect::Value;
            } else if (c == close) {
                ++m_pos;
                stack.removeLast();
            } else {
                fail("malformed_json",
                     QStringLiteral("%1 (expected ',' or '%2')")
                         .arg(describeHere(), QString(QLatin1Char(close))));
                return m_result;
            }
            continue;
        }
        }
    }
    if (!atEnd()) {
        fail("malformed_json",
             QStringLiteral("%1 after the end of the JSON value").arg(describeHere()));
        return m_result;
    }
    if (first != '{') {
        m_pos = 0;
        fail("not_an_object",
             QStringLiteral("the body is JSON but not an object (a delivery is a JSON object)"));
        return m_result;
    }
    m_result.ok = true;
    m_result.compact = m_compact;
    if (topicRank < NoTopic)
        m_result.topic = QByteArray(m_data + topicStart, topicLength);
    return m_result;
}

} // namespace

PayloadValidator::Result PayloadValidator::check(QByteArrayView body, int maxDepth)
{
    // UTF-8 is checked along the way, in strings (anything else non-ASCII is not JSON anyway).
    Result result = Scanner(body, maxDepth).run();
    if (result.ok || result.code == "invalid_utf8")
        return result;
    // Refused for another reason: a body that is not UTF-8 at all is told so first.
    if (const qsizetype bad = firstInvalidUtf8(body); bad < body.size()) {
        result.code = "invalid_utf8";
        result.offset = bad;
        result.message = QStringLiteral("the body is not valid UTF-8 (at byte %1)").arg(bad);
        return result;
    }
    if (result.code == "malformed_json")
        result.message = QStringLiteral("malformed JSON at byte %1: %2")
                             .arg(result.offset)
                             .arg(result.message);
    return result;
}

} // namespace redrive::core
