// SPDX-License-Identifier: MIT
// Fills a private Redis with realistic entries, opens the console on it and saves screenshots
// of the main views (docs/make-screenshots.sh runs it under xvfb-run).
#include "core/audit/auditrecord.h"
#include "core/engine/enginethread.h"
#include "core/queue/deadletterentry.h"
#include "core/settings/memorycredentialstore.h"
#include "core/settings/settings.h"
#include "core/trends/trendseries.h"
#include "tests/support/redisserver.h"
#include "tests/support/testenv.h"
#include "tests/ui/queuefill.h"
#include "ui/dialogs/editentrydialog.h"
#include "ui/dialogs/settingsdialog.h"
#include "ui/models/audittablemodel.h"
#include "ui/models/failuregroupsmodel.h"
#include "ui/models/queuetablemodel.h"
#include "ui/widgets/auditview.h"
#include "ui/widgets/groupspage.h"
#include "ui/widgets/livedeliveriesview.h"
#include "ui/widgets/mainwindow.h"
#include "ui/widgets/overviewpage.h"
#include "ui/widgets/queueview.h"

#include <QApplication>
#include <QDateTime>
#include <QDeadlineTimer>
#include <QDir>
#include <QLineEdit>
#include <QRandomGenerator>
#include <QScrollArea>
#include <QTabWidget>
#include <QTableView>
#include <QTextStream>
#include <QThread>
#include <QTreeWidget>

#include <cmath>

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

