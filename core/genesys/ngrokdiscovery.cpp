// SPDX-License-Identifier: MIT
#include "core/genesys/ngrokdiscovery.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QStringList>

namespace redrive::core {

namespace {

// One tunnel or endpoint in a common shape.
struct Candidate
{
    QString name;
    QString publicUrl;
    QString forwardTo;
};

QList<Candidate> candidates(const QJsonObject &document)
{
    QList<Candidate> list;
    // Classic form: {"tunnels":[{"name","public_url","proto","config":{"addr"}}]}.
    for (const QJsonValue &value : document.value(QLatin1String("tunnels")).toArray()) {
        const QJsonObject tunnel = value.toObject();
        list.append({ tunnel.value(QLatin1String("name")).toString(),
                      tunnel.value(QLatin1String("public_url")).toString(),
                      tunnel.value(QLatin1String("config"))
                          .toObject()
                          .value(QLatin1String("addr"))
                          .toString() });
    }
    // Newer form: {"endpoints":[{"name","url","upstream":{"url"}}]}.
    for (const QJsonValue &value : document.value(QLatin1String("endpoints")).toArray()) {
        const QJsonObject endpoint = value.toObject();
        list.append({ endpoint.value(QLatin1String("name")).toString(),
                      endpoint.value(QLatin1String("url")).toString(),
                      endpoint.value(QLatin1String("upstream"))
                          .toObject()
                          .value(QLatin1String("url"))
                          .toString() });
    }
    return list;
}

QString startHint(quint16 port)
{
    return QStringLiteral("Start it with: ngrok http %1").arg(port);
}

} // namespace

NgrokDiscovery::NgrokDiscovery(const QUrl &apiUrl, quint16 receiverPort, QObject *parent)
    : QObject(parent)
    , m_apiUrl(apiUrl)
    , m_port(receiverPort)
    , m_network(std::make_unique<QNetworkAccessManager>())
{ }

NgrokDiscovery::~NgrokDiscovery() = default;

int NgrokDiscovery::upstreamPort(const QString &address)
{
    const QString text = address.trimmed();
    bool ok = false;
    const int bare = text.toInt(&ok);
    if (ok)
        return bare;
    const QUrl url
        = text.contains(QLatin1String("://")) ? QUrl(text) : QUrl(QStringLiteral("tcp://") + text);
    if (!url.isValid())
        return -1;
    if (url.port() > 0)
        return url.port();
    if (url.scheme() == QLatin1String("http"))
        return 80;
    if (url.scheme() == QLatin1String("https"))
        return 443;
    return -1;
}

std::optional<NgrokTunnel> NgrokDiscovery::pickTunnel(const QJsonObject &document, quint16 port,
                                                      QString *hint)
{
    const QList<Candidate> all = candidates(document);
    QStringList seen;
    bool httpOnly = false;
    for (const Candidate &candidate : all) {
        seen.append(QStringLiteral("%1 -> %2").arg(candidate.publicUrl, candidate.forwardTo));
        if (upstreamPort(candidate.forwardTo) != port)
            continue;
        const QUrl url(candidate.publicUrl);
        if (url.scheme() != QLatin1String("https")) {
            httpOnly = httpOnly || url.scheme() == QLatin1String("http");
            continue;
        }
        if (hint)
            hint->clear();
        return NgrokTunnel { url, candidate.name, candidate.forwardTo };
    }
    if (hint) {
        if (all.isEmpty())
            *hint = QStringLiteral("ngrok is running but has no tunnel. %1").arg(startHint(port));
        else if (httpOnly)
            *hint = QStringLiteral("ngrok forwards port %1 only over plain http; Genesys Cloud "
                                   "needs https. %2")
                        .arg(port)
                        .arg(startHint(port));
        else
            *hint = QStringLiteral("ngrok is running but no tunnel forwards to port %1 (it has: "
                                   "%2). %3")
                        .arg(port)
                        .arg(seen.join(QStringLiteral(", ")), startHint(port));
    }
    return std::nullopt;
}

void NgrokDiscovery::discover(QObject *context, Callback callback)
{
    query(QStringLiteral("/api/tunnels"), context, std::move(callback), true);
}

void NgrokDiscovery::query(const QString &path, QObject *context, Callback callback, bool fallback)
{
    QUrl url = m_apiUrl;
    QString base = url.path();
    while (base.endsWith(QLatin1Char('/')))
        base.chop(1);
    url.setPath(base + path);
    QNetworkRequest request(url);
    request.setRawHeader("Accept", "application/json");
    request.setTransferTimeout(5000);
    QNetworkReply *reply = m_network->get(request);
    QPointer<QObject> guard(context);
    const bool hadContext = context != nullptr;
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, guard, hadContext, callback, fallback] {
                reply->deleteLater();
                if (hadContext && !guard)
                    return;
                const int status
                    = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
                NgrokResult result;
                if (status == 0) {
                    result.hint = QStringLiteral("ngrok is not running (nothing answers at %1). %2")
                                      .arg(m_apiUrl.toString(), startHint(m_port));
                    callback(result);
                    return;
                }
                result.agentRunning = true;
                const QJsonObject document = QJsonDocument::fromJson(reply->readAll()).object();
                const bool classic = status == 200 && document.contains(QLatin1String("tunnels"));
                if (fallback && !classic) {
                    // Agents that dropped /api/tunnels answer 404 there: read /api/endpoints.
                    query(QStringLiteral("/api/endpoints"), guard.data(), callback, false);
                    return;
                }
                if (status != 200) {
                    result.hint = QStringLiteral("The ngrok agent at %1 answered HTTP %2; is that "
                                                 "really ngrok's web interface address?")
                                      .arg(m_apiUrl.toString())
                                      .arg(status);
                    callback(result);
                    return;
                }
                result.tunnel = pickTunnel(document, m_port, &result.hint);
                callback(result);
            });
}

NgrokWatcher::NgrokWatcher(const QUrl &apiUrl, quint16 receiverPort, int intervalMs,
                           QObject *parent)
    : QObject(parent)
    , m_discovery(apiUrl, receiverPort)
{
    m_timer.setInterval(intervalMs);
    connect(&m_timer, &QTimer::timeout, this, &NgrokWatcher::checkNow);
}

NgrokWatcher::~NgrokWatcher() = default;

void NgrokWatcher::start()
{
    m_timer.start();
    checkNow();
}

void NgrokWatcher::stop()
{
    m_timer.stop();
}

void NgrokWatcher::checkNow()
{
    if (m_busy)
        return; // a slow agent must not pile up requests
    m_busy = true;
    m_discovery.discover(this, [this](const NgrokResult &result) {
        m_busy = false;
        const QUrl url = result.tunnel ? result.tunnel->publicUrl : QUrl();
        if (url != m_url) {
            m_url = url;
            Q_EMIT publicUrlChanged(m_url);
        }
        if (result.hint != m_hint) {
            m_hint = result.hint;
            Q_EMIT hintChanged(m_hint);
        }
        Q_EMIT checked();
    });
}

} // namespace redrive::core
