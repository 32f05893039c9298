// Oracle unit tests: the data format, the newest value between crashes,
// pending vs durable after a power loss, read collapse, FUA, flush epochs,
// discard, failed and in-flight writes, sparseness and speed.
#include "sim/check/oracle.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <vector>

#include "sim/base/change_clock.h"
#include "sim/base/units.h"
#include "sim/check/check_test_util.h"
#include "sim/check/sector_format.h"

namespace lvlab::check {
namespace {

constexpr char kLv[] = "vg0/lv0";

// n sectors from `sector`, sector i holding tokens[i] (or tokens[0] for all).
std::vector<uint8_t> Data(uint64_t sector, uint64_t n, std::vector<uint64_t> tokens) {
  std::vector<uint8_t> out(n * kSectorSize);
  for (uint64_t i = 0; i < n; ++i) {
    FillSector(&out[i * kSectorSize], tokens.size() == 1 ? tokens[0] : tokens[i], sector + i);
  }
  return out;
}

class OracleTest : public ::testing::Test {
 protected:
  OracleTest() { o_.Track(kLv, 1024); }

  void Write(uint64_t sector, uint64_t n, uint64_t token, bool fua = false,
             Status status = Status::Ok()) {
    o_.WriteSubmitted(kLv, sector, n, {token});
    o_.WriteCompleted(kLv, sector, n, {token}, fua, status);
  }
  Status Read(uint64_t sector, uint64_t n, std::vector<uint64_t> tokens) {
    const std::vector<uint8_t> d = Data(sector, n, std::move(tokens));
    return o_.CheckRead(kLv, sector, n, d.data());
  }
  std::vector<uint64_t> Possible(uint64_t sector) { return o_.Possible(kLv, sector); }

