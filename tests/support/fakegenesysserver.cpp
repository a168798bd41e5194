// SPDX-License-Identifier: MIT
#include "tests/support/fakegenesysserver.h"

#include <QDateTime>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QUuid>

using namespace Qt::StringLiterals;

namespace redrive::tests {

namespace {

QString newId()
{
    return QUuid::createUuid().toString(QUuid::WithoutBraces);
}

QString nowIso()
{
    return QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs);
}

QByteArray methodName(QHttpServerRequest::Method method)
{
    switch (method) {
    case QHttpServerRequest::Method::Get:
        return "GET";
    case QHttpServerRequest::Method::Put:
        return "PUT";
    case QHttpServerRequest::Method::Delete:
        return "DELETE";
    case QHttpServerRequest::Method::Post:
        return "POST";
    case QHttpServerRequest::Method::Head:
        return "HEAD";
    case QHttpServerRequest::Method::Options:
        return "OPTIONS";
    case QHttpServerRequest::Method::Patch:
        return "PATCH";
    default:
        return "OTHER";
    }
}

// Returns the first key of `object` not in `allowed`, or an empty string.
QString unknownKey(const QJsonObject &object, const QStringList &allowed)
{
    for (auto it = object.begin(); it != object.end(); ++it) {
        if (!allowed.contains(it.key()))
            return it.key();
    }
    return {};
}

bool isNonEmptyString(const QJsonValue &value, int maxLength = 1 << 20)
{
    return value.isString() && !value.toString().isEmpty() && value.toString().size() <= maxLength;
}

} // namespace

FakeGenesysServer::FakeGenesysServer(QObject *parent)
    : QAbstractHttpServer(parent)
{ }

FakeGenesysServer::~FakeGenesysServer() = default;

bool FakeGenesysServer::start()
{
    m_port = listen(QHostAddress::LocalHost, 0);
    return m_port != 0;
}

QUrl FakeGenesysServer::baseUrl() const
{
    return QUrl(u"http://127.0.0.1:%1"_s.arg(m_port));
}

void FakeGenesysServer::setClient(const QString &id, const QString &secret)
{
    m_clientId = id;
    m_clientSecret = secret;
}

void FakeGenesysServer::expireAllTokens()
{
    for (auto it = m_tokens.begin(); it != m_tokens.end(); ++it)
        it.value() = 0;
}

void FakeGenesysServer::throttleNext(int count, int retryAfterSeconds)
{
    m_throttleCount = count;
    m_throttleSeconds = retryAfterSeconds;
}

void FakeGenesysServer::failNext(const QByteArray &method, const QString &pathPrefix, int status,
                                 int count)
{
    m_failures.append({ method, pathPrefix, status, count });
}

void FakeGenesysServer::addWorkflow(const QString &id, const QString &name)
{
    m_workflows.insert(id, name);
}

void FakeGenesysServer::addTopic(const QString &topic)
{
    m_topics.append(topic);
}

QString FakeGenesysServer::seedIntegration(const QString &name, const QString &type)
{
    const Reply reply = createIntegration(QJsonObject {
        { u"name"_s, name }, { u"integrationType"_s, QJsonObject { { u"id"_s, type } } } });
    return QJsonDocument::fromJson(reply.body).object().value(u"id"_s).toString();
}

QString FakeGenesysServer::seedTrigger(const QString &name, const QString &topic,
                                       const QString &workflowId)
{
    const Reply reply = writeTrigger(
        {},
        QJsonObject { { u"name"_s, name },
                      { u"topicName"_s, topic },
                      { u"enabled"_s, true },
                      { u"target"_s,
                        QJsonObject { { u"type"_s, u"Workflow"_s }, { u"id"_s, workflowId } } } });
    return QJsonDocument::fromJson(reply.body).object().value(u"id"_s).toString();
}

int FakeGenesysServer::count(const QByteArray &method, const QString &pathPrefix) const
{
    int n = 0;
    for (const Request &request : m_requests) {
        if (request.method == method && request.path.startsWith(pathPrefix))
            ++n;
    }
    return n;
}

void FakeGenesysServer::clearLog()
{
    m_requests.clear();
    m_rejections.clear();
}

QMap<QString, QString> FakeGenesysServer::credentialFields(const QString &id) const
{
    return m_credentialFields.value(id);
}

bool FakeGenesysServer::handleRequest(const QHttpServerRequest &request, QTcpSocket *socket)
{
    Request entry;
    entry.method = methodName(request.method());
    entry.path = request.url().path();
    entry.query = request.query();
    entry.body = request.body();
    entry.authorization = request.value("Authorization");
    Reply reply = dispatch(entry);
    entry.status = reply.status;
    m_requests.append(entry);
    if (reply.status >= 400 && reply.status < 500)
        m_rejections.append(u"%1 %2 -> %3 %4"_s.arg(QString::fromLatin1(entry.method), entry.path)
                                .arg(reply.status)
                                .arg(QString::fromUtf8(reply.body)));

    // Replies are written synchronously, while the socket is known to be alive. The responder
    // writes status line, headers and body separately; no-delay sends each small piece at once.
    socket->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    QHttpServerResponder responder = makeResponder(request, socket);
    responder.writeStatusLine(QHttpServerResponder::StatusCode(reply.status));
    responder.writeHeader("Content-Type", "application/json");
    responder.writeHeader("Content-Length", QByteArray::number(reply.body.size()));
    responder.writeHeader("ININ-Correlation-Id", newId().toLatin1());
    for (const auto &header : reply.headers)
        responder.writeHeader(header.first, header.second);
    responder.writeBody(reply.body);
    return true;
}

