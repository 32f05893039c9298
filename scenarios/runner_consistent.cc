// expect: {consistent: true}: structural invariants that hold whatever the
// data. The metadata read is the highest seqno any PV of the VG carries (as
// LVM's vg_read picks it); no PV extent is mapped by two segment areas; and
// the legs of every fully in-sync mirror device, and the images of every
// in-sync raid1 device (all alive, idle), hold the same data.
#include <algorithm>
#include <map>
#include <optional>
#include <sstream>
#include <string_view>
#include <utility>

#include "scenarios/runner_internal.h"
#include "sim/base/change_clock.h"
#include "sim/check/checkers.h"
#include "sim/dm/snapshot_target.h"
#include "sim/lvm/pvmove_poll.h"

namespace lvlab::scenarios::internal {
namespace {

constexpr const char* kWhat = "expect consistent";

struct Leg {
  dm::DevNo dev;
  uint64_t offset = 0;
};

struct MirrorLine {
  uint64_t len = 0;
  std::vector<Leg> legs;
};

// "0 8192 mirror core 1 4096 2 7:1 2048 7:3 2048" -> its legs.
std::vector<MirrorLine> MirrorLines(const std::string& table) {
  std::vector<MirrorLine> out;
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream f(line);
    uint64_t start = 0, log_args = 0, nlegs = 0;
    std::string type, log;
    MirrorLine m;
    if (!(f >> start >> m.len >> type >> log >> log_args) || type != "mirror") continue;
    for (uint64_t i = 0; i < log_args; ++i) f >> type;
    if (!(f >> nlegs)) continue;
    for (uint64_t i = 0; i < nlegs; ++i) {
      std::string dev;
      Leg leg;
      if (!(f >> dev >> leg.offset)) break;
      const size_t colon = dev.find(':');
      if (colon == std::string::npos) break;
      leg.dev = dm::DevNo{static_cast<uint32_t>(std::stoul(dev.substr(0, colon))),
                          static_cast<uint32_t>(std::stoul(dev.substr(colon + 1)))};
      m.legs.push_back(leg);
    }
    if (m.legs.size() == nlegs) out.push_back(std::move(m));
  }
  return out;
}

// The leg health characters of the i-th mirror line of a status text
// ("... 2/2 1 AD 1 core" -> "AD"); empty if not found.
std::string LegHealth(const std::string& status, size_t index) {
  std::istringstream lines(status);
  size_t seen = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find(" mirror ") == std::string::npos) continue;
    if (seen++ != index) continue;
    std::istringstream f(line);
    std::string word, count, health;
    while (f >> word) {
      if (word.find('/') != std::string::npos) {
        f >> count >> health;
        return health;
      }
    }
  }
  return "";
}

// "0 8192 raid raid1 3 0 region_size 1024 2 254:3 254:4 254:5 254:6" -> its
// data legs (an empty slot "- -" has none), as MirrorLines.
std::vector<MirrorLine> RaidLines(const std::string& table) {
  std::vector<MirrorLine> out;
  std::istringstream lines(table);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream f(line);
    uint64_t start = 0, nparams = 0, ndevs = 0;
    std::string type, level, word;
    MirrorLine m;
    if (!(f >> start >> m.len >> type >> level >> nparams) || type != "raid") continue;
    for (uint64_t i = 0; i < nparams; ++i) f >> word;
    if (!(f >> ndevs)) continue;
    for (uint64_t i = 0; i < ndevs; ++i) {
      std::string meta, data;
      if (!(f >> meta >> data)) break;
      if (std::optional<dm::DevNo> dev = dm::DevNo::Parse(data)) m.legs.push_back({*dev, 0});
    }
    out.push_back(std::move(m));
  }
  return out;
}