  Oracle o_{7};
  const uint64_t A = o_.NextToken(), B = o_.NextToken(), C = o_.NextToken();
};

TEST(SectorFormatTest, RoundTripsAndRecognisesDamage) {
  std::vector<uint8_t> s(kSectorSize);
  FillSector(s.data(), 0x1234, 77);
  EXPECT_EQ(DecodeSector(s.data(), 77), 0x1234u);
  EXPECT_EQ(InspectSector(s.data(), 78).kind, SectorContent::Kind::kMisdirected);
  EXPECT_EQ(DecodeSector(s.data(), 78), std::nullopt);
  EXPECT_NE(DescribeContent(InspectSector(s.data(), 78)).find("written for sector 77"),
            std::string::npos);
  s[300] ^= 1;
  EXPECT_EQ(DecodeSector(s.data(), 77), std::nullopt);
  EXPECT_EQ(InspectSector(s.data(), 77).kind, SectorContent::Kind::kGarbage);
  FillSector(s.data(), 0, 77);
  EXPECT_EQ(s, std::vector<uint8_t>(kSectorSize, 0));
  EXPECT_EQ(DecodeSector(s.data(), 77), 0u);
  s[511] = 1;  // zeros but one byte
  EXPECT_EQ(DecodeSector(s.data(), 77), std::nullopt);
}

TEST_F(OracleTest, TokensAreUniqueAndNonZero) {
  Oracle a(1), b(1), c(2);
  for (int i = 0; i < 100; ++i) {
    const uint64_t t = a.NextToken();
    EXPECT_NE(t, 0u);
    EXPECT_EQ(t, b.NextToken());  // same seed, same stream
    EXPECT_NE(t, c.NextToken());
  }
}

TEST_F(OracleTest, BetweenCrashesAReadMustReturnTheNewestWrite) {
  EXPECT_TRUE(Read(0, 16, {0}).ok()) << "never written reads as zeros";
  Write(8, 8, A);
  EXPECT_TRUE(Read(8, 8, {A}).ok());
  Write(12, 8, B);
  EXPECT_TRUE(Read(8, 12, {A, A, A, A, B, B, B, B, B, B, B, B}).ok());
  const Status st = Read(8, 8, {A});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.code(), Code::kCorrupt);
  EXPECT_NE(st.message().find("vg0/lv0: sector 12 read " + TokenString(A) + ", expected " +
                              TokenString(B) + " (the newest value)"),
            std::string::npos)
      << st.message();
  EXPECT_NE(Read(20, 1, {A}).message().find("expected zeros (never written, or discarded)"),
            std::string::npos);
  EXPECT_EQ(o_.stats().violations, 2u);
}

TEST_F(OracleTest, AWriteInFlightMayReadOldOrNew) {
  Write(0, 8, A);
  o_.WriteSubmitted(kLv, 0, 8, {B});
  EXPECT_EQ(Possible(0), (std::vector<uint64_t>{std::min(A, B), std::max(A, B)}));
  EXPECT_TRUE(Read(0, 8, {B}).ok());
  EXPECT_TRUE(Read(0, 8, {A}).ok()) << "an in-flight write decides nothing";
  EXPECT_FALSE(Read(0, 8, {C}).ok());
  o_.WriteCompleted(kLv, 0, 8, {B}, false, Status::Ok());
  EXPECT_FALSE(Read(0, 8, {A}).ok());
  EXPECT_TRUE(Read(0, 8, {B}).ok());
}

// Builds: A flushed at sector 0; then B written over it, not flushed.
void AflushedThenB(Oracle& o, uint64_t a, uint64_t b) {
  o.Track(kLv, 1024);
  o.WriteCompleted(kLv, 0, 8, {a}, false, Status::Ok());
  o.FlushCompleted(kLv);
  o.WriteCompleted(kLv, 0, 8, {b}, false, Status::Ok());
  o.PowerLoss();
}

TEST_F(OracleTest, AfterPowerLossDurableOrPendingAndNothingElse) {
  for (uint64_t seen : {A, B}) {
    Oracle o(7);
    AflushedThenB(o, A, B);
    const auto d = Data(0, 8, {seen});
    EXPECT_TRUE(o.CheckRead(kLv, 0, 8, d.data()).ok()) << TokenString(seen);
  }
  for (uint64_t seen : {C, uint64_t{0}}) {
    Oracle o(7);
    AflushedThenB(o, A, B);
    const auto d = Data(0, 8, {seen});
    const Status st = o.CheckRead(kLv, 0, 8, d.data());
    ASSERT_FALSE(st.ok());
    const std::string set =
        "{" + TokenString(std::min(A, B)) + ", " + TokenString(std::max(A, B)) + "}";
    EXPECT_NE(st.message().find("vg0/lv0: sector 0 read " + TokenString(seen) +
                                ", expected one of " + set + " (possible after a power loss"),
              std::string::npos)
        << st.message();
  }
  // A sector torn between the two at sector granularity is fine.
  Oracle o(7);
  AflushedThenB(o, A, B);
  const auto d = Data(0, 8, {A, B, B, A, A, B, A, B});
  EXPECT_TRUE(o.CheckRead(kLv, 0, 8, d.data()).ok());
}

TEST_F(OracleTest, TheFirstReadAfterACrashDecides) {
  AflushedThenB(o_, A, B);
  EXPECT_TRUE(Read(0, 8, {A, A, B, B, A, A, B, B}).ok());
  EXPECT_EQ(o_.runs(kLv), 4u) << "decided per sector";
  EXPECT_TRUE(Read(0, 8, {A, A, B, B, A, A, B, B}).ok());
  const Status st = Read(0, 8, {A, A, B, B, A, A, B, A});
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("sector 7 read " + TokenString(A) + ", expected " + TokenString(B)),
            std::string::npos)
      << st.message();
  // What was read is now durable: another power loss does not reopen it.
  o_.PowerLoss();
  EXPECT_EQ(Possible(2), std::vector<uint64_t>{B});
  EXPECT_EQ(Possible(0), std::vector<uint64_t>{A});
}

TEST_F(OracleTest, UndecidedSectorsStayUndecidedAcrossCrashesAndGainNewWrites) {
  AflushedThenB(o_, A, B);
  Write(0, 8, C);  // never flushed
  EXPECT_EQ(Possible(0), std::vector<uint64_t>{C});
  o_.PowerLoss();
  std::vector<uint64_t> all{A, B, C};
  std::sort(all.begin(), all.end());
  EXPECT_EQ(Possible(0), all);
  o_.PowerLoss();
  EXPECT_EQ(Possible(0), all);
  EXPECT_TRUE(Read(0, 8, {B}).ok());
  EXPECT_EQ(Possible(0), std::vector<uint64_t>{B});
}

