// SPDX-License-Identifier: MIT
#include "core/queue/retryworker.h"

#include "core/delivery/downstreamclient.h"
#include "core/queue/deadletterentry.h"
#include "core/queue/queueevent.h"
#include "core/queue/queuescript.h"
#include "core/redis/redisconnection.h"
#include "core/redis/redisreply.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QElapsedTimer>
#include <QHostInfo>
#include <QLoggingCategory>
#include <QRandomGenerator>

namespace redrive::core {

Q_LOGGING_CATEGORY(lcWorker, "redrive.worker")

namespace {

// Elements a claim may look at in one script call: bounds how long Redis is held (a few ms)
// when many entries wait for their backoff.
constexpr int ClaimBudget = 1000;
constexpr int ClaimBatch = 256;
// How long the first look at the list waits for the subscription before going ahead without it.
constexpr int SubscribeGraceMs = 2000;

// Server time in ms: every worker and the console share Redis' clock, not their own.
#define REDRIVE_LUA_NOW                                                                            \
    "local t = redis.call('TIME')\n"                                                               \
    "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"

// KEYS: dlq, schedule, inflight. ARGV: want, budget.
// Looks at the DLQ from its old (right) end. An element whose backoff is not over is rotated
// to the new end; a due one (or one never scheduled: written by another tool) moves to our
// in-flight list in the same step, so it is never only in memory and never held by two workers.
// Returns {claimed, complete, nextDue, now, checked, len, length after, head after} (the last two
// are noted by watch()'s detector, so our own rotation is not mistaken for news); `complete` = the
// whole list was seen, which also makes schedule members that are due but no longer in the list
// provably stale.
constexpr char ClaimScript[] = REDRIVE_LUA_NOW R"lua(
local want = tonumber(ARGV[1])
local len = redis.call('LLEN', KEYS[1])
local budget = math.min(len, tonumber(ARGV[2]))
local out = {}
local nextDue = -1
local checked = 0
while #out < want and checked < budget do
  local e = redis.call('LINDEX', KEYS[1], -1)
  if not e then break end
  checked = checked + 1
  local s = redis.call('ZSCORE', KEYS[2], e)
  if s and tonumber(s) > now then
    if nextDue < 0 or tonumber(s) < nextDue then nextDue = tonumber(s) end
    redis.call('LMOVE', KEYS[1], KEYS[1], 'RIGHT', 'LEFT')
  else
    redis.call('LMOVE', KEYS[1], KEYS[3], 'RIGHT', 'LEFT')
    if s then redis.call('ZREM', KEYS[2], e) end
    out[#out + 1] = e
  end
end
local complete = 0
if #out < want and checked >= len then
  complete = 1
  redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
end
return {out, complete, nextDue, now, checked, len, redis.call('LLEN', KEYS[1]),
        redis.call('LINDEX', KEYS[1], 0) or ''}
)lua";

// KEYS: inflight, dlq, permanent, schedule. ARGV: mode, raw, replacement, delayMs, channel, event.
// Nothing happens if the element is no longer ours (our lease expired and another worker
// recovered it): that worker now owns the entry.
constexpr char FinishScript[] = REDRIVE_LUA_NOW R"lua(
if redis.call('LREM', KEYS[1], -1, ARGV[2]) == 0 then return 0 end
if ARGV[1] == 'retry' then
  redis.call('LPUSH', KEYS[2], ARGV[3])
  redis.call('ZADD', KEYS[4], now + tonumber(ARGV[4]), ARGV[3])
elseif ARGV[1] == 'permanent' then
  redis.call('LPUSH', KEYS[3], ARGV[3])
end
if ARGV[5] ~= '' then redis.call('PUBLISH', ARGV[5], ARGV[6]) end
return 1
)lua";

// KEYS: inflight. ARGV: raw elements delivered. Successes are recorded in batches: one round
// trip for all outcomes that arrived in one turn of the event loop.
constexpr char DoneScript[] = R"lua(
for i = 1, #ARGV do redis.call('LREM', KEYS[1], -1, ARGV[i]) end
return #ARGV
)lua";

