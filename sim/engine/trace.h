// Trace: the record of every state change worth seeing, as JSON lines.
//
// Each Emit produces one line {"t":<now_ns>,"ev":"<type>",<fields...>} with
// the fields in the order given, strings JSON-escaped. The Trace keeps a
// running Hash64 over every line (the determinism check: same seed, same
// hash), a count per event type, optionally writes lines to an ostream or a
// FILE*, and calls subscribed listeners with each line (for scenario
// conditions such as "wait until mirror in sync").
//
// Thread-safety: none; one engine thread. Ownership: the Trace does not own
// the Scheduler (used only for timestamps; may be null, then t is 0) nor its
// sinks, which must outlive it or be reset. Listeners may Emit, Subscribe and
// Unsubscribe from inside a callback; a listener added during a dispatch
// first hears the next line.
#pragma once

#include <concepts>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <initializer_list>
#include <map>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace lvlab::engine {

class Scheduler;

// One "key":value pair. Holds views: build fields inside the Emit call.
struct TraceField {
  enum class Kind { kInt, kUint, kString, kBool };

  template <std::integral T>
  TraceField(std::string_view k, T v) : key(k) {  // NOLINT: implicit by design
    if constexpr (std::is_same_v<T, bool>) {
      kind = Kind::kBool;
      b = v;
    } else if constexpr (std::is_signed_v<T>) {
      kind = Kind::kInt;
      i = v;
    } else {
      kind = Kind::kUint;
      u = v;
    }
  }
  TraceField(std::string_view k, std::string_view v) : key(k), kind(Kind::kString), s(v) {}
  TraceField(std::string_view k, const char* v) : key(k), kind(Kind::kString), s(v) {}
  TraceField(std::string_view k, const std::string& v) : key(k), kind(Kind::kString), s(v) {}

  std::string_view key;
  Kind kind = Kind::kInt;
  int64_t i = 0;
  uint64_t u = 0;
  std::string_view s;
  bool b = false;
};

// Appends s to out as a JSON string literal, quotes included.
void AppendJsonString(std::string& out, std::string_view s);

class Trace {
 public:
  using Listener = std::function<void(std::string_view type, const std::string& line)>;

  explicit Trace(const Scheduler* scheduler = nullptr) : scheduler_(scheduler) {}
  Trace(const Trace&) = delete;
  Trace& operator=(const Trace&) = delete;

  void Emit(std::string_view type, std::initializer_list<TraceField> fields);

  // Lines are written with a trailing '\n'. Null disables the sink.
  void set_sink(std::ostream* out) { ostream_ = out; }
  void set_file_sink(FILE* file) { file_ = file; }

  // Returns an id for Unsubscribe.
  uint64_t Subscribe(Listener listener);
  void Unsubscribe(uint64_t id);

  uint64_t hash() const { return hash_; }
  uint64_t lines() const { return lines_; }
  uint64_t Count(std::string_view type) const;
  // Every event type seen, sorted, with its count.
  const std::map<std::string, uint64_t, std::less<>>& counts() const { return counts_; }
  // The most recent line, without newline (empty before the first Emit).
  const std::string& last_line() const { return line_; }

 private:
  void Dispatch(std::string_view type);

  const Scheduler* scheduler_;
  std::ostream* ostream_ = nullptr;
  FILE* file_ = nullptr;
  uint64_t hash_ = 0;
  uint64_t lines_ = 0;
  std::map<std::string, uint64_t, std::less<>> counts_;
  std::string line_;
  struct Subscriber {
    uint64_t id;
    Listener fn;  // null once unsubscribed during a dispatch
  };
  std::vector<Subscriber> listeners_;
  uint64_t next_listener_id_ = 1;
  int dispatch_depth_ = 0;
  bool needs_compaction_ = false;
};

}  // namespace lvlab::engine
