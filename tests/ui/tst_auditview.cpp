// SPDX-License-Identifier: MIT
// The Audit page on a real redis-server through the engine (on its own thread): what the
// console does shows up by itself with client "console", newest first; paging (Load more),
// search, the detail of an edit (payload before and after as JSON), and the JSON Lines export.
#include "core/audit/auditlog.h"
#include "core/engine/enginethread.h"
#include "core/queue/queuekeys.h"
#include "core/redis/redisconnection.h"
#include "core/settings/memorycredentialstore.h"
#include "core/settings/settings.h"
#include "tests/support/redisserver.h"
#include "ui/dialogs/prompts.h"
#include "ui/models/auditbackend.h"
#include "ui/models/audittablemodel.h"
#include "ui/models/queuebackend.h"
#include "ui/widgets/appearance.h"
#include "ui/widgets/auditview.h"
#include "ui/widgets/iconprovider.h"
#include "ui/widgets/mainwindow.h"

#include <QAbstractItemModelTester>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenu>
#include <QMenuBar>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace redrive;
using core::SettingKey;
using ui::AuditTableModel;

namespace {

constexpr int WaitMs = 30000;
const QByteArray Dlq = "genesys_webhook_dlq";

QByteArray entryText(int n)
{
    return QByteArrayLiteral("{\"original_payload\":{\"n\":") + QByteArray::number(n)
        + QByteArrayLiteral("},\"error_message\":\"HTTP 503\",\"status_code\":503,"
                            "\"timestamp\":\"2026-01-01T00:00:00\",\"retry_count\":0,\"id\":\"e-")
        + QByteArray::number(n) + QByteArrayLiteral("\"}");
}

} // namespace

class TestAuditView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase()
    {
        ui::appearance::installTranslations(); // as the application does (plural forms)
        QVERIFY2(m_redis.start(), qPrintable(m_redis.errorString()));
    }
    void init();
    void cleanup();
    void consoleActionsShowUpNewestFirst();
    void pagesSearchesAndExports();
    void everyPageHasItsShortcutAndMenuEntry();

private:
    void openWindow();
    ui::AuditView *view() const { return m_window->auditView(); }
    // Writes `n` records from "another process" (its own connection and log).
    void writeElsewhere(int n);

    tests::RedisServer m_redis;
    QTemporaryDir m_dir;
    std::unique_ptr<core::Settings> m_settings;
    std::unique_ptr<core::MemoryCredentialStore> m_credentials;
    std::unique_ptr<core::EngineThread> m_engine;
    std::unique_ptr<ui::MainWindow> m_window;
};

void TestAuditView::init()
{
    m_redis.flushAll();
    ui::Prompts::setTestMode(true);
    m_settings = std::make_unique<core::Settings>(m_dir.filePath(QStringLiteral("redrive.ini")));
    QVERIFY(m_settings->setValue(SettingKey::RedisUrl, m_redis.url()));
    QVERIFY(m_settings->setValue(SettingKey::ReceiverEnabled, false));
    QVERIFY(m_settings->setValue(SettingKey::WorkerEnabled, false));
    QVERIFY(m_settings->setValue(SettingKey::AdminListenAddress, QStringLiteral("127.0.0.1:0")));
    m_credentials = std::make_unique<core::MemoryCredentialStore>();
}

void TestAuditView::cleanup()
{
    m_window.reset();
    m_engine.reset();
    ui::Prompts::setTestMode(false);
}

void TestAuditView::openWindow()
{
    m_engine = std::make_unique<core::EngineThread>(core::EngineConfig::fromSettings(*m_settings));
    QSignalSpy started(m_engine.get(), &core::EngineThread::started);
    m_engine->start({}, true);
    QVERIFY(started.wait(WaitMs));
    QVERIFY2(started.constFirst().at(0).toBool(),
             qPrintable(started.constFirst().at(1).toString()));
    QTRY_VERIFY_WITH_TIMEOUT(m_engine->status().redis == core::EngineStatus::Redis::Ready, WaitMs);
    m_window = std::make_unique<ui::MainWindow>(*m_engine, *m_settings, *m_credentials);
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QVERIFY(view());
    QCOMPARE(m_window->sidebar()->item(int(ui::MainWindow::Page::Audit))->text(),
             QStringLiteral("Audit"));
}