// KEYS: workers set, dlq, own lease. ARGV: lease key prefix, own id, lease ms, in-flight prefix.
// Renews our lease and registers us (in that order, in one step: a worker is never listed
// without a lease), then hands the in-flight entries of workers whose lease expired back to
// the DLQ's old end, where they are claimed first. Returns the number recovered.
// Returns {entries recovered, 1 if our own lease was still there}.
constexpr char HeartbeatScript[] = R"lua(
local held = redis.call('EXISTS', KEYS[3])
redis.call('SET', KEYS[3], '1', 'PX', ARGV[3])
redis.call('SADD', KEYS[1], ARGV[2])
local moved = 0
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if id ~= ARGV[2] and redis.call('EXISTS', ARGV[1] .. id) == 0 then
    local list = ARGV[4] .. id
    while redis.call('LMOVE', list, KEYS[2], 'RIGHT', 'RIGHT') do moved = moved + 1 end
    redis.call('SREM', KEYS[1], id)
  end
end
return {moved, held}
)lua";

// KEYS: workers set, dlq, own lease, own inflight. ARGV: own id. A clean stop.
constexpr char ReleaseScript[] = R"lua(
local moved = 0
while redis.call('LMOVE', KEYS[4], KEYS[2], 'RIGHT', 'RIGHT') do moved = moved + 1 end
redis.call('DEL', KEYS[3])
redis.call('SREM', KEYS[1], ARGV[1])
return moved
)lua";

QByteArray makeWorkerId()
{
    // Host and pid tell an operator whose in-flight list it is; the suffix keeps a restarted
    // process with a reused pid apart from its predecessor.
    return QHostInfo::localHostName().toUtf8() + '-'
        + QByteArray::number(QCoreApplication::applicationPid()) + '-'
        + QByteArray::number(QRandomGenerator::global()->generate() & 0xffffff, 16);
}

} // namespace

RetryWorker::RetryWorker(RedisConnection *commands, const RedisEndpoint &endpoint,
                         DownstreamClient *downstream, const QueueKeys &keys, const Config &config,
                         QObject *parent)
    : QObject(parent)
    , m_commands(commands)
    , m_subscriber(
          std::make_unique<RedisConnection>(endpoint, QStringLiteral("redrive-worker-sub")))
    , m_downstream(downstream)
    , m_keys(keys)
    , m_config(config)
    , m_id(makeWorkerId())
    , m_inflightKey(keys.inflight(m_id))
    , m_leaseKey(keys.lease(m_id))
    , m_detector({ keys.dlq })
{
    m_config.concurrency = qMax(1, m_config.concurrency);
    m_config.maxRetries = qMax(1, m_config.maxRetries);
    m_config.leaseMs = qMax(300, m_config.leaseMs);
    m_wakeTimer.setSingleShot(true);
    m_wakeTimer.setTimerType(Qt::PreciseTimer);
    connect(&m_wakeTimer, &QTimer::timeout, this, &RetryWorker::poll);
    m_heartbeatTimer.setInterval(m_config.leaseMs / 3);
    connect(&m_heartbeatTimer, &QTimer::timeout, this, &RetryWorker::heartbeat);
    m_watchTimer.setInterval(m_config.watchIntervalMs);
    connect(&m_watchTimer, &QTimer::timeout, this, &RetryWorker::watch);
    connect(m_commands, &RedisConnection::ready, this, [this] {
        if (m_running) {
            heartbeat();
            poll();
        }
    });
    connect(m_subscriber.get(), &RedisConnection::messageReceived, this,
            [this](const QByteArray &, const QByteArray &message) {
                // Our own outcomes need no wake-up; anything else (an edit, a retry-now, an
                // import) may have made something due.
                if (QueueEvent::fromJson(message).source != "worker")
                    poll();
            });
    // The first look waits for the subscription: from then on no "something is due" message
    // is missed, so one pass over the list is enough. After a reconnect, whatever was published
    // meanwhile reached nobody: look once more.
    connect(m_subscriber.get(), &RedisConnection::subscribed, this, [this] {
        if (!m_running)
            return;
        m_listening = true;
        poll();
    });
}

