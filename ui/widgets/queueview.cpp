// SPDX-License-Identifier: MIT
#include "ui/widgets/queueview.h"

#include "core/queue/deadletterentry.h"
#include "ui/dialogs/editentrydialog.h"
#include "ui/dialogs/prompts.h"
#include "ui/models/queuetablemodel.h"
#include "ui/widgets/entrydetailview.h"
#include "ui/widgets/iconprovider.h"

#include <QAction>
#include <QEvent>
#include <QFile>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QMenu>
#include <QProgressDialog>
#include <QPushButton>
#include <QResizeEvent>
#include <QScopedValueRollback>
#include <QScrollBar>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTableView>
#include <QTimer>
#include <QToolBar>
#include <QToolButton>
#include <QVBoxLayout>

namespace redrive::ui {

namespace {

// Selections bigger than this are read row by row only when asked to; beyond it the user is
// pointed to "all matching the filter", which runs server-side.
constexpr int MaxSelectionRead = 20000;

// Elides in the middle whatever the view's own mode is.
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

QueueView::QueueView(QueueBackend &backend, QueueList list, QWidget *parent)
    : QWidget(parent)
    , m_backend(backend)
    , m_list(list)
    , m_model(new QueueTableModel(list == QueueList::DeadLetters, this))
    , m_toolBar(new QToolBar(this))
    , m_search(new QLineEdit(this))
    , m_searchInfo(new QLabel(this))
    , m_table(new QTableView(this))
    , m_emptyHint(new QLabel(m_table->viewport()))
    , m_staleBanner(new QLabel(this))
    , m_groupBanner(new QLabel(this))
    , m_groupBar(new QWidget(this))
    , m_detail(new EntryDetailView(this))
    , m_refreshTimer(new QTimer(this))
{
    setUpTable();
    setUpSearch();
    buildActions();
    setUpLayout();
    connectSignals();
    m_model->setFetcher(fetcherFor(QString()));
    updateActions();
    m_detail->clear();
}

QueueView::~QueueView() = default;

void QueueView::setUpTable()
{
    m_table->setModel(m_model);
    // Topics differ at their end (v2.detail.events.conversation.{id}.customer.start / ...end):
    // keep both ends in sight.
    m_table->setItemDelegateForColumn(QueueTableModel::Topic, new MiddleElideDelegate(m_table));
    m_emptyHint->setAlignment(Qt::AlignCenter);
    m_emptyHint->setWordWrap(true);
    m_emptyHint->setTextFormat(Qt::PlainText);
    m_emptyHint->setAttribute(Qt::WA_TransparentForMouseEvents);
    m_emptyHint->setForegroundRole(QPalette::PlaceholderText);
    m_emptyHint->setContentsMargins(24, 24, 24, 24);
    m_emptyHint->setMinimumWidth(360);
    m_emptyHint->hide();
    auto *hintLayout = new QVBoxLayout(m_table->viewport());
    hintLayout->addWidget(m_emptyHint, 0, Qt::AlignCenter);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::ExtendedSelection);
    m_table->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_table->setWordWrap(false);
    m_table->setAlternatingRowColors(true);
    m_table->setTextElideMode(Qt::ElideRight);
    m_table->verticalHeader()->hide();
    // Fixed row height: a million rows are laid out without asking any of them for a size.
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    // Columns by the priority of what they say: the short ones at their content's width, the
    // topic at its patterns' width while the error keeps a readable share, the error the rest
    // (fitColumns). No horizontal scrolling unless the user widens a column.
    QHeaderView *header = m_table->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setSectionResizeMode(QueueTableModel::Error, QHeaderView::Stretch);
    header->setStretchLastSection(false);
    header->setMinimumSectionSize(40);
    header->setTextElideMode(Qt::ElideRight);
    m_table->viewport()->installEventFilter(this);
    connect(header, &QHeaderView::sectionResized, this, [this](int section) {
        if (section == QueueTableModel::Topic && !m_fitting)
            m_topicSizedByUser = true;
    });
}

void QueueView::setUpSearch()
{
    m_search->setPlaceholderText(
        tr("Search the whole list (Ctrl+F): id, topic, error, payload text…"));
    m_search->setClearButtonEnabled(true);
    const bool dlq = m_list == QueueList::DeadLetters;
    m_table->setAccessibleName(dlq ? tr("Dead letter queue entries")
                                   : tr("Permanent failure entries"));
    m_search->setAccessibleName(dlq ? tr("Search the dead letter queue")
                                    : tr("Search the permanent failures"));
    m_searchInfo->setAccessibleName(tr("Entries and selection"));
    m_toolBar->setAccessibleName(dlq ? tr("Dead letter queue actions")
                                     : tr("Permanent failure actions"));
    m_detail->setAccessibleName(tr("Selected entry"));
    m_staleBanner->setAccessibleName(tr("Connection notice"));
    m_searchInfo->setMinimumWidth(160);
}

void QueueView::setUpLayout()
{
    auto *searchRow = new QHBoxLayout;
    searchRow->setContentsMargins(0, 0, 0, 0);
    searchRow->addWidget(m_toolBar);
    searchRow->addWidget(m_search, 1);
    searchRow->addWidget(m_searchInfo);

    m_splitter = new QSplitter(Qt::Horizontal, this);
    m_splitter->addWidget(m_table);
    m_splitter->addWidget(m_detail);
    // The table first: its columns need the room; the entry pane takes 30 % (resizeEvent) and
    // a window made wider or narrower changes both in about that proportion.
    m_splitter->setStretchFactor(0, 7);
    m_splitter->setStretchFactor(1, 3);
    m_splitter->setCollapsible(0, false);
    m_detail->setMinimumWidth(240);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(searchRow);
    m_staleBanner->setWordWrap(true);
    m_staleBanner->setTextFormat(Qt::PlainText);
    m_staleBanner->setContentsMargins(8, 4, 8, 4);
    m_staleBanner->setAutoFillBackground(true);
    m_staleBanner->setBackgroundRole(QPalette::ToolTipBase);
    m_staleBanner->setForegroundRole(QPalette::ToolTipText);
    m_staleBanner->hide();
    layout->addWidget(m_staleBanner);
    layout->addWidget(m_groupBar);
    layout->addWidget(m_splitter, 1);

    // The group filter: what the rows are limited to, and the way back to the whole list.
    auto *groupRow = new QHBoxLayout(m_groupBar);
    groupRow->setContentsMargins(8, 2, 8, 2);
    m_groupBanner->setTextFormat(Qt::PlainText);
    m_groupBanner->setAccessibleName(tr("Failure group filter"));
    auto *clearGroup = new QPushButton(tr("Show all entries"), m_groupBar);
    clearGroup->setAccessibleName(tr("Clear the failure group filter"));
    connect(clearGroup, &QPushButton::clicked, this, [this]() { setGroupFilter(QString()); });
    groupRow->addWidget(m_groupBanner, 1);
    groupRow->addWidget(clearGroup);
    m_groupBar->setAutoFillBackground(true);
    m_groupBar->setBackgroundRole(QPalette::AlternateBase);
    m_groupBar->hide();
}

void QueueView::connectSignals()
{
    // Changes arrive in bursts (a worker draining, a bulk action): re-read at most every
    // 250 ms, well inside the one second users should wait to see a change.
    m_refreshTimer->setSingleShot(true);
    m_refreshTimer->setInterval(250);
    connect(m_refreshTimer, &QTimer::timeout, this, [this]() {
        if (m_query.isEmpty())
            m_model->refresh(); // the whole list, or the group
        else
            search(m_query);
        refreshTotal();
    });

    connect(m_search, &QLineEdit::returnPressed, this, [this]() { search(m_search->text()); });
    connect(m_search, &QLineEdit::textChanged, this, [this](const QString &text) {
        if (text.isEmpty() && !m_query.isEmpty())
            search(QString());
    });
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &QueueView::showCurrent);
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &QueueView::showCurrent);
    connect(m_table->verticalScrollBar(), &QScrollBar::valueChanged, this,
            &QueueView::updateVisibleRows);
    // A resize or a new row count changes what is visible without scrolling.
    connect(m_table->verticalScrollBar(), &QScrollBar::rangeChanged, this,
            &QueueView::updateVisibleRows);
    connect(m_table, &QTableView::doubleClicked, this, &QueueView::editCurrent);
    connect(m_model, &QAbstractItemModel::dataChanged, this,
            [this](const QModelIndex &topLeft, const QModelIndex &bottomRight) {
                const int current = m_table->currentIndex().row();
                if (current >= topLeft.row() && current <= bottomRight.row())
                    showCurrent();
            });
    connect(m_model, &QAbstractItemModel::layoutChanged, this, &QueueView::restoreSelection);
    connect(m_model, &QueueTableModel::rowsShiftedDown, this, [this](int count) {
        // LPUSH by anyone: at the top the new entries show; further down, what the user was
        // reading stays where it was.
        QScrollBar *bar = m_table->verticalScrollBar();
        if (bar->value() > 0)
            bar->setValue(bar->value() + count);
    });
    connect(m_model, &QueueTableModel::totalChanged, this, [this](qint64 total) {
        if (m_query.isEmpty() && m_group.isEmpty()) {
            m_listTotal = total;
            Q_EMIT totalChanged(total);
        } else {
            m_matchCount = total;
        }
        updateActions();
    });
    connect(m_model, &QueueTableModel::loadFailed, this, [this](const QString &error) {
        Q_EMIT message(tr("Could not read %1: %2").arg(listName(), error));
    });
    connect(m_model, &QAbstractItemModel::modelReset, this, &QueueView::updateActions);
    connect(m_model, &QueueTableModel::loaded, this, &QueueView::fitColumns);

    connect(&m_backend, &QueueBackend::changed, this, [this](QueueList list) {
        if (list == m_list)
            listChanged();
    });
}

