// SPDX-License-Identifier: MIT
#include "core/genesys/ngrokdiscovery.h"
#include "tests/support/fakengrokagent.h"

#include <QJsonArray>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

#include <optional>

using namespace Qt::StringLiterals;
using redrive::core::NgrokDiscovery;
using redrive::core::NgrokResult;
using redrive::core::NgrokWatcher;
using redrive::tests::FakeNgrokAgent;

namespace {

constexpr int kWaitMs = 30000; // an upper bound for "eventually", never a measured duration

QUrl closedPortUrl()
{
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    const quint16 port = probe.serverPort();
    probe.close();
    return QUrl(u"http://127.0.0.1:%1"_s.arg(port));
}

} // namespace

class TestNgrokDiscovery final : public QObject
{
    Q_OBJECT

private:
    static std::optional<NgrokResult> discover(const QUrl &api, quint16 port)
    {
        NgrokDiscovery discovery(api, port);
        std::optional<NgrokResult> result;
        QObject context;
        discovery.discover(&context, [&result](const NgrokResult &r) { result = r; });
        if (!QTest::qWaitFor([&result] { return result.has_value(); }, kWaitMs))
            return std::nullopt;
        return result;
    }

private Q_SLOTS:
    void upstreamPort_data()
    {
        QTest::addColumn<QString>("address");
        QTest::addColumn<int>("port");
        QTest::newRow("bare") << u"5000"_s << 5000;
        QTest::newRow("host:port") << u"localhost:5000"_s << 5000;
        QTest::newRow("ip:port") << u"127.0.0.1:5001"_s << 5001;
        QTest::newRow("url") << u"http://localhost:5000"_s << 5000;
        QTest::newRow("ipv6") << u"http://[::1]:8080"_s << 8080;
        QTest::newRow("https default") << u"https://localhost"_s << 443;
        QTest::newRow("http default") << u"http://localhost"_s << 80;
        QTest::newRow("garbage") << u"localhost"_s << -1;
    }

    void upstreamPort()
    {
        QFETCH(QString, address);
        QFETCH(int, port);
        QCOMPARE(NgrokDiscovery::upstreamPort(address), port);
    }

    void picksTheHttpsTunnelForThePort()
    {
        const QJsonObject document {
            { u"tunnels"_s,
              QJsonArray {
                  QJsonObject {
                      { u"public_url"_s, u"https://other.ngrok.app"_s },
                      { u"config"_s, QJsonObject { { u"addr"_s, u"http://localhost:8080"_s } } } },
                  QJsonObject {
                      { u"public_url"_s, u"http://plain.ngrok.app"_s },
                      { u"config"_s, QJsonObject { { u"addr"_s, u"http://localhost:5000"_s } } } },
                  QJsonObject { { u"name"_s, u"mine"_s },
                                { u"public_url"_s, u"https://mine.ngrok.app"_s },
                                { u"config"_s,
                                  QJsonObject { { u"addr"_s, u"http://localhost:5000"_s } } } } } }
        };
        QString hint;
        const auto tunnel = NgrokDiscovery::pickTunnel(document, 5000, &hint);
        QVERIFY(tunnel);
        QCOMPARE(tunnel->publicUrl, QUrl(u"https://mine.ngrok.app"_s));
        QCOMPARE(tunnel->name, u"mine"_s);
        QVERIFY(hint.isEmpty());

        QVERIFY(!NgrokDiscovery::pickTunnel(document, 5001, &hint));
        QVERIFY2(hint.contains(u"no tunnel forwards to port 5001"_s)
                     && hint.contains(u"ngrok http 5001"_s),
                 qPrintable(hint));
    }

    void httpOnlyTunnelGetsItsOwnHint()
    {
        const QJsonObject document {
            { u"tunnels"_s,
              QJsonArray { QJsonObject {
                  { u"public_url"_s, u"http://plain.ngrok.app"_s },
                  { u"config"_s, QJsonObject { { u"addr"_s, u"localhost:5000"_s } } } } } }
        };
        QString hint;
        QVERIFY(!NgrokDiscovery::pickTunnel(document, 5000, &hint));
        QVERIFY2(hint.contains(u"only over plain http"_s), qPrintable(hint));
    }

