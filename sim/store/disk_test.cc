#include "sim/store/disk.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include "sim/base/change_clock.h"
#include "sim/base/hash.h"
#include "sim/base/units.h"

namespace lvlab::store {
namespace {

std::vector<uint8_t> Fill(uint32_t nsectors, uint8_t v) {
  return std::vector<uint8_t>(nsectors * kSectorSize, v);
}

std::unique_ptr<Disk> MakeDisk(uint64_t sectors, DiskOptions options = {},
                               std::string name = "pv0") {
  return std::make_unique<Disk>(std::move(name), NewMemImage(sectors * kSectorSize), options);
}

// The byte every position of `bytes` holds; fails the test if they differ.
uint8_t Uniform(const std::vector<uint8_t>& bytes, uint64_t sector) {
  for (uint8_t b : bytes) {
    if (b != bytes[0]) {
      ADD_FAILURE() << "sector " << sector << " holds mixed data";
      break;
    }
  }
  return bytes[0];
}

// What the disk returns for one sector (the cache over the image).
uint8_t Value(Disk& d, uint64_t sector) {
  std::vector<uint8_t> buf(kSectorSize);
  Status st = d.Read(sector, 1, buf.data());
  EXPECT_TRUE(st.ok()) << st.message();
  return Uniform(buf, sector);
}

// What the image alone holds for one sector.
uint8_t ImageValue(Disk& d, uint64_t sector) {
  std::vector<uint8_t> buf(kSectorSize);
  EXPECT_TRUE(d.image()->Read(sector * kSectorSize, buf.data(), buf.size()).ok());
  return Uniform(buf, sector);
}

void MustWrite(Disk& d, uint64_t sector, uint32_t n, uint8_t v, bool fua = false) {
  auto data = Fill(n, v);
  Status st = d.Write(sector, n, data.data(), fua);
  ASSERT_TRUE(st.ok()) << st.message();
}

TEST(DiskTest, ReadsSeeWritesThroughTheCache) {
  auto d = MakeDisk(64);
  MustWrite(*d, 10, 4, 0x11);
  for (uint64_t s = 8; s < 16; ++s) {
    EXPECT_EQ(Value(*d, s), (s >= 10 && s < 14) ? 0x11 : 0) << s;
    EXPECT_EQ(ImageValue(*d, s), 0) << "unflushed data reached the image, sector " << s;
  }
  EXPECT_EQ(d->dirty_bytes(), 4 * kSectorSize);
  EXPECT_EQ(d->pending_writes(), 1u);
}

TEST(DiskTest, FlushMakesDurable) {
  auto d = MakeDisk(64);
  Rng rng(1);
  MustWrite(*d, 0, 8, 0x21);
  ASSERT_TRUE(d->Flush().ok());
  EXPECT_EQ(d->dirty_bytes(), 0u);
  d->Crash(LossPolicy::kAll, rng);
  for (uint64_t s = 0; s < 8; ++s) EXPECT_EQ(Value(*d, s), 0x21);
}

TEST(DiskTest, CrashAllDropsUnflushed) {
  auto d = MakeDisk(64);
  Rng rng(1);
  MustWrite(*d, 0, 4, 1);
  ASSERT_TRUE(d->Flush().ok());
  MustWrite(*d, 0, 4, 2);
  MustWrite(*d, 20, 4, 3);
  d->Crash(LossPolicy::kAll, rng);
  EXPECT_EQ(d->pending_writes(), 0u);
  for (uint64_t s = 0; s < 4; ++s) EXPECT_EQ(Value(*d, s), 1);
  for (uint64_t s = 20; s < 24; ++s) EXPECT_EQ(Value(*d, s), 0);
}

TEST(DiskTest, CrashNoneKeepsEverything) {
  auto d = MakeDisk(64);
  Rng rng(1);
  MustWrite(*d, 0, 4, 1);
  MustWrite(*d, 2, 4, 2);
  d->Crash(LossPolicy::kNone, rng);
  const uint8_t want[] = {1, 1, 2, 2, 2, 2, 0};
  for (uint64_t s = 0; s < 7; ++s) EXPECT_EQ(ImageValue(*d, s), want[s]) << s;
}

TEST(DiskTest, FuaSurvivesCrashAll) {
  auto d = MakeDisk(64);
  Rng rng(1);
  MustWrite(*d, 0, 4, 0x31, /*fua=*/true);
  MustWrite(*d, 4, 4, 0x32);
  d->Crash(LossPolicy::kAll, rng);
  for (uint64_t s = 0; s < 4; ++s) EXPECT_EQ(Value(*d, s), 0x31);
  for (uint64_t s = 4; s < 8; ++s) EXPECT_EQ(Value(*d, s), 0);
}

TEST(DiskTest, OlderRecordNeverOverwritesNewerFuaData) {
  for (uint64_t seed = 0; seed < 64; ++seed) {
    auto d = MakeDisk(64);
    MustWrite(*d, 0, 8, 1);
    MustWrite(*d, 2, 2, 2, /*fua=*/true);
    const uint8_t want[] = {1, 1, 2, 2, 1, 1, 1, 1};
    for (uint64_t s = 0; s < 8; ++s) ASSERT_EQ(Value(*d, s), want[s]) << s;
    Rng rng(seed);
    d->Crash(seed == 0 ? LossPolicy::kNone : LossPolicy::kRandom, rng);
    for (uint64_t s = 0; s < 8; ++s) {
      const uint8_t v = Value(*d, s);
      if (s == 2 || s == 3) {
        ASSERT_EQ(v, 2) << "seed " << seed << " sector " << s;
      } else {
        ASSERT_TRUE(v == 0 || v == 1) << "seed " << seed << " sector " << s;
        if (seed == 0) {
          ASSERT_EQ(v, 1);
        }
      }
    }
  }
}

TEST(DiskTest, WriteBackOfOlderRecordRespectsFuaAndNewerCachedData) {
  DiskOptions options;
  options.max_dirty_bytes = 12 * kSectorSize;
  auto d = MakeDisk(256, options);
  Rng rng(1);
  MustWrite(*d, 0, 8, 1);
  MustWrite(*d, 2, 2, 2, /*fua=*/true);
  MustWrite(*d, 4, 2, 3);
  MustWrite(*d, 100, 4, 4);  // 14 dirty sectors: the first record is written back
  EXPECT_EQ(d->pending_writes(), 2u);
  const uint8_t image_want[] = {1, 1, 2, 2, 1, 1, 1, 1};
  for (uint64_t s = 0; s < 8; ++s) EXPECT_EQ(ImageValue(*d, s), image_want[s]) << s;
  EXPECT_EQ(Value(*d, 4), 3) << "a written-back older record hid newer cached data";
  d->Crash(LossPolicy::kAll, rng);
  for (uint64_t s = 0; s < 8; ++s) EXPECT_EQ(Value(*d, s), image_want[s]) << s;
  EXPECT_EQ(Value(*d, 100), 0);
}

TEST(DiskTest, FlushedDataIsNeverRolledBack) {
  for (uint64_t seed = 0; seed < 32; ++seed) {
    auto d = MakeDisk(16);
    MustWrite(*d, 0, 4, 1);
    MustWrite(*d, 0, 4, 2);
    ASSERT_TRUE(d->Flush().ok());
    MustWrite(*d, 4, 4, 3);
    Rng rng(seed);
    d->Crash(LossPolicy::kRandom, rng);
    for (uint64_t s = 0; s < 4; ++s) ASSERT_EQ(Value(*d, s), 2) << "seed " << seed;
  }
}

TEST(DiskTest, OverlappingUnflushedWritesYieldOldV1OrV2PerSector) {
  std::set<uint8_t> outcomes;
  for (uint64_t seed = 0; seed < 200; ++seed) {
    auto d = MakeDisk(16);
    MustWrite(*d, 0, 8, 9);
    ASSERT_TRUE(d->Flush().ok());
    MustWrite(*d, 0, 8, 1);
    MustWrite(*d, 0, 8, 2);
    Rng rng(seed);
    d->Crash(LossPolicy::kRandom, rng);
    for (uint64_t s = 0; s < 8; ++s) {
      const uint8_t v = Value(*d, s);
      ASSERT_TRUE(v == 9 || v == 1 || v == 2) << "seed " << seed << " sector " << s;
      ASSERT_EQ(v, ImageValue(*d, s));
      outcomes.insert(v);
    }
  }
  EXPECT_EQ(outcomes, (std::set<uint8_t>{1, 2, 9}));
}

TEST(DiskTest, CrashTearsMultiSectorWrites) {
  bool torn = false;
  for (uint64_t seed = 0; seed < 50 && !torn; ++seed) {
    auto d = MakeDisk(32);
    MustWrite(*d, 0, 16, 7);
    Rng rng(seed);
    d->Crash(LossPolicy::kRandom, rng);
    int kept = 0;
    for (uint64_t s = 0; s < 16; ++s) kept += Value(*d, s) == 7;
    torn = kept > 0 && kept < 16;
  }
  EXPECT_TRUE(torn) << "no seed tore a 16-sector write";
}

TEST(DiskTest, BoundedCacheWritesBackOldest) {
  DiskOptions options;
  options.max_dirty_bytes = 8 * kSectorSize;
  auto d = MakeDisk(64, options);
  Rng rng(1);
  MustWrite(*d, 0, 4, 1);
  MustWrite(*d, 4, 4, 2);
  EXPECT_EQ(d->pending_writes(), 2u);
  EXPECT_EQ(ImageValue(*d, 0), 0);
  MustWrite(*d, 8, 4, 3);
  EXPECT_EQ(d->pending_writes(), 2u);
  EXPECT_LE(d->dirty_bytes(), options.max_dirty_bytes);
  EXPECT_EQ(ImageValue(*d, 0), 1);
  EXPECT_EQ(ImageValue(*d, 4), 0);
  d->Crash(LossPolicy::kAll, rng);
  EXPECT_EQ(Value(*d, 0), 1) << "written-back data must survive a crash";
  EXPECT_EQ(Value(*d, 4), 0);
  EXPECT_EQ(Value(*d, 8), 0);
}

// A write from a buffer: the cache keeps the buffer itself and gives back
// the buffer of a record it wrote back.
TEST(DiskTest, AWriteFromABufferKeepsItAndGivesBackAWrittenBackOne) {
  DiskOptions options;
  options.max_dirty_bytes = 256 * kSectorSize;
  auto d = MakeDisk(1024, options);
  std::vector<uint8_t> buffer = Fill(128, 1);
  const uint8_t* first = buffer.data();
  ASSERT_TRUE(d->Write(0, 128, &buffer, false).ok());
  EXPECT_EQ(buffer.capacity(), 0u) << "nothing was written back yet";
  buffer = Fill(128, 2);
  ASSERT_TRUE(d->Write(128, 128, &buffer, false).ok());
  buffer = Fill(128, 3);  // past the bound: the first record goes to the image
  ASSERT_TRUE(d->Write(256, 128, &buffer, false).ok());
  EXPECT_EQ(ImageValue(*d, 0), 1);
  buffer = Fill(128, 4);
  ASSERT_TRUE(d->Write(384, 128, &buffer, false).ok());
  EXPECT_EQ(buffer.data(), first) << "the written-back record's buffer did not come back";
  EXPECT_EQ(Value(*d, 127), 1);
  EXPECT_EQ(Value(*d, 128), 2);
  EXPECT_EQ(Value(*d, 300), 3);
  EXPECT_EQ(Value(*d, 511), 4);
  // A write the faults corrupt is the corrupted copy, not the buffer.
  d->faults().corrupt.push_back({*SectorRanges::Parse("all"), FaultOp::kWrite, 9, 200});
  buffer = Fill(8, 5);
  ASSERT_TRUE(d->Write(512, 8, &buffer, false).ok());
  std::vector<uint8_t> got(kSectorSize);
  ASSERT_TRUE(d->Read(512, 1, got.data()).ok());
  EXPECT_EQ(got[0], 5);
  EXPECT_EQ(got[8], 200);
}

TEST(DiskTest, DiscardReadsZeroAndIsNotUndoneByOlderWrites) {
  for (uint64_t seed = 0; seed < 32; ++seed) {
    auto d = MakeDisk(64);
    MustWrite(*d, 0, 8, 1);
    ASSERT_TRUE(d->Flush().ok());
    MustWrite(*d, 0, 8, 2);
    ASSERT_TRUE(d->Discard(2, 4).ok());
    for (uint64_t s = 0; s < 8; ++s) ASSERT_EQ(Value(*d, s), (s >= 2 && s < 6) ? 0 : 2) << s;
    Rng rng(seed);
    d->Crash(seed == 0 ? LossPolicy::kNone : LossPolicy::kRandom, rng);
    for (uint64_t s = 2; s < 6; ++s) ASSERT_EQ(Value(*d, s), 0) << "seed " << seed;
    EXPECT_EQ(d->stats().discards, 1u);
  }
}

TEST(DiskTest, WithoutVolatileCacheWritesAreDurableAtOnce) {
  DiskOptions options;
  options.volatile_cache = false;
  auto d = MakeDisk(64, options);
  Rng rng(1);
  MustWrite(*d, 3, 2, 5);
  EXPECT_EQ(ImageValue(*d, 3), 5);
  EXPECT_EQ(d->dirty_bytes(), 0u);
  d->Crash(LossPolicy::kAll, rng);
  EXPECT_EQ(Value(*d, 4), 5);
}

TEST(DiskTest, PowerCutFailsLaterWritesAndKeepsEarlierOnes) {
  auto power = std::make_shared<PowerDomain>(42);
  auto a = MakeDisk(64, {}, "pv0");
  auto b = MakeDisk(64, {}, "pv1");
  a->set_power(power);
  b->set_power(power);
  MustWrite(*a, 0, 1, 9);  // before the cut is armed
  power->CutAfterWrites(3);
  MustWrite(*a, 1, 1, 1);
  MustWrite(*b, 0, 1, 2);
  ASSERT_TRUE(a->Flush().ok());
  EXPECT_FALSE(power->off());
  auto data = Fill(8, 3);
  Status st = b->Write(8, 8, data.data(), false);
  EXPECT_EQ(st.code(), Code::kIOError);
  EXPECT_EQ(st.message(), "pv1: power is off");
  EXPECT_TRUE(power->off());
  st = a->Write(16, 1, data.data(), true);
  EXPECT_EQ(st.message(), "pv0: power is off");
  std::vector<uint8_t> buf(kSectorSize);
  EXPECT_EQ(a->Read(0, 1, buf.data()).message(), "pv0: power is off");
  EXPECT_FALSE(b->Flush().ok());
  EXPECT_FALSE(b->Discard(0, 1).ok());
  EXPECT_EQ(power->writes_seen(), 5);  // 1 before arming, 3 admitted, 1 cut

  power->Restore();
  Rng rng(7);
  a->Crash(LossPolicy::kNone, rng);
  b->Crash(LossPolicy::kNone, rng);
  EXPECT_EQ(Value(*a, 0), 9);
  EXPECT_EQ(Value(*a, 1), 1);
  EXPECT_EQ(Value(*b, 0), 2);
  EXPECT_EQ(Value(*a, 16), 0);
  for (uint64_t s = 8; s < 16; ++s) {
    const uint8_t v = Value(*b, s);
    EXPECT_TRUE(v == 0 || v == 3) << s;
  }
  EXPECT_EQ(b->stats().writes, 1u);
}

TEST(DiskTest, PowerCutTearsTheWriteInFlight) {
  bool torn = false;
  for (uint64_t seed = 0; seed < 50 && !torn; ++seed) {
    auto power = std::make_shared<PowerDomain>(seed);
    auto d = MakeDisk(32);
    d->set_power(power);
    power->CutAfterWrites(0);
    auto data = Fill(16, 4);
    ASSERT_FALSE(d->Write(0, 16, data.data(), /*fua=*/true).ok());
    power->Restore();
    Rng rng(seed);
    d->Crash(LossPolicy::kNone, rng);
    int kept = 0;
    for (uint64_t s = 0; s < 16; ++s) kept += Value(*d, s) == 4;
    torn = kept > 0 && kept < 16;
  }
  EXPECT_TRUE(torn);
}

// Random writes, FUA writes, flushes and discards, then a random crash:
// returns a fingerprint of the resulting image.
uint64_t CrashFingerprint(uint64_t seed) {
  DiskOptions options;
  options.max_dirty_bytes = 32 * kSectorSize;
  auto d = MakeDisk(128, options);
  Rng rng(seed);
  Rng ops = rng.Derive("ops");
  for (int i = 0; i < 300; ++i) {
    const uint64_t sector = ops.Uniform(120);
    const uint32_t n = static_cast<uint32_t>(1 + ops.Uniform(8));
    auto data = Fill(n, static_cast<uint8_t>(1 + i % 250));
    const uint64_t op = ops.Uniform(20);
    if (op == 0) {
      EXPECT_TRUE(d->Flush().ok());
    } else if (op == 1) {
      EXPECT_TRUE(d->Discard(sector, n).ok());
    } else {
      EXPECT_TRUE(d->Write(sector, n, data.data(), op == 2).ok());
    }
  }
  Rng crash = rng.Derive("crash");
  d->Crash(LossPolicy::kRandom, crash);
  std::vector<uint8_t> image(128 * kSectorSize);
  EXPECT_TRUE(d->image()->Read(0, image.data(), image.size()).ok());
  return Hash64(image.data(), image.size());
}

TEST(DiskTest, SameSeedSameCrashOutcome) {
  std::set<uint64_t> distinct;
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    const uint64_t h = CrashFingerprint(seed);
    EXPECT_EQ(h, CrashFingerprint(seed)) << "seed " << seed;
    distinct.insert(h);
  }
  EXPECT_GT(distinct.size(), 1u);
}

// A per-sector oracle (durable value plus pending values since, as in
// RocksDB's expected_state): random operations on a small disk with a small
// cache, reads checked against the newest value, and after every loss policy
// each sector must hold its durable value or one of its pending ones.
TEST(DiskTest, RandomOperationsMatchTheOracleAfterEveryLossPolicy) {
  constexpr uint64_t kSectors = 64;
  for (uint64_t seed = 0; seed < 60; ++seed) {
    const LossPolicy policy = static_cast<LossPolicy>(seed % 3);
    DiskOptions options;
    options.max_dirty_bytes = (seed % 2 ? 16 : 1024) * kSectorSize;
    auto d = MakeDisk(kSectors, options);
    std::vector<uint8_t> latest(kSectors, 0), durable(kSectors, 0);
    std::vector<std::vector<uint8_t>> pending(kSectors);
    Rng ops(seed);
    for (int i = 0; i < 200; ++i) {
      const uint64_t sector = ops.Uniform(kSectors - 8);
      const uint32_t n = static_cast<uint32_t>(1 + ops.Uniform(8));
      const uint8_t v = static_cast<uint8_t>(1 + i);
      const uint64_t op = ops.Uniform(16);
      if (op == 0) {
        ASSERT_TRUE(d->Flush().ok());
        for (uint64_t s = 0; s < kSectors; ++s) durable[s] = latest[s], pending[s].clear();
      } else if (op == 1 || op == 2) {  // discard or FUA write: durable at once
        if (op == 1) {
          ASSERT_TRUE(d->Discard(sector, n).ok());
        } else {
          MustWrite(*d, sector, n, v, /*fua=*/true);
        }
        for (uint64_t s = sector; s < sector + n; ++s) {
          latest[s] = durable[s] = op == 1 ? 0 : v;
          pending[s].clear();
        }
      } else if (op == 3) {
        std::vector<uint8_t> buf(n * kSectorSize);
        ASSERT_TRUE(d->Read(sector, n, buf.data()).ok());
        for (uint64_t s = sector; s < sector + n; ++s) {
          ASSERT_EQ(buf[(s - sector) * kSectorSize], latest[s]) << "seed " << seed;
        }
      } else {
        MustWrite(*d, sector, n, v);
        for (uint64_t s = sector; s < sector + n; ++s) latest[s] = v, pending[s].push_back(v);
      }
    }
    Rng crash(seed * 7919);
    d->Crash(policy, crash);
    for (uint64_t s = 0; s < kSectors; ++s) {
      const uint8_t got = ImageValue(*d, s);
      if (policy == LossPolicy::kNone) {
        ASSERT_EQ(got, latest[s]) << "seed " << seed << " sector " << s;
        continue;
      }
      const bool allowed = got == durable[s] ||
                           std::find(pending[s].begin(), pending[s].end(), got) != pending[s].end();
      ASSERT_TRUE(allowed) << "seed " << seed << " policy " << LossPolicyName(policy) << " sector "
                           << s << " holds " << int{got};
    }
  }
}

TEST(DiskTest, FailedDeviceErrorsNameTheDisk) {
  auto d = MakeDisk(64, {}, "pv3");
  d->SetFailed(true);
  EXPECT_TRUE(d->failed());
  std::vector<uint8_t> buf(kSectorSize);
  const std::string want = "pv3: device failed; restore it with `lvlab fault pv3 --restore`";
  EXPECT_EQ(d->Read(0, 1, buf.data()).message(), want);
  Status st = d->Write(0, 1, buf.data(), false);
  EXPECT_EQ(st.code(), Code::kIOError);
  EXPECT_EQ(st.message(), want);
  EXPECT_EQ(d->Flush().message(), want);
  EXPECT_EQ(d->Discard(0, 1).message(), want);
  d->SetFailed(false);
  EXPECT_TRUE(d->Write(0, 1, buf.data(), false).ok());
}

TEST(DiskTest, OutOfRangeIoIsAnErrorNamingTheDisk) {
  auto d = MakeDisk(16, {}, "pv5");
  EXPECT_EQ(d->size_sectors(), 16u);
  auto data = Fill(2, 1);
  Status st = d->Write(15, 2, data.data(), false);
  EXPECT_EQ(st.code(), Code::kIOError);
  EXPECT_NE(st.message().find("pv5"), std::string::npos);
  EXPECT_NE(st.message().find("beyond the end"), std::string::npos);
  EXPECT_FALSE(d->Read(~uint64_t{0}, 2, data.data()).ok());
  EXPECT_TRUE(d->Write(14, 2, data.data(), false).ok());
}

TEST(DiskTest, StatsCountCompletedOperations) {
  auto d = MakeDisk(64);
  std::vector<uint8_t> buf(4 * kSectorSize);
  MustWrite(*d, 0, 4, 1);
  MustWrite(*d, 4, 2, 1, true);
  ASSERT_TRUE(d->Read(0, 4, buf.data()).ok());
  ASSERT_TRUE(d->Flush().ok());
  ASSERT_TRUE(d->Discard(0, 8).ok());
  const DiskStats& s = d->stats();
  EXPECT_EQ(s.writes, 2u);
  EXPECT_EQ(s.bytes_written, 6 * kSectorSize);
  EXPECT_EQ(s.reads, 1u);
  EXPECT_EQ(s.bytes_read, 4 * kSectorSize);
  EXPECT_EQ(s.flushes, 1u);
  EXPECT_EQ(s.discards, 1u);
}

TEST(DiskTest, CompletionTimeAddsLatencyAndSerialisesBandwidth) {
  DiskOptions options;
  options.model.read_latency_ns = 100;
  options.model.write_latency_ns = 200;
  options.model.bandwidth_bytes_per_sec = 1'000'000;  // 1 byte per microsecond
  auto d = MakeDisk(16, options);
  EXPECT_EQ(d->CompletionTimeNs(0, false, 1000), 1'000'000u + 100);
  EXPECT_EQ(d->CompletionTimeNs(0, true, 1000), 2'000'000u + 200);  // queued behind the first
  EXPECT_EQ(d->CompletionTimeNs(5'000'000, false, 1), 5'001'000u + 100);
  DiskOptions unlimited;
  unlimited.model.read_latency_ns = 50;
  auto u = MakeDisk(16, unlimited);
  EXPECT_EQ(u->CompletionTimeNs(10, false, 1 << 20), 60u);
  EXPECT_EQ(u->CompletionTimeNs(10, false, 1 << 20), 60u);
}

TEST(DiskTest, LossPolicyNamesRoundTrip) {
  for (LossPolicy p : {LossPolicy::kNone, LossPolicy::kAll, LossPolicy::kRandom}) {
    auto parsed = ParseLossPolicy(LossPolicyName(p));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, p);
  }
  auto bad = ParseLossPolicy("some");
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.status().message().find("use none, all or random"), std::string::npos);
}

