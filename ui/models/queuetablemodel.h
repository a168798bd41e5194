// SPDX-License-Identifier: MIT
#pragma once

#include <QAbstractTableModel>
#include <QByteArray>
#include <QDateTime>
#include <QHash>
#include <QList>
#include <QTimer>

#include <functional>

namespace redrive::ui {

// One slice of a Redis list as the paged model receives it: the list's length at the time of
// the read and the elements from the requested offset on.
struct QueuePage
{
    QString error; // non-empty: the read failed (Redis down, ...), nothing else is meaningful
    qint64 total = 0;
    QList<QByteArray> entries;
};

// Reads `count` elements from `offset`. `done` runs once, later, unless `context` is gone.
using QueuePageFetcher = std::function<void(qint64 offset, int count, const QObject *context,
                                            std::function<void(const QueuePage &)> done)>;

// A dead-letter or permanent-failure list of any length as a table. rowCount() is the list's
// length; rows are read a page at a time only when a view asks for them, and a small LRU of
// pages is all that is held, so a list of a million entries opens at once. refresh() re-reads
// the visible window after a change and keeps persistent indexes (selection) on their entries.
class QueueTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QueueTableModel)

public:
    // Retries: the worker's retries so far (`retry_count`), the number --max-retries counts.
    enum Column { Received, Topic, Error, StatusCode, Retries, NextRetry, ColumnCount };
    enum Role {
        EntryIdRole = Qt::UserRole,
        RawRole,
        LoadedRole,
        IsJsonRole,
    };
    static constexpr int PageSize = 100;
    static constexpr int MaxCachedPages = 24;

    // `withNextRetry`: the DLQ shows when each entry is due; the permanent list has no column.
    explicit QueueTableModel(bool withNextRetry, QObject *parent = nullptr);
    ~QueueTableModel() override;

    // Replaces where rows come from (the whole list, or a search result) and reloads.
    void setFetcher(QueuePageFetcher fetcher);
    // Drops everything and reads the first page again.
    void reload();
    // Something changed in the list: re-read the visible window, keep selection and position.
    void refresh();
    // The rows a view shows; refresh() reads these (plus a margin) first.
    void setVisibleRows(qint64 first, qint64 last);

    // No retry worker runs in this process (`reason` says why): due times are not kept, and the
    // Next retry column says so instead of counting down to a retry that will not happen.
    void setRetriesPaused(bool paused, const QString &reason = QString());
    bool retriesPaused() const { return m_retriesPaused; }

    qint64 total() const { return m_total; }
    bool hasLoaded() const { return m_loaded; }
    QString lastError() const { return m_lastError; }
    bool isRowLoaded(int row) const;
    QByteArray rawAt(int row) const;
    QString idAt(int row) const;
    // Row of a cached entry with this id, -1 when not among the cached pages.
    int rowOfId(const QString &id) const;
    // Reads the raw text of `rows` (fetching pages not cached), then calls `done` with them in
    // row order, or with an error.
    void fetchRows(const QList<int> &rows, const QObject *context,
                   std::function<void(const QList<QByteArray> &raws, const QString &error)> done);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    int columnCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

Q_SIGNALS:
    // `count` entries arrived before the rows the view showed (LPUSH): views that are not at
    // the top scroll by as much to keep showing the same entries.
    void rowsShiftedDown(int count);
    void totalChanged(qint64 total);
    void loadFailed(const QString &error);
    void loaded();

private:
    struct Row
    {
        QByteArray raw;
        QString id;
        QDateTime receivedAt;
        QString topic;
        QString topicPattern; // the topic with its ids as {id}, what the table shows
        QString error;
        int statusCode = 0;
        int retries = 0;
        QDateTime nextAttemptAt;
        bool isJson = false;
    };
    using Page = QList<Row>;

    static Row makeRow(const QByteArray &raw);
    void requestPage(qint64 page) const;
    void fetchWanted();
    void storePage(qint64 page, Page rows);
    void touch(qint64 page) const;
    const Row *rowAt(int row) const;
    void applyRefresh(qint64 firstPage, const QueuePage &result);
    void applyTotal(qint64 total);
    void fail(const QString &error);

    QueuePageFetcher m_fetcher;
    qint64 m_total = 0;
    bool m_loaded = false;
    bool m_withNextRetry = true;
    bool m_retriesPaused = false;
    QString m_pausedReason;
    QString m_lastError;
    QHash<qint64, Page> m_pages;
    mutable QList<qint64> m_lru; // most recently used last (data() counts as a use)
    // Pages views asked for and not cached: `data()` is const, so it only notes them here.
    mutable QList<qint64> m_wanted;
    mutable QTimer m_fetchTimer;
    QList<qint64> m_inFlight;
    quint64 m_generation = 0; // bumped by reload/refresh: older replies are dropped
    bool m_refreshing = false;
    bool m_refreshAgain = false;
    qint64 m_firstVisible = 0;
    qint64 m_lastVisible = 0;
};

} // namespace redrive::ui
