// SPDX-License-Identifier: MIT
#include "core/audit/auditrecord.h"
#include "core/settings/memorycredentialstore.h"
#include "core/settings/settings.h"
#include "tests/support/fakegenesysserver.h"
#include "tests/support/fakengrokagent.h"
#include "ui/dialogs/genesysregisterdialog.h"
#include "ui/dialogs/prompts.h"

#include <QComboBox>
#include <QLineEdit>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>

using namespace redrive;
using core::SecretKind;
using core::SettingKey;

namespace {
const QString Topic = QStringLiteral("v2.detail.events.conversation.{id}.customer.start");
}

class TestGenesysRegisterDialog : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void init();
    void cleanup();
    void registersStepByStepAndUnregisters();
    void badSecretIsReported();

private:
    QTemporaryDir m_dir;
    std::unique_ptr<tests::FakeGenesysServer> m_genesys;
    std::unique_ptr<tests::FakeNgrokAgent> m_ngrok;
    std::unique_ptr<core::Settings> m_settings;
    std::unique_ptr<core::MemoryCredentialStore> m_credentials;
};

void TestGenesysRegisterDialog::init()
{
    ui::Prompts::setTestMode(true);
    m_genesys = std::make_unique<tests::FakeGenesysServer>();
    QVERIFY(m_genesys->start());
    m_genesys->addWorkflow(QStringLiteral("wf-1"), QStringLiteral("Forward to Redrive"));
    m_genesys->addTopic(Topic);
    m_ngrok = std::make_unique<tests::FakeNgrokAgent>();
    QVERIFY(m_ngrok->start());
    m_ngrok->addTunnel(QStringLiteral("https://abc123.ngrok.app"),
                       QStringLiteral("http://localhost:5000"));
    m_settings = std::make_unique<core::Settings>(m_dir.filePath(QStringLiteral("r.ini")));
    QVERIFY(m_settings->setValue(SettingKey::GenesysBaseUrl, m_genesys->baseUrl().toString()));
    QVERIFY(m_settings->setValue(SettingKey::NgrokApiUrl, m_ngrok->apiUrl().toString()));
    QVERIFY(m_settings->setValue(SettingKey::ListenAddress, QStringLiteral("127.0.0.1:5000")));
    m_credentials = std::make_unique<core::MemoryCredentialStore>();
    m_credentials->set(SecretKind::SharedSecret, QStringLiteral("s3cret-shared"));
}

void TestGenesysRegisterDialog::cleanup()
{
    m_genesys.reset();
    m_ngrok.reset();
    ui::Prompts::setTestMode(false);
}

void TestGenesysRegisterDialog::registersStepByStepAndUnregisters()
{
    m_credentials->set(SecretKind::GenesysClientSecret, m_genesys->clientSecret());
    ui::GenesysRegisterDialog dialog(*m_settings, *m_credentials);
    QList<core::AuditRecord> audited;
    dialog.setAuditSink([&](const core::AuditRecord &record) { audited.append(record); });
    dialog.show();
    // ngrok's public URL is found by itself.
    QTRY_COMPARE(dialog.publicUrlEdit()->text(), QStringLiteral("https://abc123.ngrok.app"));
    QVERIFY(!dialog.registerButton()->isEnabled());
    dialog.clientIdEdit()->clear();
    QTest::keyClicks(dialog.clientIdEdit(), m_genesys->clientId());
    QTRY_VERIFY(dialog.connectButton()->isEnabled());
    QTest::mouseClick(dialog.connectButton(), Qt::LeftButton);
    QTRY_VERIFY(dialog.isConnected());
    QTRY_COMPARE(dialog.workflowBox()->count(), 1);
    QTRY_VERIFY(dialog.topicBox()->findText(Topic) >= 0);
    QVERIFY(dialog.logText().contains(QStringLiteral("Signed in")));
    QCOMPARE(m_settings->string(SettingKey::GenesysClientId), m_genesys->clientId());

    dialog.topicBox()->setCurrentText(Topic);
    QTRY_VERIFY(dialog.registerButton()->isEnabled());
    QTest::mouseClick(dialog.registerButton(), Qt::LeftButton);
    QTRY_VERIFY(dialog.logText().contains(QStringLiteral("✓ Registered")));
    QCOMPARE(m_genesys->triggers().size(), 1);
    QCOMPARE(m_genesys->actions().size(), 1);
    QVERIFY(m_genesys->rejections().isEmpty());
    // The registration is in the audit trail, with the URL Genesys posts to.
    QCOMPARE(audited.size(), 1);
    QCOMPARE(audited.first().action, core::AuditAction::Register);
    QVERIFY(audited.first().detail.contains(QStringLiteral("https://abc123.ngrok.app")));

    QTest::mouseClick(dialog.listButton(), Qt::LeftButton);
    QTRY_VERIFY(dialog.logText().contains(QStringLiteral("Registered by Redrive:")));

    ui::Prompts::pushConfirmAnswer(true);
    QTest::mouseClick(dialog.unregisterButton(), Qt::LeftButton);
    QTRY_VERIFY(dialog.logText().contains(QStringLiteral("✓ Unregistered")));
    QCOMPARE(audited.size(), 2);
    QCOMPARE(audited.at(1).action, core::AuditAction::Unregister);
    QCOMPARE(m_genesys->triggers().size(), 0);
    QCOMPARE(m_genesys->actions().size(), 0);
}

void TestGenesysRegisterDialog::badSecretIsReported()
{
    m_credentials->set(SecretKind::GenesysClientSecret, QStringLiteral("wrong"));
    ui::GenesysRegisterDialog dialog(*m_settings, *m_credentials);
    dialog.show();
    QTest::keyClicks(dialog.clientIdEdit(), m_genesys->clientId());
    QTRY_VERIFY(dialog.connectButton()->isEnabled());
    QTest::mouseClick(dialog.connectButton(), Qt::LeftButton);
    QTRY_VERIFY(dialog.logText().contains(QStringLiteral("✗")));
    QVERIFY(!dialog.isConnected());
    QVERIFY(!dialog.registerButton()->isEnabled());
}

QTEST_MAIN(TestGenesysRegisterDialog)
#include "tst_genesysregisterdialog.moc"
