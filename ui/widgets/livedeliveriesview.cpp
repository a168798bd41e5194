// SPDX-License-Identifier: MIT
#include "ui/widgets/livedeliveriesview.h"

#include "ui/models/displayformat.h"
#include "ui/models/livedeliverymodel.h"
#include "ui/widgets/entrydetailview.h"

#include <QHeaderView>
#include <QLabel>
#include <QScrollBar>
#include <QSplitter>
#include <QTableView>
#include <QToolButton>
#include <QVBoxLayout>

namespace redrive::ui {

using core::DeliveryEvent;

LiveDeliveriesView::LiveDeliveriesView(QWidget *parent)
    : QWidget(parent)
    , m_model(new LiveDeliveryModel(10000, this))
    , m_table(new QTableView(this))
    , m_detail(new EntryDetailView(this))
    , m_counters(new QLabel(this))
{
    m_table->setModel(m_model);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->verticalHeader()->hide();
    m_table->verticalHeader()->setDefaultSectionSize(m_table->fontMetrics().height() + 8);
    m_table->setWordWrap(false);
    m_table->setAlternatingRowColors(true);
    m_table->horizontalHeader()->setStretchLastSection(false);
    m_table->horizontalHeader()->setSectionResizeMode(LiveDeliveryModel::Topic,
                                                      QHeaderView::Stretch);
    m_table->setColumnWidth(LiveDeliveryModel::Time, 110);
    m_table->setColumnWidth(LiveDeliveryModel::Outcome, 260);
    m_table->setColumnWidth(LiveDeliveryModel::HttpStatus, 70);
    m_table->setColumnWidth(LiveDeliveryModel::Downstream, 90);
    m_table->setColumnWidth(LiveDeliveryModel::Latency, 80);

    auto *clear = new QToolButton(this);
    clear->setText(tr("Clear"));
    clear->setToolTip(tr("Forget the deliveries listed here (nothing in Redis changes)"));
    connect(clear, &QToolButton::clicked, this, [this]() {
        m_model->clear();
        m_detail->clear();
    });

    m_table->setAccessibleName(tr("Live deliveries"));
    m_detail->setAccessibleName(tr("Selected delivery"));
    m_counters->setAccessibleName(tr("Delivery counters"));
    clear->setAccessibleName(tr("Clear the list"));

    auto *top = new QHBoxLayout;
    top->addWidget(m_counters, 1);
    top->addWidget(clear);

    auto *splitter = new QSplitter(Qt::Vertical, this);
    splitter->addWidget(m_table);
    splitter->addWidget(m_detail);
    splitter->setStretchFactor(0, 3);
    splitter->setStretchFactor(1, 2);

    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(splitter, 1);

    connect(m_table->selectionModel(), &QItemSelectionModel::currentRowChanged, this,
            &LiveDeliveriesView::showCurrent);
    m_detail->clear(tr("Deliveries the receiver handles appear here as they arrive."));
    updateCounters();
}

LiveDeliveriesView::~LiveDeliveriesView() = default;

void LiveDeliveriesView::add(const DeliveryEvent &event)
{
    QScrollBar *bar = m_table->verticalScrollBar();
    const int before = bar->value();
    m_model->add(event);
    // At the top the newest stays in sight; further down, what the user reads stays put.
    if (before > 0)
        bar->setValue(before + 1);
    const int outcome = int(event.outcome);
    if (outcome >= 0 && outcome < 5)
        ++m_counts[outcome];
    updateCounters();
}

void LiveDeliveriesView::updateCounters()
{
    using O = DeliveryEvent::Outcome;
    m_counters->setText(tr("%1 received · %2 processed · %3 deferred to DLQ · %4 permanent "
                           "failures · %5 rejected · %6 Redis unavailable")
                            .arg(m_model->totalSeen())
                            .arg(m_counts[int(O::Processed)])
                            .arg(m_counts[int(O::Deferred)])
                            .arg(m_counts[int(O::PermanentFailure)])
                            .arg(m_counts[int(O::Rejected)])
                            .arg(m_counts[int(O::Unavailable)]));
}

void LiveDeliveriesView::showCurrent()
{
    const QModelIndex current = m_table->currentIndex();
    if (!current.isValid()) {
        m_detail->clear();
        return;
    }
    const DeliveryEvent &e = m_model->event(current.row());
    QString title = e.topic.isEmpty() ? tr("(no topic)") : e.topic;
    title += QStringLiteral(" — ") + DeliveryEvent::outcomeName(e.outcome);
    if (!e.error.isEmpty())
        title += QStringLiteral(": ") + e.error;
    title += tr(" — from %1, answered %2 in %3")
                 .arg(e.remoteAddress)
                 .arg(e.httpStatus)
                 .arg(displayformat::duration(e.latencyUs));
    m_detail->showPayload(title, e.payload);
}

} // namespace redrive::ui