void FakeGenesysServer::missingHandler(const QHttpServerRequest &request, QTcpSocket *socket)
{
    handleRequest(request, socket);
}

FakeGenesysServer::Reply FakeGenesysServer::json(int status, const QJsonValue &value) const
{
    Reply reply;
    reply.status = status;
    if (value.isObject())
        reply.body = QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact);
    else if (value.isArray())
        reply.body = QJsonDocument(value.toArray()).toJson(QJsonDocument::Compact);
    return reply;
}

FakeGenesysServer::Reply FakeGenesysServer::error(int status, const QString &code,
                                                  const QString &message, const QString &field)
{
    QJsonArray details;
    if (!field.isEmpty())
        details.append(QJsonObject { { u"errorCode"_s, code }, { u"fieldName"_s, field } });
    return json(status,
                QJsonObject { { u"message"_s, message },
                              { u"code"_s, code },
                              { u"status"_s, status },
                              { u"contextId"_s, newId() },
                              { u"details"_s, details },
                              { u"errors"_s, QJsonArray() } });
}

FakeGenesysServer::Reply FakeGenesysServer::dispatch(const Request &request)
{
    for (int i = 0; i < m_failures.size(); ++i) {
        Failure &failure = m_failures[i];
        if (failure.method != request.method || !request.path.startsWith(failure.prefix))
            continue;
        const int status = failure.status;
        if (--failure.remaining <= 0)
            m_failures.removeAt(i);
        if (request.path == "/oauth/token"_L1) {
            if (status == 400 || status == 401)
                return json(status,
                            QJsonObject { { u"error"_s, u"invalid_client"_s },
                                          { u"description"_s, u"authentication failed"_s },
                                          { u"error_description"_s, u"authentication failed"_s } });
            return json(status, QJsonObject { { u"error"_s, u"server_error"_s } });
        }
        static const QHash<int, QString> codes { { 400, u"bad.request"_s },
                                                 { 403, u"missing.any.permissions"_s },
                                                 { 404, u"not.found"_s },
                                                 { 409, u"conflict"_s },
                                                 { 500, u"internal.server.error"_s },
                                                 { 502, u"bad.gateway"_s },
                                                 { 503, u"service.unavailable"_s },
                                                 { 504, u"gateway.timeout"_s } };
        return error(status, codes.value(status, u"error"_s),
                     u"Injected failure %1 for %2 %3"_s.arg(status).arg(
                         QString::fromLatin1(request.method), request.path));
    }
    if (request.path == "/oauth/token"_L1)
        return token(request);
    if (request.path.startsWith("/api/v2/"_L1))
        return api(request);
    return error(404, u"not.found"_s, u"No route for %1"_s.arg(request.path));
}

FakeGenesysServer::Reply FakeGenesysServer::token(const Request &request)
{
    const auto invalidClient = [this] {
        return json(401,
                    QJsonObject { { u"error"_s, u"invalid_client"_s },
                                  { u"description"_s, u"authentication failed"_s },
                                  { u"error_description"_s, u"authentication failed"_s } });
    };
    if (request.method != "POST")
        return error(405, u"method.not.allowed"_s, u"Use POST"_s);
    if (!request.authorization.startsWith("Basic "))
        return invalidClient();
    const QByteArray decoded = QByteArray::fromBase64(request.authorization.mid(6).trimmed());
    if (decoded != (m_clientId + u':' + m_clientSecret).toUtf8())
        return invalidClient();
    const QUrlQuery form(QString::fromUtf8(request.body));
    if (form.queryItemValue(u"grant_type"_s) != "client_credentials"_L1)
        return json(400,
                    QJsonObject { { u"error"_s, u"unsupported_grant_type"_s },
                                  { u"description"_s, u"grant type not supported"_s },
                                  { u"error_description"_s, u"grant type not supported"_s } });
    if (!m_grantAllowed)
        return json(400,
                    QJsonObject {
                        { u"error"_s, u"unauthorized_client"_s },
                        { u"description"_s, u"client is not authorized for this grant"_s },
                        { u"error_description"_s, u"client is not authorized for this grant"_s } });
    const QString token = QUuid::createUuid().toString(QUuid::Id128);
    m_tokens.insert(token, QDateTime::currentMSecsSinceEpoch() + qint64(m_tokenLifetime) * 1000);
    return json(200,
                QJsonObject { { u"access_token"_s, token },
                              { u"token_type"_s, u"bearer"_s },
                              { u"expires_in"_s, m_tokenLifetime } });
}

