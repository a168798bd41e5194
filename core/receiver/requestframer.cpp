// SPDX-License-Identifier: MIT
#include "core/receiver/requestframer.h"

#include "core/text/hexdigit.h"

#include <cstring>
#include <limits>

namespace redrive::core {

namespace {

constexpr qsizetype MaxChunkLineBytes = 4096;

bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    return c != '\0' && std::strchr("!#$%&'*+-.^_`|~", c) != nullptr;
}

bool isToken(QByteArrayView text)
{
    if (text.isEmpty())
        return false;
    for (const char c : text) {
        if (!isTokenChar(c))
            return false;
    }
    return true;
}

QByteArrayView trimmedOws(QByteArrayView text)
{
    while (!text.isEmpty() && (text.front() == ' ' || text.front() == '\t'))
        text = text.sliced(1);
    while (!text.isEmpty() && (text.back() == ' ' || text.back() == '\t'))
        text.chop(1);
    return text;
}

bool equalsIgnoringCase(QByteArrayView a, const char *lowercase)
{
    const qsizetype length = qsizetype(std::strlen(lowercase));
    if (a.size() != length)
        return false;
    for (qsizetype i = 0; i < length; ++i) {
        char c = a.at(i);
        if (c >= 'A' && c <= 'Z')
            c = char(c - 'A' + 'a');
        if (c != lowercase[i])
            return false;
    }
    return true;
}

// Calls `f` on each comma-separated element of a header value, without surrounding whitespace.
template<typename F> bool forEachElement(QByteArrayView value, F f)
{
    while (true) {
        const qsizetype comma = value.indexOf(',');
        if (!f(trimmedOws(comma < 0 ? value : value.first(comma))))
            return false;
        if (comma < 0)
            return true;
        value = value.sliced(comma + 1);
    }
}

// The methods there is any use for here (QHttpServer 6.4 names these and calls the rest
// Unknown). Anything else gets 501, as RFC 9110 section 15.6.2 asks for unrecognised methods.
bool isKnownMethod(QByteArrayView method)
{
    static const char *const methods[]
        = { "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH", "TRACE" };
    for (const char *known : methods) {
        if (method == QByteArrayView(known))
            return true;
    }
    return false;
}

} // namespace

RequestFramer::RequestFramer(qint64 maxBodyBytes, qsizetype maxHeadBytes)
    : m_maxBody(maxBodyBytes)
    , m_maxHead(maxHeadBytes)
{ }

void RequestFramer::startMessage()
{
    m_head = Head();
    m_line.clear();
    m_headBytes = 0;
    m_remaining = 0;
    m_bodyBytes = 0;
    m_contentLengthCount = 0;
    m_hostCount = 0;
    m_headerFields = 0;
    m_sawTransferEncoding = false;
    m_connectionClose = false;
    m_connectionKeepAlive = false;
}

bool RequestFramer::fail(int status, const char *code, const QString &message)
{
    m_state = State::Failed;
    m_errorStatus = status;
    m_errorCode = code;
    m_errorMessage = message;
    m_line.clear();
    return false;
}

RequestFramer::LineStatus RequestFramer::nextLine(const char *data, qsizetype size,
                                                  qsizetype *consumed, qsizetype limit,
                                                  QByteArrayView *line)
{
    const void *newline = std::memchr(data, '\n', size_t(size));
    const qsizetype length = newline ? static_cast<const char *>(newline) - data : size;
    if (m_line.size() + length > limit) {
        *consumed = 0;
        return LineStatus::TooLong;
    }
    if (!newline) {
        m_line.append(data, length);
        *consumed = size;
        return LineStatus::Partial;
    }
    *consumed = length + 1;
    if (m_line.isEmpty()) {
        *line = QByteArrayView(data, length); // the usual case: no copy
    } else {
        m_line.append(data, length);
        *line = m_line;
    }
    m_lineHadCr = line->endsWith('\r');
    if (m_lineHadCr)
        line->chop(1);
    return LineStatus::Complete;
}

