// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

namespace redrive::tests {

// Path of the redrive executable under test (set by CMake for every test).
QString redriveBinary();
// Absolute path of a file in tests/data.
QString testDataPath(const QString &name);
// The realistic Genesys notification from tests/data.
QByteArray sampleNotification();
// A loopback port nothing listens on now, for a server the test starts in another process
// (redis-server cannot be given port 0). It is drawn at random below the kernel's ephemeral range
// (net.ipv4.ip_local_port_range), so no outgoing connection and no listen on port 0 by the other
// tests running at the same time can take it before that server binds it. A server that still
// finds it taken exits at start; its starter then tries another port.
quint16 freeLoopbackPort();

} // namespace redrive::tests