RetryWorker::~RetryWorker()
{
    stop();
}

void RetryWorker::start()
{
    if (m_running)
        return;
    m_running = true;
    qCInfo(lcWorker).noquote() << "retry worker" << QString::fromUtf8(m_id) << "started: up to"
                               << m_config.maxRetries
                               << (m_config.maxRetries == 1 ? "retry" : "retries")
                               << "per entry, backoff" << m_config.backoff.baseMs << "to"
                               << m_config.backoff.maxMs << "ms, concurrency"
                               << m_config.concurrency;
    m_subscriber->subscribe({ m_keys.channel() });
    m_subscriber->open();
    m_heartbeatTimer.start();
    m_watchTimer.start();
    heartbeat();
    // Should the subscription not come (pub/sub refused by an ACL, say), work without it.
    QTimer::singleShot(SubscribeGraceMs, this, [this] {
        if (!m_running || m_listening)
            return;
        qCWarning(lcWorker).noquote() << "no subscription to" << QString::fromUtf8(m_keys.channel())
                                      << "yet: working without live notifications until it comes";
        m_listening = true;
        poll();
    });
}

void RetryWorker::stop()
{
    if (!m_running)
        return;
    m_running = false;
    m_listening = false;
    m_wakeTimer.stop();
    m_heartbeatTimer.stop();
    m_watchTimer.stop();
    m_subscriber->close();
    flushDone(); // delivered entries must not be handed back for another attempt
    // Attempts still running are abandoned: their entries go back to the DLQ now, and a late
    // outcome finds nothing to act on. If this command never reaches Redis, the lease expires
    // and the next worker recovers them.
    m_leaseHeld = false;
    eval(ReleaseScript, { m_keys.workers(), m_keys.dlq, m_leaseKey, m_inflightKey }, { m_id },
         [](const RedisReply &) {});
    qCInfo(lcWorker).noquote() << "retry worker" << QString::fromUtf8(m_id) << "stopped";
}

void RetryWorker::eval(const char *script, const QList<QByteArray> &keys,
                       const QList<QByteArray> &args,
                       std::function<void(const RedisReply &)> callback)
{
    evalScript(m_commands, script, keys, args, this, std::move(callback));
}

void RetryWorker::heartbeat()
{
    if (!m_running || !m_commands->isReady())
        return;
    eval(HeartbeatScript, { m_keys.workers(), m_keys.dlq, m_leaseKey },
         { m_keys.leasePrefix(), m_id, QByteArray::number(m_config.leaseMs),
           m_keys.inflightPrefix() },
         [this](const RedisReply &reply) {
             if (reply.isError() || reply.elements().size() != 2) {
                 qCWarning(lcWorker).noquote() << "heartbeat failed:" << reply.errorText();
                 return;
             }
             ++m_stats.leaseRenewals;
             const bool held = reply.elements().at(1).toInteger() == 1;
             if (m_leaseHeld && !held) {
                 ++m_stats.leaseLosses;
                 qCWarning(lcWorker).noquote()
                     << "lease of" << QString::fromUtf8(m_id)
                     << "had expired: another worker may have taken its in-flight entries back";
             }
             m_leaseHeld = m_running;
             const qint64 recovered = reply.elements().at(0).toInteger();
             if (recovered > 0) {
                 qCWarning(lcWorker).noquote()
                     << recovered << "entries recovered from a worker that stopped mid-attempt";
                 m_stats.recovered += recovered;
                 Q_EMIT statsChanged();
                 poll();
             }
         });
}

