// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>

#include <array>

namespace redrive::core {

// A Prometheus histogram of durations (receiver answers, worker attempts): fixed buckets from
// 250 µs to 10 s, rendered in seconds.
class LatencyHistogram
{
public:
    void record(qint64 nanoseconds);
    quint64 count() const { return m_count; }
    void render(QByteArray *out, const char *name, const char *help) const;

    // Upper bounds of the buckets, in microseconds.
    static constexpr std::array<qint64, 14> BucketBoundsUs
        = { 250,   500,    1000,   2500,   5000,    10000,   25000,
            50000, 100000, 250000, 500000, 1000000, 2500000, 10000000 };

private:
    std::array<quint64, BucketBoundsUs.size() + 1> m_buckets {};
    quint64 m_count = 0;
    qint64 m_sumNs = 0;
};

} // namespace redrive::core
