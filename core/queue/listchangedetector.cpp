// SPDX-License-Identifier: MIT
#include "core/queue/listchangedetector.h"

#include "core/queue/queuescript.h"
#include "core/redis/redisreply.h"

#include <algorithm>

namespace redrive::core {

namespace {

// KEYS: the lists. Returns {length, head, length, head, ...}.
constexpr char SignatureScript[] = R"lua(
local out = {}
for i = 1, #KEYS do
  out[#out + 1] = redis.call('LLEN', KEYS[i])
  out[#out + 1] = redis.call('LINDEX', KEYS[i], 0) or ''
end
return out
)lua";

QByteArray signature(qint64 length, const QByteArray &head)
{
    return QByteArray::number(length) + '\n' + head;
}

} // namespace

ListChangeDetector::ListChangeDetector(QList<QByteArray> keys)
    : m_keys(std::move(keys))
    , m_signatures(m_keys.size())
{ }

void ListChangeDetector::note(qsizetype index, qint64 length, const QByteArray &head)
{
    m_signatures[index] = signature(length, head);
    m_haveReading = std::none_of(m_signatures.cbegin(), m_signatures.cend(),
                                 [](const QByteArray &s) { return s.isEmpty(); });
}

void ListChangeDetector::check(RedisConnection *connection, const QObject *context,
                               std::function<void(const QList<bool> &changed)> done)
{
    if (m_checking)
        return;
    m_checking = true;
    evalScript(connection, SignatureScript, m_keys, {}, context,
               [this, done = std::move(done)](const RedisReply &reply) {
                   m_checking = false;
                   const auto &e = reply.elements();
                   if (reply.isError() || e.size() != 2 * m_keys.size())
                       return;
                   QList<bool> changed(m_keys.size());
                   for (qsizetype i = 0; i < m_keys.size(); ++i) {
                       const QByteArray now
                           = signature(e.at(2 * i).toInteger(), e.at(2 * i + 1).bytes());
                       changed[i] = !m_haveReading || now != m_signatures.at(i);
                       m_signatures[i] = now;
                   }
                   m_haveReading = true;
                   done(changed);
               });
}

} // namespace redrive::core