// Whether the i-th raid line of a status text says every device is alive
// and in sync with nothing running ("... raid raid1 2 AA 8192/8192 idle ...").
bool RaidInSync(const std::string& status, size_t index) {
  std::istringstream lines(status);
  size_t seen = 0;
  for (std::string line; std::getline(lines, line);) {
    std::istringstream f(line);
    std::string start, len, type, level, ndevs, health, sync, action;
    if (!(f >> start >> len >> type >> level >> ndevs >> health >> sync >> action) ||
        type != "raid") {
      continue;
    }
    if (seen++ != index) continue;
    const size_t slash = sync.find('/');
    return health.find_first_not_of('A') == std::string::npos && action == "idle" &&
           slash != std::string::npos && sync.substr(0, slash) == sync.substr(slash + 1);
  }
  return false;
}

// Compares every leg of `m`, the line-th line of `dev`'s table, with its
// first (Corrupt findings only: a read that cannot complete is no verdict).
// `passed` holds, per leg ("dev kind line leg"), the record of its last
// comparison that found it identical to the first (check::LegsPassed):
// what neither leg changed since needs no read.
void CompareLegs(dm::Kernel& kernel, engine::Scheduler& scheduler, const std::string& dev,
                 const std::string& kind, size_t line, const MirrorLine& m,
                 std::map<std::string, check::LegsPassed>* passed, Failures* f) {
  for (size_t k = 1; k < m.legs.size(); ++k) {
    dm::BlockDevice* a = kernel.Lookup(m.legs[0].dev);
    dm::BlockDevice* b = kernel.Lookup(m.legs[k].dev);
    const uint64_t a_off = m.legs[0].offset, b_off = m.legs[k].offset;
    const std::string key = dev + " " + kind + " " + std::to_string(line) + " " + std::to_string(k);
    auto it = passed->find(key);
    const uint64_t start = ChangeStampNow();
    Status st = check::CheckLegsIdentical(a, a_off, b, b_off, m.len, scheduler,
                                          it == passed->end() ? nullptr : &it->second);
    if (st.ok()) {
      (*passed)[key] = check::PassedLegs(a, a_off, b, b_off, m.len, start);
    } else if (it != passed->end()) {
      passed->erase(it);
    }
    if (st.code() == Code::kCorrupt) {
      f->push_back({kWhat, "the legs of in-sync " + kind + " " + dev + " identical", st.message()});
    }
  }
}

}  // namespace

Failures ScenarioRun::CheckMetadata(const std::string& vg) {
  auto read = machine_.lab().PeekVg(vg);
  if (!read.ok()) return {{kWhat, "VG " + vg + " reads", read.status().message()}};
  const lvm::VolumeGroup& read_vg = **read;
  Failures f;
  for (lvm::LabPv* pv : machine_.lab().pvs()) {
    if (pv->vg_name == vg && pv->seqno > read_vg.seqno) {
      f.push_back({kWhat, "VG " + vg + " read at the highest seqno on its PVs",
                   "read seqno " + std::to_string(read_vg.seqno) + ", but " + pv->name +
                       " carries seqno " + std::to_string(pv->seqno)});
    }
  }
  // PV key -> extent -> the LV and segment that map it, named "LV (LE n)"
  // only when an extent is mapped twice.
  using Who = std::pair<const lvm::LogicalVolume*, const lvm::Segment*>;
  auto name = [](const Who& w) {
    return w.first->name + " (LE " + std::to_string(w.second->start_extent) + ")";
  };
  std::map<std::string_view, std::map<uint64_t, Who>> owner;
  for (const lvm::LogicalVolume& lv : read_vg.lvs) {
    for (const lvm::Segment& seg : lv.segments) {
      const uint64_t per_area = seg.type == "striped" && seg.areas.size() > 1
                                    ? seg.extent_count / seg.areas.size()
                                    : seg.extent_count;
      for (const lvm::Area& a : seg.areas) {
        if (a.kind != lvm::Area::Kind::kPv) continue;
        std::map<uint64_t, Who>& extents = owner[a.name];
        for (uint64_t e = a.start; e < a.start + per_area; ++e) {
          const Who who{&lv, &seg};
          auto [it, fresh] = extents.emplace(e, who);
          if (!fresh) {
            f.push_back({kWhat, "no extent of VG " + vg + " used twice",
                         a.name + " extent " + std::to_string(e) + " is mapped by " +
                             name(it->second) + " and by " + name(who)});
            break;
          }
        }
      }
    }
  }
  return f;
}