void TestAuditView::writeElsewhere(int n)
{
    core::RedisEndpoint endpoint;
    QString error;
    QVERIFY(core::RedisEndpoint::parse(m_redis.url(), &endpoint, &error));
    core::RedisConnection connection(endpoint, QStringLiteral("test"));
    connection.open();
    QTRY_VERIFY_WITH_TIMEOUT(connection.isReady(), WaitMs);
    core::AuditLog log(&connection, core::QueueKeys().audit());
    log.setIdentity({ QStringLiteral("bob"), QStringLiteral("ops-9") });
    log.setClient(QStringLiteral("cli"));
    for (int i = 0; i < n; ++i) {
        core::AuditRecord record;
        record.action = core::AuditAction::Delete;
        record.scope = core::AuditScope::Group;
        record.list = QString::fromUtf8(Dlq);
        record.group = i == 7 ? QStringLiteral("g-needle") : QStringLiteral("g-%1").arg(i);
        record.count = i;
        log.record(record);
    }
    QTRY_COMPARE_WITH_TIMEOUT(log.pendingCount(), 0, WaitMs);
}

void TestAuditView::consoleActionsShowUpNewestFirst()
{
    for (int i = 0; i < 3; ++i)
        m_redis.lpush(Dlq, entryText(i));
    openWindow();
    m_window->showPage(ui::MainWindow::Page::Audit);
    AuditTableModel *model = view()->model();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QTRY_VERIFY_WITH_TIMEOUT(!model->isLoading(), WaitMs);
    QCOMPARE(model->rowCount(), 0);

    // The console retries one entry, then edits another: both appear by themselves, on top.
    ui::QueueBackend *queue = m_window->backend();
    std::optional<ui::QueueResult> result;
    queue->apply(ui::QueueBackend::BulkAction::Retry, ui::QueueList::DeadLetters, { entryText(0) },
                 this, [&](const ui::QueueResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), WaitMs);
    QVERIFY2(result->error.isEmpty(), qPrintable(result->error));
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 1, WaitMs);
    result.reset();
    queue->edit(ui::QueueList::DeadLetters, entryText(1), "{\"n\":1,\"fixed\":true}", this,
                [&](const ui::QueueResult &r) { result = r; });
    QTRY_VERIFY_WITH_TIMEOUT(result.has_value(), WaitMs);
    QVERIFY2(result->error.isEmpty(), qPrintable(result->error));
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 2, WaitMs);

    const core::AuditRecord edit = model->record(0);
    QCOMPARE(edit.action, core::AuditAction::Edit);
    QCOMPARE(edit.client, QStringLiteral("console"));
    QCOMPARE(edit.user, core::AuditIdentity::local().user);
    QCOMPARE(edit.ids, QStringList { QStringLiteral("e-1") });
    QCOMPARE(model->record(1).action, core::AuditAction::Retry);
    QCOMPARE(AuditTableModel::text(model->record(1), AuditTableModel::Action),
             QStringLiteral("retry"));
    QCOMPARE(AuditTableModel::text(model->record(1), AuditTableModel::List),
             QString::fromUtf8(Dlq));
    QCOMPARE(AuditTableModel::text(model->record(1), AuditTableModel::Count), QStringLiteral("1"));
    QCOMPARE(AuditTableModel::text(model->record(1), AuditTableModel::Client),
             QStringLiteral("console"));

    // The detail of the edit: the payloads as JSON, before and after.
    view()->table()->setCurrentIndex(model->index(0, 0));
    const QString detail = view()->detail()->toPlainText();
    QVERIFY2(detail.startsWith(QLatin1String("Payload before:\n{\n    \"n\": 1\n}")),
             qPrintable(detail));
    QVERIFY2(detail.contains(QLatin1String("\"fixed\": true")), qPrintable(detail));
    QVERIFY(detail.contains(QLatin1String("\"action\": \"edit\"")));
}