void QueueView::updateIcons()
{
    using Icon = IconProvider::Icon;
    const QPalette palette = this->palette();
    const QList<QPair<QAction *, Icon>> icons {
        { m_retry, Icon::Retry },   { m_edit, Icon::Edit },     { m_delete, Icon::Delete },
        { m_move, Icon::MoveBack }, { m_export, Icon::Export }, { m_import, Icon::Import },
        { m_purge, Icon::Purge },   { m_more, Icon::More },
    };
    for (const auto &[action, icon] : icons)
        action->setIcon(IconProvider::icon(icon, palette));
}

void QueueView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange && m_retry)
        updateIcons();
    QWidget::changeEvent(event);
}

void QueueView::setRetriesPaused(bool paused, const QString &reason)
{
    m_model->setRetriesPaused(paused, reason);
    fitColumns();
}

void QueueView::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    // Once, at the first real size: 70 % for the table, the rest for the entry.
    if (!m_splitterPlaced && event->size().width() >= 600) {
        m_splitterPlaced = true;
        // After the layout has given the splitter its share of the new size.
        QTimer::singleShot(0, this, [this]() {
            const int width = m_splitter->width();
            m_splitter->setSizes({ width - width * 3 / 10, width * 3 / 10 });
        });
    }
}

bool QueueView::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_table->viewport() && event->type() == QEvent::Resize)
        fitColumns();
    return QWidget::eventFilter(watched, event);
}

