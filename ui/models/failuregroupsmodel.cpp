// SPDX-License-Identifier: MIT
#include "ui/models/failuregroupsmodel.h"

#include <QLocale>

namespace redrive::ui {

namespace {

QString when(const QDateTime &time)
{
    if (!time.isValid())
        return QStringLiteral("—");
    const QDateTime local = time.toLocalTime();
    const QDateTime now = QDateTime::currentDateTime();
    if (local.date() == now.date())
        return QLocale().toString(local.time(), QStringLiteral("HH:mm:ss"));
    return QLocale().toString(local, QStringLiteral("MMM d HH:mm"));
}

} // namespace

FailureGroupsModel::FailureGroupsModel(QObject *parent)
    : QAbstractTableModel(parent)
{ }

FailureGroupsModel::~FailureGroupsModel() = default;

void FailureGroupsModel::setGroups(const core::FailureGroups &groups)
{
    // Groups that went: removed from the bottom up, so the rows above keep their numbers.
    for (int row = int(m_groups.groups.size()) - 1; row >= 0; --row) {
        if (!groups.find(m_groups.groups.at(row).id)) {
            beginRemoveRows({}, row, row);
            m_groups.groups.removeAt(row);
            endRemoveRows();
        }
    }
    // The rest in the new order: rows above `target` are placed already, so a group out of
    // place is always further down and moves up; new ones are inserted where they belong.
    for (int target = 0; target < groups.groups.size(); ++target) {
        const core::FailureGroup &group = groups.groups.at(target);
        const int row = rowOf(group.id);
        if (row < 0) {
            beginInsertRows({}, target, target);
            m_groups.groups.insert(target, group);
            endInsertRows();
            continue;
        }
        if (row != target) {
            beginMoveRows({}, row, row, {}, target);
            m_groups.groups.move(row, target);
            endMoveRows();
        }
        m_groups.groups[target] = group;
    }
    m_groups = groups; // the same groups in the same order now, and the scan's figures
    if (!m_groups.groups.isEmpty())
        Q_EMIT dataChanged(index(0, 0), index(rowCount() - 1, ColumnCount - 1));
}

const core::FailureGroup *FailureGroupsModel::groupAt(int row) const
{
    return row >= 0 && row < m_groups.groups.size() ? &m_groups.groups.at(row) : nullptr;
}

int FailureGroupsModel::rowOf(const QString &groupId) const
{
    for (int row = 0; row < m_groups.groups.size(); ++row) {
        if (m_groups.groups.at(row).id == groupId)
            return row;
    }
    return -1;
}

int FailureGroupsModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_groups.groups.size());
}

int FailureGroupsModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant FailureGroupsModel::data(const QModelIndex &index, int role) const
{
    const core::FailureGroup *group = groupAt(index.row());
    if (!group)
        return {};
    switch (role) {
    case GroupIdRole:
        return group->id;
    case ArrivalsRole:
        return QVariant::fromValue(group->arrivals);
    case CountRole:
        return group->count;
    case Qt::TextAlignmentRole:
        if (index.column() == Count || index.column() == Share)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return QVariant(Qt::AlignLeft | Qt::AlignVCenter);
    case Qt::ToolTipRole:
        switch (index.column()) {
        case Group:
        case Topic:
            return tr("%1\nGroup id %2 (redrive queue … --group %2)").arg(group->title, group->id);
        case Arrivals: {
            int total = 0;
            for (int n : group->arrivals)
                total += n;
            return tr("%1 arrived in the last 24 hours (15-minute bars, the newest at the right)")
                .arg(QLocale().toString(total));
        }
        case FirstSeen:
        case LastSeen: {
            const QDateTime time = index.column() == FirstSeen ? group->firstSeen : group->lastSeen;
            return time.isValid() ? QLocale().toString(time.toLocalTime(), QLocale::LongFormat)
                                  : tr("No entry of this group says when it arrived");
        }
        case Example:
            return tr("The newest entry of the group");
        default:
            return {};
        }
    case Qt::DisplayRole:
        switch (index.column()) {
        case Group:
            return group->fingerprint.failure();
        case Topic:
            return group->fingerprint.topicPattern.isEmpty()
                    && group->fingerprint.kind != core::FailureKind::NotJson
                    && group->fingerprint.kind != core::FailureKind::NotEntry
                ? tr("(no topic)")
                : group->fingerprint.topicPattern;
        case Count:
            return QLocale().toString(group->count);
        case Share:
            return QStringLiteral("%1 %").arg(
                QLocale().toString(group->share * 100, 'f', group->share < 0.1 ? 1 : 0));
        case FirstSeen:
            return when(group->firstSeen);
        case LastSeen:
            return when(group->lastSeen);
        case Arrivals:
            return {};
        case Example:
            return group->exampleId;
        default:
            return {};
        }
    default:
        return {};
    }
}

QVariant FailureGroupsModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (section) {
    case Group:
        return tr("Failure");
    case Topic:
        return tr("Event topic");
    case Count:
        return tr("Entries");
    case Share:
        return tr("Share");
    case FirstSeen:
        return tr("First seen");
    case LastSeen:
        return tr("Last seen");
    case Arrivals:
        return tr("Last 24 h");
    case Example:
        return tr("Example entry");
    default:
        return {};
    }
}

} // namespace redrive::ui
