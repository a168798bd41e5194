// SPDX-License-Identifier: MIT
#include "core/queue/backoffpolicy.h"

#include <QRandomGenerator>

namespace redrive::core {

qint64 BackoffPolicy::ceilingMs(int failures) const
{
    const qint64 base = qMax<qint64>(1, baseMs);
    const qint64 cap = qMax(base, maxMs);
    qint64 ceiling = base;
    // Doubling stops at the cap, so large attempt counts cannot overflow.
    for (int i = 1; i < failures && ceiling < cap; ++i)
        ceiling *= 2;
    return qMin(ceiling, cap);
}

qint64 BackoffPolicy::delayMs(int failures, QRandomGenerator *random) const
{
    const qint64 ceiling = ceilingMs(failures);
    if (jitter == Jitter::Full)
        return random->bounded(ceiling + 1);
    const qint64 half = ceiling / 2;
    return half + random->bounded(ceiling - half + 1);
}

} // namespace redrive::core
