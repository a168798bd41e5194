// SPDX-License-Identifier: MIT
#include "core/queue/deadletterentry.h"
#include "tests/support/testenv.h"
#include "ui/dialogs/editentrydialog.h"
#include "ui/dialogs/prompts.h"
#include "ui/widgets/appearance.h"
#include "ui/widgets/entrydetailview.h"
#include "ui/widgets/jsonformat.h"

#include <QPlainTextEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTabWidget>
#include <QTableWidget>
#include <QTest>
#include <QTimer>

using namespace redrive;

class TestEntryWidgets : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void indentKeepsOrderAndDigits();
    void retriesReadInProperPlurals();
    void detailShowsEverything();
    void detailShowsRawForGarbage();
    void editorValidatesAsYouType();
    void editorShowsDiffAndRequestsSave();
    void editorConflictOffersReload();
    void promptsAnswerFromQueueInTestMode();
};

void TestEntryWidgets::initTestCase()
{
    ui::appearance::installTranslations(); // as the application does
}

// The English translation carries the plural forms: never "retry(s)" nor "1 retries".
void TestEntryWidgets::retriesReadInProperPlurals()
{
    core::DeadLetterEntry entry = core::DeadLetterEntry::create(
        tests::sampleNotification(), QStringLiteral("HTTP 503"), 503, {}, QStringLiteral("test"));
    ui::EntryDetailView view;
    view.showEntry(entry.raw());
    QVERIFY2(view.summaryText().contains(QStringLiteral("Status 503 on the delivery, not retried yet")),
             qPrintable(view.summaryText()));
    const core::DeadLetterEntry::Attempt failed { QDateTime::currentDateTimeUtc(), 502,
                                                  QStringLiteral("bad gateway"), 0 };
    entry = entry.withFailedAttempt(failed, QDateTime::currentDateTimeUtc().addSecs(60));
    view.showEntry(entry.raw());
    QVERIFY2(view.summaryText().contains(QStringLiteral("Status 502 after 1 retry:")),
             qPrintable(view.summaryText()));
    entry = entry.withFailedAttempt(failed, {}).withFailedAttempt(failed, {});
    view.showEntry(entry.raw());
    QVERIFY2(view.summaryText().contains(QStringLiteral("Status 502 after 3 retries:")),
             qPrintable(view.summaryText()));
    QVERIFY(!view.summaryText().contains(QStringLiteral("(s)")));
    // A duration under a millisecond is not "0 ms".
    QTableWidget *history = nullptr;
    for (QTableWidget *table : view.findChildren<QTableWidget *>()) {
        if (table->columnCount() == 4) // When, Status, Duration, Error
            history = table;
    }
    QVERIFY(history);
    QCOMPARE(history->rowCount(), 4); // the delivery and its 3 retries
    QVERIFY(history->item(1, 2));
    QCOMPARE(history->item(1, 2)->text(), QStringLiteral("< 1 ms"));
}

void TestEntryWidgets::indentKeepsOrderAndDigits()
{
    const QString out = ui::jsonformat::indent(R"({"z":1.50,"a":[1,2],"s":"x,{y}","e":{}})");
    QCOMPARE(out,
             QStringLiteral("{\n  \"z\": 1.50,\n  \"a\": [\n    1,\n    2\n  ],\n  \"s\": "
                            "\"x,{y}\",\n  \"e\": {}\n}"));
}

void TestEntryWidgets::detailShowsEverything()
{
    core::DeadLetterEntry entry = core::DeadLetterEntry::create(
        tests::sampleNotification(), QStringLiteral("HTTP 503"), 503,
        { { "content-type", "application/json" }, { "user-agent", "Genesys" } },
        QStringLiteral("test"));
    entry = entry.withFailedAttempt(
        { QDateTime::currentDateTimeUtc(), 502, QStringLiteral("bad gateway"), 250 },
        QDateTime::currentDateTimeUtc().addSecs(60));
    ui::EntryDetailView view;
    auto *tabs = view.findChild<QTabWidget *>();
    QVERIFY(tabs->isHidden()); // nothing selected: no empty tabs
    view.showEntry(entry.raw());
    QVERIFY(!tabs->isHidden());
    QVERIFY(view.summaryText().contains(QStringLiteral("customer.start")));
    QVERIFY(view.summaryText().contains(QStringLiteral("bad gateway")));
    QVERIFY(view.payloadText().startsWith(QStringLiteral("{\n  \"topicName\": ")));
    const auto tables = view.findChildren<QTableWidget *>();
    QCOMPARE(tables.size(), 2);
    int headerRows = 0;
    int attemptRows = 0;
    for (QTableWidget *t : tables) {
        if (t->columnCount() == 2)
            headerRows = t->rowCount();
        else
            attemptRows = t->rowCount();
    }
    QCOMPARE(headerRows, 2);
    QCOMPARE(attemptRows, 2);
    view.clear();
    QVERIFY(tabs->isHidden());
}

void TestEntryWidgets::detailShowsRawForGarbage()
{
    ui::EntryDetailView view;
    view.showEntry(QByteArrayLiteral("garbage <not json>"));
    QVERIFY(view.summaryText().contains(QStringLiteral("Not a Redrive entry")));
    auto *tabs = view.findChild<QTabWidget *>();
    QCOMPARE(tabs->tabText(tabs->currentIndex()), QStringLiteral("Raw"));
    auto *raw = qobject_cast<QPlainTextEdit *>(tabs->currentWidget());
    QCOMPARE(raw->toPlainText(), QStringLiteral("garbage <not json>"));
}

