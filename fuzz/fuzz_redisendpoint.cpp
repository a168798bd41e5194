// SPDX-License-Identifier: MIT
// Redis URLs as a user types them (flag, environment, settings file). Besides crashes, it checks
// that the URL shown to people never carries the password.
#include "core/redis/redisendpoint.h"

#include <cstdint>
#include <cstdlib>

using redrive::core::RedisEndpoint;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QString text = QString::fromUtf8(reinterpret_cast<const char *>(data), qsizetype(size));
    RedisEndpoint endpoint;
    QString error;
    if (!RedisEndpoint::parse(text, &endpoint, &error)) {
        if (error.isEmpty())
            std::abort();
        return 0;
    }
    if (endpoint.database < 0 || (!endpoint.isUnix() && endpoint.port == 0))
        std::abort();
    // displayUrl() does not depend on the password at all (user-info is "user@" only). Searching
    // the shown URL for the password text is not the check: a socket path or a host may contain
    // the same characters ("unix://:t@x//:t@2" has the path "//:t@2").
    RedisEndpoint other = endpoint;
    other.password = endpoint.password + QStringLiteral("-other");
    if (other.displayUrl() != endpoint.displayUrl())
        std::abort();
    return 0;
}
