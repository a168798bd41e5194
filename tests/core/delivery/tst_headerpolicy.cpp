// SPDX-License-Identifier: MIT
#include "core/delivery/headerpolicy.h"

#include <QTest>

using redrive::core::HeaderList;
using redrive::core::HeaderPolicy;

using Header = QPair<QByteArray, QByteArray>;

class TestHeaderPolicy : public QObject
{
    Q_OBJECT

private Q_SLOTS:
    void redactsSecrets()
    {
        const HeaderList redacted = HeaderPolicy::redacted({ { "X-Redrive-Secret", "s3cr3t" },
                                                             { "Authorization", "Bearer t" },
                                                             { "Accept", "*/*" } },
                                                           "x-redrive-secret");
        // The shared secret's header goes entirely; other credentials keep their name.
        QCOMPARE(redacted.size(), 2);
        QCOMPARE(redacted.at(0), Header("Authorization", "[redacted]"));
        QCOMPARE(redacted.at(1), Header("Accept", "*/*"));
    }

    void storedDropsTheConnectionsFields()
    {
        const HeaderList stored = HeaderPolicy::stored({ { "Content-Length", "12" },
                                                         { "connection", "keep-alive" },
                                                         { "Expect", "100-continue" },
                                                         { "Cookie", "a=b" },
                                                         { "X-Api-Key", "k" },
                                                         { "My-Secret", "s" },
                                                         { "ININ-Correlation-Id", "c-1" } },
                                                       "my-secret");
        QCOMPARE(stored,
                 (HeaderList { { "Cookie", "[redacted]" },
                               { "X-Api-Key", "[redacted]" },
                               { "ININ-Correlation-Id", "c-1" } }));
    }

    void forwardsGenesysHeadersOnly()
    {
        const HeaderList forwarded
            = HeaderPolicy::forwarded({ { "Content-Type", "application/json" },
                                        { "ININ-Correlation-Id", "c-1" },
                                        { "X-Genesys-Event", "e" },
                                        { "User-Agent", "Genesys/1.0" },
                                        { "Authorization", "Bearer t" },
                                        { "Host", "example.org" },
                                        { "X-Genesys-Token", "s3cr3t" },
                                        { "inin-stored", "[redacted]" } },
                                      "X-Genesys-Token");
        // The secret header is not forwarded even under a Genesys name; a redacted value is
        // no value.
        QCOMPARE(forwarded,
                 (HeaderList { { "Content-Type", "application/json" },
                               { "ININ-Correlation-Id", "c-1" },
                               { "X-Genesys-Event", "e" },
                               { "User-Agent", "Genesys/1.0" } }));
    }
};

QTEST_GUILESS_MAIN(TestHeaderPolicy)
#include "tst_headerpolicy.moc"
