// Model: what the property tests' state machine knows about the machine
// when it generates the next command. The oracle of the data (what every
// sector may read as) and the structural checks live in the scenario
// runner (sim/check/oracle.h, expect consistent); the model keeps what
// generation needs: the PVs, which are failed, the LVs the commands
// created, and whether a move may be in flight. Plain data.
#pragma once

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
};

}  // namespace lvlab::propcheck