FakeGenesysServer::Reply FakeGenesysServer::paged(const QJsonArray &all,
                                                  const QUrlQuery &query) const
{
    int pageSize
        = query.hasQueryItem(u"pageSize"_s) ? query.queryItemValue(u"pageSize"_s).toInt() : 25;
    pageSize = qBound(1, pageSize, m_maxPageSize);
    const int pageNumber = qMax(1, query.queryItemValue(u"pageNumber"_s).toInt());
    QJsonArray page;
    for (qsizetype i = qsizetype(pageNumber - 1) * pageSize;
         i < all.size() && i < qsizetype(pageNumber) * pageSize; ++i)
        page.append(all.at(i));
    const int pageCount = int((all.size() + pageSize - 1) / pageSize);
    return json(200,
                QJsonObject { { u"entities"_s, page },
                              { u"pageSize"_s, pageSize },
                              { u"pageNumber"_s, pageNumber },
                              { u"total"_s, all.size() },
                              { u"pageCount"_s, pageCount } });
}

FakeGenesysServer::Reply FakeGenesysServer::api(const Request &request)
{
    const QByteArray bearer = "Bearer ";
    if (!request.authorization.startsWith(bearer))
        return error(401, u"bad.credentials"_s, u"Invalid login credentials."_s);
    const QString token = QString::fromLatin1(request.authorization.mid(bearer.size()));
    const auto found = m_tokens.constFind(token);
    if (found == m_tokens.cend() || found.value() <= QDateTime::currentMSecsSinceEpoch())
        return error(401, u"bad.credentials"_s, u"Invalid login credentials."_s);
    if (m_throttleCount > 0) {
        --m_throttleCount;
        Reply reply
            = error(429, u"too.many.requests.retry.after"_s,
                    u"Rate limit exceeded the maximum. Retry the request in [%1] seconds"_s.arg(
                        m_throttleSeconds));
        reply.headers.append({ "Retry-After", QByteArray::number(m_throttleSeconds) });
        return reply;
    }

    QJsonObject body;
    if (request.method == "POST" || request.method == "PUT" || request.method == "PATCH") {
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(request.body, &parseError);
        if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
            // The draft route takes no body; nothing else here does.
            if (!request.path.endsWith("/draft"_L1))
                return error(400, u"bad.request"_s, u"The request body is not a JSON object"_s);
        }
        body = document.object();
    }

    const QStringList parts = request.path.mid(int(qstrlen("/api/v2/"))).split(u'/');
    const QByteArray &m = request.method;
    const auto notFound = [this, &request] {
        return error(404, u"not.found"_s, u"Nothing at %1"_s.arg(request.path));
    };

    if (parts.value(0) == "integrations"_L1) {
        if (parts.size() == 1) {
            if (m == "GET")
                return listIntegrations(request);
            if (m == "POST")
                return createIntegration(body);
        } else if (parts.value(1) == "credentials"_L1) {
            if (parts.size() == 2 && m == "POST")
                return writeCredential({}, body);
            const QString id = parts.value(2);
            if (parts.size() == 3 && m_credentials.contains(id)) {
                if (m == "GET")
                    return json(200, m_credentials.value(id));
                if (m == "PUT")
                    return writeCredential(id, body);
                if (m == "DELETE") {
                    for (const QJsonObject &config : std::as_const(m_configs)) {
                        for (const QJsonValue &ref : config.value(u"credentials"_s).toObject()) {
                            if (ref.toObject().value(u"id"_s).toString() == id)
                                return error(409, u"conflict"_s,
                                             u"The credential is used by an integration"_s);
                        }
                    }
                    m_credentials.remove(id);
                    m_credentialFields.remove(id);
                    return json(204, {});
                }
            }
            return notFound();
        } else if (parts.value(1) == "actions"_L1) {
            if (parts.size() == 2) {
                if (m == "GET")
                    return listActions(request);
                if (m == "POST")
                    return createAction(body);
            }
            const QString id = parts.value(2);
            if (parts.size() == 3 && m_actions.contains(id)) {
                if (m == "GET")
                    return json(
                        200,
                        actionView(m_actions.value(id),
                                   request.query.queryItemValue(u"includeConfig"_s) == "true"_L1,
                                   request.query.queryItemValue(u"expand"_s) == "contract"_L1));
                if (m == "PATCH")
                    return patchAction(id, body);
                if (m == "DELETE") {
                    m_actions.remove(id);
                    return json(204, {});
                }
            }
            return notFound();
        } else {
            const QString id = parts.value(1);
            if (!m_integrations.contains(id))
                return notFound();
            if (parts.size() == 2) {
                if (m == "GET")
                    return json(200, m_integrations.value(id));
                if (m == "PATCH")
                    return patchIntegration(id, body);
                if (m == "DELETE") {
                    const QJsonObject gone = m_integrations.take(id);
                    m_configs.remove(id);
                    // Actions go with their integration.
                    for (auto it = m_actions.begin(); it != m_actions.end();) {
                        if (it->value(u"integrationId"_s).toString() == id)
                            it = m_actions.erase(it);
                        else
                            ++it;
                    }
                    return json(200, gone);
                }
            } else if (parts.size() == 4 && parts.value(2) == "config"_L1
                       && parts.value(3) == "current"_L1) {
                if (m == "GET")
                    return json(200, m_configs.value(id));
                if (m == "PUT")
                    return putConfig(id, body);
            }
            return notFound();
        }
    } else if (parts.value(0) == "flows"_L1 && parts.size() == 1 && m == "GET") {
        const QString type = request.query.queryItemValue(u"type"_s);
        if (!type.isEmpty() && type != type.toLower())
            return error(400, u"bad.request"_s,
                         u"Invalid value for type: %1 (expected lowercase)"_s.arg(type), u"type"_s);
        QJsonArray all;
        const QString name = request.query.queryItemValue(u"name"_s);
        for (auto it = m_workflows.cbegin(); it != m_workflows.cend(); ++it) {
            if (!type.isEmpty() && type != "workflow"_L1)
                continue;
            if (!name.isEmpty() && !it.value().contains(name, Qt::CaseInsensitive))
                continue;
            all.append(QJsonObject { { u"id"_s, it.key() },
                                     { u"name"_s, it.value() },
                                     { u"type"_s, u"WORKFLOW"_s },
                                     { u"active"_s, true },
                                     { u"selfUri"_s, u"/api/v2/flows/"_s + it.key() } });
        }
        return paged(all, request.query);
    } else if (parts.value(0) == "processautomation"_L1 && parts.value(1) == "triggers"_L1) {
        if (parts.size() == 3 && parts.value(2) == "topics"_L1 && m == "GET")
            return listTopics(request);
        if (parts.size() == 2) {
            if (m == "GET")
                return listTriggers(request);
            if (m == "POST")
                return writeTrigger({}, body);
        }
        const QString id = parts.value(2);
        if (parts.size() == 3 && m_triggers.contains(id)) {
            if (m == "GET")
                return json(200, m_triggers.value(id));
            if (m == "PUT")
                return writeTrigger(id, body);
            if (m == "DELETE") {
                m_triggers.remove(id);
                return json(204, {});
            }
        }
        return notFound();
    }
    return notFound();
}

