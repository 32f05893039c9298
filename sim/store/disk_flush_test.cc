// With background write-back, a Disk's Flush writes the cache back with the
// disk's mutex released: writers go on meanwhile, and whoever would write
// the image waits.
#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "sim/base/rng.h"
#include "sim/base/units.h"
#include "sim/store/disk.h"
#include "sim/store/temp_dir_test_util.h"

namespace lvlab::store {
namespace {

constexpr uint64_t kSectors = 2048;
constexpr auto kLong = std::chrono::seconds(10);  // for what must not block

// An image whose next write, once armed, waits until released.
class GatedImage : public ImageFile {
 public:
  explicit GatedImage(std::unique_ptr<ImageFile> base) : base_(std::move(base)) {}

  void Arm() {
    std::lock_guard<std::mutex> lock(mu_);
    armed_ = true;
  }
  // Waits until an armed write has begun.
  void AwaitEntered() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return entered_; });
  }
  void Release() {
    std::lock_guard<std::mutex> lock(mu_);
    released_ = true;
    cv_.notify_all();
  }

  Status Write(uint64_t offset, const void* data, size_t len) override {
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (armed_ && !entered_) {
        entered_ = true;
        cv_.notify_all();
        cv_.wait(lock, [this] { return released_; });
      }
    }
    return base_->Write(offset, data, len);
  }
  Status Read(uint64_t offset, void* buf, size_t len) override {
    return base_->Read(offset, buf, len);
  }
  uint64_t Size() const override { return base_->Size(); }
  Status Sync() override { return base_->Sync(); }
  Status PunchHole(uint64_t offset, uint64_t len) override { return base_->PunchHole(offset, len); }
  Result<std::optional<std::pair<uint64_t, uint64_t>>> NextData(uint64_t offset) override {
    return base_->NextData(offset);
  }
  uint64_t AllocatedBytes() override { return base_->AllocatedBytes(); }

 private:
  std::unique_ptr<ImageFile> base_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool armed_ = false;
  bool entered_ = false;
  bool released_ = false;
};

std::vector<uint8_t> Fill(uint32_t nsectors, uint8_t v) {
  return std::vector<uint8_t>(nsectors * kSectorSize, v);
}

// A file image (two threads may use it at once), as the live daemon's.
class DiskFlushTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    auto file = CreateFileImage(Path("pv0.img"), kSectors * kSectorSize);
    ASSERT_TRUE(file.ok()) << file.status().message();
    auto image = std::make_unique<GatedImage>(std::move(file).value());
    gate_ = image.get();
    DiskOptions options;
    options.background_writeback = true;  // the cache stays far below its bound
    disk_ = std::make_unique<Disk>("pv0", std::move(image), options);
  }
  void TearDown() override {
    disk_.reset();
    TempDirTest::TearDown();
  }
  std::vector<uint8_t> Bytes(uint64_t sector, uint32_t n, bool image_only = false) {
    std::vector<uint8_t> out(n * kSectorSize);
    Status st = image_only ? gate_->Read(sector * kSectorSize, out.data(), out.size())
                           : disk_->Read(sector, n, out.data());
    EXPECT_TRUE(st.ok()) << st.message();
    return out;
  }
  // Starts a Flush on a thread of its own and returns once it is writing
  // the image (the first piece, held by the gate).
  std::future<Status> FlushHeld() {
    gate_->Arm();
    auto flush = std::async(std::launch::async, [this] { return disk_->Flush(); });
    gate_->AwaitEntered();
    return flush;
  }

  GatedImage* gate_ = nullptr;
  std::unique_ptr<Disk> disk_;
};

TEST_F(DiskFlushTest, WritersGoOnDuringAFlushAndTheirWritesStayUnflushed) {
  ASSERT_TRUE(disk_->Write(0, 8, Fill(8, 1).data(), false).ok());
  ASSERT_TRUE(disk_->Write(8, 8, Fill(8, 2).data(), false).ok());
  std::future<Status> flush = FlushHeld();
  // The flush holds no lock now: a write and a read of the same sectors go
  // through at once.
  auto later = std::async(std::launch::async, [this] {
    Status st = disk_->Write(0, 8, Fill(8, 3).data(), false);
    return st.ok() ? Bytes(0, 8) : std::vector<uint8_t>();
  });
  const bool went_on = later.wait_for(kLong) == std::future_status::ready;
  gate_->Release();  // before any assertion: a failed one must not leave the flush held
  ASSERT_TRUE(went_on) << "a write waited for the flush";
  EXPECT_EQ(later.get(), Fill(8, 3));
  ASSERT_TRUE(flush.get().ok());
  // The flush made the first two writes durable and left the third pending.
  EXPECT_EQ(Bytes(0, 8, true), Fill(8, 1));
  EXPECT_EQ(Bytes(8, 8, true), Fill(8, 2));
  EXPECT_EQ(disk_->pending_writes(), 1u);
  EXPECT_EQ(Bytes(0, 8), Fill(8, 3));
  Rng rng(1);
  disk_->Crash(LossPolicy::kAll, rng);
  EXPECT_EQ(Bytes(0, 8), Fill(8, 1)) << "the crash lost flushed data, or kept unflushed";
  EXPECT_EQ(Bytes(8, 8), Fill(8, 2));
}

// A FUA write during a flush waits for it: were it to land first, the
// flush would then write the older cached data over it.
TEST_F(DiskFlushTest, AFuaWriteWaitsForTheFlushAndStaysNewest) {
  ASSERT_TRUE(disk_->Write(0, 8, Fill(8, 1).data(), false).ok());
  std::future<Status> flush = FlushHeld();
  auto fua = std::async(std::launch::async,
                        [this] { return disk_->Write(0, 8, Fill(8, 5).data(), /*fua=*/true); });
  EXPECT_EQ(fua.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout)
      << "a FUA write went through during a flush";
  gate_->Release();
  ASSERT_TRUE(flush.get().ok());
  ASSERT_TRUE(fua.get().ok());
  EXPECT_EQ(Bytes(0, 8, true), Fill(8, 5));
  EXPECT_EQ(Bytes(0, 8), Fill(8, 5));
  EXPECT_EQ(disk_->pending_writes(), 0u);
}

// A crash during a flush waits for it: the flush completes, then the
// power goes, and what the flush covered survives any loss policy.
TEST_F(DiskFlushTest, ACrashWaitsForTheFlushUnderWay) {
  ASSERT_TRUE(disk_->Write(0, 8, Fill(8, 1).data(), false).ok());
  ASSERT_TRUE(disk_->Write(8, 8, Fill(8, 2).data(), false).ok());
  std::future<Status> flush = FlushHeld();
  ASSERT_TRUE(disk_->Write(16, 8, Fill(8, 4).data(), false).ok());
  auto crash = std::async(std::launch::async, [this] {
    Rng rng(1);
    disk_->Crash(LossPolicy::kAll, rng);
  });
  EXPECT_EQ(crash.wait_for(std::chrono::milliseconds(100)), std::future_status::timeout)
      << "a crash went through during a flush";
  gate_->Release();
  ASSERT_TRUE(flush.get().ok());
  crash.get();
  EXPECT_EQ(Bytes(0, 8), Fill(8, 1));
  EXPECT_EQ(Bytes(8, 8), Fill(8, 2));
  EXPECT_EQ(Bytes(16, 8), Fill(8, 0)) << "a write after the flush began survived a total loss";
}

}  // namespace
}  // namespace lvlab::store
