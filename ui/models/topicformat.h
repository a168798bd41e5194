// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

namespace redrive::ui::topicformat {

// "v2.detail.events.conversation.1087ebe8-1ef8-5d97-8873-735b4949004d.acw" ->
// "v2.detail.events.conversation.{id}.acw": the topic pattern, as Genesys documents it, is
// what tells entries apart in a table; the full topic stays in the tooltip and the detail pane.
QString compact(const QString &topic);

} // namespace redrive::ui::topicformat
