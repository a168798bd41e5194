// SPDX-License-Identifier: MIT
#include "ui/dialogs/editentrydialog.h"

#include "core/queue/deadletterentry.h"
#include "ui/dialogs/prompts.h"
#include "ui/widgets/jsonformat.h"
#include "ui/widgets/jsonhighlighter.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSyntaxHighlighter>
#include <QTabWidget>
#include <QVBoxLayout>

namespace redrive::ui {

namespace {

// Past this many lines per side the quadratic diff would stall the window; say so instead.
constexpr qsizetype MaxDiffLines = 3000;

QPlainTextEdit *makeEditor(QWidget *parent, bool readOnly)
{
    auto *edit = new QPlainTextEdit(parent);
    edit->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    edit->setLineWrapMode(QPlainTextEdit::NoWrap);
    edit->setReadOnly(readOnly);
    edit->setTabChangesFocus(false);
    return edit;
}

// Colours the lines of lineDiff(): removed red, added green, on tinted backgrounds that read in
// light and dark palettes.
class DiffHighlighter final : public QSyntaxHighlighter
{
public:
    explicit DiffHighlighter(QTextDocument *document)
        : QSyntaxHighlighter(document)
    {
        m_removed.setBackground(QColor(0xe7, 0x4c, 0x3c, 60));
        m_added.setBackground(QColor(0x2e, 0xcc, 0x71, 60));
    }

protected:
    void highlightBlock(const QString &text) override
    {
        if (text.startsWith(QLatin1String("- ")))
            setFormat(0, int(text.size()), m_removed);
        else if (text.startsWith(QLatin1String("+ ")))
            setFormat(0, int(text.size()), m_added);
    }

private:
    QTextCharFormat m_removed;
    QTextCharFormat m_added;
};

} // namespace

EditEntryDialog::EditEntryDialog(const QByteArray &raw, QWidget *parent)
    : QDialog(parent)
    , m_status(new QLabel(this))
    , m_tabs(new QTabWidget(this))
    , m_editor(makeEditor(m_tabs, false))
    , m_diff(makeEditor(m_tabs, true))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Cancel, this))
    , m_save(m_buttons->addButton(QDialogButtonBox::Save)) // the platform's text and icon
    , m_reload(m_buttons->addButton(tr("Reload"), QDialogButtonBox::ResetRole))
{
    setWindowTitle(tr("Edit payload"));
    new JsonHighlighter(m_editor->document());
    new DiffHighlighter(m_diff->document());
    m_tabs->addTab(m_editor, tr("Payload"));
    m_tabs->addTab(m_diff, tr("Changes"));
    m_status->setWordWrap(true);
    m_reload->hide();
    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_tabs, 1);
    layout->addWidget(m_status);
    layout->addWidget(m_buttons);
    resize(760, 560);

    connect(m_editor, &QPlainTextEdit::textChanged, this, &EditEntryDialog::validate);
    connect(m_tabs, &QTabWidget::currentChanged, this, [this](int index) {
        if (m_tabs->widget(index) == m_diff)
            m_diff->setPlainText(diffText());
    });
    connect(m_save, &QPushButton::clicked, this, [this]() {
        if (!m_valid)
            return;
        m_save->setEnabled(false);
        m_saving = true;
        m_status->setText(tr("Saving…"));
        Q_EMIT saveRequested(m_raw, m_editor->toPlainText().toUtf8());
    });
    connect(m_reload, &QPushButton::clicked, this, [this]() {
        m_reload->setEnabled(false);
        m_status->setText(tr("Reading the current entry…"));
        Q_EMIT reloadRequested(m_id);
    });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    load(raw);
}

EditEntryDialog::~EditEntryDialog() = default;

void EditEntryDialog::load(const QByteArray &raw)
{
    m_raw = raw;
    const core::DeadLetterEntry entry = core::DeadLetterEntry::parse(raw);
    m_id = entry.id();
    m_originalText = jsonformat::indent(entry.payload());
    m_editor->setPlainText(m_originalText);
    validate();
}

QString EditEntryDialog::editedText() const
{
    return m_editor->toPlainText();
}

void EditEntryDialog::setEditedText(const QString &text)
{
    m_editor->setPlainText(text);
}

QString EditEntryDialog::validationMessage() const
{
    return m_status->text();
}

void EditEntryDialog::validate()
{
    const QByteArray text = m_editor->toPlainText().toUtf8();
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text, &error);
    if (error.error != QJsonParseError::NoError) {
        // Line and column are what an editor user can act on; the byte offset is not.
        const QByteArray before = text.left(error.offset);
        const qsizetype line = before.count('\n') + 1;
        const qsizetype column = error.offset - before.lastIndexOf('\n');
        m_valid = false;
        m_status->setText(tr("Invalid JSON at line %1, column %2: %3")
                              .arg(line)
                              .arg(column)
                              .arg(error.errorString()));
    } else if (!document.isObject()) {
        m_valid = false;
        m_status->setText(tr("The payload must be a JSON object."));
    } else {
        m_valid = true;
        m_status->setText(m_editor->toPlainText() == m_originalText
                              ? tr("Valid JSON, unchanged.")
                              : tr("Valid JSON. Saving replaces the payload; the entry keeps its "
                                   "place and history."));
    }
    QPalette palette = m_status->palette();
    palette.setColor(QPalette::WindowText,
                     m_valid ? this->palette().color(QPalette::WindowText)
                             : QColor(0xc0, 0x39, 0x2b));
    m_status->setPalette(palette);
    m_save->setEnabled(m_valid && m_editor->toPlainText() != m_originalText);
    if (m_tabs->currentWidget() == m_diff)
        m_diff->setPlainText(diffText());
}

