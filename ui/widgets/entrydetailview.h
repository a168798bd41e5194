// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QWidget>

class QLabel;
class QPlainTextEdit;
class QTabWidget;
class QTableWidget;

namespace redrive::ui {

class JsonHighlighter;

// The selected entry in full: a summary, the payload pretty-printed and highlighted, the
// delivery's headers, the attempt history and the raw text as stored. Elements that are not
// JSON show as raw text with the reason.
class EntryDetailView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EntryDetailView)

public:
    explicit EntryDetailView(QWidget *parent = nullptr);
    ~EntryDetailView() override;

    void showEntry(const QByteArray &raw);
    // A delivery from the live view: its body only.
    void showPayload(const QString &title, const QByteArray &payload);
    void clear(const QString &message = QString());

    QString payloadText() const;
    QString summaryText() const;

protected:
    void changeEvent(QEvent *event) override;

private:
    QLabel *m_summary;
    QTabWidget *m_tabs;
    QPlainTextEdit *m_payload;
    QTableWidget *m_headers;
    QTableWidget *m_attempts;
    QPlainTextEdit *m_raw;
    JsonHighlighter *m_payloadHighlighter;
    JsonHighlighter *m_rawHighlighter;
};

} // namespace redrive::ui
