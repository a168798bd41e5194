// SPDX-License-Identifier: MIT
// Texts from senders and downstreams printed on a terminal (the CLI's text output, the log):
// control characters escaped, everything else as it was.
#include "core/text/terminaltext.h"

#include <QTest>

using namespace redrive::core;
using namespace Qt::StringLiterals;

namespace {
QStringList captured;
void capture(QtMsgType, const QMessageLogContext &, const QString &message)
{
    captured.append(message);
}
} // namespace

class TestTerminalText : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void escapes_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("safe");
        QTest::newRow("plain") << u"HTTP 503 · crm.example.com"_s << u"HTTP 503 · crm.example.com"_s;
        QTest::newRow("tab and newline kept") << u"a\tb\nc"_s << u"a\tb\nc"_s;
        QTest::newRow("title and clear")
            << u"\x1b]0;PWNED\x07\x1b[2J"_s << u"\\x1b]0;PWNED\\x07\\x1b[2J"_s;
        QTest::newRow("carriage return, backspace, NUL, DEL")
            << u"a\rb\bc"_s + QChar(0) + u"d\x7f"_s
            << u"a\\x0db\\x08c\\x00d\\x7f"_s;
        QTest::newRow("C1 CSI") << QString(QChar(0x9b)) + u"31m"_s << u"\\u009b31m"_s;
        QTest::newRow("non-ASCII kept") << u"é 日本 ✓"_s << u"é 日本 ✓"_s;
    }

    void escapes()
    {
        QFETCH(QString, text);
        QFETCH(QString, safe);
        QCOMPARE(terminalSafe(text), safe);
    }

    void logMessagesEscaped()
    {
        qInstallMessageHandler(capture); // stands for Qt's default handler
        installTerminalSafeLogging();
        qWarning("downstream answered 503: %s", "\x1b[2Jgone");
        qInstallMessageHandler(nullptr);
        QCOMPARE(captured, QStringList { u"downstream answered 503: \\x1b[2Jgone"_s });
    }
};

QTEST_GUILESS_MAIN(TestTerminalText)
#include "tst_terminaltext.moc"
