// SPDX-License-Identifier: MIT
#pragma once

#include "core/trends/trendseries.h"

#include <functional>

class QObject;

namespace redrive::core {

class RedisConnection;

// Reads the trend counters of one range (every writer's, summed by Redis as they were written):
// the last hour and the last 24 hours from the per-minute hashes (2 and 25 HGETALLs of at most
// 540 fields), the last 7 days from the per-hour hashes (8 HGETALLs), all sent in one pipeline.
// `done` runs once on `context`'s thread (not if it is destroyed first), with the error of the
// first failed command in TrendSeries::error.
class TrendReader
{
public:
    static void read(RedisConnection *redis, const QueueKeys &keys, TrendRange range, qint64 nowMs,
                     const QObject *context, std::function<void(const TrendSeries &)> done);
};

} // namespace redrive::core
