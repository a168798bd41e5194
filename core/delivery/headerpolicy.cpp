// SPDX-License-Identifier: MIT
#include "core/delivery/headerpolicy.h"

namespace redrive::core {

namespace {

bool sameName(QByteArrayView a, QByteArrayView b)
{
    return a.size() == b.size() && qstrnicmp(a.data(), a.size(), b.data(), b.size()) == 0;
}

bool startsWith(QByteArrayView name, QByteArrayView prefix)
{
    return name.size() >= prefix.size() && sameName(name.first(prefix.size()), prefix);
}

} // namespace

bool HeaderPolicy::isHopByHop(QByteArrayView name)
{
    static constexpr QByteArrayView hopByHop[]
        = { "connection", "keep-alive",     "transfer-encoding", "te",     "upgrade",
            "expect",     "content-length", "proxy-connection",  "trailer" };
    for (const QByteArrayView skip : hopByHop) {
        if (sameName(name, skip))
            return true;
    }
    return false;
}

bool HeaderPolicy::isCredential(QByteArrayView name)
{
    return sameName(name, "authorization") || sameName(name, "cookie")
        || sameName(name, "proxy-authorization") || sameName(name, "x-api-key");
}

bool HeaderPolicy::isForwarded(QByteArrayView name)
{
    return sameName(name, "content-type") || startsWith(name, "inin-")
        || startsWith(name, "x-genesys") || sameName(name, "user-agent");
}

HeaderList HeaderPolicy::redacted(const HeaderList &headers, QByteArrayView secretHeader)
{
    HeaderList result;
    result.reserve(headers.size());
    for (const auto &[name, value] : headers) {
        if (sameName(name, secretHeader))
            continue; // not even its presence: an entry edited and retried must not carry it
        result.append({ name, isCredential(name) ? RedactedValue.toByteArray() : value });
    }
    return result;
}

HeaderList HeaderPolicy::stored(const HeaderList &headers, QByteArrayView secretHeader)
{
    HeaderList kept;
    kept.reserve(headers.size());
    for (const auto &header : headers) {
        if (!isHopByHop(header.first))
            kept.append(header);
    }
    return redacted(kept, secretHeader);
}

HeaderList HeaderPolicy::forwarded(const HeaderList &headers, QByteArrayView secretHeader)
{
    HeaderList result;
    for (const auto &header : headers) {
        const auto &[name, value] = header;
        if (isForwarded(name) && !sameName(name, secretHeader) && value != RedactedValue)
            result.append(header);
    }
    return result;
}

} // namespace redrive::core
