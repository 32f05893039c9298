#include "sim/store/power_domain.h"

#include "sim/base/check.h"

namespace lvlab::store {

void PowerDomain::CutAfterWrites(int64_t n) {
  LVLAB_CHECK(n >= 0) << "CutAfterWrites(" << n << ")";
  cut_at_ = writes_seen_ + n;
}

void PowerDomain::Restore() {
  off_ = false;
  cut_at_ = -1;
}

PowerDomain::Admission PowerDomain::Admit() {
  if (off_) return Admission::kOff;
  const bool cut = writes_seen_ == cut_at_;
  ++writes_seen_;
  if (!cut) return Admission::kOn;
  off_ = true;
  cut_at_ = -1;
  return Admission::kCut;
}

}  // namespace lvlab::store
