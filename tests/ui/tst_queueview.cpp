// SPDX-License-Identifier: MIT
// The console's list pages driven through their widgets (keys, toolbar, context actions, the
// search box), over an in-memory backend. tst_consoleredis runs the same paths against Redis.
#include "core/queue/deadletterentry.h"
#include "core/settings/memorycredentialstore.h"
#include "core/settings/settings.h"
#include "tests/support/testenv.h"
#include "tests/ui/memoryqueuebackend.h"
#include "tests/ui/queuefill.h"
#include "ui/dialogs/editentrydialog.h"
#include "ui/dialogs/prompts.h"
#include "ui/models/queuetablemodel.h"
#include "ui/widgets/entrydetailview.h"
#include "ui/widgets/appearance.h"
#include "ui/widgets/livedeliveriesview.h"
#include "ui/widgets/mainwindow.h"
#include "ui/widgets/queueview.h"
#include "ui/widgets/receiverpanel.h"

#include <QAbstractItemModelTester>
#include <QAction>
#include <QApplication>
#include <QGroupBox>
#include <QPlainTextEdit>
#include <QPointer>
#include <QToolBar>
#include <QFile>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QProgressDialog>
#include <QPushButton>
#include <QScrollBar>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace redrive;
using ui::QueueList;
using ui::QueueTableModel;
using ui::QueueView;

class TestQueueView : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void opensOnTheDeadLetterQueue();
    void retryKeyRetriesSelection();
    void deleteAsksWithCountAndHonoursNo();
    void editSavesThroughTheDialog();
    void editConflictRefusesAndReloads();
    void searchCountsAndBulkDeletesMatching();
    void selectAllActsOnWholeList();
    void moveBackFromPermanentFailures();
    void exportAndImportJsonLines();
    void purgeStatesCount();
    void liveInsertKeepsSelection();
    void bulkCanBeCancelled();
    void columnsFitWithoutScrolling();
    void topicShowsItsPatternAndIdsInTheTooltip();
    void nextRetrySaysWhenRetriesAreOff();
    void escapeInTheEditorAsksBeforeDiscarding();
    void editNeedsASelectionAndThePaneFollowsIt();
    void settingsShortcutIsShownInTheMenu();
    void mainControlsHaveAccessibleNames();
    void themeSwitchesPaletteAndIsRemembered();
    void receiverBoxesOnTheOverview();

private:
    QueueView *dlq() const { return m_window->deadLetterView(); }
    void select(QueueView *view, int row);

    QTemporaryDir m_dir;
    std::unique_ptr<core::Settings> m_settings;
    std::unique_ptr<core::MemoryCredentialStore> m_credentials;
    tests::MemoryQueueBackend *m_backend = nullptr;
    std::unique_ptr<ui::MainWindow> m_window;
};

void TestQueueView::init()
{
    ui::Prompts::setTestMode(true);
    m_settings = std::make_unique<core::Settings>(m_dir.filePath(QStringLiteral("redrive.ini")));
    m_credentials = std::make_unique<core::MemoryCredentialStore>();
    auto backend = std::make_unique<tests::MemoryQueueBackend>();
    m_backend = backend.get();
    const QByteArray payload = tests::sampleNotification();
    for (int i = 0; i < 300; ++i)
        m_backend->items(QueueList::DeadLetters).append(tests::QueueFill::entry(i, payload, false));
    for (int i = 0; i < 20; ++i)
        m_backend->items(QueueList::PermanentFailures)
            .append(tests::QueueFill::entry(i, payload, true));
    m_backend->items(QueueList::PermanentFailures).append(QByteArrayLiteral("not json at all"));
    m_window = std::make_unique<ui::MainWindow>(std::move(backend), *m_settings, *m_credentials);
    m_window->show();
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    QTRY_VERIFY(dlq()->model()->hasLoaded());
    QTRY_VERIFY(m_window->permanentView()->model()->hasLoaded());
}

void TestQueueView::cleanup()
{
    m_window.reset();
    m_backend = nullptr;
    ui::Prompts::setTestMode(false);
}

