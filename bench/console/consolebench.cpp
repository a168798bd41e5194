// SPDX-License-Identifier: MIT
// Console benchmark: opens a 1,000,000-entry dead-letter queue and times the first page painted,
// records the peak RSS after scrolling through it, and times a server-side search over 100,000
// entries. Medians of several runs. See docs/BENCHMARKS.md ("Console").
#include "core/queue/queuestore.h"
#include "core/redis/redisconnection.h"
#include "tests/support/redisserver.h"
#include "tests/support/testenv.h"
#include "tests/ui/queuefill.h"
#include "ui/models/queuetablemodel.h"

#include <QApplication>
#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QHeaderView>
#include <QPainter>
#include <QRandomGenerator>
#include <QScrollBar>
#include <QTableView>
#include <QTextStream>
#include <QThread>

#include <sys/resource.h>

using namespace redrive;

namespace {

QTextStream out(stdout);

bool waitFor(const std::function<bool()> &condition, int timeoutMs = 30000)
{
    QDeadlineTimer deadline(timeoutMs);
    while (!condition()) {
        if (deadline.hasExpired())
            return false;
        QCoreApplication::processEvents(QEventLoop::AllEvents, 5);
    }
    return true;
}

double median(QList<double> values)
{
    std::sort(values.begin(), values.end());
    return values.isEmpty() ? 0 : values.at(values.size() / 2);
}

long peakRssKb()
{
    rusage usage {};
    getrusage(RUSAGE_SELF, &usage);
    return usage.ru_maxrss;
}

// Notes when the table's viewport has painted a loaded first row: what the user sees as "the
// list is open".
class PaintProbe final : public QObject
{
public:
    PaintProbe(QTableView *view, ui::QueueTableModel *model)
        : m_view(view)
        , m_model(model)
    {
        view->viewport()->installEventFilter(this);
    }
    bool painted = false;

protected:
    bool eventFilter(QObject *watched, QEvent *event) override
    {
        if (watched == m_view->viewport() && event->type() == QEvent::Paint
            && m_model->rowCount() > 0 && m_model->isRowLoaded(0))
            painted = true; // this paint draws the loaded rows
        return false;
    }

private:
    QTableView *m_view;
    ui::QueueTableModel *m_model;
};

// The page reads the console makes: core::QueueStore::page, as in the application.
ui::QueuePageFetcher listFetcher(core::QueueStore *store)
{
    return [store](qint64 offset, int count, const QObject *context,
                   std::function<void(const ui::QueuePage &)> done) {
        store->page(core::QueueStore::List::DeadLetter, offset, count, context,
                    [done](const core::PageResult &r) {
                        ui::QueuePage page;
                        page.error = r.error;
                        page.total = r.total;
                        for (const core::DeadLetterEntry &entry : r.entries)
                            page.entries.append(entry.raw());
                        done(page);
                    });
    };
}

} // namespace

int main(int argc, char **argv)
{
    QApplication app(argc, argv);
    const int entries = argc > 1 ? QByteArray(argv[1]).toInt() : 1000000;
    const int runs = argc > 2 ? QByteArray(argv[2]).toInt() : 7;

    tests::RedisServer server;
    if (!server.start()) {
        QTextStream(stderr) << "redis-server: " << server.errorString() << '\n';
        return 1;
    }
    QElapsedTimer fillTimer;
    fillTimer.start();
    QString error;
    if (!tests::QueueFill::fill(server, "genesys_webhook_dlq", entries,
                                tests::QueueFill::compactPayload(), false, &error)) {
        QTextStream(stderr) << "fill: " << error << '\n';
        return 1;
    }
    out << "filled " << server.llen("genesys_webhook_dlq") << " entries in " << fillTimer.elapsed()
        << " ms\n";
    out.flush();

    core::RedisEndpoint endpoint;
    endpoint.port = server.port();
    core::RedisConnection redis(endpoint, QStringLiteral("redrive-console-bench"));
    redis.open();
    if (!waitFor([&redis]() { return redis.isReady(); })) {
        QTextStream(stderr) << "no connection\n";
        return 1;
    }

    core::QueueStore store(&redis, core::QueueKeys());
    QList<double> firstPaint;
    for (int run = 0; run < runs; ++run) {
        QElapsedTimer timer;
        timer.start();
        QTableView view;
        ui::QueueTableModel model(true);
        view.verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
        view.verticalHeader()->hide();
        view.setModel(&model);
        PaintProbe probe(&view, &model);
        model.setFetcher(listFetcher(&store));
        view.resize(1000, 700);
        view.show();
        if (!waitFor([&probe]() { return probe.painted; })) {
            QTextStream(stderr) << "first page never painted\n";
            return 1;
        }
        firstPaint.append(timer.nsecsElapsed() / 1e6);

        if (run == 0) {
            // Scroll through the million: jumps all over the list, each waiting for its rows.
            QElapsedTimer scrollTimer;
            scrollTimer.start();
            QList<double> jumps;
            for (int jump = 0; jump < 60; ++jump) {
                QElapsedTimer t;
                t.start();
                const int row = QRandomGenerator::global()->bounded(model.rowCount());
                view.scrollTo(model.index(row, 0), QAbstractItemView::PositionAtTop);
                if (!waitFor([&model, row]() { return model.isRowLoaded(row); }))
                    return 1;
                QCoreApplication::processEvents();
                jumps.append(t.nsecsElapsed() / 1e6);
            }
            out << "scroll jump to a random row, rows painted: median " << median(jumps)
                << " ms, worst " << *std::max_element(jumps.begin(), jumps.end()) << " ms\n";
        }
    }
    out << "open " << entries << "-entry DLQ to first page painted: median " << median(firstPaint)
        << " ms (runs:";
    for (double v : firstPaint)
        out << ' ' << qRound(v);
    out << ")\n";
    out << "peak RSS of the console process: " << peakRssKb() / 1024 << " MB\n";
    out.flush();
    // -- search over 100,000 entries -----------------------------------------------------------
    {
        QString fillError;
        if (!tests::QueueFill::fill(server, "genesys_webhook_permanent_failures", 100000,
                                    tests::sampleNotification(), true, &fillError)) {
            QTextStream(stderr) << "fill: " << fillError << '\n';
            return 1;
        }
        for (const QString &needle :
             { QStringLiteral("HTTP 422"), QStringLiteral("ACCT-0042-7781"),
               QStringLiteral("no-such-text-anywhere") }) {
            QList<double> times;
            qint64 matches = -1;
            for (int run = 0; run < 5; ++run) {
                QElapsedTimer timer;
                timer.start();
                bool done = false;
                store.search(core::QueueStore::List::PermanentFailures, needle, 100, &app,
                             [&](const core::SearchResult &r) {
                                 matches = r.matches;
                                 done = true;
                             });
                if (!waitFor([&done]() { return done; }))
                    return 1;
                times.append(timer.nsecsElapsed() / 1e6);
            }
            out << "search \"" << needle << "\" over 100000 entries: " << matches
                << " matches, median " << median(times) << " ms\n";
        }
    }

    return 0;
}
