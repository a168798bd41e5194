// SPDX-License-Identifier: MIT
#pragma once

#include <QString>
#include <QStringList>

namespace redrive::core {

// An event topic with its ids taken out: "v2.detail.events.conversation.1087ebe8-...-735b49.acw"
// becomes "v2.detail.events.conversation.{id}.acw" with the id kept aside. The pattern is what
// Genesys documents and what tells entries apart (and what groups them); the ids say which
// conversation, user or queue it was about.
struct TopicPattern
{
    QString pattern; // the topic with each id replaced by "{id}"
    QStringList ids; // the ids taken out, in the order they appear
};

// Ids are UUIDs (with or without dashes) and runs of six or more digits, wherever they stand
// between other characters than letters and digits. Everything else is kept as it is; a topic
// without ids is its own pattern.
TopicPattern topicPattern(const QString &topic);

} // namespace redrive::core
