// SPDX-License-Identifier: MIT
#include "ui/dialogs/settingsdialog.h"

#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QScrollArea>
#include <QTabWidget>
#include <QVBoxLayout>

namespace redrive::ui {

using core::SecretKind;
using core::SettingKey;
using core::SettingSource;
using core::SettingSpec;

namespace {

QString groupTitle(const QString &group)
{
    if (group == QLatin1String("redis"))
        return QObject::tr("Redis");
    if (group == QLatin1String("receiver"))
        return QObject::tr("Receiver");
    if (group == QLatin1String("downstream"))
        return QObject::tr("Downstream");
    if (group == QLatin1String("worker"))
        return QObject::tr("Retries");
    if (group == QLatin1String("admin"))
        return QObject::tr("Health and metrics");
    if (group == QLatin1String("console"))
        return QObject::tr("Tray and notifications");
    return QObject::tr("Genesys Cloud");
}

// "worker/backoff_base_ms" -> "Backoff base (ms)"
QString fieldTitle(const SettingSpec &spec)
{
    QString name = spec.fileKey.section(QLatin1Char('/'), 1);
    QString unit;
    if (name.endsWith(QLatin1String("_ms"))) {
        name.chop(3);
        unit = QObject::tr(" (ms)");
    }
    QStringList words = name.split(QLatin1Char('_'));
    for (QString &word : words) {
        if (word == QLatin1String("url") || word == QLatin1String("dlq")
            || word == QLatin1String("id") || word == QLatin1String("api"))
            word = word.toUpper();
    }
    name = words.join(QLatin1Char(' '));
    if (!name.isEmpty())
        name[0] = name.at(0).toUpper();
    return name + unit + QLatin1Char(':');
}

QLabel *smallLabel(const QString &text, QWidget *parent)
{
    auto *label = new QLabel(text, parent);
    label->setWordWrap(true);
    QFont font = label->font();
    font.setPointSizeF(font.pointSizeF() * 0.9);
    label->setFont(font);
    label->setForegroundRole(QPalette::PlaceholderText);
    return label;
}

// "/home/ana/.config/Redrive/redrive.ini" -> "~/.config/Redrive/redrive.ini"
QString homeShortened(const QString &path)
{
    const QString home = QDir::homePath();
    if (home.size() > 1 && path.startsWith(home + QLatin1Char('/')))
        return QStringLiteral("~") + path.mid(home.size());
    return path;
}

} // namespace

SettingsDialog::SettingsDialog(core::Settings &settings, core::CredentialStore &credentials,
                               QWidget *parent)
    : QDialog(parent)
    , m_settings(settings)
    , m_credentials(credentials)
{
    setWindowTitle(tr("Settings"));
    auto *tabs = new QTabWidget(this);
    QHash<QString, QFormLayout *> forms;
    QStringList order;
    for (const SettingSpec &spec : core::Settings::specs()) {
        QString group = spec.fileKey.section(QLatin1Char('/'), 0, 0);
        if (group == QLatin1String("ngrok"))
            group = QStringLiteral("genesys");
        if (!forms.contains(group)) {
            auto *scroll = new QScrollArea(tabs);
            auto *page = new QWidget(scroll);
            auto *form = new QFormLayout(page);
            form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
            scroll->setWidget(page);
            scroll->setWidgetResizable(true);
            scroll->setFrameShape(QFrame::NoFrame);
            tabs->addTab(scroll, groupTitle(group));
            forms.insert(group, form);
        }
        QFormLayout *form = forms.value(group);
        QWidget *page = form->parentWidget();
        Field field;
        auto *box = new QWidget(page);
        auto *column = new QVBoxLayout(box);
        column->setContentsMargins(0, 0, 0, 0);
        column->setSpacing(2);
        const QVariant value = settings.value(spec.key);
        if (spec.type == QMetaType::Bool) {
            field.check = new QCheckBox(spec.help, box);
            field.check->setChecked(value.toBool());
            column->addWidget(field.check);
        } else {
            field.edit = new QLineEdit(value.toString(), box);
            field.edit->setPlaceholderText(spec.defaultValue.toString().isEmpty()
                                               ? tr("(empty)")
                                               : spec.defaultValue.toString());
            field.edit->setToolTip(spec.help);
            column->addWidget(field.edit);
            column->addWidget(smallLabel(spec.help, box));
            const SettingKey key = spec.key;
            connect(field.edit, &QLineEdit::textChanged, this, [this, key]() { checkField(key); });
        }
        const SettingSource source = settings.source(spec.key);
        if (source == SettingSource::Environment || source == SettingSource::CommandLine) {
            column->addWidget(smallLabel(
                tr("Currently set by the %1; what you save here applies when that is gone.")
                    .arg(source == SettingSource::Environment ? tr("environment")
                                                              : tr("command line")),
                box));
        }
        field.problem = new QLabel(box);
        field.problem->setWordWrap(true);
        QPalette palette = field.problem->palette();
        palette.setColor(QPalette::WindowText, QColor(0xc0, 0x39, 0x2b));
        field.problem->setPalette(palette);
        field.problem->hide();
        column->addWidget(field.problem);
        form->addRow(spec.type == QMetaType::Bool ? QString() : fieldTitle(spec), box);
        m_fields.insert(spec.key, field);
    }
    tabs->addTab(buildSecretsPage(), tr("Secrets"));

    auto *note = smallLabel(tr("Redis, receiver and retry settings take effect when Redrive "
                               "starts next. Saved in %1.")
                                .arg(QDir::toNativeSeparators(homeShortened(settings.filePath()))),
                            this);
    m_buttons = new QDialogButtonBox(
        QDialogButtonBox::Ok | QDialogButtonBox::Apply | QDialogButtonBox::Cancel, this);
    connect(m_buttons, &QDialogButtonBox::accepted, this, [this]() {
        if (apply())
            accept();
    });
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_buttons->button(QDialogButtonBox::Apply), &QPushButton::clicked, this,
            &SettingsDialog::apply);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(tabs, 1);
    layout->addWidget(note);
    layout->addWidget(m_buttons);
    resize(640, 560);
    readSecretStates();
}

