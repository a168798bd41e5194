// SPDX-License-Identifier: MIT
#include "core/metrics/latencyhistogram.h"

#include "core/metrics/prometheustext.h"

namespace redrive::core {

void LatencyHistogram::record(qint64 nanoseconds)
{
    const qint64 us = nanoseconds / 1000;
    size_t bucket = 0;
    while (bucket < BucketBoundsUs.size() && us > BucketBoundsUs[bucket])
        ++bucket;
    ++m_buckets[bucket];
    ++m_count;
    m_sumNs += nanoseconds;
}

void LatencyHistogram::render(QByteArray *out, const char *name, const char *help) const
{
    writeMetricFamily(out, name, "histogram", help);
    const QByteArray bucketName = QByteArray(name) + "_bucket";
    quint64 cumulative = 0;
    for (size_t i = 0; i < BucketBoundsUs.size(); ++i) {
        cumulative += m_buckets[i];
        writeMetricSample(out, bucketName.constData(),
                          "le=\"" + QByteArray::number(double(BucketBoundsUs[i]) / 1e6, 'g', 10)
                              + '"',
                          qint64(cumulative));
    }
    cumulative += m_buckets.back();
    writeMetricSample(out, bucketName.constData(), "le=\"+Inf\"", qint64(cumulative));
    writeMetricSample(out, (QByteArray(name) + "_sum").constData(), {},
                      QByteArray::number(double(m_sumNs) / 1e9, 'g', 12));
    writeMetricSample(out, (QByteArray(name) + "_count").constData(), {}, qint64(m_count));
}

} // namespace redrive::core
