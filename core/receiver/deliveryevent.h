// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QDateTime>
#include <QMetaType>
#include <QString>

namespace redrive::core {

// One delivery the receiver handled, as the live view shows it.
struct DeliveryEvent
{
    enum class Outcome {
        Processed, // downstream took it (or no downstream configured)
        Deferred, // retryable failure: stored in the dead-letter queue
        PermanentFailure, // non-retryable failure: stored in the permanent-failure list
        Rejected, // bad request (400/401/405/413/415): nothing stored
        Unavailable // Redis write failed: 503, nothing acknowledged
    };

    QString id; // delivery id (also sent downstream and stored in the entry)
    QDateTime receivedAt;
    QString topic; // topicName of the notification, when there is one
    Outcome outcome = Outcome::Processed;
    int httpStatus = 200; // what the receiver answered the sender
    int downstreamStatus = 0; // what the downstream answered (0: not asked)
    QString error; // why it was not processed, for the user
    qint64 latencyUs = 0; // request received -> answer sent, in microseconds
    QByteArray payload; // body as received (capped for rejected requests)
    QString remoteAddress;
    QString method;             // of the request: POST (and the webhook path) for deliveries;
    QString path;               // stray requests show where they went

    static QString outcomeName(Outcome outcome)
    {
        switch (outcome) {
        case Outcome::Processed:
            return QStringLiteral("processed");
        case Outcome::Deferred:
            return QStringLiteral("deferred to DLQ");
        case Outcome::PermanentFailure:
            return QStringLiteral("permanent failure");
        case Outcome::Rejected:
            return QStringLiteral("rejected");
        case Outcome::Unavailable:
            return QStringLiteral("Redis unavailable");
        }
        return {};
    }
};

} // namespace redrive::core

Q_DECLARE_METATYPE(redrive::core::DeliveryEvent)
