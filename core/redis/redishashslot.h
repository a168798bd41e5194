// SPDX-License-Identifier: MIT
#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace redrive::core {

// Redis Cluster's key distribution: 16384 hash slots, a key's slot is CRC16 (XMODEM) of its
// hash tag modulo 16384.
constexpr int RedisClusterSlots = 16384;

// The part of `key` Redis Cluster hashes: the text between the first '{' and the first '}'
// after it when that is not empty, else the whole key.
QByteArrayView redisHashTag(QByteArrayView key);

// Whether `key` has a hash tag of its own (a non-empty `{...}`): keys with the same tag share a
// slot, whatever follows.
bool redisHasHashTag(QByteArrayView key);

// The hash slot of `key`, 0-16383.
int redisHashSlot(QByteArrayView key);

} // namespace redrive::core
