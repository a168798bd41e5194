// SPDX-License-Identifier: MIT
#include "ui/models/queuetablemodel.h"

#include "core/queue/deadletterentry.h"
#include "ui/models/displayformat.h"

#include <QBrush>
#include <QGuiApplication>
#include <QLocale>
#include <QPalette>

#include <algorithm>
#include <memory>

namespace redrive::ui {

namespace {

// At most this many page reads are in flight: a fast scroll through a million rows must not
// queue thousands of reads for rows already out of sight.
constexpr int MaxInFlight = 4;

QString relativeDue(const QDateTime &due)
{
    if (!due.isValid())
        return {};
    const qint64 seconds = QDateTime::currentDateTimeUtc().secsTo(due);
    if (seconds <= 0)
        return QObject::tr("due now");
    if (seconds < 60)
        return QObject::tr("in %1 s").arg(seconds);
    if (seconds < 3600)
        return QObject::tr("in %1 min").arg(seconds / 60);
    if (seconds < 86400)
        return QObject::tr("in %1 h %2 min").arg(seconds / 3600).arg((seconds % 3600) / 60);
    return QObject::tr("in %1 d").arg(seconds / 86400);
}

// Today's entries by their time, older ones with their day: the column stays narrow and the
// tooltip has the full date.
QString receivedText(const QDateTime &at)
{
    if (!at.isValid())
        return {};
    const QDateTime local = at.toLocalTime();
    if (local.date() == QDate::currentDate())
        return local.toString(QStringLiteral("HH:mm:ss"));
    return local.toString(QStringLiteral("MMM d HH:mm"));
}

} // namespace

QueueTableModel::QueueTableModel(bool withNextRetry, QObject *parent)
    : QAbstractTableModel(parent)
    , m_withNextRetry(withNextRetry)
{
    m_fetchTimer.setSingleShot(true);
    m_fetchTimer.setInterval(0);
    connect(&m_fetchTimer, &QTimer::timeout, this, &QueueTableModel::fetchWanted);
}

QueueTableModel::~QueueTableModel() = default;

void QueueTableModel::setRetriesPaused(bool paused, const QString &reason)
{
    if (paused == m_retriesPaused && reason == m_pausedReason)
        return;
    m_retriesPaused = paused;
    m_pausedReason = reason;
    if (m_withNextRetry && m_total > 0)
        Q_EMIT dataChanged(index(0, NextRetry), index(int(m_total) - 1, NextRetry),
                           { Qt::DisplayRole, Qt::ToolTipRole });
}

void QueueTableModel::setFetcher(QueuePageFetcher fetcher)
{
    m_fetcher = std::move(fetcher);
    reload();
}

void QueueTableModel::reload()
{
    ++m_generation;
    beginResetModel();
    m_total = 0;
    m_loaded = false;
    m_pages.clear();
    m_lru.clear();
    m_wanted.clear();
    m_inFlight.clear();
    m_refreshing = false;
    m_refreshAgain = false;
    endResetModel();
    Q_EMIT totalChanged(0);
    if (!m_fetcher)
        return;
    const quint64 generation = m_generation;
    m_refreshing = true;
    m_fetcher(0, PageSize, this, [this, generation](const QueuePage &result) {
        if (generation != m_generation)
            return;
        m_refreshing = false;
        if (!result.error.isEmpty()) {
            fail(result.error);
            return;
        }
        m_lastError.clear();
        Page rows;
        rows.reserve(result.entries.size());
        for (const QByteArray &raw : result.entries)
            rows.append(makeRow(raw));
        if (result.total > 0) {
            beginInsertRows({}, 0, int(result.total) - 1);
            m_total = result.total;
            storePage(0, std::move(rows));
            endInsertRows();
        }
        m_loaded = true;
        Q_EMIT totalChanged(m_total);
        Q_EMIT loaded();
        if (m_refreshAgain) {
            m_refreshAgain = false;
            refresh();
        }
    });
}

void QueueTableModel::setVisibleRows(qint64 first, qint64 last)
{
    m_firstVisible = std::max<qint64>(0, first);
    m_lastVisible = std::max(m_firstVisible, last);
}

void QueueTableModel::refresh()
{
    if (!m_fetcher)
        return;
    if (!m_loaded) {
        if (m_refreshing)
            m_refreshAgain = true;
        else
            reload();
        return;
    }
    if (m_refreshing) {
        m_refreshAgain = true;
        return;
    }
    m_refreshing = true;
    const qint64 margin = PageSize / 2;
    const qint64 firstPage = std::max<qint64>(0, m_firstVisible - margin) / PageSize;
    const qint64 lastPage = (m_lastVisible + margin) / PageSize;
    const int count = int((lastPage - firstPage + 1) * PageSize);
    const quint64 generation = ++m_generation;
    m_inFlight.clear(); // replies of the older generation are dropped
    m_fetcher(firstPage * PageSize, count, this,
              [this, generation, firstPage](const QueuePage &result) {
                  if (generation != m_generation)
                      return;
                  m_refreshing = false;
                  if (!result.error.isEmpty())
                      fail(result.error);
                  else
                      applyRefresh(firstPage, result);
                  if (m_refreshAgain) {
                      m_refreshAgain = false;
                      refresh();
                  }
              });
}

void QueueTableModel::applyRefresh(qint64 firstPage, const QueuePage &result)
{
    m_lastError.clear();
    const qint64 firstRow = firstPage * PageSize;

    QHash<QString, qint64> newRowOfId;
    Page newRows;
    newRows.reserve(result.entries.size());
    for (qsizetype i = 0; i < result.entries.size(); ++i) {
        newRows.append(makeRow(result.entries.at(i)));
        newRowOfId.insert(newRows.last().id, firstRow + i);
    }

    // How far the entries the user sees moved: the first cached entry found again decides.
    // LPUSH by anyone moves everything down by the number of new entries.
    int shift = 0;
    for (qsizetype i = 0; i < newRows.size(); ++i) {
        const int oldRow = rowOfId(newRows.at(i).id);
        if (oldRow >= 0) {
            shift = int(firstRow + i - oldRow);
            break;
        }
    }

    // Ids of the rows persistent indexes point at, read before the cache is replaced.
    const QModelIndexList persistent = persistentIndexList();
    QHash<int, QString> idOfOldRow;
    for (const QModelIndex &index : persistent) {
        if (const Row *row = rowAt(index.row()))
            idOfOldRow.insert(index.row(), row->id);
    }

    // Row count first, at the end of the list: rows keep their numbers, so the ids above stay
    // valid for the remapping below.
    const qint64 total = result.total;
    if (total > m_total) {
        beginInsertRows({}, int(m_total), int(total) - 1);
        m_total = total;
        endInsertRows();
    } else if (total < m_total) {
        beginRemoveRows({}, int(total), int(m_total) - 1);
        m_total = total;
        m_pages.clear(); // rows past the end are gone; what is left is replaced below
        m_lru.clear();
        endRemoveRows();
    }

    Q_EMIT layoutAboutToBeChanged({}, QAbstractItemModel::VerticalSortHint);
    m_pages.clear();
    m_lru.clear();
    for (qsizetype start = 0; start < newRows.size(); start += PageSize)
        storePage(firstPage + start / PageSize, newRows.mid(start, PageSize));
    for (const QModelIndex &index : persistentIndexList()) {
        const QString id = idOfOldRow.value(index.row());
        if (id.isEmpty())
            continue;
        const qint64 newRow = newRowOfId.value(id, -1);
        if (newRow >= 0 && newRow != index.row())
            changePersistentIndex(index, this->index(int(newRow), index.column()));
    }
    Q_EMIT layoutChanged({}, QAbstractItemModel::VerticalSortHint);

    Q_EMIT totalChanged(m_total);
    if (shift > 0)
        Q_EMIT rowsShiftedDown(shift);
}

void QueueTableModel::fail(const QString &error)
{
    m_lastError = error;
    Q_EMIT loadFailed(error);
}

QueueTableModel::Row QueueTableModel::makeRow(const QByteArray &raw)
{
    const core::DeadLetterEntry entry = core::DeadLetterEntry::parse(raw);
    Row row;
    row.raw = raw;
    row.id = entry.id();
    row.isJson = entry.isJsonObject();
    if (row.isJson) {
        row.receivedAt = entry.receivedAt();
        row.topic = entry.topic();
        row.topicPattern = displayformat::topic(row.topic);
        row.error = entry.errorMessage();
        if (!entry.isRetryable())
            row.error = entry.problem()
                + (row.error.isEmpty() ? QString() : QStringLiteral(" — ") + row.error);
        row.statusCode = entry.statusCode();
        row.retries = entry.retryCount();
        row.nextAttemptAt = entry.nextAttemptAt();
    } else {
        row.error = entry.problem();
    }
    return row;
}

void QueueTableModel::storePage(qint64 page, Page rows)
{
    m_pages.insert(page, std::move(rows));
    touch(page);
    while (m_lru.size() > MaxCachedPages)
        m_pages.remove(m_lru.takeFirst());
}

void QueueTableModel::touch(qint64 page) const
{
    m_lru.removeOne(page);
    m_lru.append(page);
}

const QueueTableModel::Row *QueueTableModel::rowAt(int row) const
{
    if (row < 0 || row >= m_total)
        return nullptr;
    const auto it = m_pages.constFind(row / PageSize);
    if (it == m_pages.constEnd())
        return nullptr;
    const qsizetype offset = row % PageSize;
    return offset < it->size() ? &it->at(offset) : nullptr;
}

bool QueueTableModel::isRowLoaded(int row) const
{
    return rowAt(row) != nullptr;
}

QByteArray QueueTableModel::rawAt(int row) const
{
    const Row *r = rowAt(row);
    return r ? r->raw : QByteArray();
}

QString QueueTableModel::idAt(int row) const
{
    const Row *r = rowAt(row);
    return r ? r->id : QString();
}

int QueueTableModel::rowOfId(const QString &id) const
{
    for (auto it = m_pages.constBegin(); it != m_pages.constEnd(); ++it) {
        for (qsizetype i = 0; i < it->size(); ++i) {
            if (it->at(i).id == id)
                return int(it.key() * PageSize + i);
        }
    }
    return -1;
}

void QueueTableModel::requestPage(qint64 page) const
{
    m_wanted.removeOne(page);
    m_wanted.append(page);
    if (!m_fetchTimer.isActive())
        m_fetchTimer.start();
}

void QueueTableModel::fetchWanted()
{
    if (!m_fetcher || !m_loaded)
        return;
    // The most recently painted pages first; older wishes were for rows scrolled past.
    while (!m_wanted.isEmpty() && m_inFlight.size() < MaxInFlight) {
        const qint64 page = m_wanted.takeLast();
        if (m_pages.contains(page) || m_inFlight.contains(page) || page * PageSize >= m_total)
            continue;
        m_inFlight.append(page);
        const quint64 generation = m_generation;
        m_fetcher(page * PageSize, PageSize, this,
                  [this, page, generation](const QueuePage &result) {
                      if (generation != m_generation)
                          return;
                      m_inFlight.removeOne(page);
                      if (!result.error.isEmpty()) {
                          fail(result.error);
                          return;
                      }
                      if (result.total != m_total) {
                          // The list changed under us: this page's rows may not line up any more.
                          refresh();
                          return;
                      }
                      Page rows;
                      rows.reserve(result.entries.size());
                      for (const QByteArray &raw : result.entries)
                          rows.append(makeRow(raw));
                      storePage(page, std::move(rows));
                      const int first = int(page * PageSize);
                      const int last = int(std::min<qint64>(m_total, (page + 1) * PageSize)) - 1;
                      if (last >= first)
                          Q_EMIT dataChanged(index(first, 0), index(last, columnCount() - 1));
                      if (!m_wanted.isEmpty())
                          m_fetchTimer.start();
                  });
    }
    m_wanted.clear();
}

void QueueTableModel::fetchRows(
    const QList<int> &rows, const QObject *context,
    std::function<void(const QList<QByteArray> &raws, const QString &error)> done)
{
    QList<qint64> missing;
    for (int row : rows) {
        const qint64 page = row / PageSize;
        if (!m_pages.contains(page) && !missing.contains(page))
            missing.append(page);
    }
    struct State
    {
        QHash<qint64, Page> pages;
        int outstanding = 0;
        QString error;
    };
    auto state = std::make_shared<State>();
    auto finish = [this, rows, state, done]() {
        if (!state->error.isEmpty()) {
            done({}, state->error);
            return;
        }
        QList<QByteArray> raws;
        raws.reserve(rows.size());
        for (int row : rows) {
            const qint64 page = row / PageSize;
            const qsizetype offset = row % PageSize;
            const Page *p = m_pages.contains(page) ? &m_pages[page] : &state->pages[page];
            if (offset < p->size())
                raws.append(p->at(offset).raw);
        }
        done(raws, QString());
    };
    if (missing.isEmpty() || !m_fetcher) {
        QTimer::singleShot(0, context, finish);
        return;
    }
    state->outstanding = int(missing.size());
    for (qint64 page : std::as_const(missing)) {
        m_fetcher(page * PageSize, PageSize, context,
                  [this, page, state, finish](const QueuePage &result) {
                      if (!result.error.isEmpty())
                          state->error = result.error;
                      else if (result.total != m_total)
                          state->error = tr("The list changed while it was read; try again.");
                      Page rows;
                      for (const QByteArray &raw : result.entries)
                          rows.append(makeRow(raw));
                      state->pages.insert(page, std::move(rows));
                      if (--state->outstanding == 0)
                          finish();
                  });
    }
}

int QueueTableModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_total);
}