Failures ScenarioRun::CheckMirrorLegs() {
  Failures f;
  dm::Kernel& kernel = machine_.sys().kernel();
  // A suspended device would hold the reads (and a read given up on would
  // complete later into a buffer that is gone): compare legs only when
  // every device is live.
  for (const dm::Device* d : kernel.List()) {
    if (d->suspended()) return f;
  }
  for (const dm::Device* d : kernel.List()) {
    // Only mirror and raid tables have legs: the others are not printed
    // and parsed.
    const dm::Table* live = d->live_table();
    if (live == nullptr || std::none_of(live->begin(), live->end(), [](const dm::TableEntry& e) {
          const std::string type = e.target->type();
          return type == "mirror" || type == "raid";
        })) {
      continue;
    }
    auto table = kernel.Table(d->name());
    auto status = kernel.StatusLines(d->name());
    if (!table.ok() || !status.ok()) continue;
    const std::vector<MirrorLine> mirrors = MirrorLines(*table);
    const auto sync = lvm::MirrorSyncCounts(*status);
    for (size_t i = 0; i < mirrors.size() && i < sync.size(); ++i) {
      if (sync[i].first != sync[i].second || mirrors[i].legs.size() < 2) continue;
      // A leg that saw an error (a failed PV) legitimately differs.
      const std::string health = LegHealth(*status, i);
      if (health.empty() || health.find_first_not_of('A') != std::string::npos) continue;
      CompareLegs(kernel, machine_.sys().scheduler(), d->name(), "mirror", i, mirrors[i],
                  &legs_passed_, &f);
    }
    // raid1: every device alive and in sync, no resync or recovery running.
    const std::vector<MirrorLine> raids = RaidLines(*table);
    for (size_t i = 0; i < raids.size(); ++i) {
      if (RaidInSync(*status, i)) {
        CompareLegs(kernel, machine_.sys().scheduler(), d->name(), "raid1", i, raids[i],
                    &legs_passed_, &f);
      }
    }
  }
  return f;
}

Failures ScenarioRun::CheckConsistent() {
  Failures f;
  for (const std::string& vg : machine_.lab().VgNames()) {
    Failures more = CheckMetadata(vg);
    f.insert(f.end(), more.begin(), more.end());
  }
  // Legs are compared with no workload I/O in flight.
  std::vector<check::Workload*> paused = QuiesceWorkloads();
  // The reads run the scheduler: hold every VG's lock so that no poller
  // reloads or removes a device under them (pollers wait and retry).
  std::vector<std::string> locked;
  for (const std::string& vg : machine_.lab().VgNames()) {
    if (machine_.sys().TryLockVg(vg)) locked.push_back(vg);
  }
  // Merges write through the origin (and any mirror below it) on their own:
  // hold them between steps while legs are compared.
  auto merges = [this] {
    std::vector<dm::SnapshotTarget*> out;
    for (const dm::Device* d : machine_.sys().kernel().List()) {
      const dm::Table* live = d->live_table();
      if (live == nullptr) continue;
      for (const dm::TableEntry& e : *live) {
        if (auto* t = dynamic_cast<dm::SnapshotTarget*>(e.target.get()); t && t->merging()) {
          out.push_back(t);
        }
      }
    }
    return out;
  };
  const uint64_t boots = machine_.boots();
  for (dm::SnapshotTarget* t : merges()) t->HoldMerge();
  RunWhile(
      [&] {
        if (machine_.boots() != boots) return true;
        for (dm::SnapshotTarget* t : merges()) {
          if (t->MergeStepInFlight()) return false;
        }
        return true;
      },
      UINT64_MAX, false);
  Failures legs = CheckMirrorLegs();
  // An armed power cut may have rebooted the machine meanwhile: release
  // what the kernel has now.
  for (dm::SnapshotTarget* t : merges()) t->ReleaseMerge();
  for (const std::string& vg : locked) machine_.sys().UnlockVg(vg);
  f.insert(f.end(), legs.begin(), legs.end());
  for (check::Workload* w : paused) w->Resume();
  return f;
}

}  // namespace lvlab::scenarios::internal
