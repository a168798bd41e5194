// SPDX-License-Identifier: MIT
#pragma once

#include "core/genesys/genesysregions.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QUrlQuery>

#include <functional>
#include <memory>

class QNetworkAccessManager;
class QNetworkReply;

namespace redrive::core {

// What went wrong talking to Genesys Cloud. `message` is written for a support engineer and is
// complete on its own; the other fields are there for code that wants to react.
struct GenesysError
{
    enum class Kind {
        None,
        Configuration, // missing client id/secret, unknown region
        Network, // host not found, connection refused, reset
        Tls, // TLS handshake failed
        Timeout, // no answer in time
        BadCredentials, // token endpoint refused the client id or secret
        GrantNotAllowed, // client exists but may not use client credentials
        Unauthorized, // API said 401 even with a fresh token
        Forbidden, // 403: a permission is missing from the client's roles
        NotFound,
        Conflict, // 409: stale version
        BadRequest, // 400: Genesys refused the request body
        RateLimited, // 429 beyond what we are willing to wait
        Server, // 5xx after the bounded retries
        InvalidResponse, // not the JSON we expected
    };

    Kind kind = Kind::None;
    int httpStatus = 0;
    QString code; // Genesys "code" or OAuth "error"
    QString message;
    QString correlationId;

    bool isError() const { return kind != Kind::None; }
    static GenesysError make(Kind kind, const QString &message, int httpStatus = 0);
};

// One answer from the Genesys API.
struct GenesysResponse
{
    GenesysError error;
    int httpStatus = 0;
    QJsonDocument json;

    bool ok() const { return !error.isError(); }
    QJsonObject object() const { return json.object(); }
};

struct GenesysConnection
{
    QString region = QStringLiteral("us-east-1");
    QString baseUrlOverride; // empty: the region's real hosts
    QString clientId;
    QString clientSecret; // never logged
};

struct GenesysRetryPolicy
{
    int maxRetries = 3; // per request, for 429 and 5xx / transient network errors
    int backoffBaseMs = 500; // 5xx: base * 2^attempt, capped, with some jitter
    int backoffMaxMs = 8000;
    int maxRetryAfterSeconds = 120; // a longer Retry-After is reported instead of waited out
    int transferTimeoutMs = 30000;
};

// Talks to the Genesys Cloud Platform API with OAuth client credentials. One token is cached
// until shortly before it expires and shared by every request; concurrent callers share one
// token request. A 401 refetches the token once; 429 waits Retry-After; 5xx is retried with
// bounded backoff. Callbacks run on this object's thread and are dropped when their context
// object is gone.
class GenesysClient final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GenesysClient)

public:
    using ResponseCallback = std::function<void(const GenesysResponse &)>;
    using TokenCallback = std::function<void(const GenesysError &)>;

    explicit GenesysClient(const GenesysConnection &connection, QObject *parent = nullptr);
    ~GenesysClient() override;

    // False (with a user-facing message) when region, client id or secret are unusable.
    bool isConfigured(QString *error = nullptr) const;
    const GenesysEndpoints &endpoints() const { return m_endpoints; }
    QString regionName() const { return m_connection.region; }

    void setRetryPolicy(const GenesysRetryPolicy &policy) { m_policy = policy; }
    const GenesysRetryPolicy &retryPolicy() const { return m_policy; }
    // Milliseconds since the epoch; tests replace it to move time forward without waiting.
    void setClock(std::function<qint64()> clock) { m_clock = std::move(clock); }

    // Fetches a new token even when one is cached: proves the client id and secret work.
    void testCredentials(QObject *context, TokenCallback callback);
    // Makes sure a valid token is cached (reusing it when still fresh).
    void ensureToken(QObject *context, TokenCallback callback);
    void invalidateToken();
    bool hasValidToken() const;
    qint64 tokenExpiresInSeconds() const;
    int tokenRequestCount() const { return m_tokenRequests; }

    // `path` is the API path (/api/v2/...) or a path with query returned by the API as
    // nextUri; `body` is sent as JSON when not null.
    void request(const QByteArray &method, const QString &path, const QUrlQuery &query,
                 const QJsonDocument &body, QObject *context, ResponseCallback callback);
    void get(const QString &path, const QUrlQuery &query, QObject *context,
             ResponseCallback callback);
    void post(const QString &path, const QJsonObject &body, QObject *context,
              ResponseCallback callback);
    void put(const QString &path, const QJsonObject &body, QObject *context,
             ResponseCallback callback);
    void patch(const QString &path, const QJsonObject &body, QObject *context,
               ResponseCallback callback);
    void remove(const QString &path, QObject *context, ResponseCallback callback);

Q_SIGNALS:
    // A request will be sent again after `delayMs` (429 or a server error). For progress UIs.
    void retryScheduled(const QString &what, int delayMs, const QString &reason);

private:
    struct Call;
    struct TokenWaiter
    {
        QPointer<QObject> context;
        bool hadContext = false;
        TokenCallback callback;
    };

    void fetchToken(QObject *context, TokenCallback callback);
    void startTokenRequest();
    void onTokenReply(QNetworkReply *reply);
    void finishTokenWaiters(const GenesysError &error);
    void startCall(const std::shared_ptr<Call> &call);
    void sendCall(const std::shared_ptr<Call> &call);
    void onCallReply(const std::shared_ptr<Call> &call, QNetworkReply *reply,
                     quint64 tokenGeneration);
    void retryLater(const std::shared_ptr<Call> &call, int delayMs, const QString &reason);
    void finishCall(const std::shared_ptr<Call> &call, const GenesysResponse &response);
    int backoffDelay(int attempt) const;
    GenesysError networkError(QNetworkReply *reply, const QString &host) const;
    qint64 now() const;

    GenesysConnection m_connection;
    GenesysEndpoints m_endpoints;
    QString m_configError;
    GenesysRetryPolicy m_policy;
    std::function<qint64()> m_clock;
    std::unique_ptr<QNetworkAccessManager> m_network;

    QString m_token; // never logged
    qint64 m_tokenRefreshAtMs = 0;
    qint64 m_tokenExpiresAtMs = 0;
    quint64 m_tokenGeneration = 0;
    int m_tokenRequests = 0;
    int m_tokenAttempt = 0;
    QPointer<QNetworkReply> m_tokenReply;
    bool m_tokenRetryPending = false;
    QList<TokenWaiter> m_tokenWaiters;
};

} // namespace redrive::core
