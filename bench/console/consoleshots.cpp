// SPDX-License-Identifier: MIT
// Fills a private Redis with realistic entries, opens the console on it and saves screenshots
// of the main views (docs/make-screenshots.sh runs it under xvfb-run).
#include "core/engine/enginethread.h"
#include "core/queue/deadletterentry.h"
#include "core/settings/memorycredentialstore.h"
#include "core/settings/settings.h"
#include "tests/support/redisserver.h"
#include "tests/support/testenv.h"
#include "tests/ui/queuefill.h"
#include "ui/dialogs/editentrydialog.h"
#include "ui/dialogs/settingsdialog.h"
#include "ui/models/queuetablemodel.h"
#include "ui/widgets/livedeliveriesview.h"
#include "ui/widgets/mainwindow.h"
#include "ui/widgets/queueview.h"

#include <QApplication>
#include <QDeadlineTimer>
#include <QDir>
#include <QLineEdit>
#include <QTabWidget>
#include <QTableView>
#include <QTextStream>
#include <QThread>

using namespace redrive;

namespace {

bool waitFor(const std::function<bool()> &condition, int timeoutMs = 10000)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!condition()) {
        if (deadline.hasExpired())
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
        QThread::msleep(5);
    }
    return true;
}

void settle(int ms = 300)
{
    QDeadlineTimer deadline(ms);
    while (!deadline.hasExpired())
        QCoreApplication::processEvents(QEventLoop::AllEvents, 20);
}

bool save(QWidget *widget, const QString &path)
{
    settle();
    const bool ok = widget->grab().save(path);
    QTextStream(stdout) << (ok ? "saved " : "FAILED ") << path << '\n';
    return ok;
}

