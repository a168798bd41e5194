// SPDX-License-Identifier: MIT
#pragma once

#include "core/trends/trendseries.h"

#include <QChartView>

class QCategoryAxis;
class QLineSeries;
class QValueAxis;

namespace redrive::ui {

// One chart of the trend counters over a range (Qt Charts): a line per counter (or per sampled
// length), local time along the bottom, counts per bucket up the side. Its colours follow the
// window's palette (light or dark) as it changes.
class TrendChart final : public QChartView
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrendChart)

public:
    struct Line
    {
        QString name;
        QColor color;
        std::optional<core::TrendCounter> counter; // else:
        core::TrendGauge gauge = core::TrendGauge::DlqLength;
    };

    TrendChart(const QList<Line> &lines, QWidget *parent = nullptr);

    void setSeries(const core::TrendSeries &series);
    // The points of line `index` as drawn (tests).
    QList<QPointF> points(int index) const;
    QValueAxis *valueAxis() const { return m_values; }
    // "per minute", "per 15 minutes", "per hour", or for lengths "entries".
    QString unitText() const;

    static QColor counterColor(core::TrendCounter counter);
    // Short, for the legend and the tiles ("Deferred"); the description says it in full.
    static QString counterName(core::TrendCounter counter);
    static QString counterDescription(core::TrendCounter counter);

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void restyle();
    void updateTicks();

    QList<Line> m_lines;
    QList<QLineSeries *> m_series;
    QCategoryAxis *m_time;
    qint64 m_startMs = 0;
    qint64 m_endMs = 1;
    QValueAxis *m_values;
    bool m_gauges = false;
    core::TrendRange m_range = core::TrendRange::Hour;
};

} // namespace redrive::ui
