// SPDX-License-Identifier: MIT
#pragma once

#include <QString>
#include <QStringView>

namespace redrive::core {

// `text` made safe to print on a terminal: every control character (C0 but tab and line feed,
// DEL, C1) is written as \xNN (\uNNNN for C1). Error texts, topics and payloads come from
// webhook senders and downstream systems; printed as they are, an escape sequence in one could
// retitle the operator's terminal, clear it or hide what follows.
QString terminalSafe(QStringView text);

// Makes every log message terminalSafe() before the message handler installed until now prints
// it (Qt's default one, with the message pattern). Call once, early in main().
void installTerminalSafeLogging();

} // namespace redrive::core
