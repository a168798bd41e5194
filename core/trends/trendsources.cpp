// SPDX-License-Identifier: MIT
#include "core/trends/trendsources.h"

namespace redrive::core {

TrendTotals trendTotals(const ReceiverCounters *receiver, const RetryWorker::Stats *worker)
{
    TrendTotals totals {};
    const auto at = [&totals](TrendCounter counter) -> quint64 & {
        return totals[size_t(counter)];
    };
    if (receiver) {
        at(TrendCounter::Received) = receiver->received;
        at(TrendCounter::Forwarded) = receiver->processed;
        at(TrendCounter::Deferred) = receiver->deferred;
        at(TrendCounter::Permanent) = receiver->failedPermanently;
        at(TrendCounter::Rejected) = receiver->rejected;
        at(TrendCounter::Unavailable) = receiver->unavailable;
    }
    if (worker) {
        at(TrendCounter::Retried) = quint64(worker->delivered);
        at(TrendCounter::Permanent) += quint64(worker->failedPermanently + worker->setAside);
    }
    return totals;
}

} // namespace redrive::core
