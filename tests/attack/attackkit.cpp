// SPDX-License-Identifier: MIT
#include "tests/attack/attackkit.h"

#include "tests/support/redisserver.h"

#include <QDeadlineTimer>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTest>

#include <algorithm>

#include <sys/resource.h>

namespace redrive::tests {

namespace {

// The end (offset past it) of the complete HTTP response starting at `from`, or -1 while it is
// incomplete; its status in `status`.
qsizetype responseEnd(const QByteArray &buffer, qsizetype from, int *status)
{
    const qsizetype headEnd = buffer.indexOf("\r\n\r\n", from);
    if (headEnd < 0)
        return -1;
    const QByteArray head = buffer.mid(from, headEnd - from);
    *status = head.startsWith("HTTP/1.") ? head.mid(9, 3).toInt() : -1;
    qint64 length = 0;
    for (const QByteArray &line : head.split('\n')) {
        if (line.toLower().startsWith("content-length:"))
            length = line.mid(15).trimmed().toLongLong();
    }
    const qsizetype end = headEnd + 4 + length;
    return end <= buffer.size() ? end : -1;
}

} // namespace

QByteArray taggedId(const QByteArray &tag, int number)
{
    return "atk" + tag + 'n' + QByteArray::number(number) + 'z';
}

QByteArray taggedPayload(const QByteArray &id)
{
    return R"({"topicName":"v2.users.attack.presence","version":"2","eventBody":{"attackId":")" + id
        + R"(","presenceDefinition":{"systemPresence":"Available"}}})";
}

QList<QByteArray> idsIn(const QByteArray &text)
{
    static const QRegularExpression id(QStringLiteral("atk[a-z]+n[0-9]+z"));
    QList<QByteArray> ids;
    auto it = id.globalMatch(QString::fromLatin1(text));
    while (it.hasNext())
        ids.append(it.next().captured().toLatin1());
    return ids;
}

QList<QByteArray> idsInLists(const RedisServer &redis, const QList<QByteArray> &keys)
{
    QList<QByteArray> ids;
    for (const QByteArray &key : keys) {
        for (const QByteArray &element : redis.lrange(key)) {
            const QList<QByteArray> found = idsIn(element);
            // An element holds one delivery; its id may appear more than once in it.
            if (!found.isEmpty())
                ids.append(found.first());
        }
    }
    return ids;
}

QByteArray deliveryRequest(const QByteArray &body, const QByteArray &extraHeaders)
{
    return "POST /webhook/genesys HTTP/1.1\r\nHost: 127.0.0.1\r\n"
           "Content-Type: application/json\r\nContent-Length: "
        + QByteArray::number(body.size()) + "\r\n" + extraHeaders + "\r\n" + body;
}

void raiseOwnDescriptorLimit()
{
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        ::setrlimit(RLIMIT_NOFILE, &limit);
    }
}

// ---- LoadGenerator ----

struct LoadGenerator::Client
{
    QTcpSocket socket;
    QTimer pause;
    QByteArray buffer;
    QByteArray id; // the request waiting for its answer, empty if none
    qint64 sentAt = 0;
};

LoadGenerator::LoadGenerator(const QByteArray &tag, int connections, int pauseMs, QObject *parent)
    : QObject(parent)
    , m_tag(tag)
    , m_pauseMs(pauseMs)
{
    m_clock.start();
    for (int i = 0; i < connections; ++i) {
        auto client = std::make_unique<Client>();
        Client *c = client.get();
        c->pause.setSingleShot(true);
        connect(&c->pause, &QTimer::timeout, this, [this, c] {
            if (!m_running)
                return;
            if (c->socket.state() == QAbstractSocket::ConnectedState)
                sendNext(c);
            else if (c->socket.state() == QAbstractSocket::UnconnectedState)
                connectClient(c);
        });
        connect(&c->socket, &QTcpSocket::connected, this, [this, c] { sendNext(c); });
        connect(&c->socket, &QTcpSocket::readyRead, this, [this, c] { onReadyRead(c); });
        connect(&c->socket, &QTcpSocket::disconnected, this, [this, c] { onClosed(c); });
        connect(&c->socket, &QTcpSocket::errorOccurred, this, [this, c] {
            if (c->socket.state() != QAbstractSocket::ConnectedState)
                onClosed(c);
        });
        m_clients.push_back(std::move(client));
    }
}

LoadGenerator::~LoadGenerator()
{
    m_running = false;
    for (auto &client : m_clients) {
        client->socket.disconnect(this);
        client->socket.abort();
    }
}

void LoadGenerator::start(quint16 port)
{
    m_port = port;
    m_running = true;
    for (auto &client : m_clients)
        connectClient(client.get());
}

void LoadGenerator::stop()
{
    m_running = false;
    for (auto &client : m_clients) {
        client->pause.stop();
        client->socket.abort(); // onClosed() counts a request in flight as unanswered
    }
}