// Seven days of trend counters as several receivers and workers on one Redis would have written
// them: a daily rhythm, and half an hour ago a CRM outage that sent most deliveries to the DLQ,
// retried since. The DLQ's sampled length ends at `dlqLength`.
void fillTrends(const tests::RedisServer &redis, qint64 dlqLength, qint64 permanentLength)
{
    using core::TrendCounter;
    using core::TrendKeys;
    const core::QueueKeys keys;
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const qint64 lastMinute = now - now % TrendKeys::MinuteMs;
    const qint64 minutes = 7 * 24 * 60;
    QRandomGenerator random(20261202);
    struct Minute
    {
        qint64 at;
        std::array<qint64, core::TrendCounterCount> counts {};
        qint64 dlq = 0;
    };
    QList<Minute> series;
    qint64 dlq = 0;
    qint64 backlog = 0; // deferred entries waiting for a retry
    for (qint64 i = minutes - 1; i >= 0; --i) {
        Minute minute;
        minute.at = lastMinute - i * TrendKeys::MinuteMs;
        const double hourOfDay
            = double((minute.at % TrendKeys::DayMs) / TrendKeys::MinuteMs) / 60.0;
        const double rhythm = 0.55 + 0.45 * std::sin((hourOfDay - 9.0) / 24.0 * 2 * M_PI);
        const qint64 received = qint64(30 + 220 * rhythm + random.bounded(25));
        const bool outage = i >= 18 && i <= 34; // the CRM down, 34 to 18 minutes ago
        const qint64 rejected = random.bounded(100) < 30 ? random.bounded(1, 4) : 0;
        const qint64 deferred
            = outage ? qint64(received * 0.82) : (random.bounded(100) < 20 ? random.bounded(3) : 0);
        const qint64 permanent = outage ? random.bounded(2, 6) : (random.bounded(100) < 3 ? 1 : 0);
        const qint64 unavailable = (i == 26 || i == 27) ? random.bounded(8, 20) : 0;
        backlog += deferred;
        const qint64 retried = outage ? 0 : qMin<qint64>(backlog, 30 + random.bounded(40));
        backlog -= retried;
        auto at = [&minute](TrendCounter counter) -> qint64 & {
            return minute.counts[size_t(counter)];
        };
        at(TrendCounter::Received) = received + unavailable;
        at(TrendCounter::Rejected) = rejected;
        at(TrendCounter::Deferred) = deferred;
        at(TrendCounter::Permanent) = permanent;
        at(TrendCounter::Unavailable) = unavailable;
        at(TrendCounter::Retried) = retried;
        at(TrendCounter::Forwarded) = qMax<qint64>(0, received - rejected - deferred - permanent);
        dlq += deferred - retried;
        minute.dlq = dlq;
        series.append(minute);
    }
    const qint64 shift = dlqLength - dlq; // the backlog the filled list holds
    std::map<QByteArray, QList<QByteArray>> hashes;
    std::map<QByteArray, std::map<QByteArray, qint64>> hours;
    for (const Minute &minute : series) {
        const int m = int((minute.at % TrendKeys::HourMs) / TrendKeys::MinuteMs);
        const int h = int((minute.at % TrendKeys::DayMs) / TrendKeys::HourMs);
        QList<QByteArray> &fields = hashes[TrendKeys::minuteKey(keys, minute.at)];
        std::map<QByteArray, qint64> &hour = hours[TrendKeys::hourKey(keys, minute.at)];
        for (int c = 0; c < core::TrendCounterCount; ++c) {
            const QByteArray name = core::trendCounterName(TrendCounter(c));
            fields << TrendKeys::field(name, m) << QByteArray::number(minute.counts[c]);
            hour[TrendKeys::field(name, h)] += minute.counts[c];
        }
        const qint64 length = qMax<qint64>(0, minute.dlq + shift);
        const qint64 permanent = permanentLength
            - (minutes - 1 - (minute.at - series.first().at) / TrendKeys::MinuteMs) / 400;
        for (const auto &[gauge, value] :
             { std::pair { core::TrendGauge::DlqLength, length },
               std::pair { core::TrendGauge::PermanentLength, qMax<qint64>(0, permanent) } }) {
            fields << TrendKeys::field(core::trendGaugeName(gauge), m) << QByteArray::number(value);
            hour[TrendKeys::field(core::trendGaugeName(gauge), h)] = value;
        }
    }
    for (const auto &[key, fields] : hashes)
        redis.command(QList<QByteArray> { "HSET", key } + fields);
    for (const auto &[key, fields] : hours) {
        QList<QByteArray> args { "HSET", key };
        for (const auto &[field, value] : fields)
            args << field << QByteArray::number(value);
        redis.command(args);
    }
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
    // The tutorial's own entries (its Flask receiver's push_to_dlq), the oldest of the list,
    // arriving through the last hours: a failure group of their own on the Groups page.
    for (int i = 0; i < 48; ++i) {
        const QDateTime at = QDateTime::currentDateTime().addSecs(-qint64(i) * 1200 - 600);
        redis.command({ "RPUSH", "genesys_webhook_dlq",
                        "{\"original_payload\": {\"topicName\": "
                        "\"v2.detail.events.conversation."
                            + QByteArray::number(70312000 + i * 37)
                            + ".customer.start\"}, \"error_message\": \"Simulated Database "
                              "Connection Timeout\", \"status_code\": 500, \"timestamp\": \""
                            + at.toString(QStringLiteral("yyyy-MM-ddTHH:mm:ss.zzz000")).toUtf8()
                            + "\", \"retry_count\": 0}" });
    }
    // Something a misbehaving producer left behind: shown raw, never dropped.
    redis.command({ "LINSERT", "genesys_webhook_permanent_failures", "BEFORE",
                    redis.lrange("genesys_webhook_permanent_failures", 3, 3).constFirst(),
                    "ERROR: downstream said <html>502 Bad Gateway</html>" });

    fillTrends(redis, 1284, 37);
    // The retry worker's schedule: most of the DLQ waits for its backoff, the next one soon.
    {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const QList<QByteArray> waiting = redis.lrange("genesys_webhook_dlq", 0, 1199);
        QList<QByteArray> args { "ZADD", "genesys_webhook_dlq:schedule" };
        for (int i = 0; i < waiting.size(); ++i)
            args << QByteArray::number(now + 47000 + qint64(i) * 1500) << waiting[i];
        redis.command(args);
    }
    // A registration with Genesys Cloud in the audit trail, as the register dialog records it.
    {
        core::AuditRecord registration;
        registration.atMs = QDateTime::currentMSecsSinceEpoch() - 26 * 3600 * 1000;
        registration.user = QStringLiteral("dana");
        registration.host = QStringLiteral("support-07");
        registration.client = QStringLiteral("console");
        registration.action = core::AuditAction::Register;
        registration.detail = QStringLiteral("https://redrive-demo.ngrok.app/webhook/genesys");
        redis.command(QList<QByteArray> { "XADD", "genesys_webhook_dlq:audit", "*" }
                      + registration.toStreamFields());
    }
    // What a support team did since, oldest first, for the Audit page.
    {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        const QString dlqKey = QStringLiteral("genesys_webhook_dlq");
        const QString permanentKey = QStringLiteral("genesys_webhook_permanent_failures");
        auto add = [&](qint64 minutesAgo, const QString &user, const QString &host,
                       const QString &client, core::AuditAction action, core::AuditScope scope,
                       const QString &list, qint64 count,
                       const std::function<void(core::AuditRecord &)> &more) {
            core::AuditRecord record;
            record.atMs = now - minutesAgo * 60 * 1000;
            record.user = user;
            record.host = host;
            record.client = client;
            record.action = action;
            record.scope = scope;
            record.list = list;
            record.count = count;
            if (more)
                more(record);
            redis.command(QList<QByteArray> { "XADD", "genesys_webhook_dlq:audit", "*" }
                          + record.toStreamFields());
        };
        const QString dana = QStringLiteral("dana"), lee = QStringLiteral("lee");
        const QString desk = QStringLiteral("support-07"), server = QStringLiteral("ops-gw-2");
        const QString console = QStringLiteral("console"), cli = QStringLiteral("cli");
        add(190, lee, server, cli, core::AuditAction::Export, core::AuditScope::Filter, dlqKey, 412,
            [](core::AuditRecord &r) {
                r.filter = QStringLiteral("Too Many Requests");
                r.detail = QStringLiteral("/srv/redrive/exports/dlq-429.jsonl");
            });
        add(150, dana, desk, console, core::AuditAction::Retry, core::AuditScope::Group, dlqKey,
            1184, [](core::AuditRecord &r) { r.group = QStringLiteral("g-7c1e02a9"); });
        add(95, lee, server, cli, core::AuditAction::Delete, core::AuditScope::Filter, permanentKey,
            97, [](core::AuditRecord &r) { r.filter = QStringLiteral("\"status_code\":422"); });
        add(64, dana, desk, console, core::AuditAction::Move, core::AuditScope::Selection,
            permanentKey, 12, [&](core::AuditRecord &r) {
                r.target = dlqKey;
                for (int i = 0; i < 12; ++i)
                    r.ids << QStringLiteral("d1f4%1-7a2c").arg(i, 2, 10, QLatin1Char('0'));
            });
        add(41, dana, desk, console, core::AuditAction::Retry, core::AuditScope::Entry, dlqKey, 0,
            [](core::AuditRecord &r) {
                r.ids = { QStringLiteral("5b9e31c0-4d7f") };
                r.outcome = core::AuditOutcome::Failed;
                r.reason = QStringLiteral("The entry changed meanwhile (a worker retried it, or "
                                          "someone edited or removed it).");
            });
        add(23, dana, desk, console, core::AuditAction::Edit, core::AuditScope::Entry, dlqKey, 1,
            [](core::AuditRecord &r) {
                r.ids = { QStringLiteral("8e03b7d2-11fa") };
                r.before = QStringLiteral(
                    "{\"eventBody\":{\"conversationId\":\"8e03b7d2\",\"crm.tier\":\"gold\","
                    "\"priority\":0},\"topicName\":\"v2.detail.events.conversation."
                    "8e03b7d2.customer.start\"}");
                r.after = QStringLiteral(
                    "{\"eventBody\":{\"conversationId\":\"8e03b7d2\",\"crm.tier\":"
                    "\"platinum\",\"priority\":2},\"topicName\":\"v2.detail.events."
                    "conversation.8e03b7d2.customer.start\"}");
            });
        add(6, lee, server, cli, core::AuditAction::Import, core::AuditScope::List, dlqKey, 36,
            [](core::AuditRecord &r) {
                r.detail = QStringLiteral("/srv/redrive/exports/replay-2025-12-01.jsonl");
            });
    }
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

    window.showPage(ui::MainWindow::Page::Overview);
    ui::OverviewPage *overview = window.overviewPage();
    overview->refresh();
    waitFor(
        [overview]() {
            return overview->series().total(core::TrendCounter::Received) > 0
                && overview->groupsList()->topLevelItemCount() > 1
                && overview->workerOverview().scheduled > 0;
        },
        60000);
    ok &= save(&window, outDir + QStringLiteral("/console-overview.png"));
    window.setTheme(QStringLiteral("dark"));
    settle(500);
    ok &= save(&window, outDir + QStringLiteral("/console-overview-dark.png"));
    window.setTheme(QStringLiteral("system"));
    window.resize(760, 640);
    settle(500);
    ok &= save(&window, outDir + QStringLiteral("/console-overview-small.png"));
    window.resize(1440, 900);

    window.showPage(ui::MainWindow::Page::Audit);
    ui::AuditView *audit = window.auditView();
    waitFor([audit]() { return audit->model()->rowCount() >= 8; });
    audit->table()->selectRow(1); // the edit: its payloads before and after below
    ok &= save(&window, outDir + QStringLiteral("/console-audit.png"));

    window.showPage(ui::MainWindow::Page::Groups);
    ui::GroupsPage *groups = window.groupsPage();
    ui::FailureGroupsModel *groupsModel = groups->model(ui::QueueList::DeadLetters);
    waitFor([groupsModel]() { return groupsModel->rowCount() > 3; });
    groups->table()->selectRow(1);
    // The example entry is looked up by its id (a search through the list): give it a moment.
    const QDeadlineTimer settle(800);
    waitFor([&settle]() { return settle.hasExpired(); });
    ok &= save(&window, outDir + QStringLiteral("/console-groups.png"));

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

    // Other window sizes, to check the layout where the console starts (1200x760) and smaller:
    // a second argument such as "1200x760,1024x700" saves console-<page>-<size>.png, in the
    // light and the dark theme, beside the documentation's shots.
    const QStringList sizes = argc > 2 ? QString::fromLocal8Bit(argv[2]).split(QLatin1Char(','))
                                       : QStringList();
    for (const QString &size : sizes) {
        const int width = size.section(QLatin1Char('x'), 0, 0).toInt();
        const int height = size.section(QLatin1Char('x'), 1, 1).toInt();
        if (width <= 0 || height <= 0)
            continue;
        window.resize(width, height);
        for (const QString &theme : { QStringLiteral("system"), QStringLiteral("dark") }) {
            window.setTheme(theme);
            const QString suffix
                = QStringLiteral("-%1%2.png")
                      .arg(size, theme == QLatin1String("dark") ? QStringLiteral("-dark")
                                                                 : QString());
            const std::pair<ui::MainWindow::Page, QString> pages[]
                = { { ui::MainWindow::Page::Overview, QStringLiteral("overview") },
                    { ui::MainWindow::Page::Groups, QStringLiteral("groups") },
                    { ui::MainWindow::Page::Audit, QStringLiteral("audit") },
                    { ui::MainWindow::Page::DeadLetters, QStringLiteral("dlq") } };
            for (const auto &[page, name] : pages) {
                window.showPage(page);
                ok &= save(&window, outDir + QStringLiteral("/console-") + name + suffix);
            }
            // The Overview scrolls at these sizes: all of it, as it would scroll.
            window.showPage(ui::MainWindow::Page::Overview);
            if (auto *scroll = overview->findChild<QScrollArea *>())
                ok &= save(scroll->widget(),
                           outDir + QStringLiteral("/console-overview-content") + suffix);
        }
        window.setTheme(QStringLiteral("system"));
    }
    return ok ? 0 : 1;
}
