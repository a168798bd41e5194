// SPDX-License-Identifier: MIT
#include "ui/widgets/groupspage.h"

#include "ui/dialogs/prompts.h"
#include "ui/models/failuregroupsmodel.h"
#include "ui/widgets/entrydetailview.h"
#include "ui/widgets/iconprovider.h"
#include "ui/widgets/sparklinedelegate.h"

#include <QAction>
#include <QEvent>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPainter>
#include <QPixmap>
#include <QProgressBar>
#include <QProgressDialog>
#include <QSplitter>
#include <QStyledItemDelegate>
#include <QTabBar>
#include <QTableView>
#include <QToolBar>
#include <QVBoxLayout>

#include <algorithm>
#include <utility>

namespace redrive::ui {

namespace {

// Elides in the middle: both ends of a topic pattern or an id say something.
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

int slot(QueueList list)
{
    return list == QueueList::DeadLetters ? 0 : 1;
}

} // namespace

GroupsPage::GroupsPage(QueueBackend &backend, QWidget *parent)
    : QWidget(parent)
    , m_backend(backend)
    , m_models { new FailureGroupsModel(this), new FailureGroupsModel(this) }
    , m_tabs(new QTabBar(this))
    , m_toolBar(new QToolBar(this))
    , m_status(new QLabel(this))
    , m_progress(new QProgressBar(this))
    , m_table(new QTableView(this))
    , m_emptyHint(new QLabel(m_table->viewport()))
    , m_example(new EntryDetailView(this))
{
    buildActions();
    setUpLayout();
    connect(&m_backend, &QueueBackend::groupsUpdated, this, &GroupsPage::groupsUpdated);
    connect(&m_backend, &QueueBackend::groupsProgress, this,
            [this](QueueList list, qint64 scanned, qint64 length) {
                m_scanning[slot(list)] = true;
                m_scanned[slot(list)] = scanned;
                m_length[slot(list)] = length;
                if (list == m_list)
                    updateStatus();
            });
    connect(&m_backend, &QueueBackend::groupsFailed, this,
            [this](QueueList list, const QString &error) {
                m_scanning[slot(list)] = false;
                m_error[slot(list)] = error;
                if (list == m_list)
                    updateStatus();
            });
    connect(m_tabs, &QTabBar::currentChanged, this, [this](int index) {
        setList(index == 0 ? QueueList::DeadLetters : QueueList::PermanentFailures);
    });
    connect(m_table, &QTableView::activated, this, [this]() { m_showEntries->trigger(); });
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &GroupsPage::showExample);
    updateStatus();
    updateActions();
}

GroupsPage::~GroupsPage() = default;

QIcon GroupsPage::pageIcon(const QPalette &palette)
{
    QIcon icon;
    for (int size : { 16, 20, 24, 32, 40, 48 }) {
        QPixmap pixmap(size, size);
        pixmap.fill(Qt::transparent);
        QPainter painter(&pixmap);
        const qreal unit = size / 16.0;
        const qreal lengths[] = { 12, 8, 5 };
        for (int i = 0; i < 3; ++i)
            painter.fillRect(QRectF(2 * unit, (2.5 + i * 4) * unit, lengths[i] * unit, 2.5 * unit),
                             palette.color(QPalette::WindowText));
        icon.addPixmap(pixmap);
    }
    return icon;
}

