// SPDX-License-Identifier: MIT
#include "ui/widgets/receiverpanel.h"

#include "core/genesys/ngrokdiscovery.h"
#include "core/receiver/webhookreceiver.h"
#include "core/settings/settings.h"
#include "ui/dialogs/genesysregisterdialog.h"
#include "ui/dialogs/prompts.h"
#include "ui/models/displayformat.h"

#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QVBoxLayout>

namespace redrive::ui {

using core::DeliveryEvent;
using core::SettingKey;

ReceiverPanel::ReceiverPanel(core::Settings &settings, core::CredentialStore &credentials,
                             QWidget *parent)
    : QWidget(parent)
    , m_settings(settings)
    , m_credentials(credentials)
    , m_url(new QLabel(this))
    , m_counters(new QLabel(this))
    , m_ngrok(new QLabel(this))
    , m_register(new QPushButton(tr("Register with Genesys Cloud…"), this))
    , m_startStop(new QPushButton(this))
{
    for (QLabel *label : { m_url, m_counters, m_ngrok }) {
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
        label->setWordWrap(true);
    }
    auto *box = new QGroupBox(tr("Receiver"), this);
    auto *form = new QFormLayout(box);
    form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    // Buttons at their natural width, not stretched across the page.
    auto buttonRow = [](QPushButton *button) {
        auto *row = new QHBoxLayout;
        row->addWidget(button);
        row->addStretch(1);
        return row;
    };
    form->addRow(tr("Listening on:"), m_url);
    form->addRow(QString(), buttonRow(m_startStop));
    form->addRow(tr("This session:"), m_counters);
    form->addRow(tr("Public URL (ngrok):"), m_ngrok);
    form->addRow(QString(), buttonRow(m_register));

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(box);
    layout->addStretch(1);

    connect(m_register, &QPushButton::clicked, this, &ReceiverPanel::openRegisterDialog);
    connect(m_startStop, &QPushButton::clicked, this, [this]() {
        if (!m_receiver)
            return;
        if (m_receiver->isListening()) {
            m_receiver->stop();
        } else {
            QString error;
            if (!m_receiver->start(&error))
                Prompts::warn(this, tr("Receiver"), tr("Cannot listen: %1").arg(error));
        }
        const QString url = m_receiver->isListening() ? m_receiver->url().toString() : QString();
        setListeningUrl(url);
        Q_EMIT listeningChanged(url);
    });

    m_ngrok->setText(tr("looking for the ngrok agent…"));
    watchPort(
        quint16(settings.string(SettingKey::ListenAddress).section(QLatin1Char(':'), -1).toUInt()));
    setListeningUrl(QString());
    updateCounters();
}

void ReceiverPanel::watchPort(quint16 port)
{
    // ngrok is matched on the port it forwards to: the bound one once the receiver listens
    // (the setting may say 0, "any free port").
    if (m_watcher && port == m_watchedPort)
        return;
    m_watchedPort = port;
    m_watcher = std::make_unique<core::NgrokWatcher>(
        QUrl(m_settings.string(SettingKey::NgrokApiUrl)), port);
    connect(m_watcher.get(), &core::NgrokWatcher::publicUrlChanged, this, [this](const QUrl &url) {
        if (!url.isEmpty())
            m_ngrok->setText(url.toString());
        else if (!m_watcher->hint().isEmpty())
            m_ngrok->setText(m_watcher->hint());
    });
    connect(m_watcher.get(), &core::NgrokWatcher::hintChanged, this, [this](const QString &hint) {
        if (m_watcher->publicUrl().isEmpty() && !hint.isEmpty())
            m_ngrok->setText(hint);
    });
    m_watcher->start();
}

void ReceiverPanel::setReceiver(core::WebhookReceiver *receiver)
{
    m_receiver = receiver;
    setListeningUrl(receiver && receiver->isListening() ? receiver->url().toString() : QString());
}

void ReceiverPanel::updateStartStop()
{
    m_startStop->setEnabled(m_receiver != nullptr);
    m_startStop->setText(m_receiver && m_receiver->isListening() ? tr("Stop receiving")
                                                                 : tr("Start receiving"));
    if (!m_receiver)
        m_startStop->setToolTip(tr("The receiver is turned off in the settings."));
}

ReceiverPanel::~ReceiverPanel() = default;

void ReceiverPanel::setListeningUrl(const QString &url)
{
    m_url->setText(url.isEmpty() ? tr("not listening") : url);
    const int port = QUrl(url).port();
    if (port > 0)
        watchPort(quint16(port));
    updateStartStop();
}

void ReceiverPanel::countDelivery(const DeliveryEvent &event)
{
    ++m_total;
    m_latencySum += event.latencyUs;
    const int outcome = int(event.outcome);
    if (outcome >= 0 && outcome < 5)
        ++m_counts[outcome];
    updateCounters();
}

void ReceiverPanel::updateCounters()
{
    using O = DeliveryEvent::Outcome;
    const QLocale locale;
    m_counters->setText(
        tr("%1 requests · %2 processed · %3 deferred to DLQ · %4 permanent failures · %5 "
           "rejected · %6 answered 503 (Redis unavailable) · mean latency %7")
            .arg(locale.toString(m_total), locale.toString(m_counts[int(O::Processed)]),
                 locale.toString(m_counts[int(O::Deferred)]),
                 locale.toString(m_counts[int(O::PermanentFailure)]),
                 locale.toString(m_counts[int(O::Rejected)]),
                 locale.toString(m_counts[int(O::Unavailable)]),
                 m_total ? displayformat::duration(m_latencySum / m_total) : tr("none yet")));
}

void ReceiverPanel::openRegisterDialog()
{
    auto *dialog = new GenesysRegisterDialog(m_settings, m_credentials, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

} // namespace redrive::ui
