// MirrorDirectRoutes: which regions of a mirror a write may reach without
// the mirror's worker, for the live daemon's FUSE workers (fuse/direct_io.h),
// and the handshake that keeps such writes out of a region the worker is
// about to copy.
//
// dm-mirror's do_writes sends a write to a CLEAN or DIRTY region to every
// leg, one to a NOSYNC region to the default leg alone, and parks one to the
// RECOVERING region until its copy is done. A direct write follows the same
// rule, decided per region: kAllLegs, kDefaultLeg, or kNone (take the
// mirror's worker). It does not count as pending on the region, so the
// worker closes the region (CloseRegion) before the region hash marks it
// RECOVERING: from then on direct writers see kNone, and CloseRegion returns
// only once those already inside have left, so the copy reads a source leg
// that no direct write changes any more. The worker closes a region in the
// same way while writes of its own to it are under way (a write parked for
// the copy, one that a direct writer sent to the worker), so the two never
// interleave on the legs. Routes open (Set) when the worker retires a
// recovered region or its last write of a region ends; anything else that
// changes legs or states (a leg error, a suspend) closes them all (Close).
//
// Each region has one atomic word: the route in its top bits, the direct
// writers inside in the rest. A writer adds itself and reads the route in
// one step (Enter); the worker clears the route and then waits for the count
// to drain. Neither side takes a lock, so a stream of writers cannot starve
// the worker, which only waits for writes already under way.
//
// Thread-safety: Enter and Leave from any thread; the rest on the engine
// thread. Enter may be called only after Open returned (the daemon's plan is
// installed after it) and before the owner is destroyed (the plan is revoked
// before any suspend).
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>

namespace lvlab::dm {

class MirrorDirectRoutes {
 public:
  enum class Route : uint32_t { kNone = 0, kDefaultLeg = 1, kAllLegs = 2 };

  // Engine thread: every region's route from `route_of`; a no-op while open.
  // `regions` is the same on every call.
  void Open(uint64_t regions, const std::function<Route(uint64_t)>& route_of);
  bool open() const { return open_; }
  // Engine thread: every route becomes kNone; returns once no direct write
  // is inside. Reopened only by Open.
  void Close();
  // Engine thread: `region` becomes kNone; returns once no direct write is
  // inside it. A no-op while closed.
  void CloseRegion(uint64_t region);
  // Engine thread: `region` opens with `route`. A no-op while closed.
  void Set(uint64_t region, Route route);

  // Any thread: the route of `region`. Unless kNone, the writer is inside
  // and must Leave once its writes are done.
  Route Enter(uint64_t region);
  void Leave(uint64_t region);

 private:
  static constexpr int kRouteShift = 30;
  static constexpr uint32_t kCountMask = (uint32_t{1} << kRouteShift) - 1;
  void Drain(uint64_t region) const;

  std::unique_ptr<std::atomic<uint32_t>[]> words_;
  uint64_t regions_ = 0;
  bool open_ = false;
};

}  // namespace lvlab::dm
