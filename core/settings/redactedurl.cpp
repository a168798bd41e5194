// SPDX-License-Identifier: MIT
#include "core/settings/redactedurl.h"

namespace redrive::core {

QString redactedUrl(const QString &url)
{
    const qsizetype at = url.lastIndexOf(QLatin1Char('@'));
    if (at < 0)
        return url;
    // Without "//" before the '@' ("user:pw@host", "redis:pw@host") there is no telling where
    // a scheme would end: all of it goes.
    const qsizetype separator = url.indexOf(QLatin1String("//"));
    const qsizetype start = separator >= 0 && separator < at ? separator + 2 : 0;
    return url.left(start) + QLatin1String("***") + url.mid(at);
}

} // namespace redrive::core