void GroupsPage::buildActions()
{
    const auto make = [this](const QString &text, const QString &tip, auto slot) {
        auto *action = new QAction(text, this);
        action->setToolTip(tip);
        connect(action, &QAction::triggered, this, slot);
        addAction(action);
        return action;
    };
    m_showEntries
        = make(tr("Show entries"), tr("Show the group's entries in the list (Enter)"), [this]() {
              const auto *group = model(m_list)->groupAt(m_table->currentIndex().row());
              if (group)
                  Q_EMIT showEntriesRequested(m_list, group->id, group->title);
          });
    m_retry = make(tr("Retry all…"), tr("Send every entry of the group to the downstream now"),
                   [this]() { act(Op::Retry); });
    m_move = make(tr("Move to DLQ…"),
                  tr("Move every entry of the group back to the dead letter queue, retry counts "
                     "reset"),
                  [this]() { act(Op::Move); });
    m_delete = make(tr("Delete all…"), tr("Delete every entry of the group"),
                    [this]() { act(Op::Delete); });
    m_export = make(tr("Export…"), tr("Write every entry of the group to a JSON Lines file"),
                    [this]() { act(Op::Export); });
    m_toolBar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    m_toolBar->setIconSize(QSize(16, 16));
    m_toolBar->setAccessibleName(tr("Failure group actions"));
    for (QAction *action : { m_showEntries, m_retry, m_move, m_delete, m_export })
        m_toolBar->addAction(action);
    m_toolBar->insertSeparator(m_retry);
    updateIcons();
}

void GroupsPage::updateIcons()
{
    using Icon = IconProvider::Icon;
    const QPalette palette = this->palette();
    m_showEntries->setIcon(IconProvider::icon(Icon::DeadLetters, palette));
    m_retry->setIcon(IconProvider::icon(Icon::Retry, palette));
    m_move->setIcon(IconProvider::icon(Icon::MoveBack, palette));
    m_delete->setIcon(IconProvider::icon(Icon::Delete, palette));
    m_export->setIcon(IconProvider::icon(Icon::Export, palette));
}

void GroupsPage::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange && m_retry)
        updateIcons();
    QWidget::changeEvent(event);
}

