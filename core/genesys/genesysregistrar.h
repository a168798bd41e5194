// SPDX-License-Identifier: MIT
#pragma once

#include "core/audit/auditrecord.h"
#include "core/genesys/genesysclient.h"

#include <QJsonArray>
#include <QObject>
#include <QStringList>
#include <QUrl>

#include <functional>
#include <memory>
#include <optional>

namespace redrive::core {

struct GenesysWorkflow
{
    QString id;
    QString name;
};

// What to register: Genesys posts events of `topic`, through the Architect workflow
// `workflowId` (which calls the "Redrive forward" data action), to publicUrl + path.
struct GenesysRegistrationRequest
{
    QUrl publicUrl; // https://abc.ngrok.app
    QString path = QStringLiteral("/webhook/genesys");
    QString secretHeader = QStringLiteral("X-Redrive-Secret");
    QString sharedSecret; // never logged
    QString topic;
    QString workflowId;
};

// One thing Redrive did (or failed to do) in Genesys Cloud.
struct GenesysStep
{
    enum class State { Created, Updated, Unchanged, Deleted, RolledBack, Failed, LeftInPlace };
    QString what; // "integration", "credential", "integration config", "data action", "trigger"
    QString id;
    State state = State::Unchanged;
    QString detail;
    QString describe() const;
};

struct GenesysOperationResult
{
    bool ok = false;
    GenesysError error; // the failure that stopped the operation
    QList<GenesysStep> steps; // in order, rollback included
    QStringList leftInGenesys; // after a failure: exactly what still exists, with ids
    QString integrationId;
    QString credentialId;
    QString actionId;
    QString triggerId;
    QString summary() const; // every step, then failureReport()
    QString failureReport() const; // the error and what is left; empty on success
};

// Everything Redrive made in an org, found by its names.
struct GenesysInventory
{
    struct Item
    {
        QString kind; // integration, credential, data action, trigger
        QString id;
        QString name;
        QString detail;
    };
    QList<Item> items;
    QList<Item> ofKind(const QString &kind) const;
};

// Registers the receiver's public URL with Genesys Cloud (integration + credential, data action,
// Process Automation trigger), lists what Redrive registered and removes it again. Everything it
// creates is named "Redrive ..." so it can be found later. Re-registering re-points the existing
// data action instead of adding another; a failure halfway rolls back what this run created and
// reports anything that could not be rolled back.
class GenesysRegistrar final : public QObject
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(GenesysRegistrar)

public:
    using ResultCallback = std::function<void(const GenesysOperationResult &)>;
    using AuditSink = std::function<void(const AuditRecord &)>;

    static QString integrationName() { return QStringLiteral("Redrive receiver"); }
    static QString credentialName() { return QStringLiteral("Redrive secret"); }
    static QString actionName() { return QStringLiteral("Redrive forward"); }
    static QString actionCategory() { return QStringLiteral("Redrive"); }
    static QString triggerPrefix() { return QStringLiteral("Redrive: "); }
    static QString credentialField() { return QStringLiteral("sharedSecret"); }

    // `client` must outlive the registrar.
    explicit GenesysRegistrar(GenesysClient *client, QObject *parent = nullptr);
    ~GenesysRegistrar() override;

    // Empty when the request can be sent; else a message for the user.
    static QString validate(const GenesysRegistrationRequest &request);
    static QUrl receiverUrl(const GenesysRegistrationRequest &request);
    // The bodies Redrive sends (public for tests and for showing them to users).
    static QJsonObject actionConfig(const GenesysRegistrationRequest &request);
    static QJsonObject actionContract();
    static QJsonObject triggerBody(const GenesysRegistrationRequest &request);

    void listTopics(QObject *context,
                    std::function<void(const QStringList &, const GenesysError &)> callback);
    void listWorkflows(
        QObject *context,
        std::function<void(const QList<GenesysWorkflow> &, const GenesysError &)> callback);
    void list(QObject *context,
              std::function<void(const GenesysInventory &, const GenesysError &)> callback);
    void registerReceiver(const GenesysRegistrationRequest &request, QObject *context,
                          ResultCallback callback);
    void unregister(QObject *context, ResultCallback callback);

    // Gets one audit record per registration or unregistration when it ends (also when it
    // failed): action register / unregister, scope none, detail the receiver's URL, the topic
    // and the ids Genesys gave; never a secret. Called on this object's thread: the sink hands
    // it to an AuditLog there or posts it to the log's thread. None by default.
    void setAuditSink(AuditSink sink) { m_auditSink = std::move(sink); }
    // The record for a finished operation (public for tests).
    static AuditRecord auditRecord(AuditAction action, const GenesysOperationResult &result,
                                   const QString &detail);

Q_SIGNALS:
    // One line per step as it completes, for progress output.
    void progress(const QString &message);

private:
    struct RegisterRun;
    using EntitiesCallback = std::function<void(const QJsonArray &, const GenesysError &)>;

    void fetchPages(const QString &path, const QUrlQuery &query, EntitiesCallback callback);
    void fetchCursor(const QString &path, const QUrlQuery &query, EntitiesCallback callback);
    struct PageRequest
    {
        QString path;
        QUrlQuery query;
    };
    // Given a page and how many have been fetched, the request for the next one, if any.
    using NextPage = std::function<std::optional<PageRequest>(const QJsonObject &, int)>;
    void fetchAll(const QString &path, const QUrlQuery &query, NextPage nextPage,
                  EntitiesCallback callback);

    void stepFindIntegration(const std::shared_ptr<RegisterRun> &run);
    void stepCreateIntegration(const std::shared_ptr<RegisterRun> &run);
    void stepReuseCredential(const std::shared_ptr<RegisterRun> &run);
    void stepCreateCredential(const std::shared_ptr<RegisterRun> &run);
    void stepPutConfig(const std::shared_ptr<RegisterRun> &run);
    void stepEnable(const std::shared_ptr<RegisterRun> &run);
    void stepAction(const std::shared_ptr<RegisterRun> &run);
    void stepTrigger(const std::shared_ptr<RegisterRun> &run);
    void fail(const std::shared_ptr<RegisterRun> &run, const QString &what,
              const GenesysError &error);
    void rollback(const std::shared_ptr<RegisterRun> &run, int index);
    void finish(const std::shared_ptr<RegisterRun> &run);
    void record(GenesysOperationResult *result, GenesysStep step);

    GenesysClient *m_client;
    AuditSink m_auditSink;
};

} // namespace redrive::core
