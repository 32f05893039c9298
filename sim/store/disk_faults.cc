#include "sim/store/disk_faults.h"

#include <charconv>
#include <map>
#include <sstream>
#include <tuple>

#include "sim/base/units.h"

namespace lvlab::store {
namespace {

Result<uint64_t> Number(std::string_view text, std::string_view what) {
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || p != text.data() + text.size() || text.empty()) {
    return InvalidArgument(std::string(what) + " '" + std::string(text) +
                           "' is not a whole number");
  }
  return v;
}

bool Matches(FaultOp want, FaultOp op) { return want == FaultOp::kAny || want == op; }

std::string Ms(uint64_t ns) {
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  return std::to_string(ns / 1000) + "us";
}

}  // namespace

bool SectorRanges::Overlaps(uint64_t sector, uint64_t nsectors) const {
  if (ranges.empty()) return true;
  const uint64_t end = sector + (nsectors == 0 ? 1 : nsectors);
  for (const auto& [a, b] : ranges) {
    if (a < end && sector < b) return true;
  }
  return false;
}

Result<SectorRanges> SectorRanges::Parse(std::string_view text) {
  SectorRanges out;
  if (text == "all") return out;
  while (!text.empty()) {
    const size_t comma = text.find(',');
    std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    const size_t dash = item.find('-');
    LVLAB_ASSIGN_OR_RETURN(uint64_t first, Number(item.substr(0, dash), "sector"));
    uint64_t last = first;
    if (dash != std::string_view::npos) {
      LVLAB_ASSIGN_OR_RETURN(last, Number(item.substr(dash + 1), "sector"));
    }
    if (last < first) {
      return InvalidArgument("sector range '" + std::string(item) + "' ends before it starts");
    }
    out.ranges.emplace_back(first, last + 1);
  }
  if (out.ranges.empty()) return InvalidArgument("no sector range given; write e.g. 0-2047");
  return out;
}

std::string SectorRanges::ToString() const {
  if (ranges.empty()) return "all";
  std::string out;
  for (const auto& [a, b] : ranges) {
    if (!out.empty()) out += ",";
    out += std::to_string(a) + "-" + std::to_string(b - 1);
  }
  return out;
}

const char* FaultOpName(FaultOp op) {
  switch (op) {
    case FaultOp::kRead:
      return "read";
    case FaultOp::kWrite:
      return "write";
    case FaultOp::kAny:
      return "any";
  }
  return "any";
}

Result<FaultOp> ParseFaultOp(std::string_view text) {
  for (FaultOp op : {FaultOp::kRead, FaultOp::kWrite, FaultOp::kAny}) {
    if (text == FaultOpName(op)) return op;
  }
  return InvalidArgument("unknown I/O direction '" + std::string(text) +
                         "'; use read, write or any");
}

bool FlakeyFault::Down(uint64_t now_ns) const {
  const uint64_t period = up_ns + down_ns;
  if (down_ns == 0 || now_ns < since_ns) return false;
  if (period == 0) return true;
  return (now_ns - since_ns) % period >= up_ns;
}

const char* FlakeyModeName(FlakeyFault::Mode mode) {
  switch (mode) {
    case FlakeyFault::Mode::kError:
      return "error";
    case FlakeyFault::Mode::kErrorWrites:
      return "error-writes";
    case FlakeyFault::Mode::kDropWrites:
      return "drop-writes";
  }
  return "error";
}

Result<FlakeyFault::Mode> ParseFlakeyMode(std::string_view text) {
  for (auto m : {FlakeyFault::Mode::kError, FlakeyFault::Mode::kErrorWrites,
                 FlakeyFault::Mode::kDropWrites}) {
    if (text == FlakeyModeName(m)) return m;
  }
  return InvalidArgument("unknown flakey mode '" + std::string(text) +
                         "'; use error, error-writes or drop-writes");
}

