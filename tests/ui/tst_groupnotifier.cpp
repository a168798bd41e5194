// SPDX-License-Identifier: MIT
// Which failure groups call for a desktop notification, and how often: new groups after the
// first snapshot, a group crossing the threshold, at most one per group per interval; and the
// settings that drive it (off by default: keeping Redrive in the tray).
#include "core/settings/settings.h"
#include "ui/models/groupnotifier.h"

#include <QTemporaryDir>
#include <QTest>

using namespace redrive;
using core::FailureGroup;
using core::SettingKey;
using ui::GroupNotifier;

namespace {

FailureGroup group(const QString &id, qint64 count)
{
    FailureGroup g;
    g.id = id;
    g.title = QStringLiteral("HTTP 503 from crm.example.com (%1)").arg(id);
    g.count = count;
    return g;
}

constexpr qint64 Minute = 60 * 1000;

} // namespace

class TestGroupNotifier : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void settingsDefaults()
    {
        QTemporaryDir dir;
        core::Settings settings(dir.filePath(QStringLiteral("redrive.ini")));
        QVERIFY(!settings.flag(SettingKey::KeepReceivingInTray)); // off unless asked for
        QVERIFY(settings.flag(SettingKey::NotifyNewGroups));
        QCOMPARE(settings.integer(SettingKey::NotifyGroupThreshold), 1000);
        QCOMPARE(settings.integer(SettingKey::NotifyIntervalMinutes), 30);
        QString error;
        QVERIFY(!settings.setValue(SettingKey::NotifyIntervalMinutes, 0, &error));
        QVERIFY(!error.isEmpty());
        QVERIFY(settings.setValue(SettingKey::KeepReceivingInTray, true));
        core::Settings again(dir.filePath(QStringLiteral("redrive.ini")));
        QVERIFY(again.flag(SettingKey::KeepReceivingInTray));
    }

    void groupsThereAtStartAreNotNews()
    {
        GroupNotifier notifier;
        QVERIFY(
            notifier.update({ group(QStringLiteral("a"), 5000), group(QStringLiteral("b"), 3) }, 0)
                .isEmpty());
        QVERIFY(notifier.update({ group(QStringLiteral("a"), 5001) }, Minute).isEmpty());
    }

    void newGroupAndThreshold()
    {
        GroupNotifier notifier;
        GroupNotifier::Options options;
        options.threshold = 100;
        options.intervalMs = 30 * Minute;
        notifier.setOptions(options);
        notifier.update({ group(QStringLiteral("a"), 10) }, 0);

        auto notices = notifier.update(
            { group(QStringLiteral("a"), 20), group(QStringLiteral("b"), 7) }, Minute);
        QCOMPARE(notices.size(), 1);
        QCOMPARE(notices.first().groupId, QStringLiteral("b"));
        QVERIFY(notices.first().title.contains(QLatin1String("New failure group")));
        QVERIFY(notices.first().text.contains(QLatin1String("(b): 7 entries")));

        // "a" crosses 100: one notice; growing further is not news again.
        notices = notifier.update({ group(QStringLiteral("a"), 150) }, 2 * Minute);
        QCOMPARE(notices.size(), 1);
        QCOMPARE(notices.first().groupId, QStringLiteral("a"));
        QVERIFY(notices.first().title.contains(QLatin1String("growing")));
        QVERIFY(notifier.update({ group(QStringLiteral("a"), 900) }, 3 * Minute).isEmpty());
    }

    void atMostOnePerGroupPerInterval()
    {
        GroupNotifier notifier;
        GroupNotifier::Options options;
        options.threshold = 100;
        options.intervalMs = 30 * Minute;
        notifier.setOptions(options);
        notifier.update({}, 0);
        QCOMPARE(notifier.update({ group(QStringLiteral("b"), 5) }, Minute).size(), 1);
        // Crosses the threshold 10 minutes after it was announced as new: held back.
        QVERIFY(notifier.update({ group(QStringLiteral("b"), 500) }, 11 * Minute).isEmpty());
        // It fell back and crossed again after the interval: said.
        notifier.update({ group(QStringLiteral("b"), 50) }, 20 * Minute);
        QCOMPARE(notifier.update({ group(QStringLiteral("b"), 200) }, 32 * Minute).size(), 1);
        // Another group is not held back by this one.
        QCOMPARE(notifier
                     .update({ group(QStringLiteral("b"), 200), group(QStringLiteral("c"), 1) },
                             33 * Minute)
                     .size(),
                 1);
    }

    void turnedOff()
    {
        GroupNotifier notifier;
        GroupNotifier::Options options;
        options.newGroups = false;
        options.threshold = 0;
        notifier.setOptions(options);
        notifier.update({}, 0);
        QVERIFY(notifier.update({ group(QStringLiteral("x"), 1000000) }, Minute).isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestGroupNotifier)
#include "tst_groupnotifier.moc"
