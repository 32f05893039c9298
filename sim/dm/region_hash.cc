#include "sim/dm/region_hash.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "sim/base/check.h"

namespace lvlab::dm {

const char* RegionStateName(RegionState state) {
  switch (state) {
    case RegionState::kClean:
      return "clean";
    case RegionState::kDirty:
      return "dirty";
    case RegionState::kNosync:
      return "nosync";
    case RegionState::kRecovering:
      return "recovering";
  }
  return "unknown";
}

RegionState RegionHash::GetState(uint64_t region) const {
  auto it = regions_.find(region);
  if (it != regions_.end()) return it->second.state;
  return log_->InSync(region) ? RegionState::kClean : RegionState::kNosync;
}

uint32_t RegionHash::pending(uint64_t region) const {
  auto it = regions_.find(region);
  return it == regions_.end() ? 0 : it->second.pending;
}

// __rh_find: the entry, created from the log's view if absent (a new CLEAN
// entry goes on the clean list, as __rh_alloc does).
RegionHash::Region& RegionHash::Find(uint64_t region) {
  auto [it, inserted] = regions_.try_emplace(region);
  if (inserted) {
    it->second.state = log_->InSync(region) ? RegionState::kClean : RegionState::kNosync;
    if (it->second.state == RegionState::kClean) {
      it->second.list = List::kClean;
      clean_.insert(region);
    }
  }
  return it->second;
}

// list_del_init.
void RegionHash::Unlist(uint64_t key, Region& reg) {
  auto drop = [key](std::deque<uint64_t>& q) { q.erase(std::find(q.begin(), q.end(), key)); };
  switch (reg.list) {
    case List::kNone:
      break;
    case List::kClean:
      clean_.erase(key);
      break;
    case List::kQuiesced:
      drop(quiesced_);
      break;
    case List::kRecovered:
      drop(recovered_);
      break;
    case List::kFailedRecovered:
      drop(failed_recovered_);
      break;
  }
  reg.list = List::kNone;
}

void RegionHash::Inc(uint64_t region) {
  Region& reg = Find(region);
  ++reg.pending;
  if (reg.state == RegionState::kClean) {
    reg.state = RegionState::kDirty;
    Unlist(region, reg);
    log_->MarkRegion(region);
  }
}

void RegionHash::Dec(uint64_t region) {
  auto it = regions_.find(region);
  LVLAB_CHECK(it != regions_.end() && it->second.pending > 0)
      << "mirror region " << region << ": write ended that was never counted";
  Region& reg = it->second;
  if (--reg.pending > 0) return;
  if (flush_failure_) {
    // A flush failed some time ago: this write may not be durable.
    reg.state = RegionState::kNosync;
  } else if (reg.state == RegionState::kRecovering) {
    reg.list = List::kQuiesced;
    quiesced_.push_back(region);
  } else if (reg.state == RegionState::kDirty) {
    reg.state = RegionState::kClean;
    reg.list = List::kClean;
    clean_.insert(region);
  }
  cb_.wakeup_workers();
}

void RegionHash::MarkNosync(const MirrorBio& bio) {
  if (bio.is_flush()) {
    flush_failure_ = true;
    return;
  }
  if (bio.is_discard()) return;
  log_->SetRegionSync(bio.region, false);
  Region& reg = Find(bio.region);
  LVLAB_CHECK(reg.list == List::kNone)
      << "mirror region " << bio.region << " with a write in flight is on a list";
  const bool recovering = reg.state == RegionState::kRecovering;
  reg.state = RegionState::kNosync;
  if (recovering) CompleteResyncWork(bio.region, reg, false);
}

void RegionHash::UpdateStates(bool errors_handled) {
  // Pull the listed regions out of the hash first, as the kernel does.
  auto take = [this](const auto& keys) {
    std::vector<std::pair<uint64_t, Region>> out;
    for (uint64_t key : keys) {
      auto it = regions_.find(key);
      it->second.list = List::kNone;
      out.emplace_back(key, std::move(it->second));
      regions_.erase(it);
    }
    return out;
  };
  auto recovered = take(recovered_);
  auto failed = take(failed_recovered_);
  auto clean = take(clean_);
  recovered_.clear();
  failed_recovered_.clear();
  clean_.clear();
  for (auto& [key, reg] : recovered) {
    log_->ClearRegion(key);
    CompleteResyncWork(key, reg, true);
    cb_.recovered(key, true, true);
  }
  for (auto& [key, reg] : failed) {
    CompleteResyncWork(key, reg, !errors_handled);
    cb_.recovered(key, false, !errors_handled);
  }
  for (auto& [key, reg] : clean) log_->ClearRegion(key);
}

void RegionHash::CompleteResyncWork(uint64_t key, Region& reg, bool success) {
  log_->SetRegionSync(key, success);
  // Dispatch the parked writes before the recovery counts as done, so that a
  // suspend waiting for recovery also sees them queued.
  if (!reg.delayed.empty()) {
    std::deque<MirrorBio> bios = std::move(reg.delayed);
    reg.delayed.clear();
    cb_.dispatch_bios(std::move(bios));
  }
  LVLAB_CHECK(in_flight_ > 0) << "mirror region " << key << ": recovery ended twice";
  --in_flight_;
  ++slots_;
}

void RegionHash::Delay(MirrorBio bio) { Find(bio.region).delayed.push_back(std::move(bio)); }

bool RegionHash::PrepareOne() {
  const std::optional<uint64_t> region = log_->GetResyncWork();
  if (!region) return false;
  if (cb_.recovering) cb_.recovering(*region);
  Region& reg = Find(*region);
  reg.state = RegionState::kRecovering;
  Unlist(*region, reg);
  if (reg.pending == 0) {  // already quiesced
    reg.list = List::kQuiesced;
    quiesced_.push_front(*region);
  }
  return true;
}

void RegionHash::RecoveryPrepare() {
  ++in_flight_;  // keeps waiters from seeing zero while preparing
  while (slots_ > 0 && !stopping_) {
    --slots_;
    ++in_flight_;
    if (!PrepareOne()) {
      --in_flight_;
      ++slots_;
      break;
    }
  }
  --in_flight_;
}

std::optional<uint64_t> RegionHash::RecoveryStart() {
  if (quiesced_.empty()) return std::nullopt;
  const uint64_t key = quiesced_.front();
  quiesced_.pop_front();
  regions_.at(key).list = List::kNone;
  return key;
}

void RegionHash::RecoveryEnd(uint64_t region, bool success) {
  Region& reg = regions_.at(region);
  if (success) {
    reg.list = List::kRecovered;
    recovered_.push_front(region);
  } else {
    reg.state = RegionState::kNosync;
    reg.list = List::kFailedRecovered;
    failed_recovered_.push_front(region);
  }
  cb_.wakeup_workers();
}

bool RegionHash::RecoverySlotLeaked() const {
  if (in_flight_ == 0 || !quiesced_.empty() || !recovered_.empty() || !failed_recovered_.empty()) {
    return false;
  }
  for (const auto& [key, reg] : regions_) {
    if (reg.state == RegionState::kRecovering) return false;
  }
  return true;
}

void RegionHash::ReclaimLeakedSlot() {
  LVLAB_CHECK(RecoverySlotLeaked()) << "no recovery slot was leaked";
  --in_flight_;
  ++slots_;
}

void RegionHash::StartRecovery() {
  slots_ += kMaxRecovery;
  cb_.wakeup_workers();
}

void RegionHash::TakeRecoverySlot() {
  if (slots_ > 0) --slots_;
  stopping_ = false;
}

}  // namespace lvlab::dm
