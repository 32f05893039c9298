#include "sim/check/oracle.h"

#include <algorithm>
#include <utility>

#include "sim/base/change_clock.h"
#include "sim/base/check.h"
#include "sim/base/units.h"

namespace lvlab::check {
namespace {

std::string SetString(const std::vector<uint64_t>& tokens) {
  std::string out = "{";
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (i > 0) out += ", ";
    out += TokenString(tokens[i]);
  }
  return out + "}";
}

// "expected 0x.. (the newest completed write)" and the like.
std::string Expectation(const std::vector<uint64_t>& current,
                        const std::vector<uint64_t>& in_flight) {
  std::string out;
  if (current.size() == 1) {
    out = "expected " + TokenString(current[0]) +
          (current[0] == 0 ? " (never written, or discarded)" : " (the newest value)");
  } else {
    out = "expected one of " + SetString(current) +
          " (possible after a power loss or a failed write; the first read decides)";
  }
  if (!in_flight.empty()) out += " or a write in flight " + SetString(in_flight);
  return out;
}

}  // namespace

Oracle::Oracle(uint64_t seed) : token_rng_(Rng(seed).Derive("oracle-tokens")) {}

uint64_t Oracle::NextToken() {
  uint64_t t = 0;
  while (t == 0) t = token_rng_.Next();
  return t;
}

// The most change records ChangedSince keeps per LV.
constexpr size_t kMaxChanges = 16384;

void Oracle::NoteChange(Lv& l, uint64_t start, uint64_t end) {
  const uint64_t stamp = NextChangeStamp();
  // Memory stays bounded: past the limit, this newest change stands for
  // all of them (over-reporting, never under-reporting).
  if (l.changes.size() >= kMaxChanges) {
    l.changes.clear();
    l.changed_all = stamp;
    return;
  }
  l.changes.push_back({start, end, stamp});
}

void Oracle::NoteChangeAll(Lv& l) {
  l.changes.clear();
  l.changed_all = NextChangeStamp();
}

bool Oracle::ChangedSince(const std::string& lv, uint64_t stamp, uint64_t sector,
                          uint64_t end) const {
  auto it = lvs_.find(lv);
  if (it == lvs_.end()) return true;
  const Lv& l = it->second;
  if (l.changed_all > stamp) return true;
  // Newest first: the records older than `stamp` end the search.
  for (auto c = l.changes.rbegin(); c != l.changes.rend() && c->stamp > stamp; ++c) {
    if (c->start < end && sector < c->end) return true;
  }
  for (const auto& [first, w] : l.in_flight) {
    if (w.sector < end && sector < w.sector + w.n) return true;
  }
  return false;
}

void Oracle::ForgetChanges(uint64_t stamp) {
  for (auto& [name, l] : lvs_) {
    auto keep = std::find_if(l.changes.begin(), l.changes.end(),
                             [stamp](const Change& c) { return c.stamp > stamp; });
    l.changes.erase(l.changes.begin(), keep);
  }
}

void Oracle::Track(const std::string& lv, uint64_t nsectors) {
  auto it = lvs_.find(lv);
  if (it == lvs_.end()) {
    lvs_[lv].nsectors = nsectors;
    NoteChangeAll(lvs_[lv]);
    return;
  }
  if (nsectors < it->second.nsectors) it->second.runs.Truncate(nsectors);
  it->second.nsectors = nsectors;
  NoteChangeAll(it->second);
}

bool Oracle::tracked(std::string_view lv) const { return lvs_.find(lv) != lvs_.end(); }

std::vector<std::string> Oracle::tracked_lvs() const {
  std::vector<std::string> out;
  for (const auto& [name, l] : lvs_) out.push_back(name);
  return out;
}

void Oracle::Copy(const std::string& from, const std::string& to) {
  const Lv copy = Get(from, "Copy");
  lvs_[to] = copy;
  NoteChangeAll(lvs_[to]);
}

void Oracle::Untrack(const std::string& lv) {
  auto it = lvs_.find(lv);
  if (it != lvs_.end()) lvs_.erase(it);
}

uint64_t Oracle::size_sectors(std::string_view lv) const {
  return Get(lv, "size_sectors").nsectors;
}

Oracle::Lv& Oracle::Get(std::string_view lv, const char* op) {
  auto it = lvs_.find(lv);
  LVLAB_CHECK(it != lvs_.end()) << "Oracle::" << op << ": LV '" << lv
                                << "' is not tracked; call Track first";
  return it->second;
}

const Oracle::Lv& Oracle::Get(std::string_view lv, const char* op) const {
  auto it = lvs_.find(lv);
  LVLAB_CHECK(it != lvs_.end()) << "Oracle::" << op << ": LV '" << lv
                                << "' is not tracked; call Track first";
  return it->second;
}

