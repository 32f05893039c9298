#include "scenarios/trace_log.h"

#include "sim/base/hash.h"

namespace lvlab::scenarios {

void TraceLog::Attach(engine::Trace& trace, uint64_t boot_ns) {
  trace.Subscribe([this, boot_ns](std::string_view type, const std::string& line) {
    OnLine(type, line, boot_ns);
  });
}

void TraceLog::OnLine(std::string_view type, const std::string& line, uint64_t boot_ns) {
  // Lines start {"t":<ns>,...: shift t to the run's time.
  static constexpr std::string_view kPrefix = "{\"t\":";
  std::string shifted;
  const size_t comma = line.find(',');
  if (line.compare(0, kPrefix.size(), kPrefix) == 0 && comma != std::string::npos) {
    const uint64_t t = std::stoull(line.substr(kPrefix.size(), comma - kPrefix.size()));
    shifted = std::string(kPrefix) + std::to_string(boot_ns + t) + line.substr(comma);
  } else {
    shifted = line;
  }
  hash_ = Hash64(shifted, hash_ ^ 0x9e3779b97f4a7c15ULL);
  ++lines_;
  auto it = counts_.find(type);
  if (it == counts_.end()) it = counts_.emplace(std::string(type), 0).first;
  ++it->second;
  changed_ = true;
  if (sink_) *sink_ << shifted << '\n';
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
