// A process-wide clock of changes: stamps that only grow, so that a checker
// can remember "now" (ChangeStampNow) and later ask a disk, a dm device or
// the oracle whether anything it holds changed since (each stamps its
// changes with NextChangeStamp). A fresh object stamps itself at birth, so
// nothing made after a remembered stamp passes for unchanged.
//
// Thread-safe (an atomic counter).
#pragma once

#include <atomic>
#include <cstdint>

namespace lvlab {

inline std::atomic<uint64_t>& ChangeClock() {
  static std::atomic<uint64_t> clock{0};
  return clock;
}

// A stamp later than every stamp handed out or read before.
inline uint64_t NextChangeStamp() { return ChangeClock().fetch_add(1) + 1; }

// The stamp of the latest change so far: a change made after this call gets
// a larger one.
inline uint64_t ChangeStampNow() { return ChangeClock().load(); }

}  // namespace lvlab
