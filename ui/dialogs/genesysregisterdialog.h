// SPDX-License-Identifier: MIT
#pragma once

#include <QDialog>
#include <QUrl>

#include <functional>
#include <memory>

class QComboBox;
class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;

namespace redrive::core {
struct AuditRecord;
class CredentialStore;
class GenesysClient;
class GenesysRegistrar;
class NgrokWatcher;
class Settings;
} // namespace redrive::core

namespace redrive::ui {

// The one-click path from "ngrok is running" to "Genesys Cloud posts events to this receiver":
// pick the region, connect with the OAuth client (secret from the keychain), pick a topic and a
// workflow, register. Each step's result is listed as it happens; what Redrive registered can
// be listed and removed again. All of it goes through core::GenesysRegistrar.
class GenesysRegisterDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GenesysRegisterDialog)

public:
    GenesysRegisterDialog(core::Settings &settings, core::CredentialStore &credentials,
                          QWidget *parent = nullptr);
    ~GenesysRegisterDialog() override;

    QComboBox *regionBox() const { return m_region; }
    QLineEdit *clientIdEdit() const { return m_clientId; }
    QLineEdit *publicUrlEdit() const { return m_publicUrl; }
    QComboBox *topicBox() const { return m_topic; }
    QComboBox *workflowBox() const { return m_workflow; }
    QPushButton *connectButton() const { return m_connect; }
    QPushButton *registerButton() const { return m_register; }
    QPushButton *listButton() const { return m_list; }
    QPushButton *unregisterButton() const { return m_unregister; }
    QString logText() const;
    // Gets an audit record for each registration and unregistration when it ends.
    void setAuditSink(std::function<void(const core::AuditRecord &)> sink);
    bool isConnected() const { return m_connected; }

private:
    void connectToGenesys();
    void registerReceiver();
    void listRegistered();
    void unregister();
    void log(const QString &line);
    void setBusy(bool busy);
    void updateButtons();

    core::Settings &m_settings;
    core::CredentialStore &m_credentials;
    std::unique_ptr<core::GenesysClient> m_client;
    std::unique_ptr<core::GenesysRegistrar> m_registrar;
    std::function<void(const core::AuditRecord &)> m_auditSink;
    std::unique_ptr<core::NgrokWatcher> m_ngrok;
    QComboBox *m_region;
    QLineEdit *m_clientId;
    QLabel *m_secretState;
    QLineEdit *m_publicUrl;
    QLabel *m_ngrokHint;
    QComboBox *m_topic;
    QComboBox *m_workflow;
    QPushButton *m_connect;
    QPushButton *m_register;
    QPushButton *m_list;
    QPushButton *m_unregister;
    QPlainTextEdit *m_log;
    QString m_clientSecret;
    QString m_sharedSecret;
    bool m_connected = false;
    bool m_busy = false;
};

} // namespace redrive::ui