TEST(DiskTest, ChangedSinceSeesWritesDiscardsCrashesAndFaults) {
  auto d = MakeDisk(1024);
  const uint64_t born = ChangeStampNow();
  EXPECT_FALSE(d->ChangedSince(born, 0, 1024));
  MustWrite(*d, 100, 8, 0x11);
  EXPECT_TRUE(d->ChangedSince(born, 0, 1024));
  EXPECT_TRUE(d->ChangedSince(born, 107, 108));
  EXPECT_FALSE(d->ChangedSince(born, 0, 100));
  EXPECT_FALSE(d->ChangedSince(born, 108, 1024));
  const uint64_t t1 = ChangeStampNow();
  EXPECT_FALSE(d->ChangedSince(t1, 0, 1024));
  ASSERT_TRUE(d->Flush().ok());  // the same data, now durable
  EXPECT_FALSE(d->ChangedSince(t1, 0, 1024));
  ASSERT_TRUE(d->Discard(500, 4).ok());
  EXPECT_TRUE(d->ChangedSince(t1, 503, 504));
  EXPECT_FALSE(d->ChangedSince(t1, 0, 500));
  MustWrite(*d, 300, 4, 0x33);  // not flushed
  const uint64_t t2 = ChangeStampNow();
  Rng rng(1);
  d->Crash(LossPolicy::kNone, rng);  // what was unflushed may change, nothing else
  EXPECT_TRUE(d->ChangedSince(t2, 303, 304));
  EXPECT_FALSE(d->ChangedSince(t2, 0, 300));
  EXPECT_FALSE(d->ChangedSince(t2, 304, 1024));
  const uint64_t t3 = ChangeStampNow();
  d->SetFailed(true);
  EXPECT_TRUE(d->ChangedSince(t3, 0, 1));
  d->SetFailed(false);
  EXPECT_TRUE(d->ChangedSince(t3, 0, 1));
  const uint64_t t4 = ChangeStampNow();
  EXPECT_FALSE(d->ChangedSince(t4, 0, 1024));
  // A disk made later than a stamp is changed since.
  auto later = MakeDisk(1024);
  EXPECT_TRUE(later->ChangedSince(t4, 0, 1));
}

