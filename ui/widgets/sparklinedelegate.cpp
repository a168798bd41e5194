// SPDX-License-Identifier: MIT
#include "ui/widgets/sparklinedelegate.h"

#include <QApplication>
#include <QPainter>

#include <algorithm>

namespace redrive::ui {

SparklineDelegate::SparklineDelegate(int role, QObject *parent)
    : QStyledItemDelegate(parent)
    , m_role(role)
{ }

SparklineDelegate::~SparklineDelegate() = default;

void SparklineDelegate::paint(QPainter *painter, const QStyleOptionViewItem &option,
                              const QModelIndex &index) const
{
    // The cell's background and selection as the style draws them, without text.
    QStyleOptionViewItem background = option;
    initStyleOption(&background, index);
    background.text.clear();
    const QWidget *widget = option.widget;
    QStyle *style = widget ? widget->style() : QApplication::style();
    style->drawControl(QStyle::CE_ItemViewItem, &background, painter, widget);

    const QList<int> counts = index.data(m_role).value<QList<int>>();
    if (counts.isEmpty())
        return;
    const QRectF area = QRectF(option.rect).adjusted(6, 4, -6, -4);
    if (area.width() < 8 || area.height() < 4)
        return;
    const bool selected = option.state & QStyle::State_Selected;
    const QColor ink = option.palette.color(
        option.state & QStyle::State_Enabled ? QPalette::Normal : QPalette::Disabled,
        selected ? QPalette::HighlightedText : QPalette::Highlight);
    QColor baseline = ink;
    baseline.setAlphaF(0.35f);

    painter->save();
    painter->setRenderHint(QPainter::Antialiasing, false);
    painter->setPen(Qt::NoPen);
    const int peak = std::max(1, *std::max_element(counts.cbegin(), counts.cend()));
    const qreal step = area.width() / counts.size();
    const qreal gap = step >= 3 ? 1 : 0;
    for (qsizetype i = 0; i < counts.size(); ++i) {
        if (counts.at(i) <= 0)
            continue;
        // At least two pixels for any arrival: one entry among thousands still shows.
        const qreal height = std::max<qreal>(2, area.height() * counts.at(i) / peak);
        const QRectF bar(area.left() + i * step, area.bottom() - height,
                         std::max<qreal>(1, step - gap), height);
        painter->fillRect(bar, ink);
    }
    painter->fillRect(QRectF(area.left(), area.bottom(), area.width(), 1), baseline);
    painter->restore();
}

QSize SparklineDelegate::sizeHint(const QStyleOptionViewItem &option,
                                  const QModelIndex &index) const
{
    QSize size = QStyledItemDelegate::sizeHint(option, index);
    size.setWidth(std::max(size.width(), 2 * 96 + 12)); // two pixels a 15-minute bucket
    return size;
}

} // namespace redrive::ui