void RetryWorker::watch()
{
    if (!m_running || m_detector.isChecking() || !m_commands->isReady())
        return;
    m_detector.check(m_commands, this, [this](const QList<bool> &changed) {
        if (changed.at(0))
            poll();
    });
}

void RetryWorker::poll()
{
    if (!m_running || !m_listening)
        return;
    if (m_claiming) {
        m_pollAgain = true;
        return;
    }
    const int free = m_config.concurrency - m_inFlight;
    if (free <= 0 || !m_commands->isReady())
        return;
    m_claiming = true;
    m_pollAgain = false;
    const int want = qMin(free, ClaimBatch);
    eval(ClaimScript, { m_keys.dlq, m_keys.schedule(), m_inflightKey },
         { QByteArray::number(want), QByteArray::number(ClaimBudget) },
         [this, want](const RedisReply &reply) {
             m_claiming = false;
             if (!m_running)
                 return;
             if (reply.isError() || reply.elements().size() != 8) {
                 // Tried again every second; said once per reason (e.g. a key of another type
                 // under the DLQ's name stays until someone removes it).
                 const QString error
                     = reply.isError() ? reply.errorText() : QStringLiteral("unexpected reply");
                 if (error != m_claimError)
                     qCWarning(lcWorker).noquote()
                         << "claim failed:" << error << "- trying again every second";
                 m_claimError = error;
                 m_wakeTimer.start(1000);
                 return;
             }
             if (!m_claimError.isEmpty()) {
                 qCInfo(lcWorker) << "claims work again";
                 m_claimError.clear();
             }
             const auto &e = reply.elements();
             const auto &claimedElements = e.at(0).elements();
             m_detector.note(0, e.at(6).toInteger(), e.at(7).bytes());
             m_stats.claimed += claimedElements.size();
             for (const RedisReply &element : claimedElements)
                 attempt(element.bytes());
             const bool complete = e.at(1).toInteger() == 1;
             qint64 nextDue = e.at(2).toInteger();
             const qint64 now = e.at(3).toInteger();
             const qint64 checked = e.at(4).toInteger();
             const qint64 length = e.at(5).toInteger();
             if (claimedElements.size() >= want) {
                 m_passChecked = 0;
                 m_passNextDue = -1;
                 if (m_pollAgain)
                     poll();
                 return; // more may be due: finishing attempts asks again
             }
             if (!complete) {
                 // One call looks at no more than ClaimBudget elements: a pass over a long list
                 // takes several, and ends once the whole list has been looked at.
                 m_passChecked += checked;
                 if (nextDue >= 0 && (m_passNextDue < 0 || nextDue < m_passNextDue))
                     m_passNextDue = nextDue;
                 if (m_passChecked < length && checked > 0) {
                     m_wakeTimer.start(0); // go on, outside this callback
                     return;
                 }
                 nextDue = m_passNextDue;
             }
             m_passChecked = 0;
             m_passNextDue = -1;
             if (nextDue >= 0)
                 m_wakeTimer.start(int(qBound(qint64(0), nextDue - now, qint64(24 * 3600 * 1000))));
             if (m_pollAgain)
                 poll();
             else if (m_inFlight == 0)
                 Q_EMIT idle();
         });
}

void RetryWorker::attempt(const QByteArray &raw)
{
    ++m_inFlight;
    const DeadLetterEntry entry = DeadLetterEntry::parse(raw);
    if (!entry.isRetryable()) {
        // Kept byte for byte: the console shows it raw and says why (DeadLetterEntry::problem).
        qCWarning(lcWorker).noquote() << "set aside as a permanent failure:" << entry.problem();
        ++m_stats.setAside;
        finish(raw, "permanent", raw, 0, entry.id());
        return;
    }
    QElapsedTimer clock;
    clock.start();
    auto onResult = [this, raw, clock](const DownstreamResult &result) {
        m_attemptLatency.record(clock.nsecsElapsed());
        onDownstream(raw, result);
    };
    m_downstream->deliver(entry.payload(), entry.id(), entry.headers(), this, onResult);
}