TEST(DiskTest, ChangedSinceCarriesOverToTheNextDiskOnAMemoryImage) {
  std::unique_ptr<ImageFile> image = NewMemImage(1024 * kSectorSize);
  auto first = std::make_unique<Disk>("pv0", NewImageView(image.get()), DiskOptions{});
  MustWrite(*first, 100, 8, 0x11);
  ASSERT_TRUE(first->Flush().ok());
  MustWrite(*first, 200, 8, 0x22);
  const uint64_t t0 = ChangeStampNow();
  MustWrite(*first, 300, 8, 0x33);
  Rng rng(1);
  first->Crash(LossPolicy::kAll, rng);
  const uintptr_t identity = first->change_identity();
  first.reset();
  auto second = std::make_unique<Disk>("pv0", NewImageView(image.get()), DiskOptions{});
  EXPECT_EQ(second->change_identity(), identity);
  EXPECT_FALSE(second->ChangedSince(t0, 0, 200)) << "flushed before t0, untouched since";
  EXPECT_TRUE(second->ChangedSince(t0, 200, 201)) << "lost in the crash after t0";
  EXPECT_TRUE(second->ChangedSince(t0, 307, 308)) << "written after t0";
  EXPECT_FALSE(second->ChangedSince(t0, 308, 1024));
  // Another image, another record.
  EXPECT_NE(MakeDisk(16)->change_identity(), MakeDisk(16)->change_identity());
}

