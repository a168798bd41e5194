// SPDX-License-Identifier: MIT
#include "ui/dialogs/genesysregisterdialog.h"

#include "core/genesys/genesysclient.h"
#include "core/genesys/genesysregions.h"
#include "core/genesys/genesysregistrar.h"
#include "core/genesys/ngrokdiscovery.h"
#include "core/settings/credentialstore.h"
#include "core/settings/settings.h"
#include "ui/dialogs/prompts.h"

#include <QComboBox>
#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QTime>
#include <QVBoxLayout>

namespace redrive::ui {

using core::SecretKind;
using core::SettingKey;

namespace {

quint16 listenPort(const QString &address)
{
    return quint16(address.section(QLatin1Char(':'), -1).toUInt());
}

} // namespace

GenesysRegisterDialog::GenesysRegisterDialog(core::Settings &settings,
                                             core::CredentialStore &credentials, QWidget *parent)
    : QDialog(parent)
    , m_settings(settings)
    , m_credentials(credentials)
    , m_region(new QComboBox(this))
    , m_clientId(new QLineEdit(this))
    , m_secretState(new QLabel(this))
    , m_publicUrl(new QLineEdit(this))
    , m_ngrokHint(new QLabel(this))
    , m_topic(new QComboBox(this))
    , m_workflow(new QComboBox(this))
    , m_connect(new QPushButton(tr("Connect"), this))
    , m_register(new QPushButton(tr("Register"), this))
    , m_list(new QPushButton(tr("Show registered"), this))
    , m_unregister(new QPushButton(tr("Unregister…"), this))
    , m_log(new QPlainTextEdit(this))
{
    setWindowTitle(tr("Register with Genesys Cloud"));
    for (const core::GenesysRegion &region : core::genesysRegions())
        m_region->addItem(QStringLiteral("%1 (%2)").arg(region.name, region.domain), region.name);
    m_region->setCurrentIndex(
        std::max(0, m_region->findData(settings.string(SettingKey::GenesysRegion))));
    m_clientId->setText(settings.string(SettingKey::GenesysClientId));
    m_clientId->setPlaceholderText(tr("OAuth client id (client credentials grant)"));
    m_publicUrl->setPlaceholderText(tr("https://… (found automatically when ngrok runs)"));
    m_ngrokHint->setWordWrap(true);
    m_ngrokHint->setForegroundRole(QPalette::PlaceholderText);
    m_secretState->setForegroundRole(QPalette::PlaceholderText);
    m_secretState->setWordWrap(true);
    m_topic->setEditable(true);
    m_topic->setInsertPolicy(QComboBox::NoInsert);
    m_topic->setPlaceholderText(tr("connect to list the topics"));
    m_workflow->setPlaceholderText(tr("connect to list the workflows"));
    m_log->setReadOnly(true);
    m_log->setFont(QFontDatabase::systemFont(QFontDatabase::FixedFont));
    m_log->setPlaceholderText(tr("Each step and its result shows here."));

    auto *account = new QGroupBox(tr("1. Genesys Cloud organisation"), this);
    auto *accountForm = new QFormLayout(account);
    accountForm->addRow(tr("Region:"), m_region);
    accountForm->addRow(tr("Client ID:"), m_clientId);
    accountForm->addRow(tr("Client secret:"), m_secretState);
    accountForm->addRow(QString(), m_connect);

    auto *target = new QGroupBox(tr("2. What Genesys sends, and where"), this);
    auto *targetForm = new QFormLayout(target);
    targetForm->addRow(tr("Public URL:"), m_publicUrl);
    targetForm->addRow(QString(), m_ngrokHint);
    targetForm->addRow(tr("Topic:"), m_topic);
    targetForm->addRow(tr("Workflow:"), m_workflow);
    auto *actions = new QHBoxLayout;
    actions->addWidget(m_register);
    actions->addStretch(1);
    actions->addWidget(m_list);
    actions->addWidget(m_unregister);
    targetForm->addRow(actions);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(account);
    layout->addWidget(target);
    layout->addWidget(m_log, 1);
    layout->addWidget(buttons);
    resize(720, 640);

    connect(m_connect, &QPushButton::clicked, this, &GenesysRegisterDialog::connectToGenesys);
    connect(m_register, &QPushButton::clicked, this, &GenesysRegisterDialog::registerReceiver);
    connect(m_list, &QPushButton::clicked, this, &GenesysRegisterDialog::listRegistered);
    connect(m_unregister, &QPushButton::clicked, this, &GenesysRegisterDialog::unregister);
    connect(m_topic, &QComboBox::currentTextChanged, this, &GenesysRegisterDialog::updateButtons);
    connect(m_workflow, &QComboBox::currentIndexChanged, this,
            &GenesysRegisterDialog::updateButtons);
    connect(m_publicUrl, &QLineEdit::textChanged, this, &GenesysRegisterDialog::updateButtons);
    connect(m_clientId, &QLineEdit::textChanged, this, &GenesysRegisterDialog::updateButtons);

    // ngrok's public URL, followed while the dialog is open.
    m_ngrok = std::make_unique<core::NgrokWatcher>(
        QUrl(settings.string(SettingKey::NgrokApiUrl)),
        listenPort(settings.string(SettingKey::ListenAddress)));
    connect(m_ngrok.get(), &core::NgrokWatcher::publicUrlChanged, this, [this](const QUrl &url) {
        if (!url.isEmpty()) {
            m_publicUrl->setText(url.toString());
            m_ngrokHint->setText(tr("Found through the ngrok agent."));
        }
    });
    connect(m_ngrok.get(), &core::NgrokWatcher::hintChanged, this, [this](const QString &hint) {
        if (!hint.isEmpty())
            m_ngrokHint->setText(hint);
    });
    m_ngrok->start();

    m_secretState->setText(tr("reading the keychain…"));
    m_credentials.read(SecretKind::GenesysClientSecret, this, [this](const core::SecretResult &r) {
        if (!r.ok)
            m_secretState->setText(tr("Keychain unavailable: %1").arg(r.error));
        else if (!r.found)
            m_secretState->setText(tr("not stored — add it in Settings → Secrets, or set %1")
                                       .arg(core::CredentialStore::environmentVariable(
                                           SecretKind::GenesysClientSecret)));
        else
            m_secretState->setText(tr("stored in %1").arg(m_credentials.description()));
        m_clientSecret = r.value;
        updateButtons();
    });
    m_credentials.read(SecretKind::SharedSecret, this, [this](const core::SecretResult &r) {
        m_sharedSecret = r.value;
        updateButtons();
    });
    updateButtons();
}

GenesysRegisterDialog::~GenesysRegisterDialog() = default;

QString GenesysRegisterDialog::logText() const
{
    return m_log->toPlainText();
}

void GenesysRegisterDialog::setAuditSink(std::function<void(const core::AuditRecord &)> sink)
{
    m_auditSink = std::move(sink);
    if (m_registrar)
        m_registrar->setAuditSink(m_auditSink);
}

void GenesysRegisterDialog::log(const QString &line)
{
    m_log->appendPlainText(QTime::currentTime().toString(QStringLiteral("HH:mm:ss  ")) + line);
}

void GenesysRegisterDialog::setBusy(bool busy)
{
    m_busy = busy;
    updateButtons();
}

void GenesysRegisterDialog::updateButtons()
{
    const bool canConnect
        = !m_busy && !m_clientId->text().trimmed().isEmpty() && !m_clientSecret.isEmpty();
    m_connect->setEnabled(canConnect);
    m_register->setEnabled(!m_busy && m_connected && !m_topic->currentText().isEmpty()
                           && m_workflow->currentIndex() >= 0
                           && !m_publicUrl->text().trimmed().isEmpty());
    m_list->setEnabled(!m_busy && m_connected);
    m_unregister->setEnabled(!m_busy && m_connected);
}

void GenesysRegisterDialog::connectToGenesys()
{
    core::GenesysConnection connection;
    connection.region = m_region->currentData().toString();
    connection.baseUrlOverride = m_settings.string(SettingKey::GenesysBaseUrl);
    connection.clientId = m_clientId->text().trimmed();
    connection.clientSecret = m_clientSecret;
    m_registrar.reset();
    m_client = std::make_unique<core::GenesysClient>(connection);
    QString error;
    if (!m_client->isConfigured(&error)) {
        log(tr("✗ %1").arg(error));
        return;
    }
    m_registrar = std::make_unique<core::GenesysRegistrar>(m_client.get());
    m_registrar->setAuditSink(m_auditSink);
    connect(m_registrar.get(), &core::GenesysRegistrar::progress, this,
            [this](const QString &message) { log(QStringLiteral("  ") + message); });
    m_connected = false;
    setBusy(true);
    log(tr("Requesting a token from %1…").arg(m_client->endpoints().tokenUrl.host()));
    m_client->testCredentials(this, [this, connection](const core::GenesysError &error) {
        if (error.isError()) {
            log(tr("✗ %1").arg(error.message));
            setBusy(false);
            return;
        }
        log(tr("✓ Signed in to %1.").arg(connection.region));
        m_settings.setValue(SettingKey::GenesysRegion, connection.region);
        m_settings.setValue(SettingKey::GenesysClientId, connection.clientId);
        m_connected = true;
        auto pending = std::make_shared<int>(2);
        auto done = [this, pending]() {
            if (--*pending == 0)
                setBusy(false);
        };
        m_registrar->listTopics(
            this, [this, done](const QStringList &topics, const core::GenesysError &error) {
                if (error.isError()) {
                    log(tr("✗ Topics: %1").arg(error.message));
                } else {
                    m_topic->clear();
                    m_topic->addItems(topics);
                    log(tr("✓ %n topics available.", nullptr, int(topics.size())));
                }
                done();
            });
        m_registrar->listWorkflows(
            this,
            [this, done](const QList<core::GenesysWorkflow> &flows,
                         const core::GenesysError &error) {
                if (error.isError()) {
                    log(tr("✗ Workflows: %1").arg(error.message));
                } else {
                    m_workflow->clear();
                    for (const core::GenesysWorkflow &flow : flows)
                        m_workflow->addItem(flow.name, flow.id);
                    // With a placeholder set, a filled combo box still selects nothing by itself.
                    m_workflow->setCurrentIndex(flows.isEmpty() ? -1 : 0);
                    log(tr("✓ %n workflows available.", nullptr, int(flows.size())));
                }
                done();
            });
    });
}

void GenesysRegisterDialog::registerReceiver()
{
    if (!m_registrar)
        return;
    core::GenesysRegistrationRequest request;
    request.publicUrl = QUrl(m_publicUrl->text().trimmed());
    request.path = m_settings.string(SettingKey::WebhookPath);
    request.secretHeader = m_settings.string(SettingKey::SecretHeader);
    request.sharedSecret = m_sharedSecret;
    request.topic = m_topic->currentText().trimmed();
    request.workflowId = m_workflow->currentData().toString();
    const QString problem = core::GenesysRegistrar::validate(request);
    if (!problem.isEmpty()) {
        log(tr("✗ %1").arg(problem));
        return;
    }
    setBusy(true);
    log(tr("Registering %1 for %2…")
            .arg(core::GenesysRegistrar::receiverUrl(request).toString(), request.topic));
    m_registrar->registerReceiver(request, this, [this](const core::GenesysOperationResult &r) {
        log(r.ok ? tr("✓ Registered. Genesys Cloud now posts these events to the receiver.")
                 : tr("✗ Not registered:\n%1").arg(r.failureReport()));
        setBusy(false);
    });
}

void GenesysRegisterDialog::listRegistered()
{
    if (!m_registrar)
        return;
    setBusy(true);
    m_registrar->list(
        this, [this](const core::GenesysInventory &inventory, const core::GenesysError &error) {
            if (error.isError()) {
                log(tr("✗ %1").arg(error.message));
            } else if (inventory.items.isEmpty()) {
                log(tr("Nothing registered by Redrive in this organisation."));
            } else {
                log(tr("Registered by Redrive:"));
                for (const auto &item : inventory.items)
                    log(QStringLiteral("  %1 \"%2\" (%3) %4")
                            .arg(item.kind, item.name, item.id, item.detail));
            }
            setBusy(false);
        });
}

void GenesysRegisterDialog::unregister()
{
    if (!m_registrar)
        return;
    Prompts::confirm(
        this, tr("Unregister"),
        tr("Remove the trigger, data action and integration Redrive registered in "
           "this organisation? Genesys Cloud stops sending events to the receiver."),
        tr("Unregister"), this, [this](bool accepted) {
            if (!accepted || !m_registrar)
                return;
            setBusy(true);
            log(tr("Unregistering…"));
            m_registrar->unregister(this, [this](const core::GenesysOperationResult &r) {
                log(r.ok ? tr("✓ Unregistered.")
                         : tr("✗ Not fully unregistered:\n%1").arg(r.failureReport()));
                setBusy(false);
            });
        });
}

} // namespace redrive::ui