void LoadGenerator::connectClient(Client *client)
{
    client->buffer.clear();
    client->socket.abort();
    client->socket.connectToHost(QStringLiteral("127.0.0.1"), m_port);
}

void LoadGenerator::sendNext(Client *client)
{
    if (!m_running || !client->id.isEmpty())
        return;
    client->id = taggedId(m_tag, m_next++);
    client->sentAt = m_clock.elapsed();
    client->socket.write(deliveryRequest(taggedPayload(client->id)));
    ++m_sent;
    if (m_interrupt && !m_interrupted && acknowledgedCount() >= m_interruptAfter
        && inFlight() >= m_interruptInFlight) {
        client->socket.flush(); // handed to the kernel: on its way to the receiver
        m_interrupted = true;
        m_interrupt();
    }
}

void LoadGenerator::interruptWhenInFlight(int acknowledged, int inFlight,
                                          std::function<void()> interrupt)
{
    m_interruptAfter = acknowledged;
    m_interruptInFlight = inFlight;
    m_interrupt = std::move(interrupt);
    m_interrupted = false;
}

void LoadGenerator::onReadyRead(Client *client)
{
    client->buffer += client->socket.readAll();
    int status = 0;
    const qsizetype end = responseEnd(client->buffer, 0, &status);
    if (end < 0 || client->id.isEmpty())
        return;
    const bool close = client->buffer.left(end).toLower().contains("\r\nconnection: close");
    client->buffer.remove(0, end);
    const qint64 now = m_clock.elapsed();
    m_longestWaitMs = qMax(m_longestWaitMs, now - client->sentAt);
    ++m_answered;
    ++m_statuses[status];
    if (status >= 200 && status < 300) {
        m_acknowledged.append(client->id);
        m_acknowledgedAt.append(now);
        m_lastAcknowledgedAt = now;
    }
    client->id.clear();
    if (close) {
        client->socket.disconnectFromHost();
        return; // onClosed() opens it again
    }
    client->pause.start(m_pauseMs);
}

void LoadGenerator::onClosed(Client *client)
{
    if (!client->id.isEmpty()) {
        m_longestWaitMs = qMax(m_longestWaitMs, m_clock.elapsed() - client->sentAt);
        ++m_unanswered;
        client->id.clear();
    }
    client->buffer.clear();
    // Not at once: a receiver being restarted refuses connections for a while.
    if (m_running && !client->pause.isActive())
        client->pause.start(50);
}

qint64 LoadGenerator::longestWaitMs() const
{
    qint64 longest = m_longestWaitMs;
    for (const auto &client : m_clients) {
        if (!client->id.isEmpty())
            longest = qMax(longest, m_clock.elapsed() - client->sentAt);
    }
    return longest;
}

int LoadGenerator::inFlight() const
{
    return int(std::count_if(m_clients.begin(), m_clients.end(),
                             [](const auto &client) { return !client->id.isEmpty(); }));
}

qint64 LoadGenerator::firstAcknowledgedSince(qint64 since) const
{
    for (const qint64 at : m_acknowledgedAt) {
        if (at >= since)
            return at;
    }
    return -1;
}

// ---- what the downstream received ----

QList<Receipt> receiptsOf(const FakeDownstream &downstream)
{
    QList<Receipt> receipts;
    for (const FakeDownstream::Request &request : downstream.requests()) {
        const QList<QByteArray> ids = idsIn(request.body);
        receipts.append({ ids.isEmpty() ? QByteArray() : ids.first(), request.deliveryId });
    }
    return receipts;
}

// ---- raw exchanges ----

RawResult rawExchange(quint16 port, const QList<QByteArray> &parts, int gapMs, int waitMs,
                      int untilResponses)
{
    RawResult result;
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    result.connected = socket.waitForConnected(10000);
    if (!result.connected)
        return result;
    const auto readSome = [&] {
        result.bytes += socket.readAll();
        result.statuses.clear();
        qsizetype at = 0;
        int status = 0;
        qsizetype end;
        while ((end = responseEnd(result.bytes, at, &status)) >= 0) {
            result.statuses.append(status);
            at = end;
        }
        result.closed = socket.state() == QAbstractSocket::UnconnectedState;
    };
    for (qsizetype i = 0; i < parts.size(); ++i) {
        if (i > 0 && gapMs > 0)
            QTest::qWait(gapMs);
        if (i > 0 && i == parts.size() - 1 && gapMs < 0) {
            QDeadlineTimer answered(waitMs);
            while (!answered.hasExpired() && !result.closed && result.statuses.isEmpty()) {
                socket.waitForReadyRead(50);
                readSome();
            }
        }
        readSome();
        if (result.closed)
            break;
        socket.write(parts.at(i));
        socket.flush();
    }
    QDeadlineTimer deadline(waitMs);
    while (!deadline.hasExpired()) {
        readSome();
        if (result.closed)
            break;
        if (untilResponses > 0 && result.statuses.size() >= untilResponses)
            break;
        socket.waitForReadyRead(50);
    }
    readSome();
    return result;
}

} // namespace redrive::tests