qsizetype RequestFramer::feed(const char *data, qsizetype size, Event *event)
{
    *event = Event::NeedMore;
    qsizetype pos = 0;
    for (;;) {
        switch (m_state) {
        case State::Failed:
            *event = Event::Error;
            return pos;

        case State::Start:
            if (pos == size)
                return pos;
            // Blank lines before a request line are ignored (RFC 9112 section 2.2).
            if (data[pos] == '\r' || data[pos] == '\n') {
                ++pos;
                break;
            }
            startMessage();
            m_state = State::HeadLines;
            break;

        case State::HeadLines:
        case State::Trailers: {
            if (pos == size)
                return pos;
            qsizetype used = 0;
            QByteArrayView line;
            const LineStatus status
                = nextLine(data + pos, size - pos, &used, m_maxHead - m_headBytes, &line);
            if (status == LineStatus::TooLong) {
                fail(431, "headers_too_large",
                     QStringLiteral("the request line and headers are larger than %1 bytes")
                         .arg(m_maxHead));
                *event = Event::Error;
                return pos;
            }
            pos += used;
            m_headBytes += used;
            if (status == LineStatus::Partial)
                return pos;
            bool ok = true;
            if (m_state == State::HeadLines) {
                ok = headLine(line, event);
            } else if (line.isEmpty() && m_lineHadCr) {
                m_state = State::Start;
                *event = Event::MessageComplete;
            } else {
                // QHttpServer 6.4 closes the connection without an answer on trailer fields
                // and on bare LFs in chunked framing: refused here with one.
                ok = fail(400, "bad_chunk",
                          line.isEmpty()
                              ? QStringLiteral("a chunked body must end with CRLF CRLF")
                              : QStringLiteral("trailer fields after a chunked body are not "
                                               "supported"));
            }
            m_line.clear(); // `line` may point into it: only now
            if (!ok) {
                *event = Event::Error;
                return pos;
            }
            if (*event != Event::NeedMore)
                return pos;
            break;
        }

        case State::Body: {
            if (m_remaining == 0) {
                m_state = State::Start;
                *event = Event::MessageComplete;
                return pos;
            }
            if (pos == size)
                return pos;
            const qint64 take = qMin<qint64>(m_remaining, size - pos);
            m_remaining -= take;
            pos += take;
            break;
        }

        case State::ChunkSize: {
            if (pos == size)
                return pos;
            qsizetype used = 0;
            QByteArrayView line;
            const LineStatus status
                = nextLine(data + pos, size - pos, &used, MaxChunkLineBytes, &line);
            if (status == LineStatus::TooLong) {
                fail(400, "bad_chunk",
                     QStringLiteral("a chunk-size line is longer than %1 bytes")
                         .arg(MaxChunkLineBytes));
                *event = Event::Error;
                return pos;
            }
            pos += used;
            if (status == LineStatus::Partial)
                return pos;
            const bool ok = m_lineHadCr
                ? chunkSizeLine(line)
                : fail(400, "bad_chunk", QStringLiteral("chunk-size lines must end with CRLF"));
            m_line.clear();
            if (!ok) {
                *event = Event::Error;
                return pos;
            }
            break;
        }

        case State::ChunkData: {
            if (pos == size)
                return pos;
            const qint64 take = qMin<qint64>(m_remaining, size - pos);
            m_remaining -= take;
            pos += take;
            if (m_remaining == 0)
                m_state = State::ChunkDataEnd;
            break;
        }

        case State::ChunkDataEnd: {
            if (pos == size)
                return pos;
            qsizetype used = 0;
            QByteArrayView line;
            const LineStatus status = nextLine(data + pos, size - pos, &used, 1, &line);
            if (status == LineStatus::TooLong
                || (status == LineStatus::Complete && !line.isEmpty())) {
                fail(400, "bad_chunk", QStringLiteral("chunk data is longer than its size"));
                *event = Event::Error;
                return pos;
            }
            if (status == LineStatus::Complete && !m_lineHadCr) {
                fail(400, "bad_chunk", QStringLiteral("chunk data must be followed by CRLF"));
                *event = Event::Error;
                return pos;
            }
            pos += used;
            if (status == LineStatus::Complete) {
                m_line.clear();
                m_state = State::ChunkSize;
            }
            break;
        }
        }
    }
}

qint64 RequestFramer::bodyBytesPending() const
{
    return m_state == State::Body || m_state == State::ChunkData ? m_remaining : 0;
}

void RequestFramer::skipBody(qint64 bytes)
{
    Q_ASSERT(bytes <= bodyBytesPending());
    m_remaining -= bytes;
    if (m_state == State::ChunkData && m_remaining == 0)
        m_state = State::ChunkDataEnd;
}

