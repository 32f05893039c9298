// Zero-copy between disks: Disk::Pin and Disk::WriteFromPin.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "sim/base/units.h"
#include "sim/store/disk.h"
#include "sim/store/temp_dir_test_util.h"

namespace lvlab::store {
namespace {

constexpr uint64_t kSectors = 256;

class DiskPinTest : public TempDirTest {
 protected:
  // A disk over a new image file; write-through unless `cache`.
  std::unique_ptr<Disk> FileDisk(const std::string& name, bool cache = false) {
    auto image = CreateFileImage(Path(name + ".img"), kSectors * kSectorSize);
    EXPECT_TRUE(image.ok()) << image.status().message();
    DiskOptions o;
    o.volatile_cache = cache;
    return std::make_unique<Disk>(name, std::move(image).value(), o);
  }
};

void Put(Disk& d, uint64_t sector, uint32_t n, uint8_t v) {
  std::vector<uint8_t> data(n * kSectorSize, v);
  Status st = d.Write(sector, n, data.data(), false);
  ASSERT_TRUE(st.ok()) << st.message();
}

// Every byte of [sector, sector + n) of `d` as read; fails on mixed bytes.
uint8_t Get(Disk& d, uint64_t sector, uint32_t n) {
  std::vector<uint8_t> buf(n * kSectorSize);
  Status st = d.Read(sector, n, buf.data());
  EXPECT_TRUE(st.ok()) << st.message();
  for (uint8_t b : buf) EXPECT_EQ(b, buf[0]) << d.name() << " sector " << sector;
  return buf[0];
}

std::shared_ptr<DiskPin> MustPin(Disk& d, uint64_t sector, uint32_t n) {
  auto pin = d.Pin(sector, n);
  EXPECT_TRUE(pin.ok()) << pin.status().message();
  return pin.ok() ? *pin : nullptr;
}

TEST_F(DiskPinTest, CopiesImageToImageAndCountsAReadAndAWrite) {
  auto src = FileDisk("src"), dst = FileDisk("dst");
  Put(*src, 8, 16, 0x5a);
  auto pin = MustPin(*src, 8, 16);
  ASSERT_NE(pin, nullptr);
  ASSERT_TRUE(dst->WriteFromPin(40, *pin, false).ok());
  EXPECT_EQ(Get(*dst, 40, 16), 0x5a);
  EXPECT_EQ(Get(*dst, 56, 8), 0) << "nothing written past the pinned range";
  EXPECT_EQ(src->stats().reads, 1u);
  EXPECT_EQ(src->stats().bytes_read, 16 * kSectorSize);
  EXPECT_EQ(dst->stats().writes, 1u);
  EXPECT_EQ(dst->stats().bytes_written, 16 * kSectorSize);
}

// A write or discard of the source after the pin, before the copy: the copy
// gets the data as it was when pinned, as a read into a buffer would.
TEST_F(DiskPinTest, TheCopyGetsTheDataAsPinnedDespiteLaterWritesAndDiscards) {
  auto src = FileDisk("src"), dst = FileDisk("dst");
  Put(*src, 0, 32, 0x11);
  auto written = MustPin(*src, 0, 16);
  auto discarded = MustPin(*src, 16, 16);
  Put(*src, 4, 2, 0x22);
  ASSERT_TRUE(src->Discard(16, 32).ok());
  ASSERT_TRUE(dst->WriteFromPin(0, *written, false).ok());
  ASSERT_TRUE(dst->WriteFromPin(16, *discarded, false).ok());
  EXPECT_EQ(Get(*dst, 0, 32), 0x11);
  EXPECT_EQ(Get(*src, 4, 2), 0x22);
  EXPECT_EQ(Get(*src, 16, 16), 0);
}

// A copy onto a range another pin holds saves that pin's data first.
TEST_F(DiskPinTest, ACopyOntoAPinnedRangeSavesThatPinFirst) {
  auto a = FileDisk("a"), b = FileDisk("b"), c = FileDisk("c");
  Put(*a, 0, 8, 0xaa);
  Put(*b, 0, 8, 0xbb);
  auto from_b = MustPin(*b, 0, 8);
  auto from_a = MustPin(*a, 0, 8);
  ASSERT_TRUE(b->WriteFromPin(0, *from_a, false).ok());
  ASSERT_TRUE(c->WriteFromPin(0, *from_b, false).ok());
  EXPECT_EQ(Get(*b, 0, 8), 0xaa);
  EXPECT_EQ(Get(*c, 0, 8), 0xbb);
}

TEST_F(DiskPinTest, ADiskWithAVolatileCacheOrAFaultDoesNotPin) {
  auto cached = FileDisk("cached", /*cache=*/true), faulty = FileDisk("faulty");
  faulty->faults().read_delay_ns = 1;
  for (Disk* d : {cached.get(), faulty.get()}) {
    auto pin = d->Pin(0, 8);
    ASSERT_TRUE(pin.ok());
    EXPECT_EQ(*pin, nullptr) << d->name();
    EXPECT_EQ(d->stats().reads, 0u) << d->name() << ": nothing read";
  }
  auto healthy = FileDisk("healthy");
  EXPECT_EQ(healthy->Pin(kSectors, 1).status().code(), Code::kIOError) << "out of range";
}

// A destination with a volatile cache takes the data through its cache: not
// durable until a flush, as any write.
TEST_F(DiskPinTest, ACachedDestinationGetsAPlainWrite) {
  auto src = FileDisk("src"), dst = FileDisk("dst", /*cache=*/true);
  Put(*src, 0, 8, 0x33);
  auto pin = MustPin(*src, 0, 8);
  ASSERT_TRUE(dst->WriteFromPin(0, *pin, false).ok());
  EXPECT_EQ(Get(*dst, 0, 8), 0x33);
  EXPECT_EQ(dst->dirty_bytes(), 8 * kSectorSize);
  Rng rng(1);
  dst->Crash(LossPolicy::kAll, rng);
  EXPECT_EQ(Get(*dst, 0, 8), 0);
}

TEST_F(DiskPinTest, APowerCutAtTheCopyTearsItAndFailsTheRest) {
  auto power = std::make_shared<PowerDomain>(7);
  auto src = FileDisk("src"), dst = FileDisk("dst");
  src->set_power(power);
  dst->set_power(power);
  Put(*src, 0, 64, 0x44);
  auto pin = MustPin(*src, 0, 64);
  power->CutAfterWrites(0);
  EXPECT_EQ(dst->WriteFromPin(0, *pin, false).code(), Code::kIOError);
  EXPECT_TRUE(power->off());
  power->Restore();
  std::vector<uint8_t> buf(64 * kSectorSize);
  ASSERT_TRUE(dst->Read(0, 64, buf.data()).ok());
  size_t kept = 0;
  for (uint64_t s = 0; s < 64; ++s) {
    const uint8_t v = buf[s * kSectorSize];
    EXPECT_TRUE(v == 0 || v == 0x44) << "sector " << s;
    kept += v == 0x44;
  }
  EXPECT_LT(kept, 64u) << "a torn write keeps a strict subset (seed 7)";
}

TEST_F(DiskPinTest, APinOutlivingItsDiskStillGivesSavedDataOrAnError) {
  auto src = FileDisk("src"), dst = FileDisk("dst");
  Put(*src, 0, 8, 0x55);
  auto saved = MustPin(*src, 0, 4);
  auto unsaved = MustPin(*src, 4, 4);
  Put(*src, 0, 4, 0x66);  // saves the first pin
  src.reset();
  ASSERT_TRUE(dst->WriteFromPin(0, *saved, false).ok());
  EXPECT_EQ(Get(*dst, 0, 4), 0x55);
  EXPECT_EQ(dst->WriteFromPin(4, *unsaved, false).code(), Code::kIOError);
}

TEST(ImageCopyTest, MemoryImagesCopyThroughABuffer) {
  auto a = NewMemImage(1 << 20), b = NewMemImage(1 << 20);
  std::vector<uint8_t> data(3 << 17, 0x77), out(3 << 17);
  ASSERT_TRUE(a->Write(4096, data.data(), data.size()).ok());
  ASSERT_TRUE(b->CopyFrom(*a, 4096, 8192, data.size()).ok());
  ASSERT_TRUE(b->Read(8192, out.data(), out.size()).ok());
  EXPECT_EQ(out, data);
  EXPECT_FALSE(b->CopyFrom(*a, 1 << 20, 0, 512).ok()) << "past the source's end";
}

}  // namespace
}  // namespace lvlab::store
