// SPDX-License-Identifier: MIT
#include "core/metrics/prometheustext.h"

namespace redrive::core {

void writeMetricFamily(QByteArray *out, const char *name, const char *type, const char *help)
{
    *out += "# HELP ";
    *out += name;
    *out += ' ';
    *out += help;
    *out += "\n# TYPE ";
    *out += name;
    *out += ' ';
    *out += type;
    *out += '\n';
}

void writeMetricSample(QByteArray *out, const char *name, const QByteArray &labels,
                       const QByteArray &value)
{
    *out += name;
    if (!labels.isEmpty()) {
        *out += '{';
        *out += labels;
        *out += '}';
    }
    *out += ' ';
    *out += value;
    *out += '\n';
}

void writeMetricSample(QByteArray *out, const char *name, const QByteArray &labels, qint64 value)
{
    writeMetricSample(out, name, labels, QByteArray::number(value));
}

QByteArray escapeMetricLabel(const QByteArray &value)
{
    QByteArray escaped = value;
    escaped.replace('\\', "\\\\").replace('"', "\\\"").replace('\n', "\\n");
    return escaped;
}

} // namespace redrive::core