void GroupsPage::setUpLayout()
{
    m_tabs->addTab(tr("Dead letter queue"));
    m_tabs->addTab(tr("Permanent failures"));
    m_tabs->setDrawBase(false);
    m_tabs->setExpanding(false);
    m_tabs->setAccessibleName(tr("List to group"));
    m_status->setTextFormat(Qt::PlainText);
    m_status->setAccessibleName(tr("Grouping status"));
    m_progress->setMaximumWidth(180);
    m_progress->setTextVisible(false);
    m_progress->setMaximumHeight(m_status->sizeHint().height());
    m_progress->hide();

    // The actions get the page's whole width (the toolbar's extension button ») holds what
    // still does not fit); the list switch and the count sit above the table they describe.
    auto *below = new QHBoxLayout;
    below->setContentsMargins(0, 0, 8, 0);
    below->addWidget(m_tabs);
    below->addWidget(m_progress);
    below->addWidget(m_status, 1);
    // The count's text is long ("… · counted 12:58:21 · approximate …"): it gives way first.
    m_status->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
    m_status->setMinimumWidth(m_status->fontMetrics().horizontalAdvance(QStringLiteral("M")) * 12);
    m_status->setAlignment(Qt::AlignRight | Qt::AlignVCenter);

    m_table->setModel(m_models[0]); // the header's sections exist from here on
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setAlternatingRowColors(true);
    m_table->setWordWrap(false);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setSectionResizeMode(QHeaderView::Fixed);
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 12);
    m_table->setAccessibleName(tr("Failure groups"));
    m_table->setTextElideMode(Qt::ElideRight);
    m_table->setItemDelegateForColumn(
        FailureGroupsModel::Arrivals,
        new SparklineDelegate(FailureGroupsModel::ArrivalsRole, m_table));
    QHeaderView *header = m_table->horizontalHeader();
    header->setStretchLastSection(false);
    header->setSectionResizeMode(QHeaderView::Interactive);
    header->setSectionResizeMode(FailureGroupsModel::Group, QHeaderView::Stretch);
    // The failure says what went wrong: it takes the width left; the topic is elided in its
    // middle at a fixed, adjustable width (both with their full text as a tooltip).
    // Topics differ at their end (….customer.start / ….outbound): keep both ends in sight.
    m_table->setItemDelegateForColumn(FailureGroupsModel::Topic, new MiddleElideDelegate(m_table));
    m_table->setItemDelegateForColumn(FailureGroupsModel::Example,
                                      new MiddleElideDelegate(m_table));
    const QFontMetrics metrics = m_table->fontMetrics();
    const int pad = 2 * metrics.horizontalAdvance(QLatin1Char('M'));
    header->resizeSection(FailureGroupsModel::Count,
                          metrics.horizontalAdvance(QStringLiteral("1,000,000")) + pad);
    header->resizeSection(FailureGroupsModel::Share,
                          metrics.horizontalAdvance(QStringLiteral("100 %")) + pad);
    for (int column : { int(FailureGroupsModel::FirstSeen), int(FailureGroupsModel::LastSeen) })
        header->resizeSection(column,
                              metrics.horizontalAdvance(QStringLiteral("Nov 30 00:00")) + pad);
    header->resizeSection(FailureGroupsModel::Arrivals, 2 * 64 + 12);
    m_topicWidth = metrics.horizontalAdvance(QStringLiteral("v2.detail.events…customer.start")) + pad;
    header->resizeSection(FailureGroupsModel::Topic, m_topicWidth);
    m_table->viewport()->installEventFilter(this);
    header->setMinimumSectionSize(metrics.horizontalAdvance(QStringLiteral("Share")) + pad / 2);
    header->resizeSection(FailureGroupsModel::Example,
                          metrics.horizontalAdvance(QStringLiteral("sha1-0123456789ab")) + pad);
    // The example entry is shown in full below the table: its id column would only take room
    // from the failure and the topic (the model keeps it; the pane shows the entry's id).
    header->setSectionHidden(FailureGroupsModel::Example, true);
    m_table->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_table->addActions({ m_showEntries, m_retry, m_move, m_delete, m_export });

    m_emptyHint->setAlignment(Qt::AlignCenter);
    m_emptyHint->setWordWrap(true);
    m_emptyHint->setTextFormat(Qt::PlainText);
    m_emptyHint->setForegroundRole(QPalette::PlaceholderText);
    m_emptyHint->setAttribute(Qt::WA_TransparentForMouseEvents);
    m_emptyHint->setContentsMargins(24, 24, 24, 24);
    m_emptyHint->setMinimumWidth(360);
    auto *hintLayout = new QVBoxLayout(m_table->viewport());
    hintLayout->addWidget(m_emptyHint, 0, Qt::AlignCenter);

    m_example->setAccessibleName(tr("Example entry of the group"));
    m_example->setMinimumHeight(160);
    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_table);
    splitter->addWidget(m_example);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);
    splitter->setSizes({ 540, 360 }); // in that proportion at any height
    splitter->setCollapsible(0, false);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->setSpacing(0);
    layout->addWidget(m_toolBar);
    layout->addLayout(below);
    layout->addWidget(splitter, 1);
}

bool GroupsPage::eventFilter(QObject *watched, QEvent *event)
{
    if (watched == m_table->viewport() && event->type() == QEvent::Resize)
        fitColumns();
    return QWidget::eventFilter(watched, event);
}

void GroupsPage::fitColumns()
{
    // The failure (stretched) keeps at least three fifths of what the fixed columns leave; the
    // topic, elided in its middle, takes the rest up to its own width.
    QHeaderView *header = m_table->horizontalHeader();
    int fixed = 0;
    for (int column = 0; column < FailureGroupsModel::ColumnCount; ++column) {
        if (column != FailureGroupsModel::Group && column != FailureGroupsModel::Topic
            && !header->isSectionHidden(column))
            fixed += header->sectionSize(column);
    }
    const int rest = m_table->viewport()->width() - fixed;
    header->resizeSection(FailureGroupsModel::Topic,
                          std::clamp(rest * 2 / 5, header->minimumSectionSize(), m_topicWidth));
}

