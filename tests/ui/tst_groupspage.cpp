// SPDX-License-Identifier: MIT
#include "core/triage/failuregroupaggregator.h"
#include "tests/ui/memoryqueuebackend.h"
#include "ui/dialogs/editentrydialog.h"
#include "ui/dialogs/prompts.h"
#include "ui/models/failuregroupsmodel.h"
#include "ui/models/queuetablemodel.h"
#include "ui/widgets/groupspage.h"
#include "ui/widgets/queueview.h"

#include <QAbstractItemModelTester>
#include <QLabel>
#include <QMenu>
#include <QSignalSpy>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>
#include <QToolBar>
#include <QToolButton>

using namespace redrive;
using ui::FailureGroupsModel;
using ui::QueueList;

namespace {

QByteArray entry(const QString &error, int status, int n)
{
    return QStringLiteral("{\"id\":\"e-%1\",\"original_payload\":{\"topicName\":"
                          "\"v2.users.%2.presence\"},\"error_message\":\"%3\",\"status_code\":%4,"
                          "\"received_at\":\"%5\"}")
        .arg(n)
        .arg(QStringLiteral("00000000-0000-4000-8000-%1").arg(n, 12, 10, QLatin1Char('0')))
        .arg(error)
        .arg(status)
        .arg(QDateTime::currentDateTimeUtc().addSecs(-60 * n).toString(Qt::ISODateWithMs))
        .toUtf8();
}

const QString Busy = QStringLiteral("downstream answered 503");
const QString Slow = QStringLiteral("downstream timed out after 5000 ms");
const QString Gone = QStringLiteral("downstream unreachable: Connection refused");

core::FailureGroups groupsOf(const QList<QByteArray> &elements)
{
    core::FailureGroupAggregator aggregator;
    for (const QByteArray &raw : elements)
        aggregator.add(raw);
    return aggregator.result();
}

QString idOf(const QString &error, int status)
{
    return core::failureFingerprint(entry(error, status, 1)).groupId();
}

} // namespace