DiskFaults::Verdict DiskFaults::Decide(FaultOp op, uint64_t sector, uint64_t nsectors,
                                       uint64_t now_ns) {
  if (failed) return Verdict::kFail;
  if (flakey && flakey->Down(now_ns)) {
    switch (flakey->mode) {
      case FlakeyFault::Mode::kError:
        return Verdict::kFail;
      case FlakeyFault::Mode::kErrorWrites:
        if (op == FaultOp::kWrite) return Verdict::kFail;
        break;
      case FlakeyFault::Mode::kDropWrites:
        if (op == FaultOp::kWrite) return Verdict::kDrop;
        break;
    }
  }
  if (nsectors == 0) return Verdict::kOk;  // a flush
  for (ErrorFault& e : errors) {
    if (e.count == 0 || !Matches(e.op, op) || !e.where.Overlaps(sector, nsectors)) continue;
    if (e.count > 0) --e.count;
    return Verdict::kFail;
  }
  if (op == FaultOp::kWrite && lose_writes && lose_writes->Overlaps(sector, nsectors)) {
    return Verdict::kDrop;
  }
  return Verdict::kOk;
}

void DiskFaults::Corrupt(FaultOp op, uint64_t sector, uint64_t nsectors, uint8_t* data) const {
  for (const CorruptFault& c : corrupt) {
    if (c.op != op || !c.where.Overlaps(sector, nsectors)) continue;
    if (c.byte >= 1 && c.byte <= nsectors * kSectorSize) data[c.byte - 1] = c.value;
  }
}

bool DiskFaults::CorruptsWrites() const {
  for (const CorruptFault& c : corrupt) {
    if (c.op == FaultOp::kWrite) return true;
  }
  return false;
}

std::string DiskFaults::Serialize() const {
  std::ostringstream out;
  if (failed) out << "failed\n";
  if (read_delay_ns || write_delay_ns) {
    out << "delay read_ns=" << read_delay_ns << " write_ns=" << write_delay_ns << "\n";
  }
  for (const ErrorFault& e : errors) {
    out << "errors op=" << FaultOpName(e.op) << " sectors=" << e.where.ToString()
        << " count=" << e.count << "\n";
  }
  if (flakey) {
    out << "flakey up_ns=" << flakey->up_ns << " down_ns=" << flakey->down_ns
        << " mode=" << FlakeyModeName(flakey->mode) << " since_ns=" << flakey->since_ns << "\n";
  }
  for (const CorruptFault& c : corrupt) {
    out << "corrupt op=" << FaultOpName(c.op) << " sectors=" << c.where.ToString()
        << " byte=" << c.byte << " value=" << unsigned{c.value} << "\n";
  }
  if (lose_writes) out << "lose-writes sectors=" << lose_writes->ToString() << "\n";
  return out.str();
}

