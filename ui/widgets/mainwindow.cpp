// SPDX-License-Identifier: MIT
#include "ui/widgets/mainwindow.h"

#include "core/audit/auditlog.h"
#include "core/engine/enginethread.h"
#include "core/settings/credentialstore.h"
#include "core/settings/settings.h"
#include "ui/dialogs/aboutdialog.h"
#include "ui/dialogs/editentrydialog.h"
#include "ui/dialogs/settingsdialog.h"
#include "ui/models/auditbackend.h"
#include "ui/models/queuebackend.h"
#include "ui/models/queuestorebackend.h"
#include "ui/models/queuetablemodel.h"
#include "ui/models/threadedqueuebackend.h"
#include "ui/widgets/appearance.h"
#include "ui/widgets/auditview.h"
#include "ui/widgets/groupspage.h"
#include "ui/widgets/iconprovider.h"
#include "ui/widgets/livedeliveriesview.h"
#include "ui/widgets/overviewpage.h"
#include "ui/widgets/queueview.h"
#include "ui/widgets/receiverpanel.h"
#include "ui/widgets/trayicon.h"
#include "ui/widgets/windowmemory.h"

#include <QActionGroup>
#include <QApplication>
#include <QCloseEvent>
#include <QHBoxLayout>
#include <QLabel>
#include <QListWidget>
#include <QLocale>
#include <QMenuBar>
#include <QProgressDialog>
#include <QSplitter>
#include <QStackedWidget>
#include <QStatusBar>

