// SPDX-License-Identifier: MIT
#pragma once

#include "core/settings/credentialstore.h"

#include <QHash>

namespace redrive::core {

// Secrets held in this process's memory only: for tests, and for "keep for this session" when
// no keychain is available. Gone when the process ends; never written anywhere.
class MemoryCredentialStore final : public CredentialStore
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MemoryCredentialStore)

public:
    explicit MemoryCredentialStore(QObject *parent = nullptr);

    void read(SecretKind kind, const QObject *context, ReadCallback callback) override;
    void write(SecretKind kind, const QString &value, const QObject *context,
               WriteCallback callback) override;
    void remove(SecretKind kind, const QObject *context, WriteCallback callback) override;
    QString description() const override;

    bool contains(SecretKind kind) const { return m_values.contains(kind); }
    QString value(SecretKind kind) const { return m_values.value(kind); }
    void set(SecretKind kind, const QString &value) { m_values.insert(kind, value); }

private:
    QHash<SecretKind, QString> m_values;
};

// Reads a secret from, in order: values kept for this session, credential files (systemd's
// $CREDENTIALS_DIRECTORY, see CredentialFiles), the process environment (REDRIVE_SHARED_SECRET,
// REDRIVE_REDIS_PASSWORD, GENESYS_CLIENT_SECRET: held in memory only), then the persistent store
// (the keychain). Writes go to the persistent store; when it fails, the
// caller may keepForSession() instead. There is deliberately no plaintext fallback.
class LayeredCredentialStore final : public CredentialStore
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LayeredCredentialStore)

public:
    enum class Origin { None, Session, CredentialFile, Environment, Persistent };

    LayeredCredentialStore(const QHash<SecretKind, QString> &environmentSecrets,
                           CredentialStore *persistent, QObject *parent = nullptr);
    // The secrets present in `environment`.
    static QHash<SecretKind, QString> secretsFrom(const QStringList &environment);
    // Secrets read from credential files; they win over the environment and the keychain.
    void setCredentialFileSecrets(const QHash<SecretKind, QString> &secrets);

    void read(SecretKind kind, const QObject *context, ReadCallback callback) override;
    void write(SecretKind kind, const QString &value, const QObject *context,
               WriteCallback callback) override;
    void remove(SecretKind kind, const QObject *context, WriteCallback callback) override;
    QString description() const override;

    void keepForSession(SecretKind kind, const QString &value);
    bool hasOverride(SecretKind kind) const;
    // Where a secret would come from without asking the keychain (None: ask it).
    Origin overrideOrigin(SecretKind kind) const;

private:
    MemoryCredentialStore m_session;
    QHash<SecretKind, QString> m_files;
    QHash<SecretKind, QString> m_environment;
    CredentialStore *m_persistent;
};

} // namespace redrive::core
