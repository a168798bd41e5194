// SPDX-License-Identifier: MIT
#pragma once

#include "core/receiver/deliveryevent.h"

#include <QAbstractTableModel>
#include <QList>

namespace redrive::ui {

// What the receiver just handled, newest first. A bounded ring: once `capacity` deliveries are
// held the oldest one goes for each new one, so a receiver running for days costs fixed memory.
class LiveDeliveryModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LiveDeliveryModel)

public:
    enum Column { Time, Topic, Outcome, HttpStatus, Downstream, Latency, ColumnCount };
    enum Role { DeliveryIdRole = Qt::UserRole, OutcomeRole, PayloadRole };

    explicit LiveDeliveryModel(int capacity = 10000, QObject *parent = nullptr);
    ~LiveDeliveryModel() override;

    void add(const core::DeliveryEvent &event);
    void clear();
    int capacity() const { return m_capacity; }
    // The delivery shown in `row` (0: newest). `row` must be valid.
    const core::DeliveryEvent &event(int row) const;
    qint64 totalSeen() const { return m_totalSeen; }

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    qsizetype slot(int row) const;

    int m_capacity;
    QList<core::DeliveryEvent> m_ring;
    qsizetype m_head = 0; // slot of the newest event
    int m_count = 0;
    qint64 m_totalSeen = 0;
};

} // namespace redrive::ui
