// SPDX-License-Identifier: MIT
#pragma once

#include <QList>
#include <QString>
#include <QUrl>

#include <optional>

namespace redrive::core {

// One Genesys Cloud region: its AWS-style name and the domain its hosts live under
// (API host api.<domain>, token host login.<domain>).
struct GenesysRegion
{
    QString name;
    QString domain;
};

// Every region Genesys Cloud serves, in the order the official SDKs list them.
const QList<GenesysRegion> &genesysRegions();
std::optional<GenesysRegion> findGenesysRegion(const QString &name);

// Where requests go. With a base-URL override (tests, proxies) both the API and the token
// endpoint live under that one URL.
struct GenesysEndpoints
{
    QUrl apiBase; // e.g. https://api.mypurecloud.ie
    QUrl tokenUrl; // e.g. https://login.mypurecloud.ie/oauth/token
};

// Returns false with a user-facing `error` when the region is unknown or the override invalid.
bool resolveGenesysEndpoints(const QString &region, const QString &baseUrlOverride,
                             GenesysEndpoints *out, QString *error);

} // namespace redrive::core
