// SPDX-License-Identifier: MIT
#include "ui/widgets/entrydetailview.h"

#include "core/queue/deadletterentry.h"
#include "core/queue/topicpattern.h"
#include "ui/widgets/jsonformat.h"
#include "ui/widgets/jsonhighlighter.h"

#include <QEvent>
#include <QFontDatabase>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPlainTextEdit>
#include <QTabWidget>
#include <QTableWidget>
#include <QVBoxLayout>

namespace redrive::ui {

namespace {

QPlainTextEdit *makeTextView(QWidget *parent)
{
    auto *view = new QPlainTextEdit(parent);
    view->setReadOnly(true);
    view->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    view->setLineWrapMode(QPlainTextEdit::NoWrap);
    return view;
}

QTableWidget *makeTable(const QStringList &headers, QWidget *parent)
{
    auto *table = new QTableWidget(0, int(headers.size()), parent);
    table->setHorizontalHeaderLabels(headers);
    table->verticalHeader()->hide();
    table->horizontalHeader()->setStretchLastSection(true);
    table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setWordWrap(false);
    return table;
}

QString when(const QDateTime &time)
{
    return time.isValid() ? QLocale().toString(time.toLocalTime(), QLocale::ShortFormat)
                          : QString();
}

} // namespace

EntryDetailView::EntryDetailView(QWidget *parent)
    : QWidget(parent)
    , m_summary(new QLabel(this))
    , m_tabs(new QTabWidget(this))
    , m_payload(makeTextView(m_tabs))
    , m_headers(makeTable({ tr("Header"), tr("Value") }, m_tabs))
    , m_attempts(makeTable({ tr("When"), tr("Status"), tr("Duration"), tr("Error") }, m_tabs))
    , m_raw(makeTextView(m_tabs))
    , m_payloadHighlighter(new JsonHighlighter(m_payload->document()))
    , m_rawHighlighter(new JsonHighlighter(m_raw->document()))
{
    m_summary->setWordWrap(true);
    m_summary->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_summary->setTextFormat(Qt::RichText);
    m_summary->setContentsMargins(4, 4, 4, 4);
    m_summary->setAlignment(Qt::AlignLeft | Qt::AlignTop); // alone when nothing is selected
    m_raw->setLineWrapMode(QPlainTextEdit::WidgetWidth);
    m_tabs->addTab(m_payload, tr("Payload"));
    m_tabs->addTab(m_headers, tr("Headers"));
    m_tabs->addTab(m_attempts, tr("History"));
    m_tabs->addTab(m_raw, tr("Raw"));
    m_tabs->setDocumentMode(true);
    m_summary->setAccessibleName(tr("Entry summary"));
    m_tabs->setAccessibleName(tr("Entry details"));
    m_payload->setAccessibleName(tr("Payload"));
    m_headers->setAccessibleName(tr("Headers"));
    m_attempts->setAccessibleName(tr("History of attempts"));
    m_raw->setAccessibleName(tr("Raw text as stored"));
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(m_summary);
    layout->addWidget(m_tabs, 1);
    clear();
}

EntryDetailView::~EntryDetailView() = default;

void EntryDetailView::clear(const QString &message)
{
    m_summary->setText(message.isEmpty() ? tr("<i>Select an entry to see it in full.</i>")
                                         : message.toHtmlEscaped());
    m_payload->clear();
    m_raw->clear();
    m_headers->setRowCount(0);
    m_attempts->setRowCount(0);
    m_tabs->hide(); // no empty tabs under "select an entry"
}

void EntryDetailView::showEntry(const QByteArray &raw)
{
    const core::DeadLetterEntry entry = core::DeadLetterEntry::parse(raw);
    m_tabs->show();
    m_tabs->setTabVisible(m_tabs->indexOf(m_headers), true);
    m_tabs->setTabVisible(m_tabs->indexOf(m_attempts), true);
    m_raw->setPlainText(entry.isJsonObject() ? jsonformat::indent(raw) : QString::fromUtf8(raw));
    m_rawHighlighter->setDocument(entry.isJsonObject() ? m_raw->document() : nullptr);
    m_headers->setRowCount(0);
    m_attempts->setRowCount(0);

    if (!entry.isJsonObject()) {
        m_summary->setText(tr("<b>Not a Redrive entry:</b> %1<br>It is shown as stored and can "
                              "be deleted or exported; it cannot be retried or edited.")
                               .arg(entry.problem().toHtmlEscaped()));
        m_payload->setPlainText(QString::fromUtf8(raw));
        m_payloadHighlighter->setDocument(nullptr);
        m_tabs->setCurrentWidget(m_raw);
        return;
    }

    QStringList lines;
    // The topic as the table shows it, its ids below: a long topic never runs off the pane.
    const core::TopicPattern topic = core::topicPattern(entry.topic());
    lines << tr("<b>%1</b>").arg(topic.pattern.isEmpty() ? tr("(no topic)")
                                                         : topic.pattern.toHtmlEscaped());
    for (const QString &id : topic.ids)
        lines << tr("<small>{id} = %1</small>").arg(id.toHtmlEscaped());
    // In the words of --max-retries: the delivery that failed, then the worker's retries.
    const int retries = entry.retryCount();
    QString status = retries == 0
        ? tr("Status %1 on the delivery, not retried yet").arg(entry.statusCode())
        : tr("Status %1 after %n retries", nullptr, retries).arg(entry.statusCode());
    if (!entry.errorMessage().isEmpty())
        status += QStringLiteral(": ") + entry.errorMessage().toHtmlEscaped();
    lines << status;
    QStringList facts;
    facts << tr("id %1").arg(entry.id().toHtmlEscaped());
    if (entry.receivedAt().isValid())
        facts << tr("received %1").arg(when(entry.receivedAt()));
    if (entry.nextAttemptAt().isValid())
        facts << tr("next retry %1").arg(when(entry.nextAttemptAt()));
    if (!entry.source().isEmpty())
        facts << tr("from %1").arg(entry.source().toHtmlEscaped());
    lines << facts.join(QStringLiteral(" · "));
    if (!entry.isRetryable())
        lines << tr("<b>Cannot be retried:</b> %1").arg(entry.problem().toHtmlEscaped());
    m_summary->setText(lines.join(QStringLiteral("<br>")));

    const QByteArray payload = entry.payload();
    m_payload->setPlainText(payload.isEmpty() ? tr("(no original_payload)")
                                              : jsonformat::indent(payload));
    m_payloadHighlighter->setDocument(payload.isEmpty() ? nullptr : m_payload->document());

    const core::HeaderList headers = entry.headers();
    m_headers->setRowCount(int(headers.size()));
    for (int i = 0; i < headers.size(); ++i) {
        m_headers->setItem(i, 0, new QTableWidgetItem(QString::fromLatin1(headers.at(i).first)));
        m_headers->setItem(i, 1, new QTableWidgetItem(QString::fromUtf8(headers.at(i).second)));
    }
    m_headers->resizeColumnToContents(0);

    const QList<core::DeadLetterEntry::Attempt> attempts = entry.attempts();
    m_attempts->setRowCount(int(attempts.size()));
    for (int i = 0; i < attempts.size(); ++i) {
        const auto &a = attempts.at(i);
        m_attempts->setItem(i, 0, new QTableWidgetItem(when(a.at)));
        m_attempts->setItem(i, 1, new QTableWidgetItem(QString::number(a.statusCode)));
        m_attempts->setItem(
            i, 2,
            new QTableWidgetItem(a.durationMs > 0 ? tr("%1 ms").arg(a.durationMs)
                                   : a.durationMs == 0 ? tr("< 1 ms")
                                                       : QString()));
        m_attempts->setItem(i, 3, new QTableWidgetItem(a.error));
    }
    m_attempts->resizeColumnsToContents();
    m_tabs->setTabText(2, tr("History (%1)").arg(attempts.size()));
    m_tabs->setTabText(1, tr("Headers (%1)").arg(headers.size()));
    if (m_tabs->currentWidget() == m_raw)
        m_tabs->setCurrentWidget(m_payload);
}

void EntryDetailView::showPayload(const QString &title, const QByteArray &payload)
{
    m_summary->setText(title.toHtmlEscaped());
    m_tabs->show();
    m_payload->setPlainText(jsonformat::indent(payload));
    m_payloadHighlighter->setDocument(m_payload->document());
    m_raw->setPlainText(QString::fromUtf8(payload));
    m_rawHighlighter->setDocument(nullptr);
    m_headers->setRowCount(0);
    m_attempts->setRowCount(0);
    // A live delivery has no stored headers or attempts yet.
    m_tabs->setTabVisible(m_tabs->indexOf(m_headers), false);
    m_tabs->setTabVisible(m_tabs->indexOf(m_attempts), false);
    m_tabs->setCurrentWidget(m_payload);
}

QString EntryDetailView::payloadText() const
{
    return m_payload->toPlainText();
}

QString EntryDetailView::summaryText() const
{
    return m_summary->text();
}

void EntryDetailView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange) {
        m_payloadHighlighter->updateColors();
        m_rawHighlighter->updateColors();
    }
    QWidget::changeEvent(event);
}

} // namespace redrive::ui