FakeGenesysServer::Reply FakeGenesysServer::listIntegrations(const Request &request)
{
    const QString type = request.query.queryItemValue(u"integrationType"_s);
    QJsonArray all;
    for (const QJsonObject &integration : std::as_const(m_integrations)) {
        if (type.isEmpty()
            || integration.value(u"integrationType"_s).toObject().value(u"id"_s).toString() == type)
            all.append(integration);
    }
    return paged(all, request.query);
}

FakeGenesysServer::Reply FakeGenesysServer::createIntegration(const QJsonObject &body)
{
    if (const QString key = unknownKey(body, { u"name"_s, u"integrationType"_s, u"notes"_s });
        !key.isEmpty())
        return error(400, u"bad.request"_s, u"Unrecognized field \"%1\""_s.arg(key), key);
    if (!isNonEmptyString(body.value(u"name"_s)))
        return error(400, u"bad.request"_s, u"name is required"_s, u"name"_s);
    const QJsonObject type = body.value(u"integrationType"_s).toObject();
    if (!isNonEmptyString(type.value(u"id"_s)))
        return error(400, u"bad.request"_s, u"integrationType.id is required"_s,
                     u"integrationType.id"_s);
    const QString typeId = type.value(u"id"_s).toString();
    if (typeId != "custom-rest-actions"_L1 && typeId != "purecloud-data-actions"_L1)
        return error(400, u"bad.request"_s, u"Unknown integration type %1"_s.arg(typeId),
                     u"integrationType.id"_s);
    const QString id = newId();
    const QString name = body.value(u"name"_s).toString();
    const QJsonObject integration { { u"id"_s, id },
                                    { u"name"_s, name },
                                    { u"integrationType"_s, QJsonObject { { u"id"_s, typeId } } },
                                    { u"notes"_s, body.value(u"notes"_s).toString() },
                                    { u"intendedState"_s, u"DISABLED"_s },
                                    { u"reportedState"_s,
                                      QJsonObject { { u"code"_s, u"DISABLED"_s } } },
                                    { u"version"_s, 1 },
                                    { u"selfUri"_s, u"/api/v2/integrations/"_s + id } };
    m_integrations.insert(id, integration);
    m_configs.insert(id,
                     QJsonObject { { u"name"_s, name },
                                   { u"version"_s, 1 },
                                   { u"properties"_s, QJsonObject() },
                                   { u"advanced"_s, QJsonObject() },
                                   { u"notes"_s, QString() },
                                   { u"credentials"_s, QJsonObject() } });
    return json(200, integration);
}

FakeGenesysServer::Reply FakeGenesysServer::patchIntegration(const QString &id,
                                                             const QJsonObject &body)
{
    if (const QString key = unknownKey(body, { u"intendedState"_s }); !key.isEmpty())
        return error(400, u"bad.request"_s, u"Unrecognized field \"%1\""_s.arg(key), key);
    static const QStringList states { u"ENABLED"_s, u"DISABLED"_s, u"DELETED"_s, u"RESTORED"_s };
    const QString state = body.value(u"intendedState"_s).toString();
    if (!states.contains(state))
        return error(400, u"bad.request"_s,
                     u"intendedState must be one of ENABLED, DISABLED, DELETED, RESTORED"_s,
                     u"intendedState"_s);
    QJsonObject &integration = m_integrations[id];
    integration[u"intendedState"_s] = state;
    integration[u"reportedState"_s]
        = QJsonObject { { u"code"_s, state == "ENABLED"_L1 ? u"ACTIVE"_s : state } };
    integration[u"version"_s] = integration.value(u"version"_s).toInt() + 1;
    return json(200, integration);
}

