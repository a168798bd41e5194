// SPDX-License-Identifier: MIT
#pragma once

#include "core/settings/credentialstore.h"

namespace redrive::core {

// Secrets in the OS keychain through QtKeychain (Secret Service or KWallet on Linux, Keychain
// on macOS, Credential Manager on Windows). Never falls back to plaintext. A keychain that does
// not answer in time (a locked keyring waiting for a password prompt nobody can see) is reported
// as an error instead of hanging the caller.
class KeychainCredentialStore final : public CredentialStore
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(KeychainCredentialStore)

public:
    explicit KeychainCredentialStore(const QString &service = QStringLiteral("Redrive"),
                                     int timeoutMs = 10000, QObject *parent = nullptr);

    void read(SecretKind kind, const QObject *context, ReadCallback callback) override;
    void write(SecretKind kind, const QString &value, const QObject *context,
               WriteCallback callback) override;
    void remove(SecretKind kind, const QObject *context, WriteCallback callback) override;
    QString description() const override;

private:
    QString explain(int error, const QString &detail) const;

    QString m_service;
    int m_timeoutMs;
};

} // namespace redrive::core