namespace redrive::ui {

using RedisState = core::EngineStatus::Redis;

namespace {

// The console's pages, in the order of the sidebar, the stack and the View menu; the n-th is
// reached with Alt+n. The one place that lists them (their icons: pageIcon()).
struct PageInfo
{
    MainWindow::Page page;
    const char *title; // the sidebar's
    const char *menuText; // the View menu's, with its mnemonic
};

constexpr PageInfo kPages[] = {
    { MainWindow::Page::Overview, QT_TRANSLATE_NOOP("redrive::ui::MainWindow", "Overview"),
      QT_TRANSLATE_NOOP("redrive::ui::MainWindow", "&Overview") },
    { MainWindow::Page::Live, QT_TRANSLATE_NOOP("redrive::ui::MainWindow", "Live deliveries"),
      QT_TRANSLATE_NOOP("redrive::ui::MainWindow", "&Live deliveries") },
    { MainWindow::Page::DeadLetters,
      QT_TRANSLATE_NOOP("redrive::ui::MainWindow", "Dead letter queue"),
      QT_TRANSLATE_NOOP("redrive::ui::MainWindow", "&Dead letter queue") },
    { MainWindow::Page::PermanentFailures,
      QT_TRANSLATE_NOOP("redrive::ui::MainWindow", "Permanent failures"),
      QT_TRANSLATE_NOOP("redrive::ui::MainWindow", "&Permanent failures") },
    { MainWindow::Page::Groups, QT_TRANSLATE_NOOP("redrive::ui::MainWindow", "Failure groups"),
      QT_TRANSLATE_NOOP("redrive::ui::MainWindow", "&Failure groups") },
    { MainWindow::Page::Audit, QT_TRANSLATE_NOOP("redrive::ui::MainWindow", "Audit"),
      QT_TRANSLATE_NOOP("redrive::ui::MainWindow", "&Audit trail") },
};

constexpr bool pagesInOrder()
{
    for (int i = 0; i < int(std::size(kPages)); ++i) {
        if (int(kPages[i].page) != i)
            return false;
    }
    return true;
}
static_assert(pagesInOrder(), "kPages lists the pages in the order of MainWindow::Page");

QIcon pageIcon(MainWindow::Page page, const QPalette &palette)
{
    using Icon = IconProvider::Icon;
    switch (page) {
    case MainWindow::Page::Overview:
        return IconProvider::icon(Icon::Receiver, palette);
    case MainWindow::Page::Live:
        return IconProvider::icon(Icon::LiveDeliveries, palette);
    case MainWindow::Page::DeadLetters:
        return IconProvider::icon(Icon::DeadLetters, palette);
    case MainWindow::Page::PermanentFailures:
        return IconProvider::icon(Icon::PermanentFailures, palette);
    case MainWindow::Page::Groups:
        return GroupsPage::pageIcon(palette);
    case MainWindow::Page::Audit:
        return IconProvider::icon(Icon::Audit, palette);
    }
    return {};
}

} // namespace

MainWindow::MainWindow(core::EngineThread &engine, core::Settings &settings,
                       core::CredentialStore &credentials, QWidget *parent)
    : QMainWindow(parent)
    , m_engine(&engine)
    , m_settings(settings)
    , m_credentials(credentials)
    , m_memory(std::make_unique<WindowMemory>(settings.filePath()))
{
    core::QueueStore *store = engine.consoleStore();
    Q_ASSERT(store); // the engine has started before the window is made
    auto backend = std::make_unique<ThreadedQueueBackend>(
        std::make_unique<QueueStoreBackend>(store), engine.engineThread(), store);
    ThreadedQueueBackend *threaded = backend.get();
    m_backend = std::move(backend);
    connect(&engine, &core::EngineThread::queueChanged, threaded,
            [threaded](core::QueueStore::List list) {
                threaded->notifyChanged(list == core::QueueStore::List::DeadLetter
                                            ? QueueList::DeadLetters
                                            : QueueList::PermanentFailures);
            });
    init();
    if (core::AuditLog *audit = engine.consoleAudit())
        addAuditPage(std::make_unique<AuditBackend>(audit));
    m_receiverPanel->setAuditBackend(m_auditBackend.get());
    if (TrayIcon::isAvailable()) {
        m_tray = new TrayIcon(m_settings, this);
        m_tray->showStatus(engine.status());
        connect(&engine, &core::EngineThread::statusChanged, m_tray, &TrayIcon::showStatus);
        connect(&engine, &core::EngineThread::groupsUpdated, m_tray,
                [this](core::QueueStore::List list, const core::FailureGroups &groups) {
                    if (list == core::QueueStore::List::DeadLetter)
                        m_tray->showGroups(groups);
                });
        engine.watchDeadLetterGroups();
    }
    connect(&engine, &core::EngineThread::statusChanged, this, &MainWindow::showEngineStatus);
    connect(&engine, &core::EngineThread::problem, this,
            [this](const QString &message) { statusBar()->showMessage(message); });
    connect(&engine, &core::EngineThread::deliveryHandled, this, &MainWindow::addDelivery);
    m_overview->setEngine(&engine);
    const core::EngineStatus status = engine.status();
    showEngineStatus(status);
    // Turned off on purpose (--no-worker) needs no word; off for want of a downstream does.
    if (!status.retriesRunning && status.workerWanted)
        statusBar()->showMessage(tr("Retries are off: %1").arg(status.retriesDetail));
}

MainWindow::MainWindow(std::unique_ptr<QueueBackend> backend, core::Settings &settings,
                       core::CredentialStore &credentials, QWidget *parent)
    : QMainWindow(parent)
    , m_settings(settings)
    , m_credentials(credentials)
    , m_backend(std::move(backend))
    , m_memory(std::make_unique<WindowMemory>(settings.filePath()))
{
    init();
    setRedisState(RedisState::Ready, tr("connected"));
    // Without an engine there are no counters to chart: the lists come first.
    showPage(Page::DeadLetters);
}

void MainWindow::init()
{
    setWindowTitle(tr("Redrive"));
    m_overview = new OverviewPage(m_settings, m_credentials, m_pages);
    m_receiverPanel = m_overview->receiverPanel();
    m_liveView = new LiveDeliveriesView(m_pages);
    m_dlqView = new QueueView(*m_backend, QueueList::DeadLetters, m_pages);
    m_permanentView = new QueueView(*m_backend, QueueList::PermanentFailures, m_pages);
    m_groupsPage = new GroupsPage(*m_backend, m_pages);
    addPage(Page::Overview, m_overview);
    addPage(Page::Live, m_liveView);
    addPage(Page::DeadLetters, m_dlqView);
    addPage(Page::PermanentFailures, m_permanentView);
    addPage(Page::Groups, m_groupsPage); // before Audit, which addAuditPage() appends
    m_sidebar->setAccessibleName(tr("Pages"));
    m_pages->setAccessibleName(tr("Current page"));
    m_redisStatus->setAccessibleName(tr("Redis connection"));
    m_receiverStatus->setAccessibleName(tr("Receiver address"));
    m_retriesStatus->setAccessibleName(tr("Retries"));
    m_sidebar->setIconSize(QSize(20, 20));
    m_sidebar->setSpacing(2);
    m_sidebar->setFrameShape(QFrame::NoFrame);
    m_sidebar->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    // Wide enough for "Permanent failures (1,000,000)" beside its icon.
    m_sidebar->setMinimumWidth(
        m_sidebar->fontMetrics().horizontalAdvance(tr("Permanent failures (1,000,000)")) + 48);
    m_sidebar->setMaximumWidth(320);
    connect(m_sidebar, &QListWidget::currentRowChanged, m_pages, &QStackedWidget::setCurrentIndex);

    auto *splitter = new QSplitter(Qt::Horizontal, this);
    splitter->setObjectName(QStringLiteral("mainSplitter"));
    splitter->addWidget(m_sidebar);
    splitter->addWidget(m_pages);
    splitter->setStretchFactor(1, 1);
    splitter->setSizes({ m_sidebar->minimumWidth(), 1280 });
    splitter->setCollapsible(1, false);
    setCentralWidget(splitter);

    connect(m_dlqView, &QueueView::totalChanged, this, [this](qint64 total) {
        m_dlqTotal = total;
        updateSidebarCounts();
    });
    connect(m_permanentView, &QueueView::totalChanged, this, [this](qint64 total) {
        m_permanentTotal = total;
        updateSidebarCounts();
    });
    for (QueueView *view : { m_dlqView, m_permanentView }) {
        connect(view, &QueueView::message, this,
                [this](const QString &text) { statusBar()->showMessage(text, 8000); });
    }
    connect(m_groupsPage, &GroupsPage::message, this,
            [this](const QString &text) { statusBar()->showMessage(text, 8000); });
    connect(m_groupsPage, &GroupsPage::showEntriesRequested, this,
            [this](QueueList list, const QString &groupId, const QString &title) {
                QueueView *view = list == QueueList::DeadLetters ? m_dlqView : m_permanentView;
                view->setGroupFilter(groupId, title);
                showPage(list == QueueList::DeadLetters ? Page::DeadLetters
                                                        : Page::PermanentFailures);
            });

    statusBar()->addPermanentWidget(m_receiverStatus);
    statusBar()->addPermanentWidget(m_retriesStatus);
    statusBar()->addPermanentWidget(m_redisStatus);
    m_retriesStatus->hide(); // shown by the engine's window, which knows whether retries run
    // Until the receiver reports where it is bound, show where it is configured to listen.
    setReceiverUrl(m_settings.flag(core::SettingKey::ReceiverEnabled)
                       ? QStringLiteral("http://%1%2")
                             .arg(m_settings.string(core::SettingKey::ListenAddress),
                                  m_settings.string(core::SettingKey::WebhookPath))
                       : QString());

    buildMenus();
    updateSidebarCounts();
    m_sidebar->setCurrentRow(int(Page::Overview));
    // A top failure group (of the dead-letter queue) opens on the Groups page, selected.
    connect(m_overview, &OverviewPage::groupActivated, this,
            [this](const QString &groupId) { showGroup(QueueList::DeadLetters, groupId); });
    restoreWindowState();
}

void MainWindow::addAuditPage(std::unique_ptr<AuditBackend> backend)
{
    if (m_auditView)
        return;
    m_auditBackend = std::move(backend);
    m_auditView = new AuditView(*m_auditBackend, m_pages);
    addPage(Page::Audit, m_auditView);
    connect(m_auditView, &AuditView::message, this,
            [this](const QString &text) { statusBar()->showMessage(text, 8000); });
}

void MainWindow::addPage(Page page, QWidget *widget)
{
    Q_ASSERT(m_pages->count() == int(page)); // in the order of kPages
    m_pages->addWidget(widget);
    auto *item = new QListWidgetItem(tr(kPages[int(page)].title), m_sidebar);
    item->setIcon(pageIcon(page, palette()));
    if (m_viewMenu)
        addPageAction(page);
}

void MainWindow::addPageAction(Page page)
{
    const int index = int(page);
    auto *action = new QAction(tr(kPages[index].menuText), m_viewMenu);
    action->setShortcut(QKeySequence(Qt::ALT | Qt::Key(Qt::Key_1 + index)));
    connect(action, &QAction::triggered, this, [this, page]() { showPage(page); });
    m_viewMenu->insertAction(m_pagesEnd, action);
    while (m_pageActions.size() <= index)
        m_pageActions.append(nullptr);
    m_pageActions[index] = action;
}

QAction *MainWindow::pageAction(Page page) const
{
    return int(page) < m_pageActions.size() ? m_pageActions.at(int(page)) : nullptr;
}

MainWindow::~MainWindow()
{
    // The pages (children, deleted after the members) hold on to the backend: take them down
    // first, while the backend they use is still there.
    delete m_pages;
}

void MainWindow::buildMenus()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    m_settingsAction = file->addAction(tr("&Settings…"), this, &MainWindow::openSettings);
    // The platform's Preferences key where it has one (macOS), and Ctrl+, everywhere. The
    // first is the one the menu shows: Linux has no Preferences key, so Ctrl+, comes first.
    const QKeySequence preferences(QKeySequence::Preferences);
    const QKeySequence ctrlComma(Qt::CTRL | Qt::Key_Comma);
    if (preferences.isEmpty() || preferences == ctrlComma)
        m_settingsAction->setShortcut(ctrlComma);
    else
        m_settingsAction->setShortcuts({ preferences, ctrlComma });
    file->addSeparator();
    QAction *quit = file->addAction(tr("&Quit"), this, &QWidget::close);
    quit->setShortcut(QKeySequence::Quit);

