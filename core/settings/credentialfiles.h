// SPDX-License-Identifier: MIT
#pragma once

#include "core/settings/credentialstore.h"

#include <QHash>
#include <QProcessEnvironment>

namespace redrive::core {

// Secrets handed over by a service manager as files: systemd's LoadCredential= puts each in
// $CREDENTIALS_DIRECTORY, one file per secret, named after CredentialStore::keyName()
// (genesys-client-secret, redis-password, receiver-shared-secret). Such a file wins over the
// environment and the keychain. Values are never logged.
class CredentialFiles final
{
public:
    // The file name of `kind` in the credentials folder.
    static QString fileName(SecretKind kind);

    // Reads every secret present in `directory` into `secrets` (one trailing newline stripped).
    // A missing file is no error: that secret simply comes from elsewhere. A file that exists
    // but cannot be read, is empty or is larger than a secret can be: false, with `error` saying
    // which file and why. `directory` empty: nothing to read, true.
    static bool read(const QString &directory, QHash<SecretKind, QString> *secrets,
                     QString *error);
    // read() on $CREDENTIALS_DIRECTORY of `environment`.
    static bool readFromEnvironment(const QProcessEnvironment &environment,
                                    QHash<SecretKind, QString> *secrets, QString *error);

    static constexpr qint64 MaxSize = 64 * 1024;
};

} // namespace redrive::core
