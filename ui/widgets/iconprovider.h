// SPDX-License-Identifier: MIT
#pragma once

#include <QIcon>
#include <QPalette>
#include <QString>

namespace redrive::ui {

// The one place the console's icons come from. Action and page icons are taken from the
// desktop's freedesktop icon theme when it has them, so Redrive looks like the rest of the
// desktop; without a theme (or without that icon) Redrive's own SVG is drawn in the palette's
// text colour, so the same file reads on a light and on a dark palette.
class IconProvider final
{
public:
    IconProvider() = delete;

    enum class Icon {
        Retry,
        Edit,
        Delete,
        MoveBack,
        Export,
        Import,
        Purge,
        More,
        LiveDeliveries,
        DeadLetters,
        PermanentFailures,
        Receiver,
        Audit,
    };

    // The id used by the desktop file, the metainfo, the installed icon and the window.
    static QString applicationId();
    static QIcon applicationIcon();
    static QIcon icon(Icon which, const QPalette &palette);
    // Redrive's own drawing of `which`, whatever the theme has (what a desktop without an icon
    // theme shows).
    static QIcon fallbackIcon(Icon which, const QPalette &palette);
    // The freedesktop icon-naming-spec name looked up in the theme.
    static QString themeName(Icon which);
    static QList<Icon> allIcons();
};

} // namespace redrive::ui
