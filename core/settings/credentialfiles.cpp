// SPDX-License-Identifier: MIT
#include "core/settings/credentialfiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

namespace redrive::core {

QString CredentialFiles::fileName(SecretKind kind)
{
    return CredentialStore::keyName(kind);
}

bool CredentialFiles::read(const QString &directory, QHash<SecretKind, QString> *secrets,
                           QString *error)
{
    if (directory.isEmpty())
        return true;
    for (SecretKind kind : CredentialStore::allKinds()) {
        const QString path = QDir(directory).filePath(fileName(kind));
        const QFileInfo info(path);
        if (!info.exists() && !info.isSymLink())
            continue;
        const QString what = QStringLiteral("credential file %1 (%2)")
                                 .arg(path, CredentialStore::displayName(kind));
        QFile file(path);
        if (info.isDir() || !file.open(QIODevice::ReadOnly)) {
            *error = QStringLiteral("cannot read the %1: %2")
                         .arg(what, info.isDir() ? QStringLiteral("it is a folder")
                                                 : file.errorString());
            return false;
        }
        QByteArray bytes = file.read(MaxSize + 1);
        if (bytes.size() > MaxSize) {
            *error = QStringLiteral("the %1 is larger than %2 bytes").arg(what).arg(MaxSize);
            return false;
        }
        if (bytes.endsWith('\n'))
            bytes.chop(bytes.endsWith("\r\n") ? 2 : 1);
        if (bytes.isEmpty()) {
            *error = QStringLiteral("the %1 is empty: put the secret in it, or remove the file "
                                    "(or its LoadCredential= line) to leave the secret unset")
                         .arg(what);
            return false;
        }
        secrets->insert(kind, QString::fromUtf8(bytes));
    }
    return true;
}

bool CredentialFiles::readFromEnvironment(const QProcessEnvironment &environment,
                                          QHash<SecretKind, QString> *secrets, QString *error)
{
    return read(environment.value(QStringLiteral("CREDENTIALS_DIRECTORY")), secrets, error);
}

} // namespace redrive::core
