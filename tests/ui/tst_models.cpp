// SPDX-License-Identifier: MIT
#include "core/queue/deadletterentry.h"
#include "tests/support/testenv.h"
#include "ui/models/displayformat.h"
#include "ui/models/livedeliverymodel.h"
#include "ui/models/queuetablemodel.h"

#include <QAbstractItemModelTester>
#include <QSignalSpy>
#include <QTest>
#include <QTimer>

using namespace redrive;
using redrive::ui::QueuePage;
using redrive::ui::QueueTableModel;

namespace {

QByteArray entryText(int n)
{
    return core::DeadLetterEntry::create(
               tests::sampleNotification(), QStringLiteral("HTTP 503 from downstream (%1)").arg(n),
               503, {}, QStringLiteral("test"), QStringLiteral("id-%1").arg(n))
        .raw();
}

// A list held in memory, answered asynchronously like Redis would; counts reads so the tests
// can see that only visible pages are fetched.
struct FakeList
{
    QList<QByteArray> items; // index 0 = head (newest), as LRANGE 0 .. returns
    int reads = 0;
    qint64 rowsRead = 0;

    ui::QueuePageFetcher fetcher()
    {
        return [this](qint64 offset, int count, const QObject *context,
                      std::function<void(const QueuePage &)> done) {
            ++reads;
            QueuePage page;
            page.total = items.size();
            page.entries = items.mid(offset, count);
            rowsRead += page.entries.size();
            QTimer::singleShot(0, context, [done, page]() { done(page); });
        };
    }
};

} // namespace

class TestModels : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void pagesOnlyWhatIsAsked();
    void refreshKeepsPersistentIndexOnEntry();
    void shrinkingList();
    void nonJsonRows();
    void fetchRowsReadsMissingPages();
    void liveRingIsBounded();
    void durations_data();
    void durations();
};

void TestModels::pagesOnlyWhatIsAsked()
{
    FakeList list;
    const QByteArray one = entryText(0);
    list.items = QList<QByteArray>(100000, one);
    QueueTableModel model(true);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setFetcher(list.fetcher());
    QTRY_VERIFY(model.hasLoaded());
    QCOMPARE(model.rowCount(), 100000);
    QCOMPARE(model.columnCount(), int(QueueTableModel::ColumnCount));
    QCOMPARE(model.index(0, QueueTableModel::Topic).data().toString(),
             QStringLiteral("v2.detail.events.conversation.{id}.customer.start"));
    QCOMPARE(model.index(0, QueueTableModel::Topic).data(Qt::ToolTipRole).toString(),
             QStringLiteral("v2.detail.events.conversation.7c0a4f6e-2b1d-4e9a-9f3c-5d8e1a2b3c4d."
                            "customer.start\n{id} = 7c0a4f6e-2b1d-4e9a-9f3c-5d8e1a2b3c4d"));
    // A row far down is a placeholder until its page arrives, then it is data.
    const QModelIndex far = model.index(73456, QueueTableModel::Received);
    QCOMPARE(far.data().toString(), QStringLiteral("loading…"));
    QSignalSpy changed(&model, &QAbstractItemModel::dataChanged);
    QTRY_VERIFY(model.isRowLoaded(73456));
    QVERIFY(!changed.isEmpty());
    QCOMPARE(model.index(73456, QueueTableModel::StatusCode).data().toInt(), 503);
    QCOMPARE(model.index(73456, QueueTableModel::Retries).data().toInt(), 0);
    // Tester plus two pages: far less than the list.
    QVERIFY2(list.rowsRead <= 20 * QueueTableModel::PageSize,
             qPrintable(QString::number(list.rowsRead)));

    // Touching many pages keeps only the LRU's worth in memory.
    for (int page = 0; page < 60; ++page)
        model.index(page * QueueTableModel::PageSize, 0).data();
    QTRY_VERIFY(model.isRowLoaded(59 * QueueTableModel::PageSize));
    int cached = 0;
    for (int page = 0; page < 1000; ++page)
        cached += model.isRowLoaded(page * QueueTableModel::PageSize) ? 1 : 0;
    QVERIFY(cached <= QueueTableModel::MaxCachedPages);
}

void TestModels::refreshKeepsPersistentIndexOnEntry()
{
    FakeList list;
    for (int i = 0; i < 500; ++i)
        list.items.append(entryText(i));
    QueueTableModel model(true);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setFetcher(list.fetcher());
    QTRY_VERIFY(model.hasLoaded());
    model.setVisibleRows(0, 40);
    QPersistentModelIndex selected = model.index(10, 0);
    QCOMPARE(model.idAt(10), QStringLiteral("id-10"));

    // Someone LPUSHes three entries: the same entry must stay under the persistent index.
    QSignalSpy shifted(&model, &QueueTableModel::rowsShiftedDown);
    for (int i = 0; i < 3; ++i)
        list.items.prepend(entryText(1000 + i));
    model.refresh();
    QTRY_COMPARE(model.rowCount(), 503);
    QTRY_VERIFY(model.isRowLoaded(0));
    QCOMPARE(selected.row(), 13);
    QCOMPARE(selected.data(QueueTableModel::EntryIdRole).toString(), QStringLiteral("id-10"));
    QCOMPARE(shifted.size(), 1);
    QCOMPARE(shifted.constFirst().constFirst().toInt(), 3);
    QCOMPARE(model.idAt(0), QStringLiteral("id-1002"));
}

