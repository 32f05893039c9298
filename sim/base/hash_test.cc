#include "sim/base/hash.h"

#include <gtest/gtest.h>

#include <string>

namespace lvlab {
namespace {

TEST(Hash, LvmCrcIsStandardCrc32WithoutInversion) {
  // Standard CRC-32 of "123456789" is 0xCBF43926 = ~crc(~0, data).
  const std::string s = "123456789";
  EXPECT_EQ(~LvmCrc32(0xffffffffu, s.data(), s.size()), 0xCBF43926u);
  EXPECT_NE(LvmCrc32(kLvmInitialCrc, s.data(), s.size()), LvmCrc32(0, s.data(), s.size()));
}

TEST(Hash, Hash64SeparatesInputs) {
  EXPECT_EQ(Hash64("abc"), Hash64("abc"));
  EXPECT_NE(Hash64("abc"), Hash64("abd"));
  EXPECT_NE(Hash64(""), Hash64(std::string(1, '\0')));
  EXPECT_NE(Hash64("abc", 1), Hash64("abc", 2));
  std::string a(4096, 'x'), b = a;
  b[4095] = 'y';
  EXPECT_NE(Hash64(a), Hash64(b));
}

}  // namespace
}  // namespace lvlab

namespace lvlab {
namespace {

uint32_t BytewiseCrc(uint32_t crc, const uint8_t* p, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    crc ^= p[i];
    for (int k = 0; k < 8; ++k) crc = (crc & 1) ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
  }
  return crc;
}

TEST(Hash, SlicedCrcMatchesBytewiseAtEveryLengthAndOffset) {
  uint8_t buf[300];
  for (size_t i = 0; i < sizeof buf; ++i) buf[i] = static_cast<uint8_t>(i * 131 + 7);
  for (size_t off = 0; off < 8; ++off) {
    for (size_t len = 0; len + off <= sizeof buf; len += 7) {
      ASSERT_EQ(LvmCrc32(kLvmInitialCrc, buf + off, len), BytewiseCrc(kLvmInitialCrc, buf + off, len))
          << off << "+" << len;
    }
  }
}

}  // namespace
}  // namespace lvlab
