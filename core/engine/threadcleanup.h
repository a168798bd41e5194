// SPDX-License-Identifier: MIT
#pragma once

namespace redrive::core {

// Call last on a thread of ours that is about to end (the engine's, a receiver thread): frees
// what OpenSSL keeps per thread (its error queue, its random generator). Qt's TLS backend sets
// that up on the first thread that uses TLS and never tells OpenSSL the thread ends; OpenSSL 3
// frees it only on OPENSSL_thread_stop(). Does nothing where OpenSSL was never loaded.
void endThreadCleanup();

} // namespace redrive::core
