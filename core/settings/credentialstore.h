// SPDX-License-Identifier: MIT
#pragma once

#include <QObject>
#include <QString>

#include <functional>

namespace redrive::core {

// The secrets Redrive handles. They never go into the settings file, a log line or a
// command line: only into the OS keychain (or, for headless use, the process environment).
enum class SecretKind { GenesysClientSecret, RedisPassword, SharedSecret, RedisSentinelPassword };

struct SecretResult
{
    bool ok = false; // false: the store could not answer (see error)
    bool found = false; // ok and nothing stored: found == false, value empty
    QString value;
    QString error; // what is missing and how to fix it, fit for a user
};

// Asynchronous access to secrets; callers never wait on it. Callbacks run once, later, on the
// caller's thread, unless `context` is destroyed first.
class CredentialStore : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(CredentialStore)

public:
    using ReadCallback = std::function<void(const SecretResult &)>;
    using WriteCallback = std::function<void(const QString &error)>; // empty error: done

    using QObject::QObject;
    ~CredentialStore() override = default;

    virtual void read(SecretKind kind, const QObject *context, ReadCallback callback) = 0;
    virtual void write(SecretKind kind, const QString &value, const QObject *context,
                       WriteCallback callback)
        = 0;
    virtual void remove(SecretKind kind, const QObject *context, WriteCallback callback) = 0;
    // Where secrets go, for the UI ("GNOME Keyring (Secret Service)", "this session only"...).
    virtual QString description() const = 0;

    static QString keyName(SecretKind kind); // stable keychain entry name
    static QString displayName(SecretKind kind); // for users
    static QString environmentVariable(SecretKind kind);
    static QList<SecretKind> allKinds();
};

} // namespace redrive::core
