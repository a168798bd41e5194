// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

class QRandomGenerator;

namespace redrive::core {

// When the next retry of a failed delivery is due: exponential growth from `baseMs`, capped at
// `maxMs`, with jitter so that entries which failed together (a downstream outage) do not all
// come back in the same millisecond.
struct BackoffPolicy
{
    enum class Jitter {
        Full, // uniform in [0, ceiling]: spreads load best, may retry almost at once
        Equal, // uniform in [ceiling/2, ceiling]: always waits at least half the ceiling
    };

    qint64 baseMs = 1000;
    qint64 maxMs = 300000;
    Jitter jitter = Jitter::Equal;

    // The ceiling after `failures` failed attempts (1 = the first retry): base * 2^(failures-1),
    // at most maxMs.
    qint64 ceilingMs(int failures) const;
    // The delay actually used: the ceiling with jitter applied.
    qint64 delayMs(int failures, QRandomGenerator *random) const;
};

} // namespace redrive::core
