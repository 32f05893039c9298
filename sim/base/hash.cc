#include "sim/base/hash.h"

#include <array>
#include <cstring>

namespace lvlab {
namespace {

// Slicing-by-8 tables: kCrc[0] is the classic byte table, kCrc[k][i] the CRC
// of byte i followed by k zero bytes.
struct CrcTables {
  uint32_t t[8][256];
};
constexpr CrcTables MakeCrcTables() {
  CrcTables c{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t v = i;
    for (int k = 0; k < 8; ++k) v = (v & 1) ? 0xEDB88320u ^ (v >> 1) : v >> 1;
    c.t[0][i] = v;
  }
  for (uint32_t i = 0; i < 256; ++i) {
    for (int k = 1; k < 8; ++k) c.t[k][i] = (c.t[k - 1][i] >> 8) ^ c.t[0][c.t[k - 1][i] & 0xff];
  }
  return c;
}
constexpr CrcTables kCrc = MakeCrcTables();

inline uint64_t Mix(uint64_t a, uint64_t b) {
  __uint128_t m = static_cast<__uint128_t>(a ^ 0xa0761d6478bd642fULL) * (b ^ 0xe7037ed1a0b428dbULL);
  return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
}

}  // namespace

uint32_t LvmCrc32(uint32_t initial, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t crc = initial;
  for (; size >= 8; size -= 8, p += 8) {
    const uint32_t a = crc ^ (uint32_t{p[0]} | uint32_t{p[1]} << 8 | uint32_t{p[2]} << 16 |
                              uint32_t{p[3]} << 24);
    crc = kCrc.t[7][a & 0xff] ^ kCrc.t[6][(a >> 8) & 0xff] ^ kCrc.t[5][(a >> 16) & 0xff] ^
          kCrc.t[4][a >> 24] ^ kCrc.t[3][p[4]] ^ kCrc.t[2][p[5]] ^ kCrc.t[1][p[6]] ^
          kCrc.t[0][p[7]];
  }
  for (; size; --size) crc = kCrc.t[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
  return crc;
}

uint64_t Hash64(const void* data, size_t size, uint64_t seed) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint64_t h = seed ^ (size * 0x9e3779b97f4a7c15ULL);
  size_t i = 0;
  for (; i + 16 <= size; i += 16) {
    uint64_t a, b;
    std::memcpy(&a, p + i, 8);
    std::memcpy(&b, p + i + 8, 8);
    h = Mix(h ^ a, b ^ 0x8ebc6af09c88c6e3ULL);
  }
  uint64_t a = 0, b = 0;
  size_t rest = size - i;
  std::memcpy(&a, p + i, rest > 8 ? 8 : rest);
  if (rest > 8) std::memcpy(&b, p + i + 8, rest - 8);
  return Mix(Mix(h ^ a, b ^ 0x589965cc75374cc3ULL), size);
}

}  // namespace lvlab