SettingsDialog::~SettingsDialog() = default;

QWidget *SettingsDialog::buildSecretsPage()
{
    auto *page = new QWidget(this);
    auto *form = new QFormLayout(page);
    form->addRow(smallLabel(tr("Secrets are kept in %1, never in the settings file. They are "
                               "not shown; type a new value to replace one.")
                                .arg(m_credentials.description()),
                            page));
    for (SecretKind kind : core::CredentialStore::allKinds()) {
        SecretRow row;
        auto *box = new QWidget(page);
        auto *column = new QVBoxLayout(box);
        column->setContentsMargins(0, 0, 0, 0);
        auto *line = new QHBoxLayout;
        row.edit = new QLineEdit(box);
        row.edit->setEchoMode(QLineEdit::Password);
        row.edit->setPlaceholderText(tr("unchanged"));
        row.remove = new QPushButton(tr("Remove"), box);
        line->addWidget(row.edit, 1);
        line->addWidget(row.remove);
        column->addLayout(line);
        row.status = smallLabel(tr("checking…"), box);
        column->addWidget(row.status);
        QString title = core::CredentialStore::displayName(kind);
        title[0] = title.at(0).toUpper();
        form->addRow(title + QLatin1Char(':'), box);
        connect(row.remove, &QPushButton::clicked, this, [this, kind]() {
            SecretRow &r = m_secrets[kind];
            r.status->setText(tr("removing…"));
            m_credentials.remove(kind, this, [this, kind](const QString &error) {
                SecretRow &r = m_secrets[kind];
                r.status->setText(error.isEmpty() ? tr("not stored") : error);
                if (error.isEmpty())
                    Q_EMIT secretChanged(kind);
            });
        });
        m_secrets.insert(kind, row);
    }
    return page;
}

