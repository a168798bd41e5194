// SPDX-License-Identifier: MIT
// The HTTP/1.x request framer on arbitrary bytes, cut into arbitrary slices (the first bytes of
// the input choose the slice sizes), as a client or a network could deliver them.
#include "core/receiver/requestframer.h"

#include <cstdint>
#include <cstdlib>

using redrive::core::RequestFramer;
using Event = RequestFramer::Event;

namespace {

void check(bool condition)
{
    if (!condition)
        std::abort();
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    // Slice length 1..256 and whether bodies are skipped (counted) rather than fed.
    const qsizetype slice = qsizetype(data[0]) + 1;
    const bool skipBodies = (data[1] & 1) != 0;
    const char *bytes = reinterpret_cast<const char *>(data + 2);
    const qsizetype total = qsizetype(size - 2);

    RequestFramer framer(4096, 2048);
    qsizetype offset = 0;
    while (offset < total && !framer.hasFailed()) {
        const qsizetype length = qMin(slice, total - offset);
        qsizetype pos = 0;
        while (pos < length) {
            if (skipBodies && framer.bodyBytesPending() > 0) {
                const qint64 skip = qMin<qint64>(framer.bodyBytesPending(), length - pos);
                framer.skipBody(skip);
                pos += qsizetype(skip);
                continue;
            }
            Event event = Event::NeedMore;
            const qsizetype consumed = framer.feed(bytes + offset + pos, length - pos, &event);
            check(consumed >= 0 && consumed <= length - pos);
            pos += consumed;
            if (event == Event::NeedMore) {
                check(pos == length);
                break;
            }
            if (event == Event::Error) {
                check(framer.hasFailed());
                check(framer.errorStatus() >= 400 && framer.errorStatus() < 600);
                check(!framer.errorCode().isEmpty() && !framer.errorMessage().isEmpty());
                // After an error nothing more is taken.
                Event after = Event::NeedMore;
                check(framer.feed(bytes + offset + pos, length - pos, &after) == 0);
                break;
            }
            if (event == Event::HeadComplete) {
                const RequestFramer::Head &head = framer.head();
                check(!head.method.isEmpty() && !head.target.isEmpty());
                check(head.contentLength >= 0 && head.contentLength <= framer.maxBodyBytes());
            }
        }
        offset += length;
    }
    return 0;
}
