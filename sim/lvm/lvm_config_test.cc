#include "sim/lvm/lvm_config.h"

#include <gtest/gtest.h>

namespace lvlab::lvm {
namespace {

TEST(LvmConfigTest, DefaultsAreLvms) {
  LvmConfig c;
  EXPECT_EQ(c.mirror_image_fault_policy, "remove");
  EXPECT_EQ(c.mirror_log_fault_policy, "allocate");
  EXPECT_EQ(c.raid_fault_policy, "warn");
  EXPECT_EQ(c.Describe(), "");
}

TEST(LvmConfigTest, SectionAndPathForms) {
  LvmConfig c;
  ASSERT_TRUE(c.Apply("activation {\n  raid_fault_policy = \"allocate\"  # dmeventd\n}\n").ok());
  EXPECT_EQ(c.raid_fault_policy, "allocate");
  ASSERT_TRUE(c.Apply("activation/mirror_image_fault_policy=allocate").ok());
  EXPECT_EQ(c.mirror_image_fault_policy, "allocate");
  ASSERT_TRUE(c.Apply("activation/mirror_log_fault_policy = \"remove\"").ok());
  EXPECT_EQ(c.mirror_log_fault_policy, "remove");
  EXPECT_EQ(c.Describe(),
            "activation/mirror_image_fault_policy=allocate\n"
            "activation/mirror_log_fault_policy=remove\n"
            "activation/raid_fault_policy=allocate\n");
}

TEST(LvmConfigTest, RefusesUnknownSettingsAndValuesWithoutChanging) {
  LvmConfig c;
  Status st = c.Apply("activation/raid_fault_policy=allocate\nactivation/bogus=1");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("\"activation/bogus\" unknown"), std::string::npos);
  EXPECT_EQ(c.raid_fault_policy, "warn");  // nothing applied
  st = c.Apply("activation/raid_fault_policy=remove");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(st.message().find("takes warn, allocate, replace, not \"remove\""), std::string::npos);
  EXPECT_FALSE(c.Apply("activation/raid_fault_policy=").ok());
}

}  // namespace
}  // namespace lvlab::lvm
