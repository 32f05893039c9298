#include "scenarios/trace_log.h"

#include <charconv>
#include <system_error>

#include "sim/base/hash.h"

namespace lvlab::scenarios {

void TraceLog::Attach(engine::Trace& trace, uint64_t boot_ns) {
  trace.Subscribe([this, boot_ns](std::string_view type, const std::string& line) {
    OnLine(type, line, boot_ns);
  });
}

void TraceLog::OnLine(std::string_view type, const std::string& line, uint64_t boot_ns) {
  // Lines start {"t":<ns>,...: shift t to the run's time. The first boot's
  // lines are already in it (t is written by std::to_string, as here).
  static constexpr std::string_view kPrefix = "{\"t\":";
  std::string_view out = line;
  std::string shifted;
  const size_t comma = line.find(',');
  uint64_t t = 0;
  if (boot_ns != 0 && line.compare(0, kPrefix.size(), kPrefix) == 0 && comma != std::string::npos &&
      std::from_chars(line.data() + kPrefix.size(), line.data() + comma, t).ec == std::errc()) {
    char num[24];
    char* end = std::to_chars(num, num + sizeof num, boot_ns + t).ptr;
    shifted.reserve(line.size() + sizeof num);
    shifted.append(kPrefix).append(num, end - num).append(line, comma);
    out = shifted;
  }
  hash_ = Hash64(out, hash_ ^ 0x9e3779b97f4a7c15ULL);
  ++lines_;
  auto it = counts_.find(type);
  if (it == counts_.end()) it = counts_.emplace(std::string(type), 0).first;
  ++it->second;
  changed_ = true;
  if (sink_) *sink_ << out << '\n';
}

uint64_t TraceLog::Count(std::string_view type) const {
  auto it = counts_.find(type);
  return it == counts_.end() ? 0 : it->second;
}

bool TraceLog::TakeChanged() {
  const bool c = changed_;
  changed_ = false;
  return c;
}

}  // namespace lvlab::scenarios
