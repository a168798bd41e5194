// SPDX-License-Identifier: MIT
#pragma once

// Small writers for the Prometheus text exposition format 0.0.4, shared by every part of
// Redrive that exposes metrics, so each family is written the same way.

#include <QByteArray>

namespace redrive::core {

// "# HELP name help\n# TYPE name type\n"
void writeMetricFamily(QByteArray *out, const char *name, const char *type, const char *help);
// "name{labels} value\n"; `labels` without braces, may be empty.
void writeMetricSample(QByteArray *out, const char *name, const QByteArray &labels,
                       const QByteArray &value);
void writeMetricSample(QByteArray *out, const char *name, const QByteArray &labels, qint64 value);
// A label value with \, " and newlines escaped.
QByteArray escapeMetricLabel(const QByteArray &value);

} // namespace redrive::core
