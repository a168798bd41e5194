// SPDX-License-Identifier: MIT
#include "core/text/terminaltext.h"

#include <QtGlobal>

namespace redrive::core {

namespace {

bool isControl(char16_t c)
{
    return (c < 0x20 && c != u'\t' && c != u'\n') || c == 0x7f || (c >= 0x80 && c <= 0x9f);
}

QtMessageHandler previousHandler = nullptr;

void terminalSafeHandler(QtMsgType type, const QMessageLogContext &context,
                         const QString &message)
{
    previousHandler(type, context, terminalSafe(message));
}

} // namespace

QString terminalSafe(QStringView text)
{
    qsizetype first = 0;
    while (first < text.size() && !isControl(text.at(first).unicode()))
        ++first;
    if (first == text.size())
        return text.toString();
    QString safe = text.left(first).toString();
    safe.reserve(text.size() + 16);
    for (qsizetype i = first; i < text.size(); ++i) {
        const char16_t c = text.at(i).unicode();
        if (!isControl(c))
            safe.append(QChar(c));
        else if (c < 0x80)
            safe.append(QStringLiteral("\\x%1").arg(uint(c), 2, 16, QLatin1Char('0')));
        else
            safe.append(QStringLiteral("\\u%1").arg(uint(c), 4, 16, QLatin1Char('0')));
    }
    return safe;
}

void installTerminalSafeLogging()
{
    if (previousHandler)
        return;
    previousHandler = qInstallMessageHandler(terminalSafeHandler); // the default one if none
}

} // namespace redrive::core