    QMenu *view = menuBar()->addMenu(tr("&View"));
    m_viewMenu = view;
    m_pagesEnd = view->addSeparator();
    for (int i = 0; i < m_pages->count(); ++i)
        addPageAction(Page(i)); // the Audit page's comes with it (addAuditPage())
    QMenu *theme = view->addMenu(tr("&Theme"));
    auto *themes = new QActionGroup(this);
    const QList<QPair<QString, QString>> choices {
        { QStringLiteral("system"), tr("&System") },
        { QStringLiteral("light"), tr("&Light") },
        { QStringLiteral("dark"), tr("&Dark") },
    };
    const QString current = appearance::themeName(appearance::themeFromName(
        QString::fromUtf8(m_memory->value(QStringLiteral("appearance/theme")))));
    for (const auto &[name, text] : choices) {
        QAction *action = theme->addAction(text);
        action->setCheckable(true);
        action->setChecked(name == current);
        action->setData(name);
        themes->addAction(action);
        connect(action, &QAction::triggered, this, [this, name = name]() { setTheme(name); });
        m_themeActions.append(action);
    }

    QMenu *help = menuBar()->addMenu(tr("&Help"));
    help->addAction(tr("&About Redrive"), this, [this]() {
        auto *about = new AboutDialog(m_engine, this);
        about->setAttribute(Qt::WA_DeleteOnClose);
        about->open();
    });
}

