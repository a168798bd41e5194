// SPDX-License-Identifier: MIT
#pragma once

#include "core/engine/enginestatus.h"
#include "core/receiver/deliveryevent.h"

#include <QLabel>
#include <QListWidget>
#include <QMainWindow>
#include <QMenu>
#include <QStackedWidget>

#include <memory>

namespace redrive::core {
class CredentialStore;
class EngineThread;
class Settings;
} // namespace redrive::core

namespace redrive::ui {

class AuditBackend;
class AuditView;
class TrayIcon;
class GroupsPage;
enum class QueueList;
class LiveDeliveriesView;
class OverviewPage;
class QueueBackend;
class QueueView;
class ReceiverPanel;
class WindowMemory;

// The console: a sidebar with the Overview (trends, top failure groups, worker, receiver), the
// live deliveries, the dead-letter queue and the permanent failures (with their counts), each
// page with its own toolbar, and a status bar with the Redis connection and the receiver's
// address.
class MainWindow final : public QMainWindow
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)

public:
    // Audit is there when the window has an audit trail (addAuditPage()).
    enum class Page { Overview, Live, DeadLetters, PermanentFailures, Groups, Audit };

    // The application's window on an engine running on its own thread: the lists through the
    // engine's queue store (each call posted to that thread, each answer posted back), changes
    // by anyone as the engine announces them, its status in the status bar. `engine` must have
    // started and outlive the window.
    MainWindow(core::EngineThread &engine, core::Settings &settings,
               core::CredentialStore &credentials, QWidget *parent = nullptr);
    // Any queue backend, without an engine (tests and tools); the Redis state shown is the
    // one given to setRedisState().
    MainWindow(std::unique_ptr<QueueBackend> backend, core::Settings &settings,
               core::CredentialStore &credentials, QWidget *parent = nullptr);
    ~MainWindow() override;

    void showPage(Page page);
    Page currentPage() const;
    // The page's entry in the View menu, with its shortcut (Alt+1 for the first page, Alt+2
    // for the next, in the sidebar's order); null for a page the window does not have.
    QAction *pageAction(Page page) const;
    QueueView *deadLetterView() const { return m_dlqView; }
    QueueView *permanentView() const { return m_permanentView; }
    LiveDeliveriesView *liveView() const { return m_liveView; }
    OverviewPage *overviewPage() const { return m_overview; }
    ReceiverPanel *receiverPanel() const { return m_receiverPanel; }
    // The Audit page over `backend` (the engine's window adds it itself); null until then.
    void addAuditPage(std::unique_ptr<AuditBackend> backend);
    AuditView *auditView() const { return m_auditView; }
    TrayIcon *trayIcon() const { return m_tray; }
    GroupsPage *groupsPage() const { return m_groupsPage; }
    // The Groups page with `groupId` of `list` selected (the overview's top groups, a
    // notification).
    void showGroup(redrive::ui::QueueList list, const QString &groupId);
    QListWidget *sidebar() const { return m_sidebar; }
    QLabel *redisStatus() const { return m_redisStatus; }
    QLabel *receiverStatus() const { return m_receiverStatus; }
    QLabel *retriesStatus() const { return m_retriesStatus; }
    QueueBackend *backend() const { return m_backend.get(); }
    QAction *settingsAction() const { return m_settingsAction; }
    // View > Theme: the desktop's look, or Fusion light or dark; remembered between runs.
    QList<QAction *> themeActions() const { return m_themeActions; }
    void setTheme(const QString &name);
    void openSettings();

public Q_SLOTS:
    // One delivery the receiver handled (connect the receiver's delivery signal here).
    void addDelivery(const redrive::core::DeliveryEvent &event);
    // Where the receiver listens; empty when it is stopped.
    void setReceiverUrl(const QString &url);
    void setRedisState(redrive::core::EngineStatus::Redis state, const QString &detail);
    // Everything the engine reports about itself: Redis, receiver, retries.
    void showEngineStatus(const redrive::core::EngineStatus &status);
    // Whether a retry worker runs in this process: the status bar and the dead-letter list's
    // Next retry column say so. `detail`: where it sends to, or why it is off.
    void setRetriesRunning(bool running, const QString &detail);

protected:
    void closeEvent(QCloseEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    // Adds `widget` as `page`: in the stack, in the sidebar with its icon, in the View menu.
    void addPage(Page page, QWidget *widget);
    void addPageAction(Page page);
    void buildMenus();
    void updateIcons();
    void updateSidebarCounts();
    void restoreWindowState();

    void init();

    core::EngineThread *m_engine = nullptr;
    core::Settings &m_settings;
    core::CredentialStore &m_credentials;
    std::unique_ptr<QueueBackend> m_backend;
    std::unique_ptr<AuditBackend> m_auditBackend;
    std::unique_ptr<WindowMemory> m_memory;
    QListWidget *m_sidebar = new QListWidget(this);
    QStackedWidget *m_pages = new QStackedWidget(this);
    LiveDeliveriesView *m_liveView = nullptr;
    QueueView *m_dlqView = nullptr;
    QueueView *m_permanentView = nullptr;
    OverviewPage *m_overview = nullptr;
    ReceiverPanel *m_receiverPanel = nullptr; // on the Overview page
    AuditView *m_auditView = nullptr;
    TrayIcon *m_tray = nullptr; // where the desktop has a tray
    GroupsPage *m_groupsPage = nullptr;
    QLabel *m_redisStatus = new QLabel(this);
    QLabel *m_receiverStatus = new QLabel(this);
    QLabel *m_retriesStatus = new QLabel(this);
    QAction *m_settingsAction = nullptr;
    QMenu *m_viewMenu = nullptr;
    QAction *m_pagesEnd = nullptr; // the View menu's separator after the pages
    QList<QAction *> m_pageActions; // by page
    QList<QAction *> m_themeActions;
    const void *m_lastEvent = nullptr;
    QString m_lastEventId;
    QDateTime m_lastEventTime;
    qint64 m_dlqTotal = -1;
    bool m_redisWasReady = false;
    bool m_haveRedisState = false;
    core::EngineStatus::Redis m_redisState = core::EngineStatus::Redis::Connecting;
    QString m_redisDetail;
    qint64 m_permanentTotal = -1;
};

} // namespace redrive::ui
