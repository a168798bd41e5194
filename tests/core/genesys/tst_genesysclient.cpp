// SPDX-License-Identifier: MIT
#include "core/genesys/genesysclient.h"
#include "core/genesys/genesysregions.h"
#include "tests/support/fakegenesysserver.h"
#include "tests/support/testenv.h"

#include <QFile>
#include <QSslKey>
#include <QSslServer>

#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

#include <optional>

using namespace Qt::StringLiterals;
using redrive::core::GenesysClient;
using redrive::core::GenesysConnection;
using redrive::core::GenesysError;
using redrive::core::GenesysResponse;
using redrive::core::GenesysRetryPolicy;
using redrive::tests::FakeGenesysServer;

namespace {

constexpr int kWaitMs = 30000; // an upper bound for "eventually", never a measured duration

QStringList g_messages;
void captureMessages(QtMsgType, const QMessageLogContext &, const QString &message)
{
    g_messages.append(message);
}

} // namespace

class TestGenesysClient final : public QObject
{
    Q_OBJECT

private:
    std::unique_ptr<FakeGenesysServer> m_fake;

    GenesysConnection connection(const QString &secret = QString()) const
    {
        GenesysConnection c;
        c.region = u"eu-west-1"_s;
        c.baseUrlOverride = m_fake->baseUrl().toString();
        c.clientId = m_fake->clientId();
        c.clientSecret = secret.isEmpty() ? m_fake->clientSecret() : secret;
        return c;
    }

    static GenesysRetryPolicy fastPolicy()
    {
        GenesysRetryPolicy policy;
        policy.backoffBaseMs = 1;
        policy.backoffMaxMs = 4;
        return policy;
    }

    static std::optional<GenesysResponse> send(GenesysClient &client, const QByteArray &method,
                                               const QString &path,
                                               const QJsonObject &body = QJsonObject())
    {
        std::optional<GenesysResponse> result;
        QObject context;
        client.request(method, path, {}, body.isEmpty() ? QJsonDocument() : QJsonDocument(body),
                       &context, [&result](const GenesysResponse &r) { result = r; });
        if (!QTest::qWaitFor([&result] { return result.has_value(); }, kWaitMs))
            return std::nullopt;
        return result;
    }

    static std::optional<GenesysError> token(GenesysClient &client, bool fresh)
    {
        std::optional<GenesysError> result;
        QObject context;
        auto callback = [&result](const GenesysError &e) { result = e; };
        if (fresh)
            client.testCredentials(&context, callback);
        else
            client.ensureToken(&context, callback);
        if (!QTest::qWaitFor([&result] { return result.has_value(); }, kWaitMs))
            return std::nullopt;
        return result;
    }

private Q_SLOTS:
    void init()
    {
        m_fake = std::make_unique<FakeGenesysServer>();
        QVERIFY(m_fake->start());
        m_fake->addWorkflow(u"wf-1"_s, u"Forward to Redrive"_s);
    }
    void cleanup() { m_fake.reset(); }

    void regionsTable()
    {
        QCOMPARE(redrive::core::genesysRegions().size(), 17);
        redrive::core::GenesysEndpoints endpoints;
        QString error;
        QVERIFY(redrive::core::resolveGenesysEndpoints(u"eu-west-1"_s, {}, &endpoints, &error));
        QCOMPARE(endpoints.apiBase, QUrl(u"https://api.mypurecloud.ie"_s));
        QCOMPARE(endpoints.tokenUrl, QUrl(u"https://login.mypurecloud.ie/oauth/token"_s));
        QVERIFY(redrive::core::resolveGenesysEndpoints(u"us-east-2"_s, {}, &endpoints, &error));
        QCOMPARE(endpoints.tokenUrl.host(), u"login.use2.us-gov-pure.cloud"_s);
        QVERIFY(
            redrive::core::resolveGenesysEndpoints(u"ap-southeast-2"_s, {}, &endpoints, &error));
        QCOMPARE(endpoints.apiBase.host(), u"api.mypurecloud.com.au"_s);
        QVERIFY(redrive::core::resolveGenesysEndpoints(u"eu-west-1"_s, u"http://127.0.0.1:9/x/"_s,
                                                       &endpoints, &error));
        QCOMPARE(endpoints.tokenUrl, QUrl(u"http://127.0.0.1:9/x/oauth/token"_s));
        QVERIFY(!redrive::core::resolveGenesysEndpoints(u"eu-west-9"_s, {}, &endpoints, &error));
        QVERIFY2(error.contains(u"eu-west-9"_s) && error.contains(u"eu-central-2"_s),
                 qPrintable(error));
    }

