// SPDX-License-Identifier: MIT
#include "ui/models/displayformat.h"

#include "core/queue/topicpattern.h"

#include <QCoreApplication>
#include <QLocale>

namespace redrive::ui::displayformat {

QString topic(const QString &topic)
{
    return core::topicPattern(topic).pattern;
}

QString topicToolTip(const QString &topic)
{
    const core::TopicPattern split = core::topicPattern(topic);
    if (split.ids.isEmpty())
        return topic;
    QString text = topic;
    for (const QString &id : split.ids)
        text += QLatin1Char('\n') + QCoreApplication::translate("Topic", "{id} = %1").arg(id);
    return text;
}

QString duration(qint64 microseconds)
{
    const QLocale locale;
    if (microseconds < 0)
        return {};
    if (microseconds < 100)
        return QCoreApplication::translate("Duration", "< 0.1 ms");
    if (microseconds < 10000) // one decimal below 10 ms: 0.4 ms, 3.2 ms
        return QCoreApplication::translate("Duration", "%1 ms")
            .arg(locale.toString(double(microseconds) / 1000.0, 'f', 1));
    if (microseconds < 10000000)
        return QCoreApplication::translate("Duration", "%1 ms")
            .arg(locale.toString((microseconds + 500) / 1000));
    return QCoreApplication::translate("Duration", "%1 s")
        .arg(locale.toString(double(microseconds) / 1e6, 'f', 1));
}

} // namespace redrive::ui::displayformat
