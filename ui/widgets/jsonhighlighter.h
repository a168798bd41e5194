// SPDX-License-Identifier: MIT
#pragma once

#include <QSyntaxHighlighter>
#include <QTextCharFormat>

namespace redrive::ui {

// Colours keys, strings, numbers and literals of (pretty-printed) JSON. Works line by line
// without parsing, so half-typed JSON in the editor is coloured as well as valid JSON; the
// colours are picked for the current palette's lightness so they read in light and dark mode.
class JsonHighlighter final : public QSyntaxHighlighter
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JsonHighlighter)

public:
    explicit JsonHighlighter(QTextDocument *document);
    ~JsonHighlighter() override;

    // Rebuilds the formats after a palette change.
    void updateColors();

protected:
    void highlightBlock(const QString &text) override;

private:
    QTextCharFormat m_key;
    QTextCharFormat m_string;
    QTextCharFormat m_number;
    QTextCharFormat m_literal;
    QTextCharFormat m_punctuation;
};

} // namespace redrive::ui