int QueueTableModel::columnCount(const QModelIndex &parent) const
{
    if (parent.isValid())
        return 0;
    return m_withNextRetry ? ColumnCount : ColumnCount - 1;
}

QVariant QueueTableModel::data(const QModelIndex &index, int role) const
{
    if (!checkIndex(index, CheckIndexOption::IndexIsValid | CheckIndexOption::ParentIsInvalid))
        return {};
    const Row *row = rowAt(index.row());
    if (!row) {
        if (role == Qt::DisplayRole || role == LoadedRole)
            requestPage(index.row() / PageSize);
        if (role == Qt::DisplayRole && index.column() == Received)
            return tr("loading…");
        if (role == Qt::ForegroundRole)
            return QGuiApplication::palette().brush(QPalette::Disabled, QPalette::Text);
        if (role == LoadedRole)
            return false;
        return {};
    }
    touch(index.row() / PageSize);
    switch (role) {
    case Qt::DisplayRole:
        switch (Column(index.column())) {
        case Received:
            return receivedText(row->receivedAt);
        case Topic:
            if (!row->isJson)
                return tr("(not JSON)");
            return row->topic.isEmpty() ? tr("(no topic)") : row->topicPattern;
        case Error:
            return row->error;
        case StatusCode:
            return row->isJson && row->statusCode != 0 ? QVariant(row->statusCode) : QVariant();
        case Retries:
            return row->isJson ? QVariant(row->retries) : QVariant();
        case NextRetry:
            if (m_retriesPaused && row->isJson)
                return tr("paused: retries off");
            return relativeDue(row->nextAttemptAt);
        case ColumnCount:
            break;
        }
        return {};
    case Qt::ToolTipRole:
        switch (Column(index.column())) {
        case Received:
            return row->receivedAt.isValid()
                ? QLocale().toString(row->receivedAt.toLocalTime(), QLocale::LongFormat)
                : QString();
        case Topic:
            return displayformat::topicToolTip(row->topic);
        case Error:
            return row->error;
        case Retries:
            if (!row->isJson)
                return {};
            return row->retries == 0
                ? tr("Not retried yet: only the delivery that failed")
                : tr("Retried %n times after the delivery that failed", nullptr, row->retries);
        case NextRetry: {
            const QString due = row->nextAttemptAt.isValid()
                ? QLocale().toString(row->nextAttemptAt.toLocalTime(), QLocale::LongFormat)
                : QString();
            if (!m_retriesPaused || !row->isJson)
                return due;
            QString text = tr("No retry worker runs in this Redrive: %1")
                               .arg(m_pausedReason.isEmpty() ? tr("retries are off")
                                                             : m_pausedReason);
            if (!due.isEmpty())
                text += QLatin1Char('\n') + tr("Scheduled for %1").arg(due);
            return text;
        }
        default:
            return {};
        }
    case Qt::TextAlignmentRole:
        if (index.column() == StatusCode || index.column() == Retries)
            return QVariant::fromValue(Qt::AlignRight | Qt::AlignVCenter);
        return {};
    case Qt::ForegroundRole:
        if (!row->isJson)
            return QBrush(QColor(0xc0, 0x39, 0x2b));
        return {};
    case EntryIdRole:
        return row->id;
    case RawRole:
        return row->raw;
    case LoadedRole:
        return true;
    case IsJsonRole:
        return row->isJson;
    default:
        return {};
    }
}

QVariant QueueTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole)
        return QAbstractTableModel::headerData(section, orientation, role);
    switch (Column(section)) {
    case Received:
        return tr("Received");
    case Topic:
        return tr("Event topic");
    case Error:
        return tr("Error");
    case StatusCode:
        return tr("Status");
    case Retries:
        return tr("Retries");
    case NextRetry:
        return tr("Next retry");
    case ColumnCount:
        break;
    }
    return {};
}

} // namespace redrive::ui
