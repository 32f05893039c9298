// Test helpers for sim/dm unit tests: a fixture with a scheduler, a trace,
// memory-backed disks attached to a Kernel as 7:1, 7:2, ..., and synchronous
// I/O helpers that submit a bio and run the scheduler until it completes.
// Test-only; not thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/dm/kernel.h"
#include "sim/engine/bio.h"
#include "sim/engine/scheduler.h"
#include "sim/engine/trace.h"
#include "sim/store/disk.h"
#include "sim/store/image_file.h"

namespace lvlab::dm {

using engine::Bio;

class DmTest : public ::testing::Test {
 protected:
  // Adds a memory disk named pv<minor> as 7:<minor>, minors from 1.
  store::Disk* AddDisk(uint64_t sectors, store::DiskModel model = {}, bool volatile_cache = true,
                       uint64_t max_dirty_bytes = store::DiskOptions{}.max_dirty_bytes) {
    store::DiskOptions options;
    options.model = model;
    options.volatile_cache = volatile_cache;
    options.max_dirty_bytes = max_dirty_bytes;
    const auto minor = static_cast<uint32_t>(disks_.size() + 1);
    disks_.push_back(std::make_unique<store::Disk>(
        "pv" + std::to_string(minor), store::NewMemImage(sectors * kSectorSize), options));
    kernel_.AddDisk(disks_.back().get(), minor);
    return disks_.back().get();
  }

  // Creates `name`, loads `table` and resumes it; fails the test on error.
  void Activate(const std::string& name, const std::string& table) {
    ASSERT_TRUE(kernel_.Create(name, "").ok());
    Status st = kernel_.Load(name, table);
    ASSERT_TRUE(st.ok()) << st.message();
    st = kernel_.Resume(name);
    ASSERT_TRUE(st.ok()) << st.message();
  }

  // Submits and returns a pointer set once the bio completes.
  std::shared_ptr<std::optional<Status>> Start(BlockDevice* dev, Bio::Op op, uint64_t sector,
                                               uint64_t n, uint8_t* data, uint32_t flags = 0) {
    auto result = std::make_shared<std::optional<Status>>();
    dev->Submit(Bio{op, sector, n, flags, data, [result](Status st) {
                      EXPECT_FALSE(result->has_value()) << "bio completed twice";
                      *result = std::move(st);
                    }});
    EXPECT_FALSE(result->has_value()) << "bio completed inline";
    return result;
  }

  // Submits and runs the scheduler until the bio completes.
  Status Io(BlockDevice* dev, Bio::Op op, uint64_t sector, uint64_t n, uint8_t* data,
            uint32_t flags = 0) {
    auto result = Start(dev, op, sector, n, data, flags);
    if (!sched_.RunUntil([&] { return result->has_value(); })) {
      return Status(Code::kFailedPrecondition, "bio never completed");
    }
    return **result;
  }

  Status Write(const std::string& dev, uint64_t sector, const std::vector<uint8_t>& data,
               uint32_t flags = 0) {
    std::vector<uint8_t> copy = data;
    return Io(kernel_.Resolve(dev), Bio::Op::kWrite, sector, data.size() / kSectorSize, copy.data(),
              flags);
  }

  Status Read(const std::string& dev, uint64_t sector, uint64_t n, std::vector<uint8_t>* out) {
    out->assign(n * kSectorSize, 0xee);
    return Io(kernel_.Resolve(dev), Bio::Op::kRead, sector, n, out->data());
  }

  // Where a read of [sector, end) of `dev` goes (BlockDevice::Resolve), as
  // "pv1:0+16 pv2:8+8" (disk name, first sector, count); "none" if it does
  // not resolve. *newest_table, if given, gets the newest table swap on the
  // way.
  std::string Resolved(const std::string& dev, uint64_t sector, uint64_t end,
                       uint64_t* newest_table = nullptr) {
    std::vector<DiskExtent> where;
    uint64_t newest = 0;
    if (!kernel_.Resolve(dev)->Resolve(sector, end, &where, &newest)) return "none";
    if (newest_table != nullptr) *newest_table = newest;
    std::string out;
    for (const DiskExtent& p : where) {
      out += (out.empty() ? "" : " ") + p.leaf->name() + ":" + std::to_string(p.sector) + "+" +
             std::to_string(p.nsectors);
    }
    return out;
  }

  // Reads sectors straight from a disk, bypassing the device stack.
  std::vector<uint8_t> DiskSectors(int index, uint64_t sector, uint64_t n) {
    std::vector<uint8_t> out(n * kSectorSize);
    Status st = disks_[index]->Read(sector, static_cast<uint32_t>(n), out.data());
    EXPECT_TRUE(st.ok()) << st.message();
    return out;
  }

  // n sectors, each filled with an 8-byte stamp of (tag, i).
  static std::vector<uint8_t> Pattern(uint32_t tag, uint64_t n) {
    std::vector<uint8_t> out(n * kSectorSize);
    for (uint64_t i = 0; i < n; ++i) {
      const uint64_t stamp = (uint64_t{tag} << 32) | i;
      for (uint64_t off = 0; off < kSectorSize; off += 8) {
        std::memcpy(&out[i * kSectorSize + off], &stamp, 8);
      }
    }
    return out;
  }

  // Sectors [from, from+n) of a Pattern buffer.
  static std::vector<uint8_t> Slice(const std::vector<uint8_t>& v, uint64_t from, uint64_t n) {
    return std::vector<uint8_t>(v.begin() + from * kSectorSize,
                                v.begin() + (from + n) * kSectorSize);
  }

  engine::Scheduler sched_;
  engine::Trace trace_{&sched_};
  std::vector<std::unique_ptr<store::Disk>> disks_;
  Kernel kernel_{sched_, &trace_};
};

}  // namespace lvlab::dm
