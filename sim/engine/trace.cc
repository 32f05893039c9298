#include "sim/engine/trace.h"

#include <algorithm>

#include "sim/base/hash.h"
#include "sim/engine/scheduler.h"

namespace lvlab::engine {
namespace {

void AppendField(std::string& out, const TraceField& f) {
  out += ',';
  AppendJsonString(out, f.key);
  out += ':';
  switch (f.kind) {
    case TraceField::Kind::kInt:
      out += std::to_string(f.i);
      break;
    case TraceField::Kind::kUint:
      out += std::to_string(f.u);
      break;
    case TraceField::Kind::kString:
      AppendJsonString(out, f.s);
      break;
    case TraceField::Kind::kBool:
      out += f.b ? "true" : "false";
      break;
  }
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  out += '"';
  for (char c : s) {
    const auto uc = static_cast<unsigned char>(c);
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      default:
        if (uc < 0x20 || uc == 0x7f) {
          out += "\\u00";
          out += kHex[uc >> 4];
          out += kHex[uc & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void Trace::Emit(std::string_view type, std::initializer_list<TraceField> fields) {
  std::string line;
  line.reserve(96);
  line += "{\"t\":";
  line += std::to_string(scheduler_ ? scheduler_->now_ns() : 0);
  line += ",\"ev\":";
  AppendJsonString(line, type);
  for (const TraceField& f : fields) AppendField(line, f);
  line += '}';

  hash_ = Hash64(line, hash_ ^ 0x9e3779b97f4a7c15ULL);
  ++lines_;
  auto it = counts_.find(type);
  if (it == counts_.end()) it = counts_.emplace(std::string(type), 0).first;
  ++it->second;
  if (ostream_) *ostream_ << line << '\n';
  if (file_) {
    std::fwrite(line.data(), 1, line.size(), file_);
    std::fputc('\n', file_);
  }
  line_ = std::move(line);
  if (!listeners_.empty()) Dispatch(type);
}

void Trace::Dispatch(std::string_view type) {
  // A listener may Emit; keep this line alive and stable for the others.
  const std::string line = line_;
  const std::string type_copy(type);
  ++dispatch_depth_;
  const size_t n = listeners_.size();
  for (size_t i = 0; i < n; ++i) {
    if (!listeners_[i].fn) continue;
    Listener fn = listeners_[i].fn;  // the vector may grow during the call
    fn(type_copy, line);
  }
  --dispatch_depth_;
  if (dispatch_depth_ == 0 && needs_compaction_) {
    std::erase_if(listeners_, [](const Subscriber& s) { return !s.fn; });
    needs_compaction_ = false;
  }
}

uint64_t Trace::Subscribe(Listener listener) {
  const uint64_t id = next_listener_id_++;
  listeners_.push_back(Subscriber{id, std::move(listener)});
  return id;
}

void Trace::Unsubscribe(uint64_t id) {
  for (Subscriber& s : listeners_) {
    if (s.id != id) continue;
    s.fn = nullptr;
    needs_compaction_ = true;
  }
  if (dispatch_depth_ == 0 && needs_compaction_) {
    std::erase_if(listeners_, [](const Subscriber& s) { return !s.fn; });
    needs_compaction_ = false;
  }
}

uint64_t Trace::Count(std::string_view type) const {
  auto it = counts_.find(type);
  return it == counts_.end() ? 0 : it->second;
}

}  // namespace lvlab::engine
