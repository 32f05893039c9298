#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "sim/base/change_clock.h"
#include "sim/dm/builtin_targets.h"
#include "sim/dm/test_util.h"

namespace lvlab::dm {
namespace {

class TargetsTest : public DmTest {
 protected:
  // Collects the disk bios seen while trace_io is on, as "pv1 write 8+8 FUA".
  void RecordDiskBios() {
    kernel_.set_trace_io(true);
    trace_.Subscribe([this](std::string_view type, const std::string& line) {
      if (type != "bio-submit") return;
      disk_bios_.push_back(line);
    });
  }
  std::vector<std::string> disk_bios_;
};

TEST_F(TargetsTest, BuiltinTypesAreRegistered) {
  const std::vector<std::string> types = TargetTypes();
  for (const char* t : {"error", "linear", "striped", "zero"}) {
    EXPECT_NE(std::find(types.begin(), types.end(), t), types.end()) << t;
  }
  EXPECT_TRUE(std::is_sorted(types.begin(), types.end()));
  EXPECT_EQ(FindTarget("no-such-target"), nullptr);
}

TEST_F(TargetsTest, LinearMapsToTheRightSectorsOfTheRightDisks) {
  AddDisk(4096);
  AddDisk(4096);
  Activate("vg-lv", "0 100 linear 7:1 2048\n100 100 linear pv2 8");
  const std::vector<uint8_t> data = Pattern(1, 200);
  ASSERT_TRUE(Write("vg-lv", 0, data).ok());
  EXPECT_EQ(DiskSectors(0, 2048, 100), Slice(data, 0, 100));
  EXPECT_EQ(DiskSectors(1, 8, 100), Slice(data, 100, 100));
  EXPECT_EQ(DiskSectors(1, 0, 8), std::vector<uint8_t>(8 * kSectorSize, 0));  // untouched
  std::vector<uint8_t> back;
  ASSERT_TRUE(Read("vg-lv", 90, 20, &back).ok());
  EXPECT_EQ(back, Slice(data, 90, 20));
  // The device name printed back is major:minor, even when given by name.
  EXPECT_EQ(*kernel_.Table("vg-lv"), "0 100 linear 7:1 2048\n100 100 linear 7:2 8");
}

TEST_F(TargetsTest, ChangedSinceFollowsLinearTablesToTheDisks) {
  AddDisk(4096);
  AddDisk(4096);
  Activate("vg-lv", "0 100 linear 7:1 2048\n100 100 linear pv2 8");
  Activate("vg-top", "0 200 linear vg-lv 0");
  BlockDevice* top = kernel_.Resolve("vg-top");
  const uint64_t t0 = ChangeStampNow();
  EXPECT_FALSE(top->ChangedSince(t0, 0, 200));
  ASSERT_TRUE(Write("pv2", 8 + 50, Pattern(1, 2)).ok());  // under top's sectors 150..151
  EXPECT_TRUE(top->ChangedSince(t0, 0, 200));
  EXPECT_TRUE(top->ChangedSince(t0, 151, 152));
  EXPECT_FALSE(top->ChangedSince(t0, 0, 150));
  EXPECT_FALSE(top->ChangedSince(t0, 152, 200));
  ASSERT_TRUE(Write("pv1", 0, Pattern(2, 8)).ok());  // outside the tables
  EXPECT_FALSE(top->ChangedSince(t0, 0, 150));
  // A table swapped below changes everything above it.
  const uint64_t t1 = ChangeStampNow();
  ASSERT_TRUE(kernel_.Suspend("vg-lv").ok());
  ASSERT_TRUE(kernel_.Load("vg-lv", "0 200 linear 7:1 2048").ok());
  ASSERT_TRUE(kernel_.Resume("vg-lv").ok());
  EXPECT_TRUE(top->ChangedSince(t1, 0, 1));
  // A target with state of its own does not answer.
  Activate("vg-zero", "0 64 zero");
  EXPECT_TRUE(kernel_.Resolve("vg-zero")->ChangedSince(ChangeStampNow(), 0, 64));
}

TEST_F(TargetsTest, LinearPassesFlushAndKeepsFua) {
  AddDisk(1024);
  Activate("lv", "0 512 linear 7:1 100");
  RecordDiskBios();
  std::vector<uint8_t> data = Pattern(2, 4);
  ASSERT_TRUE(Write("lv", 10, data, Bio::kPreflush | Bio::kFua).ok());
  ASSERT_EQ(disk_bios_.size(), 2u);
  EXPECT_NE(disk_bios_[0].find("\"op\":\"flush\""), std::string::npos) << disk_bios_[0];
  EXPECT_NE(disk_bios_[1].find("\"op\":\"write\",\"sector\":110,\"nsectors\":4,\"flags\":\"FUA\""),
            std::string::npos)
      << disk_bios_[1];
  EXPECT_EQ(disks_[0]->stats().flushes, 1u);
}

TEST_F(TargetsTest, LinearArgumentErrors) {
  AddDisk(1024);
  ASSERT_TRUE(kernel_.Create("lv", "").ok());
  EXPECT_EQ(kernel_.Load("lv", "0 10 linear 7:1").code(), Code::kInvalidArgument);
  EXPECT_EQ(kernel_.Load("lv", "0 10 linear 7:1 x12").code(), Code::kInvalidArgument);
  EXPECT_EQ(kernel_.Load("lv", "0 10 linear 7:1 -1").code(), Code::kInvalidArgument);
  EXPECT_EQ(kernel_.Load("lv", "0 10 linear 7:9 0").code(), Code::kNotFound);
  EXPECT_EQ(kernel_.Load("lv", "0 10 linear lv 0").code(), Code::kInvalidArgument);  // itself
}

TEST_F(TargetsTest, StripedMapsChunksRoundRobin) {
  AddDisk(1024);
  AddDisk(1024);
  // 2 stripes of 8-sector chunks, 64 sectors: 32 per stripe.
  Activate("st", "0 64 striped 2 8 7:1 0 7:2 100");
  const std::vector<uint8_t> data = Pattern(3, 64);
  ASSERT_TRUE(Write("st", 0, data).ok());
  for (uint64_t chunk = 0; chunk < 8; ++chunk) {
    const int disk = static_cast<int>(chunk % 2);
    const uint64_t base = disk == 0 ? 0 : 100;
    EXPECT_EQ(DiskSectors(disk, base + (chunk / 2) * 8, 8), Slice(data, chunk * 8, 8))
        << "chunk " << chunk;
  }
  std::vector<uint8_t> back;
  ASSERT_TRUE(Read("st", 5, 40, &back).ok());
  EXPECT_EQ(back, Slice(data, 5, 40));
  EXPECT_EQ(*kernel_.Table("st"), "0 64 striped 2 8 7:1 0 7:2 100");
  EXPECT_EQ(*kernel_.StatusLines("st"), "0 64 striped 2 7:1 7:2 1 AA");
}

TEST_F(TargetsTest, StripedSplitsAtChunkBoundaries) {
  AddDisk(1024);
  AddDisk(1024);
  AddDisk(1024);
  Activate("st", "0 96 striped 3 8 7:1 0 7:2 0 7:3 0");  // non power-of-two stripes
  RecordDiskBios();
  // Sectors 6..22 cross two chunk boundaries: 6-7 (stripe 0), 8-15 (1), 16-21 (2).
  ASSERT_TRUE(Write("st", 6, Pattern(4, 16)).ok());
  ASSERT_EQ(disk_bios_.size(), 3u);
  EXPECT_NE(disk_bios_[0].find("\"dev\":\"pv1\",\"op\":\"write\",\"sector\":6,\"nsectors\":2"),
            std::string::npos)
      << disk_bios_[0];
  EXPECT_NE(disk_bios_[1].find("\"dev\":\"pv2\",\"op\":\"write\",\"sector\":0,\"nsectors\":8"),
            std::string::npos)
      << disk_bios_[1];
  EXPECT_NE(disk_bios_[2].find("\"dev\":\"pv3\",\"op\":\"write\",\"sector\":0,\"nsectors\":6"),
            std::string::npos)
      << disk_bios_[2];
  // Chunk 3 (sectors 24..31) is stripe 0, row 1.
  ASSERT_TRUE(Write("st", 24, Pattern(5, 8)).ok());
  EXPECT_EQ(DiskSectors(0, 8, 8), Pattern(5, 8));
}

TEST_F(TargetsTest, StripedFlushGoesToEveryStripe) {
  AddDisk(1024);
  AddDisk(1024);
  Activate("st", "0 64 striped 2 16 7:1 0 7:2 0");
  ASSERT_TRUE(Io(kernel_.Find("st"), Bio::Op::kFlush, 0, 0, nullptr).ok());
  EXPECT_EQ(disks_[0]->stats().flushes, 1u);
  EXPECT_EQ(disks_[1]->stats().flushes, 1u);
}

TEST_F(TargetsTest, StripedArgumentErrors) {
  AddDisk(1024);
  AddDisk(1024);
  ASSERT_TRUE(kernel_.Create("st", "").ok());
  auto load = [&](const std::string& t) { return kernel_.Load("st", t); };
  EXPECT_EQ(load("0 64 striped 2").code(), Code::kInvalidArgument);
  EXPECT_EQ(load("0 64 striped 0 8").code(), Code::kInvalidArgument);
  EXPECT_EQ(load("0 64 striped 2 0 7:1 0 7:2 0").code(), Code::kInvalidArgument);
  EXPECT_EQ(load("0 63 striped 2 8 7:1 0 7:2 0").code(), Code::kInvalidArgument);
  EXPECT_EQ(load("0 68 striped 2 8 7:1 0 7:2 0").code(), Code::kInvalidArgument);
  EXPECT_EQ(load("0 64 striped 2 8 7:1 0").code(), Code::kInvalidArgument);
  EXPECT_EQ(load("0 64 striped 2 8 7:1 0 7:2 zz").code(), Code::kInvalidArgument);
  Status st = load("0 63 striped 2 8 7:1 0 7:2 0");
  EXPECT_NE(st.message().find("not divisible by number of stripes"), std::string::npos)
      << st.message();
  // The kernel accepts chunks that are not powers of two.
  EXPECT_TRUE(load("0 60 striped 2 6 7:1 0 7:2 0").ok());
}

TEST_F(TargetsTest, StripedCountsErrorsPerStripeAndRaisesEvents) {
  AddDisk(1024);
  AddDisk(1024);
  Activate("st", "0 64 striped 2 8 7:1 0 7:2 0");
  disks_[1]->SetFailed(true);
  std::vector<uint8_t> buf;
  EXPECT_TRUE(Read("st", 0, 8, &buf).ok());                  // stripe 0
  EXPECT_EQ(Read("st", 8, 8, &buf).code(), Code::kIOError);  // stripe 1
  EXPECT_EQ(*kernel_.StatusLines("st"), "0 64 striped 2 7:1 7:2 1 AD");
  EXPECT_EQ(kernel_.Find("st")->event_nr(), 1u);
}

TEST_F(TargetsTest, ErrorTargetFailsIoButNotFlushes) {
  Activate("err", "0 100 error");
  std::vector<uint8_t> buf;
  EXPECT_EQ(Read("err", 0, 8, &buf).code(), Code::kIOError);
  EXPECT_EQ(Write("err", 8, Pattern(1, 8)).code(), Code::kIOError);
  BlockDevice* dev = kernel_.Find("err");
  EXPECT_EQ(Io(dev, Bio::Op::kDiscard, 0, 50, nullptr).code(), Code::kIOError);
  EXPECT_TRUE(Io(dev, Bio::Op::kFlush, 0, 0, nullptr).ok());
  // The preflush succeeds, the data part fails.
  EXPECT_EQ(Write("err", 8, Pattern(1, 8), Bio::kPreflush).code(), Code::kIOError);
  EXPECT_EQ(*kernel_.Table("err"), "0 100 error");
  EXPECT_EQ(*kernel_.StatusLines("err"), "0 100 error");
  ASSERT_TRUE(kernel_.Create("e2", "").ok());
  EXPECT_EQ(kernel_.Load("e2", "0 10 error 7:1").code(), Code::kInvalidArgument);
}

TEST_F(TargetsTest, ZeroTargetReadsZerosAndDropsWrites) {
  Activate("z", "0 100 zero");
  std::vector<uint8_t> buf;
  ASSERT_TRUE(Read("z", 3, 5, &buf).ok());
  EXPECT_EQ(buf, std::vector<uint8_t>(5 * kSectorSize, 0));
  EXPECT_TRUE(Write("z", 3, Pattern(9, 5), Bio::kPreflush | Bio::kFua).ok());
  ASSERT_TRUE(Read("z", 3, 5, &buf).ok());
  EXPECT_EQ(buf, std::vector<uint8_t>(5 * kSectorSize, 0));
  BlockDevice* dev = kernel_.Find("z");
  EXPECT_TRUE(Io(dev, Bio::Op::kDiscard, 0, 100, nullptr).ok());
  EXPECT_TRUE(Io(dev, Bio::Op::kFlush, 0, 0, nullptr).ok());
  EXPECT_EQ(*kernel_.StatusLines("z"), "0 100 zero");
  ASSERT_TRUE(kernel_.Create("z2", "").ok());
  EXPECT_EQ(kernel_.Load("z2", "0 10 zero 1").code(), Code::kInvalidArgument);
}

TEST_F(TargetsTest, MixedTableSplitsAtTargetBoundaries) {
  AddDisk(1024);
  Activate("mix", "0 10 linear 7:1 0\n10 10 zero\n20 10 linear 7:1 500");
  const std::vector<uint8_t> data = Pattern(6, 30);
  ASSERT_TRUE(Write("mix", 0, data).ok());
  std::vector<uint8_t> back;
  ASSERT_TRUE(Read("mix", 0, 30, &back).ok());
  EXPECT_EQ(Slice(back, 0, 10), Slice(data, 0, 10));
  EXPECT_EQ(Slice(back, 10, 10), std::vector<uint8_t>(10 * kSectorSize, 0));
  EXPECT_EQ(Slice(back, 20, 10), Slice(data, 20, 10));
  EXPECT_EQ(DiskSectors(0, 500, 10), Slice(data, 20, 10));
}

TEST_F(TargetsTest, ThroughputOfBiosThroughAStack) {
  AddDisk(1 << 16);
  Activate("lv", "0 32768 linear 7:1 0");
  Activate("top", "0 32768 linear lv 0");
  BlockDevice* top = kernel_.Find("top");
  std::vector<uint8_t> buf(8 * kSectorSize, 7);
  constexpr uint64_t kBios = 200'000;
  uint64_t done = 0;
  const uint64_t events_before = sched_.events_run();
  const auto start = std::chrono::steady_clock::now();
  for (uint64_t i = 0; i < kBios; ++i) {
    top->Submit(Bio{Bio::Op::kWrite, (i * 8) % 32768, 8, 0, buf.data(),
                    [&done](Status st) { done += st.ok() ? 1 : 0; }});
    if (i % 64 == 63) sched_.RunUntilIdle();
  }
  sched_.RunUntilIdle();
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(done, kBios);
  std::printf("[ perf ] %.0f k 4KiB writes/s through two linear layers (%.2f events/bio)\n",
              kBios / secs / 1e3, static_cast<double>(sched_.events_run() - events_before) / kBios);
}

}  // namespace
}  // namespace lvlab::dm