TEST_F(OracleTest, FuaIsDurableAtOnce) {
  Write(0, 8, A);
  Write(0, 8, B, /*fua=*/true);  // supersedes the pending A
  Write(8, 8, C, /*fua=*/true);
  o_.PowerLoss();
  EXPECT_EQ(Possible(0), std::vector<uint64_t>{B});
  EXPECT_EQ(Possible(8), std::vector<uint64_t>{C});
  EXPECT_FALSE(Read(0, 8, {A}).ok());
  EXPECT_FALSE(Read(8, 8, {0}).ok());
}

TEST_F(OracleTest, AFlushCoversOnlyWritesCompletedBeforeItWasSubmitted) {
  Write(0, 8, A);
  o_.WriteSubmitted(kLv, 8, 8, {B});  // in flight when the flush is submitted
  const uint64_t epoch = o_.FlushSubmitted(kLv);
  Write(16, 8, C);  // completed after the flush was submitted
  o_.WriteCompleted(kLv, 8, 8, {B}, false, Status::Ok());
  o_.FlushCompleted(kLv, epoch);
  o_.PowerLoss();
  EXPECT_EQ(Possible(0), std::vector<uint64_t>{A});
  EXPECT_EQ(Possible(8), (std::vector<uint64_t>{0, B}));
  EXPECT_EQ(Possible(16), (std::vector<uint64_t>{0, C}));
}

TEST_F(OracleTest, AFlushMakesTheNewestCoveredWriteDurable) {
  Write(0, 8, A);
  Write(0, 8, B);
  const uint64_t epoch = o_.FlushSubmitted(kLv);
  Write(0, 8, C);
  o_.FlushCompleted(kLv, epoch);
  EXPECT_EQ(o_.pending_ops(kLv), 1u);
  o_.PowerLoss();
  std::vector<uint64_t> bc{B, C};
  std::sort(bc.begin(), bc.end());
  EXPECT_EQ(Possible(0), bc) << "A was superseded before the flush";
}

TEST_F(OracleTest, DiscardIsZerosDurableAtOnce) {
  Write(0, 16, A);
  o_.Discard(kLv, 4, 8);
  EXPECT_TRUE(Read(0, 16, {A, A, A, A, 0, 0, 0, 0, 0, 0, 0, 0, A, A, A, A}).ok());
  EXPECT_FALSE(Read(4, 1, {A}).ok());
  o_.PowerLoss();
  EXPECT_EQ(Possible(4), std::vector<uint64_t>{0});
  EXPECT_EQ(Possible(0), (std::vector<uint64_t>{0, A}));
}

TEST_F(OracleTest, AFailedWriteMayOrMayNotHaveLanded) {
  Write(0, 8, A);
  o_.FlushCompleted(kLv);
  Write(0, 8, B, false, IOError("pv1: power is off"));
  std::vector<uint64_t> ab{A, B};
  std::sort(ab.begin(), ab.end());
  EXPECT_EQ(Possible(0), ab);
  EXPECT_TRUE(Read(0, 4, {B}).ok());
  EXPECT_TRUE(Read(4, 4, {A}).ok());
  EXPECT_FALSE(Read(0, 1, {A}).ok()) << "decided by the first read";
  EXPECT_FALSE(Read(4, 1, {B}).ok());
  // Neither half was flushed since; the failed write stays possible on both
  // (permissive: on a mirror the other leg may hold it).
  o_.PowerLoss();
  EXPECT_EQ(Possible(0), ab);
  EXPECT_EQ(Possible(4), ab);
}

TEST_F(OracleTest, AWriteInFlightAtAPowerLossMayHaveLandedAndItsCompletionIsIgnored) {
  Write(0, 8, A, /*fua=*/true);
  o_.WriteSubmitted(kLv, 0, 8, {B});
  o_.PowerLoss();
  std::vector<uint64_t> ab{A, B};
  std::sort(ab.begin(), ab.end());
  EXPECT_EQ(Possible(0), ab);
  o_.WriteCompleted(kLv, 0, 8, {B}, false, Status::Ok());  // a late completion
  EXPECT_EQ(Possible(0), ab);
  EXPECT_EQ(o_.stats().writes, 1u);
}