    void tokenUsesBasicAuthAndIsCached()
    {
        GenesysClient client(connection());
        const auto first = send(client, "GET", u"/api/v2/flows"_s);
        QVERIFY(first);
        QVERIFY2(first->ok(), qPrintable(first->error.message));
        const auto second = send(client, "GET", u"/api/v2/flows"_s);
        QVERIFY(second && second->ok());
        QCOMPARE(m_fake->tokenRequests(), 1);
        QCOMPARE(client.tokenRequestCount(), 1);
        const auto requests = m_fake->requests();
        QCOMPARE(requests.first().path, u"/oauth/token"_s);
        QCOMPARE(requests.first().authorization,
                 "Basic "
                     + (m_fake->clientId() + u':' + m_fake->clientSecret()).toUtf8().toBase64());
        QCOMPARE(requests.first().body, QByteArray("grant_type=client_credentials"));
        QVERIFY(requests.at(1).authorization.startsWith("Bearer "));
    }

    void concurrentCallersShareOneTokenRequest()
    {
        GenesysClient client(connection());
        QObject context;
        int answered = 0;
        int succeeded = 0;
        for (int i = 0; i < 5; ++i) {
            client.get(u"/api/v2/flows"_s, {}, &context, [&](const GenesysResponse &r) {
                ++answered;
                succeeded += r.ok() ? 1 : 0;
            });
        }
        QTRY_COMPARE_WITH_TIMEOUT(answered, 5, kWaitMs);
        QCOMPARE(succeeded, 5);
        QCOMPARE(m_fake->tokenRequests(), 1);
    }

    void tokenRenewedShortlyBeforeExpiry()
    {
        m_fake->setTokenLifetime(300);
        GenesysClient client(connection());
        qint64 now = 1'000'000;
        client.setClock([&now] { return now; });
        QVERIFY(token(client, false) && !token(client, false)->isError());
        QCOMPARE(m_fake->tokenRequests(), 1);
        QCOMPARE(client.tokenExpiresInSeconds(), 300);
        now += 269'000; // 31 s left: more than the 30 s margin (a tenth of 300 s)
        QVERIFY(client.hasValidToken());
        QVERIFY(token(client, false) && !token(client, false)->isError());
        QCOMPARE(m_fake->tokenRequests(), 1);
        now += 2'000; // 29 s left: inside the margin, so fetch a new one
        QVERIFY(!client.hasValidToken());
        QVERIFY(token(client, false) && !token(client, false)->isError());
        QCOMPARE(m_fake->tokenRequests(), 2);
    }

    void expiredTokenIsRefetchedOnceOn401()
    {
        GenesysClient client(connection());
        QVERIFY(send(client, "GET", u"/api/v2/flows"_s)->ok());
        m_fake->expireAllTokens();
        const auto response = send(client, "GET", u"/api/v2/flows"_s);
        QVERIFY(response);
        QVERIFY2(response->ok(), qPrintable(response->error.message));
        QCOMPARE(m_fake->tokenRequests(), 2);
        QCOMPARE(m_fake->count("GET", u"/api/v2/flows"_s), 3);
    }

    void persistent401IsReportedAfterOneRefetch()
    {
        GenesysClient client(connection());
        m_fake->failNext("GET", u"/api/v2/flows"_s, 401, 10);
        const auto response = send(client, "GET", u"/api/v2/flows"_s);
        QVERIFY(response);
        QCOMPARE(response->error.kind, GenesysError::Kind::Unauthorized);
        QCOMPARE(m_fake->count("GET", u"/api/v2/flows"_s), 2);
        QCOMPARE(m_fake->tokenRequests(), 2);
    }

