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

} // namespace redrive::tests
