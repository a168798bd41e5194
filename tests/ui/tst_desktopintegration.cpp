// SPDX-License-Identifier: MIT
// The console's icons and About dialog: every icon exists without an icon theme and follows the
// palette (dark text on a light palette, light on a dark one); About names this build, its
// licence and project page, the Qt it runs on, and the version of the Redis it talks to.
#include "core/engine/enginethread.h"
#include "tests/support/redisserver.h"
#include "ui/dialogs/aboutdialog.h"
#include "ui/widgets/iconprovider.h"

#include <QApplication>
#include <QImage>
#include <QLabel>
#include <QPushButton>
#include <QSignalSpy>
#include <QTest>

using namespace redrive;
using ui::IconProvider;

namespace {

// The mean lightness of the opaque pixels of `icon` drawn at `size`.
int inkLightness(const QIcon &icon, int size)
{
    const QImage image = icon.pixmap(size, size).toImage().convertToFormat(QImage::Format_ARGB32);
    qint64 sum = 0;
    qint64 count = 0;
    for (int y = 0; y < image.height(); ++y) {
        for (int x = 0; x < image.width(); ++x) {
            const QColor color = image.pixelColor(x, y);
            if (color.alpha() > 200) {
                sum += color.lightness();
                ++count;
            }
        }
    }
    return count ? int(sum / count) : -1;
}

QPalette paletteWithText(const QColor &window, const QColor &text)
{
    QPalette palette;
    palette.setColor(QPalette::Window, window);
    palette.setColor(QPalette::WindowText, text);
    return palette;
}

} // namespace

class TestDesktopIntegration : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void applicationIconIsDrawnAtEverySize();
    void fallbackIconsFollowThePalette();
    void iconsHaveThemeNames();
    void aboutNamesBuildLicenceAndQt();
    void aboutAsksRedisForItsVersion();
    void aboutWithoutRedisSaysSo();
};

void TestDesktopIntegration::applicationIconIsDrawnAtEverySize()
{
    QCOMPARE(IconProvider::applicationId(), QStringLiteral("io.github.redrive.Redrive"));
    const QIcon icon = IconProvider::applicationIcon();
    QVERIFY(!icon.isNull());
    for (int size : { 16, 32, 64, 256 }) {
        const QImage image = icon.pixmap(size, size).toImage();
        QCOMPARE(image.width(), size);
        // The red background fills the middle of the icon at every size.
        QVERIFY(image.pixelColor(size / 8, size / 2).red() > 120);
    }
}

void TestDesktopIntegration::fallbackIconsFollowThePalette()
{
    const QPalette light = paletteWithText(Qt::white, QColor(0x20, 0x20, 0x20));
    const QPalette dark = paletteWithText(QColor(0x2a, 0x2a, 0x2a), QColor(0xee, 0xee, 0xee));
    for (IconProvider::Icon which : IconProvider::allIcons()) {
        const QString name = IconProvider::themeName(which);
        const QIcon onLight = IconProvider::fallbackIcon(which, light);
        const QIcon onDark = IconProvider::fallbackIcon(which, dark);
        QVERIFY2(!onLight.isNull(), qPrintable(name));
        QVERIFY2(inkLightness(onLight, 16) >= 0, qPrintable(name)); // something is drawn
        QVERIFY2(inkLightness(onLight, 16) < 80, qPrintable(name));
        QVERIFY2(inkLightness(onDark, 16) > 180, qPrintable(name));
        QVERIFY2(inkLightness(onDark, 48) > 180, qPrintable(name));
    }
}

void TestDesktopIntegration::iconsHaveThemeNames()
{
    QSet<QString> names;
    for (IconProvider::Icon which : IconProvider::allIcons()) {
        const QString name = IconProvider::themeName(which);
        QVERIFY(!name.isEmpty());
        names.insert(name);
        // Whatever the theme has, the console never gets an empty icon.
        QVERIFY(!IconProvider::icon(which, QApplication::palette()).isNull());
    }
    QCOMPARE(names.size(), IconProvider::allIcons().size()); // no two actions look alike
}

void TestDesktopIntegration::aboutNamesBuildLicenceAndQt()
{
    ui::AboutDialog about(nullptr);
    QVERIFY(about.findChild<QLabel *>(QStringLiteral("title"))
                ->text()
                .contains(QStringLiteral(REDRIVE_VERSION)));
    QVERIFY(about.findChild<QLabel *>(QStringLiteral("licence"))->text().contains(u"MIT"));
    QVERIFY(about.findChild<QLabel *>(QStringLiteral("projectLink"))
                ->text()
                .contains(QStringLiteral("https://github.com/redrive/redrive")));
    QVERIFY(about.findChild<QLabel *>(QStringLiteral("qtVersion"))
                ->text()
                .contains(QLatin1String(qVersion())));
    QVERIFY(about.findChild<QPushButton *>(QStringLiteral("aboutQt")));
}

void TestDesktopIntegration::aboutAsksRedisForItsVersion()
{
    tests::RedisServer server;
    QVERIFY2(server.start(), qPrintable(server.errorString()));
    const QByteArray info = server.command({ "INFO", "server" }).toByteArray();
    QByteArray version;
    for (const QByteArray &line : info.split('\n')) {
        if (line.startsWith("redis_version:"))
            version = line.mid(14).trimmed();
    }
    QVERIFY(!version.isEmpty());

    // The engine asks, on its own thread, over its own connection.
    core::EngineConfig config;
    config.redisUrl = server.url();
    config.receiverEnabled = false;
    config.workerEnabled = false;
    config.adminListen = QStringLiteral("127.0.0.1:0");
    core::EngineThread engine(config);
    QSignalSpy started(&engine, &core::EngineThread::started);
    engine.start({});
    QVERIFY(started.wait(30000));
    QVERIFY2(started.constFirst().at(0).toBool(),
             qPrintable(started.constFirst().at(1).toString()));
    QTRY_VERIFY_WITH_TIMEOUT(engine.status().redis == core::EngineStatus::Redis::Ready, 30000);

    ui::AboutDialog about(&engine);
    auto *label = about.findChild<QLabel *>(QStringLiteral("redisVersion"));
    QTRY_VERIFY_WITH_TIMEOUT(label->text().startsWith(QString::fromLatin1(version)), 30000);
    QVERIFY(label->text().contains(QString::number(server.port())));
}

void TestDesktopIntegration::aboutWithoutRedisSaysSo()
{
    ui::AboutDialog about(nullptr);
    QCOMPARE(about.findChild<QLabel *>(QStringLiteral("redisVersion"))->text(),
             QStringLiteral("not connected"));
}

QTEST_MAIN(TestDesktopIntegration)
#include "tst_desktopintegration.moc"