TEST_F(OracleTest, PerSectorTokens) {
  o_.WriteSubmitted(kLv, 0, 3, {A, B, C});
  o_.WriteCompleted(kLv, 0, 3, {A, B, C}, false, Status::Ok());
  EXPECT_TRUE(Read(0, 4, {A, B, C, 0}).ok());
  EXPECT_FALSE(Read(0, 3, {A, C, B}).ok());
}

TEST_F(OracleTest, CheckAllReadsEveryTrackedSector) {
  o_.Track("vg0/other", 3000);
  Write(100, 8, A);
  std::vector<uint8_t> image(1024 * kSectorSize);
  const auto a = Data(100, 8, {A});
  std::copy(a.begin(), a.end(), image.begin() + 100 * kSectorSize);
  uint64_t sectors_read = 0;
  auto read = [&](const std::string& lv, uint64_t sector, uint64_t n, uint8_t* out) {
    sectors_read += n;
    if (lv == kLv) std::copy_n(image.begin() + sector * kSectorSize, n * kSectorSize, out);
    return Status::Ok();
  };
  EXPECT_TRUE(o_.CheckAll(read).ok());
  EXPECT_EQ(sectors_read, 4024u);
  FillSector(&image[500 * kSectorSize], A, 100);  // a misdirected copy
  const Status st = o_.CheckAll(read);
  EXPECT_NE(st.message().find("vg0/lv0: sector 500 read data of token " + TokenString(A) +
                              " written for sector 100 (misdirected write), expected zeros"),
            std::string::npos)
      << st.message();
}

// The sparse CheckAll reads what the oracle knows of plus what the device
// says may hold data, and gives the same verdicts as reading everything.
TEST_F(OracleTest, SparseCheckAllReadsOnlyWhatCanTell) {
  Write(100, 8, A);
  std::vector<uint8_t> image(1024 * kSectorSize);
  const auto a = Data(100, 8, {A});
  std::copy(a.begin(), a.end(), image.begin() + 100 * kSectorSize);
  std::vector<std::pair<uint64_t, uint64_t>> reads;
  auto read = [&](const std::string&, uint64_t sector, uint64_t n, uint8_t* out) {
    reads.emplace_back(sector, n);
    std::copy_n(image.begin() + sector * kSectorSize, n * kSectorSize, out);
    return Status::Ok();
  };
  // The device: data in [96, 112) (rounded out, as a memory image is) and,
  // later, wherever the test puts some.
  std::vector<std::pair<uint64_t, uint64_t>> data = {{96, 112}};
  auto next_data = [&](const std::string&, uint64_t sector,
                       uint64_t end) -> std::optional<std::pair<uint64_t, uint64_t>> {
    for (const auto& [a0, b0] : data) {
      if (b0 > sector && a0 < end) return std::pair(std::max(a0, sector), std::min(b0, end));
    }
    return std::nullopt;
  };
  EXPECT_TRUE(o_.CheckAll(read, next_data).ok());
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0], (std::pair<uint64_t, uint64_t>(96, 16)));
  // A stale copy over never-written sectors is data to the device: read and
  // caught.
  FillSector(&image[500 * kSectorSize], A, 100);
  data.push_back({448, 576});
  const Status st = o_.CheckAll(read, next_data);
  EXPECT_NE(st.message().find("vg0/lv0: sector 500 read data of token " + TokenString(A) +
                              " written for sector 100 (misdirected write), expected zeros"),
            std::string::npos)
      << st.message();
  // Data the oracle knows of is read even where the device says hole.
  data.clear();
  reads.clear();
  std::fill(image.begin() + 100 * kSectorSize, image.begin() + 108 * kSectorSize, 0);
  EXPECT_FALSE(o_.CheckAll(read, next_data).ok());
  ASSERT_EQ(reads.size(), 1u);
  EXPECT_EQ(reads[0], (std::pair<uint64_t, uint64_t>(100, 8)));
}

TEST_F(OracleTest, AnUnwrittenTebibyteCostsNothing) {
  o_.Track("vg0/big", kTiB / kSectorSize);
  EXPECT_EQ(o_.runs("vg0/big"), 0u);
  o_.WriteCompleted("vg0/big", kTiB / kSectorSize - 8, 8, {A}, false, Status::Ok());
  o_.FlushCompleted("vg0/big");
  EXPECT_EQ(o_.runs("vg0/big"), 1u);
  o_.Discard("vg0/big", 0, kTiB / kSectorSize);
  EXPECT_EQ(o_.runs("vg0/big"), 0u);
}

