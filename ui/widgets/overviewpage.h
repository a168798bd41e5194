// SPDX-License-Identifier: MIT
#pragma once

#include "core/engine/enginestatus.h"
#include "core/trends/trendseries.h"
#include "core/trends/registrationstatus.h"
#include "core/trends/workeroverview.h"
#include "core/triage/failuregroupaggregator.h"

#include <QTimer>
#include <QWidget>

class QButtonGroup;
class QFormLayout;
class QGridLayout;
class QGroupBox;
class QLabel;
class QToolButton;
class QTreeWidget;

namespace redrive::core {
class CredentialStore;
class EngineThread;
class Settings;
} // namespace redrive::core

namespace redrive::ui {

class ReceiverPanel;
class TrendChart;

// The console's first page: how deliveries went over the last hour, 24 hours or 7 days (the
// trend counters every Redrive process on this Redis writes), the dead-letter queue's largest
// failure groups with their last 24 hours, the retry worker, and the receiver (ReceiverPanel:
// where it listens, the public URL and its registration with Genesys Cloud). Everything comes
// from the engine's thread by posted calls and signals: the page never waits for Redis. It
// reads again every 10 seconds while it is shown.
class OverviewPage final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(OverviewPage)

public:
    static constexpr int RefreshMs = 10000;
    static constexpr int TopGroups = 5;

    OverviewPage(core::Settings &settings, core::CredentialStore &credentials,
                 QWidget *parent = nullptr);
    ~OverviewPage() override;

    // The engine to read from (must outlive the page); without one the page shows the receiver
    // panel and empty charts.
    void setEngine(core::EngineThread *engine);
    void showEngineStatus(const core::EngineStatus &status);
    // Whether retries run in this process, and where to (or why not).
    void setRetriesRunning(bool running, const QString &detail);

    core::TrendRange range() const { return m_range; }
    void setRange(core::TrendRange range);
    // Asks the engine for the counters and the worker's state now (answers come later).
    void refresh();

    ReceiverPanel *receiverPanel() const { return m_receiver; }
    TrendChart *deliveriesChart() const { return m_deliveries; }
    TrendChart *queueChart() const { return m_queues; }
    QTreeWidget *groupsList() const { return m_groups; }
    QToolButton *rangeButton(core::TrendRange range) const;
    // The totals of the range shown, one per counter (the tiles above the chart).
    QLabel *totalLabel(core::TrendCounter counter) const { return m_totals[int(counter)]; }
    QLabel *workerLabel() const { return m_workerState; }
    QLabel *nextDueLabel() const { return m_nextDue; }
    QLabel *trendProblemLabel() const { return m_problem; }
    const core::TrendSeries &series() const { return m_series; }
    const core::WorkerOverview &workerOverview() const { return m_worker; }
    // One column (narrow window); else two (the charts above, the groups, the worker and the
    // receiver in pairs below) or three (the receiver and the worker beside the charts).
    bool isNarrow() const { return m_columns == 1; }
    int columnCount() const { return m_columns; }

Q_SIGNALS:
    // A top failure group was clicked (or activated with the keyboard).
    void groupActivated(const QString &groupId);
    // A reading of the counters was shown (tests wait for it).
    void trendsShown();
    void workerShown();
    void groupsShown();

protected:
    void showEvent(QShowEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    // `reading`: from Redis (announced by trendsShown()), else the empty placeholder.
    void showTrends(const core::TrendSeries &series, bool reading = true);
    void showWorker(const core::WorkerOverview &overview);
    void showGroups(const core::FailureGroups &groups);
    void showRegistration(const core::RegistrationStatus &status);
    void updateNextDue();
    void arrange(int width);
    void restyleTiles();

    core::EngineThread *m_engine = nullptr;
    bool m_retriesRunning = false;
    QString m_retriesDetail;
    core::TrendRange m_range = core::TrendRange::Hour;
    core::TrendSeries m_series;
    core::WorkerOverview m_worker;
    qint64 m_workerReadAtMs = 0;
    bool m_groupsWatched = false;
    bool m_trendsAsked = false; // a reading is on its way
    bool m_workerAsked = false;
    bool m_registrationAsked = false;
    int m_columns = 0; // 0 until arranged
    int m_tilesPerRow = 0;
    QTimer m_timer;

    QWidget *m_content;
    QGridLayout *m_grid;
    ReceiverPanel *m_receiver;
    QGroupBox *m_trafficBox;
    QGroupBox *m_queueBox;
    QGroupBox *m_groupsBox;
    QGroupBox *m_workerBox;
    QGridLayout *m_tilesLayout;
    QList<QWidget *> m_tiles;
    QLabel *m_totals[core::TrendCounterCount] = {};
    QLabel *m_rangeTitle;
    QLabel *m_problem;
    QButtonGroup *m_rangeGroup;
    TrendChart *m_deliveries;
    TrendChart *m_queues;
    QTreeWidget *m_groups;
    QLabel *m_workerState;
    QLabel *m_inFlight;
    QLabel *m_dueNow;
    QLabel *m_scheduled;
    QLabel *m_nextDue;
    QLabel *m_retried;
};

} // namespace redrive::ui
