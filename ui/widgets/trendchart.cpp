// SPDX-License-Identifier: MIT
#include "ui/widgets/trendchart.h"

#include <QChart>
#include <QDateTime>
#include <QCategoryAxis>
#include <QEvent>
#include <QLegendMarker>
#include <QLineSeries>
#include <QResizeEvent>
#include <QValueAxis>

#include <cmath>

namespace redrive::ui {

using core::TrendCounter;
using core::TrendRange;
using core::TrendSeries;

namespace {
bool isDark(const QPalette &palette)
{
    return palette.color(QPalette::Window).lightness() < 128;
}

// A round step (1, 2, 2.5 or 5 × 10^n) that splits 0..`value` into at most 5 intervals, at
// least 1 (so a quiet hour still has a readable axis of 0..4).
qint64 niceStep(qint64 value)
{
    qint64 magnitude = 1;
    while (true) {
        for (qint64 step : { magnitude, 2 * magnitude, 5 * magnitude / 2, 5 * magnitude }) {
            if (step > 0 && (value + step - 1) / step <= 5)
                return step;
        }
        magnitude *= 10;
    }
}
} // namespace

QColor TrendChart::counterColor(TrendCounter counter)
{
    switch (counter) {
    case TrendCounter::Received:
        return QColor(0x4c, 0x84, 0xe6);
    case TrendCounter::Forwarded:
        return QColor(0x2e, 0xa8, 0x67);
    case TrendCounter::Deferred:
        return QColor(0xe0, 0x9b, 0x12);
    case TrendCounter::Retried:
        return QColor(0x17, 0xa2, 0xb8);
    case TrendCounter::Permanent:
        return QColor(0xd6, 0x45, 0x45);
    case TrendCounter::Rejected:
        return QColor(0x9b, 0x6b, 0xd6);
    case TrendCounter::Unavailable:
        return QColor(0xe5, 0x6b, 0x2e);
    }
    return Qt::gray;
}

QString TrendChart::counterName(TrendCounter counter)
{
    switch (counter) {
    case TrendCounter::Received:
        return tr("Received");
    case TrendCounter::Forwarded:
        return tr("Forwarded");
    case TrendCounter::Deferred:
        return tr("Deferred");
    case TrendCounter::Retried:
        return tr("Retried");
    case TrendCounter::Permanent:
        return tr("Permanent");
    case TrendCounter::Rejected:
        return tr("Rejected");
    case TrendCounter::Unavailable:
        return tr("503");
    }
    return {};
}

QString TrendChart::counterDescription(TrendCounter counter)
{
    switch (counter) {
    case TrendCounter::Received:
        return tr("Requests to the webhook path, answered or refused");
    case TrendCounter::Forwarded:
        return tr("Handed to the downstream on arrival");
    case TrendCounter::Deferred:
        return tr("Stored in the dead letter queue on arrival");
    case TrendCounter::Retried:
        return tr("Delivered by a retry");
    case TrendCounter::Permanent:
        return tr("Made permanent failures: on arrival, after the last retry, or not retryable");
    case TrendCounter::Rejected:
        return tr("Refused requests (400, 401, 413, ...)");
    case TrendCounter::Unavailable:
        return tr("Answered 503: Redis could not take the delivery");
    }
    return {};
}

TrendChart::TrendChart(const QList<Line> &lines, QWidget *parent)
    : QChartView(parent)
    , m_lines(lines)
    , m_time(new QCategoryAxis)
    , m_values(new QValueAxis)
{
    auto *chart = new QChart;
    chart->setAnimationOptions(QChart::NoAnimation);
    chart->setMargins(QMargins(4, 4, 8, 4));
    chart->setBackgroundRoundness(6);
    chart->legend()->setAlignment(Qt::AlignBottom);
    chart->legend()->setShowToolTips(true);
    chart->addAxis(m_time, Qt::AlignBottom);
    chart->addAxis(m_values, Qt::AlignLeft);
    m_values->setLabelFormat(QStringLiteral("%d"));
    m_values->setMin(0);
    m_values->setTickCount(5);
    m_time->setLabelsPosition(QCategoryAxis::AxisLabelsPositionOnValue);
    for (const Line &line : lines) {
        auto *series = new QLineSeries;
        series->setName(line.name);
        QPen pen(line.color);
        pen.setWidthF(line.counter == TrendCounter::Received ? 2.5 : 2.0);
        pen.setCapStyle(Qt::RoundCap);
        pen.setJoinStyle(Qt::RoundJoin);
        series->setPen(pen);
        chart->addSeries(series);
        series->attachAxis(m_time);
        series->attachAxis(m_values);
        m_series.append(series);
        m_gauges = !line.counter.has_value();
    }
    // QChartView makes a chart of its own in its constructor; setChart() releases it without
    // deleting it (Qt's documented behaviour), so it is deleted here.
    QChart *initial = QChartView::chart();
    setChart(chart);
    if (initial != chart)
        delete initial;
    setRenderHint(QPainter::Antialiasing);
    setMinimumHeight(180);
    setFrameShape(QFrame::NoFrame);
    setSeries(TrendSeries::empty(TrendRange::Hour, QDateTime::currentMSecsSinceEpoch()));
    restyle();
}

QString TrendChart::unitText() const
{
    if (m_gauges)
        return tr("entries");
    switch (m_range) {
    case TrendRange::Hour:
        return tr("per minute");
    case TrendRange::Day:
        return tr("per 15 minutes");
    case TrendRange::Week:
        return tr("per hour");
    }
    return {};
}

void TrendChart::setSeries(const TrendSeries &series)
{
    m_range = series.range;
    qint64 highest = 0;
    for (int i = 0; i < m_lines.size(); ++i) {
        const Line &line = m_lines[i];
        const QList<qint64> &values
            = line.counter ? series.values(*line.counter) : series.values(line.gauge);
        QList<QPointF> points;
        points.reserve(values.size());
        for (int bucket = 0; bucket < values.size(); ++bucket) {
            if (values[bucket] < 0)
                continue; // no sample in that bucket: the line joins its neighbours
            points.append(QPointF(qreal(series.startMs + bucket * series.bucketMs),
                                  qreal(values[bucket])));
            highest = qMax(highest, values[bucket]);
        }
        m_series[i]->replace(points);
    }
    const qint64 endMs = series.startMs + qint64(series.bucketCount - 1) * series.bucketMs;
    m_startMs = series.startMs;
    m_endMs = qMax(endMs, series.startMs + 1);
    m_time->setRange(qreal(m_startMs), qreal(m_endMs));
    updateTicks();
    const qint64 step = niceStep(qMax<qint64>(highest, 4));
    const qint64 top = qMax<qint64>(1, (qMax<qint64>(highest, 4) + step - 1) / step);
    m_values->setRange(0, qreal(top * step));
    m_values->setTickCount(int(top) + 1);
    m_values->setTitleText(unitText());
}

QList<QPointF> TrendChart::points(int index) const
{
    return index >= 0 && index < m_series.size() ? m_series[index]->points() : QList<QPointF>();
}

void TrendChart::updateTicks()
{
    // Labels on round local times (every 10 minutes, 3 hours, a day, ...), as many as fit at
    // about one per 80 px.
    static constexpr qint64 Minute = 60 * 1000;
    static constexpr qint64 Steps[] = { 5 * Minute,   10 * Minute,  15 * Minute,   30 * Minute,
                                        60 * Minute,  120 * Minute, 180 * Minute,  360 * Minute,
                                        720 * Minute, 1440 * Minute, 2880 * Minute };
    const qint64 span = m_endMs - m_startMs;
    const int room = qMax(2, width() / 80);
    qint64 step = Steps[std::size(Steps) - 1];
    for (qint64 candidate : Steps) {
        if (span / candidate <= room) {
            step = candidate;
            break;
        }
    }
    for (const QString &label : m_time->categoriesLabels())
        m_time->remove(label);
    // Round in local time: the offset from UTC of the range's start.
    const qint64 offset
        = qint64(QDateTime::fromMSecsSinceEpoch(m_startMs).offsetFromUtc()) * 1000;
    const QString format = step >= 1440 * Minute ? QStringLiteral("ddd d")
                                                 : QStringLiteral("HH:mm");
    qint64 tick = ((m_startMs + offset + step - 1) / step) * step - offset;
    for (; tick <= m_endMs; tick += step) {
        const QDateTime at = QDateTime::fromMSecsSinceEpoch(tick);
        m_time->append(at.toString(format), qreal(tick));
    }
    m_time->setStartValue(qreal(m_startMs));
}

void TrendChart::resizeEvent(QResizeEvent *event)
{
    QChartView::resizeEvent(event);
    updateTicks();
}

void TrendChart::changeEvent(QEvent *event)
{
    QChartView::changeEvent(event);
    if (event->type() == QEvent::PaletteChange || event->type() == QEvent::StyleChange)
        restyle();
}

void TrendChart::restyle()
{
    const QPalette pal = palette();
    QChart *c = chart();
    if (!c)
        return;
    const bool dark = isDark(pal);
    const QColor text = pal.color(QPalette::Text);
    QColor subtle = text;
    subtle.setAlphaF(0.65f);
    QColor grid = text;
    grid.setAlphaF(dark ? 0.14f : 0.10f);
    QColor axisLine = text;
    axisLine.setAlphaF(0.35f);
    c->setBackgroundBrush(pal.color(QPalette::Base));
    c->setBackgroundPen(Qt::NoPen);
    c->setPlotAreaBackgroundVisible(false);
    setBackgroundBrush(pal.color(QPalette::Window));
    c->legend()->setLabelColor(text);
    QFont small = font();
    small.setPointSizeF(qMax(7.0, small.pointSizeF() * 0.9));
    for (QAbstractAxis *axis : { static_cast<QAbstractAxis *>(m_time),
                                 static_cast<QAbstractAxis *>(m_values) }) {
        axis->setLabelsColor(subtle);
        axis->setLabelsFont(small);
        axis->setGridLineColor(grid);
        axis->setLinePenColor(axisLine);
        axis->setTitleBrush(subtle);
        axis->setTitleFont(small);
        axis->setShadesVisible(false);
    }
    m_values->setLineVisible(false);
    m_time->setGridLineVisible(false);
    c->legend()->setFont(small);
}

} // namespace redrive::ui
