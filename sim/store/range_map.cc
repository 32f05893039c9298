#include "sim/store/range_map.h"

#include <algorithm>

#include "sim/base/check.h"

namespace lvlab::store {

void RangeMap::Assign(uint64_t start, uint64_t end, uint64_t value) {
  LVLAB_CHECK(start < end) << "empty range [" << start << ", " << end << ")";
  auto next = EraseRange(start, end);
  // One entry per run of equal values: a neighbour that continues the range
  // with the same value joins it (a cache's floor, stamped with one value
  // by every FUA write and discard until the next write, stays a few
  // entries).
  if (next != map_.end() && next->first == end && next->second.value == value) {
    end = next->second.end;
    next = map_.erase(next);
  }
  if (next != map_.begin()) {
    auto prev = std::prev(next);  // ends at or before `start`: the range is erased
    if (prev->second.end == start && prev->second.value == value) {
      prev->second.end = end;
      return;
    }
  }
  map_.emplace_hint(next, start, Span{end, value});
}

void RangeMap::Erase(uint64_t start, uint64_t end) {
  if (start < end) EraseRange(start, end);
}

// One tree descent finds the first entry starting after `start`; the
// returned position (the first entry at or after `end`) is the insertion
// hint for a range [start, end).
RangeMap::Map::iterator RangeMap::EraseRange(uint64_t start, uint64_t end) {
  auto it = map_.upper_bound(start);
  if (it != map_.begin()) {
    auto prev = std::prev(it);
    if (prev->second.end > start) {
      // prev starts at or before `start` and reaches into the range.
      const Span old = prev->second;
      if (prev->first == start) {
        it = map_.erase(prev);  // the entry after it: where `it` was
      } else {
        prev->second.end = start;
      }
      // If it also reaches past `end`, no other entry overlaps the range.
      if (old.end > end) return map_.emplace_hint(it, end, old);
    }
  }
  while (it != map_.end() && it->first < end) {
    const Span old = it->second;
    it = map_.erase(it);
    if (old.end > end) return map_.emplace_hint(it, end, old);
  }
  return it;
}

void RangeMap::EraseValue(uint64_t start, uint64_t end, uint64_t value) {
  if (start >= end) return;
  auto it = map_.upper_bound(start);
  if (it != map_.begin()) {
    auto prev = std::prev(it);
    if (prev->second.end > start && prev->second.value == value) {
      const Span old = prev->second;
      if (prev->first == start) {
        it = map_.erase(prev);
      } else {
        prev->second.end = start;
      }
      if (old.end > end) {
        map_.emplace_hint(it, end, old);
        return;
      }
    }
  }
  while (it != map_.end() && it->first < end) {
    if (it->second.value != value) {
      ++it;
      continue;
    }
    const Span old = it->second;
    it = map_.erase(it);
    if (old.end > end) {
      map_.emplace_hint(it, end, old);
      return;
    }
  }
}

std::vector<RangeMap::Entry> RangeMap::Overlaps(uint64_t start, uint64_t end) const {
  std::vector<Entry> out;
  if (start >= end || map_.empty()) return out;
  auto it = map_.upper_bound(start);
  if (it != map_.begin()) {
    auto prev = std::prev(it);
    if (prev->second.end > start) {
      out.push_back({start, std::min(prev->second.end, end), prev->second.value});
    }
  }
  for (; it != map_.end() && it->first < end; ++it) {
    out.push_back({it->first, std::min(it->second.end, end), it->second.value});
  }
  return out;
}

std::optional<std::pair<uint64_t, uint64_t>> RangeMap::FirstRun(uint64_t start,
                                                                uint64_t end) const {
  if (start >= end || map_.empty()) return std::nullopt;
  auto it = map_.upper_bound(start);
  uint64_t first = 0;
  uint64_t last = 0;
  if (it != map_.begin() && std::prev(it)->second.end > start) {
    first = start;
    last = std::prev(it)->second.end;
  } else if (it != map_.end() && it->first < end) {
    first = it->first;
    last = it->second.end;
    ++it;
  } else {
    return std::nullopt;
  }
  for (; it != map_.end() && it->first == last && last < end; ++it) last = it->second.end;
  return std::pair{first, std::min(last, end)};
}

std::vector<RangeMap::Entry> RangeMap::All() const {
  std::vector<Entry> out;
  out.reserve(map_.size());
  for (const auto& [start, span] : map_) out.push_back({start, span.end, span.value});
  return out;
}

}  // namespace lvlab::store
