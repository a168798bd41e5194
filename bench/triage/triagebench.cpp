// SPDX-License-Identifier: MIT
// Groups dead-letter lists of 100,000 and 1,000,000 entries the way the console and the CLI do
// (core::FailureGroupScan over core's RedisConnection) against a private redis-server, and
// reports wall time, progress cadence and the longest single Redis call (SLOWLOG, every call
// logged). With --lua it also times the alternative: a Lua script that extracts the fields
// inside Redis, so that only a few strings per entry travel.
//
//   redrive-triage-bench [--runs N] [--lua] [--window-kb K] [sizes...]
//   (defaults: 3 runs, FailureGroupScan's window size, 100000 1000000)

#include "core/queue/entrywriter.h"
#include "core/queue/queuekeys.h"
#include "core/queue/topicpattern.h"
#include "core/redis/redisconnection.h"
#include "core/triage/failurefingerprint.h"
#include "core/triage/failuregroupscan.h"
#include "tests/support/redisserver.h"
#include "tests/support/testenv.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QHash>
#include <QTextStream>
#include <QUuid>

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <functional>

using namespace redrive::core;
using redrive::tests::RedisServer;

namespace {

QTextStream out(stdout);

struct Kind
{
    int percentTenths; // share of the list in tenths of a percent
    const char *error;
    int status;
};

// A mix of what a DLQ holds when several things go wrong at once.
constexpr Kind Mix[] = {
    { 400, "downstream answered 503: {\"message\":\"Service Unavailable\"}", 503 },
    { 200, "downstream timed out after 10000 ms", 504 },
    { 100, "downstream unreachable: Connection refused", 502 },
    { 50, "downstream unreachable: Host crm.example.com not found", 502 },
    { 40, "downstream unreachable: SSL handshake failed: The certificate has expired", 502 },
    { 100, "downstream answered 422: {\"message\":\"invalid field 'email'\"}", 422 },
    { 100, nullptr, 500 }, // the tutorial's own entry
    { 10, nullptr, 0 }, // garbage
};

const char *const Topics[] = { "v2.detail.events.conversation.%1.customer.start",
                               "v2.users.%1.presence", "v2.routing.queues.%1.conversations" };

QByteArray makeEntry(const QByteArray &notification, qint64 n, qint64 nowMs)
{
    const int slot = int((n * 7919) % 1000);
    int acc = 0;
    const Kind *kind = &Mix[0];
    for (const Kind &k : Mix) {
        acc += k.percentTenths;
        if (slot < acc) {
            kind = &k;
            break;
        }
    }
    const QString uuid = QUuid::createUuid().toString(QUuid::WithoutBraces);
    const QString topic = QString::fromLatin1(Topics[n % 3]).arg(uuid);
    QByteArray payload = notification;
    const qsizetype at = payload.indexOf("\"topicName\":\"") + 13;
    payload.replace(at, payload.indexOf('"', at) - at, topic.toUtf8());
    const qint64 receivedAt = nowMs - (n * 172800000LL) / 1000003; // over the last two days
    if (kind->status == 0)
        return "garbage element " + QByteArray::number(n);
    if (!kind->error) {
        return "{\"original_payload\": " + payload
            + ", \"error_message\": \"Simulated Database Connection Timeout\", \"status_code\": "
              "500, \"timestamp\": \""
            + QDateTime::fromMSecsSinceEpoch(receivedAt).toString(Qt::ISODateWithMs).toUtf8()
            + "123\", \"retry_count\": 0}";
    }
    EntryWriter::Fields fields;
    fields.payload = payload;
    fields.payloadCompact = true;
    fields.errorMessage = QString::fromUtf8(kind->error);
    fields.statusCode = kind->status;
    fields.headers
        = { { "content-type", "application/json" }, { "inin-correlation-id", uuid.toUtf8() } };
    fields.source = QStringLiteral("receiver");
    fields.id = QUuid::createUuid().toString(QUuid::WithoutBraces);
    fields.receivedAtMs = receivedAt;
    fields.nowMs = receivedAt + 12;
    return EntryWriter::write(fields);
}

void fill(RedisServer &redis, const QByteArray &key, qint64 count)
{
    const QByteArray notification = redrive::tests::sampleNotification();
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    redis.command({ QByteArrayLiteral("DEL"), key });
    qint64 bytes = 0;
    for (qint64 i = 0; i < count; i += 2000) {
        QList<QByteArray> args { QByteArrayLiteral("RPUSH"), key };
        for (qint64 n = i; n < qMin(count, i + 2000); ++n) {
            args.append(makeEntry(notification, n, now));
            bytes += args.last().size();
        }
        redis.command(args);
    }
    out << "  filled " << count << " entries, " << bytes / count << " bytes each on average\n";
    out.flush();
}

struct RedisSide
{
    qint64 maxUs = 0; // longest single call
    qint64 p99Us = 0;
    qint64 calls = 0;
    double usPerCall = 0;
    qint64 totalUs = 0;
};

RedisSide slowlog(RedisServer &redis, const QByteArray &command)
{
    RedisSide side;
    QList<qint64> durations;
    const QVariantList entries = redis
                                     .command({ QByteArrayLiteral("SLOWLOG"),
                                                QByteArrayLiteral("GET"), QByteArrayLiteral("-1") })
                                     .toList();
    for (const QVariant &entry : entries) {
        const QVariantList fields = entry.toList();
        if (fields.size() < 4)
            continue;
        const QVariantList args = fields.at(3).toList();
        if (args.isEmpty() || args.first().toByteArray().toUpper() != command)
            continue;
        const qint64 us = fields.at(2).toLongLong();
        side.maxUs = qMax(side.maxUs, us);
        side.totalUs += us;
        ++side.calls;
        durations.append(us);
    }
    std::sort(durations.begin(), durations.end());
    if (!durations.isEmpty())
        side.p99Us = durations.at(durations.size() * 99 / 100);
    side.usPerCall = side.calls ? double(side.totalUs) / double(side.calls) : 0;
    return side;
}

void resetStats(RedisServer &redis)
{
    redis.command({ QByteArrayLiteral("SLOWLOG"), QByteArrayLiteral("RESET") });
    redis.command({ QByteArrayLiteral("CONFIG"), QByteArrayLiteral("RESETSTAT") });
}

qint64 cpuMs()
{
    timespec t {};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return qint64(t.tv_sec) * 1000 + t.tv_nsec / 1000000;
}

struct Run
{
    qint64 wallMs = 0;
    qint64 cpuMs = 0; // this process' CPU time: the client's share, whatever the machine's load
    qint64 longestClientMs = 0;
    qint64 longestProgressGapMs = 0;
    RedisSide redis;
    qint64 scanned = 0;
    int groups = 0;
    int windows = 0;
};

Run scanOnce(RedisServer &redis, RedisConnection &connection, const QByteArray &key,
             qint64 windowBytes)
{
    resetStats(redis);
    FailureGroupScan scan(&connection, key);
    if (windowBytes > 0)
        scan.setWindowBytes(windowBytes);
    QEventLoop loop;
    FailureGroups result;
    QElapsedTimer clock;
    qint64 lastProgress = 0;
    Run run;
    QObject::connect(&scan, &FailureGroupScan::progress, &loop, [&] {
        run.longestProgressGapMs = qMax(run.longestProgressGapMs, clock.elapsed() - lastProgress);
        lastProgress = clock.elapsed();
    });
    QObject::connect(&scan, &FailureGroupScan::finished, &loop, [&](const FailureGroups &groups) {
        result = groups;
        loop.quit();
    });
    const qint64 cpuStart = cpuMs();
    clock.start();
    scan.start();
    loop.exec();
    run.wallMs = clock.elapsed();
    run.cpuMs = cpuMs() - cpuStart;
    if (!result.ok()) {
        out << "  scan failed: " << result.error << "\n";
        return run;
    }
    run.longestClientMs = result.longestCallMs;
    run.scanned = result.scanned;
    run.groups = int(result.groups.size());
    run.windows = result.windows;
    run.redis = slowlog(redis, "LRANGE");
    return run;
}

// The alternative: fields cut out inside Redis by a Lua script, four short strings per entry.
constexpr char ExtractScript[] = R"lua(
local items = redis.call('LRANGE', KEYS[1], ARGV[1], ARGV[2])
local out = {}
local function field(e, name, pattern)
  local p = string.find(e, name, 1, true)
  if not p then return '' end
  return string.match(e, pattern, p + #name) or ''
end
for _, e in ipairs(items) do
  out[#out + 1] = field(e, '"status_code":', '^%s*(%-?%d+)')
  out[#out + 1] = field(e, '"error_message":', '^%s*"(.-)"')
  local t = field(e, '"received_at":', '^%s*"([^"]*)"')
  if t == '' then t = field(e, '"timestamp":', '^%s*"([^"]*)"') end
  out[#out + 1] = t
  out[#out + 1] = field(e, '"topicName":', '^%s*"([^"]*)"')
end
return out
)lua";

Run luaScanOnce(RedisServer &redis, RedisConnection &connection, const QByteArray &key,
                int windowElements)
{
    resetStats(redis);
    Run run;
    QEventLoop loop;
    QElapsedTimer clock;
    const qint64 cpuStart = cpuMs();
    clock.start();
    qint64 next = 0;
    int inFlight = 0;
    bool done = false;
    QHash<QString, qint64> counts;
    QHash<QPair<int, QString>, FailureFingerprint> cache;
    std::function<void()> send = [&] {
        const qint64 start = next;
        next += windowElements;
        ++inFlight;
        ++run.windows;
        const qint64 sentAt = clock.elapsed();
        connection.command(
            { QByteArrayLiteral("EVAL"), QByteArray(ExtractScript), QByteArrayLiteral("1"), key,
              QByteArray::number(start), QByteArray::number(start + windowElements - 1) },
            &loop, [&, sentAt](const RedisReply &reply) {
                --inFlight;
                run.longestClientMs = qMax(run.longestClientMs, clock.elapsed() - sentAt);
                const QList<RedisReply> &e = reply.elements();
                for (qsizetype i = 0; i + 3 < e.size(); i += 4) {
                    FailureFacts facts;
                    facts.isEntry = true;
                    facts.statusCode = e.at(i).bytes().toInt();
                    facts.errorMessage = QString::fromUtf8(e.at(i + 1).bytes());
                    auto fp = cache.constFind({ facts.statusCode, facts.errorMessage });
                    if (fp == cache.constEnd())
                        fp = cache.insert({ facts.statusCode, facts.errorMessage },
                                          failureFingerprint(facts));
                    FailureFingerprint f = *fp;
                    f.topicPattern = topicPattern(QString::fromUtf8(e.at(i + 3).bytes())).pattern;
                    ++counts[f.key()];
                    ++run.scanned;
                }
                if (reply.isError() || e.size() < 4 * windowElements) {
                    done = true;
                    if (inFlight == 0)
                        loop.quit();
                    return;
                }
                if (!done)
                    send();
            });
    };
    send();
    send();
    loop.exec();
    run.wallMs = clock.elapsed();
    run.cpuMs = cpuMs() - cpuStart;
    run.groups = int(counts.size());
    run.redis = slowlog(redis, "EVAL");
    return run;
}

template<typename T, typename F> T median(QList<Run> runs, F field)
{
    std::sort(runs.begin(), runs.end(),
              [&](const Run &a, const Run &b) { return field(a) < field(b); });
    return field(runs.at(runs.size() / 2));
}

void report(const char *what, const QList<Run> &runs)
{
    out << "  " << what << ":";
    for (const Run &r : runs)
        out << " " << r.wallMs << " ms";
    out << "\n    median wall " << median<qint64>(runs, [](const Run &r) { return r.wallMs; })
        << " ms; client CPU median " << median<qint64>(runs, [](const Run &r) { return r.cpuMs; })
        << " ms; windows " << runs.first().windows << "; scanned " << runs.first().scanned
        << "; groups " << runs.first().groups << "\n    longest Redis call (SLOWLOG) median "
        << median<qint64>(runs, [](const Run &r) { return r.redis.maxUs; }) << " us, worst "
        << std::max_element(
               runs.begin(), runs.end(),
               [](const Run &a, const Run &b) { return a.redis.maxUs < b.redis.maxUs; })
               ->redis.maxUs
        << " us; p99 median " << median<qint64>(runs, [](const Run &r) { return r.redis.p99Us; })
        << " us; Redis time per call " << qint64(runs.first().redis.usPerCall)
        << " us, total Redis time median "
        << median<qint64>(runs, [](const Run &r) { return r.redis.totalUs; }) / 1000
        << " ms\n    longest round trip seen by the client median "
        << median<qint64>(runs, [](const Run &r) { return r.longestClientMs; })
        << " ms; longest gap between progress signals median "
        << median<qint64>(runs, [](const Run &r) { return r.longestProgressGapMs; }) << " ms\n";
    out.flush();
}

} // namespace

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    QStringList args = app.arguments().mid(1);
    int runs = 3;
    bool lua = false;
    qint64 windowBytes = 0;
    QList<qint64> sizes;
    for (qsizetype i = 0; i < args.size(); ++i) {
        if (args.at(i) == QLatin1String("--runs") && i + 1 < args.size())
            runs = args.at(++i).toInt();
        else if (args.at(i) == QLatin1String("--window-kb") && i + 1 < args.size())
            windowBytes = args.at(++i).toLongLong() * 1024;
        else if (args.at(i) == QLatin1String("--lua"))
            lua = true;
        else
            sizes.append(args.at(i).toLongLong());
    }
    if (sizes.isEmpty())
        sizes = { 100000, 1000000 };
    if (redrive::tests::sampleNotification().isEmpty()) {
        std::fprintf(stderr, "set REDRIVE_TEST_DATA to the tests/data folder\n");
        return 2;
    }

    RedisServer redis;
    if (!redis.start({ QStringLiteral("--slowlog-log-slower-than"), QStringLiteral("0"),
                       QStringLiteral("--slowlog-max-len"), QStringLiteral("1000000") })) {
        std::fprintf(stderr, "redis-server: %s\n", qPrintable(redis.errorString()));
        return 1;
    }
    RedisEndpoint endpoint;
    QString error;
    RedisEndpoint::parse(redis.url(), &endpoint, &error);
    RedisConnection connection(endpoint, QStringLiteral("triage-bench"));
    connection.setReplyTimeout(0);
    {
        QEventLoop loop;
        QObject::connect(&connection, &RedisConnection::ready, &loop, &QEventLoop::quit);
        connection.open();
        loop.exec();
    }
    const QByteArray key = QueueKeys().dlq;
    for (const qint64 size : sizes) {
        out << size << " entries\n";
        fill(redis, key, size);
        QList<Run> scans;
        for (int i = 0; i < runs; ++i)
            scans.append(scanOnce(redis, connection, key, windowBytes));
        report("FailureGroupScan (LRANGE windows, fields read in the client)", scans);
        if (lua) {
            QList<Run> luaRuns;
            for (int i = 0; i < runs; ++i)
                luaRuns.append(luaScanOnce(redis, connection, key, 256));
            report("Lua extraction in Redis (256 entries a call)", luaRuns);
        }
        redis.command({ QByteArrayLiteral("DEL"), key });
    }
    return 0;
}
