// SectorRuns: the oracle's memory of one logical volume, an interval map from
// logical sectors to Cells (what may be read there now and what may survive a
// power loss).
//
// Sectors that share a history share a run: a 4 KiB write is one run, not
// eight entries, and a sector never written (or discarded) has no run at all,
// so an LV of 1 TiB that is mostly unwritten costs nothing. Runs are split
// where an operation covers part of one, and equal settled neighbours are
// merged back by Compact.
//
// A Cell holds the durable set (the values the media may hold; one value
// except after a power loss or a flush over a failed write) and the pending
// operations completed since then, in completion order, each with a global
// sequence number so that a flush can fold exactly the ones completed before
// it was submitted (the RocksDB expected-state idea, over ranges).
//
// The runs live in a B-tree (abseil's btree_map): an LV written all over in
// 4 KiB pieces has hundreds of thousands of runs, and a red-black tree's
// pointer chasing over them was a third of a long scenario's time. Inserting
// or erasing a run invalidates iterators, so every loop here re-takes its
// iterator from the call that changed the map.
//
// Not thread-safe (one engine thread); a value type owned by the Oracle.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "absl/container/btree_map.h"

namespace lvlab::check {

// One thing that happened to a sector since its durable set was last fixed.
struct PendingOp {
  enum class Kind : uint8_t {
    kWrite,        // completed OK: the newest value
    kFailedWrite,  // completed with an error: may or may not have landed
    kObserved,     // a read saw this value among several possible ones
  };
  uint64_t seq;
  uint64_t token;
  Kind kind;
};

// A non-empty set of tokens, inline while it holds one (almost always).
class TokenSet {
 public:
  TokenSet() = default;  // {0}
  explicit TokenSet(uint64_t token) : first_(token) {}

  size_t size() const { return 1 + rest_.size(); }
  // The smallest, and the only one when size() == 1.
  uint64_t first() const { return first_; }
  // Makes the set {token}.
  void Assign(uint64_t token);
  // Makes the set the tokens of `sorted` (sorted, unique, non-empty).
  void Assign(const std::vector<uint64_t>& sorted);
  void Insert(uint64_t token);
  // Replaces *out with the tokens, sorted.
  void CopyTo(std::vector<uint64_t>* out) const;

 private:
  uint64_t first_ = 0;
  std::vector<uint64_t> rest_;  // sorted, each > first_
};

struct Cell {
  TokenSet durable;                // the durable set
  std::vector<PendingOp> pending;  // ascending seq

  // The values a read may return now (no write in flight), sorted, unique.
  void Current(std::vector<uint64_t>* out) const;
  // The values the sector may hold after a power loss now: the durable set
  // and every pending value, sorted, unique.
  void Survivors(std::vector<uint64_t>* out) const;
  // A flush submitted after seq `epoch` completed: the ops up to it become
  // durable.
  void Fold(uint64_t epoch);
  // A read saw `token`, one of Current(): nothing else may be read from now
  // on. Returns true if it was recorded as a pending op (the caller logs it
  // for a later flush), false if the durable set itself collapsed.
  bool Observe(uint64_t token, uint64_t seq);

  // Exactly one possible value and nothing pending.
  bool settled() const { return pending.empty() && durable.size() == 1; }
  bool is_zero() const { return settled() && durable.first() == 0; }
};

class SectorRuns {
 public:
  struct Run {
    uint64_t end;  // exclusive
    Cell cell;
  };
  using Map = absl::btree_map<uint64_t, Run>;  // start -> run

  // Calls fn(start, end, Cell&) for every run inside [start, end), after
  // splitting runs that straddle its edges and filling gaps with zero cells.
  // fn must not change the map. REQUIRES: start < end.
  template <typename Fn>
  void Update(uint64_t start, uint64_t end, Fn&& fn) {
    SplitAt(end);
    auto it = SplitAt(start);
    uint64_t pos = start;
    while (pos < end) {
      if (it == map_.end() || it->first > pos) {
        const uint64_t gap_end = it == map_.end() ? end : std::min(it->first, end);
        it = map_.emplace_hint(it, pos, Run{gap_end, Cell{}});
      }
      fn(it->first, it->second.end, it->second.cell);
      pos = it->second.end;
      ++it;
    }
  }

  // Calls fn(Cell&) for the existing runs overlapping [start, end), without
  // splitting them. fn must not change the map.
  template <typename Fn>
  void UpdateExisting(uint64_t start, uint64_t end, Fn&& fn) {
    for (auto it = FirstOverlap(start); it != map_.end() && it->first < end; ++it) {
      fn(it->second.cell);
    }
  }

  // Calls fn(start, end, const Cell*) over [start, end) clipped to it, in
  // order, with nullptr for the gaps (zeros).
  template <typename Fn>
  void Visit(uint64_t start, uint64_t end, Fn&& fn) const {
    uint64_t pos = start;
    for (auto it = FirstOverlap(start); pos < end; ++it) {
      if (it == map_.end() || it->first >= end) {
        fn(pos, end, static_cast<const Cell*>(nullptr));
        return;
      }
      if (it->first > pos) fn(pos, it->first, static_cast<const Cell*>(nullptr));
      const uint64_t a = std::max(pos, it->first);
      const uint64_t b = std::min(end, it->second.end);
      fn(a, b, &it->second.cell);
      pos = b;
    }
  }

  // Makes [start, end) settled at `token` (0: zeros, no run).
  void Settle(uint64_t start, uint64_t end, uint64_t token);
  // Merges equal settled neighbours and drops zero runs in and next to
  // [start, end).
  void Compact(uint64_t start, uint64_t end);
  // Forgets everything at and beyond `end` (the LV shrank).
  void Truncate(uint64_t end);

  Map& runs() { return map_; }
  const Map& runs() const { return map_; }

 private:
  // No run straddles `at` afterwards. Returns the first run starting at or
  // after `at`.
  Map::iterator SplitAt(uint64_t at);
  Map::iterator FirstOverlap(uint64_t start);
  Map::const_iterator FirstOverlap(uint64_t start) const;

  Map map_;
};

}  // namespace lvlab::check
