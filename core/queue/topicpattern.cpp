// SPDX-License-Identifier: MIT
#include "core/queue/topicpattern.h"

#include <QRegularExpression>

namespace redrive::core {

TopicPattern topicPattern(const QString &topic)
{
    // Not inside a longer word: "v2" or "abc123def" are no ids, "12345678" between dots is.
    static const QRegularExpression id(QStringLiteral(
        "(?<![0-9A-Za-z])"
        "(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
        "|[0-9a-fA-F]{32}"
        "|[0-9]{6,})"
        "(?![0-9A-Za-z])"));
    TopicPattern result;
    qsizetype copied = 0;
    QRegularExpressionMatchIterator it = id.globalMatch(topic);
    while (it.hasNext()) {
        const QRegularExpressionMatch match = it.next();
        result.pattern += QStringView(topic).mid(copied, match.capturedStart() - copied);
        result.pattern += QLatin1String("{id}");
        result.ids.append(match.captured());
        copied = match.capturedEnd();
    }
    result.pattern += QStringView(topic).mid(copied);
    return result;
}

} // namespace redrive::core
