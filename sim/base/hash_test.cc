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
