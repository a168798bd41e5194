// SPDX-License-Identifier: MIT
// The Redis reply path: bytes from the socket go through hiredis' RESP reader, as in
// RedisConnection, and each reply is copied out by RedisReply::fromHiredis.
#include "core/redis/redisreply.h"

#include <hiredis/hiredis.h>

#include <cstdint>
#include <cstdlib>

using redrive::core::RedisReply;

namespace {

// Walks the copy the way callers do.
qsizetype weigh(const RedisReply &reply, int depth)
{
    if (depth > 64)
        std::abort(); // hiredis never nests this deep; a copy that does is corrupt
    qsizetype total = reply.bytes().size();
    (void)reply.errorText();
    (void)reply.toInteger();
    for (const RedisReply &element : reply.elements())
        total += weigh(element, depth + 1);
    return total;
}

// hiredis 0.14 believes the lengths a server announces: "*150000000" makes it allocate and
// then walk an array of 150 million pointers (seconds of work, 1.2 GB). Redrive only talks to
// the Redis it is configured for, so that is out of this target's scope (docs/RELIABILITY.md):
// inputs announcing huge aggregates are skipped rather than reported as timeouts.
bool announcesHugeAggregate(const uint8_t *data, size_t size)
{
    for (size_t i = 0; i + 1 < size; ++i) {
        if (data[i] != '*' && data[i] != '$')
            continue;
        unsigned long long value = 0;
        for (size_t j = i + 1; j < size && data[j] >= '0' && data[j] <= '9' && j < i + 20; ++j)
            value = value * 10 + (data[j] - '0');
        if (value > 100000)
            return true;
    }
    return false;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || announcesHugeAggregate(data, size))
        return 0;
    // The first byte picks the slice size the socket delivers the rest in.
    const size_t slice = size_t(data[0] % 64) + 1;
    redisReader *reader = redisReaderCreate();
    for (size_t offset = 1; offset < size; offset += slice) {
        const size_t length = offset + slice <= size ? slice : size - offset;
        if (redisReaderFeed(reader, reinterpret_cast<const char *>(data + offset), length)
            != REDIS_OK)
            break;
        bool failed = false;
        for (;;) {
            void *reply = nullptr;
            if (redisReaderGetReply(reader, &reply) != REDIS_OK) {
                failed = true; // a protocol error: RedisConnection drops the connection
                break;
            }
            if (!reply)
                break;
            const RedisReply copy = RedisReply::fromHiredis(static_cast<redisReply *>(reply));
            weigh(copy, 0);
            freeReplyObject(reply);
        }
        if (failed)
            break;
    }
    redisReaderFree(reader);
    return 0;
}
