// SPDX-License-Identifier: MIT
#include "ui/widgets/overviewpage.h"

#include "core/engine/enginethread.h"
#include "ui/widgets/receiverpanel.h"
#include "ui/widgets/trendchart.h"

#include <QButtonGroup>
#include <QDateTime>
#include <QEvent>
#include <QFormLayout>
#include <QGridLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QLabel>
#include <QLocale>
#include <QPainter>
#include <QScrollArea>
#include <QStyledItemDelegate>
#include <QToolButton>
#include <QTreeWidget>
#include <QVBoxLayout>

namespace redrive::ui {

using core::FailureGroups;
using core::TrendCounter;
using core::TrendRange;
using core::TrendSeries;
using core::WorkerOverview;

namespace {

// The page's widths (not the window's) from which it has two columns, and three: each box then
// has room for its content (the charts' axes, the groups' titles, the receiver's URLs).
constexpr int TwoColumnsWidth = 720;
constexpr int ThreeColumnsWidth = 1180;
constexpr int SparklineRole = Qt::UserRole + 1;
constexpr int GroupIdRole = Qt::UserRole + 2;

// Arrivals of a group over the last 24 hours (15-minute buckets), drawn as a small filled line.
class SparklineDelegate final : public QStyledItemDelegate
{
public:
    using QStyledItemDelegate::QStyledItemDelegate;

