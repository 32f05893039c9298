// SnapshotRegistry: the kernel's origin hash (dm-snap.c _origins): which
// snapshots hang off which origin device, so that a write to the origin
// (snapshot-origin, or snapshot-merge for its other snapshots) first copies
// the old data into each of them (reference/device-mapper-targets.md 4.2).
//
// A snapshot registers itself when it first resumes and unregisters when
// destroyed. Lists keep registration order; nothing iterates over pointers'
// order. Not thread-safe: one engine thread. Holds no ownership.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include "sim/dm/block_device.h"

namespace lvlab::dm {

// What the origin side needs of a snapshot.
class OriginSnapshot {
 public:
  virtual ~OriginSnapshot() = default;
  // Starts the copy-on-write of origin sectors [sector, sector+n) into this
  // snapshot where needed. Returns false if the origin write may go at once;
  // true if it must wait: `ready` then runs once every needed exception is
  // committed (or the snapshot was invalidated).
  virtual bool PrepareOriginWrite(uint64_t sector, uint64_t n, std::function<void()> ready) = 0;
  virtual BlockDevice* cow() const = 0;
  virtual bool merging() const = 0;
  virtual uint64_t chunk_sectors() const = 0;
};

class SnapshotRegistry {
 public:
  void Add(BlockDevice* origin, OriginSnapshot* snap);
  void Remove(OriginSnapshot* snap);
  // The snapshots of `origin`, in registration order.
  std::vector<OriginSnapshot*> Of(const BlockDevice* origin) const;
  // Another registered snapshot using `cow` (the merge handover source).
  OriginSnapshot* FindByCow(const BlockDevice* cow, const OriginSnapshot* except) const;
  // Whether a snapshot-merge already runs for `origin`.
  bool HasMerging(const BlockDevice* origin, const OriginSnapshot* except) const;

 private:
  std::map<const BlockDevice*, std::vector<OriginSnapshot*>> by_origin_;
};

// do_origin: triggers the copy-on-write in every non-merging snapshot of
// `origin` for [sector, sector+n), then runs `go` (from a scheduler event if
// it had to wait, else inline).
void OriginWrite(const SnapshotRegistry& registry, const BlockDevice* origin, uint64_t sector,
                 uint64_t n, std::function<void()> go);

}  // namespace lvlab::dm
