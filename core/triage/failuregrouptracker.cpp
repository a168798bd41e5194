// SPDX-License-Identifier: MIT
#include "core/triage/failuregrouptracker.h"

#include "core/triage/failuregroupscan.h"

namespace redrive::core {

FailureGroupTracker::FailureGroupTracker(RedisConnection *connection, const QByteArray &key,
                                         QObject *parent)
    : QObject(parent)
    , m_scan(std::make_unique<FailureGroupScan>(connection, key))
{
    m_timer.setSingleShot(true);
    connect(&m_timer, &QTimer::timeout, this, &FailureGroupTracker::scanNow);
    connect(m_scan.get(), &FailureGroupScan::finished, this, &FailureGroupTracker::scanFinished);
    connect(m_scan.get(), &FailureGroupScan::progress, this, &FailureGroupTracker::progress);
}

FailureGroupTracker::~FailureGroupTracker()
{
    // The scan's last finished() must not reach a half-destroyed tracker.
    disconnect(m_scan.get(), nullptr, this, nullptr);
}

bool FailureGroupTracker::isScanning() const
{
    return m_scan->isRunning();
}

void FailureGroupTracker::start()
{
    m_active = true;
    m_dirty = false;
    scanNow();
}

void FailureGroupTracker::stop()
{
    m_active = false;
    m_timer.stop();
    m_scan->cancel();
}

void FailureGroupTracker::listChanged()
{
    if (!m_active)
        return;
    m_dirty = true;
    if (!m_scan->isRunning())
        schedule();
}

void FailureGroupTracker::schedule()
{
    if (!m_active || !m_dirty || m_scan->isRunning())
        return;
    const qint64 since = m_sinceLastScan.isValid() ? m_sinceLastScan.elapsed() : 0;
    const qint64 wait
        = qMax<qint64>(m_minIntervalMs, qint64(m_costFactor * double(m_lastCostMs))) - since;
    if (!m_timer.isActive() || m_timer.remainingTime() > wait)
        m_timer.start(int(qMax<qint64>(0, wait)));
}

void FailureGroupTracker::scanNow()
{
    if (!m_active || m_scan->isRunning())
        return;
    m_timer.stop();
    m_dirty = false;
    m_scan->start();
}

void FailureGroupTracker::scanFinished(const FailureGroups &result)
{
    m_lastCostMs = result.elapsedMs;
    m_sinceLastScan.start();
    if (result.code == QueueError::Cancelled)
        return;
    if (!result.ok()) {
        // Changes may be announced no more while Redis is away: look again by ourselves.
        if (m_active) {
            m_dirty = true;
            m_timer.start(m_retryMs);
        }
        Q_EMIT failed(result.error);
        return;
    }
    QStringList appeared;
    if (m_hasGroups) {
        for (const FailureGroup &group : result.groups) {
            if (!m_groups.find(group.id))
                appeared.append(group.id);
        }
    }
    m_groups = result;
    m_hasGroups = true;
    Q_EMIT updated(m_groups);
    if (!appeared.isEmpty())
        Q_EMIT groupsAppeared(appeared);
    schedule();
}

} // namespace redrive::core
