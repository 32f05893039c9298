// TraceLog: one trace for a whole scenario run, across the machine's boots.
//
// Each boot of a Machine has its own System, Scheduler and Trace, whose time
// starts again at 0. Attach() subscribes to a boot's Trace; every line it
// emits is rewritten with the scenario's virtual time (the boot's start plus
// the line's "t"), hashed into one running hash (the determinism check:
// same file and seed, same hash), counted by event type, and written to the
// sink if there is one. Not thread-safe; the engine thread only. The log
// does not own the Trace or the sink; detach by destroying the Trace.
#pragma once

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <string_view>

#include "sim/engine/trace.h"

namespace lvlab::scenarios {

class TraceLog {
 public:
  // `sink` may be null.
  explicit TraceLog(std::ostream* sink) : sink_(sink) {}
  TraceLog(const TraceLog&) = delete;
  TraceLog& operator=(const TraceLog&) = delete;

  // Hears every later line of `trace`, whose time 0 is `boot_ns` of the run.
  // REQUIRES: the TraceLog outlives `trace`'s use of the listener.
  void Attach(engine::Trace& trace, uint64_t boot_ns);

  uint64_t hash() const { return hash_; }
  uint64_t lines() const { return lines_; }
  uint64_t Count(std::string_view type) const;
  const std::map<std::string, uint64_t, std::less<>>& counts() const { return counts_; }
  // True if a line arrived since the last call (conditions re-evaluate then).
  bool TakeChanged();

 private:
  void OnLine(std::string_view type, const std::string& line, uint64_t boot_ns);

  std::ostream* sink_;
  uint64_t hash_ = 0;
  uint64_t lines_ = 0;
  bool changed_ = true;
  std::map<std::string, uint64_t, std::less<>> counts_;
};

}  // namespace lvlab::scenarios