bool RequestFramer::headLine(QByteArrayView line, Event *event)
{
    if (m_head.method.isEmpty())
        return requestLine(line);
    if (line.isEmpty())
        return finishHead(event);
    if (line.front() == ' ' || line.front() == '\t')
        return fail(400, "bad_header",
                    QStringLiteral("obsolete line folding in a header is not accepted"));
    return headerField(line);
}

bool RequestFramer::requestLine(QByteArrayView line)
{
    const qsizetype firstSpace = line.indexOf(' ');
    const qsizetype secondSpace = firstSpace < 0 ? -1 : line.indexOf(' ', firstSpace + 1);
    if (firstSpace <= 0 || secondSpace < 0 || line.indexOf(' ', secondSpace + 1) >= 0)
        return fail(400, "bad_request_line",
                    QStringLiteral("malformed request line (expected METHOD PATH HTTP/1.1)"));
    const QByteArrayView method = line.first(firstSpace);
    const QByteArrayView target = line.sliced(firstSpace + 1, secondSpace - firstSpace - 1);
    const QByteArrayView version = line.sliced(secondSpace + 1);
    if (version == QByteArrayView("HTTP/1.1")) {
        m_head.http10 = false;
    } else if (version == QByteArrayView("HTTP/1.0")) {
        m_head.http10 = true;
    } else if (version.startsWith("HTTP/")) {
        return fail(505, "http_version_not_supported",
                    QStringLiteral("HTTP version %1 is not supported; use HTTP/1.1")
                        .arg(QString::fromLatin1(
                            version.sliced(5).first(qMin<qsizetype>(16, version.size() - 5)))));
    } else {
        return fail(400, "bad_request_line",
                    QStringLiteral("malformed request line (expected METHOD PATH HTTP/1.1)"));
    }
    if (!isToken(method))
        return fail(400, "bad_request_line", QStringLiteral("malformed request method"));
    if (!isKnownMethod(method))
        return fail(
            501, "method_not_implemented",
            QStringLiteral("method %1 is not supported")
                .arg(QString::fromLatin1(method.first(qMin<qsizetype>(32, method.size())))));
    if (target.isEmpty())
        return fail(400, "bad_request_line", QStringLiteral("empty request target"));
    for (const char c : target) {
        const auto u = static_cast<unsigned char>(c);
        if (u <= 0x20 || u == 0x7f)
            return fail(400, "bad_request_line",
                        QStringLiteral("the request target contains a control character"));
    }
    if (target.front() != '/' && target != QByteArrayView("*") && !target.contains("://"))
        return fail(400, "bad_request_line",
                    QStringLiteral("the request target must be a path starting with /"));
    m_head.method = method.toByteArray();
    m_head.target = target.toByteArray();
    return true;
}

bool RequestFramer::headerField(QByteArrayView line)
{
    // QHttpServer 6.4's header parser drops fields past its 100th without a word.
    if (++m_headerFields > MaxHeaderFields)
        return fail(431, "headers_too_large",
                    QStringLiteral("more than %1 header fields").arg(MaxHeaderFields));
    const qsizetype colon = line.indexOf(':');
    if (colon <= 0 || !isToken(line.first(colon)))
        return fail(400, "bad_header",
                    QStringLiteral("malformed header line (expected Name: value)"));
    const QByteArrayView name = line.first(colon);
    const QByteArrayView value = trimmedOws(line.sliced(colon + 1));
    for (const char c : value) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && u != '\t') || u == 0x7f)
            return fail(400, "bad_header",
                        QStringLiteral("header %1 contains a control character")
                            .arg(QString::fromLatin1(name)));
    }

    if (equalsIgnoringCase(name, "content-length")) {
        // A list of identical values is allowed (RFC 9110 section 8.6); anything else is not.
        // One plain number. RFC 9110 section 8.6 tolerates repeats of the same value, but
        // QHttpServer 6.4 would read "5, 5" as no length at all and take the body for the next
        // request: refused here instead.
        if (m_contentLengthCount++ > 0)
            return fail(400, "bad_content_length",
                        QStringLiteral("more than one Content-Length header"));
        if (value.isEmpty())
            return fail(400, "bad_content_length", QStringLiteral("empty Content-Length"));
        qint64 length = 0;
        for (const char c : value) {
            if (c < '0' || c > '9')
                return fail(400, "bad_content_length",
                            QStringLiteral("Content-Length is not one number"));
            // Saturates: anything this long is far over any limit anyway.
            length = length > (std::numeric_limits<qint64>::max() - 9) / 10
                ? std::numeric_limits<qint64>::max()
                : length * 10 + (c - '0');
        }
        m_head.contentLength = length;
        return true;
    }
    if (equalsIgnoringCase(name, "host")) {
        ++m_hostCount;
        return true;
    }
    if (equalsIgnoringCase(name, "transfer-encoding")) {
        m_sawTransferEncoding = true;
        // Only "chunked", once (RFC 9112 section 6.1). A coding the receiver does not decode
        // (gzip, deflate, ...) would be stored still encoded, as if it were the payload: 501, as
        // section 6.1 asks for a transfer coding the server does not understand.
        return forEachElement(value, [this](QByteArrayView coding) {
            if (coding.isEmpty())
                return true; // an empty list element (RFC 9110 section 5.6.1)
            if (!equalsIgnoringCase(coding, "chunked"))
                return fail(501, "transfer_coding_not_implemented",
                            QStringLiteral("only the \"chunked\" transfer coding is supported"));
            if (m_head.chunked)
                return fail(400, "bad_framing",
                            QStringLiteral("\"chunked\" must be applied only once"));
            m_head.chunked = true;
            return true;
        });
    }
    if (equalsIgnoringCase(name, "expect")) {
        if (!equalsIgnoringCase(value, "100-continue"))
            return fail(417, "expectation_failed",
                        QStringLiteral("only \"Expect: 100-continue\" is supported"));
        m_head.expectContinue = true;
        return true;
    }
    if (equalsIgnoringCase(name, "connection")) {
        return forEachElement(value, [this](QByteArrayView option) {
            if (equalsIgnoringCase(option, "close"))
                m_connectionClose = true;
            else if (equalsIgnoringCase(option, "keep-alive"))
                m_connectionKeepAlive = true;
            return true;
        });
    }
    return true;
}