void QueueView::fitColumns()
{
    using C = QueueTableModel;
    QHeaderView *header = m_table->horizontalHeader();
    const QFontMetrics metrics = m_table->fontMetrics();
    const int padding = 2 * metrics.horizontalAdvance(QLatin1Char('M'));
    // Widest of the header and sample texts: stable widths, not ones that follow the rows in
    // sight (a column that jumps while scrolling is worse than a few spare pixels).
    const auto width = [&](int column, const QStringList &samples) {
        int w = header->sectionSizeHint(column);
        for (const QString &sample : samples)
            w = std::max(w, metrics.horizontalAdvance(sample) + padding);
        return w;
    };
    QScopedValueRollback fitting(m_fitting, true);
    int fixed = 0;
    const auto setWidth = [&](int column, int w) {
        header->resizeSection(column, w);
        fixed += w;
    };
    setWidth(C::Received,
             width(C::Received,
                   { QStringLiteral("Nov 30 00:00"), QStringLiteral("00:00:00"), tr("loading…") }));
    setWidth(C::StatusCode, width(C::StatusCode, { QStringLiteral("000") }));
    setWidth(C::Retries, width(C::Retries, { QStringLiteral("000") }));
    if (m_model->columnCount() > C::NextRetry) {
        // Backoff delays are minutes at most with the defaults; longer ones elide, the tooltip
        // has the time.
        QStringList samples { tr("in %1 h %2 min").arg(9).arg(59), tr("due now") };
        if (m_model->retriesPaused())
            samples << tr("paused: retries off");
        setWidth(C::NextRetry, width(C::NextRetry, samples));
    }
    if (m_topicSizedByUser)
        return;
    // The topic: as wide as the patterns in sight need, while the error (what the user reads
    // first) keeps half of what is left, and 20 characters; the topic is elided in the middle
    // below that, keeping its distinct ends.
    const int available = m_table->viewport()->width();
    const int errorMinimum = std::max(metrics.averageCharWidth() * 20, (available - fixed) / 2);
    int topicNeed = header->sectionSizeHint(C::Topic);
    const int firstRow = std::max(0, m_table->rowAt(0));
    const int lastRow = std::min(m_model->rowCount() - 1, firstRow + 60);
    for (int row = firstRow; row <= lastRow; ++row) {
        if (!m_model->isRowLoaded(row))
            continue;
        const QString text = m_model->index(row, C::Topic).data().toString();
        topicNeed = std::max(topicNeed, metrics.horizontalAdvance(text) + padding);
    }
    const int topicMinimum = header->sectionSizeHint(C::Topic);
    header->resizeSection(
        C::Topic, std::max(topicMinimum, std::min(topicNeed, available - fixed - errorMinimum)));
}

QString QueueView::listName() const
{
    return m_list == QueueList::DeadLetters ? tr("the dead letter queue")
                                            : tr("the permanent failures");
}

QString QueueView::countText(qint64 n) const
{
    return tr("%n entries", nullptr, int(std::min<qint64>(n, INT_MAX)))
        .replace(QString::number(n), QLocale().toString(n));
}

