// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QList>
#include <QPair>

namespace redrive::core {

// A delivery's header fields, in the order they came; names as sent.
using HeaderList = QList<QPair<QByteArray, QByteArray>>;

// What happens to a delivery's headers: which are kept with a stored entry (and which of those
// have their value redacted), and which go downstream. `secretHeader` is the header deliveries
// carry the shared secret in (ReceiverConfig::secretHeader): never kept, never forwarded,
// whatever its name, even one of Genesys' own that would be otherwise.
struct HeaderPolicy
{
    // What is stored instead of a credential's value (Authorization, Cookie, ...).
    static constexpr QByteArrayView RedactedValue = "[redacted]";

    // Hop-by-hop fields describe the connection, not the delivery: not kept.
    static bool isHopByHop(QByteArrayView name);
    // Credentials whose name is kept with the entry but whose value is not.
    static bool isCredential(QByteArrayView name);
    // Fields passed on downstream (besides the content type and the delivery id).
    static bool isForwarded(QByteArrayView name);

    // Headers worth keeping for a delivery: no hop-by-hop fields, no secret header, credentials'
    // values replaced by RedactedValue.
    static HeaderList stored(const HeaderList &headers, QByteArrayView secretHeader);
    // The credentials of `headers` redacted and the secret header dropped (hop-by-hop fields
    // stay: for headers that are not a connection's).
    static HeaderList redacted(const HeaderList &headers, QByteArrayView secretHeader);
    // The part of `headers` that goes downstream: forwarded names only, never the secret
    // header, never a value stored redacted (the placeholder is no value).
    static HeaderList forwarded(const HeaderList &headers, QByteArrayView secretHeader);
};

} // namespace redrive::core
