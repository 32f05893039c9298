#include "sim/base/units.h"

#include <gtest/gtest.h>

namespace lvlab {
namespace {

TEST(Units, ParsesLvmSizes) {
  EXPECT_EQ(*ParseSizeBytes("100M", 'm'), 100 * kMiB);
  EXPECT_EQ(*ParseSizeBytes("4m", 'm'), 4 * kMiB);
  EXPECT_EQ(*ParseSizeBytes("1.5g", 'm'), 1536 * kMiB);
  EXPECT_EQ(*ParseSizeBytes("2048s", 'm'), 2048 * 512u);
  EXPECT_EQ(*ParseSizeBytes("12", 'm'), 12 * kMiB);
  EXPECT_EQ(*ParseSizeBytes("1T", 'm'), kTiB);
}

TEST(Units, RejectsBadSizes) {
  EXPECT_FALSE(ParseSizeBytes("", 'm').ok());
  EXPECT_FALSE(ParseSizeBytes("M", 'm').ok());
  EXPECT_FALSE(ParseSizeBytes("10x", 'm').ok());
  EXPECT_FALSE(ParseSizeBytes("10MB", 'm').ok());
  EXPECT_FALSE(ParseSizeBytes("99999999999999999999", 'm').ok());
}

TEST(Units, FormatsAsLvm) {
  EXPECT_EQ(FormatSize(4 * kMiB, 'h', true), "4.00m");
  EXPECT_EQ(FormatSize(kGiB, 'h', true), "1.00g");
  EXPECT_EQ(FormatSize(1020 * kMiB, 'h', true), "1020.00m");
  EXPECT_EQ(FormatSize(63999ULL * 4 * kMiB, 'h', true), "<250.00g");
  EXPECT_EQ(FormatSize(kGiB, 'm', true), "1024.00m");
  EXPECT_EQ(FormatSize(kGiB, 'm', false), "1024.00");
  EXPECT_EQ(FormatSize(kGiB, 'b', true), "1073741824B");
  EXPECT_EQ(FormatSize(kGiB, 's', false), "2097152");
  EXPECT_EQ(FormatSize(kGiB, 'G', true), "<1.08G");  // rounded up, SI
}

TEST(Units, SectorsCommentMatchesLvm) {
  EXPECT_EQ(SectorsComment(8192), "4 Megabytes");
  EXPECT_EQ(SectorsComment(2097152), "1024 Megabytes");
  EXPECT_EQ(SectorsComment(524288000), "250 Gigabytes");
  EXPECT_EQ(SectorsComment(63999ULL * 8192), "249.996 Gigabytes");
  EXPECT_EQ(SectorsComment(0), "0 Kilobytes");
}

}  // namespace
}  // namespace lvlab
