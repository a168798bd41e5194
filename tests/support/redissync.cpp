// SPDX-License-Identifier: MIT
#include "tests/support/redissync.h"

#include "core/redis/redisconnection.h"

#include <QObject>
#include <QTest>

namespace redrive::tests {

core::RedisEndpoint endpointOf(const QString &url)
{
    core::RedisEndpoint endpoint;
    QString error;
    if (!core::RedisEndpoint::parse(url, &endpoint, &error))
        qFatal("%s: %s", qPrintable(url), qPrintable(error));
    return endpoint;
}

std::unique_ptr<core::RedisConnection> connectRedis(const core::RedisEndpoint &endpoint,
                                                    const QString &clientName, int waitMs)
{
    auto connection = std::make_unique<core::RedisConnection>(endpoint, clientName);
    connection->open();
    if (!QTest::qWaitFor([&] { return connection->isReady(); }, waitMs)) {
        qWarning("no connection to %s within %d ms: %s", qPrintable(endpoint.displayUrl()),
                 waitMs, qPrintable(connection->lastError()));
        return nullptr;
    }
    return connection;
}

core::RedisReply runCommand(core::RedisConnection &connection, const QList<QByteArray> &args,
                            int waitMs)
{
    core::RedisReply reply;
    bool done = false;
    QObject context;
    connection.command(args, &context, [&](const core::RedisReply &r) {
        reply = r;
        done = true;
    });
    if (!QTest::qWaitFor([&] { return done; }, waitMs)) {
        const QString message
            = QStringLiteral("no reply to %1 within %2 ms")
                  .arg(QString::fromLatin1(args.isEmpty() ? QByteArray() : args.first()))
                  .arg(waitMs);
        QTest::qFail(qPrintable(message), __FILE__, __LINE__);
        return core::RedisReply::error(message);
    }
    return reply;
}

} // namespace redrive::tests
