// SPDX-License-Identifier: MIT
#include "core/redis/redishashslot.h"

#include <array>
#include <cstdint>

namespace redrive::core {

namespace {
// CRC16-CCITT as Redis Cluster uses it (XMODEM: polynomial 0x1021, initial value 0, no
// reflection), one table entry per byte value.
constexpr std::array<std::uint16_t, 256> makeCrcTable()
{
    std::array<std::uint16_t, 256> table {};
    for (unsigned byte = 0; byte < 256; ++byte) {
        std::uint16_t crc = std::uint16_t(byte << 8);
        for (int bit = 0; bit < 8; ++bit)
            crc = (crc & 0x8000) ? std::uint16_t((crc << 1) ^ 0x1021) : std::uint16_t(crc << 1);
        table[byte] = crc;
    }
    return table;
}
constexpr std::array<std::uint16_t, 256> CrcTable = makeCrcTable();

std::uint16_t crc16(QByteArrayView bytes)
{
    std::uint16_t crc = 0;
    for (const char c : bytes)
        crc = std::uint16_t((crc << 8) ^ CrcTable[((crc >> 8) ^ std::uint8_t(c)) & 0xff]);
    return crc;
}
} // namespace

QByteArrayView redisHashTag(QByteArrayView key)
{
    const qsizetype open = key.indexOf('{');
    if (open < 0)
        return key;
    const qsizetype close = key.indexOf('}', open + 1);
    if (close < 0 || close == open + 1)
        return key;
    return key.sliced(open + 1, close - open - 1);
}

bool redisHasHashTag(QByteArrayView key)
{
    return redisHashTag(key).size() != key.size();
}

int redisHashSlot(QByteArrayView key)
{
    return crc16(redisHashTag(key)) % RedisClusterSlots;
}

} // namespace redrive::core
