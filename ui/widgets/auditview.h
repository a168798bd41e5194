// SPDX-License-Identifier: MIT
#pragma once

#include <QWidget>

class QLabel;
class QLineEdit;
class QPlainTextEdit;
class QPushButton;
class QTableView;
class QVariant;

namespace redrive::ui {

class AuditBackend;
class AuditTableModel;

// The Audit page: who did what to the lists, newest first, a page at a time (Load more), with
// a search box, the selected record in full (an edit's payload before and after as JSON), and
// an export of what is shown to JSON Lines.
class AuditView final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(AuditView)

public:
    explicit AuditView(AuditBackend &backend, QWidget *parent = nullptr);
    ~AuditView() override;

    AuditTableModel *model() const { return m_model; }
    QTableView *table() const { return m_table; }
    QLineEdit *searchEdit() const { return m_search; }
    QPushButton *loadMoreButton() const { return m_loadMore; }
    QPushButton *exportButton() const { return m_export; }
    QPlainTextEdit *detail() const { return m_detail; }
    QLabel *statusLabel() const { return m_status; }

    // Exports to `path` without asking (the Export button asks for it).
    void exportTo(const QString &path);
    // The record in full, as the detail pane shows it.
    static QString describe(const QVariant &record);

Q_SIGNALS:
    void message(const QString &text);

protected:
    void showEvent(QShowEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void showSelected();
    void updateStatus(const QString &error);

    AuditBackend &m_backend;
    AuditTableModel *m_model;
    QLineEdit *m_search;
    QTableView *m_table;
    QPushButton *m_loadMore;
    QPushButton *m_export;
    QPushButton *m_refresh;
    QPlainTextEdit *m_detail;
    QLabel *m_status;
    bool m_loadedOnce = false;
    bool m_columnsFitted = false;
    QList<int> m_fittedWidths; // the columns' widths for their content, before the outcome
    void fitColumns();
};

} // namespace redrive::ui
