// SPDX-License-Identifier: MIT
#include "ui/widgets/receiverpanel.h"

#include "core/engine/enginethread.h"
#include "core/genesys/ngrokdiscovery.h"
#include "core/settings/settings.h"
#include "ui/dialogs/genesysregisterdialog.h"
#include "ui/dialogs/prompts.h"
#include "ui/models/auditbackend.h"
#include "ui/models/displayformat.h"

#include <QClipboard>
#include <QFormLayout>
#include <QGridLayout>
#include <QGuiApplication>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QPushButton>
#include <QStyle>
#include <QToolButton>
#include <QVBoxLayout>

namespace redrive::ui {

using core::DeliveryEvent;
using core::SettingKey;

// A URL on one line, elided in its middle when the column is narrower (both ends say
// something: the host and the path), in full in its tooltip.
class UrlLabel final : public QLabel
{
public:
    explicit UrlLabel(QWidget *parent)
        : QLabel(parent)
    {
        setSizePolicy(QSizePolicy::Expanding, QSizePolicy::Preferred);
        setMinimumWidth(fontMetrics().averageCharWidth() * 16);
    }
    QString url() const { return m_url; }
    void setUrl(const QString &url)
    {
        m_url = url;
        setToolTip(url);
        updateGeometry();
        elide();
    }
    QSize sizeHint() const override
    {
        return { fontMetrics().horizontalAdvance(m_url) + contentsMargins().left()
                     + contentsMargins().right() + 2,
                 QLabel::sizeHint().height() };
    }
    QSize minimumSizeHint() const override
    {
        return { minimumWidth(), QLabel::minimumSizeHint().height() };
    }

protected:
    void resizeEvent(QResizeEvent *event) override
    {
        QLabel::resizeEvent(event);
        elide();
    }

private:
    void elide()
    {
        QLabel::setText(fontMetrics().elidedText(m_url, Qt::ElideMiddle, contentsRect().width()));
    }

    QString m_url;
};

ReceiverPanel::ReceiverPanel(core::Settings &settings, core::CredentialStore &credentials,
                             QWidget *parent)
    : QWidget(parent)
    , m_settings(settings)
    , m_credentials(credentials)
    , m_url(new UrlLabel(this))
    , m_ngrok(new QLabel(this))
    , m_publicUrl(new UrlLabel(this))
    , m_copyUrl(new QToolButton(this))
    , m_registration(new QLabel(this))
    , m_register(new QPushButton(tr("Register with Genesys Cloud…"), this))
    , m_startStop(new QPushButton(this))
{
    for (QLabel *label : { m_ngrok, m_registration }) {
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);
        label->setWordWrap(true);
        // A long hint wraps in the column's width rather than widening it.
        label->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
        label->setMinimumWidth(label->fontMetrics().averageCharWidth() * 16);
    }
    m_copyUrl->setText(tr("Copy"));
    m_copyUrl->setToolTip(tr("Copy the public URL to the clipboard"));
    m_copyUrl->setAccessibleName(tr("Copy the public URL"));
    m_copyUrl->hide();
    connect(m_copyUrl, &QToolButton::clicked, this,
            [this]() { QGuiApplication::clipboard()->setText(m_publicUrl->url()); });
    m_publicUrl->hide();
    const auto buttonRow = [](QPushButton *button) {
        auto *row = new QHBoxLayout;
        row->addWidget(button);
        row->addStretch(1);
        return row;
    };
    const auto makeForm = [](QGroupBox *box) {
        auto *form = new QFormLayout(box);
        form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
        form->setLabelAlignment(Qt::AlignRight | Qt::AlignVCenter);
        form->setRowWrapPolicy(QFormLayout::DontWrapRows);
        return form;
    };

    auto *listening = new QGroupBox(tr("Receiver"), this);
    QFormLayout *listeningForm = makeForm(listening);
    listeningForm->addRow(tr("Listening on:"), m_url);
    listeningForm->addRow(QString(), buttonRow(m_startStop));

    auto *session = new QGroupBox(tr("Receiver, this session"), this);
    QFormLayout *sessionForm = makeForm(session);
    const QString names[CountKinds] = {
        tr("Requests:"), tr("Processed:"),    tr("Deferred to the DLQ:"), tr("Permanent failures:"),
        tr("Rejected:"), tr("Answered 503:"), tr("Mean latency:"),
    };
    for (int i = 0; i < CountKinds; ++i) {
        m_countLabels[i] = new QLabel(session);
        m_countLabels[i]->setTextInteractionFlags(Qt::TextSelectableByMouse);
        m_countLabels[i]->setAccessibleName(names[i].chopped(1));
        sessionForm->addRow(names[i], m_countLabels[i]);
    }

    auto *genesys = new QGroupBox(tr("Genesys Cloud"), this);
    QFormLayout *genesysForm = makeForm(genesys);
    auto *publicUrl = new QGridLayout;
    publicUrl->setContentsMargins(0, 0, 0, 0);
    publicUrl->addWidget(m_publicUrl, 0, 0);
    publicUrl->addWidget(m_copyUrl, 0, 1);
    publicUrl->addWidget(m_ngrok, 1, 0, 1, 2);
    publicUrl->setColumnStretch(0, 1);
    genesysForm->addRow(tr("Public URL:"), publicUrl);
    genesysForm->addRow(tr("Registration:"), m_registration);
    genesysForm->addRow(QString(), buttonRow(m_register));

