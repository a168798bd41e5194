// SPDX-License-Identifier: MIT
// A list element as Redis hands it over: anything a tool, the tutorial's code or an attacker
// pushed. parse() must never fail, keep the bytes, and every accessor and transformation the
// worker and the console use must cope.
#include "core/queue/deadletterentry.h"

#include <cstdint>
#include <cstdlib>

using redrive::core::DeadLetterEntry;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArray raw(reinterpret_cast<const char *>(data), qsizetype(size));
    const DeadLetterEntry entry = DeadLetterEntry::parse(raw);
    if (entry.raw() != raw)
        std::abort();
    if (entry.isRetryable() == !entry.problem().isEmpty())
        std::abort();
    if (entry.id().isEmpty())
        std::abort();
    (void)entry.hasOwnId();
    (void)entry.errorMessage();
    (void)entry.statusCode();
    (void)entry.retryCount();
    (void)entry.timestamp();
    (void)entry.receivedAt();
    (void)entry.nextAttemptAt();
    (void)entry.attempts();
    (void)entry.headers();
    (void)entry.source();
    (void)entry.topic();
    if (!entry.isRetryable())
        return 0;
    const QByteArray payload = entry.payload();
    // What the worker writes back after a failure, and what the console writes on an edit or a
    // move back, must parse again with the payload unchanged.
    DeadLetterEntry::Attempt attempt;
    attempt.at = QDateTime::fromMSecsSinceEpoch(1700000000000, Qt::UTC);
    attempt.statusCode = 503;
    attempt.error = QStringLiteral("fuzz");
    const DeadLetterEntry failed = entry.withFailedAttempt(attempt, attempt.at.addSecs(1));
    const DeadLetterEntry reparsed = DeadLetterEntry::parse(failed.raw());
    if (!reparsed.isRetryable() || reparsed.payload() != payload)
        std::abort();
    if (reparsed.id() != entry.id())
        std::abort();
    const DeadLetterEntry reset = DeadLetterEntry::parse(entry.resetForRetry().raw());
    if (!reset.isRetryable() || reset.payload() != payload)
        std::abort();
    return 0;
}
