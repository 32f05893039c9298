// RangeMap: disjoint half-open ranges [start, end) of uint64_t keys (sectors)
// mapped to uint64_t values, as in an interval map. Assigning over a range
// replaces whatever was there, splitting entries that straddle its edges,
// and joins the neighbours that continue it with the same value: entries
// are maximal runs of one value. The
// write cache uses two of them: sector -> newest pending record, and sector ->
// durability floor.
//
// Iteration is in key order. The entries live in a B-tree (abseil's
// btree_map): a drive cache full of random 4 KiB writes keeps 16384 entries
// per map, and a red-black tree's pointer chasing over them was a tenth of
// the live daemon's time under 4 KiB random writes. Inserting or erasing
// invalidates iterators, so every loop re-takes its iterator from the call
// that changed the map. Not copyable; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "absl/container/btree_map.h"

namespace lvlab::store {

class RangeMap {
 public:
  RangeMap() = default;
  RangeMap(const RangeMap&) = delete;
  RangeMap& operator=(const RangeMap&) = delete;

  struct Entry {
    uint64_t start;
    uint64_t end;  // exclusive
    uint64_t value;
    bool operator==(const Entry&) const = default;
  };

  // Maps every key in [start, end) to `value`.
  // REQUIRES: start < end.
  void Assign(uint64_t start, uint64_t end, uint64_t value);

  // Unmaps every key in [start, end).
  void Erase(uint64_t start, uint64_t end);

  // Unmaps the keys in [start, end) that map to `value`.
  void EraseValue(uint64_t start, uint64_t end, uint64_t value);

  // The entries overlapping [start, end), clipped to it, in key order.
  std::vector<Entry> Overlaps(uint64_t start, uint64_t end) const;

  // Every entry, in key order.
  std::vector<Entry> All() const;

  // The first run of mapped keys (whatever their values) in [start, end):
  // [first, last) with every key mapped, clipped to the range; nullopt
  // where none is mapped.
  std::optional<std::pair<uint64_t, uint64_t>> FirstRun(uint64_t start, uint64_t end) const;

  bool empty() const { return map_.empty(); }
  size_t size() const { return map_.size(); }
  void clear() { map_.clear(); }

 private:
  struct Span {
    uint64_t end;
    uint64_t value;
  };
  using Map = absl::btree_map<uint64_t, Span>;  // start -> span

  // Unmaps [start, end); returns the first entry at or after `end`.
  // REQUIRES: start < end.
  Map::iterator EraseRange(uint64_t start, uint64_t end);

  Map map_;
};

}  // namespace lvlab::store
