// SPDX-License-Identifier: MIT
#include "core/engine/threadcleanup.h"

#include <initializer_list>

#include <dlfcn.h>

namespace redrive::core {

void endThreadCleanup()
{
    // Looked up, not linked: Redrive does not depend on OpenSSL itself, Qt's TLS plugin loads it
    // (privately, RTLD_LOCAL: only a handle of its own finds it). RTLD_NOLOAD: never loads it.
    for (const char *name : { "libcrypto.so.3", "libcrypto.so" }) {
        void *library = dlopen(name, RTLD_LAZY | RTLD_NOLOAD);
        if (!library)
            continue;
        using ThreadStop = void (*)();
        auto stop = reinterpret_cast<ThreadStop>(dlsym(library, "OPENSSL_thread_stop"));
        if (stop)
            stop();
        dlclose(library);
        return;
    }
}

} // namespace redrive::core
