// Which disk writes an armed power cut counts: a scenario's `crash: {during:
// metadata-write}` and, live, `lvlab crash --during metadata-write`.
#pragma once

#include <string>
#include <vector>

#include "sim/lvm/lab.h"
#include "sim/store/power_domain.h"

namespace lvlab::lvm {

// The kinds of write a cut can be armed on: "metadata-write" (below a PV's
// pe_start: label, metadata area header, metadata text), "data-write" (at or
// above pe_start) and "any-write".
const std::vector<std::string>& CrashPoints();

// The filter for PowerDomain::CutAtMatchingWrite: writes of kind `what`
// (one of CrashPoints()) to the drive of PV `pv`, or of any PV when empty.
// Each PV's pe_start is taken from `lab` now. Disk names are PV names.
store::PowerDomain::WriteMatch MatchWrites(Lab& lab, const std::string& what,
                                           const std::string& pv);

}  // namespace lvlab::lvm