void Oracle::CheckRange(const Lv& l, std::string_view lv, uint64_t sector, uint64_t n,
                        const char* op) const {
  LVLAB_CHECK(n > 0 && sector <= l.nsectors && n <= l.nsectors - sector)
      << "Oracle::" << op << ": " << lv << " sectors [" << sector << ", +" << n
      << ") outside the LV (" << l.nsectors << " sectors)";
}

template <typename Fn>
void Oracle::ForEachTokenPiece(uint64_t sector, uint64_t n, const std::vector<uint64_t>& tokens,
                               Fn&& fn) {
  LVLAB_CHECK(tokens.size() == 1 || tokens.size() == n)
      << "a write carries one token or one per sector, not " << tokens.size() << " for " << n;
  if (tokens.size() == 1) {
    fn(sector, sector + n, tokens[0]);
    return;
  }
  uint64_t i = 0;
  while (i < n) {
    uint64_t j = i + 1;
    while (j < n && tokens[j] == tokens[i]) ++j;
    fn(sector + i, sector + j, tokens[i]);
    i = j;
  }
}

void Oracle::WriteSubmitted(const std::string& lv, uint64_t sector, uint64_t n,
                            const std::vector<uint64_t>& tokens) {
  Lv& l = Get(lv, "WriteSubmitted");
  CheckRange(l, lv, sector, n, "WriteSubmitted");
  LVLAB_CHECK(!tokens.empty() && (tokens.size() == 1 || tokens.size() == n))
      << "Oracle::WriteSubmitted: " << tokens.size() << " tokens for " << n << " sectors";
  for (uint64_t t : tokens) LVLAB_CHECK(t != 0) << "write tokens come from NextToken, never 0";
  NoteChange(l, sector, sector + n);
  const bool fresh = l.in_flight.emplace(tokens[0], InFlightWrite{sector, n, tokens}).second;
  LVLAB_CHECK(fresh) << "Oracle::WriteSubmitted: token " << TokenString(tokens[0])
                     << " is already in flight on " << lv;
}

void Oracle::WriteCompleted(const std::string& lv, uint64_t sector, uint64_t n,
                            const std::vector<uint64_t>& tokens, bool fua, const Status& status) {
  Lv& l = Get(lv, "WriteCompleted");
  CheckRange(l, lv, sector, n, "WriteCompleted");
  LVLAB_CHECK(!tokens.empty()) << "Oracle::WriteCompleted without tokens";
  auto it = l.in_flight.find(tokens[0]);
  if (it != l.in_flight.end()) {
    l.in_flight.erase(it);
  } else if (abandoned_.erase(tokens[0]) > 0) {
    return;  // submitted before a power loss: already counted as possible
  }
  for (uint64_t t : tokens) LVLAB_CHECK(t != 0) << "write tokens come from NextToken, never 0";
  NoteChange(l, sector, sector + n);
  ++stats_.writes;
  const uint64_t seq = ++seq_;
  if (status.ok() && fua) {
    ForEachTokenPiece(sector, n, tokens,
                      [&](uint64_t a, uint64_t b, uint64_t t) { l.runs.Settle(a, b, t); });
    l.runs.Compact(sector, sector + n);
    return;
  }
  const auto kind = status.ok() ? PendingOp::Kind::kWrite : PendingOp::Kind::kFailedWrite;
  ForEachTokenPiece(sector, n, tokens, [&](uint64_t a, uint64_t b, uint64_t t) {
    l.runs.Update(a, b, [&](uint64_t, uint64_t, Cell& c) { c.pending.push_back({seq, t, kind}); });
  });
  l.log.push_back({seq, sector, sector + n});
}

uint64_t Oracle::FlushSubmitted(const std::string& lv) {
  Get(lv, "FlushSubmitted");
  return seq_;
}

void Oracle::FlushCompleted(const std::string& lv, uint64_t epoch) {
  Lv& l = Get(lv, "FlushCompleted");
  ++stats_.flushes;
  while (!l.log.empty() && l.log.front().seq <= epoch) {
    const LogEntry e = l.log.front();
    l.log.pop_front();
    l.runs.UpdateExisting(e.start, e.end, [epoch](Cell& c) { c.Fold(epoch); });
    l.runs.Compact(e.start, e.end);
  }
}

void Oracle::Discard(const std::string& lv, uint64_t sector, uint64_t n) {
  Lv& l = Get(lv, "Discard");
  CheckRange(l, lv, sector, n, "Discard");
  ++stats_.discards;
  NoteChange(l, sector, sector + n);
  l.runs.Settle(sector, sector + n, 0);
}

