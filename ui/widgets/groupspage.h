// SPDX-License-Identifier: MIT
#pragma once

#include "ui/models/queuebackend.h"

#include <QIcon>
#include <QPalette>
#include <QPointer>
#include <QWidget>

class QAction;
class QLabel;
class QProgressBar;
class QProgressDialog;
class QTabBar;
class QTableView;
class QToolBar;

namespace redrive::ui {

class EntryDetailView;
class FailureGroupsModel;

// The failure groups of the dead-letter queue and of the permanent failures (docs/TRIAGE.md):
// group, entries, share, first and last seen, arrivals over the last 24 h, an example entry;
// counted on the engine's thread and counted again as the lists change. Selecting a group
// shows its example; Show entries (double-click, Enter) filters the list's page to the group;
// Retry / Move / Delete / Export act on the whole group with its count previewed, progress and
// Cancel.
class GroupsPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GroupsPage)

public:
    enum class Op { Retry, Move, Delete, Export };

    explicit GroupsPage(QueueBackend &backend, QWidget *parent = nullptr);
    ~GroupsPage() override;

    // The sidebar's icon for this page: bars of decreasing length, in the palette's text colour.
    static QIcon pageIcon(const QPalette &palette);

    QueueList list() const { return m_list; }
    void setList(QueueList list);
    // Shows `list` with the group selected (from elsewhere: the overview, a notification).
    void selectGroup(QueueList list, const QString &groupId);
    QString currentGroupId() const;

    FailureGroupsModel *model(QueueList list) const;
    QTableView *table() const { return m_table; }
    QTabBar *listTabs() const { return m_tabs; }
    QLabel *statusLabel() const { return m_status; }
    QProgressBar *scanProgress() const { return m_progress; }
    EntryDetailView *example() const { return m_example; }
    QAction *showEntriesAction() const { return m_showEntries; }
    QAction *retryAction() const { return m_retry; }
    QAction *moveAction() const { return m_move; }
    QAction *deleteAction() const { return m_delete; }
    QAction *exportAction() const { return m_export; }

    // Starts counting both lists (done by the first show; tests and screenshots call it).
    void startWatching();
    // Count, ask, act: the group's exact size now is in the question.
    void act(Op op);

Q_SIGNALS:
    void showEntriesRequested(redrive::ui::QueueList list, const QString &groupId,
                              const QString &title);
    void message(const QString &text);

protected:
    void showEvent(QShowEvent *event) override;
    void changeEvent(QEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void buildActions();
    void setUpLayout();
    void updateIcons();
    void updateActions();
    void updateStatus();
    void showExample();
    void groupsUpdated(QueueList list, const core::FailureGroups &groups);
    void run(Op op, qint64 count, const QString &path);
    QString listName(QueueList list) const;

    QueueBackend &m_backend;
    QueueList m_list = QueueList::DeadLetters;
    FailureGroupsModel *m_models[2];
    QTabBar *m_tabs;
    QToolBar *m_toolBar;
    QLabel *m_status;
    QProgressBar *m_progress;
    QTableView *m_table;
    QLabel *m_emptyHint;
    EntryDetailView *m_example;
    QPointer<QProgressDialog> m_actionProgress;
    bool m_watching = false;
    bool m_scanning[2] = { false, false };
    qint64 m_scanned[2] = { 0, 0 };
    qint64 m_length[2] = { 0, 0 };
    bool m_counted[2] = { false, false };
    QString m_error[2];
    QString m_exampleId;
    QString m_pendingGroup[2];
    int m_topicWidth = 0; // the topic column's width when there is room
    void fitColumns();
    QString m_pendingGroupUnused_; // (keeps layout of members stable) // selectGroup() before its list was counted

    QAction *m_showEntries = nullptr;
    QAction *m_retry = nullptr;
    QAction *m_move = nullptr;
    QAction *m_delete = nullptr;
    QAction *m_export = nullptr;
};

} // namespace redrive::ui