FailureGroupsModel *GroupsPage::model(QueueList list) const
{
    return m_models[slot(list)];
}

QString GroupsPage::currentGroupId() const
{
    const auto *group = model(m_list)->groupAt(m_table->currentIndex().row());
    return group ? group->id : QString();
}

QString GroupsPage::listName(QueueList list) const
{
    return list == QueueList::DeadLetters ? tr("the dead letter queue")
                                          : tr("the permanent failures");
}

void GroupsPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    startWatching();
}

void GroupsPage::startWatching()
{
    if (m_watching)
        return;
    m_watching = true;
    for (QueueList list : { QueueList::DeadLetters, QueueList::PermanentFailures }) {
        m_scanning[slot(list)] = true;
        m_backend.watchGroups(list, true);
    }
    updateStatus();
}

void GroupsPage::setList(QueueList list)
{
    if (m_tabs->currentIndex() != slot(list))
        m_tabs->setCurrentIndex(slot(list)); // comes back here
    if (list == m_list && m_table->model() == model(list))
        return;
    m_list = list;
    m_table->setModel(model(list));
    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &GroupsPage::showExample, Qt::UniqueConnection);
    m_exampleId.clear();
    m_example->clear();
    updateStatus();
    updateActions();
}

void GroupsPage::selectGroup(QueueList list, const QString &groupId)
{
    setList(list);
    const int row = model(list)->rowOf(groupId);
    // Not counted yet (the page was never shown): selected when the count comes.
    m_pendingGroup[slot(list)] = row < 0 && !m_counted[slot(list)] ? groupId : QString();
    if (row >= 0) {
        m_table->selectionModel()->setCurrentIndex(model(list)->index(row, 0),
                                                   QItemSelectionModel::ClearAndSelect
                                                       | QItemSelectionModel::Rows);
        m_table->scrollTo(model(list)->index(row, 0));
    }
    showExample(); // also when the row was current already
}

void GroupsPage::groupsUpdated(QueueList list, const core::FailureGroups &groups)
{
    const int s = slot(list);
    m_scanning[s] = false;
    m_counted[s] = true;
    m_error[s].clear();
    m_length[s] = groups.length;
    m_scanned[s] = groups.scanned;
    model(list)->setGroups(groups); // rows move with their groups: the selection stays on it
    if (const QString pending = std::exchange(m_pendingGroup[s], QString());
        !pending.isEmpty() && list == m_list)
        selectGroup(list, pending);
    if (list == m_list) {
        updateStatus();
        updateActions();
        showExample();
    }
}

void GroupsPage::updateStatus()
{
    const int s = slot(m_list);
    const core::FailureGroups &groups = model(m_list)->groups();
    const bool scanning = m_scanning[s] && m_watching;
    // A bar only for lists that take a while; a small list is counted before it would show.
    m_progress->setVisible(scanning && m_length[s] > 20000);
    if (scanning && m_length[s] > 0) {
        m_progress->setMaximum(int(std::min<qint64>(m_length[s], INT_MAX)));
        m_progress->setValue(int(std::min<qint64>(m_scanned[s], m_length[s])));
    }
    QString text;
    if (!m_error[s].isEmpty()) {
        text = tr("Could not count: %1").arg(m_error[s]);
    } else if (scanning && !m_counted[s]) {
        text = m_length[s] > 0
            ? tr("Counting… %1 of %2")
                  .arg(QLocale().toString(m_scanned[s]), QLocale().toString(m_length[s]))
            : tr("Counting…");
    } else if (m_counted[s]) {
        text = (groups.groups.size() == 1
                    ? tr("1 group in %1 entries")
                    : tr("%1 groups in %2 entries").arg(QLocale().toString(groups.groups.size())))
                   .arg(QLocale().toString(groups.scanned));
        if (groups.at.isValid())
            text += tr(" · counted %1")
                        .arg(QLocale().toString(groups.at.toLocalTime().time(),
                                                QStringLiteral("HH:mm:ss")));
        if (groups.approximate)
            text += tr(" · approximate (the list moved during the count)");
        if (scanning)
            text += tr(" · counting again…");
    }
    m_status->setText(text);
    if (m_counted[s] && groups.groups.isEmpty()) {
        m_emptyHint->setText(m_list == QueueList::DeadLetters
                                 ? tr("The dead letter queue is empty: no failure to group.")
                                 : tr("No permanent failures: no failure to group."));
        m_emptyHint->show();
    } else {
        m_emptyHint->hide();
    }
}

