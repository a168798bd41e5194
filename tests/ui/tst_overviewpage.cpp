// SPDX-License-Identifier: MIT
// The Overview page on a real redis-server through the engine: the trend counters written by
// other processes and by this one's receiver on the chart and in the tiles, in the three
// ranges; the top failure groups of the dead-letter list and a click on one; the retry
// worker's next due entry; one column in a narrow window; the light and dark palettes.
#include "core/audit/auditrecord.h"
#include "core/engine/enginethread.h"
#include "core/queue/entrywriter.h"
#include "core/settings/memorycredentialstore.h"
#include "core/settings/settings.h"
#include "core/trends/trendseries.h"
#include "tests/support/redisserver.h"
#include "tests/support/testenv.h"
#include "ui/dialogs/prompts.h"
#include "ui/widgets/appearance.h"
#include "ui/widgets/groupspage.h"
#include "ui/widgets/mainwindow.h"
#include "ui/widgets/overviewpage.h"
#include "ui/widgets/receiverpanel.h"
#include "ui/widgets/trendchart.h"

#include <QApplication>
#include <QItemSelectionModel>
#include <QChart>
#include <QLabel>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QTreeWidget>
#include <QValueAxis>

using namespace redrive;
using core::SettingKey;
using core::TrendCounter;
using core::TrendKeys;
using core::TrendRange;

namespace {
const QByteArray Dlq = "genesys_webhook_dlq";
const QByteArray Prefix = "genesys_webhook_dlq:";

QByteArray entry(const QString &error, int status, int n, qint64 ageMs)
{
    core::EntryWriter::Fields fields;
    fields.payload = QStringLiteral("{\"topicName\":\"v2.users.%1.presence\",\"n\":%2}")
                         .arg(QStringLiteral("00000000-0000-4000-8000-%1")
                                  .arg(n, 12, 10, QLatin1Char('0')))
                         .arg(n)
                         .toUtf8();
    fields.payloadCompact = true;
    fields.errorMessage = error;
    fields.statusCode = status;
    fields.source = QStringLiteral("receiver");
    fields.id = QStringLiteral("e-%1").arg(n);
    fields.receivedAtMs = QDateTime::currentMSecsSinceEpoch() - ageMs;
    fields.nowMs = fields.receivedAtMs;
    return core::EntryWriter::write(fields);
}
} // namespace

class TestOverviewPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void init();
    void cleanup();
    void countersOfEveryProcessOnTheChart();
    void topGroupsAndTheWorker();
    void narrowWindowAndDarkPalette();

private:
    void openWindow();
    ui::OverviewPage *page() const { return m_window->overviewPage(); }

    tests::RedisServer m_redis;
    QTemporaryDir m_dir;
    std::unique_ptr<core::Settings> m_settings;
    std::unique_ptr<core::MemoryCredentialStore> m_credentials;
    std::unique_ptr<core::EngineThread> m_engine;
    std::unique_ptr<ui::MainWindow> m_window;
};

void TestOverviewPage::initTestCase()
{
    ui::appearance::installTranslations();
    QVERIFY2(m_redis.start(), qPrintable(m_redis.errorString()));
}

void TestOverviewPage::init()
{
    m_redis.flushAll();
    ui::Prompts::setTestMode(true);
    m_settings = std::make_unique<core::Settings>(m_dir.filePath(QStringLiteral("redrive.ini")));
    QVERIFY(m_settings->setValue(SettingKey::RedisUrl, m_redis.url()));
    QVERIFY(m_settings->setValue(SettingKey::ReceiverEnabled, true));
    QVERIFY(m_settings->setValue(SettingKey::ListenAddress, QStringLiteral("127.0.0.1:0")));
    QVERIFY(m_settings->setValue(SettingKey::WorkerEnabled, false));
    QVERIFY(m_settings->setValue(SettingKey::NgrokApiUrl, QStringLiteral("http://127.0.0.1:9")));
    m_credentials = std::make_unique<core::MemoryCredentialStore>();
}

void TestOverviewPage::cleanup()
{
    m_window.reset();
    m_engine.reset();
    ui::Prompts::setTestMode(false);
    ui::appearance::applyTheme(ui::appearance::Theme::System);
}

