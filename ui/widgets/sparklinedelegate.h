// SPDX-License-Identifier: MIT
#pragma once

#include <QStyledItemDelegate>

namespace redrive::ui {

// Draws a row of counts (a QList<int> under `role`) as a small bar chart in the cell: one bar a
// bucket, scaled to the row's own largest bucket, in the palette's highlight colour, with a
// base line so that an empty day still reads as "nothing arrived".
class SparklineDelegate final : public QStyledItemDelegate
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SparklineDelegate)

public:
    SparklineDelegate(int role, QObject *parent = nullptr);
    ~SparklineDelegate() override;

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override;
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override;

private:
    int m_role;
};

} // namespace redrive::ui
