// SPDX-License-Identifier: MIT
#include "ui/dialogs/prompts.h"

#include <QFileDialog>
#include <QMessageBox>
#include <QPushButton>
#include <QQueue>
#include <QTimer>

namespace redrive::ui {

namespace {

struct TestState
{
    bool on = false;
    QQueue<bool> confirms;
    QQueue<QString> files;
    QQueue<Prompts::Unsaved> unsaved;
    QStringList log;
};

TestState &testState()
{
    static TestState state;
    return state;
}

void record(const QString &title, const QString &text)
{
    testState().log.append(title + QStringLiteral(": ") + text);
}

} // namespace

void Prompts::confirm(QWidget *parent, const QString &title, const QString &text,
                      const QString &acceptLabel, const QObject *context,
                      std::function<void(bool)> done)
{
    if (testState().on) {
        record(title, text);
        const bool answer = testState().confirms.isEmpty() ? false : testState().confirms.dequeue();
        QTimer::singleShot(0, context, [done, answer]() { done(answer); });
        return;
    }
    auto *box = new QMessageBox(QMessageBox::Question, title, text, QMessageBox::NoButton, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    QPushButton *accept = box->addButton(acceptLabel, QMessageBox::AcceptRole);
    box->addButton(QMessageBox::Cancel);
    box->setDefaultButton(QMessageBox::Cancel); // destructive actions need a deliberate click
    QObject::connect(box, &QMessageBox::finished, context,
                     [box, accept, done](int) { done(box->clickedButton() == accept); });
    box->open();
}

void Prompts::saveFile(QWidget *parent, const QString &title, const QString &suggestedName,
                       const QString &filter, const QObject *context,
                       std::function<void(const QString &)> done)
{
    if (testState().on) {
        record(title, suggestedName);
        const QString path = testState().files.isEmpty() ? QString() : testState().files.dequeue();
        QTimer::singleShot(0, context, [done, path]() { done(path); });
        return;
    }
    auto *dialog = new QFileDialog(parent, title, suggestedName, filter);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    dialog->setFileMode(QFileDialog::AnyFile);
    QObject::connect(dialog, &QFileDialog::finished, context, [dialog, done](int result) {
        done(result == QDialog::Accepted && !dialog->selectedFiles().isEmpty()
                 ? dialog->selectedFiles().constFirst()
                 : QString());
    });
    dialog->open();
}

void Prompts::openFile(QWidget *parent, const QString &title, const QString &filter,
                       const QObject *context, std::function<void(const QString &)> done)
{
    if (testState().on) {
        record(title, filter);
        const QString path = testState().files.isEmpty() ? QString() : testState().files.dequeue();
        QTimer::singleShot(0, context, [done, path]() { done(path); });
        return;
    }
    auto *dialog = new QFileDialog(parent, title, QString(), filter);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(QFileDialog::AcceptOpen);
    dialog->setFileMode(QFileDialog::ExistingFile);
    QObject::connect(dialog, &QFileDialog::finished, context, [dialog, done](int result) {
        done(result == QDialog::Accepted && !dialog->selectedFiles().isEmpty()
                 ? dialog->selectedFiles().constFirst()
                 : QString());
    });
    dialog->open();
}

void Prompts::askUnsaved(QWidget *parent, const QString &title, const QString &text,
                         bool canSave, const QObject *context, std::function<void(Unsaved)> done)
{
    if (testState().on) {
        record(title, text);
        Unsaved answer = testState().unsaved.isEmpty() ? Unsaved::Cancel
                                                       : testState().unsaved.dequeue();
        if (answer == Unsaved::Save && !canSave)
            answer = Unsaved::Cancel;
        QTimer::singleShot(0, context, [done, answer]() { done(answer); });
        return;
    }
    const QMessageBox::StandardButtons buttons = canSave
        ? QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel
        : QMessageBox::Discard | QMessageBox::Cancel;
    auto *box = new QMessageBox(QMessageBox::Question, title, text, buttons, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setDefaultButton(canSave ? QMessageBox::Save : QMessageBox::Cancel);
    box->setEscapeButton(QMessageBox::Cancel);
    QObject::connect(box, &QMessageBox::finished, context, [box, done](int) {
        const QMessageBox::StandardButton button = box->standardButton(box->clickedButton());
        done(button == QMessageBox::Save      ? Unsaved::Save
                 : button == QMessageBox::Discard ? Unsaved::Discard
                                                  : Unsaved::Cancel);
    });
    box->open();
}

void Prompts::warn(QWidget *parent, const QString &title, const QString &text)
{
    if (testState().on) {
        record(title, text);
        return;
    }
    auto *box = new QMessageBox(QMessageBox::Warning, title, text, QMessageBox::Ok, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void Prompts::inform(QWidget *parent, const QString &title, const QString &text)
{
    if (testState().on) {
        record(title, text);
        return;
    }
    auto *box = new QMessageBox(QMessageBox::Information, title, text, QMessageBox::Ok, parent);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void Prompts::setTestMode(bool on)
{
    testState() = TestState();
    testState().on = on;
}

bool Prompts::testMode()
{
    return testState().on;
}

void Prompts::pushConfirmAnswer(bool accept)
{
    testState().confirms.enqueue(accept);
}

void Prompts::pushFileAnswer(const QString &path)
{
    testState().files.enqueue(path);
}

void Prompts::pushUnsavedAnswer(Unsaved choice)
{
    testState().unsaved.enqueue(choice);
}

QStringList Prompts::takeLog()
{
    return std::exchange(testState().log, {});
}

QString Prompts::lastText()
{
    return testState().log.isEmpty() ? QString() : testState().log.constLast();
}

} // namespace redrive::ui
