// VolumeTable: the mount's namespace — the root, one directory per VG with
// active LVs, one file per active visible LV — as inode numbers.
//
// The engine thread calls Update with the machine's current files after
// every command, tick and reboot; FUSE worker threads look names and inodes
// up. A file gets a fresh inode whenever what it stands for changes (another
// boot, another size, deactivated and activated again), so the kernel never
// serves one LV's cached pages or attributes for another. Nodes that
// vanished stay known (Get still finds them, marked dead) so that late
// requests on them fail cleanly; Update returns the (parent, name) entries
// the kernel must forget.
//
// Thread-safety: all methods are thread-safe (a shared mutex).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <shared_mutex>
#include <string>
#include <utility>
#include <vector>

#include "fuse/live_machine.h"

namespace lvlab::fuse {

inline constexpr uint64_t kRootIno = 1;

struct Node {
  uint64_t ino = 0;
  uint64_t parent = 0;
  std::string name;
  bool dir = false;
  bool live = true;
  LvFile file;        // files only
  uint64_t boot = 0;  // the boot the file belongs to
};

class VolumeTable {
 public:
  VolumeTable();

  // Replaces the namespace; returns the entries that went away, as
  // (parent inode, name) for the kernel's dentry cache to drop.
  std::vector<std::pair<uint64_t, std::string>> Update(const std::vector<LvFile>& files,
                                                       uint64_t boot);
  std::optional<Node> Get(uint64_t ino) const;
  std::optional<Node> Lookup(uint64_t parent, const std::string& name) const;
  // Live children of a directory, sorted by name.
  std::vector<Node> Children(uint64_t dir) const;
  // Sum of the sizes of the live files.
  uint64_t TotalBytes() const;

 private:
  mutable std::shared_mutex mu_;
  std::map<uint64_t, Node> nodes_;                                  // every node ever
  std::map<std::pair<uint64_t, std::string>, uint64_t> children_;  // live ones
  uint64_t next_ino_ = kRootIno + 1;
};

}  // namespace lvlab::fuse
