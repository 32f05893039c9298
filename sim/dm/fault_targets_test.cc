// flakey, delay and dust: the kernel's fault-injection targets.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/dm/test_util.h"

namespace lvlab::dm {
namespace {

constexpr uint64_t kSecond = 1'000'000'000;

class FaultTargetsTest : public DmTest {
 protected:
  // Lets virtual time reach t.
  void AdvanceTo(uint64_t t) {
    sched_.At(t, [] {});
    sched_.RunUntilIdle();
  }
};

TEST_F(FaultTargetsTest, FlakeyIsLinearWhileUpAndFailsEverythingWhileDown) {
  AddDisk(4096);
  Activate("f", "0 1024 flakey 7:1 100 2 1");
  EXPECT_EQ(*kernel_.Table("f"), "0 1024 flakey 7:1 100 2 1 0");
  const std::vector<uint8_t> data = Pattern(1, 8);
  ASSERT_TRUE(Write("f", 0, data).ok());
  EXPECT_EQ(DiskSectors(0, 100, 8), data);
  AdvanceTo(2 * kSecond + 1);  // down from 2 s to 3 s
  std::vector<uint8_t> back;
  EXPECT_FALSE(Read("f", 0, 8, &back).ok());
  EXPECT_FALSE(Write("f", 8, Pattern(2, 8)).ok());
  EXPECT_TRUE(Io(kernel_.Resolve("f"), Bio::Op::kFlush, 0, 0, nullptr).ok());  // flushes pass
  AdvanceTo(3 * kSecond);                                                      // up again
  ASSERT_TRUE(Read("f", 0, 8, &back).ok());
  EXPECT_EQ(back, data);
}

TEST_F(FaultTargetsTest, FlakeyDropWritesAcknowledgesAndLoses) {
  AddDisk(4096);
  Activate("f", "0 1024 flakey 7:1 0 0 5 1 drop_writes");
  EXPECT_EQ(*kernel_.Table("f"), "0 1024 flakey 7:1 0 0 5 1 drop_writes");
  ASSERT_TRUE(Write("f", 0, Pattern(3, 8)).ok());
  EXPECT_EQ(DiskSectors(0, 0, 8), std::vector<uint8_t>(8 * kSectorSize, 0));
  std::vector<uint8_t> back;
  EXPECT_TRUE(Read("f", 0, 8, &back).ok());  // reads are served
}

TEST_F(FaultTargetsTest, FlakeyCorruptsTheNthByteOfWritesWithoutTouchingTheCaller) {
  AddDisk(4096);
  Activate("f", "0 1024 flakey 7:1 0 0 5 5 corrupt_bio_byte 3 w 255 0");
  EXPECT_EQ(*kernel_.Table("f"), "0 1024 flakey 7:1 0 0 5 5 corrupt_bio_byte 3 w 255 0");
  std::vector<uint8_t> data = Pattern(4, 2);
  const std::vector<uint8_t> sent = data;
  ASSERT_TRUE(Io(kernel_.Resolve("f"), Bio::Op::kWrite, 0, 2, data.data()).ok());
  EXPECT_EQ(data, sent);
  std::vector<uint8_t> want = sent;
  want[2] = 255;
  EXPECT_EQ(DiskSectors(0, 0, 2), want);
}

TEST_F(FaultTargetsTest, FlakeyCorruptsReadsAfterTheyComplete) {
  AddDisk(4096);
  Activate("f", "0 1024 flakey 7:1 0 0 5 5 corrupt_bio_byte 1 r 7 0");
  const std::vector<uint8_t> data = Pattern(5, 1);
  ASSERT_TRUE(disks_[0]->Write(0, 1, data.data(), false).ok());
  std::vector<uint8_t> back;
  ASSERT_TRUE(Read("f", 0, 1, &back).ok());
  EXPECT_EQ(back[0], 7);
  EXPECT_EQ(DiskSectors(0, 0, 1), data);  // the stored data is intact
}

TEST_F(FaultTargetsTest, FlakeyArgumentErrors) {
  AddDisk(1024);
  ASSERT_TRUE(kernel_.Create("f", "").ok());
  for (const char* bad :
       {"0 8 flakey 7:1 0 1", "0 8 flakey 7:1 0 0 0", "0 8 flakey 7:1 0 1 1 2 drop_writes",
        "0 8 flakey 7:1 0 1 1 1 frobnicate", "0 8 flakey 7:1 0 1 1 5 corrupt_bio_byte 0 w 1 0",
        "0 8 flakey 7:1 0 1 1 2 drop_writes error_writes"}) {
    EXPECT_FALSE(kernel_.Load("f", bad).ok()) << bad;
  }
}

TEST_F(FaultTargetsTest, DelayHoldsBiosForTheirClassDelay) {
  AddDisk(4096);
  Activate("d", "0 1024 delay 7:1 0 10 7:1 0 50");
  EXPECT_EQ(*kernel_.Table("d"), "0 1024 delay 7:1 0 10 7:1 0 50");
  std::vector<uint8_t> data = Pattern(6, 1);  // lives until the bio completes
  auto w = Start(kernel_.Resolve("d"), Bio::Op::kWrite, 0, 1, data.data());
  EXPECT_EQ(*kernel_.StatusLines("d"), "0 1024 delay 0 1");
  ASSERT_TRUE(sched_.RunUntil([&] { return w->has_value(); }));
  EXPECT_GE(sched_.now_ns(), 50'000'000u);
  const uint64_t t0 = sched_.now_ns();
  std::vector<uint8_t> back;
  ASSERT_TRUE(Read("d", 0, 1, &back).ok());
  EXPECT_GE(sched_.now_ns() - t0, 10'000'000u);
  EXPECT_LT(sched_.now_ns() - t0, 50'000'000u);
}

TEST_F(FaultTargetsTest, DelaySuspendSendsHeldBiosOnAtOnce) {
  AddDisk(4096);
  Activate("d", "0 1024 delay 7:1 0 1000");
  std::vector<uint8_t> data = Pattern(7, 1);
  auto w = Start(kernel_.Resolve("d"), Bio::Op::kWrite, 0, 1, data.data());
  ASSERT_TRUE(kernel_.Suspend("d").ok());
  EXPECT_TRUE(w->has_value());
  EXPECT_LT(sched_.now_ns(), 1'000'000'000u);
  EXPECT_EQ(DiskSectors(0, 0, 1), data);
}

TEST_F(FaultTargetsTest, DustFailsReadsOfBadBlocksOnlyWhenEnabled) {
  AddDisk(4096);
  Activate("u", "0 1024 dust 7:1 0 4096");
  EXPECT_EQ(*kernel_.StatusLines("u"), "0 1024 dust 7:1 bypass verbose");
  ASSERT_TRUE(kernel_.Message("u", 0, {"addbadblock", "3"}).ok());
  EXPECT_FALSE(kernel_.Message("u", 0, {"addbadblock", "3"}).ok());  // already there
  std::vector<uint8_t> back;
  EXPECT_TRUE(Read("u", 24, 8, &back).ok());  // bypass
  ASSERT_TRUE(kernel_.Message("u", 0, {"enable"}).ok());
  EXPECT_EQ(*kernel_.StatusLines("u"), "0 1024 dust 7:1 fail_read_on_bad_block verbose");
  EXPECT_FALSE(Read("u", 24, 8, &back).ok());
  EXPECT_FALSE(Read("u", 20, 8, &back).ok());  // touches block 3
  EXPECT_TRUE(Read("u", 16, 8, &back).ok());
  std::string reply;
  ASSERT_TRUE(kernel_.Message("u", 0, {"countbadblocks"}, &reply).ok());
  EXPECT_EQ(reply, "countbadblocks: 1 badblock(s) found");
  // A write remaps the block: it is good again.
  ASSERT_TRUE(Write("u", 24, Pattern(8, 8)).ok());
  EXPECT_TRUE(Read("u", 24, 8, &back).ok());
  ASSERT_TRUE(kernel_.Message("u", 0, {"queryblock", "3"}, &reply).ok());
  EXPECT_EQ(reply, "3 is not bad");
  EXPECT_FALSE(kernel_.Load("u", "0 1024 dust 7:1 0 1000").ok());  // not a power of two
}

}  // namespace
}  // namespace lvlab::dm
