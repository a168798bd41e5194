// SPDX-License-Identifier: MIT
#pragma once

#include "core/triage/failuregroupaggregator.h"

#include <QHash>
#include <QList>
#include <QSet>
#include <QString>

namespace redrive::ui {

// Decides which desktop notifications the failure groups call for, without showing any (the
// tray icon does): a group that appears after the first snapshot (the groups there at start are
// known, not new), and a group whose count goes from below the threshold to at or above it;
// at most one notification per group per interval, whatever the reason.
class GroupNotifier final
{
public:
    struct Options
    {
        bool newGroups = true;
        qint64 threshold = 1000; // 0: never
        qint64 intervalMs = 30 * 60 * 1000;
    };
    struct Notice
    {
        QString groupId;
        QString title;
        QString text;
    };

    void setOptions(const Options &options) { m_options = options; }
    const Options &options() const { return m_options; }

    // One snapshot of the DLQ's groups (FailureGroupTracker's), taken at `nowMs`.
    QList<Notice> update(const QList<core::FailureGroup> &groups, qint64 nowMs);

private:
    Options m_options;
    bool m_baseline = false;
    QHash<QString, qint64> m_counts; // every group seen, its last count
    QHash<QString, qint64> m_lastNoticeMs;
};

} // namespace redrive::ui
