#include "sim/dm/snapshot_registry.h"

#include <algorithm>
#include <memory>
#include <utility>

namespace lvlab::dm {

void SnapshotRegistry::Add(BlockDevice* origin, OriginSnapshot* snap) {
  auto& list = by_origin_[origin];
  if (std::find(list.begin(), list.end(), snap) == list.end()) list.push_back(snap);
}

void SnapshotRegistry::Remove(OriginSnapshot* snap) {
  for (auto it = by_origin_.begin(); it != by_origin_.end();) {
    auto& list = it->second;
    list.erase(std::remove(list.begin(), list.end(), snap), list.end());
    it = list.empty() ? by_origin_.erase(it) : std::next(it);
  }
}

std::vector<OriginSnapshot*> SnapshotRegistry::Of(const BlockDevice* origin) const {
  auto it = by_origin_.find(origin);
  return it == by_origin_.end() ? std::vector<OriginSnapshot*>{} : it->second;
}

OriginSnapshot* SnapshotRegistry::FindByCow(const BlockDevice* cow,
                                            const OriginSnapshot* except) const {
  for (const auto& [origin, list] : by_origin_) {
    for (OriginSnapshot* s : list) {
      if (s != except && s->cow() == cow) return s;
    }
  }
  return nullptr;
}

bool SnapshotRegistry::HasMerging(const BlockDevice* origin, const OriginSnapshot* except) const {
  for (OriginSnapshot* s : Of(origin)) {
    if (s != except && s->merging()) return true;
  }
  return false;
}

void OriginWrite(const SnapshotRegistry& registry, const BlockDevice* origin, uint64_t sector,
                 uint64_t n, std::function<void()> go) {
  // Snapshots with the largest chunk first, as the kernel sorts them.
  std::vector<OriginSnapshot*> snaps = registry.Of(origin);
  std::stable_sort(snaps.begin(), snaps.end(), [](OriginSnapshot* a, OriginSnapshot* b) {
    return a->chunk_sectors() > b->chunk_sectors();
  });
  struct Wait {
    size_t left = 1;  // one for this call, released at the end
    std::function<void()> go;
  };
  auto wait = std::make_shared<Wait>();
  wait->go = std::move(go);
  auto release = [wait] {
    if (--wait->left == 0) wait->go();
  };
  for (OriginSnapshot* s : snaps) {
    if (s->merging()) continue;
    ++wait->left;
    if (!s->PrepareOriginWrite(sector, n, release)) --wait->left;
  }
  release();
}

}  // namespace lvlab::dm