void Oracle::CrashLv(Lv& l) {
  // Only sectors with pending or in-flight values change: the others keep
  // the one value they had.
  std::vector<uint64_t> survivors;
  for (auto& [start, run] : l.runs.runs()) {
    if (run.cell.pending.empty()) continue;
    NoteChange(l, start, run.end);
    run.cell.Survivors(&survivors);
    run.cell.durable.Assign(survivors);
    std::vector<PendingOp>().swap(run.cell.pending);
  }
  for (const auto& [first, w] : l.in_flight) {
    NoteChange(l, w.sector, w.sector + w.n);
    ForEachTokenPiece(w.sector, w.n, w.tokens, [&](uint64_t a, uint64_t b, uint64_t t) {
      l.runs.Update(a, b, [t](uint64_t, uint64_t, Cell& c) { c.durable.Insert(t); });
    });
    abandoned_.insert(first);
  }
  l.in_flight.clear();
  l.log.clear();
  l.runs.Compact(0, l.nsectors);
}

void Oracle::PowerLoss() {
  for (auto& [name, l] : lvs_) CrashLv(l);
  ++stats_.power_losses;
}

Status Oracle::Verify(const std::string& lv, const Lv& l, uint64_t sector, uint64_t n,
                      const std::vector<const InFlightWrite*>& in_flight, bool* undecided) {
  Status bad;
  l.runs.Visit(sector, sector + n, [&](uint64_t a, uint64_t b, const Cell* cell) {
    if (!bad.ok()) return;
    if (cell != nullptr) {
      cell->Current(&current_);
    } else {
      current_.assign(1, 0);
    }
    for (uint64_t s = a; s < b; ++s) {
      const SectorContent& c = seen_[s - sector];
      const bool readable =
          c.kind == SectorContent::Kind::kZero || c.kind == SectorContent::Kind::kToken;
      bool overlapped = false;
      bool in_flight_match = false;
      for (const InFlightWrite* w : in_flight) {
        if (!w->Covers(s)) continue;
        overlapped = true;
        in_flight_match |= readable && w->TokenAt(s) == c.token;
      }
      if (readable && std::binary_search(current_.begin(), current_.end(), c.token)) {
        if (current_.size() > 1 && !overlapped) *undecided = true;
        continue;
      }
      if (in_flight_match) continue;
      std::vector<uint64_t> flying;
      for (const InFlightWrite* w : in_flight) {
        if (w->Covers(s)) flying.push_back(w->TokenAt(s));
      }
      bad = Corrupt(lv + ": sector " + std::to_string(s) + " read " + DescribeContent(c) + ", " +
                    Expectation(current_, flying));
      return;
    }
  });
  return bad;
}

void Oracle::Decide(Lv& l, uint64_t sector, uint64_t n,
                    const std::vector<const InFlightWrite*>& in_flight) {
  struct Piece {
    uint64_t start, end, token;
  };
  std::vector<Piece> pieces;
  l.runs.Visit(sector, sector + n, [&](uint64_t a, uint64_t b, const Cell* cell) {
    if (cell == nullptr) return;
    cell->Current(&current_);
    if (current_.size() < 2) return;
    for (uint64_t s = a; s < b; ++s) {
      const bool overlapped = std::any_of(in_flight.begin(), in_flight.end(),
                                          [s](const InFlightWrite* w) { return w->Covers(s); });
      if (overlapped) continue;
      const uint64_t token = seen_[s - sector].token;
      if (!pieces.empty() && pieces.back().end == s && pieces.back().token == token) {
        ++pieces.back().end;
      } else {
        pieces.push_back({s, s + 1, token});
      }
    }
  });
  const uint64_t seq = ++seq_;
  for (const Piece& p : pieces) {
    bool logged = false;
    l.runs.Update(p.start, p.end,
                  [&](uint64_t, uint64_t, Cell& c) { logged |= c.Observe(p.token, seq); });
    if (logged) l.log.push_back({seq, p.start, p.end});
    l.runs.Compact(p.start, p.end);
  }
}

Status Oracle::CheckRead(const std::string& lv, uint64_t sector, uint64_t n, const uint8_t* data) {
  Lv& l = Get(lv, "CheckRead");
  CheckRange(l, lv, sector, n, "CheckRead");
  ++stats_.reads;
  stats_.sectors_checked += n;
  seen_.resize(n);
  for (uint64_t i = 0; i < n; ++i) seen_[i] = InspectSector(data + i * kSectorSize, sector + i);
  overlap_.clear();
  for (const auto& [first, w] : l.in_flight) {
    if (w.sector < sector + n && sector < w.sector + w.n) overlap_.push_back(&w);
  }
  bool undecided = false;
  Status st = Verify(lv, l, sector, n, overlap_, &undecided);
  if (!st.ok()) {
    ++stats_.violations;
    return st;
  }
  if (undecided) Decide(l, sector, n, overlap_);
  return Status::Ok();
}

