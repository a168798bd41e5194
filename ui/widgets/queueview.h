// SPDX-License-Identifier: MIT
#pragma once

#include "ui/models/queuebackend.h"

#include <QByteArray>
#include <QPointer>
#include <QWidget>

class QAction;
class QLabel;
class QLineEdit;
class QProgressDialog;
class QSplitter;
class QTableView;
class QTimer;
class QToolBar;

namespace redrive::ui {

class EditEntryDialog;
class EntryDetailView;
class QueueTableModel;

// One list (dead-letter queue or permanent failures) as the engineer triages it: a paged table
// of the whole list, a search box that searches it server-side, the selected entry in full, and
// every action on the selection or on all entries matching the search — from the toolbar, the
// context menu and the keyboard. All reads and writes go through the QueueBackend
// (core::QueueStore in the application).
class QueueView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(QueueView)

public:
    using List = QueueList;

    QueueView(QueueBackend &backend, QueueList list, QWidget *parent = nullptr);
    ~QueueView() override;

    List list() const { return m_list; }
    QueueTableModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    EntryDetailView *detail() const { return m_detail; }
    QLineEdit *searchBox() const { return m_search; }
    QLabel *searchInfo() const { return m_searchInfo; }
    // Shown over the empty table: what this list is for, or that a search found nothing.
    QLabel *emptyHint() const { return m_emptyHint; }
    // While Redis is away: a bar above the table says that the rows are as last read.
    void setStale(bool stale, const QString &reason = {});
    QLabel *staleBanner() const { return m_staleBanner; }
    QToolBar *toolBar() const { return m_toolBar; }
    // The editor while one is open (tests drive it).
    EditEntryDialog *editor() const { return m_editor; }
    QString currentQuery() const { return m_query; }
    // Shows only the members of one failure group (the Groups page's selection); the
    // "all matching" actions then act on the group. An empty id shows the whole list again.
    void setGroupFilter(const QString &groupId, const QString &title = QString());
    QString groupFilter() const { return m_group; }
    QLabel *groupBanner() const { return m_groupBanner; }
    qint64 matchCount() const { return m_matchCount; }

    QAction *retryAction() const { return m_retry; }
    QAction *editAction() const { return m_edit; }
    QAction *deleteAction() const { return m_delete; }
    QAction *moveAction() const { return m_move; }
    QAction *retryAllAction() const { return m_retryAll; }
    QAction *deleteAllAction() const { return m_deleteAll; }
    QAction *moveAllAction() const { return m_moveAll; }
    QAction *exportAction() const { return m_export; }
    QAction *exportAllAction() const { return m_exportAll; }
    QAction *importAction() const { return m_import; }
    QAction *purgeAction() const { return m_purge; }

    // The list changed in Redis (watcher): re-read what is shown, coalesced.
    void listChanged();
    // Runs a server-side search; empty: the whole list again.
    void search(const QString &query);
    // Sizes the columns to what they hold (called on load and resize).
    void fitColumns();
    // See QueueTableModel::setRetriesPaused.
    void setRetriesPaused(bool paused, const QString &reason);

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;

Q_SIGNALS:
    // The group filter was set or cleared (by the banner's Clear or a search).
    void groupFilterChanged(const QString &groupId);
    // Number of entries in the list (not the search), for the sidebar.
    void totalChanged(qint64 total);
    // Something to tell the user in the status bar.
    void message(const QString &text);

private:
    enum class BulkOp { Retry, Delete, Move, Export };

    void setUpTable();
    void setUpSearch();
    void setUpLayout();
    void connectSignals();
    void buildActions();
    void updateIcons();
    void updateActions();
    void showCurrent();
    void updateVisibleRows();
    QList<int> selectedRows() const;
    bool allSelected() const;
    // Runs `op` on the selected rows (reading not-yet-fetched ones first).
    void onSelection(BulkOp op);
    void onFilter(BulkOp op);
    void runOnEntries(BulkOp op, const QList<QByteArray> &raws);
    void runOnFilter(BulkOp op, qint64 expected);
    void runJob(QueueJob *job, const QString &label, qint64 expected, const QString &doneText);
    QueuePageFetcher fetcherFor(const QString &query);
    QueuePageFetcher currentFetcher();
    QString scopeText(qint64 count) const;
    void editCurrent();
    void reloadEditor(const QString &id);
    void importFile();
    void purge();
    void exportTo(const QList<QByteArray> &raws, const QString &path);
    void report(const QString &what, const QueueResult &result);
    void startProgress(const QString &label, qint64 total);
    void endProgress();
    QString listName() const;
    QString countText(qint64 n) const;
    void refreshTotal();
    void restoreSelection();

    QueueBackend &m_backend;
    List m_list;
    QueueTableModel *m_model;
    QToolBar *m_toolBar;
    QLineEdit *m_search;
    QLabel *m_searchInfo;
    QTableView *m_table;
    QLabel *m_emptyHint;
    QLabel *m_staleBanner;
    QLabel *m_groupBanner;
    QWidget *m_groupBar;
    EntryDetailView *m_detail;
    QTimer *m_refreshTimer;
    QPointer<EditEntryDialog> m_editor;
    QPointer<QProgressDialog> m_progress;
    QString m_query;
    QString m_group; // failure group id the view is filtered to
    QString m_groupTitle;
    qint64 m_matchCount = -1;
    qint64 m_listTotal = 0;
    QString m_selectedId;
    QByteArray m_shownRaw; // what the entry pane shows
    quint64 m_searchGeneration = 0;
    QSplitter *m_splitter = nullptr;
    bool m_splitterPlaced = false;
    bool m_fitting = false;
    bool m_topicSizedByUser = false;

    QAction *m_retry = nullptr;
    QAction *m_edit = nullptr;
    QAction *m_delete = nullptr;
    QAction *m_move = nullptr;
    QAction *m_retryAll = nullptr;
    QAction *m_deleteAll = nullptr;
    QAction *m_moveAll = nullptr;
    QAction *m_export = nullptr;
    QAction *m_exportAll = nullptr;
    QAction *m_import = nullptr;
    QAction *m_purge = nullptr;
    QAction *m_find = nullptr;
    QAction *m_refresh = nullptr;
    QAction *m_more = nullptr;
};

} // namespace redrive::ui