void TestEntryWidgets::editorValidatesAsYouType()
{
    const QByteArray raw = core::DeadLetterEntry::create(R"({"topicName":"t","n":1})",
                                                         QStringLiteral("e"), 500, {}, {})
                               .raw();
    ui::EditEntryDialog dialog(raw);
    dialog.show();
    QVERIFY(dialog.isValid());
    QVERIFY(!dialog.saveButton()->isEnabled()); // unchanged
    QPlainTextEdit *editor = dialog.editor();
    editor->setFocus();
    editor->moveCursor(QTextCursor::End);
    QTest::keyClick(editor, Qt::Key_Backspace); // drop the closing brace
    QVERIFY(!dialog.isValid());
    QVERIFY(dialog.validationMessage().contains(QStringLiteral("line")));
    QVERIFY(!dialog.saveButton()->isEnabled());
    QTest::keyClicks(editor, QStringLiteral("}"));
    QVERIFY(dialog.isValid());
    dialog.setEditedText(QStringLiteral("[1,2]"));
    QVERIFY(!dialog.isValid());
    QVERIFY(dialog.validationMessage().contains(QStringLiteral("object")));
}

void TestEntryWidgets::editorShowsDiffAndRequestsSave()
{
    const QByteArray raw = core::DeadLetterEntry::create(R"({"topicName":"t","n":1})",
                                                         QStringLiteral("e"), 500, {}, {})
                               .raw();
    ui::EditEntryDialog dialog(raw);
    dialog.show();
    dialog.setEditedText(QStringLiteral("{\n  \"topicName\": \"t\",\n  \"n\": 2\n}"));
    QVERIFY(dialog.saveButton()->isEnabled());
    QCOMPARE(dialog.diffText(),
             QStringLiteral("  {\n    \"topicName\": \"t\",\n-   \"n\": 1\n+   \"n\": 2\n  }"));
    QSignalSpy save(&dialog, &ui::EditEntryDialog::saveRequested);
    QTest::mouseClick(dialog.saveButton(), Qt::LeftButton);
    QCOMPARE(save.size(), 1);
    QCOMPARE(save.at(0).at(0).toByteArray(), raw);
    QVERIFY(save.at(0).at(1).toByteArray().contains("\"n\": 2"));
    dialog.saved();
    QCOMPARE(dialog.result(), int(QDialog::Accepted));
}

void TestEntryWidgets::editorConflictOffersReload()
{
    const core::DeadLetterEntry original = core::DeadLetterEntry::create(
        R"({"topicName":"t","n":1})", QStringLiteral("e"), 500, {}, {});
    ui::EditEntryDialog dialog(original.raw());
    dialog.show();
    dialog.setEditedText(QStringLiteral("{\"topicName\":\"t\",\"n\":3}"));
    QTest::mouseClick(dialog.saveButton(), Qt::LeftButton);
    dialog.refused(QStringLiteral("the entry changed since it was read"), true);
    QVERIFY(dialog.isVisible());
    QVERIFY(dialog.reloadButton()->isVisible());
    QVERIFY(!dialog.saveButton()->isEnabled());
    QVERIFY(dialog.validationMessage().contains(QStringLiteral("changed since")));
    QSignalSpy reload(&dialog, &ui::EditEntryDialog::reloadRequested);
    QTest::mouseClick(dialog.reloadButton(), Qt::LeftButton);
    QCOMPARE(reload.size(), 1);
    QCOMPARE(reload.at(0).at(0).toString(), original.id());
    const core::DeadLetterEntry changed = original.withFailedAttempt(
        { QDateTime::currentDateTimeUtc(), 503, QStringLiteral("again"), 10 }, {});
    dialog.reloadFrom(changed.raw());
    QVERIFY(!dialog.reloadButton()->isVisible());
    QCOMPARE(dialog.originalRaw(), changed.raw());
    QVERIFY(!dialog.saveButton()->isEnabled()); // back to the stored payload, unchanged
}

void TestEntryWidgets::promptsAnswerFromQueueInTestMode()
{
    ui::Prompts::setTestMode(true);
    ui::Prompts::pushConfirmAnswer(true);
    bool answer = false;
    bool called = false;
    ui::Prompts::confirm(nullptr, QStringLiteral("Delete"), QStringLiteral("Delete 3?"),
                         QStringLiteral("Delete 3"), this, [&](bool ok) {
                             answer = ok;
                             called = true;
                         });
    QTRY_VERIFY(called);
    QVERIFY(answer);
    called = false;
    ui::Prompts::confirm(nullptr, QStringLiteral("Delete"), QStringLiteral("again?"),
                         QStringLiteral("Delete"), this, [&](bool ok) {
                             answer = ok;
                             called = true;
                         });
    QTRY_VERIFY(called);
    QVERIFY(!answer); // nothing queued: no
    QCOMPARE(
        ui::Prompts::takeLog(),
        QStringList({ QStringLiteral("Delete: Delete 3?"), QStringLiteral("Delete: again?") }));
    ui::Prompts::setTestMode(false);
}

QTEST_MAIN(TestEntryWidgets)
#include "tst_entrywidgets.moc"
