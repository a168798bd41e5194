// SPDX-License-Identifier: MIT
#pragma once

#include <QMetaType>
#include <QString>

namespace redrive::core {

// The engine as the console shows it: a value copied from the engine's thread to the GUI
// thread on every change, so the window reads no object of the engine's.
struct EngineStatus
{
    enum class Redis { Connecting, Ready, Unavailable };

    bool running = false;
    Redis redis = Redis::Connecting;
    QString redisDetail; // "connected to <url>" or why it is unavailable
    QString redisDisplayUrl; // without its password
    bool usesEmbeddedRedis = false;
    bool receiverEnabled = false; // turned on in the settings (a receiver exists)
    QString receiverUrl; // where it listens; empty when it is stopped or off
    bool workerWanted = false; // the settings ask for a retry worker
    bool retriesRunning = false;
    // Where retries go (the downstream, password hidden), or why they are off.
    QString retriesDetail;
};

} // namespace redrive::core

Q_DECLARE_METATYPE(redrive::core::EngineStatus)
