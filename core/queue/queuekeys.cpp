// SPDX-License-Identifier: MIT
#include "core/queue/queuekeys.h"

#include "core/settings/settings.h"

namespace redrive::core {

QueueKeys QueueKeys::fromSettings(const Settings &settings)
{
    QueueKeys keys;
    keys.dlq = settings.string(SettingKey::DlqKey).toUtf8();
    keys.permanent = settings.string(SettingKey::PermanentKey).toUtf8();
    keys.prefix = settings.string(SettingKey::KeyPrefix).toUtf8();
    return keys;
}

} // namespace redrive::core
