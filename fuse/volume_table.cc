#include "fuse/volume_table.h"

#include <mutex>

namespace lvlab::fuse {

VolumeTable::VolumeTable() {
  Node root;
  root.ino = kRootIno;
  root.parent = kRootIno;
  root.dir = true;
  nodes_[kRootIno] = root;
}

std::vector<std::pair<uint64_t, std::string>> VolumeTable::Update(
    const std::vector<LvFile>& files, uint64_t boot) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  std::map<std::pair<uint64_t, std::string>, uint64_t> next;
  auto child = [&](uint64_t parent, const std::string& name) -> const Node* {
    auto it = children_.find({parent, name});
    return it == children_.end() ? nullptr : &nodes_[it->second];
  };
  auto make = [&](uint64_t parent, const std::string& name, bool dir) -> Node& {
    Node n;
    n.ino = next_ino_++;
    n.parent = parent;
    n.name = name;
    n.dir = dir;
    return nodes_[n.ino] = n;
  };
  for (const LvFile& f : files) {
    uint64_t vg_ino;
    if (auto it = next.find({kRootIno, f.vg}); it != next.end()) {
      vg_ino = it->second;
    } else if (const Node* d = child(kRootIno, f.vg)) {
      vg_ino = d->ino;
    } else {
      vg_ino = make(kRootIno, f.vg, true).ino;
    }
    next[{kRootIno, f.vg}] = vg_ino;
    const Node* old = child(vg_ino, f.lv);
    if (old && old->file == f && old->boot == boot) {
      next[{vg_ino, f.lv}] = old->ino;
      continue;
    }
    Node& n = make(vg_ino, f.lv, false);
    n.file = f;
    n.boot = boot;
    next[{vg_ino, f.lv}] = n.ino;
  }
  std::vector<std::pair<uint64_t, std::string>> gone;
  for (const auto& [key, ino] : children_) {
    auto it = next.find(key);
    if (it != next.end() && it->second == ino) continue;
    nodes_[ino].live = false;
    gone.push_back(key);
  }
  children_ = std::move(next);
  return gone;
}

std::optional<Node> VolumeTable::Get(uint64_t ino) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = nodes_.find(ino);
  if (it == nodes_.end()) return std::nullopt;
  return it->second;
}

std::optional<Node> VolumeTable::Lookup(uint64_t parent, const std::string& name) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  auto it = children_.find({parent, name});
  if (it == children_.end()) return std::nullopt;
  return nodes_.at(it->second);
}

std::vector<Node> VolumeTable::Children(uint64_t dir) const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<Node> out;
  for (auto it = children_.lower_bound({dir, ""}); it != children_.end() && it->first.first == dir;
       ++it) {
    out.push_back(nodes_.at(it->second));
  }
  return out;
}

uint64_t VolumeTable::TotalBytes() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  uint64_t total = 0;
  for (const auto& [key, ino] : children_) total += nodes_.at(ino).file.size_bytes;
  return total;
}

}  // namespace lvlab::fuse