QString EditEntryDialog::diffText() const
{
    return lineDiff(m_originalText, m_editor->toPlainText());
}

QString EditEntryDialog::lineDiff(const QString &before, const QString &after)
{
    const QStringList a = before.split(QLatin1Char('\n'));
    const QStringList b = after.split(QLatin1Char('\n'));
    if (a.size() > MaxDiffLines || b.size() > MaxDiffLines)
        return tr("(too large to compare line by line: %1 and %2 lines)")
            .arg(a.size())
            .arg(b.size());
    // Longest common subsequence table, then walk it to list kept/removed/added lines.
    const qsizetype n = a.size();
    const qsizetype m = b.size();
    QList<int> lcs((n + 1) * (m + 1), 0);
    auto at = [m](qsizetype i, qsizetype j) { return i * (m + 1) + j; };
    for (qsizetype i = n - 1; i >= 0; --i) {
        for (qsizetype j = m - 1; j >= 0; --j) {
            lcs[at(i, j)] = a.at(i) == b.at(j) ? lcs[at(i + 1, j + 1)] + 1
                                               : std::max(lcs[at(i + 1, j)], lcs[at(i, j + 1)]);
        }
    }
    QStringList all;
    qsizetype i = 0;
    qsizetype j = 0;
    while (i < n && j < m) {
        if (a.at(i) == b.at(j)) {
            all << QStringLiteral("  ") + a.at(i);
            ++i;
            ++j;
        } else if (lcs[at(i + 1, j)] >= lcs[at(i, j + 1)]) {
            all << QStringLiteral("- ") + a.at(i++);
        } else {
            all << QStringLiteral("+ ") + b.at(j++);
        }
    }
    while (i < n)
        all << QStringLiteral("- ") + a.at(i++);
    while (j < m)
        all << QStringLiteral("+ ") + b.at(j++);

    // Like a unified diff: changed lines with three lines of context, "…" for the rest.
    constexpr qsizetype Context = 3;
    QList<bool> keep(all.size(), false);
    bool changed = false;
    for (qsizetype k = 0; k < all.size(); ++k) {
        if (all.at(k).startsWith(QLatin1Char(' ')))
            continue;
        changed = true;
        for (qsizetype c = std::max<qsizetype>(0, k - Context);
             c <= std::min(all.size() - 1, k + Context); ++c)
            keep[c] = true;
    }
    if (!changed)
        return tr("(no changes)");
    QStringList out;
    for (qsizetype k = 0; k < all.size(); ++k) {
        if (keep.at(k))
            out << all.at(k);
        else if (out.isEmpty() || out.constLast() != QStringLiteral("…"))
            out << QStringLiteral("…");
    }
    return out.join(QLatin1Char('\n'));
}

bool EditEntryDialog::isModified() const
{
    return m_editor->toPlainText() != m_originalText;
}

void EditEntryDialog::reject()
{
    if (!isModified() || m_saving) {
        QDialog::reject();
        return;
    }
    if (m_asking)
        return;
    m_asking = true;
    const bool canSave = m_valid && m_save->isEnabled();
    Prompts::askUnsaved(this, tr("Unsaved changes"),
                        canSave ? tr("The payload has changes that are not saved. Save them "
                                     "before closing?")
                                : tr("The payload has changes that are not saved (and are not "
                                     "valid JSON yet, so they cannot be saved). Discard them?"),
                        canSave, this, [this](Prompts::Unsaved choice) {
                            m_asking = false;
                            switch (choice) {
                            case Prompts::Unsaved::Save:
                                m_save->click(); // closes once the owner says it is saved
                                return;
                            case Prompts::Unsaved::Discard:
                                QDialog::reject();
                                return;
                            case Prompts::Unsaved::Cancel:
                                m_editor->setFocus();
                                return;
                            }
                        });
}

void EditEntryDialog::saved()
{
    m_saving = false;
    accept();
}

void EditEntryDialog::refused(const QString &message, bool changedMeanwhile)
{
    m_saving = false;
    m_status->setText(changedMeanwhile
                          ? tr("Not saved: %1\nReload to start again from the current entry "
                               "(your edit is in the Changes tab until then).")
                                .arg(message)
                          : tr("Not saved: %1").arg(message));
    QPalette palette = m_status->palette();
    palette.setColor(QPalette::WindowText, QColor(0xc0, 0x39, 0x2b));
    m_status->setPalette(palette);
    m_reload->setVisible(changedMeanwhile);
    m_reload->setEnabled(true);
    m_save->setEnabled(!changedMeanwhile && m_valid);
}

void EditEntryDialog::reloadFrom(const QByteArray &raw)
{
    m_reload->hide();
    load(raw);
}

} // namespace redrive::ui
