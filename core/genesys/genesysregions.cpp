// SPDX-License-Identifier: MIT
#include "core/genesys/genesysregions.h"

#include <QStringList>

namespace redrive::core {

const QList<GenesysRegion> &genesysRegions()
{
    static const QList<GenesysRegion> regions {
        { QStringLiteral("us-east-1"), QStringLiteral("mypurecloud.com") },
        { QStringLiteral("us-east-2"), QStringLiteral("use2.us-gov-pure.cloud") },
        { QStringLiteral("us-west-2"), QStringLiteral("usw2.pure.cloud") },
        { QStringLiteral("ca-central-1"), QStringLiteral("cac1.pure.cloud") },
        { QStringLiteral("sa-east-1"), QStringLiteral("sae1.pure.cloud") },
        { QStringLiteral("mx-central-1"), QStringLiteral("mxc1.pure.cloud") },
        { QStringLiteral("eu-west-1"), QStringLiteral("mypurecloud.ie") },
        { QStringLiteral("eu-west-2"), QStringLiteral("euw2.pure.cloud") },
        { QStringLiteral("eu-central-1"), QStringLiteral("mypurecloud.de") },
        { QStringLiteral("eu-central-2"), QStringLiteral("euc2.pure.cloud") },
        { QStringLiteral("me-central-1"), QStringLiteral("mec1.pure.cloud") },
        { QStringLiteral("ap-south-1"), QStringLiteral("aps1.pure.cloud") },
        { QStringLiteral("ap-southeast-1"), QStringLiteral("apse1.pure.cloud") },
        { QStringLiteral("ap-southeast-2"), QStringLiteral("mypurecloud.com.au") },
        { QStringLiteral("ap-northeast-1"), QStringLiteral("mypurecloud.jp") },
        { QStringLiteral("ap-northeast-2"), QStringLiteral("apne2.pure.cloud") },
        { QStringLiteral("ap-northeast-3"), QStringLiteral("apne3.pure.cloud") },
    };
    return regions;
}

std::optional<GenesysRegion> findGenesysRegion(const QString &name)
{
    const QString wanted = name.trimmed().toLower();
    for (const GenesysRegion &region : genesysRegions()) {
        if (region.name == wanted)
            return region;
    }
    return std::nullopt;
}

bool resolveGenesysEndpoints(const QString &region, const QString &baseUrlOverride,
                             GenesysEndpoints *out, QString *error)
{
    if (!baseUrlOverride.isEmpty()) {
        QUrl base(baseUrlOverride, QUrl::StrictMode);
        if (!base.isValid() || base.host().isEmpty()
            || (base.scheme() != QLatin1String("http")
                && base.scheme() != QLatin1String("https"))) {
            *error
                = QStringLiteral("The Genesys base URL \"%1\" is not an http:// or https:// URL.")
                      .arg(baseUrlOverride);
            return false;
        }
        QString path = base.path();
        while (path.endsWith(QLatin1Char('/')))
            path.chop(1);
        base.setPath(path);
        out->apiBase = base;
        out->tokenUrl = base;
        out->tokenUrl.setPath(path + QStringLiteral("/oauth/token"));
        return true;
    }
    const auto found = findGenesysRegion(region);
    if (!found) {
        QStringList names;
        for (const GenesysRegion &r : genesysRegions())
            names.append(r.name);
        *error = QStringLiteral("Unknown Genesys Cloud region \"%1\". Known regions: %2.")
                     .arg(region, names.join(QStringLiteral(", ")));
        return false;
    }
    out->apiBase = QUrl(QStringLiteral("https://api.") + found->domain);
    out->tokenUrl
        = QUrl(QStringLiteral("https://login.") + found->domain + QStringLiteral("/oauth/token"));
    return true;
}

} // namespace redrive::core
