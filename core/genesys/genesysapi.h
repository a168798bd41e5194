// SPDX-License-Identifier: MIT
#pragma once

#include <QJsonObject>
#include <QJsonValue>
#include <QString>

// What GenesysRegistrar's files share: the Genesys Cloud API paths Redrive uses and small
// readers of their JSON. Not for use outside core/genesys.
namespace redrive::core::genesysapi {

inline const QString IntegrationsPath = QStringLiteral("/api/v2/integrations");
inline const QString CredentialsPath = QStringLiteral("/api/v2/integrations/credentials");
inline const QString ActionsPath = QStringLiteral("/api/v2/integrations/actions");
inline const QString TriggersPath = QStringLiteral("/api/v2/processautomation/triggers");
inline const QString IntegrationType = QStringLiteral("custom-rest-actions");
// Listing stops here even if the API keeps offering pages: a guard against a paging loop.
constexpr int MaxPages = 200;

inline QString str(const QJsonObject &object, const char *key)
{
    return object.value(QLatin1String(key)).toString();
}

inline QJsonObject obj(const QJsonObject &object, const char *key)
{
    return object.value(QLatin1String(key)).toObject();
}

inline bool isRedriveName(const QString &name)
{
    return name.startsWith(QLatin1String("Redrive"));
}

// The credential an integration's config points at (Redrive stores it under basicAuth).
inline QString configCredentialId(const QJsonObject &config)
{
    const QJsonObject credentials = obj(config, "credentials");
    const QString basic = str(obj(credentials, "basicAuth"), "id");
    if (!basic.isEmpty())
        return basic;
    for (const QJsonValue &ref : credentials) {
        const QString id = ref.toObject().value(QLatin1String("id")).toString();
        if (!id.isEmpty())
            return id;
    }
    return {};
}

} // namespace redrive::core::genesysapi