    // The same label column in the three boxes.
    int labelWidth = 0;
    for (QFormLayout *form : { listeningForm, sessionForm, genesysForm }) {
        for (int row = 0; row < form->rowCount(); ++row) {
            if (QLayoutItem *item = form->itemAt(row, QFormLayout::LabelRole);
                item && item->widget())
                labelWidth = std::max(labelWidth, item->widget()->sizeHint().width());
        }
    }
    for (QFormLayout *form : { listeningForm, sessionForm, genesysForm }) {
        for (int row = 0; row < form->rowCount(); ++row) {
            if (QLayoutItem *item = form->itemAt(row, QFormLayout::LabelRole);
                item && item->widget())
                item->widget()->setMinimumWidth(labelWidth);
        }
    }

    // Never so narrow that a button's text is cut (the URLs are elided instead): the label
    // column, the widest button, the boxes' and the form's margins.
    const QMargins margins = listening->contentsMargins();
    setMinimumWidth(labelWidth
                    + std::max(m_register->sizeHint().width(), m_startStop->sizeHint().width())
                    + std::max(0, listeningForm->horizontalSpacing()) + margins.left() + margins.right()
                    + 2 * style()->pixelMetric(QStyle::PM_LayoutLeftMargin) + 8);

    // A column of boxes: the Overview page places it (beside the charts, or under them in a
    // narrow window).
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addWidget(listening);
    layout->addWidget(genesys);
    layout->addWidget(session);
    layout->addStretch(1);

    m_startStop->setAccessibleName(tr("Start or stop the receiver"));
    m_register->setAccessibleName(tr("Register with Genesys Cloud"));
    m_url->setAccessibleName(tr("Listening on"));
    m_ngrok->setAccessibleName(tr("Public URL"));
    m_registration->setAccessibleName(tr("Registration"));
    m_registration->setText(tr("none in the audit trail"));

    connect(m_register, &QPushButton::clicked, this, &ReceiverPanel::openRegisterDialog);
    // The engine answers with a new status (setListeningUrl() through the window).
    connect(m_startStop, &QPushButton::clicked, this, [this]() {
        if (m_engine && m_engine->status().receiverEnabled)
            m_engine->setReceiverListening(!m_listening);
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
        showPublicUrl(url.toString());
        if (url.isEmpty() && !m_watcher->hint().isEmpty())
            m_ngrok->setText(m_watcher->hint());
    });
    connect(m_watcher.get(), &core::NgrokWatcher::hintChanged, this, [this](const QString &hint) {
        if (m_watcher->publicUrl().isEmpty() && !hint.isEmpty())
            m_ngrok->setText(hint);
    });
    m_watcher->start();
}

void ReceiverPanel::setEngine(core::EngineThread *engine)
{
    m_engine = engine;
    connect(engine, &core::EngineThread::receiverStartFailed, this, [this](const QString &error) {
        Prompts::warn(this, tr("Receiver"), tr("Cannot listen: %1").arg(error));
    });
    setListeningUrl(engine->status().receiverUrl);
}

void ReceiverPanel::updateStartStop()
{
    const bool haveReceiver = m_engine && m_engine->status().receiverEnabled;
    m_startStop->setEnabled(haveReceiver);
    m_startStop->setText(haveReceiver && m_listening ? tr("Stop receiving")
                                                     : tr("Start receiving"));
    if (!haveReceiver)
        m_startStop->setToolTip(tr("The receiver is turned off in the settings."));
}

ReceiverPanel::~ReceiverPanel() = default;

void ReceiverPanel::setListeningUrl(const QString &url)
{
    m_listening = !url.isEmpty();
    m_url->setUrl(url.isEmpty() ? tr("not listening") : url);
    const int port = QUrl(url).port();
    if (port > 0)
        watchPort(quint16(port));
    updateStartStop();
}

void ReceiverPanel::showPublicUrl(const QString &url)
{
    m_publicUrl->setUrl(url);
    m_publicUrl->setVisible(!url.isEmpty());
    m_copyUrl->setVisible(!url.isEmpty());
    m_ngrok->setVisible(url.isEmpty());
}

QString ReceiverPanel::publicUrl() const
{
    return m_publicUrl->url();
}

QLabel *ReceiverPanel::publicUrlLabel() const
{
    return m_publicUrl;
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
    const qint64 values[] = { m_total,
                              m_counts[int(O::Processed)],
                              m_counts[int(O::Deferred)],
                              m_counts[int(O::PermanentFailure)],
                              m_counts[int(O::Rejected)],
                              m_counts[int(O::Unavailable)] };
    for (int i = 0; i < MeanLatency; ++i)
        m_countLabels[i]->setText(locale.toString(values[i]));
    m_countLabels[MeanLatency]->setText(m_total ? displayformat::duration(m_latencySum / m_total)
                                                : tr("none yet"));
}

QString ReceiverPanel::countersText() const
{
    QStringList parts;
    for (int i = 0; i < CountKinds; ++i)
        parts << m_countLabels[i]->accessibleName() + QLatin1Char(' ') + m_countLabels[i]->text();
    return parts.join(QStringLiteral(" · "));
}

void ReceiverPanel::setAuditBackend(AuditBackend *audit)
{
    m_audit = audit;
}

void ReceiverPanel::openRegisterDialog()
{
    auto *dialog = new GenesysRegisterDialog(m_settings, m_credentials, this);
    if (m_audit)
        dialog->setAuditSink([audit = m_audit](const core::AuditRecord &record) {
            if (audit)
                audit->record(record);
        });
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->open();
}

} // namespace redrive::ui

namespace redrive::ui {

void ReceiverPanel::setRegistration(const QString &text)
{
    m_registration->setText(text);
}

} // namespace redrive::ui
