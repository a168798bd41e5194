// SPDX-License-Identifier: MIT
#include "tests/ui/queuefill.h"

#include "core/queue/deadletterentry.h"
#include "tests/support/redisserver.h"

#include <QDateTime>
#include <QUuid>

namespace redrive::tests {

namespace {

struct Failure
{
    int status;
    const char *error;
};

const Failure RetryableFailures[] = {
    { 503, "Downstream answered HTTP 503 Service Unavailable" },
    { 500, "Downstream answered HTTP 500: NullPointerException in CrmSyncHandler.upsertContact" },
    { 502, "Downstream answered HTTP 502 Bad Gateway (nginx)" },
    { 429, "Downstream answered HTTP 429 Too Many Requests (Retry-After: 30)" },
    { 408, "Downstream did not answer within 10000 ms" },
    { 0, "Connection refused (crm.internal.example:8443)" },
    { 504, "Downstream answered HTTP 504 Gateway Timeout" },
};

const Failure PermanentFailures[] = {
    { 400,
      "Downstream rejected the payload: HTTP 400 {\"error\":\"unknown accountId "
      "ACCT-0042-7781\"}" },
    { 422, "Downstream rejected the payload: HTTP 422 missing field eventBody.queueId" },
    { 404, "Downstream answered HTTP 404: /api/genesys/events not found" },
    { 503, "Downstream answered HTTP 503 Service Unavailable" }, // after its 3 retries
    { 401, "Downstream answered HTTP 401: token expired" },
};

const char *const TopicSuffixes[] = {
    "customer.start", "customer.end", "acw", "user.start", "user.end", "outbound",
};

QString topicFor(int n, const QString &conversationId)
{
    if (n % 9 == 4)
        return QStringLiteral("v2.users.%1.presence").arg(conversationId);
    if (n % 13 == 7)
        return QStringLiteral("v2.routing.queues.%1.conversations").arg(conversationId);
    return QStringLiteral("v2.detail.events.conversation.%1.%2")
        .arg(conversationId, QLatin1String(TopicSuffixes[n % 6]));
}

} // namespace

QByteArray QueueFill::entry(int n, const QByteArray &payload, bool permanent)
{
    const QString conversation
        = QUuid::createUuidV5(QUuid(), QString::number(n)).toString(QUuid::WithoutBraces);
    QByteArray body = payload;
    const QByteArray original = "7c0a4f6e-2b1d-4e9a-9f3c-5d8e1a2b3c4d";
    const qsizetype topicStart = body.indexOf("\"topicName\":\"");
    if (topicStart >= 0) {
        const qsizetype valueStart = topicStart + 13;
        const qsizetype valueEnd = body.indexOf('"', valueStart);
        body.replace(valueStart, valueEnd - valueStart, topicFor(n, conversation).toUtf8());
    }
    body.replace(original, conversation.toUtf8());

    const Failure &failure = permanent ? PermanentFailures[n % 5] : RetryableFailures[n % 7];
    const QDateTime received
        = QDateTime::currentDateTimeUtc().addSecs(-qint64(n) * 47 - (n % 5) * 13);
    const core::HeaderList headers {
        { "content-type", "application/json" },
        { "user-agent", "Genesys-Cloud-Webhooks/2.0" },
        { "inin-correlation-id",
          QUuid::createUuidV5(QUuid(), QString::number(n + 7))
              .toString(QUuid::WithoutBraces)
              .toLatin1() },
        { "x-redrive-secret", "[redacted]" },
    };
    core::DeadLetterEntry e = core::DeadLetterEntry::create(
        body, QString::fromUtf8(failure.error), failure.status, headers,
        QStringLiteral("receiver@support-laptop"),
        QUuid::createUuidV5(QUuid(), QStringLiteral("entry-%1").arg(n))
            .toString(QUuid::WithoutBraces),
        received);
    // Permanent: a refused payload (4xx) goes there at once; a 503 after the default 3 retries.
    const int retries = permanent ? (failure.status == 503 ? 3 : 0) : n % 3;
    for (int attempt = 0; attempt < retries; ++attempt) {
        const QDateTime at = received.addSecs(2 << attempt);
        const QDateTime next = permanent && attempt == retries - 1
            ? QDateTime()
            : QDateTime::currentDateTimeUtc().addSecs(30 + (n % 40) * 17);
        e = e.withFailedAttempt(
            { at, failure.status, QString::fromUtf8(failure.error), qint64(120 + (n * 37) % 900) },
            next);
    }
    if (!permanent && retries == 0)
        e = e.withFields({ { QStringLiteral("next_attempt_at"),
                             core::DeadLetterEntry::formatTimestamp(
                                 QDateTime::currentDateTimeUtc().addSecs(5 + n % 50)) } });
    return e.raw();
}

QByteArray QueueFill::compactPayload()
{
    return QByteArrayLiteral(
        "{\"topicName\":\"v2.users.7c0a4f6e-2b1d-4e9a-9f3c-5d8e1a2b3c4d.presence\",\"version\":"
        "\"2\",\"eventBody\":{\"id\":\"7c0a4f6e-2b1d-4e9a-9f3c-5d8e1a2b3c4d\",\"source\":"
        "\"PURECLOUD\",\"presenceDefinition\":{\"id\":\"6a3af858-942f-489d-9700-5f9bcdcdae9b\","
        "\"systemPresence\":\"Available\"},\"message\":\"\",\"modifiedDate\":"
        "\"2024-05-14T15:42:07.312Z\"},\"metadata\":{\"CorrelationId\":"
        "\"0d9c8b7a-6f5e-4d3c-2b1a-0f9e8d7c6b5a\"}}");
}

bool QueueFill::fill(const RedisServer &server, const QByteArray &key, int count,
                     const QByteArray &payload, bool permanent, QString *error)
{
    // A few hundred distinct entries built here; bigger lists repeat them with a fresh id each,
    // generated by Lua inside Redis in batches (each EVAL stays well under a second, even on a
    // loaded machine).
    const int distinct = std::min(count, 500);
    QList<QByteArray> args { "LPUSH", key };
    QList<QByteArray> templates;
    for (int i = distinct - 1; i >= 0; --i) {
        templates.prepend(entry(i, payload, permanent));
        args.append(templates.constFirst());
    }
    if (count <= distinct) {
        const QVariant reply = server.command(args);
        if (reply.typeId() == QMetaType::QString) {
            *error = reply.toString();
            return false;
        }
        return true;
    }
    static const QByteArray script = R"lua(
local n = tonumber(ARGV[1])
local start = tonumber(ARGV[2])
local t = #ARGV - 2
for i = 0, n - 1 do
  local k = start + i
  local text = ARGV[3 + (k % t)]
  text = string.gsub(text, '"id":"[^"]*"', '"id":"bulk-' .. k .. '"', 1)
  redis.call('RPUSH', KEYS[1], text)
end
return n
)lua";
    const int batch = 10000;
    for (int done = 0; done < count; done += batch) {
        QList<QByteArray> eval { "EVAL",
                                 script,
                                 "1",
                                 key,
                                 QByteArray::number(std::min(batch, count - done)),
                                 QByteArray::number(done) };
        eval.append(templates);
        const QVariant reply = server.command(eval);
        if (reply.typeId() == QMetaType::QString) {
            *error = reply.toString();
            return false;
        }
    }
    return true;
}

} // namespace redrive::tests