// A disk of more than ChangeRecord::kMaxChunks sectors stamps chunks of
// several sectors: a change counts for its whole chunk, never less.
TEST(DiskTest, ChangedSinceOverReportsByLessThanAChunkOnALargeDisk) {
  constexpr uint64_t kSectors = ChangeRecord::kMaxChunks * 4;  // chunks of 4 sectors
  auto d = MakeDisk(kSectors);
  const uint64_t t0 = ChangeStampNow();
  for (uint64_t s = 0; s < 40000; s += 16) MustWrite(*d, s + 5, 1, 0x22);
  EXPECT_TRUE(d->ChangedSince(t0, 5, 6));
  EXPECT_TRUE(d->ChangedSince(t0, 4, 5)) << "the same chunk";
  EXPECT_TRUE(d->ChangedSince(t0, 7, 8)) << "the same chunk";
  EXPECT_FALSE(d->ChangedSince(t0, 8, 20));
  EXPECT_TRUE(d->ChangedSince(t0, 39989, 39990));
  EXPECT_FALSE(d->ChangedSince(t0, 40000, kSectors));
  EXPECT_FALSE(d->ChangedSince(ChangeStampNow(), 0, kSectors));
  MustWrite(*d, kSectors - 1, 1, 0x33);  // the last, partial, chunk
  EXPECT_TRUE(d->ChangedSince(t0, kSectors - 1, kSectors));
}

}  // namespace
}  // namespace lvlab::store
