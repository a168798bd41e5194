// SPDX-License-Identifier: MIT
#pragma once

#include "core/triage/failuregroupaggregator.h"

#include <QByteArray>
#include <QElapsedTimer>
#include <QObject>
#include <QStringList>
#include <QTimer>

#include <memory>

namespace redrive::core {

class FailureGroupScan;
class RedisConnection;

// Keeps the failure groups of one list current: a full scan at start(), then a new scan after
// changes (listChanged(), e.g. from QueueWatcher::changed). Scans are coalesced: never two at
// once, and the next one starts no sooner than `minIntervalMs` and than `costFactor` times the
// last scan's duration after it, so that a list that changes all the time costs Redis at most
// about 1/(costFactor+1) of one connection's time (a 1,000,000-entry list scanned in 5 s is
// rescanned every ~20 s at the default factor 3, a 10,000-entry list within `minIntervalMs`).
// A scan that fails (Redis away) is retried on the next change or after `retryMs`.
//
// Positions in the lists cannot say which entries changed (the retry worker rotates the
// dead-letter list as it looks for due entries), so the tracker counts from scratch each time
// rather than adjusting counts by the change events.
class FailureGroupTracker final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(FailureGroupTracker)

public:
    FailureGroupTracker(RedisConnection *connection, const QByteArray &key,
                        QObject *parent = nullptr);
    ~FailureGroupTracker() override;

    void setMinInterval(int milliseconds) { m_minIntervalMs = qMax(0, milliseconds); }
    void setCostFactor(double factor) { m_costFactor = qMax(0.0, factor); }
    void setRetryInterval(int milliseconds) { m_retryMs = qMax(100, milliseconds); }

    // First scan now; then scans follow listChanged().
    void start();
    void stop();
    // The list changed: schedules a scan (coalesced, see above).
    void listChanged();

    // The last completed scan's groups (empty and ok() before the first).
    const FailureGroups &groups() const { return m_groups; }
    bool hasGroups() const { return m_hasGroups; }
    bool isScanning() const;
    FailureGroupScan *scan() const { return m_scan.get(); }

Q_SIGNALS:
    // A scan completed: groups() holds its result.
    void updated(const redrive::core::FailureGroups &groups);
    // Groups in this scan's result that the previous successful scan did not have (never for
    // the first scan: everything is new then). For notifications of new kinds of failure.
    void groupsAppeared(const QStringList &groupIds);
    // A scan failed (Redis unreachable, wrong key type, ...); groups() keeps the last good one.
    void failed(const QString &error);
    void progress(qint64 scanned, qint64 length);

private:
    void scanNow();
    void scanFinished(const FailureGroups &result);
    void schedule();

    std::unique_ptr<FailureGroupScan> m_scan;
    QTimer m_timer;
    QElapsedTimer m_sinceLastScan;
    FailureGroups m_groups;
    bool m_hasGroups = false;
    bool m_active = false;
    bool m_dirty = false;
    qint64 m_lastCostMs = 0;
    int m_minIntervalMs = 1000;
    double m_costFactor = 3.0;
    int m_retryMs = 5000;
};

} // namespace redrive::core