    void paint(QPainter *painter, const QStyleOptionViewItem &option,
               const QModelIndex &index) const override
    {
        QStyledItemDelegate::paint(painter, option, index);
        const QVariantList values = index.data(SparklineRole).toList();
        if (values.size() < 2)
            return;
        int highest = 1;
        for (const QVariant &value : values)
            highest = qMax(highest, value.toInt());
        const QRectF area = QRectF(option.rect).adjusted(4, 5, -4, -5);
        QPainterPath line;
        for (int i = 0; i < values.size(); ++i) {
            const QPointF point(area.left() + area.width() * i / (values.size() - 1),
                                area.bottom() - area.height() * values[i].toInt() / highest);
            if (i == 0)
                line.moveTo(point);
            else
                line.lineTo(point);
        }
        QPainterPath fill = line;
        fill.lineTo(area.bottomRight());
        fill.lineTo(area.bottomLeft());
        fill.closeSubpath();
        const bool selected = option.state & QStyle::State_Selected;
        QColor color = selected ? option.palette.color(QPalette::HighlightedText)
                                : TrendChart::counterColor(TrendCounter::Permanent);
        painter->save();
        painter->setRenderHint(QPainter::Antialiasing);
        QColor shade = color;
        shade.setAlphaF(0.18f);
        painter->fillPath(fill, shade);
        painter->setPen(QPen(color, 1.5));
        painter->drawPath(line);
        painter->restore();
    }
    QSize sizeHint(const QStyleOptionViewItem &option, const QModelIndex &index) const override
    {
        return QStyledItemDelegate::sizeHint(option, index).expandedTo(QSize(120, 26));
    }
};

QString relativeTime(qint64 deltaMs)
{
    const qint64 seconds = (qAbs(deltaMs) + 999) / 1000;
    QString amount;
    if (seconds < 60)
        amount = OverviewPage::tr("%n s", nullptr, int(seconds));
    else if (seconds < 3600)
        amount = OverviewPage::tr("%1 min %2 s").arg(seconds / 60).arg(seconds % 60);
    else if (seconds < 86400)
        amount = OverviewPage::tr("%1 h %2 min").arg(seconds / 3600).arg((seconds % 3600) / 60);
    else
        amount = OverviewPage::tr("%1 d %2 h").arg(seconds / 86400).arg((seconds % 86400) / 3600);
    return deltaMs > 0 ? OverviewPage::tr("in %1").arg(amount)
                       : OverviewPage::tr("%1 ago").arg(amount);
}

QFormLayout *makeForm(QGroupBox *box)
{
    auto *form = new QFormLayout(box);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
    form->setRowWrapPolicy(QFormLayout::WrapLongRows);
    return form;
}

QLabel *selectableLabel(QWidget *parent, const QString &name)
{
    auto *label = new QLabel(parent);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    label->setWordWrap(true);
    label->setAccessibleName(name);
    return label;
}

} // namespace

OverviewPage::OverviewPage(core::Settings &settings, core::CredentialStore &credentials,
                           QWidget *parent)
    : QWidget(parent)
    , m_content(new QWidget)
    , m_grid(new QGridLayout)
    , m_receiver(new ReceiverPanel(settings, credentials, m_content))
    , m_trafficBox(new QGroupBox(tr("Traffic"), m_content))
    , m_queueBox(new QGroupBox(tr("Queue length"), m_content))
    , m_groupsBox(new QGroupBox(tr("Top failure groups in the dead letter queue"), m_content))
    , m_workerBox(new QGroupBox(tr("Retry worker"), m_content))
    , m_tilesLayout(new QGridLayout)
    , m_rangeTitle(new QLabel(m_content))
    , m_problem(new QLabel(m_content))
    , m_rangeGroup(new QButtonGroup(this))
{
    m_receiver->setMaximumWidth(720); // a form at a readable width, even in one column
    // -- traffic: the range switch, a tile per counter, the chart ---------------------------
    auto *rangeRow = new QHBoxLayout;
    rangeRow->setSpacing(0);
    const std::pair<TrendRange, QString> ranges[] = { { TrendRange::Hour, tr("1 hour") },
                                                      { TrendRange::Day, tr("24 hours") },
                                                      { TrendRange::Week, tr("7 days") } };
    for (const auto &[range, text] : ranges) {
        auto *button = new QToolButton(m_trafficBox);
        button->setText(text);
        button->setCheckable(true);
        button->setAutoRaise(false);
        button->setToolButtonStyle(Qt::ToolButtonTextOnly);
        button->setAccessibleName(tr("Show the last %1").arg(text));
        m_rangeGroup->addButton(button, int(range));
        rangeRow->addWidget(button);
    }
    m_rangeGroup->button(int(TrendRange::Hour))->setChecked(true);
    connect(m_rangeGroup, &QButtonGroup::idClicked, this,
            [this](int id) { setRange(TrendRange(id)); });
    QFont titleFont = m_rangeTitle->font();
    titleFont.setBold(true);
    m_rangeTitle->setFont(titleFont);
    auto *header = new QHBoxLayout;
    header->addWidget(m_rangeTitle, 1);
    header->addLayout(rangeRow);

    m_problem->setWordWrap(true);
    m_problem->setVisible(false);
    m_problem->setAccessibleName(tr("Trend counters problem"));

    for (int i = 0; i < core::TrendCounterCount; ++i) {
        const auto counter = TrendCounter(i);
        auto *tile = new QFrame(m_trafficBox);
        tile->setObjectName(QStringLiteral("tile"));
        tile->setFrameShape(QFrame::StyledPanel);
        auto *tileLayout = new QVBoxLayout(tile);
        tileLayout->setContentsMargins(10, 6, 10, 6);
        tileLayout->setSpacing(0);
        m_totals[i] = new QLabel(QStringLiteral("0"), tile);
        m_totals[i]->setAccessibleName(TrendChart::counterName(counter));
        QFont big = m_totals[i]->font();
        big.setPointSizeF(big.pointSizeF() * 1.5);
        big.setBold(true);
        m_totals[i]->setFont(big);
        const QString captions[] = { tr("Received"),   tr("Forwarded"), tr("Deferred to DLQ"),
                                     tr("Retried OK"), tr("Permanent"), tr("Rejected"),
                                     tr("Answered 503") };
        auto *caption = new QLabel(captions[i], tile);
        tile->setToolTip(TrendChart::counterDescription(counter));
        caption->setObjectName(QStringLiteral("caption"));
        tileLayout->addWidget(m_totals[i]);
        tileLayout->addWidget(caption);
        m_tiles.append(tile);
    }
    m_tilesLayout->setSpacing(6);

    QList<TrendChart::Line> deliveryLines;
    for (int i = 0; i < core::TrendCounterCount; ++i) {
        const auto counter = TrendCounter(i);
        deliveryLines.append({ TrendChart::counterName(counter), TrendChart::counterColor(counter),
                               counter, core::TrendGauge::DlqLength });
    }
    m_deliveries = new TrendChart(deliveryLines, m_trafficBox);
    m_deliveries->setMinimumHeight(240);
    m_deliveries->setAccessibleName(tr("Deliveries chart"));
    auto *traffic = new QVBoxLayout(m_trafficBox);
    traffic->addLayout(header);
    traffic->addWidget(m_problem);
    traffic->addLayout(m_tilesLayout);
    traffic->addWidget(m_deliveries, 1);

    // -- the lists' lengths -------------------------------------------------------------------
    m_queues = new TrendChart(
        { { tr("Dead letter queue"), TrendChart::counterColor(TrendCounter::Deferred),
            std::nullopt, core::TrendGauge::DlqLength },
          { tr("Permanent failures"), TrendChart::counterColor(TrendCounter::Permanent),
            std::nullopt, core::TrendGauge::PermanentLength } },
        m_queueBox);
    m_queues->setAccessibleName(tr("Queue length chart"));
    // Room for the axis' labels ("2500"): a narrower chart elides them to "…".
    m_queues->setMinimumSize(300, 220);
    auto *queueLayout = new QVBoxLayout(m_queueBox);
    queueLayout->addWidget(m_queues);

    // -- top failure groups ---------------------------------------------------------------------
    m_groups = new QTreeWidget(m_groupsBox);
    m_groups->setColumnCount(4);
    m_groups->setHeaderLabels({ tr("Failure"), tr("Entries"), tr("Share"), tr("Last 24 h") });
    m_groups->setRootIsDecorated(false);
    m_groups->setUniformRowHeights(true);
    m_groups->setAlternatingRowColors(false);
    m_groups->setSelectionMode(QAbstractItemView::SingleSelection);
    m_groups->setAccessibleName(tr("Top failure groups"));
    m_groups->setItemDelegateForColumn(3, new SparklineDelegate(m_groups));
    m_groups->header()->setStretchLastSection(false);
    m_groups->header()->setSectionResizeMode(0, QHeaderView::Stretch);
    for (int column = 1; column < 3; ++column)
        m_groups->header()->setSectionResizeMode(column, QHeaderView::ResizeToContents);
    m_groups->header()->setSectionResizeMode(3, QHeaderView::Fixed);
    m_groups->header()->resizeSection(3, 130);
    m_groups->setMinimumSize(340, 150);
    m_groups->setToolTip(tr("Click a group to see its entries"));
    const auto activate = [this](QTreeWidgetItem *item) {
        const QString id = item ? item->data(0, GroupIdRole).toString() : QString();
        if (!id.isEmpty())
            Q_EMIT groupActivated(id);
    };
    connect(m_groups, &QTreeWidget::itemClicked, this, activate);
    connect(m_groups, &QTreeWidget::itemActivated, this, activate);
    auto *groupsLayout = new QVBoxLayout(m_groupsBox);
    groupsLayout->addWidget(m_groups);
    showGroups(FailureGroups());

    // -- retry worker ----------------------------------------------------------------------
    QFormLayout *workerForm = makeForm(m_workerBox);
    m_workerState = selectableLabel(m_workerBox, tr("Retry worker state"));
    m_inFlight = selectableLabel(m_workerBox, tr("In flight"));
    m_dueNow = selectableLabel(m_workerBox, tr("Due now"));
    m_scheduled = selectableLabel(m_workerBox, tr("Waiting for their backoff"));
    m_nextDue = selectableLabel(m_workerBox, tr("Next due"));
    m_retried = selectableLabel(m_workerBox, tr("Retried this session"));
    workerForm->addRow(tr("State:"), m_workerState);
    workerForm->addRow(tr("In flight:"), m_inFlight);
    workerForm->addRow(tr("Due now:"), m_dueNow);
    workerForm->addRow(tr("Waiting for backoff:"), m_scheduled);
    workerForm->addRow(tr("Next due:"), m_nextDue);
    workerForm->addRow(tr("This session:"), m_retried);

    // -- the page: scrolls when the window is small ---------------------------------------------
    m_grid->setContentsMargins(16, 12, 16, 12);
    m_grid->setHorizontalSpacing(12);
    m_grid->setVerticalSpacing(12);
    m_content->setLayout(m_grid);
    auto *scroll = new QScrollArea(this);
    scroll->setWidget(m_content);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(scroll);
    arrange(ThreeColumnsWidth);
    restyleTiles();

    m_timer.setInterval(RefreshMs);
    connect(&m_timer, &QTimer::timeout, this, [this] {
        if (isVisible())
            refresh();
        else
            updateNextDue();
    });
    m_series = TrendSeries::empty(m_range, QDateTime::currentMSecsSinceEpoch());
    showTrends(m_series, false);
    showWorker(WorkerOverview());
}

OverviewPage::~OverviewPage() = default;

void OverviewPage::setEngine(core::EngineThread *engine)
{
    m_engine = engine;
    m_receiver->setEngine(engine);
    connect(engine, &core::EngineThread::groupsUpdated, this,
            [this](core::QueueStore::List list, const FailureGroups &groups) {
                if (list == core::QueueStore::List::DeadLetter)
                    showGroups(groups);
            });
    showEngineStatus(engine->status());
    m_timer.start();
    if (isVisible())
        refresh();
}

void OverviewPage::showEngineStatus(const core::EngineStatus &status)
{
    setRetriesRunning(status.retriesRunning, status.retriesDetail);
}

void OverviewPage::setRetriesRunning(bool running, const QString &detail)
{
    m_retriesRunning = running;
    m_retriesDetail = detail;
    showWorker(m_worker);
}

QToolButton *OverviewPage::rangeButton(TrendRange range) const
{
    return qobject_cast<QToolButton *>(m_rangeGroup->button(int(range)));
}

void OverviewPage::setRange(TrendRange range)
{
    if (QAbstractButton *button = m_rangeGroup->button(int(range)))
        button->setChecked(true);
    if (range == m_range)
        return;
    m_range = range;
    // The old range's curve does not stay under the new range's title while Redis answers.
    showTrends(TrendSeries::empty(range, QDateTime::currentMSecsSinceEpoch()), false);
    m_trendsAsked = false;
    refresh();
}

void OverviewPage::refresh()
{
    if (!m_engine)
        return;
    if (!m_groupsWatched && m_engine->consoleStore()) {
        m_groupsWatched = true;
        m_engine->watchDeadLetterGroups();
    }
    if (!m_trendsAsked) {
        m_trendsAsked = true;
        const TrendRange range = m_range;
        m_engine->readTrends(this, range, [this, range](const TrendSeries &series) {
            m_trendsAsked = false;
            if (range == m_range)
                showTrends(series);
        });
    }
    if (!m_registrationAsked) {
        m_registrationAsked = true;
        m_engine->readRegistration(this, [this](const core::RegistrationStatus &status) {
            m_registrationAsked = false;
            showRegistration(status);
        });
    }
    if (!m_workerAsked) {
        m_workerAsked = true;
        m_engine->readWorkerOverview(this, [this](const WorkerOverview &overview) {
            m_workerAsked = false;
            m_workerReadAtMs = QDateTime::currentMSecsSinceEpoch();
            showWorker(overview);
            Q_EMIT workerShown();
        });
    }
}

void OverviewPage::showTrends(const TrendSeries &series, bool reading)
{
    const bool failed = !series.ok();
    m_problem->setVisible(failed);
    if (failed) {
        m_problem->setText(tr("The counters could not be read: %1").arg(series.error));
        // The last good reading stays on the chart.
        if (m_series.range == series.range && m_series.bucketCount)
            return;
    }
    m_series = series;
    const QString titles[] = { tr("Last hour"), tr("Last 24 hours"), tr("Last 7 days") };
    m_rangeTitle->setText(titles[int(series.range)]);
    const QLocale locale;
    for (int i = 0; i < core::TrendCounterCount; ++i)
        m_totals[i]->setText(locale.toString(series.total(TrendCounter(i))));
    m_deliveries->setSeries(series);
    m_queues->setSeries(series);
    if (!failed && reading)
        Q_EMIT trendsShown();
}

void OverviewPage::showWorker(const WorkerOverview &overview)
{
    m_worker = overview;
    const QLocale locale;
    QString state;
    if (overview.running || m_retriesRunning)
        state = tr("running in this process, retrying to %1").arg(m_retriesDetail);
    else if (!m_retriesDetail.isEmpty())
        state = tr("not running here: %1").arg(m_retriesDetail);
    else
        state = tr("not running in this process");
    if (overview.ok() && overview.workers > 0)
        state += QLatin1String(" · ")
            + tr("%n workers on this Redis", nullptr, int(overview.workers));
    m_workerState->setText(state);
    m_inFlight->setText(overview.running || m_retriesRunning ? locale.toString(overview.inFlight)
                                                             : tr("none in this process"));
    m_dueNow->setText(overview.ok() ? locale.toString(overview.dueNow()) : tr("unknown"));
    m_scheduled->setText(overview.ok() ? locale.toString(overview.scheduled) : tr("unknown"));
    m_retried->setText(
        overview.running || m_retriesRunning
            ? tr("%1 delivered · %2 rescheduled · %3 made permanent")
                  .arg(locale.toString(overview.delivered), locale.toString(overview.rescheduled),
                       locale.toString(overview.failedPermanently))
            : tr("no retries in this process"));
    updateNextDue();
}

void OverviewPage::updateNextDue()
{
    const WorkerOverview &overview = m_worker;
    if (!overview.ok()) {
        m_nextDue->setText(overview.error.isEmpty() ? tr("unknown")
                                                    : tr("unknown (%1)").arg(overview.error));
        return;
    }
    if (overview.nextDueMs < 0) {
        m_nextDue->setText(overview.dueNow() > 0 ? tr("now") : tr("nothing waiting"));
        return;
    }
    const qint64 now = QDateTime::currentMSecsSinceEpoch();
    const QString when = QLocale().toString(QDateTime::fromMSecsSinceEpoch(overview.nextDueMs),
                                            QStringLiteral("HH:mm:ss"));
    const QString id = overview.nextDueId.isEmpty() ? QString() : QStringLiteral(" · %1").arg(overview.nextDueId);
    m_nextDue->setText(QStringLiteral("%1 (%2)%3").arg(when, relativeTime(overview.nextDueMs - now), id));
}

void OverviewPage::showRegistration(const core::RegistrationStatus &status)
{
    if (!status.ok()) {
        m_receiver->setRegistration(tr("unknown (%1)").arg(status.error));
        return;
    }
    if (!status.found) {
        m_receiver->setRegistration(tr("none in the audit trail"));
        return;
    }
    const core::AuditRecord &record = status.record;
    const QString who = record.host.isEmpty() ? record.user
                                              : QStringLiteral("%1@%2").arg(record.user, record.host);
    const QString when = relativeTime(record.atMs - QDateTime::currentMSecsSinceEpoch());
    const QString what = record.action == core::AuditAction::Register
        ? (record.detail.isEmpty() ? tr("registered") : tr("registered %1").arg(record.detail))
        : tr("unregistered");
    m_receiver->setRegistration(tr("%1 · by %2, %3").arg(what, who, when));
}

void OverviewPage::showGroups(const FailureGroups &groups)
{
    m_groups->clear();
    const QLocale locale;
    if (!groups.ok()) {
        auto *item = new QTreeWidgetItem(m_groups, { tr("The groups could not be read: %1")
                                                         .arg(groups.error) });
        item->setFirstColumnSpanned(true);
        item->setFlags(Qt::ItemIsEnabled);
        return;
    }
    if (groups.groups.isEmpty()) {
        auto *item = new QTreeWidgetItem(
            m_groups, { groups.at.isValid() ? tr("No failures: the dead letter queue is empty")
                                            : tr("Looking at the dead letter queue…") });
        item->setFirstColumnSpanned(true);
        item->setFlags(Qt::ItemIsEnabled);
        Q_EMIT groupsShown();
        return;
    }
    for (int i = 0; i < groups.groups.size() && i < TopGroups; ++i) {
        const core::FailureGroup &group = groups.groups[i];
        auto *item = new QTreeWidgetItem(m_groups);
        item->setText(0, group.title);
        item->setToolTip(0, group.title);
        item->setData(0, GroupIdRole, group.id);
        item->setText(1, locale.toString(group.count));
        item->setTextAlignment(1, Qt::AlignRight | Qt::AlignVCenter);
        item->setText(2, locale.toString(group.share * 100, 'f', 1) + QLatin1Char('%'));
        item->setTextAlignment(2, Qt::AlignRight | Qt::AlignVCenter);
        QVariantList arrivals;
        int recent = 0;
        for (int count : group.arrivals) {
            arrivals.append(count);
            recent += count;
        }
        item->setData(3, SparklineRole, arrivals);
        item->setToolTip(3, tr("%n arrivals in the last 24 hours", nullptr, recent));
    }
    if (groups.groups.size() > TopGroups) {
        auto *more = new QTreeWidgetItem(
            m_groups, { tr("… and %n more groups", nullptr,
                           int(groups.groups.size() - TopGroups)) });
        more->setFirstColumnSpanned(true);
        more->setFlags(Qt::ItemIsEnabled);
    }
    Q_EMIT groupsShown();
}

void OverviewPage::arrange(int width)
{
    const int columns = width >= ThreeColumnsWidth ? 3 : (width >= TwoColumnsWidth ? 2 : 1);
    // The tiles: seven in a row when the traffic box has room, else rows of four or two.
    const int trafficWidth = columns == 3 ? width * 3 / 4 : width;
    const int perRow = trafficWidth >= 7 * 124 ? 7 : (trafficWidth >= 4 * 124 ? 4 : 2);
    if (columns == m_columns && perRow == m_tilesPerRow)
        return;
    m_columns = columns;
    m_tilesPerRow = perRow;
    for (QWidget *widget : { static_cast<QWidget *>(m_trafficBox), static_cast<QWidget *>(m_queueBox),
                             static_cast<QWidget *>(m_groupsBox), static_cast<QWidget *>(m_workerBox),
                             static_cast<QWidget *>(m_receiver) })
        m_grid->removeWidget(widget);
    for (int column = 0; column < 3; ++column) {
        m_grid->setColumnStretch(column, 0);
        m_grid->setColumnMinimumWidth(column, 0);
    }
    for (int row = 0; row < 6; ++row)
        m_grid->setRowStretch(row, 0);
    if (columns == 1) {
        // One column: the charts first, then the groups, the worker and the receiver.
        m_grid->addWidget(m_trafficBox, 0, 0);
        m_grid->addWidget(m_queueBox, 1, 0);
        m_grid->addWidget(m_groupsBox, 2, 0);
        m_grid->addWidget(m_workerBox, 3, 0);
        m_grid->addWidget(m_receiver, 4, 0, Qt::AlignLeft);
        m_grid->setColumnStretch(0, 1);
    } else if (columns == 2) {
        // The traffic over the whole width; below it the queue chart beside the groups, and
        // the worker beside the receiver.
        m_grid->addWidget(m_trafficBox, 0, 0, 1, 2);
        m_grid->addWidget(m_queueBox, 1, 0);
        m_grid->addWidget(m_groupsBox, 1, 1);
        m_grid->addWidget(m_workerBox, 2, 0, Qt::AlignTop);
        m_grid->addWidget(m_receiver, 2, 1);
        m_grid->setColumnStretch(0, 4);
        m_grid->setColumnStretch(1, 5);
        m_grid->setRowStretch(0, 3);
        m_grid->setRowStretch(1, 2);
    } else {
        // Charts and groups on the left (they take the width), the receiver and the worker
        // in a column on the right.
        m_grid->addWidget(m_trafficBox, 0, 0, 1, 2);
        m_grid->addWidget(m_queueBox, 1, 0);
        m_grid->addWidget(m_groupsBox, 1, 1);
        m_grid->addWidget(m_receiver, 0, 2);
        m_grid->addWidget(m_workerBox, 1, 2);
        m_grid->setColumnStretch(0, 4);
        m_grid->setColumnStretch(1, 5);
        m_grid->setColumnStretch(2, 3);
        m_grid->setRowStretch(0, 3);
        m_grid->setRowStretch(1, 2);
    }
    for (QWidget *tile : m_tiles)
        m_tilesLayout->removeWidget(tile);
    for (int i = 0; i < m_tiles.size(); ++i)
        m_tilesLayout->addWidget(m_tiles[i], i / perRow, i % perRow);
    for (int column = 0; column < 7; ++column)
        m_tilesLayout->setColumnStretch(column, column < perRow ? 1 : 0);
}

void OverviewPage::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    arrange(width());
}

