// SPDX-License-Identifier: MIT
// The delivery body validator on arbitrary bytes. Besides crashes, it checks the promise in
// payloadvalidator.h: whatever it accepts, QJsonDocument parses as an object too.
#include "core/receiver/payloadvalidator.h"

#include <QJsonDocument>

#include <cstdint>
#include <cstdlib>

using redrive::core::PayloadValidator;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const QByteArrayView body(reinterpret_cast<const char *>(data), qsizetype(size));
    const PayloadValidator::Result result = PayloadValidator::check(body);
    if (result.ok) {
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(body.toByteArray(), &error);
        if (error.error != QJsonParseError::NoError || !document.isObject())
            std::abort();
        if (!result.code.isEmpty())
            std::abort();
    } else {
        if (result.code.isEmpty() || result.message.isEmpty())
            std::abort();
        if (result.offset > qsizetype(size))
            std::abort();
    }
    // A shallow limit takes other paths through the depth bookkeeping.
    PayloadValidator::check(body, 2);
    return 0;
}
