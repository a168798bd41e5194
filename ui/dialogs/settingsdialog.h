// SPDX-License-Identifier: MIT
#pragma once

#include "core/settings/credentialstore.h"
#include "core/settings/settings.h"

#include <QDialog>
#include <QHash>

class QCheckBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;

namespace redrive::ui {

// Every setting of core::Settings, grouped as the file groups them, edited through the typed
// facade (validation messages come from its spec table), and the three secrets through the
// CredentialStore — never shown, only replaced or removed, with the store's error when it
// cannot answer. Settings overridden by the environment or the command line say so.
class SettingsDialog final : public QDialog
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(SettingsDialog)

public:
    SettingsDialog(core::Settings &settings, core::CredentialStore &credentials,
                   QWidget *parent = nullptr);
    ~SettingsDialog() override;

    // Writes every changed, valid field. Returns false (and shows why beside each field)
    // when any value is invalid; nothing is saved then.
    bool apply();

    QLineEdit *lineEdit(core::SettingKey key) const;
    QCheckBox *checkBox(core::SettingKey key) const;
    QLabel *problemLabel(core::SettingKey key) const;
    QLineEdit *secretEdit(core::SecretKind kind) const;
    QLabel *secretStatus(core::SecretKind kind) const;
    QPushButton *applyButton() const;

Q_SIGNALS:
    // A secret was written or removed (the owner may reconnect with it).
    void secretChanged(core::SecretKind kind);

private:
    struct Field
    {
        QLineEdit *edit = nullptr;
        QCheckBox *check = nullptr;
        QLabel *problem = nullptr;
    };
    struct SecretRow
    {
        QLineEdit *edit = nullptr;
        QLabel *status = nullptr;
        QPushButton *remove = nullptr;
    };

    QWidget *buildSecretsPage();
    void readSecretStates();
    void saveSecrets();
    QVariant fieldValue(const core::SettingSpec &spec, const Field &field) const;
    QString checkField(core::SettingKey key);

    core::Settings &m_settings;
    core::CredentialStore &m_credentials;
    QHash<core::SettingKey, Field> m_fields;
    QHash<core::SecretKind, SecretRow> m_secrets;
    QDialogButtonBox *m_buttons = nullptr;
};

} // namespace redrive::ui
