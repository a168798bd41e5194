// SPDX-License-Identifier: MIT
#pragma once

#include "core/queue/retryworker.h"
#include "core/receiver/receivermetrics.h"
#include "core/trends/trendseries.h"

namespace redrive::core {

// The trend counters' running totals from the receiver's counters and the retry worker's stats
// (either may be null: not in this process). "permanent" adds the receiver's permanent failures
// to the worker's (after the last retry, or set aside as not retryable).
TrendTotals trendTotals(const ReceiverCounters *receiver, const RetryWorker::Stats *worker);

} // namespace redrive::core