void QueueView::buildActions()
{
    using Icon = IconProvider::Icon;
    const QPalette palette = this->palette();
    const auto icon = [&palette](Icon which) { return IconProvider::icon(which, palette); };
    auto make = [this](const QIcon &icon, const QString &text, const QKeySequence &key, auto slot) {
        auto *action = new QAction(icon, text, this);
        if (!key.isEmpty()) {
            action->setShortcut(key);
            // Each list page has its own R/E/Delete: only the visible one reacts.
            action->setShortcutContext(Qt::WidgetWithChildrenShortcut);
        }
        connect(action, &QAction::triggered, this, slot);
        addAction(action);
        return action;
    };
    m_retry = make(icon(Icon::Retry), tr("Retry now"), QKeySequence(Qt::Key_R),
                   [this]() { onSelection(BulkOp::Retry); });
    m_retry->setToolTip(tr("Send the selected entries to the downstream now (R)"));
    m_edit
        = make(icon(Icon::Edit), tr("Edit…"), QKeySequence(Qt::Key_E), [this]() { editCurrent(); });
    m_edit->setToolTip(tr("Edit the payload of the current entry (E)"));
    m_delete = make(icon(Icon::Delete), tr("Delete…"), QKeySequence(QKeySequence::Delete),
                    [this]() { onSelection(BulkOp::Delete); });
    m_delete->setToolTip(tr("Delete the selected entries (Delete)"));
    m_move = make(icon(Icon::MoveBack), tr("Move to DLQ"), QKeySequence(Qt::Key_M),
                  [this]() { onSelection(BulkOp::Move); });
    m_move->setToolTip(tr("Move the selected entries back to the dead letter queue with their "
                          "retry count reset (M)"));
    m_export = make(icon(Icon::Export), tr("Export selection…"), QKeySequence(),
                    [this]() { onSelection(BulkOp::Export); });
    m_retryAll = make(QIcon(), tr("Retry all matching…"), QKeySequence(),
                      [this]() { onFilter(BulkOp::Retry); });
    m_moveAll = make(QIcon(), tr("Move all matching to DLQ…"), QKeySequence(),
                     [this]() { onFilter(BulkOp::Move); });
    m_deleteAll = make(QIcon(), tr("Delete all matching…"), QKeySequence(),
                       [this]() { onFilter(BulkOp::Delete); });
    m_exportAll = make(QIcon(), tr("Export all matching…"), QKeySequence(),
                       [this]() { onFilter(BulkOp::Export); });
    m_import = make(icon(Icon::Import), tr("Import…"), QKeySequence(), [this]() { importFile(); });
    m_purge = make(icon(Icon::Purge), tr("Purge…"), QKeySequence(), [this]() { purge(); });
    m_purge->setToolTip(tr("Delete every entry of this list"));
    m_find = make(QIcon(), tr("Find"), QKeySequence::Find, [this]() {
        m_search->setFocus(Qt::ShortcutFocusReason);
        m_search->selectAll();
    });
    m_refresh = make(QIcon(), tr("Reload"), QKeySequence::Refresh, [this]() {
        m_model->reload();
        refreshTotal();
    });

    m_toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toolBar->setIconSize(QSize(16, 16));
    m_toolBar->addAction(m_retry);
    m_toolBar->addAction(m_edit);
    if (m_list == QueueList::PermanentFailures)
        m_toolBar->addAction(m_move);
    m_toolBar->addAction(m_delete);
    m_toolBar->addSeparator();
    // Less frequent actions in one menu button: the search box keeps its room.
    auto *more = new QMenu(tr("More"), this);
    more->addAction(m_retryAll);
    if (m_list == QueueList::PermanentFailures)
        more->addAction(m_moveAll);
    more->addAction(m_deleteAll);
    more->addSeparator();
    more->addAction(m_export);
    more->addAction(m_exportAll);
    more->addAction(m_import);
    more->addSeparator();
    more->addAction(m_purge);
    QAction *moreAction = m_toolBar->addAction(icon(Icon::More), tr("More"));
    m_more = moreAction;
    moreAction->setMenu(more);
    if (auto *button = qobject_cast<QToolButton *>(m_toolBar->widgetForAction(moreAction)))
        button->setPopupMode(QToolButton::InstantPopup);

    // Screen readers: stable names (the visible texts carry counts and ellipses).
    const QList<QPair<QAction *, QString>> names {
        { m_retry, tr("Retry now") },       { m_edit, tr("Edit payload") },
        { m_move, tr("Move to DLQ") },      { m_delete, tr("Delete") },
        { moreAction, tr("More actions") },
    };
    for (const auto &[action, name] : names) {
        if (QWidget *button = m_toolBar->widgetForAction(action)) {
            button->setAccessibleName(name);
            button->setAccessibleDescription(action->toolTip());
        }
    }

    // Context menu of the table: the selection's actions first, then the filter's.
    QList<QAction *> context { m_retry, m_edit };
    if (m_list == QueueList::PermanentFailures)
        context << m_move;
    context << m_delete << m_export;
    m_table->addActions(context);
    auto *separator = new QAction(this);
    separator->setSeparator(true);
    m_table->addAction(separator);
    m_table->addAction(m_retryAll);
    if (m_list == QueueList::PermanentFailures)
        m_table->addAction(m_moveAll);
    m_table->addAction(m_deleteAll);
    m_table->addAction(m_exportAll);
    if (m_list == QueueList::DeadLetters)
        m_move->setVisible(false);
}

