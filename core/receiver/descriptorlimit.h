// SPDX-License-Identifier: MIT
#pragma once

#include <QtGlobal>

namespace redrive::core {

// The process's file descriptor limit (RLIMIT_NOFILE). Every connection the receiver holds is
// a descriptor: the common soft limit of 1024 is reached by ~1,000 slow clients, while the hard
// limit is usually far higher and free to take.
class DescriptorLimit
{
public:
    struct Raise
    {
        quint64 before = 0; // soft limit found
        quint64 after = 0; // soft limit now
        quint64 hard = 0;
        bool ok = true; // false: setrlimit refused (the soft limit stays)
    };

    // Raises the soft limit to the hard limit. Called once at start, before anything opens
    // descriptors (child processes such as the embedded Redis inherit it).
    static Raise raiseToHardLimit();
    // The soft limit now; 0 when it cannot be read, quint64 max when unlimited.
    static quint64 soft();
    // How many connections the receiver takes at once when not told: the soft limit less
    // ReservedDescriptors (Redis, the downstream, files), between 16 and DefaultMaxConnections.
    static int defaultMaxConnections();

    static constexpr int DefaultMaxConnections = 1024;
    static constexpr int ReservedDescriptors = 64;
};

} // namespace redrive::core
