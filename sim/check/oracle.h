// Oracle: what every sector of every logical volume may legitimately read
// as, so that reads, crashes and layout changes (pvmove moves the data
// between PVs underneath) can be checked against it.
//
// The oracle is per LV and per logical 512-byte sector, independent of where
// the data lives. A value is a 64-bit token (sector_format.h says how a token
// is laid out in a sector); token 0 is zeros (never written, or discarded).
// Per sector it keeps the durable value and the values completed since the
// last flush that covered them (RocksDB's expected state, over ranges):
//
// - Between power losses a read must return the newest completed write,
//   except that a sector with an overlapping write in flight may also return
//   that write's value, and a failed write may or may not have landed.
// - A completed write is the newest value and pending; FUA makes it durable.
//   A flush makes durable exactly the writes completed before it was
//   submitted (FlushSubmitted returns that epoch).
// - PowerLoss (machine-wide): each sector may then hold its durable value or
//   any value pending since (or a write in flight at the time). Nothing is
//   "newest" until a read decides: the first read collapses the sector to
//   what it saw, and a later read must see the same.
// - Discard is zeros, durable at once (as store::Disk does).
//
// REQUIRES of callers: no write overlapping a read is submitted and completed
// while that read is in flight (Workload never overlaps its own I/O).
//
// Not thread-safe: one engine thread. The Oracle owns all its state; memory
// is proportional to the written extents, not to LV sizes.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/base/rng.h"
#include "sim/base/status.h"
#include "sim/check/sector_format.h"
#include "sim/check/sector_runs.h"

namespace lvlab::check {

struct OracleStats {
  uint64_t writes = 0;  // completed (OK or failed)
  uint64_t flushes = 0;
  uint64_t discards = 0;
  uint64_t reads = 0;  // CheckRead calls
  uint64_t sectors_checked = 0;
  uint64_t violations = 0;
  uint64_t power_losses = 0;
};

class Oracle {
 public:
  // Reads one range of an LV for CheckAll: fills out (n * 512 bytes).
  using ReadFn =
      std::function<Status(const std::string& lv, uint64_t sector, uint64_t n, uint8_t* out)>;

  // Tokens come from the stream Rng(seed).Derive("oracle-tokens").
  explicit Oracle(uint64_t seed);
  Oracle(const Oracle&) = delete;
  Oracle& operator=(const Oracle&) = delete;

  // A fresh, non-zero token, unique in practice (64 random bits).
  uint64_t NextToken();

  // Starts tracking `lv` (all zeros), or resizes it (forgetting what lies
  // beyond a smaller size).
  void Track(const std::string& lv, uint64_t nsectors);
  bool tracked(std::string_view lv) const;
  // The tracked LVs, in name order.
  std::vector<std::string> tracked_lvs() const;
  // `to` becomes a copy of `from` (a snapshot taken, a snapshot merged back
  // into its origin): the same durable, pending and in-flight values.
  // REQUIRES: tracked(from).
  void Copy(const std::string& from, const std::string& to);
  // Stops tracking `lv` (its device is gone).
  void Untrack(const std::string& lv);
  // REQUIRES: tracked(lv).
  uint64_t size_sectors(std::string_view lv) const;

  // tokens: one for the whole write, or one per sector (n of them).
  // REQUIRES: tracked(lv), the range inside it, tokens unique to this write.
  void WriteSubmitted(const std::string& lv, uint64_t sector, uint64_t n,
                      const std::vector<uint64_t>& tokens);
  // The same arguments as WriteSubmitted (which may be skipped). A failed
  // write may or may not have landed: both stay possible. A completion of a
  // write submitted before a PowerLoss is ignored.
  void WriteCompleted(const std::string& lv, uint64_t sector, uint64_t n,
                      const std::vector<uint64_t>& tokens, bool fua, const Status& status);

  // Returns the epoch to pass to FlushCompleted once the flush succeeds: it
  // covers every write completed before now.
  uint64_t FlushSubmitted(const std::string& lv);
  void FlushCompleted(const std::string& lv, uint64_t epoch);
  // A flush submitted and completed now.
  void FlushCompleted(const std::string& lv) { FlushCompleted(lv, FlushSubmitted(lv)); }

  // Zeros, durable at once.
  void Discard(const std::string& lv, uint64_t sector, uint64_t n);

  // Power lost on the whole machine: see the opening comment.
  void PowerLoss();
  uint64_t power_losses() const { return stats_.power_losses; }

  // Checks n sectors read from `lv` at `sector`; returns the first violation,
  // naming the LV, the sector, the allowed tokens and what was read. An OK
  // read of an undecided sector decides it.
  Status CheckRead(const std::string& lv, uint64_t sector, uint64_t n, const uint8_t* data);
  // Reads every sector of every tracked LV (in name order, in chunks of
  // kCheckAllChunk sectors) through read_fn and checks it.
  Status CheckAll(const ReadFn& read_fn);
  static constexpr uint64_t kCheckAllChunk = 1024;

