// SPDX-License-Identifier: MIT
#include "ui/widgets/auditview.h"

#include "ui/models/auditbackend.h"
#include "ui/models/audittablemodel.h"

#include <QEvent>
#include <QFileDialog>
#include <QFontDatabase>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSplitter>
#include <QStandardPaths>
#include <QStyle>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

#include <algorithm>

namespace redrive::ui {

namespace {

// A payload as indented JSON when it is JSON, else as stored.
QString pretty(const QString &text)
{
    const QJsonDocument document = QJsonDocument::fromJson(text.toUtf8());
    if (document.isNull())
        return text;
    return QString::fromUtf8(document.toJson(QJsonDocument::Indented)).trimmed();
}

class MiddleElideDelegate final : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

protected:
    void initStyleOption(QStyleOptionViewItem *option, const QModelIndex &index) const override
    {
        QStyledItemDelegate::initStyleOption(option, index);
        option->textElideMode = Qt::ElideMiddle;
    }
};

} // namespace

AuditView::AuditView(AuditBackend &backend, QWidget *parent)
    : QWidget(parent)
    , m_backend(backend)
    , m_model(new AuditTableModel(backend, this))
    , m_search(new QLineEdit(this))
    , m_table(new QTableView(this))
    , m_loadMore(new QPushButton(tr("Load more"), this))
    , m_export(new QPushButton(tr("Export…"), this))
    , m_refresh(new QPushButton(tr("Refresh"), this))
    , m_detail(new QPlainTextEdit(this))
    , m_status(new QLabel(this))
{
    m_search->setPlaceholderText(tr("Search the audit trail (user, action, id, filter, group…)"));
    m_search->setClearButtonEnabled(true);
    m_search->setAccessibleName(tr("Search the audit trail"));
    m_table->setModel(m_model);
    m_table->setAccessibleName(tr("Audit trail"));
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->horizontalHeader()->setStretchLastSection(true);
    m_table->horizontalHeader()->setSectionResizeMode(QHeaderView::Interactive);
    m_table->setTextElideMode(Qt::ElideRight);
    m_table->viewport()->installEventFilter(this);
    // Lists differ at their end (…_dlq, …_permanent_failures): keep both ends in sight.
    m_table->setItemDelegateForColumn(AuditTableModel::List, new MiddleElideDelegate(m_table));
    m_detail->setReadOnly(true);
    m_detail->setAccessibleName(tr("Audit record"));
    m_detail->setPlaceholderText(tr("Select a record to see it in full."));
    m_detail->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_loadMore->setEnabled(false);
    m_export->setToolTip(tr("Write the records (those matching the search, if any) to a JSON "
                            "Lines file, oldest first"));

    auto *top = new QHBoxLayout;
    top->addWidget(m_search, 1);
    top->addWidget(m_refresh);
    top->addWidget(m_export);
    auto *bottom = new QHBoxLayout;
    bottom->addWidget(m_status, 1);
    bottom->addWidget(m_loadMore);
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_table);
    splitter->addWidget(m_detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(splitter, 1);
    layout->addLayout(bottom);

    // Typing searches once it pauses, not on every key.
    auto *debounce = new QTimer(this);
    debounce->setSingleShot(true);
    debounce->setInterval(300);
    connect(m_search, &QLineEdit::textChanged, debounce, qOverload<>(&QTimer::start));
    connect(debounce, &QTimer::timeout, this, [this] { m_model->setSearch(m_search->text()); });
    connect(m_search, &QLineEdit::returnPressed, this, [this, debounce] {
        debounce->stop();
        m_model->setSearch(m_search->text());
    });
    connect(m_loadMore, &QPushButton::clicked, m_model, &AuditTableModel::loadMore);
    connect(m_refresh, &QPushButton::clicked, m_model, &AuditTableModel::reload);
    connect(m_export, &QPushButton::clicked, this, [this] {
        const QString dir = QStandardPaths::writableLocation(QStandardPaths::DocumentsLocation);
        const QString path = QFileDialog::getSaveFileName(
            this, tr("Export the audit trail"), dir + QStringLiteral("/redrive-audit.jsonl"),
            tr("JSON Lines (*.jsonl);;All files (*)"));
        if (!path.isEmpty())
            exportTo(path);
    });
    connect(m_model, &AuditTableModel::loaded, this, &AuditView::updateStatus);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &AuditView::showSelected);
    connect(m_model, &QAbstractItemModel::modelReset, this, &AuditView::showSelected);
    connect(&backend, &AuditBackend::recorded, m_model, &AuditTableModel::refreshNewest);
}

AuditView::~AuditView() = default;

bool AuditView::eventFilter(QObject *watched, QEvent *event)
{
    // After the table has laid itself out for its new size.
    if (watched == m_table->viewport() && event->type() == QEvent::Resize)
        QMetaObject::invokeMethod(this, &AuditView::fitColumns, Qt::QueuedConnection);
    return QWidget::eventFilter(watched, event);
}

