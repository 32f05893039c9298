// A Disk's background write-back (DiskOptions::background_writeback): the
// drive's own thread writes its oldest data back while writers go on.
#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sim/base/rng.h"
#include "sim/base/units.h"
#include "sim/store/disk.h"
#include "sim/store/temp_dir_test_util.h"

namespace lvlab::store {
namespace {

constexpr uint64_t kSectors = 4096;  // 2 MiB
constexpr uint64_t kMaxDirty = 256 << 10;

class DiskWriteBackTest : public TempDirTest {
 protected:
  std::unique_ptr<Disk> FileDisk(std::shared_ptr<PowerDomain> power = nullptr) {
    auto image = CreateFileImage(Path("pv0.img"), kSectors * kSectorSize);
    EXPECT_TRUE(image.ok()) << image.status().message();
    DiskOptions o;
    o.max_dirty_bytes = kMaxDirty;
    o.background_writeback = true;
    auto d = std::make_unique<Disk>("pv0", std::move(image).value(), o);
    if (power) d->set_power(std::move(power));
    return d;
  }
};

// Waits (up to 20 s) until the cache holds no more than three quarters of
// kMaxDirty plus one write of `record` bytes: the drive need not write back
// further (it drains to half once past three quarters).
bool Drained(Disk& d, uint64_t record) {
  for (int i = 0; i < 2000; ++i) {
    if (d.dirty_bytes() <= kMaxDirty / 4 * 3 + record) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

std::vector<uint8_t> Bytes(Disk& d, uint64_t sector, uint32_t n, bool image_only = false) {
  std::vector<uint8_t> out(n * kSectorSize);
  Status st = image_only ? d.image()->Read(sector * kSectorSize, out.data(), out.size())
                         : d.Read(sector, n, out.data());
  EXPECT_TRUE(st.ok()) << st.message();
  return out;
}

TEST_F(DiskWriteBackTest, DrainsTheCacheTowardsHalfAndLosesOnlyWhatItHolds) {
  auto d = FileDisk();
  constexpr uint32_t kWrite = 16;  // 8 KiB
  constexpr int kWrites = 64;      // 512 KiB: twice the cache's bound
  for (int i = 0; i < kWrites; ++i) {
    const std::vector<uint8_t> data(kWrite * kSectorSize, static_cast<uint8_t>(i + 1));
    ASSERT_TRUE(d->Write(uint64_t{kWrite} * i, kWrite, data.data(), false).ok());
  }
  ASSERT_TRUE(Drained(*d, kWrite * kSectorSize))
      << "the background write-back left " << d->dirty_bytes() << " bytes in a cache of "
      << kMaxDirty;
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  EXPECT_GE(d->dirty_bytes(), kMaxDirty / 2) << "the drive wrote back into the cache's newest half";
  // The oldest writes reached the image; the newest did not, but read back.
  EXPECT_EQ(Bytes(*d, 0, kWrite, true), std::vector<uint8_t>(kWrite * kSectorSize, 1));
  const uint64_t last = uint64_t{kWrite} * (kWrites - 1);
  EXPECT_EQ(Bytes(*d, last, kWrite, true), std::vector<uint8_t>(kWrite * kSectorSize, 0));
  EXPECT_EQ(Bytes(*d, last, kWrite), std::vector<uint8_t>(kWrite * kSectorSize, kWrites));
  // A power loss that keeps nothing loses only what the cache still held.
  Rng rng(1);
  d->Crash(LossPolicy::kAll, rng);
  EXPECT_EQ(Bytes(*d, 0, kWrite), std::vector<uint8_t>(kWrite * kSectorSize, 1));
  EXPECT_EQ(Bytes(*d, last, kWrite), std::vector<uint8_t>(kWrite * kSectorSize, 0));
}

// The torn write of a power cut stays in the cache for the crash to decide:
// the unpowered drive writes nothing back.
TEST_F(DiskWriteBackTest, LeavesATornWriteToTheCrash) {
  auto power = std::make_shared<PowerDomain>(7);
  auto d = FileDisk(power);
  power->CutAfterWrites(1);
  const std::vector<uint8_t> first(64 * kSectorSize, 1);
  ASSERT_TRUE(d->Write(0, 64, first.data(), false).ok());  // 32 KiB, under half
  const std::vector<uint8_t> big(kMaxDirty, 2);
  ASSERT_FALSE(d->Write(64, kMaxDirty / kSectorSize, big.data(), false).ok());
  const uint64_t dirty = d->dirty_bytes();
  ASSERT_GT(dirty, kMaxDirty / 2) << "this seed's torn write should keep most of it";
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(d->dirty_bytes(), dirty) << "the drive wrote back with the power off";
  EXPECT_EQ(Bytes(*d, 0, 64, true), std::vector<uint8_t>(64 * kSectorSize, 0));
  Rng rng(1);
  d->Crash(LossPolicy::kAll, rng);
  power->Restore();
  EXPECT_EQ(Bytes(*d, 0, 64), std::vector<uint8_t>(64 * kSectorSize, 0));
}

// Writers, FUA writers and discards on two threads while the drive writes
// back: every read returns what the last write or discard of each sector
// left, and so does the image after a flush. An older record landing over
// newer data (a FUA write, a discard) would break both.
TEST_F(DiskWriteBackTest, ConcurrentWritesFuaAndDiscardsAlwaysReadTheNewestData) {
  auto d = FileDisk();
  constexpr int kThreads = 2;
  constexpr uint64_t kSlice = kSectors / kThreads;  // each thread owns one slice
  std::vector<std::thread> threads;
  std::vector<std::string> failures(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Rng rng(100 + t);
      std::vector<uint8_t> model(kSlice, 0);  // the value of each sector of the slice
      const uint64_t base = kSlice * t;
      for (int op = 0; op < 4000 && failures[t].empty(); ++op) {
        const uint64_t n = 1 + rng.Uniform(256);
        const uint64_t at = rng.Uniform(kSlice - n + 1);
        const uint8_t v = static_cast<uint8_t>(1 + rng.Uniform(255));
        const uint64_t kind = rng.Uniform(10);
        Status st;
        if (kind == 0) {
          st = d->Discard(base + at, n);
          std::fill_n(model.begin() + at, n, 0);
        } else {
          const std::vector<uint8_t> data(n * kSectorSize, v);
          st = d->Write(base + at, n, data.data(), /*fua=*/kind <= 3);
          std::fill_n(model.begin() + at, n, v);
        }
        if (!st.ok()) failures[t] = st.message();
        // Read back a range around the change.
        const uint64_t from = at >= 8 ? at - 8 : 0;
        const uint64_t len = std::min<uint64_t>(n + 16, kSlice - from);
        std::vector<uint8_t> got(len * kSectorSize);
        if (Status r = d->Read(base + from, len, got.data()); !r.ok()) failures[t] = r.message();
        for (uint64_t s = 0; s < len && failures[t].empty(); ++s) {
          if (got[s * kSectorSize] != model[from + s]) {
            failures[t] = "op " + std::to_string(op) + ": sector " +
                          std::to_string(base + from + s) + " reads " +
                          std::to_string(got[s * kSectorSize]) + ", expected " +
                          std::to_string(model[from + s]);
          }
        }
      }
      if (!failures[t].empty()) return;
      // What the slice must hold once flushed.
      std::vector<uint8_t> expect(kSlice * kSectorSize);
      for (uint64_t s = 0; s < kSlice; ++s)
        std::fill_n(&expect[s * kSectorSize], kSectorSize, model[s]);
      if (Status f = d->Flush(); !f.ok()) failures[t] = f.message();
      std::vector<uint8_t> image(kSlice * kSectorSize);
      (void)d->image()->Read(base * kSectorSize, image.data(), image.size());
      if (image != expect) failures[t] = "the flushed image differs from the writes";
    });
  }
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(failures[t], "") << "thread " << t;
}

}  // namespace
}  // namespace lvlab::store
