#include "sim/dm/copier.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/dm/test_util.h"

namespace lvlab::dm {
namespace {

constexpr uint64_t kMs = 1'000'000;

class CopierTest : public DmTest {
 protected:
  struct Outcome {
    Status read_err;
    uint64_t write_err = 0;
  };

  // Runs one copy to completion; checks the callback ran once, not inline.
  Outcome CopyNow(BlockDevice* src, uint64_t src_sector, std::vector<Copier::Dest> dests,
                  uint64_t n, uint32_t flags = 0) {
    auto out = std::make_shared<std::optional<Outcome>>();
    kernel_.copier().Copy(src, src_sector, std::move(dests), n, flags,
                          [out](Status read_err, uint64_t write_err) {
                            EXPECT_FALSE(out->has_value()) << "callback ran twice";
                            *out = Outcome{std::move(read_err), write_err};
                          });
    EXPECT_FALSE(out->has_value()) << "callback ran inside Copy";
    EXPECT_TRUE(sched_.RunUntil([&] { return out->has_value(); }));
    EXPECT_EQ(kernel_.copier().jobs_in_flight(), 0u);
    return out->value_or(Outcome{IOError("never completed"), ~uint64_t{0}});
  }

  BlockDevice* Dev(int minor) { return kernel_.FindDisk(static_cast<uint32_t>(minor)); }
  const CopierStats& stats() { return kernel_.copier().stats(); }
};

TEST_F(CopierTest, CopiesDataExactlyToEveryDestination) {
  AddDisk(8192);
  AddDisk(8192);
  AddDisk(8192);
  const std::vector<uint8_t> data = Pattern(7, 3000);
  ASSERT_TRUE(Write("pv1", 100, data).ok());
  Outcome o = CopyNow(Dev(1), 100, {{Dev(2), 0}, {Dev(3), 5000}}, 3000);
  EXPECT_TRUE(o.read_err.ok()) << o.read_err.message();
  EXPECT_EQ(o.write_err, 0u);
  EXPECT_EQ(DiskSectors(1, 0, 3000), data);
  EXPECT_EQ(DiskSectors(2, 5000, 3000), data);
  // 3000 sectors: pieces of 1024, 1024 and 952.
  EXPECT_EQ(stats().pieces, 3u);
  EXPECT_EQ(stats().bytes_read, 3000 * kSectorSize);
  EXPECT_EQ(stats().bytes_written, 2 * 3000 * kSectorSize);
  EXPECT_EQ(trace_.Count("kcopyd-job"), 2u);  // start and end
}

// A destination with a volatile cache keeps each piece's buffer as its
// cached write and gives back buffers of pieces it wrote back: sixteen
// pieces through a 1 MiB cache. A buffer reused while a cache still held
// it would show as another piece's data.
TEST_F(CopierTest, AVolatileDestinationKeepsPieceBuffersAndTheDataStaysExact) {
  AddDisk(32768);
  store::Disk* dest = AddDisk(32768, {}, /*volatile_cache=*/true, /*max_dirty_bytes=*/1 << 20);
  const std::vector<uint8_t> data = Pattern(9, 16384);
  ASSERT_TRUE(Write("pv1", 0, data).ok());
  Outcome o = CopyNow(Dev(1), 0, {{Dev(2), 1000}}, 16384);
  EXPECT_TRUE(o.read_err.ok()) << o.read_err.message();
  EXPECT_EQ(o.write_err, 0u);
  EXPECT_EQ(stats().pieces, 16u);
  EXPECT_GT(dest->pending_writes(), 0u);
  EXPECT_EQ(DiskSectors(1, 1000, 16384), data);
  ASSERT_TRUE(dest->Flush().ok());
  std::vector<uint8_t> image(data.size());
  ASSERT_TRUE(dest->image()->Read(1000 * kSectorSize, image.data(), image.size()).ok());
  EXPECT_TRUE(image == data) << "the flushed image differs from the source";
}

// Write-through disks: the pieces move without a buffer (the source range is
// pinned from the read to the writes), and a write to the source landing
// between the two does not reach the copy, as with a buffer.
TEST_F(CopierTest, WriteThroughDisksCopyWhatTheReadSawWithoutABuffer) {
  store::DiskModel model;
  model.read_latency_ns = kMs;
  model.write_latency_ns = 5 * kMs;
  store::Disk* src = AddDisk(8192, model, /*volatile_cache=*/false);
  AddDisk(8192, model, /*volatile_cache=*/false);
  const std::vector<uint8_t> data = Pattern(3, 2048);
  ASSERT_TRUE(Write("pv1", 0, data).ok());
  // Applied at 5 ms: after the copy's reads (1 ms), before its writes (6 ms).
  std::vector<uint8_t> later(8 * kSectorSize, 0xee);
  bool later_done = false;
  Dev(1)->Submit(Bio{Bio::Op::kWrite, 0, 8, 0, later.data(), [&](Status st) {
                       EXPECT_TRUE(st.ok()) << st.message();
                       later_done = true;
                     }});
  size_t most_pins = 0;
  const uint64_t t0 = sched_.now_ns();
  auto out = std::make_shared<std::optional<Status>>();
  kernel_.copier().Copy(Dev(1), 0, {{Dev(2), 0}}, 2048, 0,
                        [out](Status read_err, uint64_t) { *out = std::move(read_err); });
  ASSERT_TRUE(sched_.RunUntil([&] {
    most_pins = std::max(most_pins, src->pins());
    return out->has_value();
  }));
  EXPECT_TRUE((*out)->ok()) << (*out)->message();
  EXPECT_TRUE(later_done);
  EXPECT_EQ(most_pins, 2u) << "both pieces pinned, not read into buffers";
  EXPECT_EQ(src->pins(), 0u) << "pins dropped once written";
  EXPECT_EQ(sched_.now_ns() - t0, 6 * kMs) << "the same timing as through a buffer";
  EXPECT_EQ(DiskSectors(1, 0, 2048), data) << "the copy holds what the read saw";
  EXPECT_EQ(DiskSectors(0, 0, 8), std::vector<uint8_t>(8 * kSectorSize, 0xee));
  EXPECT_EQ(stats().bytes_read, 2048 * kSectorSize);
}

TEST_F(CopierTest, RunsAtMostEightPiecesAtOnce) {
  store::DiskModel model;
  model.read_latency_ns = kMs;
  model.write_latency_ns = kMs;
  AddDisk(40000, model);
  AddDisk(40000, model);
  ASSERT_TRUE(Write("pv1", 0, Pattern(1, 32 * 1024)).ok());
  const uint64_t t0 = sched_.now_ns();
  Outcome o = CopyNow(Dev(1), 0, {{Dev(2), 0}}, 32 * 1024);
  EXPECT_TRUE(o.read_err.ok());
  EXPECT_EQ(stats().pieces, 32u);
  EXPECT_EQ(stats().max_pieces_in_flight, Copier::kPiecesInFlight);
  // Four rounds of eight pieces, each a 1 ms read then a 1 ms write.
  EXPECT_EQ(sched_.now_ns() - t0, 8 * kMs);
  EXPECT_EQ(DiskSectors(1, 0, 32 * 1024), Pattern(1, 32 * 1024));
}

TEST_F(CopierTest, SkipsSourceHolesAndDiscardsStaleDestinationData) {
  AddDisk(16384);
  AddDisk(16384);
  // Source data in two 64 KiB-aligned places; the destination is full of
  // stale data, as a reused extent would be.
  const std::vector<uint8_t> a = Pattern(1, 256);
  const std::vector<uint8_t> b = Pattern(2, 128);
  ASSERT_TRUE(Write("pv1", 1024, a).ok());
  ASSERT_TRUE(Write("pv1", 8192, b).ok());
  ASSERT_TRUE(Write("pv2", 0, Pattern(9, 16384)).ok());
  const uint64_t disk_reads_before = disks_[0]->stats().bytes_read;
  Outcome o = CopyNow(Dev(1), 0, {{Dev(2), 0}}, 16384);
  EXPECT_TRUE(o.read_err.ok());
  EXPECT_EQ(disks_[0]->stats().bytes_read - disk_reads_before, (256 + 128) * kSectorSize);
  EXPECT_EQ(DiskSectors(1, 0, 16384), DiskSectors(0, 0, 16384));
  EXPECT_EQ(DiskSectors(1, 0, 1024), std::vector<uint8_t>(1024 * kSectorSize, 0));
  EXPECT_EQ(DiskSectors(1, 1024, 256), a);
  EXPECT_EQ(stats().bytes_read, (256 + 128) * kSectorSize);
  EXPECT_EQ(stats().bytes_skipped, (16384 - 384) * kSectorSize);
  EXPECT_EQ(stats().bytes_discarded, (16384 - 384) * kSectorSize);
  EXPECT_EQ(stats().hole_pieces, 3u);
}

TEST_F(CopierTest, ATerabyteOfMostlyHolesReadsOnlyItsData) {
  constexpr uint64_t kTiBSectors = kTiB / kSectorSize;
  AddDisk(kTiBSectors);
  AddDisk(kTiBSectors);
  // 16 spots of 4 MiB spread over the terabyte.
  const uint64_t spot = 4 * kMiB / kSectorSize;
  for (uint64_t i = 0; i < 16; ++i) {
    ASSERT_TRUE(Write("pv1", i * (kTiBSectors / 16) + 12345 * 128, Pattern(i, spot)).ok());
  }
  Outcome o = CopyNow(Dev(1), 0, {{Dev(2), 0}}, kTiBSectors);
  EXPECT_TRUE(o.read_err.ok());
  EXPECT_EQ(stats().bytes_read, 64 * kMiB);
  EXPECT_EQ(stats().bytes_written, 64 * kMiB);
  EXPECT_EQ(stats().bytes_discarded, 0u);  // the destination held nothing
  EXPECT_EQ(stats().bytes_skipped, kTiB - 64 * kMiB);
  EXPECT_EQ(DiskSectors(1, 7 * (kTiBSectors / 16) + 12345 * 128, spot), Pattern(7, spot));
}

TEST_F(CopierTest, SkipsHolesThroughLinearAndStripedDevices) {
  AddDisk(65536);
  AddDisk(65536);
  AddDisk(65536);
  // Chunks of 128 sectors (64 KiB), so the memory image reports exactly the
  // chunks written.
  Activate("vg-striped", "0 32768 striped 2 128 7:1 1024 7:2 1024");
  Activate("vg-linear", "0 8192 linear 7:1 40960");
  std::vector<uint64_t> written = {0, 5 * 128, 6 * 128, 101 * 128};
  for (uint64_t c : written) ASSERT_TRUE(Write("vg-striped", c, Pattern(3, 128)).ok());
  BlockDevice* striped = kernel_.Resolve("vg-striped");
  std::vector<uint64_t> seen;
  for (uint64_t s = 0; auto r = striped->NextData(s, 32768);) {
    EXPECT_EQ(r->first % 128, 0u);
    for (uint64_t c = r->first; c < r->second; c += 128) seen.push_back(c);
    s = r->second;
  }
  EXPECT_EQ(seen, written);
  EXPECT_FALSE(kernel_.Resolve("vg-linear")->NextData(0, 8192).has_value());
  Outcome o = CopyNow(striped, 0, {{Dev(3), 0}}, 32768);
  EXPECT_TRUE(o.read_err.ok());
  EXPECT_EQ(stats().bytes_read, 4 * 128 * kSectorSize);
  std::vector<uint8_t> whole;
  ASSERT_TRUE(Read("vg-striped", 0, 32768, &whole).ok());
  EXPECT_EQ(DiskSectors(2, 0, 32768), whole);
}

TEST_F(CopierTest, WritesZerosForHolesWhereADiscardIsNoWriteOfZeros) {
  AddDisk(4096);
  AddDisk(4096);
  AddDisk(4096);
  // A mirror's legs hold stale data; the source is all holes. A mirror
  // sends discards past its region states (a recovery would race them), so
  // the hole is written as zeros, as kcopyd writes it; a linear device onto
  // a disk still gets a discard.
  ASSERT_TRUE(Write("pv2", 0, Pattern(5, 2048)).ok());
  ASSERT_TRUE(Write("pv3", 0, Pattern(5, 2048)).ok());
  Activate("vg-m", "0 2048 mirror core 1 1024 2 7:2 0 7:3 0");
  Activate("vg-l", "0 1024 linear 7:3 2048");
  ASSERT_TRUE(Write("vg-l", 0, Pattern(6, 1024)).ok());
  BlockDevice* mirror = kernel_.Resolve("vg-m");
  BlockDevice* linear = kernel_.Resolve("vg-l");
  EXPECT_TRUE(Dev(1)->DiscardZeroes(0, 4096));
  EXPECT_TRUE(linear->DiscardZeroes(0, 1024));
  EXPECT_FALSE(mirror->DiscardZeroes(0, 2048));
  sched_.RunUntilIdle();  // the mirror's own recovery (a copy too)
  const CopierStats before = stats();
  Outcome o = CopyNow(Dev(1), 0, {{mirror, 0}}, 2048);
  EXPECT_TRUE(o.read_err.ok());
  EXPECT_EQ(o.write_err, 0u);
  EXPECT_EQ(stats().bytes_written - before.bytes_written, 2048 * kSectorSize);
  EXPECT_EQ(stats().bytes_discarded - before.bytes_discarded, 0u);
  EXPECT_EQ(stats().bytes_read - before.bytes_read, 0u);
  const std::vector<uint8_t> zeros(2048 * kSectorSize, 0);
  EXPECT_EQ(DiskSectors(1, 0, 2048), zeros);
  EXPECT_EQ(DiskSectors(2, 0, 2048), zeros);
  o = CopyNow(Dev(1), 0, {{linear, 0}}, 1024);
  EXPECT_TRUE(o.read_err.ok());
  EXPECT_EQ(stats().bytes_discarded - before.bytes_discarded, 1024 * kSectorSize);
  EXPECT_EQ(DiskSectors(2, 2048, 1024), std::vector<uint8_t>(1024 * kSectorSize, 0));
}

TEST_F(CopierTest, DiskNextDataSeesTheCacheTheImageAndUnappliedWrites) {
  store::DiskModel model;
  model.write_latency_ns = kMs;
  AddDisk(4096, model);
  BlockDevice* dev = Dev(1);
  EXPECT_FALSE(dev->NextData(0, 4096).has_value());
  ASSERT_TRUE(Write("pv1", 300, Pattern(1, 10)).ok());  // cached: exact sectors
  EXPECT_EQ(dev->NextData(0, 4096), SectorRange(300, 310));
  EXPECT_EQ(dev->NextData(305, 4096), SectorRange(305, 310));
  EXPECT_EQ(dev->NextData(0, 302), SectorRange(300, 302));
  ASSERT_TRUE(Io(dev, Bio::Op::kFlush, 0, 0, nullptr).ok());  // now in the image: 64 KiB chunks
  EXPECT_EQ(dev->NextData(0, 4096), SectorRange(256, 384));
  ASSERT_TRUE(Io(dev, Bio::Op::kDiscard, 256, 128, nullptr).ok());
  EXPECT_FALSE(dev->NextData(0, 4096).has_value());
  // A write submitted but not yet applied already counts.
  std::vector<uint8_t> buf = Pattern(2, 4);
  auto done = Start(dev, Bio::Op::kWrite, 1000, 4, buf.data());
  EXPECT_EQ(dev->NextData(0, 4096), SectorRange(1000, 1004));
  ASSERT_TRUE(sched_.RunUntil([&] { return done->has_value(); }));
  EXPECT_EQ(dev->NextData(0, 4096), SectorRange(1000, 1004));
  // A failed disk cannot tell: everything may be data.
  disks_[0]->SetFailed(true);
  EXPECT_EQ(dev->NextData(10, 20), SectorRange(10, 20));
}

TEST_F(CopierTest, AReadErrorStopsTheJobUnlessIgnored) {
  AddDisk(40000);
  AddDisk(40000);
  disks_[0]->SetFailed(true);
  Outcome o = CopyNow(Dev(1), 0, {{Dev(2), 0}}, 32 * 1024);
  EXPECT_FALSE(o.read_err.ok());
  EXPECT_NE(o.read_err.message().find("pv1"), std::string::npos) << o.read_err.message();
  EXPECT_EQ(stats().pieces, 8u);  // the first eight failed; no more started
  EXPECT_EQ(stats().bytes_written, 0u);
  EXPECT_EQ(stats().jobs_failed, 1u);

  o = CopyNow(Dev(1), 0, {{Dev(2), 0}}, 32 * 1024, Copier::kIgnoreErrors);
  EXPECT_FALSE(o.read_err.ok());
  EXPECT_EQ(stats().pieces, 8u + 32u);
}

TEST_F(CopierTest, AWriteErrorNamesTheDestinationAndStopsUnlessIgnored) {
  AddDisk(40000);
  AddDisk(40000);
  AddDisk(40000);
  const std::vector<uint8_t> data = Pattern(4, 32 * 1024);
  ASSERT_TRUE(Write("pv1", 0, data).ok());
  disks_[2]->SetFailed(true);
  Outcome o = CopyNow(Dev(1), 0, {{Dev(2), 0}, {Dev(3), 0}}, 32 * 1024);
  EXPECT_TRUE(o.read_err.ok());
  EXPECT_EQ(o.write_err, 0b10u);
  EXPECT_EQ(stats().pieces, 8u);
  EXPECT_EQ(DiskSectors(1, 0, 8 * 1024), Slice(data, 0, 8 * 1024));

  o = CopyNow(Dev(1), 0, {{Dev(2), 0}, {Dev(3), 0}}, 32 * 1024, Copier::kIgnoreErrors);
  EXPECT_EQ(o.write_err, 0b10u);
  EXPECT_EQ(stats().pieces, 8u + 32u);
  EXPECT_EQ(DiskSectors(1, 0, 32 * 1024), data);
}

TEST_F(CopierTest, AnEmptyJobStillCallsBackFromAnEvent) {
  AddDisk(100);
  AddDisk(100);
  Outcome o = CopyNow(Dev(1), 0, {{Dev(2), 0}}, 0);
  EXPECT_TRUE(o.read_err.ok());
  EXPECT_EQ(o.write_err, 0u);
  EXPECT_EQ(stats().jobs, 1u);
}

}  // namespace
}  // namespace lvlab::dm