    void badSecretIsExplained()
    {
        GenesysClient client(connection(u"wrong-secret"_s));
        const auto error = token(client, true);
        QVERIFY(error);
        QCOMPARE(error->kind, GenesysError::Kind::BadCredentials);
        QCOMPARE(error->code, u"invalid_client"_s);
        QVERIFY2(error->message.contains(u"refused the OAuth client id or secret"_s)
                     && error->message.contains(u"eu-west-1"_s),
                 qPrintable(error->message));
        QVERIFY(!error->message.contains(u"wrong-secret"_s));
        // An API call fails with the same explanation and never reaches the API.
        const auto response = send(client, "GET", u"/api/v2/flows"_s);
        QCOMPARE(response->error.kind, GenesysError::Kind::BadCredentials);
        QCOMPARE(m_fake->count("GET", u"/api/v2/"_s), 0);
    }

    void wrongBaseUrlIsExplained()
    {
        GenesysConnection c = connection();
        c.baseUrlOverride = m_fake->baseUrl().toString() + u"/not-genesys"_s;
        GenesysClient client(c);
        const auto error = token(client, true);
        QVERIFY(error);
        QCOMPARE(error->kind, GenesysError::Kind::NotFound);
        QVERIFY2(error->message.contains(u"/not-genesys/oauth/token"_s)
                     && error->message.contains(u"base URL"_s),
                 qPrintable(error->message));
    }

    void grantNotAllowedIsExplained()
    {
        m_fake->setGrantAllowed(false);
        GenesysClient client(connection());
        const auto error = token(client, true);
        QVERIFY(error);
        QCOMPARE(error->kind, GenesysError::Kind::GrantNotAllowed);
        QVERIFY2(error->message.contains(u"Client Credentials"_s), qPrintable(error->message));
    }

    void missingSecretIsAConfigurationError()
    {
        GenesysConnection c = connection();
        c.clientSecret.clear();
        GenesysClient client(c);
        QString problem;
        QVERIFY(!client.isConfigured(&problem));
        QVERIFY(problem.contains(u"GENESYS_CLIENT_SECRET"_s));
        const auto error = token(client, true);
        QCOMPARE(error->kind, GenesysError::Kind::Configuration);
        QCOMPARE(m_fake->requests().size(), 0);
    }

    void unreachableHostIsExplained()
    {
        QTcpServer probe;
        QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
        const quint16 port = probe.serverPort();
        probe.close(); // nothing listens there now
        GenesysConnection c = connection();
        c.baseUrlOverride = u"http://127.0.0.1:%1"_s.arg(port);
        GenesysClient client(c);
        const auto error = token(client, true);
        QVERIFY(error);
        QCOMPARE(error->kind, GenesysError::Kind::Network);
        QVERIFY2(error->message.contains(u"refused the connection"_s), qPrintable(error->message));
    }

    void tlsFailureIsExplained()
    {
        // A TLS server whose self-signed certificate nobody trusts: the handshake must fail.
        QFile certFile(redrive::tests::testDataPath(u"selfsigned-test.crt"_s));
        QFile keyFile(redrive::tests::testDataPath(u"selfsigned-test.key"_s));
        QVERIFY(certFile.open(QIODevice::ReadOnly) && keyFile.open(QIODevice::ReadOnly));
        QSslConfiguration tls = QSslConfiguration::defaultConfiguration();
        tls.setLocalCertificate(QSslCertificate(certFile.readAll(), QSsl::Pem));
        tls.setPrivateKey(QSslKey(keyFile.readAll(), QSsl::Rsa, QSsl::Pem));
        QSslServer server;
        server.setSslConfiguration(tls);
        QVERIFY(server.listen(QHostAddress::LocalHost, 0));
        GenesysConnection c = connection();
        c.baseUrlOverride = u"https://127.0.0.1:%1"_s.arg(server.serverPort());
        GenesysClient client(c);
        const auto error = token(client, true);
        QVERIFY(error);
        QVERIFY2(error->kind == GenesysError::Kind::Tls, qPrintable(error->message));
        QVERIFY2(error->message.contains(u"TLS handshake with 127.0.0.1 failed"_s),
                 qPrintable(error->message));
    }

