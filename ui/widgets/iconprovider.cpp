// SPDX-License-Identifier: MIT
#include "ui/widgets/iconprovider.h"

#include <QBuffer>
#include <QFile>
#include <QImageReader>
#include <QPixmap>

#include <mutex>

// The resources live in the static ui library: the linker keeps them only when something calls
// their initialiser, which must be named outside any namespace.
static void initRedriveResources()
{
    static std::once_flag once;
    std::call_once(once, [] { Q_INIT_RESOURCE(redrive); });
}

namespace redrive::ui {

namespace {

struct IconInfo
{
    IconProvider::Icon icon;
    const char *themeName;
    const char *file;
};

constexpr IconInfo kIcons[] = {
    { IconProvider::Icon::Retry, "view-refresh", "retry" },
    { IconProvider::Icon::Edit, "document-edit", "edit" },
    { IconProvider::Icon::Delete, "edit-delete", "delete" },
    { IconProvider::Icon::MoveBack, "edit-undo", "move-back" },
    { IconProvider::Icon::Export, "document-save", "export" },
    { IconProvider::Icon::Import, "document-open", "import" },
    { IconProvider::Icon::Purge, "edit-clear-all", "purge" },
    { IconProvider::Icon::More, "view-more", "more" },
    { IconProvider::Icon::LiveDeliveries, "network-receive", "live" },
    { IconProvider::Icon::DeadLetters, "mail-unread", "dead-letters" },
    { IconProvider::Icon::PermanentFailures, "dialog-error", "permanent" },
    { IconProvider::Icon::Receiver, "network-server", "receiver" },
    // A record of what was done and when: the spec's "recent documents" (a document with a
    // clock) is the nearest of its names.
    { IconProvider::Icon::Audit, "document-open-recent", "audit" },
};

const IconInfo &info(IconProvider::Icon which)
{
    for (const IconInfo &entry : kIcons) {
        if (entry.icon == which)
            return entry;
    }
    Q_UNREACHABLE();
}

// The fallback SVGs are drawn in this one colour, replaced by the palette's.
constexpr QByteArrayView kInk = "#333333";

QPixmap render(const QByteArray &svg, const QColor &color, int size)
{
    QByteArray tinted = svg;
    tinted.replace(kInk, color.name(QColor::HexRgb).toLatin1());
    QBuffer buffer(&tinted);
    QImageReader reader(&buffer, "svg");
    reader.setScaledSize(QSize(size, size));
    return QPixmap::fromImage(reader.read());
}

} // namespace

QString IconProvider::applicationId()
{
    return QStringLiteral("io.github.redrive.Redrive");
}

QIcon IconProvider::applicationIcon()
{
    initRedriveResources();
    // The installed hicolor icon when there is one (same drawing, pre-rendered small sizes).
    return QIcon::fromTheme(applicationId(),
                            QIcon(QStringLiteral(":/icons/io.github.redrive.Redrive.svg")));
}

QIcon IconProvider::icon(Icon which, const QPalette &palette)
{
    const QString name = themeName(which);
    if (QIcon::hasThemeIcon(name))
        return QIcon::fromTheme(name);
    return fallbackIcon(which, palette);
}

QIcon IconProvider::fallbackIcon(Icon which, const QPalette &palette)
{
    initRedriveResources();
    QFile file(QStringLiteral(":/icons/actions/%1.svg").arg(QLatin1String(info(which).file)));
    if (!file.open(QIODevice::ReadOnly))
        return QIcon();
    const QByteArray svg = file.readAll();
    QIcon icon;
    for (int size : { 16, 22, 24, 32, 48, 64 }) {
        icon.addPixmap(render(svg, palette.color(QPalette::Active, QPalette::WindowText), size),
                       QIcon::Normal);
        icon.addPixmap(render(svg, palette.color(QPalette::Disabled, QPalette::WindowText), size),
                       QIcon::Disabled);
    }
    return icon;
}

QString IconProvider::themeName(Icon which)
{
    return QLatin1String(info(which).themeName);
}

QList<IconProvider::Icon> IconProvider::allIcons()
{
    QList<Icon> icons;
    for (const IconInfo &entry : kIcons)
        icons.append(entry.icon);
    return icons;
}

} // namespace redrive::ui
