// Model: what the property tests' state machine knows about the machine
// when it generates the next command. The oracle of the data (what every
// sector may read as) and the structural checks live in the scenario
// runner (sim/check/oracle.h, expect consistent); the model keeps what
// generation needs: the PVs, which are failed, the LVs the commands
// created, and whether a move may be in flight. Plain data.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace lvlab::propcheck {

struct Model {
  std::vector<std::string> pvs = {"pv1", "pv2", "pv3", "pv4"};
  std::vector<std::string> lab_lvs = {"lv0", "lv1"};
  std::set<std::string> failed;       // PVs failed by a fault command
  std::set<std::string> created_lvs;  // lvcreate'd by commands (lvx0, ...)
  int next_lv = 0;
  int moves_started = 0;
  int crashes = 0;
  // The LVs of their own kind, created on pv5..pv7: the disk-log mirror m0
  // and the raid1 r0 (its second image split off with --trackchanges or
  // not), whose PVs moves take as sources once both exist (sub_lvs_moved
  // from the first such move: m0 and r0 may then have extents on pv1..pv4).
  // Snapshots snapN of lv0, lv1 or lv2, their COW LVs on pv7 or on pv3 or
  // pv4; the newest one not yet merged when snapshot_live (workloads write
  // to it then).
  bool mirror = false;
  bool raid = false;
  bool raid_split = false;
  bool sub_lvs_moved = false;
  int snapshots = 0;
  bool snapshot_live = false;
  bool lv2_snapshotted = false;
  uint64_t cow_extents = 10;  // no snapshot of lv0..lv2 fills a COW LV this big

  // The snapshot not yet merged ("snapN"), or "".
  std::string LiveSnapshot() const {
    return snapshot_live ? "snap" + std::to_string(snapshots - 1) : "";
  }

  // The LVs I/O goes to: lv2, a snapshots' origin, once it has had one; the
  // live snapshot (its COW LV holds an exception for every chunk of its
  // origin with room to spare, so no write fills it).
  std::vector<std::string> IoLvs() const {
    std::vector<std::string> out = lab_lvs;
    if (lv2_snapshotted) out.push_back("lv2");
    if (mirror) out.push_back("m0");
    if (raid) out.push_back("r0");
    if (snapshot_live) out.push_back(LiveSnapshot());
    return out;
  }
};

}  // namespace lvlab::propcheck
