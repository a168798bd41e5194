// SPDX-License-Identifier: MIT
#pragma once

#include <QString>

class QPalette;

namespace redrive::ui::appearance {

// Loads the compiled-in translation for the user's language, and the English one otherwise:
// it carries the English plural forms ("1 retry", "3 retries"), so counts never read "(s)".
// Call once, after the QApplication is made and before any window.
void installTranslations();

// The console's colours: the desktop's own style and palette, or Fusion with a light or a dark
// palette whatever the desktop uses.
enum class Theme { System, Light, Dark };
// "system", "light", "dark" (as stored); anything else is System.
Theme themeFromName(const QString &name);
QString themeName(Theme theme);
// Applies `theme` to the whole application; System puts back what the desktop gave.
void applyTheme(Theme theme);
Theme currentTheme();
// The palettes Light and Dark use.
QPalette lightPalette();
QPalette darkPalette();

} // namespace redrive::ui::appearance
