// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

#include <memory>

class QSettings;

namespace redrive::ui {

// Remembers window geometry and splitter/toolbar state between runs. This is the one place in
// the UI that uses QSettings, on its own file beside the settings file: geometry is not a
// configuration setting (no flag, no environment variable, no validation, nothing core reads),
// so it stays out of the typed Settings table and out of the file users edit.
class WindowMemory final
{
public:
    // `settingsFilePath`: the Settings file; the state file goes beside it.
    explicit WindowMemory(const QString &settingsFilePath);
    ~WindowMemory();
    WindowMemory(const WindowMemory &) = delete;
    WindowMemory &operator=(const WindowMemory &) = delete;

    QByteArray value(const QString &key) const;
    void setValue(const QString &key, const QByteArray &value);

private:
    std::unique_ptr<QSettings> m_file;
};

} // namespace redrive::ui
