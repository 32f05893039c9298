#include "sim/lvm/crash_match.h"

#include <map>

#include "sim/base/units.h"

namespace lvlab::lvm {

const std::vector<std::string>& CrashPoints() {
  static const std::vector<std::string> kinds = {"metadata-write", "data-write", "any-write"};
  return kinds;
}

store::PowerDomain::WriteMatch MatchWrites(Lab& lab, const std::string& what,
                                           const std::string& pv) {
  std::map<std::string, uint64_t, std::less<>> pe_start;  // sectors, per PV
  for (const LabPv* p : lab.pvs()) pe_start[p->name] = p->label.pe_start_bytes / kSectorSize;
  return [what, pv, pe_start](std::string_view disk, uint64_t sector, uint64_t nsectors) {
    if (nsectors == 0 || (!pv.empty() && disk != pv)) return false;
    auto it = pe_start.find(disk);
    const bool metadata = it != pe_start.end() && sector < it->second;
    if (what == "metadata-write") return metadata;
    if (what == "data-write") return !metadata;
    return true;
  };
}

}  // namespace lvlab::lvm
