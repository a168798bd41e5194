// SPDX-License-Identifier: MIT
#pragma once

#include "core/audit/auditrecord.h"

#include <QAbstractTableModel>

namespace redrive::ui {

class AuditBackend;

// The audit trail as a table, newest first, read a page at a time: the first page on
// reload(), the next with loadMore(); with a search text, only the records that contain it.
// Records written meanwhile come in at the top on refreshNewest() (the view calls it when this
// process records one), without moving what is loaded.
class AuditTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuditTableModel)

public:
    enum Column {
        When,
        Who,
        Host,
        Client,
        Action,
        List,
        Count,
        FilterOrGroup,
        Outcome,
        ColumnCount
    };
    enum Role { RecordRole = Qt::UserRole + 1 };

    explicit AuditTableModel(AuditBackend &backend, QObject *parent = nullptr);
    ~AuditTableModel() override;

    static constexpr int PageSize = 200;

    void setSearch(const QString &text); // reloads
    QString search() const { return m_search; }
    void reload();
    void loadMore();
    void refreshNewest();
    bool hasMore() const { return !m_next.isEmpty(); }
    bool isLoading() const { return m_loading; }
    const core::AuditRecord &record(int row) const { return m_records.at(row); }

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // What a column shows for a record (also for tests).
    static QString text(const core::AuditRecord &record, Column column);

Q_SIGNALS:
    // A page came (or failed: `error` set); `hasMore` says whether loadMore() has more.
    void loaded(const QString &error);

private:
    void fetch(const QByteArray &cursor);

    AuditBackend &m_backend;
    QList<core::AuditRecord> m_records;
    QString m_search;
    QByteArray m_next;
    bool m_loading = false;
    quint64 m_generation = 0; // answers to an older reload/search are dropped
};

} // namespace redrive::ui