core::DeliveryEvent liveEvent(int n, const QByteArray &payload)
{
    using O = core::DeliveryEvent::Outcome;
    const core::DeadLetterEntry entry
        = core::DeadLetterEntry::parse(tests::QueueFill::entry(n, payload, false));
    core::DeliveryEvent e;
    e.id = entry.id();
    e.receivedAt = QDateTime::currentDateTimeUtc().addMSecs(-qint64(60 - n) * 1370);
    e.topic = entry.topic();
    e.payload = entry.payload();
    e.remoteAddress = QStringLiteral("127.0.0.1");
    const O outcomes[]
        = { O::Processed, O::Processed,        O::Processed, O::Deferred, O::Processed,
            O::Processed, O::PermanentFailure, O::Processed, O::Rejected, O::Processed };
    e.outcome = outcomes[n % 10];
    e.httpStatus = e.outcome == O::Rejected ? 401 : 200;
    e.downstreamStatus = e.outcome == O::Processed ? 200
        : e.outcome == O::Deferred                 ? 503
        : e.outcome == O::PermanentFailure         ? 400
                                                   : 0;
    if (e.outcome == O::Deferred)
        e.error = QStringLiteral("Downstream answered HTTP 503 Service Unavailable");
    else if (e.outcome == O::PermanentFailure)
        e.error = QStringLiteral("Downstream rejected the payload: HTTP 400");
    else if (e.outcome == O::Rejected)
        e.error = QStringLiteral("missing or wrong X-Redrive-Secret");
    e.latencyUs = 400 + qint64((n * 3701) % 140000);
    return e;
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    const QString outDir
        = argc > 1 ? QString::fromLocal8Bit(argv[1]) : QStringLiteral("docs/screenshots");
    QDir().mkpath(outDir);
    const QByteArray payload = tests::sampleNotification();
    if (payload.isEmpty()) {
        QTextStream(stderr) << "set REDRIVE_TEST_DATA to the tests/data folder\n";
        return 1;
    }

    tests::RedisServer redis;
    if (!redis.start()) {
        QTextStream(stderr) << "redis-server: " << redis.errorString() << '\n';
        return 1;
    }
    QString error;
    if (!tests::QueueFill::fill(redis, "genesys_webhook_dlq", 1284, payload, false, &error)
        || !tests::QueueFill::fill(redis, "genesys_webhook_permanent_failures", 36, payload, true,
                                   &error)) {
        QTextStream(stderr) << "fill: " << error << '\n';
        return 1;
    }
    // Something a misbehaving producer left behind: shown raw, never dropped.
    redis.command({ "LINSERT", "genesys_webhook_permanent_failures", "BEFORE",
                    redis.lrange("genesys_webhook_permanent_failures", 3, 3).constFirst(),
                    "ERROR: downstream said <html>502 Bad Gateway</html>" });

    // The settings file where a user's is (docs/make-screenshots.sh points HOME at a scratch
    // folder), so the settings dialog shows "~/.config/Redrive/redrive.ini".
    core::Settings settings(QDir::homePath() + QStringLiteral("/.config/Redrive/redrive.ini"));
    settings.setValue(core::SettingKey::RedisUrl, redis.url());
    settings.setValue(core::SettingKey::ListenAddress, QStringLiteral("127.0.0.1:0"));
    // No worker: the screenshots show the lists as filled, not drained.
    settings.setValue(core::SettingKey::WorkerEnabled, false);
    core::MemoryCredentialStore credentials;
    credentials.set(core::SecretKind::GenesysClientSecret, QStringLiteral("not-shown"));
    core::EngineThread engine(core::EngineConfig::fromSettings(settings));
    bool started = false;
    QObject::connect(&engine, &core::EngineThread::started, &engine,
                     [&started, &error](bool ok, const QString &why) {
                         started = true;
                         if (!ok)
                             error = why;
                     });
    engine.start({}, true);
    waitFor([&started]() { return started; });
    if (!error.isEmpty() || !started) {
        QTextStream(stderr) << "engine: " << error << '\n';
        return 1;
    }
    waitFor([&engine]() { return engine.status().redis == core::EngineStatus::Redis::Ready; });

    ui::MainWindow window(engine, settings, credentials);
    // The worker is off so that the lists stay as filled; the window shows them as a console
    // with a downstream does, counting down to each entry's next retry.
    window.setRetriesRunning(true, QStringLiteral("https://crm.example.com/genesys/events"));
    window.resize(1440, 900);
    window.show();
    for (int i = 0; i < 60; ++i)
        window.addDelivery(liveEvent(i, payload));

    ui::QueueView *dlq = window.deadLetterView();
    if (!waitFor([dlq]() { return dlq->model()->hasLoaded() && dlq->model()->isRowLoaded(30); })) {
        QTextStream(stderr) << "the list did not load\n";
        return 1;
    }
    dlq->table()->selectRow(2);
    bool ok = save(&window, outDir + QStringLiteral("/console-dlq.png"));

    dlq->searchBox()->setText(QStringLiteral("Too Many Requests"));
    dlq->search(QStringLiteral("Too Many Requests"));
    waitFor([dlq]() { return dlq->matchCount() > 0 && dlq->model()->isRowLoaded(0); });
    dlq->table()->selectRow(0);
    ok &= save(&window, outDir + QStringLiteral("/console-search.png"));

    window.showPage(ui::MainWindow::Page::PermanentFailures);
    ui::QueueView *permanent = window.permanentView();
    waitFor([permanent]() { return permanent->model()->isRowLoaded(3); });
    permanent->table()->selectRow(3);
    ok &= save(&window, outDir + QStringLiteral("/console-permanent.png"));

    window.showPage(ui::MainWindow::Page::Live);
    window.liveView()->table()->selectRow(3);
    ok &= save(&window, outDir + QStringLiteral("/console-live.png"));

    window.showPage(ui::MainWindow::Page::DeadLetters);
    dlq->search(QString());
    waitFor([dlq]() { return dlq->model()->rowCount() > 100 && dlq->model()->isRowLoaded(1); });
    dlq->table()->selectRow(1);
    ui::EditEntryDialog editor(dlq->model()->rawAt(1), &window);
    QString text = editor.editedText();
    text.replace(QStringLiteral("\"crm.tier\": \"gold\""),
                 QStringLiteral("\"crm.tier\": \"platinum\""));
    text.replace(QStringLiteral("\"priority\": 0"), QStringLiteral("\"priority\": 2"));
    editor.setEditedText(text);
    editor.show();
    if (auto *tabs = editor.findChild<QTabWidget *>())
        tabs->setCurrentIndex(1);
    ok &= save(&editor, outDir + QStringLiteral("/console-edit.png"));

    window.showPage(ui::MainWindow::Page::Receiver);
    ok &= save(&window, outDir + QStringLiteral("/console-receiver.png"));

    {
        ui::SettingsDialog settingsDialog(settings, credentials, &window);
        settingsDialog.resize(720, 560);
        settingsDialog.show();
        ok &= save(&settingsDialog, outDir + QStringLiteral("/console-settings.png"));
    }

    // The same list in the dark theme (View > Theme > Dark).
    window.setTheme(QStringLiteral("dark"));
    window.showPage(ui::MainWindow::Page::DeadLetters);
    dlq->table()->selectRow(2);
    ok &= save(&window, outDir + QStringLiteral("/console-dlq-dark.png"));
    window.setTheme(QStringLiteral("system")); // not remembered for the next run of the tool
    return ok ? 0 : 1;
}
