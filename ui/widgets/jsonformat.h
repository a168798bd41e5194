// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QString>

namespace redrive::ui::jsonformat {

// Indents JSON text without parsing it into a QJsonObject, which would sort the keys and
// rewrite numbers: the user sees the payload in the order and digits it was delivered in.
// Text that is not JSON comes back with only its whitespace changed.
QString indent(const QByteArray &json, int width = 2);

} // namespace redrive::ui::jsonformat