Result<DiskFaults> DiskFaults::Parse(std::string_view text) {
  DiskFaults f;
  std::istringstream in{std::string(text)};
  std::string line;
  int lineno = 0;
  while (std::getline(in, line)) {
    ++lineno;
    if (line.empty()) continue;
    std::istringstream words(line);
    std::string kind, word;
    words >> kind;
    std::map<std::string, std::string, std::less<>> kv;
    while (words >> word) {
      const size_t eq = word.find('=');
      if (eq == std::string::npos)
        return InvalidArgument("line " + std::to_string(lineno) + ": expected key=value, got " +
                               word);
      kv[word.substr(0, eq)] = word.substr(eq + 1);
    }
    auto get = [&](const char* key) -> Result<std::string> {
      auto it = kv.find(key);
      if (it == kv.end()) {
        return InvalidArgument("line " + std::to_string(lineno) + ": " + kind + " needs " + key);
      }
      return it->second;
    };
    auto num = [&](const char* key) -> Result<uint64_t> {
      LVLAB_ASSIGN_OR_RETURN(std::string v, get(key));
      return Number(v, key);
    };
    if (kind == "failed") {
      f.failed = true;
    } else if (kind == "delay") {
      LVLAB_ASSIGN_OR_RETURN(f.read_delay_ns, num("read_ns"));
      LVLAB_ASSIGN_OR_RETURN(f.write_delay_ns, num("write_ns"));
    } else if (kind == "errors") {
      ErrorFault e;
      LVLAB_ASSIGN_OR_RETURN(std::string op, get("op"));
      LVLAB_ASSIGN_OR_RETURN(e.op, ParseFaultOp(op));
      LVLAB_ASSIGN_OR_RETURN(std::string where, get("sectors"));
      LVLAB_ASSIGN_OR_RETURN(e.where, SectorRanges::Parse(where));
      LVLAB_ASSIGN_OR_RETURN(std::string count, get("count"));
      e.count = count == "-1" ? -1 : 0;
      if (count != "-1") {
        LVLAB_ASSIGN_OR_RETURN(uint64_t c, Number(count, "count"));
        e.count = static_cast<int64_t>(c);
      }
      f.errors.push_back(e);
    } else if (kind == "flakey") {
      FlakeyFault fl;
      LVLAB_ASSIGN_OR_RETURN(fl.up_ns, num("up_ns"));
      LVLAB_ASSIGN_OR_RETURN(fl.down_ns, num("down_ns"));
      LVLAB_ASSIGN_OR_RETURN(fl.since_ns, num("since_ns"));
      LVLAB_ASSIGN_OR_RETURN(std::string mode, get("mode"));
      LVLAB_ASSIGN_OR_RETURN(fl.mode, ParseFlakeyMode(mode));
      f.flakey = fl;
    } else if (kind == "corrupt") {
      CorruptFault c;
      LVLAB_ASSIGN_OR_RETURN(std::string op, get("op"));
      LVLAB_ASSIGN_OR_RETURN(c.op, ParseFaultOp(op));
      LVLAB_ASSIGN_OR_RETURN(std::string where, get("sectors"));
      LVLAB_ASSIGN_OR_RETURN(c.where, SectorRanges::Parse(where));
      LVLAB_ASSIGN_OR_RETURN(uint64_t byte, num("byte"));
      LVLAB_ASSIGN_OR_RETURN(uint64_t value, num("value"));
      if (byte == 0 || byte > UINT32_MAX || value > 255) {
        return InvalidArgument("line " + std::to_string(lineno) +
                               ": corrupt byte or value out of range");
      }
      c.byte = static_cast<uint32_t>(byte);
      c.value = static_cast<uint8_t>(value);
      f.corrupt.push_back(c);
    } else if (kind == "lose-writes") {
      LVLAB_ASSIGN_OR_RETURN(std::string where, get("sectors"));
      LVLAB_ASSIGN_OR_RETURN(SectorRanges r, SectorRanges::Parse(where));
      f.lose_writes = r;
    } else {
      return InvalidArgument("line " + std::to_string(lineno) + ": unknown fault '" + kind + "'");
    }
  }
  return f;
}

std::string DiskFaults::Describe() const {
  std::vector<std::string> parts;
  if (failed) parts.push_back("failed");
  if (read_delay_ns || write_delay_ns) {
    parts.push_back("delay read " + Ms(read_delay_ns) + " write " + Ms(write_delay_ns));
  }
  for (const ErrorFault& e : errors) {
    parts.push_back(std::string(FaultOpName(e.op)) + " errors on sectors " + e.where.ToString() +
                    (e.count < 0 ? "" : " (" + std::to_string(e.count) + " left)"));
  }
  if (flakey) {
    parts.push_back("flakey up " + Ms(flakey->up_ns) + " down " + Ms(flakey->down_ns) + " " +
                    FlakeyModeName(flakey->mode));
  }
  for (const CorruptFault& c : corrupt) {
    parts.push_back("corrupt " + std::string(FaultOpName(c.op)) + " byte " +
                    std::to_string(c.byte) + "=" + std::to_string(c.value) + " on sectors " +
                    c.where.ToString());
  }
  if (lose_writes) parts.push_back("lose writes on sectors " + lose_writes->ToString());
  if (parts.empty()) return "none";
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : "; ") + p;
  return out;
}

bool FaultChange::empty() const {
  return !restore && !failed && !delay_ns && errors.empty() && !flakey && corrupt.empty() &&
         !lose_writes;
}

void FaultChange::ApplyTo(DiskFaults* f, uint64_t now_ns) const {
  if (restore) *f = DiskFaults{};
  if (failed) f->failed = *failed;
  if (delay_ns) std::tie(f->read_delay_ns, f->write_delay_ns) = *delay_ns;
  f->errors.insert(f->errors.end(), errors.begin(), errors.end());
  if (flakey) {
    f->flakey = *flakey;
    f->flakey->since_ns = now_ns;
  }
  f->corrupt.insert(f->corrupt.end(), corrupt.begin(), corrupt.end());
  if (lose_writes) f->lose_writes = *lose_writes;
}

}  // namespace lvlab::store
