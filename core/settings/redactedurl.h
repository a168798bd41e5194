// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

namespace redrive::core {

// The one way a URL from the configuration is printed, logged or shown: its user-info (user
// and password, whatever they hold) becomes "***", so `redis://app:s3cret@host:6379/0` shows
// as `redis://***@host:6379/0`. Works on text that is not a valid URL too (it is often shown
// precisely because it is not): everything between the scheme's "//" (or the start) and the
// last '@' goes, so a password holding '/', '#', '?' or ':' is hidden whole.
QString redactedUrl(const QString &url);

} // namespace redrive::core
