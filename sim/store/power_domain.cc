#include "sim/store/power_domain.h"

#include <mutex>
#include <utility>

#include "sim/base/check.h"

namespace lvlab::store {

void PowerDomain::CutAfterWrites(int64_t n) {
  std::lock_guard<std::mutex> lock(mu_);
  LVLAB_CHECK(n >= 0) << "CutAfterWrites(" << n << ")";
  cut_at_ = writes_seen_ + n;
  match_ = nullptr;
}

void PowerDomain::Restore() {
  std::lock_guard<std::mutex> lock(mu_);
  off_ = false;
  cut_at_ = -1;
  match_ = nullptr;
}

void PowerDomain::CutAtMatchingWrite(WriteMatch match, int64_t count) {
  std::lock_guard<std::mutex> lock(mu_);
  cut_at_ = -1;
  match_ = std::move(match);
  match_left_ = count;
}

PowerDomain::Admission PowerDomain::Admit(std::string_view disk, uint64_t sector,
                                          uint64_t nsectors) {
  std::lock_guard<std::mutex> lock(mu_);
  if (off_) return Admission::kOff;
  bool cut = writes_seen_ == cut_at_;
  if (match_ && match_(disk, sector, nsectors) && --match_left_ <= 0) {
    cut = true;
    match_ = nullptr;
  }
  ++writes_seen_;
  if (!cut) return Admission::kOn;
  off_ = true;
  cut_at_ = -1;
  return Admission::kCut;
}

}  // namespace lvlab::store