Status Oracle::CheckAll(const ReadFn& read_fn) {
  std::vector<uint8_t> buf;
  for (const auto& [name, l] : lvs_) {
    for (uint64_t s = 0; s < l.nsectors; s += kCheckAllChunk) {
      const uint64_t n = std::min(kCheckAllChunk, l.nsectors - s);
      buf.assign(n * kSectorSize, 0);
      Status st = read_fn(name, s, n, buf.data());
      if (!st.ok()) {
        return st.WithContext("checking " + name + ": read of sectors [" + std::to_string(s) +
                              ", +" + std::to_string(n) + ")");
      }
      LVLAB_RETURN_IF_ERROR(CheckRead(name, s, n, buf.data()));
    }
  }
  return Status::Ok();
}

Status Oracle::CheckAll(const ReadFn& read_fn, const DataFn& data_fn) {
  return CheckAll(read_fn, data_fn, nullptr);
}

Status Oracle::CheckAll(const ReadFn& read_fn, const DataFn& data_fn, const SkipFn& skip_fn) {
  std::vector<uint8_t>& buf = check_buf_;
  std::vector<std::pair<uint64_t, uint64_t>> ranges;
  for (const auto& [name, l] : lvs_) {
    // What the oracle holds anything for, then what the device has data in.
    ranges.clear();
    for (const auto& [start, run] : l.runs.runs()) ranges.emplace_back(start, run.end);
    for (const auto& [first, w] : l.in_flight) ranges.emplace_back(w.sector, w.sector + w.n);
    for (uint64_t s = 0; s < l.nsectors;) {
      const std::optional<std::pair<uint64_t, uint64_t>> d = data_fn(name, s, l.nsectors);
      if (!d) break;
      LVLAB_CHECK(d->first >= s && d->second > d->first && d->second <= l.nsectors)
          << "Oracle::CheckAll: data_fn(" << name << ", " << s << ", " << l.nsectors
          << ") answered [" << d->first << ", " << d->second << ")";
      ranges.push_back(*d);
      s = d->second;
    }
    std::sort(ranges.begin(), ranges.end());
    uint64_t done = 0;  // every sector below it was read (or needs no read)
    for (size_t i = 0; i < ranges.size(); ++i) {
      uint64_t a = std::max(ranges[i].first, done);
      uint64_t b = std::min(ranges[i].second, l.nsectors);
      // Merge the overlapping and touching ones that follow.
      while (i + 1 < ranges.size() && ranges[i + 1].first <= b) {
        b = std::max(b, std::min(ranges[++i].second, l.nsectors));
      }
      for (uint64_t s = a; s < b; s += kCheckAllChunk) {
        const uint64_t n = std::min(kCheckAllChunk, b - s);
        if (skip_fn && skip_fn(name, s, s + n)) continue;
        // Never shrunk, so never zero-filled again: read_fn fills what it uses.
        if (buf.size() < n * kSectorSize) buf.resize(kCheckAllChunk * kSectorSize);
        Status st = read_fn(name, s, n, buf.data());
        if (!st.ok()) {
          return st.WithContext("checking " + name + ": read of sectors [" + std::to_string(s) +
                                ", +" + std::to_string(n) + ")");
        }
        LVLAB_RETURN_IF_ERROR(CheckRead(name, s, n, buf.data()));
      }
      done = std::max(done, b);
    }
  }
  return Status::Ok();
}

std::vector<uint64_t> Oracle::Possible(const std::string& lv, uint64_t sector) const {
  const Lv& l = Get(lv, "Possible");
  CheckRange(l, lv, sector, 1, "Possible");
  std::vector<uint64_t> out{0};
  l.runs.Visit(sector, sector + 1, [&](uint64_t, uint64_t, const Cell* c) {
    if (c != nullptr) c->Current(&out);
  });
  for (const auto& [first, w] : l.in_flight) {
    if (w.Covers(sector)) out.push_back(w.TokenAt(sector));
  }
  std::sort(out.begin(), out.end());
  out.erase(std::unique(out.begin(), out.end()), out.end());
  return out;
}

size_t Oracle::runs(const std::string& lv) const { return Get(lv, "runs").runs.runs().size(); }

size_t Oracle::pending_ops(const std::string& lv) const {
  size_t total = 0;
  for (const auto& [start, run] : Get(lv, "pending_ops").runs.runs()) {
    total += run.cell.pending.size();
  }
  return total;
}

}  // namespace lvlab::check