    void silentServerTimesOut()
    {
        // Accepts connections and never answers.
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        GenesysConnection c = connection();
        c.baseUrlOverride = u"http://127.0.0.1:%1"_s.arg(silent.serverPort());
        GenesysClient client(c);
        GenesysRetryPolicy policy = fastPolicy();
        policy.maxRetries = 1;
        policy.transferTimeoutMs = 200;
        client.setRetryPolicy(policy);
        QSignalSpy retries(&client, &GenesysClient::retryScheduled);
        const auto error = token(client, true);
        QVERIFY(error);
        QCOMPARE(error->kind, GenesysError::Kind::Timeout);
        QVERIFY2(error->message.contains(u"did not answer within 0.2 s"_s),
                 qPrintable(error->message));
        QCOMPARE(retries.size(), 1); // one bounded retry, then the error
    }

    void tokenServerErrorsAreRetried()
    {
        GenesysClient client(connection());
        client.setRetryPolicy(fastPolicy());
        m_fake->failNext("POST", u"/oauth/token"_s, 503, 2);
        const auto error = token(client, true);
        QVERIFY(error);
        QVERIFY2(!error->isError(), qPrintable(error->message));
        QCOMPARE(m_fake->tokenRequests(), 3);

        GenesysRetryPolicy policy = fastPolicy();
        policy.maxRetries = 1;
        client.setRetryPolicy(policy);
        m_fake->failNext("POST", u"/oauth/token"_s, 502, 5);
        const auto failed = token(client, true);
        QVERIFY(failed);
        QCOMPARE(failed->kind, GenesysError::Kind::Server);
        QVERIFY2(failed->message.contains(u"server error 502"_s), qPrintable(failed->message));
        QCOMPARE(m_fake->tokenRequests(), 5);
    }

    void rateLimitHonoursRetryAfter()
    {
        GenesysClient client(connection());
        QSignalSpy retries(&client, &GenesysClient::retryScheduled);
        QVERIFY(send(client, "GET", u"/api/v2/flows"_s)->ok());
        m_fake->throttleNext(1, 1);
        const auto response = send(client, "GET", u"/api/v2/flows"_s);
        QVERIFY(response);
        QVERIFY2(response->ok(), qPrintable(response->error.message));
        QCOMPARE(retries.size(), 1);
        QCOMPARE(retries.first().at(1).toInt(), 1000);
        QCOMPARE(m_fake->count("GET", u"/api/v2/flows"_s), 3);
    }

    void longRetryAfterIsReportedNotWaited()
    {
        GenesysClient client(connection());
        GenesysRetryPolicy policy = fastPolicy();
        policy.maxRetryAfterSeconds = 2;
        client.setRetryPolicy(policy);
        m_fake->throttleNext(1, 90);
        const auto response = send(client, "GET", u"/api/v2/flows"_s);
        QVERIFY(response);
        QCOMPARE(response->error.kind, GenesysError::Kind::RateLimited);
        QCOMPARE(response->httpStatus, 429);
        QVERIFY2(response->error.message.contains(u"try again in 90 s"_s),
                 qPrintable(response->error.message));
        QCOMPARE(m_fake->count("GET", u"/api/v2/flows"_s), 1);
    }

    void serverErrorsAreRetriedWithBackoff()
    {
        GenesysClient client(connection());
        client.setRetryPolicy(fastPolicy());
        m_fake->failNext("GET", u"/api/v2/flows"_s, 503, 2);
        const auto response = send(client, "GET", u"/api/v2/flows"_s);
        QVERIFY(response);
        QVERIFY2(response->ok(), qPrintable(response->error.message));
        QCOMPARE(m_fake->count("GET", u"/api/v2/flows"_s), 3);
    }

