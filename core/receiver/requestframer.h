// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace redrive::core {

// Follows the framing of the HTTP/1.x requests on one connection (RFC 9112) byte by byte,
// without buffering bodies. The receiver runs it on every byte before QHttpServer 6.4 sees it,
// because 6.4 buffers whole bodies without a limit, ignores "Expect: 100-continue", answers
// pipelined requests in the order they complete and closes malformed requests without an
// answer: this is where an oversized body is refused from its headers alone.
class RequestFramer
{
public:
    enum class Event {
        NeedMore, // everything given was consumed
        HeadComplete, // the request line and headers are in: head() is valid
        MessageComplete, // the body is in as well
        Error // the request is unacceptable: errorStatus()/errorMessage()
    };

    struct Head
    {
        QByteArray method;
        QByteArray target;
        bool http10 = false;
        bool keepAlive = true;
        bool expectContinue = false;
        bool chunked = false;
        qint64 contentLength = 0; // of a non-chunked body
    };

    static constexpr qsizetype DefaultMaxHeadBytes = qsizetype(64) * 1024;
    static constexpr int MaxHeaderFields = 100;

    explicit RequestFramer(qint64 maxBodyBytes, qsizetype maxHeadBytes = DefaultMaxHeadBytes);

    // Consumes bytes up to and including the next event and returns how many it consumed.
    // After Error it consumes nothing more.
    qsizetype feed(const char *data, qsizetype size, Event *event);

    // Body bytes the framer can take without looking at them (the rest of a Content-Length
    // body or of a chunk), and taking them: lets the caller count bodies without copying them.
    qint64 bodyBytesPending() const;
    void skipBody(qint64 bytes);

    const Head &head() const { return m_head; }
    // True before the first byte of a request (blank lines between requests do not count).
    bool isBetweenMessages() const { return m_state == State::Start; }
    bool hasFailed() const { return m_state == State::Failed; }
    int errorStatus() const { return m_errorStatus; }
    QByteArray errorCode() const { return m_errorCode; }
    QString errorMessage() const { return m_errorMessage; }
    qint64 maxBodyBytes() const { return m_maxBody; }

private:
    enum class State {
        Start,
        HeadLines,
        Body,
        ChunkSize,
        ChunkData,
        ChunkDataEnd,
        Trailers,
        Failed
    };

    bool fail(int status, const char *code, const QString &message);
    // Handles one complete line of the head (without its line ending). False on error.
    bool headLine(QByteArrayView line, Event *event);
    bool requestLine(QByteArrayView line);
    bool headerField(QByteArrayView line);
    bool finishHead(Event *event);
    bool chunkSizeLine(QByteArrayView line);
    enum class LineStatus { Complete, Partial, TooLong };
    // The next line from `data` (without its line ending): straight from `data` when it is all
    // there, else gathered in m_line across calls. `limit` caps its length.
    LineStatus nextLine(const char *data, qsizetype size, qsizetype *consumed, qsizetype limit,
                        QByteArrayView *line);
    void startMessage();

    qint64 m_maxBody;
    qsizetype m_maxHead;
    State m_state = State::Start;
    Head m_head;
    QByteArray m_line;
    bool m_lineHadCr = false; // the last complete line ended with CRLF
    qsizetype m_headBytes = 0;
    qint64 m_remaining = 0; // body or chunk bytes still to come
    qint64 m_bodyBytes = 0; // chunked: decoded body bytes so far
    int m_contentLengthCount = 0;
    int m_hostCount = 0;
    int m_headerFields = 0;
    bool m_sawTransferEncoding = false;
    bool m_connectionClose = false;
    bool m_connectionKeepAlive = false;
    int m_errorStatus = 0;
    QByteArray m_errorCode;
    QString m_errorMessage;
};

} // namespace redrive::core
