// SPDX-License-Identifier: MIT
#pragma once

#include "core/engine/enginestatus.h"
#include "ui/models/groupnotifier.h"

#include <QObject>

class QAction;
class QMenu;
class QSystemTrayIcon;

namespace redrive::core {
class Settings;
}

namespace redrive::ui {

// The console's icon in the system tray, where the desktop has one: its tooltip and icon say
// the state (receiving, Redis down, new failures since the window was last looked at), its
// menu shows the window or quits, and it shows the desktop notifications GroupNotifier asks for
// (settings: console/notify_*).
class TrayIcon final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(TrayIcon)

public:
    TrayIcon(core::Settings &settings, QWidget *window);
    ~TrayIcon() override;

    static bool isAvailable();
    void showStatus(const core::EngineStatus &status);
    void showGroups(const core::FailureGroups &groups);
    // The window was looked at: failures seen so far are no longer new.
    void clearNewFailures();
    // Said once, on the first close that keeps Redrive in the tray.
    void tellKeptInTray();
    QString stateText() const { return m_state; }
    QSystemTrayIcon *icon() const { return m_icon; }

private:
    void readOptions();
    void update();

    core::Settings &m_settings;
    QWidget *m_window;
    QSystemTrayIcon *m_icon;
    QMenu *m_menu;
    GroupNotifier m_notifier;
    core::EngineStatus m_status;
    bool m_haveStatus = false;
    int m_newFailures = 0;
    QString m_state;
};

} // namespace redrive::ui
