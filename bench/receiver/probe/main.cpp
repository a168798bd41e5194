// SPDX-License-Identifier: MIT
// The floor the receiver is measured against: QHttpServer 6.4's own router, one route, an
// asynchronous LPUSH of the raw body, 200 once Redis confirmed it. No validation, no entry
// format, no downstream, no metrics. Same command line shape as `redrive --headless` for
// bench/receiver/run.sh (REDRIVE_BENCH_SERVER=probe).
#include "core/redis/redisconnection.h"

#include <QCoreApplication>
#include <QHttpServer>
#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QPointer>
#include <QTcpSocket>

#include <cstdio>
#include <memory>

using namespace redrive::core;

int main(int argc, char **argv)
{
    QCoreApplication app(argc, argv);
    const QStringList args = app.arguments();
    const auto option = [&args](const QString &name) {
        const qsizetype at = args.indexOf(name);
        return at >= 0 && at + 1 < args.size() ? args.at(at + 1) : QString();
    };
    RedisEndpoint endpoint;
    QString error;
    if (!RedisEndpoint::parse(option(QStringLiteral("--redis")), &endpoint, &error)) {
        std::fprintf(stderr, "%s\n", qPrintable(error));
        return 2;
    }
    RedisConnection redis(endpoint, QStringLiteral("receiver-probe"));
    redis.open();

    QHttpServer server;
    server.route(QStringLiteral("/webhook/genesys"), QHttpServerRequest::Method::Post,
                 [&redis](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
                     auto held = std::make_shared<QHttpServerResponder>(std::move(responder));
                     QPointer<QTcpSocket> socket = held->socket();
                     redis.command(
                         { QByteArrayLiteral("LPUSH"), QByteArrayLiteral("genesys_webhook_dlq"),
                           request.body() },
                         &redis, [held, socket](const RedisReply &reply) {
                             if (!socket)
                                 return;
                             held->write(QByteArrayLiteral("{\"status\":\"deferred_to_dlq\"}"),
                                         QByteArrayLiteral("application/json"),
                                         reply.isError()
                                             ? QHttpServerResponder::StatusCode::ServiceUnavailable
                                             : QHttpServerResponder::StatusCode::Ok);
                         });
                 });
    server.route(QStringLiteral("/healthz"), [] { return QStringLiteral("ok"); });
    const QString listen = option(QStringLiteral("--listen"));
    const quint16 port
        = server.listen(QHostAddress::LocalHost,
                        quint16(listen.mid(listen.lastIndexOf(QLatin1Char(':')) + 1).toUInt()));
    if (port == 0)
        return 1;
    std::fprintf(stderr, "receiving deliveries at http://127.0.0.1:%u/webhook/genesys\n", port);
    return app.exec();
}