void QueueView::updateActions()
{
    const QList<int> rows = selectedRows();
    qint64 n = 0;
    for (const QItemSelectionRange &range : m_table->selectionModel()->selection())
        n += range.height();
    // Actions act on the selection: with none (the current row alone is not a selection)
    // there is nothing to edit or retry.
    const bool one = n == 1;
    bool retryable = n > 0;
    if (one) {
        const int row = rows.constFirst();
        const QByteArray raw = m_model->rawAt(row);
        retryable = !raw.isEmpty() && core::DeadLetterEntry::parse(raw).isRetryable();
    }
    const QString count = n > 1 ? QStringLiteral(" (%1)").arg(QLocale().toString(n)) : QString();
    m_retry->setEnabled(n > 0 && retryable);
    m_retry->setText(tr("Retry now") + count);
    m_edit->setEnabled(one && retryable);
    m_delete->setEnabled(n > 0);
    m_delete->setText(tr("Delete…") + count);
    m_move->setEnabled(n > 0 && retryable);
    m_move->setText(tr("Move to DLQ") + count);
    m_export->setEnabled(n > 0);

    const bool filtered = !m_query.isEmpty() || !m_group.isEmpty();
    const qint64 matching = filtered ? m_matchCount : m_listTotal;
    const QString scope = !m_group.isEmpty()
        ? tr("all %1 of the group").arg(QLocale().toString(std::max<qint64>(0, matching)))
        : !filtered ? tr("all %1").arg(QLocale().toString(matching))
                    : tr("all %1 matching").arg(QLocale().toString(std::max<qint64>(0, matching)));
    m_retryAll->setText(tr("Retry %1…").arg(scope));
    m_moveAll->setText(tr("Move %1 to DLQ…").arg(scope));
    m_deleteAll->setText(tr("Delete %1…").arg(scope));
    m_exportAll->setText(tr("Export %1…").arg(scope));
    for (QAction *a : { m_retryAll, m_moveAll, m_deleteAll, m_exportAll })
        a->setEnabled(matching > 0);
    m_purge->setEnabled(m_listTotal > 0);

    if (!m_group.isEmpty() && m_matchCount == 0) {
        m_emptyHint->setText(tr("No entry of this failure group is left in %1.").arg(listName()));
        m_emptyHint->show();
    } else if (!m_query.isEmpty() && m_matchCount == 0) {
        m_emptyHint->setText(tr("No entry in this list contains “%1”.").arg(m_query));
        m_emptyHint->show();
    } else if (!filtered && m_listTotal == 0) {
        m_emptyHint->setText(
            m_list == QueueList::DeadLetters
                ? tr("The dead letter queue is empty.\n\nDeliveries the downstream could not "
                     "take wait here for their next retry.")
                : tr("No permanent failures.\n\nEntries that used up their retries, that the "
                     "downstream refused, or that cannot be read are kept here."));
        m_emptyHint->show();
    } else {
        m_emptyHint->hide();
    }

    if (!m_group.isEmpty() && m_matchCount >= 0)
        m_searchInfo->setText(
            tr("%1 of %2 in the group · %3 selected")
                .arg(QLocale().toString(m_matchCount), QLocale().toString(m_listTotal))
                .arg(QLocale().toString(n)));
    else if (!filtered)
        m_searchInfo->setText(
            tr("%1 · %2 selected").arg(countText(m_listTotal)).arg(QLocale().toString(n)));
    else if (m_matchCount < 0)
        m_searchInfo->setText(tr("searching…"));
    else
        m_searchInfo->setText(
            tr("%1 of %2 match · %3 selected")
                .arg(QLocale().toString(m_matchCount), QLocale().toString(m_listTotal))
                .arg(QLocale().toString(n)));
}

void QueueView::setStale(bool stale, const QString &reason)
{
    m_staleBanner->setText(
        tr("Redis is unavailable%1: these rows are as last read, and actions fail until it is "
           "back (Redrive reconnects by itself).")
            .arg(reason.isEmpty() ? QString() : QStringLiteral(" (%1)").arg(reason)));
    m_staleBanner->setVisible(stale);
}

QList<int> QueueView::selectedRows() const
{
    QList<int> rows;
    const QItemSelection selection = m_table->selectionModel()->selection();
    // Capped: Ctrl+A over a million rows is one range, and this runs on every selection change.
    for (const QItemSelectionRange &range : selection) {
        for (int row = range.top(); row <= range.bottom() && rows.size() <= MaxSelectionRead; ++row)
            rows.append(row);
    }
    std::sort(rows.begin(), rows.end());
    rows.erase(std::unique(rows.begin(), rows.end()), rows.end());
    return rows;
}

bool QueueView::allSelected() const
{
    const int total = m_model->rowCount();
    if (total == 0)
        return false;
    qint64 selected = 0;
    for (const QItemSelectionRange &range : m_table->selectionModel()->selection())
        selected += range.height();
    return selected >= total;
}

void QueueView::showCurrent()
{
    // The pane shows the current row while it is selected; when the selection goes, so does
    // the entry (no pane describing a row nothing points at).
    const QModelIndex current = m_table->currentIndex();
    if (!current.isValid() || !m_table->selectionModel()->isRowSelected(current.row(), {})) {
        m_selectedId.clear();
        m_shownRaw.clear();
        m_detail->clear();
        updateActions();
        return;
    }
    if (!m_model->isRowLoaded(current.row())) {
        m_shownRaw.clear();
        m_detail->clear(tr("loading…"));
        return;
    }
    m_selectedId = m_model->idAt(current.row());
    const QByteArray raw = m_model->rawAt(current.row());
    if (raw != m_shownRaw) {
        m_shownRaw = raw;
        m_detail->showEntry(raw);
    }
    updateActions();
}