FakeGenesysServer::Reply FakeGenesysServer::putConfig(const QString &id, const QJsonObject &body)
{
    static const QStringList required { u"name"_s,     u"version"_s, u"properties"_s,
                                        u"advanced"_s, u"notes"_s,   u"credentials"_s };
    if (const QString key = unknownKey(body, required); !key.isEmpty())
        return error(400, u"bad.request"_s, u"Unrecognized field \"%1\""_s.arg(key), key);
    for (const QString &key : required) {
        if (!body.contains(key))
            return error(400, u"bad.request"_s, u"%1 is required"_s.arg(key), key);
    }
    if (!isNonEmptyString(body.value(u"name"_s)) || !body.value(u"version"_s).isDouble()
        || !body.value(u"properties"_s).isObject() || !body.value(u"advanced"_s).isObject()
        || !body.value(u"notes"_s).isString() || !body.value(u"credentials"_s).isObject())
        return error(400, u"bad.request"_s, u"A config field has the wrong type"_s);
    QJsonObject current = m_configs.value(id);
    if (body.value(u"version"_s).toInt() != current.value(u"version"_s).toInt())
        return error(409, u"conflict"_s, u"The configuration version is not the current one"_s,
                     u"version"_s);
    const QJsonObject credentials = body.value(u"credentials"_s).toObject();
    for (auto it = credentials.begin(); it != credentials.end(); ++it) {
        const QString credentialId = it.value().toObject().value(u"id"_s).toString();
        if (!m_credentials.contains(credentialId))
            return error(
                400, u"bad.request"_s,
                u"Credential %1 referenced as %2 does not exist"_s.arg(credentialId, it.key()),
                u"credentials"_s);
    }
    QJsonObject config = body;
    config[u"version"_s] = current.value(u"version"_s).toInt() + 1;
    m_configs.insert(id, config);
    return json(200, config);
}

FakeGenesysServer::Reply FakeGenesysServer::writeCredential(const QString &id,
                                                            const QJsonObject &body)
{
    if (const QString key = unknownKey(body, { u"name"_s, u"type"_s, u"credentialFields"_s });
        !key.isEmpty())
        return error(400, u"bad.request"_s, u"Unrecognized field \"%1\""_s.arg(key), key);
    static const QStringList types { u"basicAuth"_s, u"userDefined"_s, u"userDefinedOAuth"_s };
    const QString type = body.value(u"type"_s).toObject().value(u"name"_s).toString();
    if (!types.contains(type))
        return error(400, u"bad.request"_s, u"type.name must be one of %1"_s.arg(types.join(u", ")),
                     u"type"_s);
    if (!body.value(u"credentialFields"_s).isObject())
        return error(400, u"bad.request"_s, u"credentialFields must be an object"_s,
                     u"credentialFields"_s);
    QMap<QString, QString> fields;
    const QJsonObject fieldObject = body.value(u"credentialFields"_s).toObject();
    for (auto it = fieldObject.begin(); it != fieldObject.end(); ++it) {
        if (!it.value().isString() || it.key().contains(u'-') || it.key().isEmpty())
            return error(
                400, u"bad.request"_s,
                u"credentialFields.%1 must be a string under a name without dashes"_s.arg(it.key()),
                u"credentialFields"_s);
        fields.insert(it.key(), it.value().toString());
    }
    const QString credentialId = id.isEmpty() ? newId() : id;
    const QString created
        = id.isEmpty() ? nowIso() : m_credentials.value(id).value(u"createdDate"_s).toString();
    const QJsonObject info { { u"id"_s, credentialId },
                             { u"name"_s, body.value(u"name"_s).toString() },
                             { u"createdDate"_s, created },
                             { u"modifiedDate"_s, nowIso() },
                             { u"type"_s, QJsonObject { { u"name"_s, type } } },
                             { u"selfUri"_s,
                               u"/api/v2/integrations/credentials/"_s + credentialId } };
    m_credentials.insert(credentialId, info);
    m_credentialFields.insert(credentialId, fields);
    return json(200, info);
}

QJsonObject FakeGenesysServer::actionView(const QJsonObject &action, bool includeConfig,
                                          bool expandContract) const
{
    QJsonObject view = action;
    if (!includeConfig)
        view.remove(u"config"_s);
    if (!expandContract)
        view.remove(u"contract"_s);
    return view;
}