bool RequestFramer::finishHead(Event *event)
{
    // RFC 9112 section 3.2: an HTTP/1.1 request without exactly one Host field is answered 400.
    // Such a request comes from no real client (Genesys, curl and browsers always send Host);
    // refusing it keeps what is stored to requests that are what they claim to be.
    if (m_hostCount > 1 || (m_hostCount == 0 && !m_head.http10))
        return fail(400, "bad_host",
                    m_hostCount == 0 ? QStringLiteral("an HTTP/1.1 request must have a Host header")
                                     : QStringLiteral("a request must have only one Host header"));
    if (m_sawTransferEncoding && m_contentLengthCount > 0)
        return fail(400, "bad_framing",
                    QStringLiteral("a request must not have both Content-Length and "
                                   "Transfer-Encoding"));
    if (m_sawTransferEncoding && !m_head.chunked)
        return fail(400, "bad_framing",
                    QStringLiteral("Transfer-Encoding must end with \"chunked\""));
    m_head.keepAlive
        = m_head.http10 ? (m_connectionKeepAlive && !m_connectionClose) : !m_connectionClose;
    if (m_head.chunked) {
        m_head.contentLength = 0;
        m_bodyBytes = 0;
        m_state = State::ChunkSize;
    } else {
        if (m_head.contentLength > m_maxBody)
            return fail(413, "payload_too_large",
                        QStringLiteral("the body (%1 bytes) is over the limit of %2 bytes")
                            .arg(m_head.contentLength)
                            .arg(m_maxBody));
        m_remaining = m_head.contentLength;
        m_state = State::Body;
    }
    *event = Event::HeadComplete;
    return true;
}

bool RequestFramer::chunkSizeLine(QByteArrayView line)
{
    qsizetype i = 0;
    qint64 size = 0;
    for (; i < line.size() && hexDigitValue(line.at(i)) >= 0; ++i) {
        size = size * 16 + hexDigitValue(line.at(i)); // cannot overflow: checked against the limit
        if (size > m_maxBody - m_bodyBytes)
            return fail(
                413, "payload_too_large",
                QStringLiteral("the chunked body is over the limit of %1 bytes").arg(m_maxBody));
    }
    if (i == 0)
        return fail(400, "bad_chunk", QStringLiteral("malformed chunk size"));
    while (i < line.size() && (line.at(i) == ' ' || line.at(i) == '\t'))
        ++i;
    if (i < line.size() && line.at(i) != ';')
        return fail(400, "bad_chunk", QStringLiteral("malformed chunk size"));
    m_bodyBytes += size;
    if (size == 0) {
        m_state = State::Trailers;
    } else {
        m_remaining = size;
        m_state = State::ChunkData;
    }
    return true;
}

} // namespace redrive::core
