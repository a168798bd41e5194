// SPDX-License-Identifier: MIT
#pragma once

#include "core/receiver/deliveryevent.h"

#include <QWidget>

class QLabel;
class QTableView;

namespace redrive::ui {

class EntryDetailView;
class LiveDeliveryModel;

// What the receiver is getting right now, newest on top, with the selected delivery's body.
// New rows do not move what the user is looking at: when scrolled down, the view follows.
class LiveDeliveriesView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LiveDeliveriesView)

public:
    explicit LiveDeliveriesView(QWidget *parent = nullptr);
    ~LiveDeliveriesView() override;

    void add(const core::DeliveryEvent &event);
    LiveDeliveryModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    EntryDetailView *detail() const { return m_detail; }

private:
    void updateCounters();
    void showCurrent();

    LiveDeliveryModel *m_model;
    QTableView *m_table;
    EntryDetailView *m_detail;
    QLabel *m_counters;
    qint64 m_counts[5] = {};
};

} // namespace redrive::ui