FakeGenesysServer::Reply FakeGenesysServer::listActions(const Request &request)
{
    const QString name = request.query.queryItemValue(u"name"_s);
    const QString category = request.query.queryItemValue(u"category"_s);
    const QStringList ids = request.query.queryItemValue(u"ids"_s).split(u',', Qt::SkipEmptyParts);
    const bool includeConfig = request.query.queryItemValue(u"includeConfig"_s) == "true"_L1;
    QJsonArray all;
    for (const QJsonObject &action : std::as_const(m_actions)) {
        if (!name.isEmpty() && action.value(u"name"_s).toString() != name)
            continue;
        if (!category.isEmpty() && action.value(u"category"_s).toString() != category)
            continue;
        if (!ids.isEmpty() && !ids.contains(action.value(u"id"_s).toString()))
            continue;
        all.append(actionView(action, includeConfig, false));
    }
    return paged(all, request.query);
}

QString FakeGenesysServer::checkActionConfig(const QJsonObject &config,
                                             const QString &integrationId, QString *field) const
{
    if (const QString key
        = unknownKey(config, { u"timeoutSeconds"_s, u"request"_s, u"response"_s });
        !key.isEmpty()) {
        *field = u"config."_s + key;
        return u"Unrecognized field \"%1\""_s.arg(*field);
    }
    if (config.contains(u"timeoutSeconds"_s)) {
        const int timeout = config.value(u"timeoutSeconds"_s).toInt(-1);
        if (timeout < 1 || timeout > 60) {
            *field = u"config.timeoutSeconds"_s;
            return u"timeoutSeconds must be 1-60"_s;
        }
    }
    const QJsonObject request = config.value(u"request"_s).toObject();
    if (const QString key = unknownKey(
            request,
            { u"requestUrlTemplate"_s, u"requestType"_s, u"headers"_s, u"requestTemplate"_s });
        !key.isEmpty()) {
        *field = u"config.request."_s + key;
        return u"Unrecognized field \"%1\""_s.arg(*field);
    }
    if (!isNonEmptyString(request.value(u"requestUrlTemplate"_s))) {
        *field = u"config.request.requestUrlTemplate"_s;
        return u"requestUrlTemplate is required"_s;
    }
    static const QStringList methods { u"GET"_s, u"PUT"_s, u"POST"_s, u"PATCH"_s, u"DELETE"_s };
    if (!methods.contains(request.value(u"requestType"_s).toString())) {
        *field = u"config.request.requestType"_s;
        return u"requestType must be one of GET, PUT, POST, PATCH, DELETE"_s;
    }
    if (request.contains(u"requestTemplate"_s) && !request.value(u"requestTemplate"_s).isString()) {
        *field = u"config.request.requestTemplate"_s;
        return u"requestTemplate must be a string"_s;
    }
    // Header templates may only use credential fields the integration's credential has.
    QStringList knownFields;
    const QJsonObject credentials
        = m_configs.value(integrationId).value(u"credentials"_s).toObject();
    for (const QJsonValue &ref : credentials)
        knownFields += m_credentialFields.value(ref.toObject().value(u"id"_s).toString()).keys();
    static const QRegularExpression credentialRef(u"\\$\\{credentials\\.([A-Za-z0-9_]+)\\}"_s);
    const QJsonObject headers = request.value(u"headers"_s).toObject();
    for (auto it = headers.begin(); it != headers.end(); ++it) {
        if (!it.value().isString()) {
            *field = u"config.request.headers."_s + it.key();
            return u"header values must be strings"_s;
        }
        auto matches = credentialRef.globalMatch(it.value().toString());
        while (matches.hasNext()) {
            const QString name = matches.next().captured(1);
            if (!knownFields.contains(name)) {
                *field = u"config.request.headers."_s + it.key();
                return u"The integration's credential has no field \"%1\""_s.arg(name);
            }
        }
    }
    if (config.contains(u"response"_s)) {
        const QJsonObject response = config.value(u"response"_s).toObject();
        if (const QString key = unknownKey(
                response,
                { u"translationMap"_s, u"translationMapDefaults"_s, u"successTemplate"_s });
            !key.isEmpty()) {
            *field = u"config.response."_s + key;
            return u"Unrecognized field \"%1\""_s.arg(*field);
        }
    }
    return {};
}

