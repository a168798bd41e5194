// SPDX-License-Identifier: MIT
#include "ui/widgets/windowmemory.h"

#include <QFileInfo>
#include <QSettings>

namespace redrive::ui {

WindowMemory::WindowMemory(const QString &settingsFilePath)
    : m_file(std::make_unique<QSettings>(QFileInfo(settingsFilePath).absolutePath()
                                             + QStringLiteral("/window-state.ini"),
                                         QSettings::IniFormat))
{ }

WindowMemory::~WindowMemory() = default;

QByteArray WindowMemory::value(const QString &key) const
{
    return m_file->value(key).toByteArray();
}

void WindowMemory::setValue(const QString &key, const QByteArray &value)
{
    m_file->setValue(key, value);
}

} // namespace redrive::ui
