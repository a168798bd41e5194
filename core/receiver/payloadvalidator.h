// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace redrive::core {

// Decides whether a delivery body can be stored: valid UTF-8, strict RFC 8259 JSON, an object,
// nested at most maxDepth levels, every number a finite double. One pass and no allocation, so
// it costs a few microseconds where QJsonDocument::fromJson costs ~18 µs for a 1.7 KB
// notification. It is stricter than QJsonDocument (which tolerates "1.", "\x", raw control
// characters, a BOM, 1024 levels), never looser: whatever passes here parses there too, nested
// one level deeper inside a dead-letter entry (tst_payloadvalidator checks that on mutations).
class PayloadValidator
{
public:
    // Genesys notifications nest about 6 levels; QJsonDocument stops at 1024.
    static constexpr int DefaultMaxDepth = 64;

    struct Result
    {
        bool ok = false;
        QByteArray code; // empty_body, invalid_utf8, malformed_json, not_an_object,
                         // too_deep, number_out_of_range
        QString message; // for the sender, with the byte offset where it went wrong
        qsizetype offset = -1;
        bool compact = false; // no whitespace outside strings: no minifying needed
        // Top-level topicName (else topic, event, eventType, type) when it is a plain string.
        QByteArray topic;
    };

    static Result check(QByteArrayView body, int maxDepth = DefaultMaxDepth);
};

} // namespace redrive::core