void TestOverviewPage::openWindow()
{
    m_engine = std::make_unique<core::EngineThread>(core::EngineConfig::fromSettings(*m_settings));
    QSignalSpy started(m_engine.get(), &core::EngineThread::started);
    m_engine->start({}, true);
    QVERIFY(started.wait(30000));
    QVERIFY2(started.constFirst().at(0).toBool(),
             qPrintable(started.constFirst().at(1).toString()));
    QTRY_VERIFY_WITH_TIMEOUT(m_engine->status().redis == core::EngineStatus::Redis::Ready, 30000);
    m_window = std::make_unique<ui::MainWindow>(*m_engine, *m_settings, *m_credentials);
    m_window->resize(1300, 850);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QCOMPARE(m_window->currentPage(), ui::MainWindow::Page::Overview);
}

void TestOverviewPage::countersOfEveryProcessOnTheChart()
{
    // Another process counted 42 deliveries two minutes ago (and sampled the DLQ at 17).
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 then = now - now % TrendKeys::MinuteMs - 2 * TrendKeys::MinuteMs;
    core::QueueKeys keys;
    const QByteArray minuteKey = TrendKeys::minuteKey(keys, then);
    QVERIFY(minuteKey.startsWith(Prefix));
    const int minute = int((then / TrendKeys::MinuteMs) % 60);
    const int hour = int((then / TrendKeys::HourMs) % 24);
    m_redis.command({ "HSET", minuteKey, "received:" + QByteArray::number(minute), "42",
                      "deferred:" + QByteArray::number(minute), "5",
                      "dlq_length:" + QByteArray::number(minute), "17" });
    m_redis.command({ "HSET", TrendKeys::hourKey(keys, then),
                      "received:" + QByteArray::number(hour), "42",
                      "deferred:" + QByteArray::number(hour), "5" });
    openWindow();
    ui::OverviewPage *overview = page();
    QTRY_COMPARE_WITH_TIMEOUT(overview->totalLabel(TrendCounter::Received)->text(),
                              QStringLiteral("42"), 30000);
    QCOMPARE(overview->totalLabel(TrendCounter::Deferred)->text(), QStringLiteral("5"));
    // On the chart: the point of that minute.
    const QList<QPointF> received = overview->deliveriesChart()->points(int(TrendCounter::Received));
    QCOMPARE(received.size(), 60);
    bool found = false;
    for (const QPointF &point : received) {
        if (qint64(point.x()) == then) {
            QCOMPARE(point.y(), 42.0);
            found = true;
        }
    }
    QVERIFY(found);
    QVERIFY(overview->deliveriesChart()->valueAxis()->max() >= 42);
    // The DLQ's length sampled by that process (and by this one since it started).
    bool sampled = false;
    for (const QPointF &point : overview->queueChart()->points(0)) {
        if (qint64(point.x()) == then) {
            QCOMPARE(point.y(), 17.0);
            sampled = true;
        }
    }
    QVERIFY(sampled);

    // A delivery to this process' receiver lands in Redis and on the page.
    const QUrl url(m_engine->status().receiverUrl);
    QNetworkAccessManager network;
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QStringLiteral("application/json"));
    std::unique_ptr<QNetworkReply> reply(network.post(request, tests::sampleNotification()));
    QTRY_VERIFY_WITH_TIMEOUT(reply->isFinished(), 30000);
    QVERIFY2(reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 200,
             reply->readAll().constData());
    overview->refresh();
    QTRY_COMPARE_WITH_TIMEOUT(
        (overview->refresh(), overview->totalLabel(TrendCounter::Received)->text()),
        QStringLiteral("43"), 30000);
    QTRY_COMPARE_WITH_TIMEOUT(
        (overview->refresh(), overview->totalLabel(TrendCounter::Forwarded)->text()),
        QStringLiteral("1"), 30000);

    // The range switch: 24 hours in 15-minute buckets, 7 days in hours, the same totals.
    QSignalSpy shown(overview, &ui::OverviewPage::trendsShown);
    QTest::mouseClick(overview->rangeButton(TrendRange::Day), Qt::LeftButton);
    QCOMPARE(overview->range(), TrendRange::Day);
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && overview->series().range == TrendRange::Day,
                             30000);
    QCOMPARE(overview->deliveriesChart()->points(0).size(), 96);
    QCOMPARE(overview->totalLabel(TrendCounter::Received)->text(), QStringLiteral("43"));
    QCOMPARE(overview->deliveriesChart()->unitText(), QStringLiteral("per 15 minutes"));
    shown.clear();
    QTest::mouseClick(overview->rangeButton(TrendRange::Week), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!shown.isEmpty() && overview->series().range == TrendRange::Week,
                             30000);
    QCOMPARE(overview->deliveriesChart()->points(0).size(), 168);
    QCOMPARE(overview->totalLabel(TrendCounter::Received)->text(), QStringLiteral("43"));
    QVERIFY(overview->rangeButton(TrendRange::Week)->isChecked());
    QVERIFY(!overview->rangeButton(TrendRange::Hour)->isChecked());

    // Redis goes away: the page says so and keeps the last reading; nothing blocks.
    m_redis.stop();
    QTRY_VERIFY_WITH_TIMEOUT((overview->refresh(), overview->trendProblemLabel()->isVisible()),
                             30000);
    QCOMPARE(overview->totalLabel(TrendCounter::Received)->text(), QStringLiteral("43"));
    QVERIFY(m_redis.start());
}

