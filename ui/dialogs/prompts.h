// SPDX-License-Identifier: MIT
#pragma once

#include <QObject>
#include <QString>
#include <QStringList>

#include <functional>

class QWidget;

namespace redrive::ui {

// Every question and message the console puts to the user goes through here. Nothing blocks:
// dialogs are opened window-modal and answer through a callback. Tests switch on test mode and
// queue the answers, so no test ever waits on a modal; what would have been shown is recorded.
class Prompts final
{
public:
    Prompts() = delete;

    // `done(true)` when the user accepted. `acceptLabel` names the action ("Delete 12 entries").
    static void confirm(QWidget *parent, const QString &title, const QString &text,
                        const QString &acceptLabel, const QObject *context,
                        std::function<void(bool accepted)> done);
    // `done` gets the chosen path, or an empty string when cancelled.
    static void saveFile(QWidget *parent, const QString &title, const QString &suggestedName,
                         const QString &filter, const QObject *context,
                         std::function<void(const QString &path)> done);
    static void openFile(QWidget *parent, const QString &title, const QString &filter,
                         const QObject *context, std::function<void(const QString &path)> done);
    // Unsaved changes about to be lost: Save (only offered when `canSave`), Discard or Cancel.
    enum class Unsaved { Save, Discard, Cancel };
    static void askUnsaved(QWidget *parent, const QString &title, const QString &text, bool canSave,
                           const QObject *context, std::function<void(Unsaved choice)> done);
    // A message the user must see; never blocks.
    static void warn(QWidget *parent, const QString &title, const QString &text);
    static void inform(QWidget *parent, const QString &title, const QString &text);

    // -- test hooks ------------------------------------------------------------------------
    static void setTestMode(bool on);
    static bool testMode();
    // Answers for the next confirm()s and file dialogs, first in first out. With none queued
    // a confirm is answered "no" and a file dialog is cancelled.
    static void pushConfirmAnswer(bool accept);
    static void pushFileAnswer(const QString &path);
    // With none queued an unsaved-changes question is answered Cancel (nothing is lost).
    static void pushUnsavedAnswer(Unsaved choice);
    // Everything asked or shown in test mode since the last call, in order ("title: text").
    static QStringList takeLog();
    static QString lastText();
};

} // namespace redrive::ui
