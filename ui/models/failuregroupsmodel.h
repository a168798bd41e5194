// SPDX-License-Identifier: MIT
#pragma once

#include "core/triage/failuregroupaggregator.h"

#include <QAbstractTableModel>

namespace redrive::ui {

// The failure groups of one list as a table (core::FailureGroups, docs/TRIAGE.md): one row a
// group, largest first. setGroups() after each scan keeps rows (and so the selection) on their
// groups: rows that stay are updated in place, groups that come or go are inserted or removed.
class FailureGroupsModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FailureGroupsModel)

public:
    enum Column { Group, Topic, Count, Share, FirstSeen, LastSeen, Arrivals, Example, ColumnCount };
    enum Role {
        GroupIdRole = Qt::UserRole, // FailureGroup::id
        ArrivalsRole, // QList<int>: arrivals per 15 minutes over the last 24 h, oldest first
        CountRole, // qint64, for sorting and tests
    };

    explicit FailureGroupsModel(QObject *parent = nullptr);
    ~FailureGroupsModel() override;

    void setGroups(const core::FailureGroups &groups);
    const core::FailureGroups &groups() const { return m_groups; }
    const core::FailureGroup *groupAt(int row) const;
    int rowOf(const QString &groupId) const;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

private:
    core::FailureGroups m_groups;
};

} // namespace redrive::ui
