// SPDX-License-Identifier: MIT
#include "ui/dialogs/aboutdialog.h"

#include "core/engine/enginethread.h"
#include "ui/widgets/iconprovider.h"

#include <QApplication>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QPushButton>
#include <QVBoxLayout>

namespace redrive::ui {

AboutDialog::AboutDialog(core::EngineThread *engine, QWidget *parent)
    : QDialog(parent)
    , m_redisVersion(new QLabel(this))
{
    setWindowTitle(tr("About Redrive"));

    auto *icon = new QLabel(this);
    icon->setPixmap(IconProvider::applicationIcon().pixmap(64, 64));
    icon->setAlignment(Qt::AlignTop);

    auto *title = new QLabel(
        QStringLiteral("<h2>Redrive %1</h2>").arg(QStringLiteral(REDRIVE_VERSION)), this);
    title->setObjectName(QStringLiteral("title"));
    title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    auto *summary = new QLabel(tr("Catches the Genesys Cloud webhook deliveries your systems "
                                  "could not process, retries them, and lets you triage them."),
                               this);
    summary->setWordWrap(true);

    auto *link = new QLabel(
        QStringLiteral("<a href=\"%1\">%1</a>").arg(projectUrl().toHtmlEscaped()), this);
    link->setObjectName(QStringLiteral("projectLink"));
    link->setOpenExternalLinks(true);
    link->setTextInteractionFlags(Qt::TextBrowserInteraction);
    auto *licence = new QLabel(tr("MIT License. Copyright © 2026 the Redrive authors."), this);
    licence->setObjectName(QStringLiteral("licence"));
    licence->setWordWrap(true);
    // Runtime and build versions differ when Debian updates Qt under an installed Redrive.
    auto *qt = new QLabel(QLatin1String(qVersion()) == QLatin1String(QT_VERSION_STR)
                              ? QLatin1String(qVersion())
                              : tr("%1 (built with %2)")
                                    .arg(QLatin1String(qVersion()), QLatin1String(QT_VERSION_STR)),
                          this);
    qt->setObjectName(QStringLiteral("qtVersion"));
    m_redisVersion->setObjectName(QStringLiteral("redisVersion"));
    m_redisVersion->setWordWrap(true);
    for (QLabel *label : { qt, m_redisVersion })
        label->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *facts = new QFormLayout;
    facts->addRow(tr("Project:"), link);
    facts->addRow(tr("Licence:"), licence);
    facts->addRow(tr("Qt:"), qt);
    facts->addRow(tr("Redis:"), m_redisVersion);

    auto *text = new QVBoxLayout;
    text->addWidget(title);
    text->addWidget(summary);
    text->addSpacing(8);
    text->addLayout(facts);
    text->addStretch();

    auto *top = new QHBoxLayout;
    top->addWidget(icon);
    top->addSpacing(12);
    top->addLayout(text, 1);

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Close, this);
    QPushButton *aboutQt = buttons->addButton(tr("About &Qt"), QDialogButtonBox::HelpRole);
    aboutQt->setObjectName(QStringLiteral("aboutQt"));
    connect(aboutQt, &QPushButton::clicked, this, [this] { QApplication::aboutQt(); });
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(buttons);
    setMinimumWidth(460);

    askRedisVersion(engine);
}

QString AboutDialog::projectUrl()
{
    return QStringLiteral(REDRIVE_HOMEPAGE);
}

void AboutDialog::askRedisVersion(core::EngineThread *engine)
{
    if (!engine || engine->status().redis != core::EngineStatus::Redis::Ready) {
        m_redisVersion->setText(tr("not connected"));
        return;
    }
    m_redisVersion->setText(tr("asking…"));
    const QString where = engine->status().redisDisplayUrl;
    engine->askRedisVersion(this, [this, where](const QString &version, const QString &error) {
        if (!error.isEmpty())
            m_redisVersion->setText(tr("unknown (%1)").arg(error));
        else if (version.isEmpty())
            m_redisVersion->setText(tr("unknown (INFO gave no version) at %1").arg(where));
        else
            m_redisVersion->setText(tr("%1 at %2").arg(version, where));
    });
}

} // namespace redrive::ui