void SettingsDialog::readSecretStates()
{
    for (SecretKind kind : core::CredentialStore::allKinds()) {
        m_credentials.read(kind, this, [this, kind](const core::SecretResult &result) {
            SecretRow &row = m_secrets[kind];
            if (!result.ok) {
                // Unavailable keychain: say so and what to do; there is no plaintext fallback.
                row.status->setText(
                    tr("Keychain unavailable: %1 (or set %2 in the environment)")
                        .arg(result.error, core::CredentialStore::environmentVariable(kind)));
                row.status->setForegroundRole(QPalette::WindowText);
                return;
            }
            row.status->setText(result.found ? tr("stored") : tr("not stored"));
            row.remove->setEnabled(result.found);
        });
    }
}

void SettingsDialog::saveSecrets()
{
    for (SecretKind kind : core::CredentialStore::allKinds()) {
        SecretRow &row = m_secrets[kind];
        const QString value = row.edit->text();
        if (value.isEmpty())
            continue;
        row.status->setText(tr("saving…"));
        m_credentials.write(kind, value, this, [this, kind](const QString &error) {
            SecretRow &r = m_secrets[kind];
            if (error.isEmpty()) {
                r.edit->clear();
                r.status->setText(tr("stored"));
                r.remove->setEnabled(true);
                Q_EMIT secretChanged(kind);
            } else {
                r.status->setText(tr("Not saved: %1").arg(error));
            }
        });
    }
}

QVariant SettingsDialog::fieldValue(const SettingSpec &spec, const Field &field) const
{
    if (field.check)
        return field.check->isChecked();
    const QString text = field.edit->text().trimmed();
    switch (spec.type) {
    case QMetaType::Int: {
        bool ok = false;
        const int v = text.toInt(&ok);
        return ok ? QVariant(v) : QVariant(text);
    }
    case QMetaType::LongLong: {
        bool ok = false;
        const qint64 v = text.toLongLong(&ok);
        return ok ? QVariant(v) : QVariant(text);
    }
    default:
        return text;
    }
}

QString SettingsDialog::checkField(SettingKey key)
{
    const SettingSpec &spec = core::Settings::spec(key);
    const Field &field = m_fields[key];
    const QVariant value = fieldValue(spec, field);
    QString problem;
    if ((spec.type == QMetaType::Int || spec.type == QMetaType::LongLong)
        && value.typeId() == QMetaType::QString)
        problem = tr("\"%1\" is not a number").arg(value.toString());
    else if (spec.validate)
        problem = spec.validate(value);
    field.problem->setText(problem);
    field.problem->setVisible(!problem.isEmpty());
    return problem;
}

bool SettingsDialog::apply()
{
    bool ok = true;
    for (const SettingSpec &spec : core::Settings::specs()) {
        if (!checkField(spec.key).isEmpty())
            ok = false;
    }
    if (!ok)
        return false;
    for (const SettingSpec &spec : core::Settings::specs()) {
        const Field &field = m_fields[spec.key];
        const QVariant value = fieldValue(spec, field);
        if (value == m_settings.value(spec.key))
            continue;
        QString error;
        if (!m_settings.setValue(spec.key, value, &error)) {
            field.problem->setText(error);
            field.problem->show();
            ok = false;
        }
    }
    saveSecrets();
    return ok;
}

QLineEdit *SettingsDialog::lineEdit(SettingKey key) const
{
    return m_fields.value(key).edit;
}

QCheckBox *SettingsDialog::checkBox(SettingKey key) const
{
    return m_fields.value(key).check;
}

QLabel *SettingsDialog::problemLabel(SettingKey key) const
{
    return m_fields.value(key).problem;
}

QLineEdit *SettingsDialog::secretEdit(SecretKind kind) const
{
    return m_secrets.value(kind).edit;
}

QLabel *SettingsDialog::secretStatus(SecretKind kind) const
{
    return m_secrets.value(kind).status;
}

QPushButton *SettingsDialog::applyButton() const
{
    return m_buttons->button(QDialogButtonBox::Apply);
}

} // namespace redrive::ui
