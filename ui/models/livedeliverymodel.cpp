// SPDX-License-Identifier: MIT
#include "ui/models/livedeliverymodel.h"

#include "ui/models/displayformat.h"

#include <QBrush>
#include <QColor>

namespace redrive::ui {

using core::DeliveryEvent;

LiveDeliveryModel::LiveDeliveryModel(int capacity, QObject *parent)
    : QAbstractTableModel(parent)
    , m_capacity(std::max(1, capacity))
{ }

LiveDeliveryModel::~LiveDeliveryModel() = default;

qsizetype LiveDeliveryModel::slot(int row) const
{
    // Row 0 is the newest; older rows go backwards from m_head around the ring.
    return (m_head - row + m_capacity) % m_capacity;
}

void LiveDeliveryModel::add(const DeliveryEvent &event)
{
    ++m_totalSeen;
    if (m_count == m_capacity) {
        // Full: the oldest (last row) goes and its slot takes the new one at the top.
        beginRemoveRows({}, m_count - 1, m_count - 1);
        --m_count;
        endRemoveRows();
        beginInsertRows({}, 0, 0);
        m_head = (m_head + 1) % m_capacity;
        m_ring[m_head] = event;
        ++m_count;
        endInsertRows();
        return;
    }
    beginInsertRows({}, 0, 0);
    m_ring.append(event);
    m_head = m_ring.size() - 1;
    ++m_count;
    endInsertRows();
}

void LiveDeliveryModel::clear()
{
    beginResetModel();
    m_ring.clear();
    m_head = 0;
    m_count = 0;
    endResetModel();
}

const DeliveryEvent &LiveDeliveryModel::event(int row) const
{
    return m_ring.at(slot(row));
}

int LiveDeliveryModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : m_count;
}

int LiveDeliveryModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant LiveDeliveryModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const DeliveryEvent &e = event(index.row());
    switch (role) {
    case Qt::DisplayRole:
        switch (Column(index.column())) {
        case Time:
            return e.receivedAt.toLocalTime().toString(QStringLiteral("HH:mm:ss.zzz"));
        case Topic:
            return displayformat::topic(e.topic);
        case Outcome:
            return e.error.isEmpty()
                ? DeliveryEvent::outcomeName(e.outcome)
                : DeliveryEvent::outcomeName(e.outcome) + QStringLiteral(": ") + e.error;
        case HttpStatus:
            return e.httpStatus;
        case Downstream:
            return e.downstreamStatus > 0 ? QVariant(e.downstreamStatus) : QVariant();
        case Latency:
            return displayformat::duration(e.latencyUs);
        case ColumnCount:
            break;
        }
        return {};
    case Qt::ToolTipRole:
        if (index.column() == Outcome)
            return e.error;
        if (index.column() == Topic)
            return displayformat::topicToolTip(e.topic);
        if (index.column() == Time)
            return e.receivedAt.toLocalTime().toString(Qt::ISODateWithMs);
        return {};
    case Qt::ForegroundRole:
        if (index.column() != Outcome)
            return {};
        switch (e.outcome) {
        case DeliveryEvent::Outcome::Processed:
            return QBrush(QColor(0x2e, 0x9d, 0x4f));
        case DeliveryEvent::Outcome::Deferred:
            return QBrush(QColor(0xd3, 0x8b, 0x0e));
        default:
            return QBrush(QColor(0xc0, 0x39, 0x2b));
        }
    case Qt::TextAlignmentRole:
        if (index.column() == HttpStatus || index.column() == Downstream
            || index.column() == Latency)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case DeliveryIdRole:
        return e.id;
    case OutcomeRole:
        return int(e.outcome);
    case PayloadRole:
        return e.payload;
    default:
        return {};
    }
}

QVariant LiveDeliveryModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case Time:
        return tr("Time");
    case Topic:
        return tr("Event topic");
    case Outcome:
        return tr("Outcome");
    case HttpStatus:
        return tr("Answer");
    case Downstream:
        return tr("Downstream");
    case Latency:
        return tr("Latency");
    case ColumnCount:
        break;
    }
    return {};
}

} // namespace redrive::ui
