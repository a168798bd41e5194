// SPDX-License-Identifier: MIT
#include "core/queue/queuekeys.h"
#include "core/redis/redishashslot.h"
#include "core/settings/settings.h"

#include <QCommandLineParser>
#include <QTemporaryDir>
#include <QTest>

using namespace redrive::core;

class TestQueueKeys : public QObject
{
    Q_OBJECT

    QTemporaryDir m_dir;

    // The keys as Redrive reads them from these command-line flags.
    QueueKeys keysFrom(const QStringList &flags)
    {
        Settings settings(m_dir.filePath(QStringLiteral("redrive.ini")));
        QCommandLineParser parser;
        Settings::addOptions(&parser);
        if (!parser.parse(QStringList { QStringLiteral("redrive") } + flags))
            qFatal("%s", qPrintable(parser.errorText()));
        QStringList errors;
        settings.applyCommandLine(parser, &errors);
        if (!errors.isEmpty())
            qFatal("%s", qPrintable(errors.join(QLatin1Char('\n'))));
        return QueueKeys::fromSettings(settings);
    }

    // Every key Redrive uses, as RetryWorker, QueueStore and the receiver derive them.
    static QList<QByteArray> allKeys(const QueueKeys &keys)
    {
        const QByteArray id = "host-1234-abcdef";
        return { keys.dlq,
                 keys.permanent,
                 keys.channel(),
                 keys.schedule(),
                 keys.workers(),
                 keys.inflight(id),
                 keys.lease(id) };
    }

private Q_SLOTS:
    void defaultsAreRefusedWithTheFlagsThatFixThem()
    {
        const QueueKeys keys = keysFrom({});
        QCOMPARE(keys.prefix, QByteArray("genesys_webhook_dlq:"));
        const QString problem = keys.clusterProblem();
        QVERIFY(!problem.isEmpty());
        QVERIFY2(problem.contains(QLatin1String("\"genesys_webhook_dlq\" has no hash tag")),
                 qPrintable(problem));
        QVERIFY2(problem.contains(QLatin1String("--dlq-key '{genesys}:webhook_dlq' "
                                                "--permanent-key "
                                                "'{genesys}:webhook_permanent_failures'")),
                 qPrintable(problem));
        QVERIFY2(!problem.contains(QLatin1String("--key-prefix")), qPrintable(problem));

        // Following the advice is enough: the other keys then follow the DLQ key's tag.
        const QueueKeys fixed
            = keysFrom({ QStringLiteral("--dlq-key"), QStringLiteral("{genesys}:webhook_dlq"),
                         QStringLiteral("--permanent-key"),
                         QStringLiteral("{genesys}:webhook_permanent_failures") });
        QCOMPARE(fixed.clusterProblem(), QString());
        QCOMPARE(fixed.prefix, QByteArray("{genesys}:webhook_dlq:"));
        for (const QByteArray &key : allKeys(fixed))
            QVERIFY2(redisHashSlot(key) == redisHashSlot("genesys"), key.constData());
    }

    void aPrefixGivenNeedsTheTagToo()
    {
        const QueueKeys keys
            = keysFrom({ QStringLiteral("--dlq-key"), QStringLiteral("{q1}:dlq"),
                         QStringLiteral("--permanent-key"), QStringLiteral("{q1}:permanent"),
                         QStringLiteral("--key-prefix"), QStringLiteral("redrive:") });
        QCOMPARE(keys.prefix, QByteArray("redrive:"));
        const QString problem = keys.clusterProblem();
        QVERIFY2(problem.contains(QLatin1String("the key prefix \"redrive:\" has no hash tag")),
                 qPrintable(problem));
        QVERIFY2(problem.contains(QLatin1String("--key-prefix '{q1}:redrive:'")),
                 qPrintable(problem));
        QVERIFY2(problem.contains(QLatin1String("--dlq-key '{q1}:dlq'")), qPrintable(problem));

        const QueueKeys fixed
            = keysFrom({ QStringLiteral("--dlq-key"), QStringLiteral("{q1}:dlq"),
                         QStringLiteral("--permanent-key"), QStringLiteral("{q1}:permanent"),
                         QStringLiteral("--key-prefix"), QStringLiteral("{q1}:redrive:") });
        QCOMPARE(fixed.clusterProblem(), QString());
        for (const QByteArray &key : allKeys(fixed))
            QCOMPARE(redisHashSlot(key), redisHashSlot("q1"));
    }

    void aPrefixWhoseTagASuffixWouldCloseIsRefused()
    {
        // "{q1:" + "events" has no tag at all; the prefix must hold the whole tag.
        QueueKeys keys;
        keys.dlq = "{q1:}dlq";
        keys.permanent = "{q1:}permanent";
        keys.prefix = "{q1:";
        keys.prefixSet = true;
        QVERIFY(keys.clusterProblem().contains(QLatin1String("no hash tag of its own")));
    }

    void differentTagsAreRefused()
    {
        const QueueKeys keys
            = keysFrom({ QStringLiteral("--dlq-key"), QStringLiteral("{a}:dlq"),
                         QStringLiteral("--permanent-key"), QStringLiteral("{b}:permanent") });
        const QString problem = keys.clusterProblem();
        QVERIFY2(
            problem.contains(QStringLiteral("is in slot %1, the DLQ key \"{a}:dlq\" in slot %2")
                                 .arg(redisHashSlot("b"))
                                 .arg(redisHashSlot("a"))),
            qPrintable(problem));
        QVERIFY2(problem.contains(QLatin1String("--permanent-key '{a}:{b}:permanent'")),
                 qPrintable(problem));
    }

    void withoutATagThePrefixStaysAsItWas()
    {
        // Outside a cluster nothing changes: a DLQ key without a tag leaves the prefix alone.
        const QueueKeys keys = keysFrom({ QStringLiteral("--dlq-key"), QStringLiteral("mine") });
        QCOMPARE(keys.prefix, QByteArray("genesys_webhook_dlq:"));
        QVERIFY(!keys.prefixSet);
    }

    void shellQuotesTheSuggestion()
    {
        QueueKeys keys;
        keys.dlq = "it's";
        QVERIFY2(keys.clusterProblem().contains(QLatin1String("--dlq-key '{genesys}:it'\\''s'")),
                 qPrintable(keys.clusterProblem()));
    }
};

QTEST_GUILESS_MAIN(TestQueueKeys)
#include "tst_queuekeys.moc"