void TestAuditView::pagesSearchesAndExports()
{
    writeElsewhere(AuditTableModel::PageSize + 50);
    openWindow();
    m_window->showPage(ui::MainWindow::Page::Audit);
    AuditTableModel *model = view()->model();
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), AuditTableModel::PageSize, WaitMs);
    QCOMPARE(model->record(0).count, qint64(AuditTableModel::PageSize + 49)); // newest first
    QCOMPARE(AuditTableModel::text(model->record(0), AuditTableModel::Who), QStringLiteral("bob"));
    QCOMPARE(AuditTableModel::text(model->record(0), AuditTableModel::Host),
             QStringLiteral("ops-9"));
    QVERIFY(view()->loadMoreButton()->isEnabled());
    QTest::mouseClick(view()->loadMoreButton(), Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), AuditTableModel::PageSize + 50, WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!view()->loadMoreButton()->isEnabled(), WaitMs);
    QCOMPARE(model->record(model->rowCount() - 1).count, 0LL);

    // Search: the one group with the needle.
    QTest::keyClicks(view()->searchEdit(), QStringLiteral("g-needle"));
    QTest::keyClick(view()->searchEdit(), Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), 1, WaitMs);
    QTRY_VERIFY_WITH_TIMEOUT(!model->isLoading(), WaitMs);
    QCOMPARE(model->record(0).group, QStringLiteral("g-needle"));
    QCOMPARE(AuditTableModel::text(model->record(0), AuditTableModel::FilterOrGroup),
             QStringLiteral("group g-needle"));

    // Export of what matches, then of everything: JSON Lines, oldest first.
    const QString path = m_dir.filePath(QStringLiteral("audit.jsonl"));
    QSignalSpy message(view(), &ui::AuditView::message);
    view()->exportTo(path);
    QTRY_COMPARE_WITH_TIMEOUT(message.size(), 1, WaitMs);
    QVERIFY2(message.constFirst().constFirst().toString().startsWith(
                 QLatin1String("1 audit record exported to")),
             qPrintable(message.constFirst().constFirst().toString()));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    QList<QByteArray> lines = file.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 1);
    QCOMPARE(QJsonDocument::fromJson(lines.first()).object().value(QLatin1String("group")),
             QJsonValue(QStringLiteral("g-needle")));
    file.close();

    view()->searchEdit()->clear();
    QTest::keyClick(view()->searchEdit(), Qt::Key_Return);
    QTRY_COMPARE_WITH_TIMEOUT(model->rowCount(), AuditTableModel::PageSize, WaitMs);
    view()->exportTo(path);
    QTRY_COMPARE_WITH_TIMEOUT(message.size(), 2, WaitMs);
    QVERIFY(file.open(QIODevice::ReadOnly));
    lines = file.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), AuditTableModel::PageSize + 50);
    QCOMPARE(QJsonDocument::fromJson(lines.first()).object().value(QLatin1String("count")),
             QJsonValue(0));
    QCOMPARE(QJsonDocument::fromJson(lines.last()).object().value(QLatin1String("client")),
             QJsonValue(QStringLiteral("cli")));

    // A directory cannot be written to: said, nothing half-written.
    view()->exportTo(m_dir.path());
    QTRY_COMPARE_WITH_TIMEOUT(message.size(), 3, WaitMs);
    QVERIFY(message.at(2).constFirst().toString().startsWith(QLatin1String("Could not write")));
}

void TestAuditView::everyPageHasItsShortcutAndMenuEntry()
{
    using Page = ui::MainWindow::Page;
    openWindow();
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    // The View menu lists the pages in the sidebar's order, the n-th with Alt+n.
    QMenu *viewMenu = nullptr;
    for (QAction *menu : m_window->menuBar()->actions()) {
        if (menu->text() == QLatin1String("&View"))
            viewMenu = menu->menu();
    }
    QVERIFY(viewMenu);
    const int pages = int(Page::Audit) + 1;
    QCOMPARE(m_window->sidebar()->count(), pages);
    for (int i = 0; i < pages; ++i) {
        const auto page = Page(i);
        QAction *action = m_window->pageAction(page);
        QVERIFY2(action, qPrintable(QString::number(i)));
        QCOMPARE(viewMenu->actions().value(i), action);
        QCOMPARE(action->shortcut(), QKeySequence(Qt::ALT | Qt::Key(Qt::Key_1 + i)));
        QVERIFY(!m_window->sidebar()->item(i)->icon().isNull());
    }
    // Each page by its key, from the page before it (Alt+1 from the last)...
    for (int i = 0; i < pages; ++i) {
        m_window->showPage(Page((i + pages - 1) % pages));
        QTest::keyClick(m_window.get(), Qt::Key(Qt::Key_1 + i), Qt::AltModifier);
        QCOMPARE(int(m_window->currentPage()), i);
        QCOMPARE(m_window->sidebar()->currentRow(), i);
    }
    // ... and by its menu entry.
    for (int i = pages - 1; i >= 0; --i) {
        m_window->showPage(Page((i + 1) % pages));
        m_window->pageAction(Page(i))->trigger();
        QCOMPARE(int(m_window->currentPage()), i);
    }
    QCOMPARE(m_window->pageAction(Page::Audit)->text(), QStringLiteral("&Audit trail"));
    // The audit trail has an icon of its own, not the Edit action's pencil.
    const QImage audit = m_window->sidebar()->item(int(Page::Audit))->icon().pixmap(16).toImage();
    const QImage edit
        = ui::IconProvider::icon(ui::IconProvider::Icon::Edit, m_window->palette()).pixmap(16).toImage();
    QVERIFY(audit != edit);
}

QTEST_MAIN(TestAuditView)
#include "tst_auditview.moc"
