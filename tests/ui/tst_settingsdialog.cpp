// SPDX-License-Identifier: MIT
#include "core/settings/memorycredentialstore.h"
#include "core/settings/settings.h"
#include "ui/dialogs/settingsdialog.h"

#include <QCheckBox>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace redrive;
using core::SecretKind;
using core::SettingKey;

namespace {

// A keychain that cannot be reached, as on a server without a Secret Service.
class UnavailableStore final : public core::CredentialStore
{
public:
    void read(SecretKind, const QObject *context, ReadCallback callback) override
    {
        QTimer::singleShot(0, context, [callback]() {
            callback({ false, false, {}, QStringLiteral("no Secret Service on the session bus") });
        });
    }
    void write(SecretKind, const QString &, const QObject *context, WriteCallback callback) override
    {
        QTimer::singleShot(0, context,
                           [callback]() { callback(QStringLiteral("no Secret Service")); });
    }
    void remove(SecretKind, const QObject *context, WriteCallback callback) override
    {
        QTimer::singleShot(0, context,
                           [callback]() { callback(QStringLiteral("no Secret Service")); });
    }
    QString description() const override { return QStringLiteral("nowhere"); }
};

} // namespace

class TestSettingsDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void everySettingHasAnEditor();
    void validatesAndSaves();
    void secretsGoToTheStore();
    void unavailableKeychainIsShown();

private:
    QTemporaryDir m_dir;
};

void TestSettingsDialog::everySettingHasAnEditor()
{
    core::Settings settings(m_dir.filePath(QStringLiteral("a.ini")));
    core::MemoryCredentialStore store;
    ui::SettingsDialog dialog(settings, store);
    for (const core::SettingSpec &spec : core::Settings::specs())
        QVERIFY2(dialog.lineEdit(spec.key) || dialog.checkBox(spec.key), qPrintable(spec.fileKey));
    for (SecretKind kind : core::CredentialStore::allKinds())
        QVERIFY(dialog.secretEdit(kind));
}

void TestSettingsDialog::validatesAndSaves()
{
    core::Settings settings(m_dir.filePath(QStringLiteral("b.ini")));
    core::MemoryCredentialStore store;
    ui::SettingsDialog dialog(settings, store);
    dialog.show();
    QLineEdit *attempts = dialog.lineEdit(SettingKey::MaxRetries);
    attempts->clear();
    QTest::keyClicks(attempts, QStringLiteral("abc"));
    QVERIFY(!dialog.problemLabel(SettingKey::MaxRetries)->isHidden());
    QTest::mouseClick(dialog.applyButton(), Qt::LeftButton);
    QCOMPARE(settings.integer(SettingKey::MaxRetries), 3); // nothing saved while invalid

    attempts->clear();
    QTest::keyClicks(attempts, QStringLiteral("7"));
    QVERIFY(dialog.problemLabel(SettingKey::MaxRetries)->isHidden());
    QLineEdit *path = dialog.lineEdit(SettingKey::WebhookPath);
    path->setText(QStringLiteral("/hooks/genesys"));
    dialog.checkBox(SettingKey::WorkerEnabled)->setChecked(false);
    QSignalSpy changed(&settings, &core::Settings::changed);
    QTest::mouseClick(dialog.applyButton(), Qt::LeftButton);
    QCOMPARE(settings.integer(SettingKey::MaxRetries), 7);
    QCOMPARE(settings.string(SettingKey::WebhookPath), QStringLiteral("/hooks/genesys"));
    QCOMPARE(settings.flag(SettingKey::WorkerEnabled), false);

    // A second dialog reads what was saved.
    core::Settings reread(m_dir.filePath(QStringLiteral("b.ini")));
    QCOMPARE(reread.integer(SettingKey::MaxRetries), 7);
}

void TestSettingsDialog::secretsGoToTheStore()
{
    core::Settings settings(m_dir.filePath(QStringLiteral("c.ini")));
    core::MemoryCredentialStore store;
    store.set(SecretKind::RedisPassword, QStringLiteral("old"));
    ui::SettingsDialog dialog(settings, store);
    dialog.show();
    QTRY_COMPARE(dialog.secretStatus(SecretKind::RedisPassword)->text(), QStringLiteral("stored"));
    QTRY_COMPARE(dialog.secretStatus(SecretKind::SharedSecret)->text(),
                 QStringLiteral("not stored"));
    QCOMPARE(dialog.secretEdit(SecretKind::RedisPassword)->text(), QString()); // never shown
    QTest::keyClicks(dialog.secretEdit(SecretKind::SharedSecret), QStringLiteral("s3cret"));
    QSignalSpy secretChanged(&dialog, &ui::SettingsDialog::secretChanged);
    QTest::mouseClick(dialog.applyButton(), Qt::LeftButton);
    QTRY_COMPARE(store.value(SecretKind::SharedSecret), QStringLiteral("s3cret"));
    QTRY_COMPARE(secretChanged.size(), 1);
    QCOMPARE(store.value(SecretKind::RedisPassword), QStringLiteral("old"));
    QVERIFY(!QFile(settings.filePath()).exists()
            || !QFile(settings.filePath()).open(QIODevice::ReadOnly)
            || !QFile(settings.filePath()).readAll().contains("s3cret"));
}

void TestSettingsDialog::unavailableKeychainIsShown()
{
    core::Settings settings(m_dir.filePath(QStringLiteral("d.ini")));
    UnavailableStore store;
    ui::SettingsDialog dialog(settings, store);
    dialog.show();
    QTRY_VERIFY(dialog.secretStatus(SecretKind::GenesysClientSecret)
                    ->text()
                    .contains(QStringLiteral("no Secret Service")));
    QVERIFY(dialog.secretStatus(SecretKind::GenesysClientSecret)
                ->text()
                .contains(QStringLiteral("GENESYS_CLIENT_SECRET")));
    QTest::keyClicks(dialog.secretEdit(SecretKind::RedisPassword), QStringLiteral("pw"));
    QTest::mouseClick(dialog.applyButton(), Qt::LeftButton);
    QTRY_VERIFY(dialog.secretStatus(SecretKind::RedisPassword)
                    ->text()
                    .startsWith(QStringLiteral("Not saved")));
}

QTEST_MAIN(TestSettingsDialog)
#include "tst_settingsdialog.moc"
