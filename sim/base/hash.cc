#include "sim/base/hash.h"

#include <array>
#include <cstring>

namespace lvlab {
namespace {

constexpr std::array<uint32_t, 256> MakeCrcTable() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr auto kCrcTable = MakeCrcTable();

inline uint64_t Mix(uint64_t a, uint64_t b) {
  __uint128_t m = static_cast<__uint128_t>(a ^ 0xa0761d6478bd642fULL) * (b ^ 0xe7037ed1a0b428dbULL);
  return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
}

}  // namespace

uint32_t LvmCrc32(uint32_t initial, const void* data, size_t size) {
  const auto* p = static_cast<const uint8_t*>(data);
  uint32_t crc = initial;
  for (size_t i = 0; i < size; ++i) crc = kCrcTable[(crc ^ p[i]) & 0xff] ^ (crc >> 8);
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
