// SPDX-License-Identifier: MIT
#include "ui/widgets/trayicon.h"

#include "core/settings/settings.h"

#include <QApplication>
#include <QDateTime>
#include <QMenu>
#include <QStyle>
#include <QSystemTrayIcon>
#include <QWidget>

namespace redrive::ui {

using core::SettingKey;

TrayIcon::TrayIcon(core::Settings &settings, QWidget *window)
    : QObject(window)
    , m_settings(settings)
    , m_window(window)
    , m_icon(new QSystemTrayIcon(this))
    , m_menu(new QMenu(window))
{
    m_icon->setIcon(QApplication::windowIcon());
    m_menu->addAction(tr("Show Redrive"), this, [this] {
        m_window->showNormal();
        m_window->raise();
        m_window->activateWindow();
        clearNewFailures();
    });
    m_menu->addSeparator();
    m_menu->addAction(tr("Quit"), qApp, &QCoreApplication::quit);
    m_icon->setContextMenu(m_menu);
    connect(m_icon, &QSystemTrayIcon::activated, this, [this](QSystemTrayIcon::ActivationReason r) {
        if (r == QSystemTrayIcon::Trigger || r == QSystemTrayIcon::DoubleClick) {
            m_window->showNormal();
            m_window->activateWindow();
            clearNewFailures();
        }
    });
    connect(&m_settings, &core::Settings::changed, this, [this] { readOptions(); });
    readOptions();
    update();
    if (isAvailable())
        m_icon->show();
}

TrayIcon::~TrayIcon() = default;

bool TrayIcon::isAvailable()
{
    return QSystemTrayIcon::isSystemTrayAvailable();
}

void TrayIcon::readOptions()
{
    GroupNotifier::Options options;
    options.newGroups = m_settings.flag(SettingKey::NotifyNewGroups);
    options.threshold = m_settings.integer64(SettingKey::NotifyGroupThreshold);
    options.intervalMs = m_settings.integer64(SettingKey::NotifyIntervalMinutes) * 60 * 1000;
    m_notifier.setOptions(options);
}

void TrayIcon::showStatus(const core::EngineStatus &status)
{
    m_status = status;
    m_haveStatus = true;
    update();
}

void TrayIcon::showGroups(const core::FailureGroups &groups)
{
    if (!groups.ok())
        return;
    const QList<GroupNotifier::Notice> notices
        = m_notifier.update(groups.groups, QDateTime::currentMSecsSinceEpoch());
    for (const GroupNotifier::Notice &notice : notices) {
        ++m_newFailures;
        if (isAvailable() && QSystemTrayIcon::supportsMessages())
            m_icon->showMessage(notice.title, notice.text, QSystemTrayIcon::Warning);
    }
    if (!notices.isEmpty())
        update();
}

void TrayIcon::clearNewFailures()
{
    m_newFailures = 0;
    update();
}

void TrayIcon::tellKeptInTray()
{
    m_icon->showMessage(tr("Redrive keeps receiving"),
                        tr("The window is closed; Redrive goes on receiving in the tray. Quit "
                           "is in the tray icon's menu; Settings > Tray and notifications turns "
                           "this off."),
                        QSystemTrayIcon::Information);
}

void TrayIcon::update()
{
    QStringList lines;
    if (!m_haveStatus || m_status.redis == core::EngineStatus::Redis::Connecting)
        lines << tr("Connecting to Redis");
    else if (m_status.redis == core::EngineStatus::Redis::Unavailable)
        lines << tr("Redis down: %1").arg(m_status.redisDetail);
    else if (!m_status.receiverUrl.isEmpty())
        lines << tr("Receiving at %1").arg(m_status.receiverUrl);
    else
        lines << tr("Not receiving");
    if (m_newFailures > 0)
        lines << tr("New failures since the window was last opened: %1").arg(m_newFailures);
    m_state = lines.join(QLatin1Char('\n'));
    m_icon->setToolTip(QStringLiteral("Redrive\n") + m_state);
    const bool trouble = (m_haveStatus && m_status.redis == core::EngineStatus::Redis::Unavailable)
        || m_newFailures > 0;
    m_icon->setIcon(trouble ? QApplication::style()->standardIcon(QStyle::SP_MessageBoxWarning)
                            : QApplication::windowIcon());
}

} // namespace redrive::ui