void TestQueueView::select(QueueView *view, int row)
{
    QTRY_VERIFY(view->model()->isRowLoaded(row));
    view->table()->setFocus();
    view->table()->selectionModel()->setCurrentIndex(view->model()->index(row, 0),
                                                     QItemSelectionModel::ClearAndSelect
                                                         | QItemSelectionModel::Rows);
}

void TestQueueView::opensOnTheDeadLetterQueue()
{
    QAbstractItemModelTester tester(dlq()->model(),
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
    QCOMPARE(m_window->currentPage(), ui::MainWindow::Page::DeadLetters);
    QCOMPARE(dlq()->model()->rowCount(), 300);
    QTRY_COMPARE(m_window->sidebar()->item(int(ui::MainWindow::Page::DeadLetters))->text(), QStringLiteral("Dead letter queue (300)"));
    QTRY_COMPARE(m_window->sidebar()->item(int(ui::MainWindow::Page::PermanentFailures))->text(), QStringLiteral("Permanent failures (21)"));
    QVERIFY(!dlq()->emptyHint()->isVisible());
    select(dlq(), 4);
    QVERIFY(dlq()->detail()->summaryText().contains(QStringLiteral("presence")));
    QVERIFY(dlq()->detail()->payloadText().contains(QStringLiteral("\"eventBody\": {")));
    // Alt+4 shows the permanent failures; the garbage element shows raw.
    QTest::keyClick(m_window.get(), Qt::Key_4, Qt::AltModifier);
    QCOMPARE(m_window->currentPage(), ui::MainWindow::Page::PermanentFailures);
    select(m_window->permanentView(), 20);
    QVERIFY(m_window->permanentView()->detail()->summaryText().contains(
        QStringLiteral("Not a Redrive entry")));
    QVERIFY(!m_window->permanentView()->retryAction()->isEnabled());
    QVERIFY(m_window->permanentView()->deleteAction()->isEnabled());
}

void TestQueueView::retryKeyRetriesSelection()
{
    select(dlq(), 2);
    dlq()->table()->selectionModel()->select(
        dlq()->model()->index(3, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    QTest::keyClick(dlq()->table(), Qt::Key_R);
    QTRY_COMPARE(m_backend->retried.size(), 2);
    QCOMPARE(m_backend->retried.at(0), m_backend->items(QueueList::DeadLetters).at(2));
    QCOMPARE(m_backend->retried.at(1), m_backend->items(QueueList::DeadLetters).at(3));
}

void TestQueueView::deleteAsksWithCountAndHonoursNo()
{
    select(dlq(), 0);
    dlq()->table()->selectionModel()->select(
        QItemSelection(dlq()->model()->index(1, 0), dlq()->model()->index(4, 0)),
        QItemSelectionModel::Select | QItemSelectionModel::Rows);
    const QByteArray first = m_backend->items(QueueList::DeadLetters).at(0);
    ui::Prompts::pushConfirmAnswer(false);
    QTest::keyClick(dlq()->table(), Qt::Key_Delete);
    QTRY_VERIFY(ui::Prompts::lastText().contains(QStringLiteral("these 5 entries")));
    QTest::qWait(50);
    QCOMPARE(m_backend->items(QueueList::DeadLetters).size(), 300);

    ui::Prompts::pushConfirmAnswer(true);
    QTest::keyClick(dlq()->table(), Qt::Key_Delete);
    QTRY_COMPARE(m_backend->items(QueueList::DeadLetters).size(), 295);
    QVERIFY(!m_backend->items(QueueList::DeadLetters).contains(first));
    QTRY_COMPARE(dlq()->model()->rowCount(), 295);
    QTRY_COMPARE(m_window->sidebar()->item(int(ui::MainWindow::Page::DeadLetters))->text(), QStringLiteral("Dead letter queue (295)"));
}

void TestQueueView::editSavesThroughTheDialog()
{
    select(dlq(), 1);
    QTest::keyClick(dlq()->table(), Qt::Key_E);
    QTRY_VERIFY(dlq()->editor());
    ui::EditEntryDialog *editor = dlq()->editor();
    QString text = editor->editedText();
    text.replace(QStringLiteral("\"priority\": 0"), QStringLiteral("\"priority\": 5"));
    editor->setEditedText(text);
    QVERIFY(editor->diffText().contains(QStringLiteral("\n+ ")));
    QVERIFY(editor->diffText().contains(QStringLiteral("\"priority\": 5")));
    QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
    QTRY_VERIFY(!dlq()->editor());
    const core::DeadLetterEntry saved
        = core::DeadLetterEntry::parse(m_backend->items(QueueList::DeadLetters).at(1));
    QVERIFY(saved.payload().contains("\"priority\":5"));
    QTRY_VERIFY(dlq()->detail()->payloadText().contains(QStringLiteral("\"priority\": 5")));
}

void TestQueueView::editConflictRefusesAndReloads()
{
    select(dlq(), 0);
    QTest::keyClick(dlq()->table(), Qt::Key_E);
    QTRY_VERIFY(dlq()->editor());
    ui::EditEntryDialog *editor = dlq()->editor();
    // The worker attempts the entry meanwhile.
    auto &list = m_backend->items(QueueList::DeadLetters);
    const core::DeadLetterEntry attempted
        = core::DeadLetterEntry::parse(list.at(0))
              .withFailedAttempt(
                  { QDateTime::currentDateTimeUtc(), 502, QStringLiteral("bad gateway"), 30 }, {});
    list[0] = attempted.raw();
    editor->setEditedText(QStringLiteral("{\"topicName\":\"edited\"}"));
    QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
    QTRY_VERIFY(editor->reloadButton()->isVisible());
    QVERIFY(editor->validationMessage().contains(QStringLiteral("changed since it was read")));
    QCOMPARE(list.at(0), attempted.raw()); // nothing overwritten
    QTest::mouseClick(editor->reloadButton(), Qt::LeftButton);
    QTRY_COMPARE(editor->originalRaw(), attempted.raw());
    editor->setEditedText(QStringLiteral("{\"topicName\":\"edited\"}"));
    QTest::mouseClick(editor->saveButton(), Qt::LeftButton);
    QTRY_VERIFY(!dlq()->editor());
    QVERIFY(list.at(0).contains("\"original_payload\":{\"topicName\":\"edited\"}"));
}

void TestQueueView::searchCountsAndBulkDeletesMatching()
{
    dlq()->table()->setFocus();
    QTest::keyClick(dlq()->table(), Qt::Key_F, Qt::ControlModifier);
    QVERIFY(dlq()->searchBox()->hasFocus());
    QTest::keyClicks(dlq()->searchBox(), QStringLiteral("Too Many Requests"));
    QTest::keyClick(dlq()->searchBox(), Qt::Key_Return);
    // Entries n % 7 == 3 carry the 429 error: 43 of 300.
    QTRY_COMPARE(dlq()->matchCount(), 43);
    QTRY_COMPARE(dlq()->model()->rowCount(), 43);
    QTRY_VERIFY(dlq()->searchInfo()->text().startsWith(QStringLiteral("43 of 300 match")));
    QCOMPARE(dlq()->deleteAllAction()->text(), QStringLiteral("Delete all 43 matching…"));
    ui::Prompts::pushConfirmAnswer(true);
    dlq()->deleteAllAction()->trigger();
    QTRY_COMPARE(m_backend->items(QueueList::DeadLetters).size(), 257);
    QVERIFY(
        ui::Prompts::takeLog()
            .join(QLatin1Char('\n'))
            .contains(QStringLiteral(
                "Delete all 43 entries in the dead letter queue matching \"Too Many Requests\"")));
    QTRY_COMPARE(dlq()->model()->rowCount(), 0);
    // The empty table says why it is empty.
    QTRY_VERIFY(dlq()->emptyHint()->isVisible());
    QCOMPARE(dlq()->emptyHint()->text(),
             QStringLiteral("No entry in this list contains “Too Many Requests”."));
    // Clearing the search shows the whole list again.
    dlq()->searchBox()->clear();
    QTRY_COMPARE(dlq()->model()->rowCount(), 257);
    QTRY_VERIFY(!dlq()->emptyHint()->isVisible());
}

void TestQueueView::selectAllActsOnWholeList()
{
    select(dlq(), 0);
    QTest::keyClick(dlq()->table(), Qt::Key_A, Qt::ControlModifier);
    ui::Prompts::pushConfirmAnswer(true);
    QTest::keyClick(dlq()->table(), Qt::Key_R);
    QTRY_COMPARE(m_backend->retried.size(), 300);
    QVERIFY(ui::Prompts::takeLog()
                .join(QLatin1Char('\n'))
                .contains(QStringLiteral("Retry all 300 entries in the dead letter queue now?")));
}

void TestQueueView::moveBackFromPermanentFailures()
{
    m_window->showPage(ui::MainWindow::Page::PermanentFailures);
    QueueView *permanent = m_window->permanentView();
    QVERIFY(permanent->moveAction()->isVisible());
    QVERIFY(!dlq()->moveAction()->isVisible());
    select(permanent, 3);
    const QString id = permanent->model()->idAt(3);
    QTest::keyClick(permanent->table(), Qt::Key_M);
    QTRY_COMPARE(m_backend->items(QueueList::PermanentFailures).size(), 20);
    QCOMPARE(m_backend->items(QueueList::DeadLetters).size(), 301);
    const core::DeadLetterEntry moved
        = core::DeadLetterEntry::parse(m_backend->items(QueueList::DeadLetters).at(0));
    QCOMPARE(moved.id(), id);
    QCOMPARE(moved.retryCount(), 0);
    QTRY_COMPARE(m_window->sidebar()->item(int(ui::MainWindow::Page::DeadLetters))->text(), QStringLiteral("Dead letter queue (301)"));
    QTRY_COMPARE(m_window->sidebar()->item(int(ui::MainWindow::Page::PermanentFailures))->text(), QStringLiteral("Permanent failures (20)"));
}

void TestQueueView::exportAndImportJsonLines()
{
    const QString path = m_dir.filePath(QStringLiteral("three.jsonl"));
    select(dlq(), 5);
    dlq()->table()->selectionModel()->select(
        QItemSelection(dlq()->model()->index(6, 0), dlq()->model()->index(7, 0)),
        QItemSelectionModel::Select | QItemSelectionModel::Rows);
    ui::Prompts::pushFileAnswer(path);
    dlq()->exportAction()->trigger();
    QTRY_VERIFY(QFile::exists(path));
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QList<QByteArray> lines = file.readAll().trimmed().split('\n');
    QCOMPARE(lines.size(), 3);
    QCOMPARE(lines.at(0), m_backend->items(QueueList::DeadLetters).at(5));

    m_window->showPage(ui::MainWindow::Page::PermanentFailures);
    ui::Prompts::pushFileAnswer(path);
    m_window->permanentView()->importAction()->trigger();
    QTRY_COMPARE(m_backend->items(QueueList::PermanentFailures).size(), 24);
    QTRY_COMPARE(m_window->permanentView()->model()->rowCount(), 24);
}

void TestQueueView::purgeStatesCount()
{
    ui::Prompts::pushConfirmAnswer(false);
    dlq()->purgeAction()->trigger();
    QTRY_VERIFY(ui::Prompts::lastText().contains(QStringLiteral("Delete all 300 entries")));
    QTest::qWait(20);
    QCOMPARE(m_backend->items(QueueList::DeadLetters).size(), 300);
    ui::Prompts::pushConfirmAnswer(true);
    dlq()->purgeAction()->trigger();
    QTRY_COMPARE(m_backend->items(QueueList::DeadLetters).size(), 0);
    QTRY_COMPARE(dlq()->model()->rowCount(), 0);
    QTRY_VERIFY(dlq()->emptyHint()->isVisible());
    QVERIFY(
        dlq()->emptyHint()->text().startsWith(QStringLiteral("The dead letter queue is empty.")));
}

void TestQueueView::liveInsertKeepsSelection()
{
    QAbstractItemModelTester tester(dlq()->model(),
                                    QAbstractItemModelTester::FailureReportingMode::QtTest);
    select(dlq(), 7);
    const QString id = dlq()->model()->idAt(7);
    const QByteArray payload = tests::sampleNotification();
    m_backend->pushExternally(QueueList::DeadLetters,
                              tests::QueueFill::entry(1000, payload, false));
    m_backend->pushExternally(QueueList::DeadLetters,
                              tests::QueueFill::entry(1001, payload, false));
    QTRY_COMPARE(dlq()->model()->rowCount(), 302);
    QTRY_COMPARE(dlq()->table()->currentIndex().row(), 9);
    QCOMPARE(dlq()->model()->idAt(dlq()->table()->currentIndex().row()), id);
    QCOMPARE(dlq()->table()->selectionModel()->selectedRows().size(), 1);
    QCOMPARE(dlq()->table()->selectionModel()->selectedRows().constFirst().row(), 9);
}

void TestQueueView::bulkCanBeCancelled()
{
    auto &list = m_backend->items(QueueList::DeadLetters);
    const QList<QByteArray> copy = list;
    for (int i = 0; i < 20; ++i)
        list.append(copy);
    QCOMPARE(list.size(), 6300);
    dlq()->listChanged();
    QTRY_COMPARE(dlq()->model()->rowCount(), 6300);
    ui::Prompts::pushConfirmAnswer(true);
    dlq()->deleteAllAction()->trigger();
    QProgressDialog *progress = nullptr;
    QTRY_VERIFY((progress = dlq()->findChild<QProgressDialog *>()));
    QTRY_VERIFY(progress->value() > 0);
    // What the dialog's Cancel button (or Escape) emits.
    Q_EMIT progress->canceled();
    QTRY_VERIFY(!dlq()->findChild<QProgressDialog *>()
                || !dlq()->findChild<QProgressDialog *>()->isVisible());
    QTest::qWait(50);
    const qsizetype left = list.size();
    QVERIFY2(left > 0 && left < 6300, qPrintable(QString::number(left)));
    QTRY_COMPARE(dlq()->model()->rowCount(), int(left));
}

void TestQueueView::columnsFitWithoutScrolling()
{
    // With the entry pane beside the table (as it opens) and in a narrower window alike: every
    // header reads in full, the error keeps a readable share, no horizontal scroll bar.
    select(dlq(), 2);
    for (const int width : { 1200, 1000 }) {
        m_window->resize(width, 760);
        QTRY_COMPARE(m_window->width(), width);
        QTableView *table = dlq()->table();
        QHeaderView *header = table->horizontalHeader();
        QTRY_VERIFY2(header->length() <= table->viewport()->width(),
                     qPrintable(QStringLiteral("%1 > %2 (%3)")
                                    .arg(header->length())
                                    .arg(table->viewport()->width())
                                    .arg([header] {
                                        QStringList s;
                                        for (int i = 0; i < header->count(); ++i)
                                            s << QString::number(header->sectionSize(i));
                                        return s.join(QLatin1Char(' '));
                                    }())));
        QVERIFY(!table->horizontalScrollBar()->isVisible());
        for (int column = 0; column < dlq()->model()->columnCount(); ++column) {
            QVERIFY2(header->sectionSize(column) >= header->sectionSizeHint(column),
                     qPrintable(dlq()->model()->headerData(column, Qt::Horizontal).toString()));
        }
        // In the default window the error comes first: 20 characters at least, and no less
        // than the topic gets (which is elided in the middle when it must).
        const int error = header->sectionSize(QueueTableModel::Error);
        if (width == 1200) {
            QVERIFY2(error >= table->fontMetrics().averageCharWidth() * 20,
                     qPrintable(QString::number(error)));
            QVERIFY2(error >= header->sectionSize(QueueTableModel::Topic) * 4 / 5,
                     qPrintable(QStringLiteral("error %1, topic %2")
                                    .arg(error)
                                    .arg(header->sectionSize(QueueTableModel::Topic))));
        }
    }
    // The error in full: in the cell's tooltip and in the entry pane's heading.
    const QModelIndex error = dlq()->model()->index(2, QueueTableModel::Error);
    const QString full = core::DeadLetterEntry::parse(dlq()->model()->rawAt(2)).errorMessage();
    QVERIFY(full.size() > 30);
    QCOMPARE(error.data(Qt::ToolTipRole).toString(), full);
    QVERIFY(dlq()->detail()->summaryText().contains(full.toHtmlEscaped()));
}

void TestQueueView::topicShowsItsPatternAndIdsInTheTooltip()
{
    QTRY_VERIFY(dlq()->model()->isRowLoaded(0));
    const core::DeadLetterEntry entry
        = core::DeadLetterEntry::parse(dlq()->model()->rawAt(0));
    const QString topic = entry.topic();
    const QStringList parts = topic.split(QLatin1Char('.'));
    QCOMPARE(parts.size(), 7); // v2.detail.events.conversation.<uuid>.customer.start
    const QString id = parts.at(4);
    const QModelIndex cell = dlq()->model()->index(0, QueueTableModel::Topic);
    QCOMPARE(cell.data().toString(),
             QStringLiteral("v2.detail.events.conversation.{id}.customer.start"));
    const QString tip = cell.data(Qt::ToolTipRole).toString();
    QVERIFY(tip.startsWith(topic));
    QVERIFY(tip.contains(QStringLiteral("{id} = ") + id));
}

void TestQueueView::nextRetrySaysWhenRetriesAreOff()
{
    QTRY_VERIFY(dlq()->model()->isRowLoaded(0));
    const QModelIndex next = dlq()->model()->index(0, QueueTableModel::NextRetry);
    m_window->setRetriesRunning(true, QStringLiteral("http://crm.example/hook"));
    QCOMPARE(m_window->retriesStatus()->text(), QStringLiteral("Retries on"));
    QVERIFY(next.data().toString().startsWith(QStringLiteral("in ")));
    m_window->setRetriesRunning(false, QStringLiteral("no downstream URL is set"));
    QCOMPARE(m_window->retriesStatus()->text(), QStringLiteral("Retries off"));
    QCOMPARE(next.data().toString(), QStringLiteral("paused: retries off"));
    QVERIFY(next.data(Qt::ToolTipRole).toString().contains(QStringLiteral("no downstream URL")));
    // The column is wide enough to say it.
    QHeaderView *header = dlq()->table()->horizontalHeader();
    QVERIFY(header->sectionSize(QueueTableModel::NextRetry)
            > dlq()->table()->fontMetrics().horizontalAdvance(next.data().toString()));
    // The permanent failures have no schedule to pause.
    QCOMPARE(m_window->permanentView()->model()->columnCount(), int(QueueTableModel::NextRetry));
    m_window->setRetriesRunning(true, QStringLiteral("http://crm.example/hook"));
    QVERIFY(next.data().toString().startsWith(QStringLiteral("in ")));
}

void TestQueueView::escapeInTheEditorAsksBeforeDiscarding()
{
    const QByteArray before = m_backend->items(QueueList::DeadLetters).at(1);
    select(dlq(), 1);
    // Unchanged: Esc closes at once, nothing asked.
    QTest::keyClick(dlq()->table(), Qt::Key_E);
    QTRY_VERIFY(dlq()->editor());
    QTest::keyClick(dlq()->editor()->editor(), Qt::Key_Escape);
    QTRY_VERIFY(!dlq()->editor());
    QVERIFY(ui::Prompts::takeLog().isEmpty());

    dlq()->editAction()->trigger(); // the window may not have its focus back yet
    QTRY_VERIFY(dlq()->editor());
    QPointer<ui::EditEntryDialog> editor = dlq()->editor();
    QString text = editor->editedText();
    text.replace(QStringLiteral("\"priority\": 0"), QStringLiteral("\"priority\": 7"));
    editor->setEditedText(text);
    QVERIFY(editor->isModified());
    // Esc with changes asks; Cancel (the default) keeps the dialog and the edit.
    QTest::keyClick(editor->editor(), Qt::Key_Escape);
    QTRY_VERIFY(ui::Prompts::lastText().startsWith(QStringLiteral("Unsaved changes: ")));
    QTest::qWait(50);
    QVERIFY(editor && editor->isVisible());
    QCOMPARE(editor->editedText(), text);
    // Closing the window asks the same; Discard closes it and writes nothing.
    ui::Prompts::takeLog();
    ui::Prompts::pushUnsavedAnswer(ui::Prompts::Unsaved::Discard);
    editor->close();
    QTRY_VERIFY(!editor);
    QVERIFY(ui::Prompts::takeLog().join(QLatin1Char('\n')).contains(QStringLiteral("not saved")));
    QCOMPARE(m_backend->items(QueueList::DeadLetters).at(1), before);

    // Save from the question saves, then closes.
    dlq()->editAction()->trigger(); // the window may not have its focus back yet
    QTRY_VERIFY(dlq()->editor());
    editor = dlq()->editor();
    editor->setEditedText(text);
    ui::Prompts::pushUnsavedAnswer(ui::Prompts::Unsaved::Save);
    QTest::keyClick(editor->editor(), Qt::Key_Escape);
    QTRY_VERIFY(!editor);
    QVERIFY(core::DeadLetterEntry::parse(m_backend->items(QueueList::DeadLetters).at(1))
                .payload()
                .contains("\"priority\":7"));
}

void TestQueueView::editNeedsASelectionAndThePaneFollowsIt()
{
    QVERIFY(!dlq()->editAction()->isEnabled());
    select(dlq(), 2);
    QVERIFY(dlq()->editAction()->isEnabled());
    QVERIFY(dlq()->detail()->summaryText().contains(QStringLiteral("{id}")));
    // Ctrl+click on the selected row: the current row stays, the selection goes.
    const QRect cell = dlq()->table()->visualRect(dlq()->model()->index(2, 1));
    QTest::mouseClick(dlq()->table()->viewport(), Qt::LeftButton, Qt::ControlModifier,
                      cell.center());
    QTRY_VERIFY(dlq()->table()->selectionModel()->selectedRows().isEmpty());
    QVERIFY(dlq()->table()->currentIndex().isValid());
    QVERIFY(!dlq()->editAction()->isEnabled());
    QVERIFY(!dlq()->retryAction()->isEnabled());
    QVERIFY(dlq()->detail()->summaryText().contains(QStringLiteral("Select an entry")));
    // E does nothing without a selection.
    QTest::keyClick(dlq()->table(), Qt::Key_E);
    QTest::qWait(50);
    QVERIFY(!dlq()->editor());
    // Two rows: nothing to edit either.
    select(dlq(), 3);
    dlq()->table()->selectionModel()->select(
        dlq()->model()->index(4, 0), QItemSelectionModel::Select | QItemSelectionModel::Rows);
    QVERIFY(!dlq()->editAction()->isEnabled());
    QVERIFY(dlq()->retryAction()->isEnabled());
}

void TestQueueView::settingsShortcutIsShownInTheMenu()
{
    QAction *settings = m_window->settingsAction();
    QVERIFY(settings);
    // The menu shows the first shortcut: never an empty one (Linux has no Preferences key).
    QVERIFY(!settings->shortcut().isEmpty());
    QVERIFY(settings->shortcuts().contains(QKeySequence(Qt::CTRL | Qt::Key_Comma)));
    if (QKeySequence(QKeySequence::Preferences).isEmpty())
        QCOMPARE(settings->shortcut(), QKeySequence(Qt::CTRL | Qt::Key_Comma));
}

void TestQueueView::mainControlsHaveAccessibleNames()
{
    QList<QWidget *> controls { m_window->sidebar(),
                                m_window->redisStatus(),
                                m_window->receiverStatus(),
                                m_window->retriesStatus(),
                                m_window->liveView()->table(),
                                m_window->receiverPanel()->startStopButton(),
                                m_window->receiverPanel()->registerButton() };
    for (QueueView *view : { dlq(), m_window->permanentView() }) {
        controls << view->table() << view->searchBox() << view->detail() << view->toolBar();
        for (QAction *action : { view->retryAction(), view->editAction(), view->deleteAction() })
            controls << view->toolBar()->widgetForAction(action);
    }
    QSet<QString> names;
    for (QWidget *control : std::as_const(controls)) {
        QVERIFY(control);
        QVERIFY2(!control->accessibleName().isEmpty(), control->metaObject()->className());
        names.insert(control->accessibleName());
    }
    // Each says which it is: the two lists' tables and search boxes are told apart.
    QCOMPARE(dlq()->table()->accessibleName(), QStringLiteral("Dead letter queue entries"));
    QCOMPARE(m_window->permanentView()->searchBox()->accessibleName(),
             QStringLiteral("Search the permanent failures"));
    QVERIFY(dlq()->toolBar()->widgetForAction(dlq()->editAction())->accessibleName()
            == QStringLiteral("Edit payload"));
}

void TestQueueView::themeSwitchesPaletteAndIsRemembered()
{
    const QList<QAction *> themes = m_window->themeActions();
    QCOMPARE(themes.size(), 3);
    QVERIFY(themes.at(0)->isChecked()); // System by default
    const QColor systemWindow = QApplication::palette().color(QPalette::Window);
    themes.at(2)->trigger(); // Dark
    QVERIFY(themes.at(2)->isChecked());
    QCOMPARE(ui::appearance::currentTheme(), ui::appearance::Theme::Dark);
    QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 80);
    QTRY_VERIFY(dlq()->palette().color(QPalette::Base).lightness() < 80);
    // The next window (a restart) opens dark.
    m_window.reset();
    ui::appearance::applyTheme(ui::appearance::Theme::System);
    auto backend = std::make_unique<tests::MemoryQueueBackend>();
    m_window = std::make_unique<ui::MainWindow>(std::move(backend), *m_settings, *m_credentials);
    QCOMPARE(ui::appearance::currentTheme(), ui::appearance::Theme::Dark);
    QVERIFY(m_window->themeActions().at(2)->isChecked());
    m_window->themeActions().at(0)->trigger(); // back to System
    QCOMPARE(QApplication::palette().color(QPalette::Window), systemWindow);
}

void TestQueueView::receiverBoxesOnTheOverview()
{
    m_window->showPage(ui::MainWindow::Page::Overview);
    ui::ReceiverPanel *panel = m_window->receiverPanel();
    QTRY_VERIFY(panel->isVisible());
    // A column of boxes on the Overview page at a readable width, the receiver's box first.
    const auto boxes = panel->findChildren<QGroupBox *>();
    QCOMPARE(boxes.size(), 3);
    for (QGroupBox *box : boxes)
        QVERIFY2(box->width() <= 720, qPrintable(QString::number(box->width())));
    QVERIFY(panel->startStopButton()->mapTo(panel, QPoint(0, 0)).y() < 120);
    QCOMPARE(panel->countLabel(ui::ReceiverPanel::MeanLatency)->text(), QStringLiteral("none yet"));
    core::DeliveryEvent event;
    event.latencyUs = 420;
    m_window->addDelivery(event);
    QCOMPARE(panel->countLabel(ui::ReceiverPanel::Requests)->text(), QStringLiteral("1"));
    QCOMPARE(panel->countLabel(ui::ReceiverPanel::MeanLatency)->text(), QStringLiteral("0.4 ms"));
}

QTEST_MAIN(TestQueueView)
#include "tst_queueview.moc"
