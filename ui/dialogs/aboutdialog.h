// SPDX-License-Identifier: MIT
#pragma once

#include <QDialog>

class QLabel;

namespace redrive::core {
class EngineThread;
}

namespace redrive::ui {

// Help > About: what this build is (version, licence, project page) and what it runs on (Qt,
// and the Redis it talks to, asked with INFO: the embedded redis-server or the configured one).
class AboutDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AboutDialog)

public:
    // `engine` may be null (no engine, as in tests of the window alone).
    explicit AboutDialog(core::EngineThread *engine, QWidget *parent = nullptr);

    static QString projectUrl();

private:
    void askRedisVersion(core::EngineThread *engine);

    QLabel *m_redisVersion = nullptr;
};

} // namespace redrive::ui