void RetryWorker::onDownstream(const QByteArray &raw, const DownstreamResult &result)
{
    if (result.outcome == DownstreamResult::Outcome::Delivered) {
        ++m_stats.delivered;
        finish(raw, "done", QByteArray(), 0, QString());
        return;
    }
    const DeadLetterEntry entry = DeadLetterEntry::parse(raw);
    const int retries = entry.retryCount() + 1; // this one included
    const DeadLetterEntry::Attempt attempt { QDateTime::currentDateTimeUtc(), result.statusCode,
                                             result.error, result.elapsedMs };
    if (result.outcome == DownstreamResult::Outcome::Retryable && retries < m_config.maxRetries) {
        const qint64 delay = m_config.backoff.delayMs(retries, QRandomGenerator::global());
        const DeadLetterEntry next = entry.withFailedAttempt(attempt, attempt.at.addMSecs(delay));
        ++m_stats.rescheduled;
        qCDebug(lcWorker).noquote()
            << "retry" << retries << "of" << entry.id() << "failed:" << result.error << "- next in"
            << (delay < 10000 ? QStringLiteral("%1 ms").arg(delay)
                              : QStringLiteral("%1 s").arg(delay / 1000));
        finish(raw, "retry", next.raw(), delay, entry.id());
        return;
    }
    ++m_stats.failedPermanently;
    // Counted as --max-retries counts: the worker's retries (the first delivery, which put the
    // entry in the DLQ, is one more record in its attempt history).
    qCInfo(lcWorker).noquote() << "permanent failure of" << entry.id() << "after" << retries
                               << (retries == 1 ? "retry:" : "retries:") << result.error;
    finish(raw, "permanent", entry.withFailedAttempt(attempt, QDateTime()).raw(), 0, entry.id());
}

void RetryWorker::finish(const QByteArray &raw, const char *mode, const QByteArray &replacement,
                         qint64 dueMs, const QString &id)
{
    if (qstrcmp(mode, "done") == 0) {
        m_doneBatch.append(raw);
        if (m_doneBatch.size() == 1)
            QMetaObject::invokeMethod(this, &RetryWorker::flushDone, Qt::QueuedConnection);
        return;
    }
    QueueEvent event;
    event.event = mode;
    event.source = "worker";
    event.list = qstrcmp(mode, "retry") == 0 ? QueueStore::List::DeadLetter
                                             : QueueStore::List::PermanentFailures;
    event.count = 1;
    event.ids = { id };
    eval(FinishScript, { m_inflightKey, m_keys.dlq, m_keys.permanent, m_keys.schedule() },
         { QByteArray(mode), raw, replacement, QByteArray::number(dueMs), m_keys.channel(),
           event.toJson(m_keys) },
         [this](const RedisReply &reply) {
             --m_inFlight;
             if (reply.isError()) {
                 // The entry stays in our in-flight list; the next start (ours or another
                 // worker's, once our lease is gone) hands it back to the DLQ.
                 qCWarning(lcWorker).noquote()
                     << "could not record an outcome:" << reply.errorText();
             }
             Q_EMIT statsChanged();
             poll();
         });
}

void RetryWorker::flushDone()
{
    if (m_doneBatch.isEmpty())
        return;
    const QList<QByteArray> batch = std::exchange(m_doneBatch, {});
    eval(DoneScript, { m_inflightKey }, batch,
         [this, count = int(batch.size())](const RedisReply &reply) {
             m_inFlight -= count;
             if (reply.isError()) {
                 // The entries stay in our in-flight list; the next start (ours or another
                 // worker's, once our lease is gone) hands them back to the DLQ: delivered at least
                 // once.
                 qCWarning(lcWorker).noquote()
                     << "could not record deliveries:" << reply.errorText();
             }
             Q_EMIT statsChanged();
             poll();
         });
}

} // namespace redrive::core
