// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

namespace redrive::ui::displayformat {

// Texts the tables and panes show for values of entries and deliveries.

// What a table shows for a topic: its pattern (core::topicPattern), "{id}" where the ids were,
// so that entries of one kind read alike and the part that differs stays in sight.
QString topic(const QString &topic);
// The tooltip of that cell: the full topic and, on a line each, the ids the pattern hides.
QString topicToolTip(const QString &topic);

// A duration in microseconds as a user reads it: "0.4 ms", "3.2 ms", "118 ms", "2.4 s";
// never "0 ms" for something that took time.
QString duration(qint64 microseconds);

} // namespace redrive::ui::displayformat
