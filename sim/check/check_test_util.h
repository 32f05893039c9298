// Test helpers for sim/check: a Rig (scheduler, trace, memory disks under a
// dm Kernel, an Oracle) that a test can build twice to compare runs; a
// SeededTest fixture that takes its seed from $SEED, prints it, and prints a
// line to reproduce a failure; and Faulty, a BlockDevice wrapper that records
// bios and can misdirect writes or ignore flushes. Test-only; not
// thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "sim/check/checkers.h"
#include "sim/check/oracle.h"
#include "sim/check/workload.h"
#include "sim/dm/kernel.h"
#include "sim/engine/scheduler.h"
#include "sim/engine/trace.h"
#include "sim/store/disk.h"
#include "sim/store/image_file.h"

namespace lvlab::check {

// The usual setup: lv0 is 4 MiB, linear at sector 2048 of the 8 MiB pv1.
inline constexpr uint64_t kDiskSectors = 16384;
inline constexpr uint64_t kLvSectors = 8192;
inline constexpr char kLinearTable[] = "0 8192 linear 7:1 2048";

// A disk with latency, bandwidth and a queue, so that time moves and I/Os
// overlap.
inline store::DiskOptions TimedDisk() {
  store::DiskOptions o;
  o.model.read_latency_ns = 80'000;
  o.model.write_latency_ns = 120'000;
  o.model.bandwidth_bytes_per_sec = 500'000'000;
  o.model.queue_depth = 16;
  return o;
}

inline WorkloadSpec Spec(WorkloadSpec::Pattern pattern, uint32_t write_percent, uint64_t max_ios) {
  WorkloadSpec s;
  s.lv = "lv0";
  s.pattern = pattern;
  s.iodepth = 8;
  s.write_percent = write_percent;
  s.max_ios = max_ios;
  return s;
}

// In front of another BlockDevice: records every bio as "write 64", and can
// misbehave: writes to [misdirect_from, misdirect_to) go to sector +
// misdirect_shift (mod 2^64), and with drop_flushes a flush is acknowledged
// without reaching the device (and PREFLUSH/FUA are stripped).
class Faulty : public dm::BlockDevice {
 public:
  Faulty(dm::BlockDevice* base, engine::Scheduler* sched) : base_(base), sched_(sched) {}
  void Submit(engine::Bio bio) override {
    using engine::Bio;
    log.push_back(std::string(engine::OpName(bio.op)) + " " + std::to_string(bio.sector));
    if (bio.op == Bio::Op::kWrite && bio.sector >= misdirect_from && bio.sector < misdirect_to) {
      bio.sector += misdirect_shift;
    }
    if (drop_flushes) {
      if (bio.op == Bio::Op::kFlush) {
        sched_->Post([done = std::move(bio.done)] { done(Status::Ok()); });
        return;
      }
      bio.flags &= ~(Bio::kPreflush | Bio::kFua);
    }
    base_->Submit(std::move(bio));
  }
  uint64_t size_sectors() const override { return base_->size_sectors(); }
  dm::DevNo devno() const override { return base_->devno(); }
  const std::string& name() const override { return base_->name(); }

  uint64_t misdirect_from = 0, misdirect_to = 0, misdirect_shift = 0;
  bool drop_flushes = false;
  std::vector<std::string> log;

 private:
  dm::BlockDevice* base_;
  engine::Scheduler* sched_;
};

struct Rig {
  explicit Rig(uint64_t seed) : oracle(seed) {}

  // Adds a memory disk pv<minor> as 7:<minor>, minors from 1.
  store::Disk* AddDisk(uint64_t sectors, store::DiskOptions options = {}) {
    const auto minor = static_cast<uint32_t>(disks.size() + 1);
    disks.push_back(std::make_unique<store::Disk>(
        "pv" + std::to_string(minor), store::NewMemImage(sectors * kSectorSize), options));
    kernel.AddDisk(disks.back().get(), minor);
    return disks.back().get();
  }

  // Creates `name` with `table` live; returns the device (null on error,
  // which fails the test).
  dm::BlockDevice* Activate(const std::string& name, const std::string& table) {
    Status st = kernel.Create(name, "").status();
    if (st.ok()) st = kernel.Load(name, table);
    if (st.ok()) st = kernel.Resume(name);
    EXPECT_TRUE(st.ok()) << st.message();
    return st.ok() ? kernel.Find(name) : nullptr;
  }

  // Oracle::CheckAll reading each LV through the dm device of the same name.
  Status CheckAll() {
    return oracle.CheckAll(
        [this](const std::string& lv, uint64_t sector, uint64_t n, uint8_t* out) {
          dm::BlockDevice* dev = kernel.Find(lv);
          if (dev == nullptr) return NotFound(lv + ": no such device");
          return ReadSync(dev, sector, n, out, sched);
        });
  }

  // Runs until the workload is done; false if the scheduler ran dry first.
  bool RunToDone(const Workload& w) {
    return sched.RunUntil([&] { return w.done(); });
  }

  engine::Scheduler sched;
  engine::Trace trace{&sched};
  std::vector<std::unique_ptr<store::Disk>> disks;  // outlive the kernel
  dm::Kernel kernel{sched, &trace};
  Oracle oracle;
};

// A test whose randomness derives from seed_: $SEED if set, else a fixed
// default, so CI is reproducible and a failure can be replayed.
class SeededTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const char* env = std::getenv("SEED");
    seed_ = env != nullptr ? std::strtoull(env, nullptr, 0) : kDefaultSeed;
    std::printf("SEED=%llu\n", static_cast<unsigned long long>(seed_));
  }
  void TearDown() override {
    if (!HasFailure()) return;
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::printf("reproduce: SEED=%llu ./build-check/sim/check/check_test --gtest_filter=%s.%s\n",
                static_cast<unsigned long long>(seed_), info->test_suite_name(), info->name());
  }

  static constexpr uint64_t kDefaultSeed = 20240601;
  uint64_t seed_ = kDefaultSeed;
};

}  // namespace lvlab::check
