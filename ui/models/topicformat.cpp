// SPDX-License-Identifier: MIT
#include "ui/models/topicformat.h"

#include <QRegularExpression>

namespace redrive::ui::topicformat {

QString compact(const QString &topic)
{
    static const QRegularExpression uuid(QStringLiteral(
        "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"));
    QString result = topic;
    result.replace(uuid, QStringLiteral("{id}"));
    return result;
}

} // namespace redrive::ui::topicformat
