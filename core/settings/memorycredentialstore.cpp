// SPDX-License-Identifier: MIT
#include "core/settings/memorycredentialstore.h"

#include <QPointer>
#include <QTimer>

namespace redrive::core {

namespace {
// Callbacks never run inside the call that asked, as with a real keychain.
template<typename F> void later(QObject *self, const QObject *context, F f)
{
    const QPointer<const QObject> guard(context);
    const bool hasContext = context != nullptr;
    QTimer::singleShot(0, self, [guard, hasContext, f = std::move(f)]() mutable {
        if (!hasContext || guard)
            f();
    });
}
} // namespace

MemoryCredentialStore::MemoryCredentialStore(QObject *parent)
    : CredentialStore(parent)
{ }

void MemoryCredentialStore::read(SecretKind kind, const QObject *context, ReadCallback callback)
{
    SecretResult result;
    result.ok = true;
    result.found = m_values.contains(kind);
    result.value = m_values.value(kind);
    later(this, context, [callback = std::move(callback), result] { callback(result); });
}

void MemoryCredentialStore::write(SecretKind kind, const QString &value, const QObject *context,
                                  WriteCallback callback)
{
    m_values.insert(kind, value);
    later(this, context, [callback = std::move(callback)] { callback(QString()); });
}

void MemoryCredentialStore::remove(SecretKind kind, const QObject *context, WriteCallback callback)
{
    m_values.remove(kind);
    later(this, context, [callback = std::move(callback)] { callback(QString()); });
}

QString MemoryCredentialStore::description() const
{
    return QStringLiteral("memory of this session only");
}

LayeredCredentialStore::LayeredCredentialStore(const QHash<SecretKind, QString> &environmentSecrets,
                                               CredentialStore *persistent, QObject *parent)
    : CredentialStore(parent)
    , m_environment(environmentSecrets)
    , m_persistent(persistent)
{ }

QHash<SecretKind, QString> LayeredCredentialStore::secretsFrom(const QStringList &environment)
{
    QHash<SecretKind, QString> secrets;
    for (const QString &entry : environment) {
        const qsizetype equals = entry.indexOf(QLatin1Char('='));
        if (equals <= 0)
            continue;
        const QString name = entry.left(equals);
        for (SecretKind kind : allKinds()) {
            if (name == environmentVariable(kind) && equals + 1 < entry.size())
                secrets.insert(kind, entry.mid(equals + 1));
        }
    }
    return secrets;
}

void LayeredCredentialStore::setCredentialFileSecrets(const QHash<SecretKind, QString> &secrets)
{
    m_files = secrets;
}

LayeredCredentialStore::Origin LayeredCredentialStore::overrideOrigin(SecretKind kind) const
{
    if (m_session.contains(kind))
        return Origin::Session;
    if (m_files.contains(kind))
        return Origin::CredentialFile;
    if (m_environment.contains(kind))
        return Origin::Environment;
    return m_persistent ? Origin::Persistent : Origin::None;
}

bool LayeredCredentialStore::hasOverride(SecretKind kind) const
{
    return m_session.contains(kind) || m_files.contains(kind) || m_environment.contains(kind);
}

void LayeredCredentialStore::read(SecretKind kind, const QObject *context, ReadCallback callback)
{
    if (m_session.contains(kind)) {
        m_session.read(kind, context, std::move(callback));
        return;
    }
    const QHash<SecretKind, QString> &given = m_files.contains(kind) ? m_files : m_environment;
    if (given.contains(kind)) {
        SecretResult result { true, true, given.value(kind), {} };
        later(this, context, [callback = std::move(callback), result] { callback(result); });
        return;
    }
    if (!m_persistent) {
        later(this, context, [callback = std::move(callback)] {
            callback(SecretResult { true, false, {}, {} });
        });
        return;
    }
    m_persistent->read(kind, context, std::move(callback));
}

void LayeredCredentialStore::write(SecretKind kind, const QString &value, const QObject *context,
                                   WriteCallback callback)
{
    if (!m_persistent) {
        keepForSession(kind, value);
        later(this, context, [callback = std::move(callback)] { callback(QString()); });
        return;
    }
    m_persistent->write(kind, value, context,
                        [this, kind, callback = std::move(callback)](const QString &error) {
                            // Saved: the keychain is the source from now on.
                            if (error.isEmpty())
                                m_session.remove(kind, nullptr, [](const QString &) {});
                            callback(error);
                        });
}

void LayeredCredentialStore::remove(SecretKind kind, const QObject *context, WriteCallback callback)
{
    m_session.remove(kind, nullptr, [](const QString &) {});
    if (!m_persistent) {
        later(this, context, [callback = std::move(callback)] { callback(QString()); });
        return;
    }
    m_persistent->remove(kind, context, std::move(callback));
}

QString LayeredCredentialStore::description() const
{
    return m_persistent ? m_persistent->description() : m_session.description();
}

void LayeredCredentialStore::keepForSession(SecretKind kind, const QString &value)
{
    m_session.set(kind, value);
}

} // namespace redrive::core