// 100k random 4 KiB writes with a flush every 64, each read back: the
// oracle must stay fast and its memory proportional to what was written.
TEST_F(OracleTest, HundredThousandWritesAreCheap) {
  constexpr uint64_t kWrites = 100000;
  const uint64_t blocks = kTiB / 4096;
  o_.Track("vg0/big", kTiB / kSectorSize);
  Rng rng(99);
  // The newest token of each block sector, to read back.
  std::map<uint64_t, uint64_t> last;
  const auto t0 = std::chrono::steady_clock::now();  // measurement only, not simulation
  for (uint64_t i = 0; i < kWrites; ++i) {
    const uint64_t sector = rng.Uniform(blocks) * 8;
    const uint64_t token = o_.NextToken();
    o_.WriteSubmitted("vg0/big", sector, 8, {token});
    o_.WriteCompleted("vg0/big", sector, 8, {token}, false, Status::Ok());
    if (i % 64 == 63) o_.FlushCompleted("vg0/big");
    last[sector] = token;
  }
  const auto t1 = std::chrono::steady_clock::now();
  uint64_t reads = 0;
  for (const auto& [sector, token] : last) {
    const std::vector<uint8_t> d = Data(sector, 8, {token});
    EXPECT_TRUE(o_.CheckRead("vg0/big", sector, 8, d.data()).ok());
    ++reads;
  }
  const auto t2 = std::chrono::steady_clock::now();
  const double wsec = std::chrono::duration<double>(t1 - t0).count();
  const double rsec = std::chrono::duration<double>(t2 - t1).count();
  std::printf("oracle: %.0f writes/s (4 KiB, a flush every 64), %.0f reads/s checked\n",
              kWrites / wsec, reads / rsec);
  EXPECT_EQ(o_.stats().violations, 0u);
  EXPECT_LE(o_.runs("vg0/big"), kWrites);
  EXPECT_LE(o_.pending_ops("vg0/big"), 64u);
  // No time limit: speed is measured by the benchmarks (a sanitizer build
  // of abseil's btree is several times slower); the bounds above on runs
  // and pending ops are what keeps the oracle cheap.
}

TEST_F(OracleTest, ChangedSinceCoversEveryChangeOfAVerdict) {
  const uint64_t t0 = ChangeStampNow();
  EXPECT_FALSE(o_.ChangedSince(kLv, t0, 0, 1024));
  EXPECT_TRUE(o_.ChangedSince("vg0/other", t0, 0, 1));  // not tracked
  o_.WriteSubmitted(kLv, 10, 2, {A});
  EXPECT_TRUE(o_.ChangedSince(kLv, ChangeStampNow(), 11, 12));  // in flight
  o_.WriteCompleted(kLv, 10, 2, {A}, false, Status::Ok());
  EXPECT_TRUE(o_.ChangedSince(kLv, t0, 0, 1024));
  EXPECT_FALSE(o_.ChangedSince(kLv, t0, 12, 1024));
  const uint64_t t1 = ChangeStampNow();
  EXPECT_FALSE(o_.ChangedSince(kLv, t1, 0, 1024));
  o_.Discard(kLv, 600, 8);
  EXPECT_TRUE(o_.ChangedSince(kLv, t1, 607, 608));
  EXPECT_FALSE(o_.ChangedSince(kLv, t1, 0, 600));
  o_.ForgetChanges(t1);
  EXPECT_TRUE(o_.ChangedSince(kLv, t1, 600, 601));
  // A power loss changes what was pending or in flight, nothing else.
  o_.WriteSubmitted(kLv, 700, 4, {B});
  const uint64_t t2 = ChangeStampNow();
  o_.PowerLoss();
  EXPECT_TRUE(o_.ChangedSince(kLv, t2, 11, 12));    // pending
  EXPECT_TRUE(o_.ChangedSince(kLv, t2, 703, 704));  // in flight
  EXPECT_FALSE(o_.ChangedSince(kLv, t2, 12, 700));  // never written, or discarded (durable)
  EXPECT_FALSE(o_.ChangedSince(kLv, t2, 704, 1024));
  // A read that decides and a flush change no verdict on a read: the value
  // decided is the one the device returned (and returns until it changes,
  // which the device tells), and a flush changes only what a power loss
  // may keep.
  const uint64_t t3 = ChangeStampNow();
  EXPECT_TRUE(Read(10, 2, {A}).ok());  // pending at the loss: decides
  EXPECT_EQ(o_.Possible(kLv, 10), (std::vector<uint64_t>{A}));
  EXPECT_FALSE(o_.ChangedSince(kLv, t3, 0, 1024));
  o_.WriteSubmitted(kLv, 800, 1, {C});
  o_.WriteCompleted(kLv, 800, 1, {C}, false, Status::Ok());
  const uint64_t t5 = ChangeStampNow();
  o_.FlushCompleted(kLv, o_.FlushSubmitted(kLv));
  EXPECT_EQ(o_.Possible(kLv, 800), (std::vector<uint64_t>{C}));
  EXPECT_FALSE(o_.ChangedSince(kLv, t5, 0, 1024));
  const uint64_t t4 = ChangeStampNow();
  o_.Track(kLv, 2048);  // resized
  EXPECT_TRUE(o_.ChangedSince(kLv, t4, 0, 1));
}

