#include "sim/base/status.h"

#include <gtest/gtest.h>

namespace lvlab {
namespace {

Result<int> Half(int x) {
  if (x % 2) return InvalidArgument("odd");
  return x / 2;
}

Status UseHalf(int x, int* out) {
  LVLAB_ASSIGN_OR_RETURN(*out, Half(x));
  return Status::Ok();
}

TEST(Status, ResultCarriesValueOrError) {
  EXPECT_EQ(*Half(4), 2);
  EXPECT_FALSE(Half(3).ok());
  EXPECT_EQ(Half(3).status().code(), Code::kInvalidArgument);
  int v = 0;
  EXPECT_TRUE(UseHalf(8, &v).ok());
  EXPECT_EQ(v, 4);
  Status s = UseHalf(5, &v);
  EXPECT_EQ(s.message(), "odd");
  EXPECT_EQ(s.WithContext("pv1").message(), "pv1: odd");
}

TEST(StatusDeathTest, CheckAborts) {
  EXPECT_DEATH(LVLAB_CHECK(1 == 2) << "boom", "LVLAB_CHECK failed: 1 == 2 boom");
}

}  // namespace
}  // namespace lvlab
