// SPDX-License-Identifier: MIT
#include "ui/models/groupnotifier.h"

#include <QCoreApplication>
#include <QLocale>

namespace redrive::ui {

QList<GroupNotifier::Notice> GroupNotifier::update(const QList<core::FailureGroup> &groups,
                                                   qint64 nowMs)
{
    QList<Notice> notices;
    const bool first = !m_baseline;
    m_baseline = true;
    for (const core::FailureGroup &group : groups) {
        const auto known = m_counts.constFind(group.id);
        const bool isNew = known == m_counts.constEnd();
        const qint64 before = isNew ? 0 : known.value();
        m_counts.insert(group.id, group.count);
        if (first)
            continue; // what was there at start is not news
        const QString count = QLocale().toString(group.count);
        Notice notice;
        if (isNew && m_options.newGroups) {
            notice.title = QCoreApplication::translate("redrive::ui::GroupNotifier",
                                                       "New failure group in the DLQ");
            notice.text
                = QCoreApplication::translate("redrive::ui::GroupNotifier", "%1: %2 entries")
                      .arg(group.title, count);
        } else if (m_options.threshold > 0 && before < m_options.threshold
                   && group.count >= m_options.threshold) {
            notice.title = QCoreApplication::translate("redrive::ui::GroupNotifier",
                                                       "A failure group is growing");
            notice.text = QCoreApplication::translate("redrive::ui::GroupNotifier",
                                                      "%1: %2 entries (more than %3)")
                              .arg(group.title, count, QLocale().toString(m_options.threshold));
        } else {
            continue;
        }
        const auto last = m_lastNoticeMs.constFind(group.id);
        if (last != m_lastNoticeMs.constEnd() && nowMs - last.value() < m_options.intervalMs)
            continue;
        m_lastNoticeMs.insert(group.id, nowMs);
        notice.groupId = group.id;
        notices.append(notice);
    }
    return notices;
}

} // namespace redrive::ui
