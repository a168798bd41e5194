// SPDX-License-Identifier: MIT
#include "core/settings/keychaincredentialstore.h"

#include <QPointer>
#include <QTimer>

#include <qt6keychain/keychain.h>

#include <memory>

namespace redrive::core {

namespace {

// Runs `finish` exactly once: when the job finishes or when the timeout fires, whichever is first.
template<typename Finish>
void watch(QKeychain::Job *job, int timeoutMs, const QObject *context, Finish finish)
{
    auto done = std::make_shared<bool>(false);
    const QPointer<const QObject> guard(context);
    const bool hasContext = context != nullptr;
    QObject::connect(job, &QKeychain::Job::finished, job,
                     [done, guard, hasContext, finish](QKeychain::Job *finished) mutable {
                         if (*done || (hasContext && !guard))
                             return;
                         *done = true;
                         finish(finished, false);
                     });
    QTimer::singleShot(timeoutMs, job, [job, done, guard, hasContext, finish]() mutable {
        if (*done || (hasContext && !guard))
            return;
        *done = true;
        finish(job, true);
    });
}

} // namespace

KeychainCredentialStore::KeychainCredentialStore(const QString &service, int timeoutMs,
                                                 QObject *parent)
    : CredentialStore(parent)
    , m_service(service)
    , m_timeoutMs(timeoutMs)
{ }

QString KeychainCredentialStore::description() const
{
#if defined(Q_OS_MACOS)
    return QStringLiteral("macOS Keychain");
#elif defined(Q_OS_WIN)
    return QStringLiteral("Windows Credential Manager");
#else
    return QStringLiteral("system keyring (Secret Service)");
#endif
}

QString KeychainCredentialStore::explain(int error, const QString &detail) const
{
    switch (error) {
    case QKeychain::NoBackendAvailable:
        return QStringLiteral("No keychain is available (%1). On Linux Redrive needs a Secret "
                              "Service such as GNOME Keyring or KWallet on the D-Bus session bus: "
                              "install gnome-keyring and run Redrive in a desktop session, or set "
                              "the secret in the environment for headless use.")
            .arg(detail);
    case QKeychain::AccessDenied:
    case QKeychain::AccessDeniedByUser:
        return QStringLiteral("The keychain refused access (%1). Unlock your keyring and try "
                              "again.")
            .arg(detail);
    default:
        return QStringLiteral("The keychain failed: %1. On Linux this usually means no Secret "
                              "Service is running on the D-Bus session bus (install and start "
                              "gnome-keyring, or unlock it).")
            .arg(detail.isEmpty() ? QStringLiteral("unknown error") : detail);
    }
}

void KeychainCredentialStore::read(SecretKind kind, const QObject *context, ReadCallback callback)
{
    auto *job = new QKeychain::ReadPasswordJob(m_service, this);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(keyName(kind));
    watch(
        job, m_timeoutMs, context,
        [this, callback = std::move(callback)](QKeychain::Job *j, bool timedOut) {
            SecretResult result;
            if (timedOut) {
                result.error
                    = QStringLiteral(
                          "The keychain did not answer within %1 s. A locked keyring may be "
                          "waiting "
                          "for a password prompt: unlock it, or set the secret in the environment.")
                          .arg(m_timeoutMs / 1000.0);
            } else if (j->error() == QKeychain::EntryNotFound) {
                result.ok = true;
            } else if (j->error() != QKeychain::NoError) {
                result.error = explain(j->error(), j->errorString());
            } else {
                result.ok = true;
                result.found = true;
                result.value = static_cast<QKeychain::ReadPasswordJob *>(j)->textData();
            }
            callback(result);
        });
    job->start();
}

void KeychainCredentialStore::write(SecretKind kind, const QString &value, const QObject *context,
                                    WriteCallback callback)
{
    auto *job = new QKeychain::WritePasswordJob(m_service, this);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(keyName(kind));
    job->setTextData(value);
    watch(job, m_timeoutMs, context,
          [this, callback = std::move(callback)](QKeychain::Job *j, bool timedOut) {
              if (timedOut)
                  callback(QStringLiteral("The keychain did not answer within %1 s; the secret "
                                          "was not saved.")
                               .arg(m_timeoutMs / 1000.0));
              else if (j->error() != QKeychain::NoError)
                  callback(explain(j->error(), j->errorString()));
              else
                  callback(QString());
          });
    job->start();
}

void KeychainCredentialStore::remove(SecretKind kind, const QObject *context,
                                     WriteCallback callback)
{
    auto *job = new QKeychain::DeletePasswordJob(m_service, this);
    job->setAutoDelete(true);
    job->setInsecureFallback(false);
    job->setKey(keyName(kind));
    watch(job, m_timeoutMs, context,
          [this, callback = std::move(callback)](QKeychain::Job *j, bool timedOut) {
              if (timedOut)
                  callback(QStringLiteral("The keychain did not answer within %1 s.")
                               .arg(m_timeoutMs / 1000.0));
              else if (j->error() != QKeychain::NoError && j->error() != QKeychain::EntryNotFound)
                  callback(explain(j->error(), j->errorString()));
              else
                  callback(QString());
          });
    job->start();
}

} // namespace redrive::core