void QueueView::restoreSelection()
{
    // The model moves persistent indexes with their entries; when the current entry was not
    // in the re-read window, find it again by id.
    if (m_selectedId.isEmpty())
        return;
    const QModelIndex current = m_table->currentIndex();
    if (current.isValid() && m_model->idAt(current.row()) == m_selectedId) {
        m_detail->showEntry(m_model->rawAt(current.row()));
        return;
    }
    const int row = m_model->rowOfId(m_selectedId);
    if (row >= 0) {
        m_table->selectionModel()->setCurrentIndex(m_model->index(row, 0),
                                                   QItemSelectionModel::ClearAndSelect
                                                       | QItemSelectionModel::Rows);
    }
}

void QueueView::updateVisibleRows()
{
    const int first = m_table->rowAt(0);
    int last = m_table->rowAt(m_table->viewport()->height() - 1);
    if (last < 0)
        last = m_model->rowCount() - 1;
    m_model->setVisibleRows(std::max(0, first), std::max(0, last));
}

void QueueView::listChanged()
{
    if (!m_refreshTimer->isActive())
        m_refreshTimer->start();
}

void QueueView::onSelection(BulkOp op)
{
    if (op == BulkOp::Move && m_list != QueueList::PermanentFailures)
        return;
    if (allSelected() && m_model->rowCount() > 1) {
        // Ctrl+A over a paged list: the whole list (or search), counted server-side.
        onFilter(op);
        return;
    }
    const QList<int> rows = selectedRows();
    if (rows.isEmpty())
        return;
    if (rows.size() > MaxSelectionRead) {
        Prompts::warn(
            this, tr("Selection too large"),
            tr("%1 rows are selected. For more than %2 entries, search for them and "
               "use the \"all matching\" actions, which run inside Redis.")
                .arg(QLocale().toString(rows.size()), QLocale().toString(MaxSelectionRead)));
        return;
    }
    m_model->fetchRows(rows, this, [this, op](const QList<QByteArray> &raws, const QString &error) {
        if (!error.isEmpty()) {
            Prompts::warn(this, tr("Could not read the selection"), error);
            return;
        }
        runOnEntries(op, raws);
    });
}

void QueueView::runOnEntries(BulkOp op, const QList<QByteArray> &raws)
{
    const qint64 n = raws.size();
    const QString what
        = n == 1 ? tr("this entry") : tr("these %1 entries").arg(QLocale().toString(n));
    switch (op) {
    case BulkOp::Retry:
        m_backend.apply(QueueBackend::BulkAction::Retry, m_list, raws, this,
                        [this](const QueueResult &result) { report(tr("Retry"), result); });
        return;
    case BulkOp::Move:
        m_backend.apply(QueueBackend::BulkAction::MoveToDlq, m_list, raws, this,
                        [this](const QueueResult &result) { report(tr("Move to DLQ"), result); });
        return;
    case BulkOp::Export:
        Prompts::saveFile(this, tr("Export %1").arg(what), QStringLiteral("redrive-export.jsonl"),
                          tr("JSON Lines (*.jsonl);;All files (*)"), this,
                          [this, raws](const QString &path) {
                              if (!path.isEmpty())
                                  exportTo(raws, path);
                          });
        return;
    case BulkOp::Delete:
        Prompts::confirm(this, tr("Delete entries"),
                         tr("Delete %1 from %2? This cannot be undone; export them first if you "
                            "may need them.")
                             .arg(what, listName()),
                         n == 1 ? tr("Delete") : tr("Delete %1").arg(QLocale().toString(n)), this,
                         [this, raws](bool accepted) {
                             if (accepted)
                                 m_backend.apply(QueueBackend::BulkAction::Delete, m_list, raws,
                                                 this, [this](const QueueResult &result) {
                                                     report(tr("Delete"), result);
                                                 });
                         });
        return;
    }
}

void QueueView::onFilter(BulkOp op)
{
    if (op == BulkOp::Move && m_list != QueueList::PermanentFailures)
        return;
    auto counted = [this, op](qint64 count, const QString &error) {
        if (!error.isEmpty()) {
            Prompts::warn(this, tr("Could not count the entries"), error);
            return;
        }
        if (count == 0) {
            Prompts::inform(this, tr("Nothing to do"), tr("No entry matches."));
            return;
        }
        const QString scope = scopeText(count);
        const QString number = QLocale().toString(count);
        switch (op) {
        case BulkOp::Export:
            Prompts::saveFile(
                this, tr("Export %1").arg(scope), QStringLiteral("redrive-export.jsonl"),
                tr("JSON Lines (*.jsonl);;All files (*)"), this,
                [this, count](const QString &path) {
                    if (!path.isEmpty())
                        runJob(m_group.isEmpty()
                                   ? m_backend.exportMatching(m_list, m_query, path, this)
                                   : m_backend.applyToGroup(QueueBackend::GroupAction::Export,
                                                            m_list, m_group, path, this),
                               tr("Exporting…"), count, tr("Exported"));
                });
            return;
        case BulkOp::Retry:
            Prompts::confirm(this, tr("Retry entries"), tr("Retry %1 now?").arg(scope),
                             tr("Retry %1").arg(number), this, [this, op, count](bool ok) {
                                 if (ok)
                                     runOnFilter(op, count);
                             });
            return;
        case BulkOp::Move:
            Prompts::confirm(
                this, tr("Move entries"),
                tr("Move %1 back to the dead letter queue, retry counts reset?").arg(scope),
                tr("Move %1").arg(number), this, [this, op, count](bool ok) {
                    if (ok)
                        runOnFilter(op, count);
                });
            return;
        case BulkOp::Delete:
            Prompts::confirm(this, tr("Delete entries"),
                             tr("Delete %1? This cannot be undone.").arg(scope),
                             tr("Delete %1").arg(number), this, [this, op, count](bool ok) {
                                 if (ok)
                                     runOnFilter(op, count);
                             });
            return;
        }
    };
    // Count first, server-side and now: the question states the exact number it will act on.
    if (m_group.isEmpty())
        m_backend.count(m_list, m_query, this, counted);
    else
        m_backend.countGroup(m_list, m_group, this, counted);
}