void AuditView::fitColumns()
{
    // Narrower than the columns' content plus some outcome: the wordy columns (host, action,
    // list, filter or group) give up width in proportion, down to 8 characters each.
    if (m_fittedWidths.isEmpty())
        return;
    const int chars = m_table->fontMetrics().averageCharWidth();
    const int outcome = 16 * chars;
    const int floor = 8 * chars + 8;
    const int shrinkable[] = { AuditTableModel::Host, AuditTableModel::Action,
                               AuditTableModel::List, AuditTableModel::FilterOrGroup };
    int total = 0;
    for (int width : std::as_const(m_fittedWidths))
        total += width;
    int spare = 0;
    for (int column : shrinkable)
        spare += std::max(0, m_fittedWidths.at(column) - floor);
    const int excess = std::clamp(total + outcome - m_table->viewport()->width(), 0, spare);
    int used = 0;
    for (int column = 0; column < m_fittedWidths.size(); ++column) {
        int width = m_fittedWidths.at(column);
        if (excess > 0 && std::find(std::begin(shrinkable), std::end(shrinkable), column)
                != std::end(shrinkable))
            width -= (std::max(0, width - floor) * excess + spare - 1) / spare;
        m_table->setColumnWidth(column, width);
        used += width;
    }
    m_table->setColumnWidth(AuditTableModel::Outcome,
                            std::max(outcome, m_table->viewport()->width() - used));
}

void AuditView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    // Read when first shown, not at start: most sessions never open this page.
    if (!m_loadedOnce) {
        m_loadedOnce = true;
        m_model->reload();
    }
}

void AuditView::updateStatus(const QString &error)
{
    // Columns fitted to the first records, none wider than 18 characters (longer text is
    // elided, in full in its tooltip and the record below); the outcome takes the rest of the
    // width, so the table needs no horizontal scrolling in a window of 1200 pixels.
    if (!m_columnsFitted && m_model->rowCount() > 0) {
        m_columnsFitted = true;
        const int widest = m_table->fontMetrics().averageCharWidth() * 18
            + 2 * m_table->style()->pixelMetric(QStyle::PM_FocusFrameHMargin) + 8;
        m_fittedWidths.clear();
        for (int column = 0; column < AuditTableModel::Outcome; ++column) {
            m_table->resizeColumnToContents(column);
            m_fittedWidths.append(column == AuditTableModel::When
                                      ? m_table->columnWidth(column)
                                      : std::min(m_table->columnWidth(column), widest));
        }
        fitColumns();
    }
    m_loadMore->setEnabled(m_model->hasMore());
    if (!error.isEmpty()) {
        m_status->setText(error);
        return;
    }
    const QString shown = QLocale().toString(m_model->rowCount());
    if (m_model->search().isEmpty())
        m_status->setText(m_model->hasMore() ? tr("%1 newest records shown").arg(shown)
                                             : tr("%1 records, the whole trail").arg(shown));
    else
        m_status->setText(
            m_model->hasMore()
                ? tr("%1 records match so far (Load more searches further back)").arg(shown)
                : tr("%1 records match").arg(shown));
}

void AuditView::showSelected()
{
    const QModelIndex current = m_table->currentIndex();
    if (!current.isValid()) {
        m_detail->clear();
        return;
    }
    m_detail->setPlainText(describe(current.data(AuditTableModel::RecordRole)));
}

QString AuditView::describe(const QVariant &value)
{
    const core::AuditRecord record = value.value<core::AuditRecord>();
    QJsonObject json = record.toJson();
    // The payloads are shown below as JSON of their own, not as escaped strings.
    json.remove(QStringLiteral("before"));
    json.remove(QStringLiteral("after"));
    const QString whole
        = QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Indented)).trimmed();
    if (record.action != core::AuditAction::Edit && record.before.isEmpty()
        && record.after.isEmpty())
        return whole;
    // What changed first, then the record.
    return tr("Payload before:") + QLatin1Char('\n') + pretty(record.before)
        + QStringLiteral("\n\n") + tr("Payload after:") + QLatin1Char('\n') + pretty(record.after)
        + QStringLiteral("\n\n") + tr("Record:") + QLatin1Char('\n') + whole;
}

void AuditView::exportTo(const QString &path)
{
    m_export->setEnabled(false);
    m_backend.exportJsonLines(
        path, m_model->search(), this, [this, path](qint64 written, const QString &error) {
            m_export->setEnabled(true);
            Q_EMIT message(
                error.isEmpty()
                    ? tr("%n audit records exported to %1", nullptr, int(written)).arg(path)
                    : error);
        });
}

} // namespace redrive::ui