class TestGroupsPage : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init() { ui::Prompts::setTestMode(true); }
    void cleanup() { ui::Prompts::setTestMode(false); }

    // Groups come, grow, change places and go: rows follow their groups, and so does the
    // selection.
    void modelKeepsRowsOnTheirGroups()
    {
        FailureGroupsModel model;
        QAbstractItemModelTester tester(&model,
                                        QAbstractItemModelTester::FailureReportingMode::QtTest);
        QList<QByteArray> list;
        for (int i = 0; i < 30; ++i)
            list << entry(Busy, 503, i);
        for (int i = 30; i < 40; ++i)
            list << entry(Slow, 504, i);
        model.setGroups(groupsOf(list));
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(model.index(0, FailureGroupsModel::Count).data().toString(), QStringLiteral("30"));
        QCOMPARE(model.index(0, FailureGroupsModel::Share).data().toString(),
                 QStringLiteral("75 %"));
        QCOMPARE(model.index(1, FailureGroupsModel::Example).data().toString(),
                 QStringLiteral("e-30")); // the newest of the group
        const QList<int> arrivals = model.index(0, FailureGroupsModel::Arrivals)
                                        .data(FailureGroupsModel::ArrivalsRole)
                                        .value<QList<int>>();
        QCOMPARE(arrivals.size(), core::FailureGroups::BucketCount);
        int sum = 0;
        for (int n : arrivals)
            sum += n;
        QCOMPARE(sum, 30); // all within the last 24 h

        QPersistentModelIndex slow = model.index(1, 0);
        // The timeouts overtake the 503s; the refusals are new; then the 503s go.
        for (int i = 40; i < 80; ++i)
            list << entry(Slow, 504, i);
        list << entry(Gone, 0, 99);
        model.setGroups(groupsOf(list));
        QCOMPARE(model.rowCount(), 3);
        QCOMPARE(slow.row(), 0);
        QCOMPARE(model.index(0, FailureGroupsModel::Count)
                     .data(FailureGroupsModel::CountRole)
                     .toLongLong(),
                 50);
        list.remove(0, 30);
        model.setGroups(groupsOf(list));
        QCOMPARE(model.rowCount(), 2);
        QCOMPARE(slow.row(), 0);
        QCOMPARE(model.rowOf(idOf(Busy, 503)), -1);
        QCOMPARE(model.rowOf(idOf(Gone, 0)), 1);
        model.setGroups(core::FailureGroups());
        QCOMPARE(model.rowCount(), 0);
    }

    // The page against a backend in memory: groups as they change, an action on a group with
    // its count in the question, and a list view filtered to a group.
    void pageActsOnOneGroupAndFiltersTheList()
    {
        tests::MemoryQueueBackend backend;
        QList<QByteArray> &dlq = backend.items(QueueList::DeadLetters);
        for (int i = 0; i < 120; ++i)
            dlq << entry(i % 3 ? Busy : Slow, i % 3 ? 503 : 504, i);
        dlq << "not json at all";
        ui::GroupsPage page(backend);
        page.resize(1000, 600);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        FailureGroupsModel *model = page.model(QueueList::DeadLetters);
        QTRY_COMPARE(model->rowCount(), 3);
        QTRY_VERIFY(page.statusLabel()->text().contains(QStringLiteral("3 groups in 121 entries")));
        QVERIFY(!page.retryAction()->isEnabled()); // nothing selected

        // An entry arrives by someone else: counted again.
        backend.pushExternally(QueueList::DeadLetters, entry(Gone, 0, 500));
        QTRY_COMPARE(model->rowCount(), 4);

        // Delete the timeouts: asked with their exact count, only they go.
        page.selectGroup(QueueList::DeadLetters, idOf(Slow, 504));
        QVERIFY(page.deleteAction()->isEnabled());
        ui::Prompts::pushConfirmAnswer(true);
        page.deleteAction()->trigger();
        QTRY_COMPARE(dlq.size(), 122 - 40);
        QVERIFY(ui::Prompts::takeLog()
                    .join(QLatin1Char('\n'))
                    .contains(QStringLiteral("all 40 entries")));
        for (const QByteArray &raw : std::as_const(dlq))
            QVERIFY(core::failureFingerprint(raw).groupId() != idOf(Slow, 504));
        QTRY_COMPARE(model->rowCount(), 3);

        // Declined: nothing happens.
        page.selectGroup(QueueList::DeadLetters, idOf(Busy, 503));
        ui::Prompts::pushConfirmAnswer(false);
        page.deleteAction()->trigger();
        // (lastText: QTRY evaluates its condition once more after it held.)
        QTRY_VERIFY(ui::Prompts::lastText().contains(QStringLiteral("all 80 entries")));
        QCOMPARE(dlq.size(), 82);

        // Export the 503s.
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("busy.jsonl"));
        ui::Prompts::pushFileAnswer(path);
        page.exportAction()->trigger();
        QTRY_COMPARE(backend.exported, QStringList { path });
        QFile file(path);
        QTRY_VERIFY(file.size() > 0);
        QVERIFY(file.open(QIODevice::ReadOnly));
        QCOMPARE(file.readAll().count('\n'), 80);

        // Show entries: a list view filtered to the group.
        ui::QueueView view(backend, QueueList::DeadLetters);
        connect(&page, &ui::GroupsPage::showEntriesRequested, &view,
                [&view](QueueList, const QString &id, const QString &title) {
                    view.setGroupFilter(id, title);
                });
        page.showEntriesAction()->trigger();
        QCOMPARE(view.groupFilter(), idOf(Busy, 503));
        QTRY_COMPARE(view.model()->rowCount(), 80);
        QVERIFY(view.groupBanner()->text().contains(QStringLiteral("HTTP 503")));
        QTRY_VERIFY(view.retryAllAction()->text().contains(QStringLiteral("all 80 of the group")));
        // A search looks through the whole list again.
        view.search(QStringLiteral("not json"));
        QCOMPARE(view.groupFilter(), QString());
        QTRY_COMPARE(view.model()->rowCount(), 1);
    }

    // In a narrow window the actions that do not fit are under the toolbar's extension button,
    // whose menu offers them; in a wide one they are all on the toolbar.
    void everyActionReachableInANarrowWindow()
    {
        tests::MemoryQueueBackend backend;
        backend.items(QueueList::PermanentFailures) << entry(Busy, 503, 1);
        ui::GroupsPage page(backend);
        page.setList(QueueList::PermanentFailures); // all five actions, Move too
        page.resize(1000, 600);
        page.show();
        QVERIFY(QTest::qWaitForWindowExposed(&page));
        auto *toolBar = page.findChild<QToolBar *>();
        QVERIFY(toolBar);
        const QList<QAction *> actions { page.showEntriesAction(), page.retryAction(),
                                         page.moveAction(), page.deleteAction(),
                                         page.exportAction() };
        auto *extension = toolBar->findChild<QToolButton *>(QStringLiteral("qt_toolbar_ext_button"));
        QVERIFY(extension);
        for (QAction *action : actions) {
            QVERIFY(action->isVisible());
            QTRY_VERIFY2(toolBar->widgetForAction(action)
                             && toolBar->widgetForAction(action)->isVisible(),
                         qPrintable(action->text()));
        }
        QVERIFY(!extension->isVisible());

        page.resize(360, 600);
        QTRY_VERIFY(extension->isVisible());
        QMenu *overflow = extension->menu();
        QVERIFY(overflow);
        Q_EMIT overflow->aboutToShow(); // what the button does before it pops the menu up
        int hidden = 0;
        for (QAction *action : actions) {
            QWidget *button = toolBar->widgetForAction(action);
            if (button && button->isVisible())
                continue;
            ++hidden;
            QVERIFY2(overflow->actions().contains(action), qPrintable(action->text()));
        }
        QVERIFY(hidden > 0);
    }
};

QTEST_MAIN(TestGroupsPage)
#include "tst_groupspage.moc"