QString QueueView::scopeText(qint64 count) const
{
    if (!m_group.isEmpty())
        return tr("all %1 in %2 of the failure group “%3”")
            .arg(countText(count), listName(), m_groupTitle.isEmpty() ? m_group : m_groupTitle);
    if (m_query.isEmpty())
        return tr("all %1 in %2").arg(countText(count), listName());
    return tr("all %1 in %2 matching \"%3\"").arg(countText(count), listName(), m_query);
}

void QueueView::startProgress(const QString &label, qint64 total)
{
    endProgress();
    m_progress
        = new QProgressDialog(label, tr("Cancel"), 0, int(std::min<qint64>(total, INT_MAX)), this);
    m_progress->setWindowModality(Qt::WindowModal);
    m_progress->setMinimumDuration(400); // quick actions finish before it would show
    m_progress->setAutoClose(false);
    m_progress->setAutoReset(false);
    m_progress->setValue(0);
}

void QueueView::endProgress()
{
    if (m_progress) {
        m_progress->reset();
        m_progress->deleteLater();
        m_progress.clear();
    }
}

void QueueView::purge()
{
    m_backend.count(m_list, QString(), this, [this](qint64 count, const QString &error) {
        if (!error.isEmpty()) {
            Prompts::warn(this, tr("Could not count the entries"), error);
            return;
        }
        Prompts::confirm(
            this, tr("Purge"),
            tr("Delete all %1 in %2? This cannot be undone.").arg(countText(count), listName()),
            tr("Purge %1").arg(QLocale().toString(count)), this, [this](bool ok) {
                if (ok)
                    m_backend.purge(m_list, this, [this](const QueueResult &result) {
                        report(tr("Purge"), result);
                    });
            });
    });
}

void QueueView::importFile()
{
    Prompts::openFile(this, tr("Import entries into %1").arg(listName()),
                      tr("JSON Lines (*.jsonl *.ndjson);;All files (*)"), this,
                      [this](const QString &path) {
                          if (!path.isEmpty())
                              runJob(m_backend.importFile(m_list, path, this), tr("Importing…"), 0,
                                     tr("Imported"));
                      });
}

void QueueView::editCurrent()
{
    const QList<int> rows = selectedRows();
    if (rows.size() != 1 || !m_model->isRowLoaded(rows.constFirst()))
        return;
    const QByteArray raw = m_model->rawAt(rows.constFirst());
    if (!core::DeadLetterEntry::parse(raw).isRetryable()) {
        Prompts::warn(this, tr("Cannot edit"),
                      tr("This element is not a Redrive entry with a payload; it can only be "
                         "exported or deleted."));
        return;
    }
    if (m_editor) {
        m_editor->raise();
        return;
    }
    m_editor = new EditEntryDialog(raw, this);
    m_editor->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_editor, &EditEntryDialog::saveRequested, this,
            [this](const QByteArray &original, const QByteArray &payload) {
                m_backend.edit(m_list, original, payload, this, [this](const QueueResult &result) {
                    if (!m_editor)
                        return;
                    if (result.error.isEmpty()) {
                        m_editor->saved();
                        Q_EMIT message(tr("Payload saved."));
                        listChanged();
                    } else {
                        m_editor->refused(result.error, result.changedMeanwhile);
                    }
                });
            });
    connect(m_editor, &EditEntryDialog::reloadRequested, this, &QueueView::reloadEditor);
    m_editor->open();
}

void QueueView::exportTo(const QList<QByteArray> &raws, const QString &path)
{
    m_backend.exportEntries(m_list, raws, path, this,
                            [this](const QueueResult &result) { report(tr("Export"), result); });
}

QueuePageFetcher QueueView::fetcherFor(const QString &query)
{
    QueueBackend *backend = &m_backend;
    const QueueList list = m_list;
    if (query.isEmpty()) {
        return [backend, list](qint64 offset, int count, const QObject *context,
                               std::function<void(const QueuePage &)> done) {
            backend->page(list, offset, count, context, std::move(done));
        };
    }
    return [backend, list, query](qint64 offset, int count, const QObject *context,
                                  std::function<void(const QueuePage &)> done) {
        backend->searchPage(list, query, offset, count, context, std::move(done));
    };
}

