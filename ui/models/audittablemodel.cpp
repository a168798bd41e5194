// SPDX-License-Identifier: MIT
#include "ui/models/audittablemodel.h"

#include "ui/models/auditbackend.h"

#include <QDateTime>
#include <QLocale>

namespace redrive::ui {

namespace {

// "1764655042123-5" -> (1764655042123, 5), for ordering ids of one stream.
std::pair<qint64, qint64> streamOrder(const QByteArray &id)
{
    const qsizetype dash = id.indexOf('-');
    return { id.left(dash).toLongLong(), dash < 0 ? 0 : id.mid(dash + 1).toLongLong() };
}

} // namespace

AuditTableModel::AuditTableModel(AuditBackend &backend, QObject *parent)
    : QAbstractTableModel(parent)
    , m_backend(backend)
{ }

AuditTableModel::~AuditTableModel() = default;

void AuditTableModel::setSearch(const QString &text)
{
    m_search = text.trimmed();
    reload();
}

void AuditTableModel::reload()
{
    ++m_generation;
    beginResetModel();
    m_records.clear();
    m_next.clear();
    endResetModel();
    fetch(QByteArray());
}

void AuditTableModel::loadMore()
{
    if (m_loading || m_next.isEmpty())
        return;
    fetch(m_next);
}

void AuditTableModel::fetch(const QByteArray &cursor)
{
    m_loading = true;
    const quint64 generation = m_generation;
    auto onPage = [this, generation](const core::AuditPage &page) {
        if (generation != m_generation)
            return;
        m_loading = false;
        if (!page.ok()) {
            Q_EMIT loaded(page.error);
            return;
        }
        if (!page.records.isEmpty()) {
            beginInsertRows({}, int(m_records.size()),
                            int(m_records.size() + page.records.size() - 1));
            m_records += page.records;
            endInsertRows();
        }
        m_next = page.next;
        Q_EMIT loaded(QString());
    };
    if (m_search.isEmpty())
        m_backend.readPage(cursor, PageSize, this, onPage);
    else
        m_backend.search(m_search, cursor, PageSize, this, onPage);
}

void AuditTableModel::refreshNewest()
{
    if (m_loading) // a page on its way: it will hold them, or the next refresh will
        return;
    if (m_records.isEmpty()) {
        reload();
        return;
    }
    const QByteArray newest = m_records.constFirst().streamId;
    const quint64 generation = m_generation;
    auto onPage = [this, generation, newest](const core::AuditPage &page) {
        if (generation != m_generation || !page.ok() || m_records.isEmpty())
            return;
        QList<core::AuditRecord> fresh;
        for (const core::AuditRecord &record : page.records) {
            if (streamOrder(record.streamId) <= streamOrder(newest))
                break;
            fresh.append(record);
        }
        if (fresh.isEmpty())
            return;
        beginInsertRows({}, 0, int(fresh.size() - 1));
        m_records = fresh + m_records;
        endInsertRows();
    };
    if (m_search.isEmpty())
        m_backend.readPage(QByteArray(), PageSize, this, onPage);
    else
        m_backend.search(m_search, QByteArray(), PageSize, this, onPage);
}

int AuditTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_records.size());
}

int AuditTableModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QString AuditTableModel::text(const core::AuditRecord &record, Column column)
{
    if (!record.isValid()) {
        if (column == When && !record.streamId.isEmpty())
            return QLocale().toString(
                QDateTime::fromMSecsSinceEpoch(streamOrder(record.streamId).first),
                QStringLiteral("yyyy-MM-dd HH:mm:ss"));
        if (column == Action)
            return tr("(not understood)");
        if (column == Outcome)
            return record.problem;
        return {};
    }
    switch (column) {
    case When:
        return QLocale().toString(QDateTime::fromMSecsSinceEpoch(record.atMs),
                                  QStringLiteral("yyyy-MM-dd HH:mm:ss"));
    case Who:
        return record.user;
    case Host:
        return record.host;
    case Client:
        return record.client;
    case Action:
        return record.target.isEmpty()
            ? core::auditActionName(record.action)
            : tr("%1 to %2").arg(core::auditActionName(record.action), record.target);
    case List:
        return record.list;
    case Count:
        return record.scope == core::AuditScope::None ? QString()
                                                      : QLocale().toString(record.count);
    case FilterOrGroup:
        if (!record.group.isEmpty())
            return tr("group %1").arg(record.group);
        if (!record.filter.isEmpty())
            return tr("filter %1").arg(record.filter);
        if (record.scope == core::AuditScope::Selection)
            return tr("selection");
        if (record.scope == core::AuditScope::List)
            return tr("whole list");
        return {};
    case Outcome:
        return record.reason.isEmpty()
            ? core::auditOutcomeName(record.outcome)
            : QStringLiteral("%1: %2").arg(core::auditOutcomeName(record.outcome), record.reason);
    case ColumnCount:
        break;
    }
    return {};
}

QVariant AuditTableModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_records.size())
        return {};
    const core::AuditRecord &record = m_records.at(index.row());
    switch (role) {
    case Qt::DisplayRole:
        return text(record, Column(index.column()));
    case Qt::ToolTipRole:
        if (index.column() == Outcome || index.column() == FilterOrGroup || index.column() == List
            || index.column() == Action || index.column() == Host)
            return text(record, Column(index.column()));
        if (index.column() == When && record.isValid())
            return QDateTime::fromMSecsSinceEpoch(record.atMs, Qt::UTC).toString(Qt::ISODateWithMs);
        return {};
    case Qt::TextAlignmentRole:
        if (index.column() == Count)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case RecordRole:
        return QVariant::fromValue(record);
    default:
        return {};
    }
}

QVariant AuditTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return {};
    switch (Column(section)) {
    case When:
        return tr("When");
    case Who:
        return tr("Who");
    case Host:
        return tr("Host");
    case Client:
        return tr("Client");
    case Action:
        return tr("Action");
    case List:
        return tr("List");
    case Count:
        return tr("Count");
    case FilterOrGroup:
        return tr("Filter / group");
    case Outcome:
        return tr("Outcome");
    case ColumnCount:
        break;
    }
    return {};
}

} // namespace redrive::ui
