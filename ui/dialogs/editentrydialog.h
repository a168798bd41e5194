// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QDialog>

class QDialogButtonBox;
class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTabWidget;

namespace redrive::ui {

// Edits the payload of one entry. The JSON is checked as the user types (Save only when it is
// a valid object and differs from the original) and a Changes tab shows a line diff against the
// original. Saving does not write anything itself: it asks, through saveRequested(), and the
// owner reports back with saved() or refused(); a refusal because the entry changed meanwhile
// offers Reload, which asks the owner for the entry's current text (reloadRequested()).
class EditEntryDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EditEntryDialog)

public:
    explicit EditEntryDialog(const QByteArray &raw, QWidget *parent = nullptr);
    ~EditEntryDialog() override;

    QByteArray originalRaw() const { return m_raw; }
    QString entryId() const { return m_id; }
    QString editedText() const;
    void setEditedText(const QString &text);
    bool isValid() const { return m_valid; }
    QString validationMessage() const;
    QString diffText() const;
    QPlainTextEdit *editor() const { return m_editor; }
    QPushButton *saveButton() const { return m_save; }
    QPushButton *reloadButton() const { return m_reload; }

    // Owner's answers to saveRequested().
    void saved();
    void refused(const QString &message, bool changedMeanwhile);
    // Starts over from the entry's current text (after a conflict).
    void reloadFrom(const QByteArray &raw);

    // The payload differs from the entry's (what Save would write).
    bool isModified() const;
    // Esc, Cancel and the window's close button: with unsaved changes, asks first (Save /
    // Discard / Cancel).
    void reject() override;

    // Line diff of two texts, "  " same, "- " removed, "+ " added lines.
    static QString lineDiff(const QString &before, const QString &after);

Q_SIGNALS:
    void saveRequested(const QByteArray &originalRaw, const QByteArray &payload);
    void reloadRequested(const QString &entryId);

private:
    void validate();
    void load(const QByteArray &raw);

    QByteArray m_raw;
    QString m_id;
    QString m_originalText;
    bool m_valid = false;
    QLabel *m_status;
    QTabWidget *m_tabs;
    QPlainTextEdit *m_editor;
    QPlainTextEdit *m_diff;
    QDialogButtonBox *m_buttons;
    QPushButton *m_save;
    QPushButton *m_reload;
    bool m_asking = false;
    bool m_saving = false;
};

} // namespace redrive::ui
