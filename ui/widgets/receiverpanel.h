// SPDX-License-Identifier: MIT
#pragma once

#include "core/receiver/deliveryevent.h"

#include <QPointer>
#include <QWidget>

#include <memory>

class QLabel;
class QPushButton;
class QToolButton;

namespace redrive::core {
class CredentialStore;
class EngineThread;
class NgrokWatcher;
class Settings;
} // namespace redrive::core

namespace redrive::ui {

class AuditBackend;
class UrlLabel;

// The receiver at a glance, a column of the Overview page: where it listens, the public URL
// ngrok forwards to it (followed while Redrive runs), the way to register that URL with Genesys
// Cloud, and what the receiver handled this session.
class ReceiverPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ReceiverPanel)

public:
    ReceiverPanel(core::Settings &settings, core::CredentialStore &credentials,
                  QWidget *parent = nullptr);
    ~ReceiverPanel() override;

    // The engine whose receiver the page starts and stops (null, or an engine without a
    // receiver: it is turned off in this process).
    void setEngine(core::EngineThread *engine);
    // Where the register dialog records registrations and unregistrations (the audit trail);
    // none: they are not recorded.
    void setAuditBackend(AuditBackend *audit);
    // Where the receiver listens (from the engine's status); empty when it is stopped.
    void setListeningUrl(const QString &url);
    QPushButton *startStopButton() const { return m_startStop; }
    void countDelivery(const core::DeliveryEvent &event);
    // What the ngrok agent's API says when there is no public URL (not running, no tunnel to
    // this port); hidden while there is one.
    QLabel *ngrokLabel() const { return m_ngrok; }
    // The public URL ngrok forwards to the receiver, elided in its middle when the column is
    // narrow (in full in its tooltip); empty when there is none.
    QString publicUrl() const;
    QLabel *publicUrlLabel() const;
    // Copies the public URL to the clipboard.
    QToolButton *copyUrlButton() const { return m_copyUrl; }
    // What the audit trail last recorded of a registration with Genesys Cloud.
    void setRegistration(const QString &text);
    QLabel *registrationLabel() const { return m_registration; }
    // The session's numbers as the page shows them: "Requests 12 · Processed 9 · ...".
    QString countersText() const;
    QLabel *countLabel(int which) const { return m_countLabels[which]; }
    enum Count {
        Requests,
        Processed,
        Deferred,
        Permanent,
        Rejected,
        Unavailable,
        MeanLatency,
        CountKinds
    };
    QPushButton *registerButton() const { return m_register; }
    void openRegisterDialog();

private:
    void updateCounters();
    void showPublicUrl(const QString &url);
    void updateStartStop();
    void watchPort(quint16 port);

    core::Settings &m_settings;
    core::CredentialStore &m_credentials;
    std::unique_ptr<core::NgrokWatcher> m_watcher;
    UrlLabel *m_url;
    QLabel *m_countLabels[CountKinds] = {};
    QLabel *m_ngrok;
    UrlLabel *m_publicUrl;
    QToolButton *m_copyUrl;
    QLabel *m_registration;
    QPushButton *m_register;
    QPushButton *m_startStop;
    core::EngineThread *m_engine = nullptr;
    QPointer<AuditBackend> m_audit;
    bool m_listening = false;
    quint16 m_watchedPort = 0;
    qint64 m_counts[5] = {};
    qint64 m_total = 0;
    qint64 m_latencySum = 0; // microseconds
};

} // namespace redrive::ui
