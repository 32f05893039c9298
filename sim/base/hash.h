// Checksums and hashes.
//
// LvmCrc32 is LVM2's calc_crc(): CRC-32 (polynomial 0xEDB88320, reflected)
// with no final inversion, seeded with LVM's INITIAL_CRC 0xf597a6cf; it guards
// PV labels, metadata area headers and metadata text. Hash64 is a fast,
// portable 64-bit hash for trace and oracle fingerprints (not cryptographic).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace lvlab {

inline constexpr uint32_t kLvmInitialCrc = 0xf597a6cf;

uint32_t LvmCrc32(uint32_t initial, const void* data, size_t size);

uint64_t Hash64(const void* data, size_t size, uint64_t seed = 0);
inline uint64_t Hash64(std::string_view s, uint64_t seed = 0) {
  return Hash64(s.data(), s.size(), seed);
}

}  // namespace lvlab