void TestOverviewPage::topGroupsAndTheWorker()
{
    // 30 timeouts to the billing host, 12 HTTP 503 from the CRM, one entry due in a minute.
    for (int i = 0; i < 30; ++i)
        m_redis.lpush(Dlq, entry(QStringLiteral("downstream timed out after 5000 ms"), 504, i,
                                 i * 60000));
    QList<QByteArray> crm;
    for (int i = 0; i < 12; ++i) {
        crm.append(entry(QStringLiteral("downstream answered 503"), 503, 100 + i,
                         i * 60000));
        m_redis.lpush(Dlq, crm.last());
    }
    const qint64 due = QDateTime::currentMSecsSinceEpoch() + 90000;
    // Every DLQ entry scheduled (none due now), the CRM's first one next.
    qint64 later = due + 60000;
    for (const QByteArray &raw : m_redis.lrange(Dlq))
        m_redis.command({ "ZADD", Prefix + "schedule", QByteArray::number(later++), raw });
    m_redis.command({ "ZADD", Prefix + "schedule", QByteArray::number(due), crm.first() });
    openWindow();
    ui::OverviewPage *overview = page();
    QTreeWidget *groups = overview->groupsList();
    QTRY_COMPARE_WITH_TIMEOUT(groups->topLevelItemCount(), 2, 30000);
    QVERIFY2(groups->topLevelItem(0)->text(0).startsWith(QStringLiteral("Timeout")),
             qPrintable(groups->topLevelItem(0)->text(0)));
    QCOMPARE(groups->topLevelItem(0)->text(1), QStringLiteral("30"));
    QCOMPARE(groups->topLevelItem(1)->text(1), QStringLiteral("12"));
    QVERIFY(groups->topLevelItem(1)->text(0).contains(QStringLiteral("503")));
    QCOMPARE(groups->topLevelItem(0)->toolTip(3),
             QStringLiteral("30 arrivals in the last 24 hours")); // the English plural form

    // New failures arrive: the groups follow by themselves. (A write in the first moments,
    // before the console's watcher took its first reading of the list, goes unnoticed until
    // the next one: push until the engine announces a change.)
    QSignalSpy changes(m_engine.get(), &core::EngineThread::queueChanged);
    int pushed = 0;
    QTRY_VERIFY_WITH_TIMEOUT(([&] {
                                 if (changes.isEmpty() && pushed < 100)
                                     m_redis.lpush(Dlq, entry(QStringLiteral("downstream answered 503"),
                                                              503, 200 + pushed++, 0));
                                 return !changes.isEmpty();
                             }()),
                             30000);
    const auto countOf = [groups](const QString &part) {
        for (int row = 0; row < groups->topLevelItemCount(); ++row) {
            if (groups->topLevelItem(row)->text(0).contains(part))
                return groups->topLevelItem(row)->text(1);
        }
        return QString();
    };
    QTRY_COMPARE_WITH_TIMEOUT(countOf(QStringLiteral("503")), QString::number(12 + pushed), 30000);
    QCOMPARE(countOf(QStringLiteral("Timeout")), QStringLiteral("30"));

    // The worker's box: nothing due now, the CRM entry next.
    QTRY_VERIFY_WITH_TIMEOUT(
        (overview->refresh(), overview->nextDueLabel()->text().contains(QStringLiteral("e-100"))),
        30000);
    QVERIFY2(overview->nextDueLabel()->text().contains(QStringLiteral("in 1 min")),
             qPrintable(overview->nextDueLabel()->text()));
    QCOMPARE(overview->workerOverview().scheduled, 42);
    QTRY_COMPARE_WITH_TIMEOUT((overview->refresh(), overview->workerOverview().dueNow()),
                              qint64(pushed), 30000);
    QVERIFY2(overview->workerLabel()->text().contains(QStringLiteral("not running here")),
             qPrintable(overview->workerLabel()->text()));

    // A click on a group opens that group on the Groups page (counted there when first
    // shown: selected when its count comes). The second row, not the first the page would
    // select by itself.
    QSignalSpy activated(overview, &ui::OverviewPage::groupActivated);
    const QString groupId = groups->topLevelItem(1)->data(0, Qt::UserRole + 2).toString();
    QCOMPARE(groupId.size(), 12);
    const QRect rect = groups->visualItemRect(groups->topLevelItem(1));
    QTest::mouseClick(groups->viewport(), Qt::LeftButton, {}, rect.center());
    QCOMPARE(activated.size(), 1);
    QCOMPARE(activated.constFirst().constFirst().toString(), groupId);
    QCOMPARE(m_window->currentPage(), ui::MainWindow::Page::Groups);
    ui::GroupsPage *groupsPage = m_window->groupsPage();
    QCOMPARE(groupsPage->list(), ui::QueueList::DeadLetters);
    QTRY_COMPARE_WITH_TIMEOUT(groupsPage->currentGroupId(), groupId, 30000);
    QCOMPARE(groupsPage->table()->selectionModel()->selectedRows().size(), 1);
    // Back on the Overview, the first group: the page, already counted, selects it at once.
    m_window->showPage(ui::MainWindow::Page::Overview);
    const QString firstId = groups->topLevelItem(0)->data(0, Qt::UserRole + 2).toString();
    QVERIFY(firstId != groupId);
    const QRect first = groups->visualItemRect(groups->topLevelItem(0));
    QTest::mouseClick(groups->viewport(), Qt::LeftButton, {}, first.center());
    QCOMPARE(m_window->currentPage(), ui::MainWindow::Page::Groups);
    QCOMPARE(groupsPage->currentGroupId(), firstId);
}