void OverviewPage::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    refresh();
}

void OverviewPage::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange)
        restyleTiles();
}

void OverviewPage::restyleTiles()
{
    // Colours from the palette (light or dark), set again when it changes: each tile has the
    // colour of its line as a mark on the left and a caption in a muted tone of the text; the
    // range switch shows its checked button in the selection colour.
    const QPalette pal = palette();
    const QColor text = pal.color(QPalette::Text);
    const QColor base = pal.color(QPalette::Base);
    const QColor muted = QColor::fromRgbF(text.redF() * 0.68f + base.redF() * 0.32f,
                                          text.greenF() * 0.68f + base.greenF() * 0.32f,
                                          text.blueF() * 0.68f + base.blueF() * 0.32f);
    for (int i = 0; i < m_tiles.size(); ++i) {
        const QColor color = TrendChart::counterColor(TrendCounter(i));
        m_tiles[i]->setStyleSheet(
            QStringLiteral("QFrame#tile { border: 1px solid %1; border-left: 4px solid %2; "
                           "border-radius: 4px; background: %3; } "
                           "QLabel { background: transparent; color: %4; } "
                           "QLabel#caption { color: %5; }")
                .arg(pal.color(QPalette::Mid).name(), color.name(), base.name(), text.name(),
                     muted.name()));
    }
    const QString buttons
        = QStringLiteral("QToolButton { padding: 3px 12px; border: 1px solid %1; background: %2; "
                         "color: %3; } "
                         "QToolButton:checked { background: %4; color: %5; border-color: %4; }")
              .arg(pal.color(QPalette::Mid).name(), pal.color(QPalette::Button).name(),
                   pal.color(QPalette::ButtonText).name(), pal.color(QPalette::Highlight).name(),
                   pal.color(QPalette::HighlightedText).name());
    for (QAbstractButton *button : m_rangeGroup->buttons())
        button->setStyleSheet(buttons);
}

} // namespace redrive::ui
