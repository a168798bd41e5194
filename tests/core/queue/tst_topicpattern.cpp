// SPDX-License-Identifier: MIT
// core::topicPattern: topics with their ids taken out, as the console shows them and triage
// groups them.
#include "core/queue/topicpattern.h"

#include <QTest>

using redrive::core::topicPattern;

class TestTopicPattern : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void patterns_data()
    {
        QTest::addColumn<QString>("topic");
        QTest::addColumn<QString>("pattern");
        QTest::addColumn<QStringList>("ids");
        QTest::newRow("conversation uuid")
            << QStringLiteral("v2.detail.events.conversation.1087ebe8-1ef8-5d97-8873-735b4949004d"
                              ".customer.start")
            << QStringLiteral("v2.detail.events.conversation.{id}.customer.start")
            << QStringList { QStringLiteral("1087ebe8-1ef8-5d97-8873-735b4949004d") };
        QTest::newRow("two ids, upper case")
            << QStringLiteral("v2.users.A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D.conversations."
                              "f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f")
            << QStringLiteral("v2.users.{id}.conversations.{id}")
            << QStringList { QStringLiteral("A1B2C3D4-E5F6-4A7B-8C9D-0E1F2A3B4C5D"),
                             QStringLiteral("f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f") };
        QTest::newRow("uuid without dashes")
            << QStringLiteral("v2.routing.queues.0123456789abcdef0123456789abcdef.conversations")
            << QStringLiteral("v2.routing.queues.{id}.conversations")
            << QStringList { QStringLiteral("0123456789abcdef0123456789abcdef") };
        QTest::newRow("long digit run")
            << QStringLiteral("v2.chats.12345678.messages") << QStringLiteral("v2.chats.{id}.messages")
            << QStringList { QStringLiteral("12345678") };
        QTest::newRow("at both ends")
            << QStringLiteral("123456.x.1087ebe8-1ef8-5d97-8873-735b4949004d")
            << QStringLiteral("{id}.x.{id}")
            << QStringList { QStringLiteral("123456"),
                             QStringLiteral("1087ebe8-1ef8-5d97-8873-735b4949004d") };
        QTest::newRow("short numbers stay") << QStringLiteral("v2.flows.12345.v2")
                                            << QStringLiteral("v2.flows.12345.v2") << QStringList();
        QTest::newRow("digits inside a word stay")
            << QStringLiteral("v2.build1234567.done") << QStringLiteral("v2.build1234567.done")
            << QStringList();
        QTest::newRow("uuid glued to a word stays")
            << QStringLiteral("x1087ebe8-1ef8-5d97-8873-735b4949004d")
            << QStringLiteral("x1087ebe8-1ef8-5d97-8873-735b4949004d") << QStringList();
        QTest::newRow("no ids") << QStringLiteral("v2.users.presence")
                                << QStringLiteral("v2.users.presence") << QStringList();
        QTest::newRow("empty") << QString() << QString() << QStringList();
    }

    void patterns()
    {
        QFETCH(QString, topic);
        QFETCH(QString, pattern);
        QFETCH(QStringList, ids);
        const auto result = topicPattern(topic);
        QCOMPARE(result.pattern, pattern);
        QCOMPARE(result.ids, ids);
    }

    // Topics that differ only in their ids have one pattern; others keep theirs apart.
    void groupsByPattern()
    {
        QCOMPARE(topicPattern(QStringLiteral("v2.users.11111111-1111-1111-1111-111111111111.presence"))
                     .pattern,
                 topicPattern(QStringLiteral("v2.users.22222222-2222-2222-2222-222222222222.presence"))
                     .pattern);
        QVERIFY(topicPattern(QStringLiteral("v2.users.11111111-1111-1111-1111-111111111111.presence"))
                    .pattern
                != topicPattern(QStringLiteral("v2.users.11111111-1111-1111-1111-111111111111"
                                               ".routingStatus"))
                       .pattern);
    }
};

QTEST_APPLESS_MAIN(TestTopicPattern)
#include "tst_topicpattern.moc"
