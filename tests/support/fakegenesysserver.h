// SPDX-License-Identifier: MIT
#pragma once

#include <QAbstractHttpServer>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QUrl>
#include <QUrlQuery>

namespace redrive::tests {

// A fake Genesys Cloud (token endpoint and the Platform API calls Redrive makes) on a loopback
// port. It checks what the real one checks (Basic header, form body, bearer tokens that expire,
// every field of the registration bodies as the SDK docs describe them) and answers in Genesys'
// shapes, so a test that passes here sends bodies the real service accepts. It is stricter than
// the real service in one way: unknown fields are refused, to catch typos in field names.
class FakeGenesysServer final : public QAbstractHttpServer
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FakeGenesysServer)

public:
    struct Request
    {
        QByteArray method;
        QString path;
        QUrlQuery query;
        QByteArray body;
        QByteArray authorization;
        int status = 0; // what the fake answered
    };

    explicit FakeGenesysServer(QObject *parent = nullptr);
    ~FakeGenesysServer() override;

    bool start(); // 127.0.0.1, a free port
    quint16 port() const { return m_port; }
    QUrl baseUrl() const;

    QString clientId() const { return m_clientId; }
    QString clientSecret() const { return m_clientSecret; }
    void setClient(const QString &id, const QString &secret);
    void setTokenLifetime(int seconds) { m_tokenLifetime = seconds; }
    void setGrantAllowed(bool allowed) { m_grantAllowed = allowed; }
    // Every token issued so far is now expired: the next API call with it gets 401.
    void expireAllTokens();
    // The next `count` API requests get 429 with Retry-After.
    void throttleNext(int count, int retryAfterSeconds);
    // The next `count` requests whose method matches and whose path starts with `pathPrefix`
    // get `status` with a Genesys error body. Token requests match the path "/oauth/token".
    void failNext(const QByteArray &method, const QString &pathPrefix, int status, int count = 1);
    // Largest page the listings hand out (to exercise paging).
    void setMaxPageSize(int size) { m_maxPageSize = size; }

    void addWorkflow(const QString &id, const QString &name);
    void addTopic(const QString &topic);
    // Creates an integration/action/trigger as if someone else had (for list/unregister tests).
    QString seedIntegration(const QString &name, const QString &type);
    QString seedTrigger(const QString &name, const QString &topic, const QString &workflowId);

    // What happened.
    QList<Request> requests() const { return m_requests; }
    int count(const QByteArray &method, const QString &pathPrefix) const;
    int tokenRequests() const { return count("POST", QStringLiteral("/oauth/token")); }
    QStringList rejections() const { return m_rejections; } // every 4xx message the fake sent
    void clearLog();

    // State.
    QList<QJsonObject> integrations() const { return m_integrations.values(); }
    QJsonObject integrationConfig(const QString &id) const { return m_configs.value(id); }
    QList<QJsonObject> credentials() const { return m_credentials.values(); }
    QMap<QString, QString> credentialFields(const QString &id) const;
    QList<QJsonObject> actions() const { return m_actions.values(); }
    QList<QJsonObject> triggers() const { return m_triggers.values(); }

protected:
    bool handleRequest(const QHttpServerRequest &request, QTcpSocket *socket) override;
    void missingHandler(const QHttpServerRequest &request, QTcpSocket *socket) override;

private:
    struct Reply
    {
        int status = 200;
        QByteArray body;
        QList<QPair<QByteArray, QByteArray>> headers;
    };
    struct Failure
    {
        QByteArray method;
        QString prefix;
        int status;
        int remaining;
    };

    Reply dispatch(const Request &request);
    Reply token(const Request &request);
    Reply api(const Request &request);
    Reply json(int status, const QJsonValue &value) const;
    Reply error(int status, const QString &code, const QString &message,
                const QString &field = QString());
    Reply paged(const QJsonArray &all, const QUrlQuery &query) const;

    Reply listIntegrations(const Request &request);
    Reply createIntegration(const QJsonObject &body);
    Reply patchIntegration(const QString &id, const QJsonObject &body);
    Reply putConfig(const QString &id, const QJsonObject &body);
    Reply writeCredential(const QString &id, const QJsonObject &body);
    Reply listActions(const Request &request);
    Reply createAction(const QJsonObject &body);
    Reply patchAction(const QString &id, const QJsonObject &body);
    QString checkActionConfig(const QJsonObject &config, const QString &integrationId,
                              QString *field) const;
    Reply listTopics(const Request &request);
    Reply listTriggers(const Request &request);
    Reply writeTrigger(const QString &id, const QJsonObject &body);
    QJsonObject actionView(const QJsonObject &action, bool includeConfig,
                           bool expandContract) const;

    quint16 m_port = 0;
    QString m_clientId = QStringLiteral("fake-client-id");
    QString m_clientSecret = QStringLiteral("fake-client-secret");
    int m_tokenLifetime = 300;
    bool m_grantAllowed = true;
    QHash<QString, qint64> m_tokens; // token -> expiry (ms since epoch)
    int m_throttleCount = 0;
    int m_throttleSeconds = 1;
    QList<Failure> m_failures;
    int m_maxPageSize = 25;

    QList<Request> m_requests;
    QStringList m_rejections;

    QMap<QString, QJsonObject> m_integrations;
    QMap<QString, QJsonObject> m_configs;
    QMap<QString, QJsonObject> m_credentials;
    QMap<QString, QMap<QString, QString>> m_credentialFields;
    QMap<QString, QJsonObject> m_actions;
    QMap<QString, QJsonObject> m_triggers;
    QMap<QString, QString> m_workflows; // id -> name
    QStringList m_topics;
};

} // namespace redrive::tests
