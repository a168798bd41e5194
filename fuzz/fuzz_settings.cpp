// SPDX-License-Identifier: MIT
// The settings file (a hand-edited INI) and the environment: whatever they hold, Settings
// reads it, reports what it cannot use and falls back to valid values.
#include "core/settings/settings.h"

#include <QFile>
#include <QTemporaryDir>

#include <cstdint>
#include <cstdlib>

using redrive::core::SettingKey;
using redrive::core::Settings;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static QTemporaryDir dir;
    static quint64 run = 0;
    const QByteArray input(reinterpret_cast<const char *>(data), qsizetype(size));
    // A new name each time: QSettings caches files by name and could serve the previous input.
    const QString path = dir.filePath(QStringLiteral("redrive-%1.ini").arg(++run));
    {
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate))
            std::abort();
        file.write(input);
    }
    Settings settings(path);
    for (int key = 0; key < int(SettingKey::KeyCount); ++key) {
        const SettingKey settingKey = SettingKey(key);
        const QVariant value = settings.value(settingKey);
        // A value the file got wrong is reported and replaced by a valid one.
        const auto &validate = Settings::spec(settingKey).validate;
        if (validate && !validate(value).isEmpty())
            std::abort();
        (void)settings.fileProblem(settingKey);
    }
    (void)settings.describe();

    // The same bytes as environment values: each line "NAME=value".
    QProcessEnvironment environment;
    for (const QByteArray &line : input.split('\n')) {
        const qsizetype equals = line.indexOf('=');
        if (equals > 0)
            environment.insert(QString::fromUtf8(line.first(equals)),
                               QString::fromUtf8(line.sliced(equals + 1)));
    }
    QStringList errors;
    settings.applyEnvironment(environment, &errors);
    for (int key = 0; key < int(SettingKey::KeyCount); ++key) {
        const SettingKey settingKey = SettingKey(key);
        const auto &validate = Settings::spec(settingKey).validate;
        if (validate && !validate(settings.value(settingKey)).isEmpty())
            std::abort();
    }
    QFile::remove(path);
    return 0;
}