void MainWindow::setTheme(const QString &name)
{
    const appearance::Theme theme = appearance::themeFromName(name);
    m_memory->setValue(QStringLiteral("appearance/theme"), appearance::themeName(theme).toUtf8());
    for (QAction *action : std::as_const(m_themeActions))
        action->setChecked(action->data().toString() == appearance::themeName(theme));
    if (theme != appearance::currentTheme())
        appearance::applyTheme(theme);
}

void MainWindow::updateIcons()
{
    const QPalette palette = this->palette();
    for (int i = 0; i < m_sidebar->count(); ++i)
        m_sidebar->item(i)->setIcon(pageIcon(Page(i), palette));
}

void MainWindow::changeEvent(QEvent *event)
{
    // A theme switched at run time: the palette-drawn icons are drawn again in its colours.
    if (event->type() == QEvent::PaletteChange)
        updateIcons();
    // Looked at: the failures the tray announced are no longer new.
    if (event->type() == QEvent::ActivationChange && isActiveWindow() && m_tray)
        m_tray->clearNewFailures();
    QMainWindow::changeEvent(event);
}

void MainWindow::showGroup(QueueList list, const QString &groupId)
{
    showPage(Page::Groups);
    m_groupsPage->selectGroup(list, groupId);
}

void MainWindow::showPage(Page page)
{
    m_sidebar->setCurrentRow(int(page));
}

MainWindow::Page MainWindow::currentPage() const
{
    return Page(m_pages->currentIndex());
}