QueuePageFetcher QueueView::currentFetcher()
{
    if (m_group.isEmpty())
        return fetcherFor(m_query);
    QueueBackend *backend = &m_backend;
    return
        [backend, list = m_list, group = m_group](qint64 offset, int count, const QObject *context,
                                                  std::function<void(const QueuePage &)> done) {
            backend->groupPage(list, group, offset, count, context, std::move(done));
        };
}

void QueueView::setGroupFilter(const QString &groupId, const QString &title)
{
    m_groupTitle = title;
    m_groupBanner->setText(tr("Failure group: %1").arg(title.isEmpty() ? groupId : title));
    if (groupId == m_group)
        return;
    m_group = groupId;
    if (!m_group.isEmpty()) {
        m_query.clear();
        m_search->clear();
    }
    m_groupBar->setVisible(!m_group.isEmpty());
    m_matchCount = -1;
    m_selectedId.clear();
    m_detail->clear();
    m_model->setFetcher(currentFetcher());
    refreshTotal();
    updateActions();
    Q_EMIT groupFilterChanged(m_group);
}

void QueueView::search(const QString &query)
{
    const QString trimmed = query.trimmed();
    if (!trimmed.isEmpty() && !m_group.isEmpty()) {
        // A search looks through the whole list again.
        m_group.clear();
        m_groupTitle.clear();
        m_groupBar->hide();
        m_query.clear();
        Q_EMIT groupFilterChanged(QString());
    }
    if (trimmed != m_query) {
        m_query = trimmed;
        m_matchCount = -1;
        m_selectedId.clear();
        m_detail->clear();
        m_model->setFetcher(currentFetcher());
    } else {
        m_model->refresh();
    }
    if (m_search->text().trimmed() != m_query)
        m_search->setText(m_query);
    updateActions();
}

void QueueView::refreshTotal()
{
    if (m_query.isEmpty() && m_group.isEmpty())
        return; // the model's own total is the list's length
    m_backend.count(m_list, QString(), this, [this](qint64 count, const QString &error) {
        if (!error.isEmpty())
            return;
        m_listTotal = count;
        Q_EMIT totalChanged(count);
        updateActions();
    });
}

void QueueView::runOnFilter(BulkOp op, qint64 expected)
{
    QueueBackend::BulkAction action = QueueBackend::BulkAction::Retry;
    QString label = tr("Retrying…");
    QString done = tr("Retried");
    if (op == BulkOp::Delete) {
        action = QueueBackend::BulkAction::Delete;
        label = tr("Deleting…");
        done = tr("Deleted");
    } else if (op == BulkOp::Move) {
        action = QueueBackend::BulkAction::MoveToDlq;
        label = tr("Moving to the dead letter queue…");
        done = tr("Moved");
    }
    QueueJob *job = nullptr;
    if (m_group.isEmpty()) {
        job = m_backend.applyToMatching(action, m_list, m_query, this);
    } else {
        const QueueBackend::GroupAction groupAction = action == QueueBackend::BulkAction::Delete
            ? QueueBackend::GroupAction::Delete
            : action == QueueBackend::BulkAction::MoveToDlq ? QueueBackend::GroupAction::MoveToDlq
                                                            : QueueBackend::GroupAction::Retry;
        job = m_backend.applyToGroup(groupAction, m_list, m_group, QString(), this);
    }
    runJob(job, label, expected, done);
}

void QueueView::runJob(QueueJob *job, const QString &label, qint64 expected,
                       const QString &doneText)
{
    startProgress(label, expected);
    connect(m_progress, &QProgressDialog::canceled, job, &QueueJob::cancel);
    connect(job, &QueueJob::progress, this, [this](qint64 done, qint64 total) {
        if (!m_progress)
            return;
        if (total > 0 && m_progress->maximum() != total)
            m_progress->setMaximum(int(std::min<qint64>(total, INT_MAX)));
        m_progress->setValue(int(std::min<qint64>(done, INT_MAX)));
    });
    connect(job, &QueueJob::finished, this, [this, job, doneText](const QueueResult &result) {
        endProgress();
        job->deleteLater();
        report(doneText, result);
    });
}

void QueueView::report(const QString &what, const QueueResult &result)
{
    listChanged();
    if (!result.error.isEmpty()) {
        Prompts::warn(
            this, tr("%1 failed").arg(what),
            result.affected > 0
                ? tr("%1 after %2: %3").arg(what, countText(result.affected), result.error)
                : result.error);
        return;
    }
    QString text = tr("%1: %2").arg(what, countText(result.affected));
    if (result.skipped > 0)
        text += tr(" (%1 skipped: no longer there or not retryable)")
                    .arg(QLocale().toString(result.skipped));
    if (result.cancelled)
        text += tr(" — cancelled");
    Q_EMIT message(text);
}

void QueueView::reloadEditor(const QString &id)
{
    m_backend.findById(m_list, id, this, [this](const QByteArray &raw, const QString &error) {
        if (!m_editor)
            return;
        if (!error.isEmpty()) {
            m_editor->refused(error, true);
        } else if (raw.isEmpty()) {
            m_editor->refused(tr("the entry is no longer in %1 (retried, moved or deleted "
                                 "meanwhile)")
                                  .arg(listName()),
                              false);
        } else {
            m_editor->reloadFrom(raw);
        }
    });
}

} // namespace redrive::ui