void GroupsPage::updateActions()
{
    const bool any = model(m_list)->groupAt(m_table->currentIndex().row()) != nullptr;
    for (QAction *action : { m_showEntries, m_retry, m_delete, m_export })
        action->setEnabled(any);
    m_move->setVisible(m_list == QueueList::PermanentFailures);
    m_move->setEnabled(any);
    // Short labels: the toolbar shares the page with the list switch's width; the tooltips
    // say it all.
    m_retry->setText(tr("Retry all…"));
    m_retry->setToolTip(m_list == QueueList::DeadLetters
                            ? tr("Send every entry of the group to the downstream now")
                            : tr("Send every entry of the group back to the dead letter queue, "
                                 "to be retried"));
}

void GroupsPage::showExample()
{
    updateActions();
    const auto *group = model(m_list)->groupAt(m_table->currentIndex().row());
    if (!group) {
        m_exampleId.clear();
        m_example->clear(tr("Select a group to see an example entry."));
        return;
    }
    if (group->exampleId == m_exampleId)
        return;
    m_exampleId = group->exampleId;
    m_example->clear(tr("loading…"));
    const QString id = group->exampleId;
    // The group's newest member is its example (the scan starts at the new end); read by group
    // rather than by id, which tutorial entries (sha1-... ids) do not carry in their text.
    m_backend.groupPage(m_list, group->id, 0, 1, this, [this, id](const QueuePage &page) {
        if (id != m_exampleId)
            return;
        if (!page.error.isEmpty())
            m_example->clear(page.error);
        else if (page.entries.isEmpty())
            m_example->clear(tr("No entry of this group is left in the list."));
        else
            m_example->showEntry(page.entries.constFirst());
    });
}

void GroupsPage::act(Op op)
{
    const auto *group = model(m_list)->groupAt(m_table->currentIndex().row());
    if (!group)
        return;
    if (op == Op::Move && m_list != QueueList::PermanentFailures)
        return;
    const QString groupId = group->id;
    const QString title = group->title;
    const QueueList list = m_list;
    m_backend.countGroup(list, groupId, this, [=, this](qint64 count, const QString &error) {
        if (!error.isEmpty()) {
            Prompts::warn(this, tr("Could not count the group"), error);
            return;
        }
        if (count == 0) {
            Prompts::inform(this, tr("Nothing to do"),
                            tr("No entry of this group is left in %1.").arg(listName(list)));
            return;
        }
        const QString scope = count == 1
            ? tr("the one entry of “%1” in %2").arg(title, listName(list))
            : tr("all %1 entries of “%2” in %3")
                  .arg(QLocale().toString(count), title, listName(list));
        const QString number = QLocale().toString(count);
        const auto go = [this, op, count, list](const QString &path) {
            if (list == m_list)
                run(op, count, path);
        };
        switch (op) {
        case Op::Export:
            Prompts::saveFile(this, tr("Export %1").arg(scope),
                              QStringLiteral("redrive-group-%1.jsonl").arg(groupId),
                              tr("JSON Lines (*.jsonl);;All files (*)"), this,
                              [go](const QString &path) {
                                  if (!path.isEmpty())
                                      go(path);
                              });
            return;
        case Op::Retry:
            Prompts::confirm(this, tr("Retry a failure group"),
                             list == QueueList::DeadLetters
                                 ? tr("Retry %1 now?").arg(scope)
                                 : tr("Move %1 back to the dead letter queue, retry counts "
                                      "reset, due now?")
                                       .arg(scope),
                             tr("Retry %1").arg(number), this, [go](bool ok) {
                                 if (ok)
                                     go(QString());
                             });
            return;
        case Op::Move:
            Prompts::confirm(
                this, tr("Move a failure group"),
                tr("Move %1 back to the dead letter queue, retry counts reset?").arg(scope),
                tr("Move %1").arg(number), this, [go](bool ok) {
                    if (ok)
                        go(QString());
                });
            return;
        case Op::Delete:
            Prompts::confirm(this, tr("Delete a failure group"),
                             tr("Delete %1? This cannot be undone; export them first if you may "
                                "need them.")
                                 .arg(scope),
                             tr("Delete %1").arg(number), this, [go](bool ok) {
                                 if (ok)
                                     go(QString());
                             });
            return;
        }
    });
}