FakeGenesysServer::Reply FakeGenesysServer::createAction(const QJsonObject &body)
{
    if (const QString key = unknownKey(body,
                                       { u"name"_s, u"category"_s, u"integrationId"_s, u"secure"_s,
                                         u"config"_s, u"contract"_s });
        !key.isEmpty())
        return error(400, u"bad.request"_s, u"Unrecognized field \"%1\""_s.arg(key), key);
    for (const QString &key : { u"name"_s, u"category"_s }) {
        if (!isNonEmptyString(body.value(key), 256))
            return error(400, u"bad.request"_s, u"%1 is required (1-256 characters)"_s.arg(key),
                         key);
    }
    const QString integrationId = body.value(u"integrationId"_s).toString();
    if (!m_integrations.contains(integrationId))
        return error(400, u"bad.request"_s, u"integrationId %1 does not exist"_s.arg(integrationId),
                     u"integrationId"_s);
    if (body.contains(u"secure"_s) && !body.value(u"secure"_s).isBool())
        return error(400, u"bad.request"_s, u"secure must be a boolean"_s, u"secure"_s);
    if (!body.value(u"config"_s).isObject())
        return error(400, u"bad.request"_s, u"config is required"_s, u"config"_s);
    QString field;
    if (const QString problem
        = checkActionConfig(body.value(u"config"_s).toObject(), integrationId, &field);
        !problem.isEmpty())
        return error(400, u"bad.request"_s, problem, field);
    const QJsonObject contract = body.value(u"contract"_s).toObject();
    if (!contract.value(u"input"_s).toObject().value(u"inputSchema"_s).isObject())
        return error(400, u"bad.request"_s, u"contract.input.inputSchema is required"_s,
                     u"contract.input.inputSchema"_s);
    if (!contract.value(u"output"_s).toObject().value(u"successSchema"_s).isObject())
        return error(400, u"bad.request"_s, u"contract.output.successSchema is required"_s,
                     u"contract.output.successSchema"_s);
    const QString name = body.value(u"name"_s).toString();
    for (const QJsonObject &action : std::as_const(m_actions)) {
        if (action.value(u"integrationId"_s).toString() == integrationId
            && action.value(u"name"_s).toString() == name)
            return error(400, u"bad.request"_s,
                         u"An action named \"%1\" already exists in this integration"_s.arg(name),
                         u"name"_s);
    }
    const QString id = u"custom_-_"_s + newId();
    const QJsonObject action { { u"id"_s, id },
                               { u"name"_s, name },
                               { u"category"_s, body.value(u"category"_s) },
                               { u"integrationId"_s, integrationId },
                               { u"secure"_s, body.value(u"secure"_s).toBool(false) },
                               { u"config"_s, body.value(u"config"_s) },
                               { u"contract"_s, contract },
                               { u"version"_s, 1 },
                               { u"selfUri"_s, u"/api/v2/integrations/actions/"_s + id } };
    m_actions.insert(id, action);
    return json(200, action);
}

FakeGenesysServer::Reply FakeGenesysServer::patchAction(const QString &id, const QJsonObject &body)
{
    if (const QString key
        = unknownKey(body, { u"version"_s, u"name"_s, u"category"_s, u"config"_s });
        !key.isEmpty())
        return error(400, u"bad.request"_s,
                     u"Unrecognized field \"%1\" (UpdateActionInput has no %1)"_s.arg(key), key);
    QJsonObject action = m_actions.value(id);
    if (!body.value(u"version"_s).isDouble())
        return error(400, u"bad.request"_s, u"version is required"_s, u"version"_s);
    if (body.value(u"version"_s).toInt() != action.value(u"version"_s).toInt())
        return error(409, u"conflict"_s, u"The action version is not the current one"_s,
                     u"version"_s);
    if (body.contains(u"config"_s)) {
        QString field;
        if (const QString problem
            = checkActionConfig(body.value(u"config"_s).toObject(),
                                action.value(u"integrationId"_s).toString(), &field);
            !problem.isEmpty())
            return error(400, u"bad.request"_s, problem, field);
        action[u"config"_s] = body.value(u"config"_s);
    }
    for (const QString &key : { u"name"_s, u"category"_s }) {
        if (body.contains(key))
            action[key] = body.value(key);
    }
    action[u"version"_s] = action.value(u"version"_s).toInt() + 1;
    m_actions.insert(id, action);
    return json(200, action);
}

FakeGenesysServer::Reply FakeGenesysServer::listTopics(const Request &request)
{
    const int pageSize = request.query.hasQueryItem(u"pageSize"_s)
        ? request.query.queryItemValue(u"pageSize"_s).toInt()
        : 25;
    if (pageSize < 1 || pageSize > 200)
        return error(400, u"bad.request"_s, u"pageSize must be 1-200"_s, u"pageSize"_s);
    const int size = qMin(pageSize, m_maxPageSize);
    const int after = request.query.queryItemValue(u"after"_s).toInt();
    QJsonArray entities;
    for (int i = after; i < m_topics.size() && i < after + size; ++i)
        entities.append(m_topics.at(i));
    QJsonObject reply { { u"entities"_s, entities },
                        { u"selfUri"_s, u"/api/v2/processautomation/triggers/topics"_s } };
    if (after + size < m_topics.size())
        reply.insert(
            u"nextUri"_s,
            u"/api/v2/processautomation/triggers/topics?after=%1&pageSize=%2"_s.arg(after + size)
                .arg(pageSize));
    return json(200, reply);
}

FakeGenesysServer::Reply FakeGenesysServer::listTriggers(const Request &request)
{
    const QStringList topics
        = request.query.queryItemValue(u"topicName"_s).split(u',', Qt::SkipEmptyParts);
    const QString enabled = request.query.queryItemValue(u"enabled"_s);
    const int pageSize = request.query.hasQueryItem(u"pageSize"_s)
        ? request.query.queryItemValue(u"pageSize"_s).toInt()
        : 25;
    const int size = qBound(1, pageSize, m_maxPageSize);
    const int after = request.query.queryItemValue(u"after"_s).toInt();
    QList<QJsonObject> all;
    for (const QJsonObject &trigger : std::as_const(m_triggers)) {
        if (!topics.isEmpty() && !topics.contains(trigger.value(u"topicName"_s).toString()))
            continue;
        if (!enabled.isEmpty() && trigger.value(u"enabled"_s).toBool() != (enabled == "true"_L1))
            continue;
        all.append(trigger);
    }
    QJsonArray entities;
    for (int i = after; i < all.size() && i < after + size; ++i)
        entities.append(all.at(i));
    QJsonObject reply { { u"entities"_s, entities } };
    if (after + size < all.size()) {
        QUrlQuery next = request.query;
        next.removeAllQueryItems(u"after"_s);
        next.addQueryItem(u"after"_s, QString::number(after + size));
        reply.insert(u"nextUri"_s, u"/api/v2/processautomation/triggers?"_s + next.toString());
    }
    return json(200, reply);
}