void TestOverviewPage::narrowWindowAndDarkPalette()
{
    // The audit trail recorded a registration, then a retry: the registration is shown.
    core::AuditRecord registration;
    registration.atMs = QDateTime::currentMSecsSinceEpoch() - 2 * 3600 * 1000;
    registration.user = QStringLiteral("alice");
    registration.host = QStringLiteral("desk");
    registration.action = core::AuditAction::Register;
    registration.detail = QStringLiteral("https://example.ngrok.app/webhook/genesys");
    m_redis.command(QList<QByteArray> { "XADD", Prefix + "audit", "*" }
                    + registration.toStreamFields());
    core::AuditRecord retry = registration;
    retry.action = core::AuditAction::Retry;
    retry.detail.clear();
    m_redis.command(QList<QByteArray> { "XADD", Prefix + "audit", "*" } + retry.toStreamFields());
    openWindow();
    ui::OverviewPage *overview = page();
    QTRY_VERIFY_WITH_TIMEOUT(overview->receiverPanel()->registrationLabel()->text().startsWith(
                                 QStringLiteral("registered https://example.ngrok.app/webhook/"
                                                "genesys · by alice@desk, 2 h")),
                             30000);
    QVERIFY(!overview->isNarrow());
    // Charts beside the receiver's column in a wide window...
    QVERIFY(overview->receiverPanel()->mapTo(overview, QPoint(0, 0)).x()
            > overview->deliveriesChart()->mapTo(overview, QPoint(0, 0)).x());
    // ... one column in a narrow one, and still nothing wider than the page.
    m_window->resize(640, 480);
    QTRY_VERIFY(overview->isNarrow());
    QTRY_VERIFY(overview->receiverPanel()->mapTo(overview, QPoint(0, 0)).y()
                > overview->deliveriesChart()->mapTo(overview, QPoint(0, 0)).y());
    QTRY_VERIFY(overview->deliveriesChart()->width() <= overview->width());

    // The charts take the palette's colours: dark base behind them in the dark theme.
    m_window->setTheme(QStringLiteral("dark"));
    QTRY_COMPARE(overview->deliveriesChart()->chart()->backgroundBrush().color(),
                 overview->deliveriesChart()->palette().color(QPalette::Base));
    QTRY_VERIFY(overview->deliveriesChart()->chart()->backgroundBrush().color().lightness() < 100);
    m_window->setTheme(QStringLiteral("light"));
    QTRY_VERIFY(overview->deliveriesChart()->chart()->backgroundBrush().color().lightness() > 200);
}

QTEST_MAIN(TestOverviewPage)
#include "tst_overviewpage.moc"
