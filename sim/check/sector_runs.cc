#include "sim/check/sector_runs.h"

#include <iterator>
#include <utility>

namespace lvlab::check {
namespace {

void InsertSorted(std::vector<uint64_t>* set, uint64_t token) {
  auto it = std::lower_bound(set->begin(), set->end(), token);
  if (it == set->end() || *it != token) set->insert(it, token);
}

void Apply(TokenSet* set, const PendingOp& op) {
  if (op.kind == PendingOp::Kind::kFailedWrite) {
    set->Insert(op.token);
  } else {
    set->Assign(op.token);
  }
}

}  // namespace

void TokenSet::Assign(uint64_t token) {
  first_ = token;
  if (!rest_.empty()) std::vector<uint64_t>().swap(rest_);
}

void TokenSet::Assign(const std::vector<uint64_t>& sorted) {
  first_ = sorted.front();
  rest_.assign(sorted.begin() + 1, sorted.end());
}

void TokenSet::Insert(uint64_t token) {
  if (token == first_) return;
  if (token < first_) std::swap(token, first_);
  InsertSorted(&rest_, token);
}

void TokenSet::CopyTo(std::vector<uint64_t>* out) const {
  out->assign(1, first_);
  out->insert(out->end(), rest_.begin(), rest_.end());
}

void Cell::Current(std::vector<uint64_t>* out) const {
  // Only the last definite op (write or observation) and the failed writes
  // after it matter.
  size_t from = pending.size();
  while (from > 0 && pending[from - 1].kind == PendingOp::Kind::kFailedWrite) --from;
  if (from > 0) {
    out->assign(1, pending[from - 1].token);
  } else {
    durable.CopyTo(out);
  }
  for (size_t i = from; i < pending.size(); ++i) InsertSorted(out, pending[i].token);
}

void Cell::Survivors(std::vector<uint64_t>* out) const {
  durable.CopyTo(out);
  for (const PendingOp& op : pending) InsertSorted(out, op.token);
}

void Cell::Fold(uint64_t epoch) {
  size_t n = 0;
  while (n < pending.size() && pending[n].seq <= epoch) Apply(&durable, pending[n++]);
  if (n == pending.size()) {
    std::vector<PendingOp>().swap(pending);  // settled runs hold no heap memory
  } else {
    pending.erase(pending.begin(), pending.begin() + static_cast<std::ptrdiff_t>(n));
  }
}

bool Cell::Observe(uint64_t token, uint64_t seq) {
  if (pending.empty()) {
    durable.Assign(token);
    return false;
  }
  pending.push_back({seq, token, PendingOp::Kind::kObserved});
  return true;
}

SectorRuns::Map::iterator SectorRuns::SplitAt(uint64_t at) {
  auto it = map_.lower_bound(at);
  if ((it != map_.end() && it->first == at) || it == map_.begin()) return it;
  auto prev = std::prev(it);
  if (prev->second.end <= at) return it;
  Run tail{prev->second.end, prev->second.cell};
  prev->second.end = at;
  return map_.emplace_hint(it, at, std::move(tail));
}

SectorRuns::Map::iterator SectorRuns::FirstOverlap(uint64_t start) {
  auto it = map_.upper_bound(start);
  if (it != map_.begin() && std::prev(it)->second.end > start) --it;
  return it;
}

SectorRuns::Map::const_iterator SectorRuns::FirstOverlap(uint64_t start) const {
  auto it = map_.upper_bound(start);
  if (it != map_.begin() && std::prev(it)->second.end > start) --it;
  return it;
}

void SectorRuns::Settle(uint64_t start, uint64_t end, uint64_t token) {
  SplitAt(end);
  SplitAt(start);
  auto hint = map_.erase(map_.lower_bound(start), map_.lower_bound(end));
  if (token != 0) {
    map_.emplace_hint(hint, start, Run{end, Cell{TokenSet(token), {}}});
  }
}

void SectorRuns::Compact(uint64_t start, uint64_t end) {
  auto it = FirstOverlap(start > 0 ? start - 1 : 0);
  while (it != map_.end() && it->first <= end) {
    if (it->second.cell.is_zero()) {
      it = map_.erase(it);
      continue;
    }
    auto next = std::next(it);
    if (next != map_.end() && next->first == it->second.end && it->second.cell.settled() &&
        next->second.cell.settled() &&
        next->second.cell.durable.first() == it->second.cell.durable.first()) {
      it->second.end = next->second.end;
      it = std::prev(map_.erase(next));  // erasing invalidates `it`: the run before
      continue;
    }
    it = next;
  }
}

void SectorRuns::Truncate(uint64_t end) {
  SplitAt(end);
  map_.erase(map_.lower_bound(end), map_.end());
}

}  // namespace lvlab::check