FakeGenesysServer::Reply FakeGenesysServer::writeTrigger(const QString &id, const QJsonObject &body)
{
    QStringList allowed { u"name"_s,           u"topicName"_s,     u"enabled"_s,
                          u"target"_s,         u"matchCriteria"_s, u"eventTTLSeconds"_s,
                          u"delayBySeconds"_s, u"description"_s };
    if (!id.isEmpty())
        allowed.append(u"version"_s);
    if (const QString key = unknownKey(body, allowed); !key.isEmpty())
        return error(400, u"bad.request"_s, u"Unrecognized field \"%1\""_s.arg(key), key);
    if (!isNonEmptyString(body.value(u"name"_s)))
        return error(400, u"bad.request"_s, u"name is required"_s, u"name"_s);
    if (!body.value(u"enabled"_s).isBool())
        return error(400, u"bad.request"_s, u"enabled is required"_s, u"enabled"_s);
    const QString topic = body.value(u"topicName"_s).toString();
    if (!m_topics.contains(topic))
        return error(400, u"bad.request"_s, u"Unknown topicName %1"_s.arg(topic), u"topicName"_s);
    const QJsonObject target = body.value(u"target"_s).toObject();
    if (const QString key = unknownKey(target, { u"type"_s, u"id"_s, u"workflowTargetSettings"_s });
        !key.isEmpty())
        return error(400, u"bad.request"_s, u"Unrecognized field \"target.%1\""_s.arg(key),
                     u"target."_s + key);
    if (target.value(u"type"_s).toString() != "Workflow"_L1)
        return error(400, u"bad.request"_s, u"target.type must be Workflow"_s, u"target.type"_s);
    if (!m_workflows.contains(target.value(u"id"_s).toString()))
        return error(400, u"bad.request"_s,
                     u"Workflow %1 does not exist"_s.arg(target.value(u"id"_s).toString()),
                     u"target.id"_s);
    if (target.contains(u"workflowTargetSettings"_s)) {
        const QString format = target.value(u"workflowTargetSettings"_s)
                                   .toObject()
                                   .value(u"dataFormat"_s)
                                   .toString();
        if (format != "Json"_L1 && format != "TopLevelPrimitives"_L1)
            return error(400, u"bad.request"_s, u"dataFormat must be Json or TopLevelPrimitives"_s,
                         u"target.workflowTargetSettings.dataFormat"_s);
    }
    const bool hasTtl = body.contains(u"eventTTLSeconds"_s);
    const bool hasDelay = body.contains(u"delayBySeconds"_s);
    if (hasTtl && hasDelay)
        return error(400, u"bad.request"_s,
                     u"eventTTLSeconds and delayBySeconds exclude each other"_s);
    if (hasTtl && body.value(u"eventTTLSeconds"_s).toInt() < 10)
        return error(400, u"bad.request"_s, u"eventTTLSeconds must be at least 10"_s,
                     u"eventTTLSeconds"_s);
    if (hasDelay
        && (body.value(u"delayBySeconds"_s).toInt() < 60
            || body.value(u"delayBySeconds"_s).toInt() > 900))
        return error(400, u"bad.request"_s, u"delayBySeconds must be 60-900"_s,
                     u"delayBySeconds"_s);
    if (body.value(u"description"_s).toString().size() > 512)
        return error(400, u"bad.request"_s, u"description is longer than 512"_s, u"description"_s);
    QJsonObject trigger = body;
    if (!id.isEmpty()) {
        const QJsonObject existing = m_triggers.value(id);
        if (!body.value(u"version"_s).isDouble())
            return error(400, u"bad.request"_s, u"version is required"_s, u"version"_s);
        if (body.value(u"version"_s).toInt() != existing.value(u"version"_s).toInt())
            return error(409, u"conflict"_s, u"The trigger version is not the current one"_s,
                         u"version"_s);
        if (topic != existing.value(u"topicName"_s).toString())
            return error(400, u"bad.request"_s, u"topicName cannot change"_s, u"topicName"_s);
        trigger[u"version"_s] = existing.value(u"version"_s).toInt() + 1;
    } else {
        trigger[u"version"_s] = 1;
    }
    const QString triggerId = id.isEmpty() ? newId() : id;
    trigger[u"id"_s] = triggerId;
    trigger[u"selfUri"_s] = u"/api/v2/processautomation/triggers/"_s + triggerId;
    m_triggers.insert(triggerId, trigger);
    return json(200, trigger);
}

} // namespace redrive::tests