void MainWindow::openSettings()
{
    auto *dialog = new SettingsDialog(m_settings, m_credentials, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

void MainWindow::addDelivery(const core::DeliveryEvent &event)
{
    // The Engine constructor connects the receiver itself; wiring code that also connects it
    // would deliver each event twice in a row: the same object, once per connection.
    if (&event == m_lastEvent && event.id == m_lastEventId && event.receivedAt == m_lastEventTime)
        return;
    m_lastEvent = &event;
    m_lastEventId = event.id;
    m_lastEventTime = event.receivedAt;
    m_liveView->add(event);
    m_receiverPanel->countDelivery(event);
}

void MainWindow::setReceiverUrl(const QString &url)
{
    m_receiverStatus->setText(url.isEmpty() ? tr("Receiver off") : tr("Receiver: %1").arg(url));
    m_receiverPanel->setListeningUrl(url);
    m_receiverStatus->setTextInteractionFlags(Qt::TextSelectableByMouse);
}

void MainWindow::showEngineStatus(const core::EngineStatus &status)
{
    // A status comes with every change (the receiver stopped, ...): the lists are re-read only
    // when Redis itself changed.
    if (!m_haveRedisState || status.redis != m_redisState || status.redisDetail != m_redisDetail)
        setRedisState(status.redis, status.redisDetail);
    setRetriesRunning(status.retriesRunning, status.retriesDetail);
    setReceiverUrl(status.receiverEnabled ? status.receiverUrl : QString());
}

void MainWindow::setRedisState(RedisState state, const QString &detail)
{
    m_haveRedisState = true;
    m_redisState = state;
    m_redisDetail = detail;
    QString dot;
    QString text;
    switch (state) {
    case RedisState::Ready:
        dot = QStringLiteral("#2e9d4f");
        text = tr("Redis: %1").arg(detail);
        statusBar()->clearMessage(); // a read that failed while Redis was away is stale now
        break;
    case RedisState::Connecting:
        dot = QStringLiteral("#d38b0e");
        text = tr("Redis: connecting…");
        break;
    case RedisState::Unavailable:
        dot = QStringLiteral("#c0392b");
        text = tr("Redis unavailable (retrying by itself): %1").arg(detail);
        break;
    }
    m_redisStatus->setText(
        QStringLiteral("<span style=\"color:%1\">●</span> %2").arg(dot, text.toHtmlEscaped()));
    m_redisStatus->setToolTip(detail);
    // Connecting at start is not an outage; losing a connection that worked is, until it is back.
    if (state == RedisState::Ready)
        m_redisWasReady = true;
    const bool away = m_redisWasReady && state != RedisState::Ready;
    for (QueueView *view : { m_dlqView, m_permanentView })
        view->setStale(away, detail);
    if (state == RedisState::Ready) {
        // Back after an outage: what is shown may be stale.
        m_dlqView->listChanged();
        m_permanentView->listChanged();
    }
}

void MainWindow::setRetriesRunning(bool running, const QString &detail)
{
    m_overview->setRetriesRunning(running, detail);
    if (running) {
        m_retriesStatus->setText(tr("Retries on"));
        m_retriesStatus->setToolTip(tr("The retry worker sends due entries to %1").arg(detail));
    } else {
        m_retriesStatus->setText(tr("Retries off"));
        m_retriesStatus->setToolTip(detail);
    }
    m_retriesStatus->show();
    m_dlqView->setRetriesPaused(!running, detail);
}

void MainWindow::updateSidebarCounts()
{
    const QLocale locale;
    auto label = [&locale](const QString &name, qint64 total) {
        return total < 0 ? name : QStringLiteral("%1 (%2)").arg(name, locale.toString(total));
    };
    for (const auto &[page, total] : { std::pair { Page::DeadLetters, m_dlqTotal },
                                       std::pair { Page::PermanentFailures, m_permanentTotal } })
        m_sidebar->item(int(page))->setText(label(tr(kPages[int(page)].title), total));
}

void MainWindow::restoreWindowState()
{
    const appearance::Theme theme = appearance::themeFromName(
        QString::fromUtf8(m_memory->value(QStringLiteral("appearance/theme"))));
    if (theme != appearance::currentTheme())
        appearance::applyTheme(theme);
    const QByteArray geometry = m_memory->value(QStringLiteral("main/geometry"));
    if (geometry.isEmpty() || !restoreGeometry(geometry))
        resize(1200, 760);
    restoreState(m_memory->value(QStringLiteral("main/state")));
    if (auto *splitter = findChild<QSplitter *>(QStringLiteral("mainSplitter")))
        splitter->restoreState(m_memory->value(QStringLiteral("main/splitter")));
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    m_memory->setValue(QStringLiteral("main/geometry"), saveGeometry());
    m_memory->setValue(QStringLiteral("main/state"), saveState());
    if (auto *splitter = findChild<QSplitter *>(QStringLiteral("mainSplitter")))
        m_memory->setValue(QStringLiteral("main/splitter"), splitter->saveState());
    if (m_tray && m_settings.flag(core::SettingKey::KeepReceivingInTray)) {
        // Receiving goes on; the tray icon's menu shows the window again or quits.
        event->ignore();
        hide();
        if (m_memory->value(QStringLiteral("tray/told")).isEmpty()) {
            m_tray->tellKeptInTray();
            m_memory->setValue(QStringLiteral("tray/told"), QByteArrayLiteral("1"));
        }
        return;
    }
    QMainWindow::closeEvent(event);
}

} // namespace redrive::ui
