// SPDX-License-Identifier: MIT
#include "ui/widgets/auditview.h"

#include "ui/models/auditbackend.h"
#include "ui/models/audittablemodel.h"

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
#include <QTableView>
#include <QTimer>
#include <QVBoxLayout>

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
    // Columns fitted to the first records; the outcome takes the rest of the width.
    if (!m_columnsFitted && m_model->rowCount() > 0) {
        m_columnsFitted = true;
        for (int column = 0; column < AuditTableModel::Outcome; ++column)
            m_table->resizeColumnToContents(column);
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