TEST_F(OracleTest, ChangedSinceStaysBoundedByOverReporting) {
  o_.Track(kLv, 65536);
  const uint64_t t0 = ChangeStampNow();
  for (uint64_t s = 0; s < 40000; s += 2) o_.Discard(kLv, s, 1);  // 20000 changes
  EXPECT_TRUE(o_.ChangedSince(kLv, t0, 60000, 60001));
  EXPECT_FALSE(o_.ChangedSince(kLv, ChangeStampNow(), 0, 65536));
}

// A snapshot (the runner's Copy of the origin at lvcreate -s) is written
// apart from its origin: writes to either leave the other's values alone,
// a power loss keeps each one's durable and pending values, and a merge
// (Copy back) makes the origin read as the written snapshot did.
TEST_F(OracleTest, WrittenSnapshotStaysApartUntilMergedBack) {
  constexpr char kSnap[] = "vg0/snap";
  Write(0, 8, A);
  o_.FlushCompleted(kLv);
  o_.Copy(kLv, kSnap);
  o_.WriteSubmitted(kSnap, 0, 4, {B});
  o_.WriteCompleted(kSnap, 0, 4, {B}, /*fua=*/true, Status::Ok());
  o_.WriteSubmitted(kSnap, 4, 4, {C});
  o_.WriteCompleted(kSnap, 4, 4, {C}, /*fua=*/false, Status::Ok());
  const uint64_t D = o_.NextToken();
  Write(2, 2, D);
  EXPECT_TRUE(o_.CheckRead(kSnap, 0, 4, Data(0, 4, {B}).data()).ok());
  EXPECT_TRUE(o_.CheckRead(kSnap, 4, 4, Data(4, 4, {C}).data()).ok());
  EXPECT_TRUE(Read(0, 2, {A}).ok());
  EXPECT_TRUE(Read(2, 2, {D}).ok());
  EXPECT_FALSE(Read(0, 2, {B}).ok()) << "a snapshot's write changed its origin";
  EXPECT_FALSE(o_.CheckRead(kSnap, 2, 2, Data(2, 2, {D}).data()).ok())
      << "an origin's write changed its snapshot";
  o_.PowerLoss();
  EXPECT_EQ(o_.Possible(kSnap, 0), std::vector<uint64_t>{B});  // FUA: durable
  std::vector<uint64_t> pending = {A, C};
  std::sort(pending.begin(), pending.end());
  EXPECT_EQ(o_.Possible(kSnap, 5), pending);  // not flushed: either
  EXPECT_TRUE(o_.CheckRead(kSnap, 4, 4, Data(4, 4, {C}).data()).ok());
  // The merge: the origin now reads as the snapshot, its own writes gone.
  o_.Copy(kSnap, kLv);
  o_.Untrack(kSnap);
  EXPECT_TRUE(Read(0, 4, {B}).ok());
  EXPECT_TRUE(Read(4, 4, {C}).ok());
  EXPECT_FALSE(o_.tracked(kSnap));
}

}  // namespace
}  // namespace lvlab::check
