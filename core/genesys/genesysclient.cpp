// SPDX-License-Identifier: MIT
#include "core/genesys/genesysclient.h"

#include <QDateTime>
#include <QJsonArray>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRandomGenerator>
#include <QTimer>

namespace redrive::core {

namespace {

const QByteArray kCorrelationHeader = QByteArrayLiteral("ININ-Correlation-Id");

QString correlationSuffix(const QString &correlationId)
{
    return correlationId.isEmpty() ? QString()
                                   : QStringLiteral(" (correlation id %1)").arg(correlationId);
}

bool isIdempotent(const QByteArray &method)
{
    return method != "POST" && method != "PATCH";
}

// Reads Retry-After as seconds; Genesys sends whole seconds. Missing or unreadable: 1 s.
int retryAfterSeconds(QNetworkReply *reply)
{
    bool ok = false;
    const int seconds = reply->rawHeader("Retry-After").trimmed().toInt(&ok);
    return ok && seconds >= 0 ? seconds : 1;
}

QString permissionHint(const QString &method, const QString &path)
{
    // The docs' "Requires ANY" permissions for the calls Redrive makes.
    QString area;
    if (path.startsWith(QLatin1String("/api/v2/integrations/actions")))
        area = QStringLiteral("integrations:action:*");
    else if (path.startsWith(QLatin1String("/api/v2/integrations")))
        area = QStringLiteral("integrations:integration:*");
    else if (path.startsWith(QLatin1String("/api/v2/processautomation")))
        area = QStringLiteral("processautomation:trigger:*");
    else if (path.startsWith(QLatin1String("/api/v2/flows")))
        area = QStringLiteral("architect:flow:view");
    if (area.isEmpty())
        return QString();
    Q_UNUSED(method)
    return QStringLiteral(" Give the OAuth client a role with the %1 permissions.").arg(area);
}

} // namespace

struct GenesysClient::Call
{
    QByteArray method;
    QString path;
    QUrlQuery query;
    QByteArray body;
    bool hasBody = false;
    QPointer<QObject> context;
    bool hadContext = false;
    ResponseCallback callback;
    int attempt = 0;
    bool authRetried = false;
    QString describe() const
    {
        return QStringLiteral("%1 %2").arg(QString::fromLatin1(method), path);
    }
};

GenesysError GenesysError::make(Kind kind, const QString &message, int httpStatus)
{
    GenesysError error;
    error.kind = kind;
    error.message = message;
    error.httpStatus = httpStatus;
    return error;
}

GenesysClient::GenesysClient(const GenesysConnection &connection, QObject *parent)
    : QObject(parent)
    , m_connection(connection)
    , m_clock([] { return QDateTime::currentMSecsSinceEpoch(); })
    , m_network(std::make_unique<QNetworkAccessManager>())
{
    if (!resolveGenesysEndpoints(connection.region, connection.baseUrlOverride, &m_endpoints,
                                 &m_configError)) {
        m_endpoints = {};
    } else if (connection.clientId.trimmed().isEmpty()) {
        m_configError = QStringLiteral("No Genesys Cloud OAuth client id is set (GENESYS_CLIENT_ID "
                                       "or the Genesys settings).");
    } else if (connection.clientSecret.isEmpty()) {
        m_configError = QStringLiteral("No Genesys Cloud OAuth client secret is available "
                                       "(keychain or GENESYS_CLIENT_SECRET).");
    }
}

GenesysClient::~GenesysClient()
{
    // Replies are children of the manager; deleting it aborts them without calling us back,
    // because every connection uses this object as its context.
    m_tokenWaiters.clear();
}

bool GenesysClient::isConfigured(QString *error) const
{
    if (error)
        *error = m_configError;
    return m_configError.isEmpty();
}

qint64 GenesysClient::now() const
{
    return m_clock();
}

bool GenesysClient::hasValidToken() const
{
    return !m_token.isEmpty() && now() < m_tokenRefreshAtMs;
}

qint64 GenesysClient::tokenExpiresInSeconds() const
{
    return m_token.isEmpty() ? 0 : qMax<qint64>(0, (m_tokenExpiresAtMs - now()) / 1000);
}

void GenesysClient::invalidateToken()
{
    m_token.clear();
    m_tokenRefreshAtMs = 0;
    m_tokenExpiresAtMs = 0;
}

void GenesysClient::testCredentials(QObject *context, TokenCallback callback)
{
    if (!m_tokenReply && !m_tokenRetryPending)
        invalidateToken();
    fetchToken(context, std::move(callback));
}

void GenesysClient::ensureToken(QObject *context, TokenCallback callback)
{
    if (hasValidToken()) {
        callback(GenesysError());
        return;
    }
    fetchToken(context, std::move(callback));
}

void GenesysClient::fetchToken(QObject *context, TokenCallback callback)
{
    if (!m_configError.isEmpty()) {
        callback(GenesysError::make(GenesysError::Kind::Configuration, m_configError));
        return;
    }
    m_tokenWaiters.append({ context, context != nullptr, std::move(callback) });
    if (m_tokenReply || m_tokenRetryPending)
        return; // joins the request already on its way
    m_tokenAttempt = 0;
    startTokenRequest();
}

void GenesysClient::startTokenRequest()
{
    m_tokenRetryPending = false;
    ++m_tokenRequests;
    QNetworkRequest request(m_endpoints.tokenUrl);
    request.setHeader(QNetworkRequest::ContentTypeHeader,
                      QByteArrayLiteral("application/x-www-form-urlencoded"));
    const QByteArray basic
        = (m_connection.clientId.trimmed() + QLatin1Char(':') + m_connection.clientSecret)
              .toUtf8()
              .toBase64();
    request.setRawHeader("Authorization", "Basic " + basic);
    request.setRawHeader("Accept", "application/json");
    request.setTransferTimeout(m_policy.transferTimeoutMs);
    QNetworkReply *reply
        = m_network->post(request, QByteArrayLiteral("grant_type=client_credentials"));
    m_tokenReply = reply;
    connect(reply, &QNetworkReply::finished, this, [this, reply] { onTokenReply(reply); });
}

void GenesysClient::onTokenReply(QNetworkReply *reply)
{
    reply->deleteLater();
    m_tokenReply.clear();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray data = reply->readAll();
    const QString host = m_endpoints.tokenUrl.host();

    if (status == 0) {
        const GenesysError error = networkError(reply, host);
        const bool transient = error.kind == GenesysError::Kind::Timeout
            || reply->error() == QNetworkReply::RemoteHostClosedError
            || reply->error() == QNetworkReply::TemporaryNetworkFailureError;
        if (transient && m_tokenAttempt < m_policy.maxRetries) {
            const int delay = backoffDelay(m_tokenAttempt++);
            m_tokenRetryPending = true;
            Q_EMIT retryScheduled(QStringLiteral("token request"), delay, error.message);
            QTimer::singleShot(delay, this, [this] { startTokenRequest(); });
            return;
        }
        finishTokenWaiters(error);
        return;
    }

    if (status == 429 || status >= 500) {
        const bool rateLimited = status == 429;
        const int delay
            = rateLimited ? retryAfterSeconds(reply) * 1000 : backoffDelay(m_tokenAttempt);
        if (m_tokenAttempt < m_policy.maxRetries
            && (!rateLimited || delay <= m_policy.maxRetryAfterSeconds * 1000)) {
            ++m_tokenAttempt;
            m_tokenRetryPending = true;
            const QString reason = rateLimited ? QStringLiteral("rate limited (429)")
                                               : QStringLiteral("server error %1").arg(status);
            Q_EMIT retryScheduled(QStringLiteral("token request"), delay, reason);
            QTimer::singleShot(delay, Qt::PreciseTimer, this, [this] { startTokenRequest(); });
            return;
        }
        finishTokenWaiters(GenesysError::make(
            rateLimited ? GenesysError::Kind::RateLimited : GenesysError::Kind::Server,
            rateLimited ? QStringLiteral("%1 is rate limiting token requests; try again in %2 s.")
                              .arg(host)
                              .arg(retryAfterSeconds(reply))
                        : QStringLiteral("%1 answered with server error %2 to the token request "
                                         "%3 times; Genesys Cloud may be having an outage.")
                              .arg(host)
                              .arg(status)
                              .arg(m_tokenAttempt + 1),
            status));
        return;
    }

    const QJsonObject body = QJsonDocument::fromJson(data).object();
    if (status >= 200 && status < 300) {
        const QString token = body.value(QLatin1String("access_token")).toString();
        const qint64 expiresIn = body.value(QLatin1String("expires_in")).toInteger();
        if (token.isEmpty() || expiresIn <= 0) {
            finishTokenWaiters(GenesysError::make(
                GenesysError::Kind::InvalidResponse,
                QStringLiteral("%1 answered the token request without an access_token and "
                               "expires_in; is the Genesys base URL right?")
                    .arg(host),
                status));
            return;
        }
        const qint64 lifetimeMs = expiresIn * 1000;
        // Renew a little before the real expiry so a request never leaves with a token that
        // dies on the way: a tenth of the lifetime, at most a minute.
        const qint64 margin = qMin<qint64>(60000, lifetimeMs / 10);
        m_token = token;
        m_tokenExpiresAtMs = now() + lifetimeMs;
        m_tokenRefreshAtMs = m_tokenExpiresAtMs - margin;
        ++m_tokenGeneration;
        finishTokenWaiters(GenesysError());
        return;
    }

    const QString oauthError = body.value(QLatin1String("error")).toString();
    QString description = body.value(QLatin1String("error_description")).toString();
    if (description.isEmpty())
        description = body.value(QLatin1String("description")).toString();
    const QString detail = oauthError.isEmpty()
        ? QStringLiteral("HTTP %1").arg(status)
        : (description.isEmpty() ? oauthError
                                 : QStringLiteral("%1: %2").arg(oauthError, description));
    GenesysError error;
    error.httpStatus = status;
    error.code = oauthError;
    error.correlationId = QString::fromLatin1(reply->rawHeader(kCorrelationHeader));
    if (oauthError == QLatin1String("unauthorized_client")
        || oauthError == QLatin1String("unsupported_grant_type")) {
        error.kind = GenesysError::Kind::GrantNotAllowed;
        error.message = QStringLiteral("This OAuth client may not use the Client Credentials grant "
                                       "(%1). In Genesys Cloud Admin > OAuth, use a client whose "
                                       "grant type is Client Credentials.")
                            .arg(detail);
    } else if (status == 401 || status == 400 || oauthError == QLatin1String("invalid_client")) {
        error.kind = GenesysError::Kind::BadCredentials;
        error.message = QStringLiteral("Genesys Cloud refused the OAuth client id or secret (%1). "
                                       "Check both, and that the client belongs to region %2 "
                                       "(%3).")
                            .arg(detail, m_connection.region, host);
    } else if (status == 404) {
        error.kind = GenesysError::Kind::NotFound;
        error.message = QStringLiteral("%1 has no OAuth token endpoint at %2 (HTTP 404). Check the "
                                       "region and the Genesys base URL setting.")
                            .arg(host, m_endpoints.tokenUrl.toString());
    } else {
        error.kind = status == 403 ? GenesysError::Kind::Forbidden : GenesysError::Kind::BadRequest;
        error.message = QStringLiteral("The token request to %1 failed (%2).").arg(host, detail);
    }
    error.message += correlationSuffix(error.correlationId);
    finishTokenWaiters(error);
}

void GenesysClient::finishTokenWaiters(const GenesysError &error)
{
    m_tokenAttempt = 0;
    const QList<TokenWaiter> waiters = std::exchange(m_tokenWaiters, {});
    for (const TokenWaiter &waiter : waiters) {
        if (waiter.hadContext && !waiter.context)
            continue;
        waiter.callback(error);
    }
}

GenesysError GenesysClient::networkError(QNetworkReply *reply, const QString &host) const
{
    GenesysError error;
    switch (reply->error()) {
    case QNetworkReply::SslHandshakeFailedError:
        error.kind = GenesysError::Kind::Tls;
        error.message = QStringLiteral("The TLS handshake with %1 failed (%2). A proxy that "
                                       "intercepts TLS, a missing CA certificate or a wrong system "
                                       "clock are the usual causes.")
                            .arg(host, reply->errorString());
        break;
    case QNetworkReply::TimeoutError:
    case QNetworkReply::OperationCanceledError: // what a transfer timeout reports
        error.kind = GenesysError::Kind::Timeout;
        error.message = QStringLiteral("%1 did not answer within %2 s. Check the network or proxy.")
                            .arg(host)
                            .arg(m_policy.transferTimeoutMs / 1000.0);
        break;
    case QNetworkReply::HostNotFoundError:
        error.kind = GenesysError::Kind::Network;
        error.message = QStringLiteral("Cannot resolve %1. Check the region and the network (or "
                                       "DNS/proxy settings).")
                            .arg(host);
        break;
    case QNetworkReply::ConnectionRefusedError:
        error.kind = GenesysError::Kind::Network;
        error.message = QStringLiteral("%1 refused the connection. Check the region, the Genesys "
                                       "base URL and the network.")
                            .arg(host);
        break;
    default:
        error.kind = GenesysError::Kind::Network;
        error.message = QStringLiteral("Cannot reach %1: %2.").arg(host, reply->errorString());
        break;
    }
    return error;
}

int GenesysClient::backoffDelay(int attempt) const
{
    const qint64 base = qint64(m_policy.backoffBaseMs) << qMin(attempt, 20);
    const qint64 capped = qMin<qint64>(base, m_policy.backoffMaxMs);
    // Up to 25% jitter so several clients do not retry in lock step.
    const qint64 jitter = capped > 4 ? QRandomGenerator::global()->bounded(capped / 4) : 0;
    return int(capped - jitter);
}

void GenesysClient::request(const QByteArray &method, const QString &path, const QUrlQuery &query,
                            const QJsonDocument &body, QObject *context, ResponseCallback callback)
{
    auto call = std::make_shared<Call>();
    call->method = method;
    call->path = path;
    call->query = query;
    call->hasBody = !body.isNull();
    if (call->hasBody)
        call->body = body.toJson(QJsonDocument::Compact);
    call->context = context;
    call->hadContext = context != nullptr;
    call->callback = std::move(callback);
    startCall(call);
}

void GenesysClient::get(const QString &path, const QUrlQuery &query, QObject *context,
                        ResponseCallback callback)
{
    request("GET", path, query, QJsonDocument(), context, std::move(callback));
}

void GenesysClient::post(const QString &path, const QJsonObject &body, QObject *context,
                         ResponseCallback callback)
{
    request("POST", path, {}, QJsonDocument(body), context, std::move(callback));
}

void GenesysClient::put(const QString &path, const QJsonObject &body, QObject *context,
                        ResponseCallback callback)
{
    request("PUT", path, {}, QJsonDocument(body), context, std::move(callback));
}

void GenesysClient::patch(const QString &path, const QJsonObject &body, QObject *context,
                          ResponseCallback callback)
{
    request("PATCH", path, {}, QJsonDocument(body), context, std::move(callback));
}

void GenesysClient::remove(const QString &path, QObject *context, ResponseCallback callback)
{
    request("DELETE", path, {}, QJsonDocument(), context, std::move(callback));
}

void GenesysClient::startCall(const std::shared_ptr<Call> &call)
{
    if (call->hadContext && !call->context)
        return;
    ensureToken(this, [this, call](const GenesysError &error) {
        if (error.isError()) {
            GenesysResponse response;
            response.error = error;
            response.httpStatus = error.httpStatus;
            finishCall(call, response);
            return;
        }
        sendCall(call);
    });
}

void GenesysClient::sendCall(const std::shared_ptr<Call> &call)
{
    if (call->hadContext && !call->context)
        return;
    QUrl url = m_endpoints.apiBase;
    QString path = call->path;
    QUrlQuery query = call->query;
    // nextUri values come back as "/api/v2/...?...": split them.
    if (const qsizetype mark = path.indexOf(QLatin1Char('?')); mark >= 0) {
        const QUrlQuery embedded(path.mid(mark + 1));
        for (const auto &item : embedded.queryItems(QUrl::FullyDecoded))
            query.addQueryItem(item.first, item.second);
        path.truncate(mark);
    }
    url.setPath(m_endpoints.apiBase.path() + path);
    if (!query.isEmpty())
        url.setQuery(query);
    QNetworkRequest request(url);
    request.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
    request.setRawHeader("Accept", "application/json");
    if (call->hasBody)
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
    request.setTransferTimeout(m_policy.transferTimeoutMs);
    QNetworkReply *reply = call->hasBody
        ? m_network->sendCustomRequest(request, call->method, call->body)
        : m_network->sendCustomRequest(request, call->method);
    const quint64 generation = m_tokenGeneration;
    connect(reply, &QNetworkReply::finished, this,
            [this, call, reply, generation] { onCallReply(call, reply, generation); });
}

void GenesysClient::onCallReply(const std::shared_ptr<Call> &call, QNetworkReply *reply,
                                quint64 tokenGeneration)
{
    reply->deleteLater();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray data = reply->readAll();
    const QString host = m_endpoints.apiBase.host();
    GenesysResponse response;
    response.httpStatus = status;

    if (status == 0) {
        response.error = networkError(reply, host);
        const bool transient = response.error.kind == GenesysError::Kind::Timeout
            || reply->error() == QNetworkReply::RemoteHostClosedError
            || reply->error() == QNetworkReply::TemporaryNetworkFailureError;
        if (transient && isIdempotent(call->method) && call->attempt < m_policy.maxRetries) {
            retryLater(call, backoffDelay(call->attempt), response.error.message);
            return;
        }
        finishCall(call, response);
        return;
    }

    if (status == 401 && !call->authRetried) {
        // The token may have been revoked or expired early: fetch a new one, once.
        call->authRetried = true;
        if (tokenGeneration == m_tokenGeneration)
            invalidateToken();
        startCall(call);
        return;
    }
    if (status == 429) {
        const int seconds = retryAfterSeconds(reply);
        if (call->attempt < m_policy.maxRetries && seconds <= m_policy.maxRetryAfterSeconds) {
            retryLater(call, seconds * 1000,
                       QStringLiteral("rate limited (429), Retry-After %1 s").arg(seconds));
            return;
        }
    }
    // A POST that failed with 503 was not processed; other 5xx on a POST might have been,
    // and repeating it could create a duplicate.
    const bool retryableServerError
        = status >= 500 && (isIdempotent(call->method) || status == 503);
    if (retryableServerError && call->attempt < m_policy.maxRetries) {
        retryLater(call, backoffDelay(call->attempt),
                   QStringLiteral("server error %1").arg(status));
        return;
    }

    if (status >= 200 && status < 300) {
        if (!data.trimmed().isEmpty()) {
            QJsonParseError parseError;
            response.json = QJsonDocument::fromJson(data, &parseError);
            if (parseError.error != QJsonParseError::NoError) {
                response.error = GenesysError::make(
                    GenesysError::Kind::InvalidResponse,
                    QStringLiteral("%1 answered %2 with something that is not JSON (%3).")
                        .arg(host, call->describe(), parseError.errorString()),
                    status);
            }
        }
        finishCall(call, response);
        return;
    }

    // Genesys error body: {message, code, status, contextId, details[], errors[]}.
    const QJsonObject body = QJsonDocument::fromJson(data).object();
    GenesysError &error = response.error;
    error.httpStatus = status;
    error.code = body.value(QLatin1String("code")).toString();
    error.correlationId = QString::fromLatin1(reply->rawHeader(kCorrelationHeader));
    if (error.correlationId.isEmpty())
        error.correlationId = body.value(QLatin1String("contextId")).toString();
    QString text = body.value(QLatin1String("message")).toString();
    const QJsonArray details = body.value(QLatin1String("details")).toArray();
    for (const QJsonValue &detail : details) {
        const QString field = detail.toObject().value(QLatin1String("fieldName")).toString();
        if (!field.isEmpty())
            text += QStringLiteral(" [field %1]").arg(field);
    }
    if (text.isEmpty())
        text = QStringLiteral("HTTP %1").arg(status);
    const QString codeText
        = error.code.isEmpty() ? QString() : QStringLiteral(", %1").arg(error.code);
    const QString what = call->describe();
    switch (status) {
    case 400:
        error.kind = GenesysError::Kind::BadRequest;
        error.message
            = QStringLiteral("Genesys Cloud refused %1 (400%2): %3").arg(what, codeText, text);
        break;
    case 401:
        error.kind = GenesysError::Kind::Unauthorized;
        error.message = QStringLiteral("Genesys Cloud did not accept a fresh token for %1 (401%2): "
                                       "%3. Test the credentials again.")
                            .arg(what, codeText, text);
        break;
    case 403:
        error.kind = GenesysError::Kind::Forbidden;
        error.message = QStringLiteral("The OAuth client lacks a permission for %1 (403%2): %3.%4")
                            .arg(what, codeText, text,
                                 permissionHint(QString::fromLatin1(call->method), call->path));
        break;
    case 404:
        error.kind = GenesysError::Kind::NotFound;
        error.message = QStringLiteral("Genesys Cloud does not know %1 (404%2): %3")
                            .arg(what, codeText, text);
        break;
    case 409:
        error.kind = GenesysError::Kind::Conflict;
        error.message = QStringLiteral("%1 conflicts with a change made meanwhile (409%2): %3. Try "
                                       "again.")
                            .arg(what, codeText, text);
        break;
    case 429:
        error.kind = GenesysError::Kind::RateLimited;
        error.message
            = QStringLiteral("Genesys Cloud is rate limiting this OAuth client; try again "
                             "in %1 s (%2).")
                  .arg(retryAfterSeconds(reply))
                  .arg(what);
        break;
    default:
        if (status >= 500) {
            error.kind = GenesysError::Kind::Server;
            error.message = QStringLiteral("Genesys Cloud answered %1 with server error %2%3 "
                                           "after %4 attempts: %5")
                                .arg(what)
                                .arg(status)
                                .arg(codeText)
                                .arg(call->attempt + 1)
                                .arg(text);
        } else {
            error.kind = GenesysError::Kind::BadRequest;
            error.message = QStringLiteral("Genesys Cloud refused %1 (%2%3): %4")
                                .arg(what)
                                .arg(status)
                                .arg(codeText, text);
        }
        break;
    }
    error.message += correlationSuffix(error.correlationId);
    finishCall(call, response);
}

void GenesysClient::retryLater(const std::shared_ptr<Call> &call, int delayMs,
                               const QString &reason)
{
    ++call->attempt;
    Q_EMIT retryScheduled(call->describe(), delayMs, reason);
    QTimer::singleShot(delayMs, Qt::PreciseTimer, this, [this, call] { startCall(call); });
}

void GenesysClient::finishCall(const std::shared_ptr<Call> &call, const GenesysResponse &response)
{
    if (call->hadContext && !call->context)
        return;
    call->callback(response);
}

} // namespace redrive::core
