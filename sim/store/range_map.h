// RangeMap: disjoint half-open ranges [start, end) of uint64_t keys (sectors)
// mapped to uint64_t values, as in an interval map. Assigning over a range
// replaces whatever was there, splitting entries that straddle its edges. The
// write cache uses two of them: sector -> newest pending record, and sector ->
// durability floor.
//
// Iteration is in key order. Nodes come from the map's own pool, so that a
// big map stays dense in memory instead of spread between the cache's data
// buffers (lookups are then cache misses rather than TLB misses). Not
// copyable; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory_resource>
#include <vector>

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

  bool empty() const { return map_.empty(); }
  size_t size() const { return map_.size(); }
  void clear() { map_.clear(); }

 private:
  struct Span {
    uint64_t end;
    uint64_t value;
  };
  using Map = std::pmr::map<uint64_t, Span>;  // start -> span

  // Unmaps [start, end); returns the first entry at or after `end`.
  // REQUIRES: start < end.
  Map::iterator EraseRange(uint64_t start, uint64_t end);

  std::pmr::unsynchronized_pool_resource pool_;
  Map map_{&pool_};
};

}  // namespace lvlab::store