    void discoversFromTheAgent()
    {
        FakeNgrokAgent agent;
        QVERIFY(agent.start());
        agent.addTunnel(u"https://abc.ngrok.app"_s, u"http://localhost:5000"_s);
        const auto result = discover(agent.apiUrl(), 5000);
        QVERIFY(result);
        QVERIFY(result->agentRunning);
        QVERIFY2(result->tunnel, qPrintable(result->hint));
        QCOMPARE(result->tunnel->publicUrl, QUrl(u"https://abc.ngrok.app"_s));
    }

    void readsTheEndpointsForm()
    {
        FakeNgrokAgent agent;
        QVERIFY(agent.start());
        agent.setEndpointsOnly(true);
        agent.addTunnel(u"https://new.ngrok.app"_s, u"http://localhost:5000"_s);
        const auto result = discover(agent.apiUrl(), 5000);
        QVERIFY(result);
        QVERIFY2(result->tunnel, qPrintable(result->hint));
        QCOMPARE(result->tunnel->publicUrl, QUrl(u"https://new.ngrok.app"_s));
        QCOMPARE(agent.requestCount(), 2);
    }

    void noTunnelYet()
    {
        FakeNgrokAgent agent;
        QVERIFY(agent.start());
        const auto result = discover(agent.apiUrl(), 5000);
        QVERIFY(result && result->agentRunning && !result->tunnel);
        QVERIFY2(result->hint.contains(u"has no tunnel"_s), qPrintable(result->hint));
    }

    void ngrokNotRunning()
    {
        const auto result = discover(closedPortUrl(), 5000);
        QVERIFY(result);
        QVERIFY(!result->agentRunning);
        QVERIFY(!result->tunnel);
        QVERIFY2(result->hint.contains(u"ngrok is not running"_s)
                     && result->hint.contains(u"ngrok http 5000"_s),
                 qPrintable(result->hint));
    }

    void watcherReportsChangesOnly()
    {
        auto agent = std::make_unique<FakeNgrokAgent>();
        QVERIFY(agent->start());
        const QUrl api = agent->apiUrl();
        agent->addTunnel(u"https://first.ngrok.app"_s, u"localhost:5000"_s);
        // A long interval: the test drives the polls with checkNow().
        NgrokWatcher watcher(api, 5000, 3600 * 1000);
        QSignalSpy urls(&watcher, &NgrokWatcher::publicUrlChanged);
        QSignalSpy hints(&watcher, &NgrokWatcher::hintChanged);
        QSignalSpy checks(&watcher, &NgrokWatcher::checked);
        watcher.start();
        QVERIFY(watcher.isActive());
        QTRY_COMPARE_WITH_TIMEOUT(checks.size(), 1, kWaitMs);
        QCOMPARE(urls.size(), 1);
        QCOMPARE(urls.last().first().toUrl(), QUrl(u"https://first.ngrok.app"_s));

        watcher.checkNow(); // same tunnel: no signal
        QTRY_COMPARE_WITH_TIMEOUT(checks.size(), 2, kWaitMs);
        QCOMPARE(urls.size(), 1);

        agent->clearTunnels();
        agent->addTunnel(u"https://second.ngrok.app"_s, u"localhost:5000"_s);
        watcher.checkNow();
        QTRY_COMPARE_WITH_TIMEOUT(checks.size(), 3, kWaitMs);
        QCOMPARE(urls.size(), 2);
        QCOMPARE(watcher.publicUrl(), QUrl(u"https://second.ngrok.app"_s));

        agent.reset(); // ngrok stopped
        watcher.checkNow();
        QTRY_COMPARE_WITH_TIMEOUT(checks.size(), 4, kWaitMs);
        QCOMPARE(urls.size(), 3);
        QVERIFY(watcher.publicUrl().isEmpty());
        QCOMPARE(hints.size(), 1);
        QVERIFY(watcher.hint().contains(u"ngrok is not running"_s));

        watcher.checkNow(); // still not running: one hint, not a stream of them
        QTRY_COMPARE_WITH_TIMEOUT(checks.size(), 5, kWaitMs);
        QCOMPARE(hints.size(), 1);
        QCOMPARE(urls.size(), 3);
        watcher.stop();
        QVERIFY(!watcher.isActive());
    }
};

QTEST_GUILESS_MAIN(TestNgrokDiscovery)
#include "tst_ngrokdiscovery.moc"