void GroupsPage::run(Op op, qint64 count, const QString &path)
{
    const QString groupId = currentGroupId();
    if (groupId.isEmpty())
        return;
    QueueBackend::GroupAction action = QueueBackend::GroupAction::Retry;
    QString label = tr("Retrying the group…");
    QString done = tr("Retried");
    switch (op) {
    case Op::Retry:
        break;
    case Op::Move:
        action = QueueBackend::GroupAction::MoveToDlq;
        label = tr("Moving the group to the dead letter queue…");
        done = tr("Moved");
        break;
    case Op::Delete:
        action = QueueBackend::GroupAction::Delete;
        label = tr("Deleting the group…");
        done = tr("Deleted");
        break;
    case Op::Export:
        action = QueueBackend::GroupAction::Export;
        label = tr("Exporting the group…");
        done = tr("Exported");
        break;
    }
    QueueJob *job = m_backend.applyToGroup(action, m_list, groupId, path, this);
    if (m_actionProgress)
        m_actionProgress->deleteLater();
    // The progress goes through the list (the group's members are found on the way).
    m_actionProgress
        = new QProgressDialog(label, tr("Cancel"), 0, int(std::min<qint64>(count, INT_MAX)), this);
    m_actionProgress->setWindowModality(Qt::WindowModal);
    m_actionProgress->setMinimumDuration(400);
    m_actionProgress->setAutoClose(false);
    m_actionProgress->setAutoReset(false);
    m_actionProgress->setValue(0);
    connect(m_actionProgress, &QProgressDialog::canceled, job, &QueueJob::cancel);
    connect(job, &QueueJob::progress, this, [this](qint64 scanned, qint64 length) {
        if (!m_actionProgress)
            return;
        if (length > 0 && m_actionProgress->maximum() != length)
            m_actionProgress->setMaximum(int(std::min<qint64>(length, INT_MAX)));
        m_actionProgress->setValue(int(std::min<qint64>(scanned, INT_MAX)));
    });
    connect(job, &QueueJob::finished, this, [this, job, done](const QueueResult &result) {
        job->deleteLater();
        if (m_actionProgress) {
            m_actionProgress->reset();
            m_actionProgress->deleteLater();
            m_actionProgress.clear();
        }
        if (!result.error.isEmpty()) {
            Prompts::warn(this, tr("%1 failed").arg(done),
                          tr("%1 %2 entries, then: %3")
                              .arg(done, QLocale().toString(result.affected), result.error));
            return;
        }
        QString text
            = tr("%1 %2 entries of the group").arg(done, QLocale().toString(result.affected));
        if (result.skipped > 0)
            text += tr(" (%1 no longer there)").arg(QLocale().toString(result.skipped));
        if (result.cancelled)
            text += tr(" — cancelled");
        Q_EMIT message(text);
    });
}

} // namespace redrive::ui
