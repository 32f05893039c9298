#include "sim/dm/mirror_direct.h"

#include <thread>

namespace lvlab::dm {

void MirrorDirectRoutes::Open(uint64_t regions, const std::function<Route(uint64_t)>& route_of) {
  if (open_) return;
  if (words_ == nullptr) {  // every route kNone, no writer inside
    words_ = std::make_unique<std::atomic<uint32_t>[]>(regions);
    regions_ = regions;
  }
  open_ = true;
  for (uint64_t r = 0; r < regions_; ++r) Set(r, route_of(r));
}

void MirrorDirectRoutes::Close() {
  if (!open_) return;
  open_ = false;
  for (uint64_t r = 0; r < regions_; ++r)
    words_[r].fetch_and(kCountMask, std::memory_order_seq_cst);
  for (uint64_t r = 0; r < regions_; ++r) Drain(r);
}

void MirrorDirectRoutes::CloseRegion(uint64_t region) {
  if (!open_ || region >= regions_) return;
  words_[region].fetch_and(kCountMask, std::memory_order_seq_cst);
  Drain(region);
}

void MirrorDirectRoutes::Set(uint64_t region, Route route) {
  if (!open_ || region >= regions_) return;
  std::atomic<uint32_t>& w = words_[region];
  uint32_t old = w.load(std::memory_order_relaxed);
  const uint32_t bits = static_cast<uint32_t>(route) << kRouteShift;
  while (!w.compare_exchange_weak(old, (old & kCountMask) | bits, std::memory_order_seq_cst)) {
  }
}

MirrorDirectRoutes::Route MirrorDirectRoutes::Enter(uint64_t region) {
  if (region >= regions_) return Route::kNone;
  const uint32_t old = words_[region].fetch_add(1, std::memory_order_seq_cst);
  const auto route = static_cast<Route>(old >> kRouteShift);
  if (route == Route::kNone) Leave(region);
  return route;
}

void MirrorDirectRoutes::Leave(uint64_t region) {
  words_[region].fetch_sub(1, std::memory_order_seq_cst);
}

void MirrorDirectRoutes::Drain(uint64_t region) const {
  while ((words_[region].load(std::memory_order_seq_cst) & kCountMask) != 0) {
    std::this_thread::yield();
  }
}

}  // namespace lvlab::dm
