// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QList>

#include <functional>

class QObject;

namespace redrive::core {

class RedisConnection;

// Notices that lists changed without being told: compares each list's length and head element
// (its newest) with the previous reading. Catches writes by tools that announce nothing on the
// channel (the tutorial, redis-cli), and announcements that were lost (pub/sub is best effort).
class ListChangeDetector
{
public:
    explicit ListChangeDetector(QList<QByteArray> keys);

    // Reads every list's length and head in one script. `done` gets, for each key, whether it
    // differs from the previous reading or note(); with no previous one, every list counts as
    // changed. Nothing is sent while a reading is under way (`done` is then not called).
    void check(RedisConnection *connection, const QObject *context,
               std::function<void(const QList<bool> &changed)> done);
    bool isChecking() const { return m_checking; }
    // What another script just read of list `index` (its own moves are then not news).
    void note(qsizetype index, qint64 length, const QByteArray &head);
    bool hasReading() const { return m_haveReading; }

private:
    QList<QByteArray> m_keys;
    QList<QByteArray> m_signatures;
    bool m_haveReading = false;
    bool m_checking = false;
};

} // namespace redrive::core
