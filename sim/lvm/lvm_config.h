// LvmConfig: the lvm.conf settings the lab models, with LVM's defaults.
//
// Today these are the fault policies that dmeventd's mirror and raid
// plugins apply through `lvconvert --repair --use-policies` (repair.h):
//
//   activation/mirror_image_fault_policy  remove (default) | allocate
//   activation/mirror_log_fault_policy    remove | allocate (default)
//   activation/raid_fault_policy          warn (default) | allocate
//
// ("replace" is also accepted where LVM accepts it: a synonym of allocate
// for raid.) Settings are read from lvm.conf text (LAB/lvm.conf, a
// scenario's `lab: config:`) or from a `--config` option, in either of
// LVM's forms: `activation { raid_fault_policy = "allocate" }` or
// `activation/raid_fault_policy=allocate`. Plain values; copy freely.
#pragma once

#include <string>
#include <string_view>

#include "sim/base/status.h"

namespace lvlab::lvm {

struct LvmConfig {
  std::string mirror_image_fault_policy = "remove";
  std::string mirror_log_fault_policy = "allocate";
  std::string raid_fault_policy = "warn";
  bool operator==(const LvmConfig&) const = default;

  // Applies lvm.conf text on top of this config. Unknown settings are
  // refused, naming the setting, as are values a policy does not take.
  // Nothing changes on error.
  [[nodiscard]] Status Apply(std::string_view text);
  // The settings that differ from LVM's defaults, as lvm.conf lines
  // ("activation/raid_fault_policy=allocate"), one per line.
  std::string Describe() const;
};

}  // namespace lvlab::lvm