    void serverErrorRetriesAreBounded()
    {
        GenesysClient client(connection());
        GenesysRetryPolicy policy = fastPolicy();
        policy.maxRetries = 2;
        client.setRetryPolicy(policy);
        m_fake->failNext("GET", u"/api/v2/flows"_s, 500, 10);
        const auto response = send(client, "GET", u"/api/v2/flows"_s);
        QVERIFY(response);
        QCOMPARE(response->error.kind, GenesysError::Kind::Server);
        QVERIFY2(response->error.message.contains(u"server error 500"_s)
                     && response->error.message.contains(u"after 3 attempts"_s),
                 qPrintable(response->error.message));
        QVERIFY(!response->error.correlationId.isEmpty());
        QCOMPARE(m_fake->count("GET", u"/api/v2/flows"_s), 3);
    }

    void postIsNotRepeatedAfterAnAmbiguousServerError()
    {
        GenesysClient client(connection());
        client.setRetryPolicy(fastPolicy());
        m_fake->failNext("POST", u"/api/v2/integrations"_s, 500, 10);
        const auto response = send(client, "POST", u"/api/v2/integrations"_s,
                                   QJsonObject { { u"name"_s, u"x"_s } });
        QCOMPARE(response->error.kind, GenesysError::Kind::Server);
        QCOMPARE(m_fake->count("POST", u"/api/v2/integrations"_s), 1);
    }

    void forbiddenNamesThePermission()
    {
        GenesysClient client(connection());
        m_fake->failNext("GET", u"/api/v2/integrations"_s, 403);
        const auto response = send(client, "GET", u"/api/v2/integrations"_s);
        QCOMPARE(response->error.kind, GenesysError::Kind::Forbidden);
        QCOMPARE(response->error.code, u"missing.any.permissions"_s);
        QVERIFY2(response->error.message.contains(u"integrations:integration:*"_s),
                 qPrintable(response->error.message));
    }

    void badRequestShowsGenesysMessageAndField()
    {
        GenesysClient client(connection());
        const auto response = send(client, "POST", u"/api/v2/integrations"_s,
                                   QJsonObject { { u"name"_s, u"Redrive receiver"_s } });
        QCOMPARE(response->error.kind, GenesysError::Kind::BadRequest);
        QCOMPARE(response->httpStatus, 400);
        QVERIFY2(response->error.message.contains(u"integrationType.id is required"_s)
                     && response->error.message.contains(u"[field integrationType.id]"_s),
                 qPrintable(response->error.message));
    }

    void notFoundIsAnError()
    {
        GenesysClient client(connection());
        const auto response = send(client, "GET", u"/api/v2/integrations/does-not-exist"_s);
        QCOMPARE(response->error.kind, GenesysError::Kind::NotFound);
    }

    void callbackSkippedWhenContextIsGone()
    {
        GenesysClient client(connection());
        bool called = false;
        auto context = std::make_unique<QObject>();
        client.get(u"/api/v2/flows"_s, {}, context.get(),
                   [&called](const GenesysResponse &) { called = true; });
        context.reset();
        // A second request with a live context finishes after the first one was answered.
        QVERIFY(send(client, "GET", u"/api/v2/flows"_s)->ok());
        QTRY_COMPARE_WITH_TIMEOUT(m_fake->count("GET", u"/api/v2/flows"_s), 1, kWaitMs);
        QVERIFY(!called);
    }

    void secretsAndTokensAreNeverLogged()
    {
        g_messages.clear();
        const QtMessageHandler previous = qInstallMessageHandler(captureMessages);
        {
            GenesysClient client(connection());
            client.setRetryPolicy(fastPolicy());
            m_fake->failNext("GET", u"/api/v2/flows"_s, 503, 1);
            send(client, "GET", u"/api/v2/flows"_s);
            GenesysClient bad(connection(u"other-secret"_s));
            token(bad, true);
        }
        qInstallMessageHandler(previous);
        const QByteArray bearer = m_fake->requests().last().authorization;
        for (const QString &message : std::as_const(g_messages)) {
            QVERIFY(!message.contains(m_fake->clientSecret()));
            QVERIFY(!message.contains(u"other-secret"_s));
            QVERIFY(!message.contains(QString::fromLatin1(bearer.mid(7))));
        }
    }
};

QTEST_GUILESS_MAIN(TestGenesysClient)
#include "tst_genesysclient.moc"