void TestModels::shrinkingList()
{
    FakeList list;
    for (int i = 0; i < 250; ++i)
        list.items.append(entryText(i));
    QueueTableModel model(false);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(model.columnCount(), int(QueueTableModel::ColumnCount) - 1);
    model.setFetcher(list.fetcher());
    QTRY_VERIFY(model.hasLoaded());
    model.setVisibleRows(0, 30);
    QPersistentModelIndex selected = model.index(20, 0);
    // The worker took two from the tail and someone deleted entry 5.
    list.items.removeLast();
    list.items.removeLast();
    list.items.removeAt(5);
    model.refresh();
    QTRY_COMPARE(model.rowCount(), 247);
    QTRY_COMPARE(selected.row(), 19);
    QCOMPARE(selected.data(QueueTableModel::EntryIdRole).toString(), QStringLiteral("id-20"));

    list.items.clear();
    model.refresh();
    QTRY_COMPARE(model.rowCount(), 0);
}

void TestModels::nonJsonRows()
{
    FakeList list;
    list.items = { QByteArrayLiteral("this is not json"), entryText(1),
                   QByteArrayLiteral(
                       "{\"error_message\":\"tutorial without payload\",\"status_code\":500}") };
    QueueTableModel model(true);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    model.setFetcher(list.fetcher());
    QTRY_VERIFY(model.hasLoaded());
    QCOMPARE(model.index(0, QueueTableModel::Topic).data().toString(),
             QStringLiteral("(not JSON)"));
    QCOMPARE(model.index(2, QueueTableModel::Topic).data().toString(),
             QStringLiteral("(no topic)"));
    QVERIFY(model.index(0, QueueTableModel::Error)
                .data()
                .toString()
                .contains(QStringLiteral("not JSON")));
    QCOMPARE(model.index(0, QueueTableModel::IsJsonRole).data(QueueTableModel::IsJsonRole).toBool(),
             false);
    QCOMPARE(model.rawAt(0), QByteArrayLiteral("this is not json"));
    QVERIFY(model.index(2, QueueTableModel::Error)
                .data()
                .toString()
                .contains(QStringLiteral("no original_payload")));
    QVERIFY(!model.idAt(0).isEmpty());
}

void TestModels::fetchRowsReadsMissingPages()
{
    FakeList list;
    for (int i = 0; i < 1000; ++i)
        list.items.append(entryText(i));
    QueueTableModel model(true);
    model.setFetcher(list.fetcher());
    QTRY_VERIFY(model.hasLoaded());
    QList<QByteArray> got;
    bool done = false;
    model.fetchRows({ 3, 450, 999 }, this,
                    [&](const QList<QByteArray> &raws, const QString &error) {
                        QVERIFY(error.isEmpty());
                        got = raws;
                        done = true;
                    });
    QTRY_VERIFY(done);
    QCOMPARE(got.size(), 3);
    QCOMPARE(got.at(1), list.items.at(450));
    QCOMPARE(got.at(2), list.items.at(999));
}

void TestModels::liveRingIsBounded()
{
    ui::LiveDeliveryModel model(5);
    QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
    for (int i = 0; i < 12; ++i) {
        core::DeliveryEvent event;
        event.id = QString::number(i);
        event.topic = QStringLiteral("topic-%1").arg(i);
        event.receivedAt = QDateTime::currentDateTimeUtc();
        event.outcome = i % 2 ? core::DeliveryEvent::Outcome::Deferred
                              : core::DeliveryEvent::Outcome::Processed;
        event.latencyUs = i * 1000;
        model.add(event);
    }
    QCOMPARE(model.rowCount(), 5);
    QCOMPARE(model.totalSeen(), 12);
    QCOMPARE(model.index(0, ui::LiveDeliveryModel::Topic).data().toString(),
             QStringLiteral("topic-11"));
    QCOMPARE(model.index(4, ui::LiveDeliveryModel::Topic).data().toString(),
             QStringLiteral("topic-7"));
    QCOMPARE(model.index(0, ui::LiveDeliveryModel::Outcome).data().toString(),
             QStringLiteral("deferred to DLQ"));
    // Under a millisecond is not "0 ms".
    QCOMPARE(model.index(0, ui::LiveDeliveryModel::Latency).data().toString(),
             QStringLiteral("11 ms"));
    model.clear();
    QCOMPARE(model.rowCount(), 0);
}

void TestModels::durations_data()
{
    QTest::addColumn<qint64>("microseconds");
    QTest::addColumn<QString>("shown");
    QTest::newRow("under a tenth") << qint64(40) << QStringLiteral("< 0.1 ms");
    QTest::newRow("under a millisecond") << qint64(400) << QStringLiteral("0.4 ms");
    QTest::newRow("a few") << qint64(3249) << QStringLiteral("3.2 ms");
    QTest::newRow("tens") << qint64(118400) << QStringLiteral("118 ms");
    QTest::newRow("seconds") << qint64(12400000) << QStringLiteral("12.4 s");
}

void TestModels::durations()
{
    QFETCH(qint64, microseconds);
    QFETCH(QString, shown);
    QCOMPARE(ui::displayformat::duration(microseconds), shown);
}

QTEST_MAIN(TestModels)
#include "tst_models.moc"
