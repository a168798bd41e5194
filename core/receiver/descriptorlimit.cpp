// SPDX-License-Identifier: MIT
#include "core/receiver/descriptorlimit.h"

#include <limits>

#include <sys/resource.h>

namespace redrive::core {

namespace {

quint64 toCount(rlim_t value)
{
    return value == RLIM_INFINITY ? std::numeric_limits<quint64>::max() : quint64(value);
}

} // namespace

DescriptorLimit::Raise DescriptorLimit::raiseToHardLimit()
{
    Raise result;
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) {
        result.ok = false;
        return result;
    }
    result.before = toCount(limit.rlim_cur);
    result.hard = toCount(limit.rlim_max);
    result.after = result.before;
    if (limit.rlim_cur == limit.rlim_max)
        return result;
    // An unlimited hard limit cannot be the soft one on Linux (EPERM above fs.nr_open): keep
    // the current soft limit then rather than guess.
    if (limit.rlim_max == RLIM_INFINITY)
        return result;
    rlimit raised = limit;
    raised.rlim_cur = limit.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &raised) != 0) {
        result.ok = false;
        return result;
    }
    result.after = toCount(raised.rlim_cur);
    return result;
}

quint64 DescriptorLimit::soft()
{
    rlimit limit {};
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 0;
    return toCount(limit.rlim_cur);
}

int DescriptorLimit::defaultMaxConnections()
{
    const quint64 limit = soft();
    if (limit == 0)
        return DefaultMaxConnections;
    const quint64 available
        = limit > quint64(ReservedDescriptors) ? limit - ReservedDescriptors : 0;
    return int(qBound<quint64>(16, available, DefaultMaxConnections));
}

} // namespace redrive::core