  // Where an LV may hold data, as BlockDevice::NextData: the first range at
  // or after `sector` and below `end` that may not read as zeros, nullopt if
  // all of [sector, end) does. It may over-report data, never under-report.
  using DataFn = std::function<std::optional<std::pair<uint64_t, uint64_t>>(
      const std::string& lv, uint64_t sector, uint64_t end)>;
  // CheckAll with the same verdicts, reading only what can tell: sectors
  // the oracle holds anything for (written, discarded, possible after a
  // power loss, in flight) and sectors data_fn says may hold data. The rest
  // has no value here (zeros expected) and reads as zeros (a hole): it
  // passes unread. A stale or misdirected copy over a never-written range
  // is data to data_fn, so it is read and caught.
  Status CheckAll(const ReadFn& read_fn, const DataFn& data_fn);
  // Whether a range [sector, end) of an LV needs no read: it provably reads
  // as it did when it last passed, and the oracle's verdict on it has not
  // changed (see ChangedSince).
  using SkipFn = std::function<bool(const std::string& lv, uint64_t sector, uint64_t end)>;
  // CheckAll(read_fn, data_fn), reading only the ranges skip_fn does not
  // skip (in pieces of at most kCheckAllChunk sectors).
  Status CheckAll(const ReadFn& read_fn, const DataFn& data_fn, const SkipFn& skip_fn);

  // Whether the oracle's verdict on a read of sectors [sector, end) of `lv`
  // may have changed after `stamp` (sim/base/change_clock.h): a write
  // completed or submitted, a discard, a power loss, a copy or a resize; a
  // write in flight there also counts, as does an LV tracked (or untracked)
  // after `stamp`. A flush does not (it changes only what a power loss may
  // keep), nor does a read that decides a sector: the value decided is the
  // one the device returned, and a device unchanged since returns it still.
  // Over-reports, never under-reports.
  bool ChangedSince(const std::string& lv, uint64_t stamp, uint64_t sector, uint64_t end) const;
  // Forgets the change records of every LV up to `stamp`: no caller asks
  // ChangedSince about a stamp older than that any more.
  void ForgetChanges(uint64_t stamp);

  // The values a read of `sector` may return now (in-flight writes
  // included), sorted.
  std::vector<uint64_t> Possible(const std::string& lv, uint64_t sector) const;
  // Runs and pending operations held for `lv` (memory use, for tests).
  size_t runs(const std::string& lv) const;
  size_t pending_ops(const std::string& lv) const;
  const OracleStats& stats() const { return stats_; }

 private:
  struct InFlightWrite {
    uint64_t sector;
    uint64_t n;
    std::vector<uint64_t> tokens;
    uint64_t TokenAt(uint64_t s) const {
      return tokens.size() == 1 ? tokens[0] : tokens[s - sector];
    }
    bool Covers(uint64_t s) const { return s >= sector && s - sector < n; }
  };
  // A range with ops of sequence `seq` not yet folded by a flush.
  struct LogEntry {
    uint64_t seq;
    uint64_t start;
    uint64_t end;
  };
  // A change of what the oracle holds for [start, end), at `stamp`.
  struct Change {
    uint64_t start;
    uint64_t end;
    uint64_t stamp;
  };
  struct Lv {
    uint64_t nsectors = 0;
    std::vector<Change> changes;  // ascending stamp, since ForgetChanges
    uint64_t changed_all = 0;     // the stamp of the last change of all of it
    SectorRuns runs;
    std::deque<LogEntry> log;                     // ascending seq
    std::map<uint64_t, InFlightWrite> in_flight;  // by first token
  };

  static void NoteChange(Lv& l, uint64_t start, uint64_t end);
  static void NoteChangeAll(Lv& l);
  Lv& Get(std::string_view lv, const char* op);
  const Lv& Get(std::string_view lv, const char* op) const;
  void CheckRange(const Lv& l, std::string_view lv, uint64_t sector, uint64_t n,
                  const char* op) const;
  // Calls fn(start, end, token) for the maximal same-token pieces of a write.
  template <typename Fn>
  static void ForEachTokenPiece(uint64_t sector, uint64_t n, const std::vector<uint64_t>& tokens,
                                Fn&& fn);
  void CrashLv(Lv& l);
  Status Verify(const std::string& lv, const Lv& l, uint64_t sector, uint64_t n,
                const std::vector<const InFlightWrite*>& in_flight, bool* undecided);
  void Decide(Lv& l, uint64_t sector, uint64_t n,
              const std::vector<const InFlightWrite*>& in_flight);

  Rng token_rng_;
  uint64_t seq_ = 0;  // of the last completed write or observation
  std::map<std::string, Lv, std::less<>> lvs_;
  std::set<uint64_t> abandoned_;  // first tokens of writes in flight at a PowerLoss
  OracleStats stats_;
  // Scratch for CheckRead.
  std::vector<SectorContent> seen_;
  std::vector<const InFlightWrite*> overlap_;
  std::vector<uint64_t> current_;
  std::vector<uint8_t> check_buf_;  // CheckAll's reads
};

}  // namespace lvlab::check
