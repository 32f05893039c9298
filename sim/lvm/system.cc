#include "sim/lvm/system.h"

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

#include "sim/lvm/activation.h"
#include "sim/lvm/dmeventd.h"
#include "sim/lvm/names.h"
#include "sim/lvm/pvmove_poll.h"
#include "sim/lvm/snapshot_layout.h"

namespace lvlab::lvm {
namespace {

std::string Chomp(const std::string& s) {
  return !s.empty() && s.back() == '\n' ? s.substr(0, s.size() - 1) : s;
}

// LVM activates an LV without WRITE permission read-only (a raid1 image
// split off with --trackchanges); layers and pvmove LVs stay writable.
bool ReadOnlyNode(const VolumeGroup& vg, const std::string& node) {
  const auto [name, layer] = SplitNode(node);
  const LogicalVolume* lv = vg.FindLv(name);
  return layer.empty() && lv && !lv->Has(kWrite) && !lv->Has(kPvmove);
}

// A mirror LV (its live table a mirror) is suspended with noflush, so that
// writes its mirror target holds after a leg failure go to the new table
// (LVM: "Mirror repair requires noflush for proper repair!").
bool NoflushNode(const VolumeGroup& vg, const std::string& node, const dm::Kernel& kernel) {
  const auto [name, layer] = SplitNode(node);
  const LogicalVolume* lv = vg.FindLv(name);
  if (!layer.empty() || !lv || lv->Has(kPvmove)) return false;
  auto live = kernel.Table(DmName(vg.name, node));
  return live.ok() && live->find(" mirror ") != std::string::npos;
}

}  // namespace

std::string KernelState::Serialize() const {
  std::ostringstream out;
  out << "# lvlab kernel state: dm devices alive between commands; deleting it = reboot\n";
  for (const SavedDevice& d : devices) {
    out << "device " << d.name << " " << d.minor << " " << (d.uuid.empty() ? "-" : d.uuid) << " "
        << (d.suspended ? "suspended" : "active") << "\n";
    std::istringstream lines(d.table);
    for (std::string line; std::getline(lines, line);) {
      if (!line.empty()) out << "  " << line << "\n";
    }
  }
  return out.str();
}

Result<KernelState> KernelState::Parse(const std::string& text) {
  KernelState state;
  std::istringstream in(text);
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (line.empty() || line[0] == '#') continue;
    if (line.rfind("  ", 0) == 0) {
      if (state.devices.empty()) return Corrupt("kernel state line " + std::to_string(n));
      state.devices.back().table += line.substr(2) + "\n";
      continue;
    }
    std::istringstream f(line);
    std::string word, mode;
    SavedDevice d;
    if (!(f >> word >> d.name >> d.minor >> d.uuid >> mode) || word != "device") {
      return Corrupt("kernel state line " + std::to_string(n) + " is malformed");
    }
    if (d.uuid == "-") d.uuid.clear();
    d.suspended = mode == "suspended";
    state.devices.push_back(std::move(d));
  }
  return state;
}

System::System(Lab* lab, std::unique_ptr<engine::Clock> clock)
    : lab_(lab),
      scheduler_(std::make_unique<engine::Scheduler>(std::move(clock))),
      trace_(std::make_unique<engine::Trace>(scheduler_.get())),
      kernel_(std::make_unique<dm::Kernel>(*scheduler_, trace_.get())),
      pollers_(std::make_unique<PollerSet>()),
      dmeventd_(std::make_unique<Dmeventd>(this)) {
  kernel_->bugs() = lab_->options().bugs.mirror;
  PlugDisks();
}

void System::PlugDisks() {
  for (LabPv* pv : lab_->pvs()) {
    if (pv->state.ok() && pv->disk && !kernel_->FindDisk(pv->minor)) {
      kernel_->AddDisk(pv->disk.get(), pv->minor);
      // Timed faults (flakey) run on this machine's clock.
      pv->disk->set_clock([s = scheduler_.get()] { return s->now_ns(); });
    }
  }
}

System::~System() {
  for (LabPv* pv : lab_->pvs()) {
    if (pv->disk) pv->disk->set_clock(nullptr);
  }
}

void System::Narrate(const std::string& line) {
  if (!narrate_) return;
  // Tables span lines: continuation lines are indented under the first.
  std::string text;
  for (char c : line) text += c == '\n' ? std::string("\n      ") : std::string(1, c);
  *narrate_ << text << "\n";
}

Status System::Restore(const KernelState& state) {
  // LVM's devices come back from the metadata as it is now (the saved table
  // may predate a commit the last command made before it was killed); other
  // devices (dmsetup create) from their saved tables.
  std::map<std::string, std::pair<VolumeGroup, std::string>> lvm;  // uuid -> VG, LV
  for (const std::string& name : lab_->VgNames()) {
    auto r = lab_->ReadVg(name);
    if (!r.ok()) continue;
    for (const LogicalVolume& lv : r->vg.lvs) lvm[DmUuid(r->vg, lv)] = {r->vg, lv.name};
  }
  for (const SavedDevice& d : state.devices) {
    if (kernel_->Find(d.name)) continue;
    if (d.uuid.rfind("LVM-", 0) == 0) {
      auto it = lvm.find(d.uuid);
      if (it == lvm.end()) continue;  // removed since
      const auto& [vg, lv] = it->second;
      Status st = ActivateWithMinor(vg, lv, d.minor);
      if (!st.ok()) continue;  // e.g. a PV vanished: the LV stays inactive
    } else {
      LVLAB_RETURN_IF_ERROR(kernel_->Create(d.name, d.uuid, d.minor).status());
      if (!d.table.empty() && kernel_->Load(d.name, d.table).ok()) {
        LVLAB_RETURN_IF_ERROR(kernel_->Resume(d.name));
      }
    }
    if (d.suspended) (void)kernel_->Suspend(d.name, false);
  }
  return Status::Ok();
}

KernelState System::Save() const {
  // Dependencies first: a device is saved once every dm device it uses is.
  KernelState state;
  std::vector<const dm::Device*> left = kernel_->List();
  std::set<dm::DevNo> saved;
  while (!left.empty()) {
    const size_t before = left.size();
    for (auto it = left.begin(); it != left.end();) {
      auto deps = kernel_->Deps((*it)->name());
      bool ready = true;
      for (const dm::DevNo& d : deps.ok() ? *deps : std::vector<dm::DevNo>{}) {
        ready = ready && (d.major != (*it)->devno().major || saved.count(d));
      }
      if (!ready) {
        ++it;
        continue;
      }
      const dm::Device* dev = *it;
      SavedDevice d;
      d.name = dev->name();
      d.uuid = dev->uuid();
      d.minor = dev->devno().minor;
      d.suspended = dev->suspended();
      auto table = kernel_->Table(dev->name(), false);
      if (table.ok()) d.table = *table;
      state.devices.push_back(std::move(d));
      saved.insert(dev->devno());
      it = left.erase(it);
    }
    LVLAB_CHECK(left.size() < before) << "dm devices depend on each other in a cycle";
  }
  return state;
}

bool System::IsActive(const VolumeGroup& vg, const std::string& lv) const {
  return kernel_->Find(DmName(vg.name, lv)) != nullptr;
}

std::string System::DevNoOf(const VolumeGroup& vg, const std::string& lv) const {
  const dm::Device* dev = kernel_->Find(DmName(vg.name, lv));
  return dev ? dev->devno().ToString() : "";
}

TableContext System::Tables(const VolumeGroup& vg) const {
  TableContext ctx;
  ctx.pv_dev = [this, &vg](const std::string& key) -> std::string {
    const PhysicalVolume* pv = vg.FindPv(key);
    LabPv* lp = pv ? lab_->PvFor(*pv) : nullptr;
    if (!lp || !lp->state.ok()) return "";
    return "7:" + std::to_string(lp->minor);
  };
  ctx.lv_dev = [this, &vg](const std::string& lv) { return DevNoOf(vg, lv); };
  ctx.atomic_complete_nosync = lab_->options().bugs.lvm.atomic_nosync_after_crash;
  return ctx;
}

Status System::Activate(const VolumeGroup& vg, const std::string& name) {
  return ActivateWithMinor(vg, name, std::nullopt);
}

Status System::ActivateWithMinor(const VolumeGroup& vg, const std::string& name,
                                 std::optional<uint32_t> minor) {
  PlugDisks();
  if (minor && kernel_->Lookup(dm::DevNo{254, *minor})) minor.reset();  // taken meanwhile
  const std::vector<std::string> order = ActivationOrder(vg, name);
  // The LV's own device first takes its minor, so that the layers created
  // before it (ORIGIN-real, SNAP-cow) cannot take it.
  bool precreated = false;
  if (minor && !IsActive(vg, name) &&
      std::find(order.begin(), order.end(), name) != order.end()) {
    LVLAB_RETURN_IF_ERROR(
        kernel_->Create(DmName(vg.name, name), NodeUuid(vg, name), minor).status());
    precreated = true;
  }
  for (const std::string& n : order) {
    const std::string dm = DmName(vg.name, n);
    const bool mine = precreated && n == name;
    if (IsActive(vg, n) && !mine) continue;
    auto table = BuildNodeTable(vg, n, Tables(vg));
    if (!table.ok()) {
      if (precreated) (void)kernel_->Remove(DmName(vg.name, name));
      return table.status();
    }
    dm::DevNo devno;
    if (mine) {
      devno = kernel_->Find(dm)->devno();
    } else {
      auto created = kernel_->Create(dm, NodeUuid(vg, n), std::nullopt);
      if (!created.ok()) {
        if (precreated) (void)kernel_->Remove(DmName(vg.name, name));
        return created.status();
      }
      devno = *created;
    }
    Status st = kernel_->Load(dm, *table);
    kernel_->Find(dm)->set_read_only(ReadOnlyNode(vg, n));
    if (st.ok()) st = kernel_->Resume(dm);
    if (!st.ok()) {
      (void)kernel_->Remove(dm);
      if (precreated && !mine) (void)kernel_->Remove(DmName(vg.name, name));
      return st;
    }
    Narrate("activate " + vg.name + "/" + n + " as " + dm + " (" + devno.ToString() + "): " +
            Chomp(*table));
    Monitor(vg, n);
    TraceMergeStart(vg, n, *table);
  }
  return Status::Ok();
}

Status System::Deactivate(const VolumeGroup& vg, const std::string& name) {
  if (!IsActive(vg, name)) return Status::Ok();
  for (const std::string& holder : Holders(vg, name)) {
    if (IsActive(vg, holder)) {
      return Busy("Logical volume " + vg.name + "/" + name + " is used by active " + vg.name +
                  "/" + holder + "; deactivate it first");
    }
  }
  const std::string dm = DmName(vg.name, name);
  if (const dm::Device* dev = kernel_->Find(dm); dev && dev->opens() > 0) {
    return Busy("Logical volume " + vg.name + "/" + name + " in use.");
  }
  // An origin goes with its snapshots (merging ones too: a deferred merge
  // leaves the snapshot's device up until now).
  for (const Segment* s : SnapshotsOf(vg, name)) {
    if (!IsActive(vg, s->cow_store)) continue;
    const std::string snap = DmName(vg.name, s->cow_store);
    if (const dm::Device* dev = kernel_->Find(snap); dev && dev->opens() > 0) {
      return Busy("Logical volume " + vg.name + "/" + s->cow_store + " in use.");
    }
  }
  LVLAB_RETURN_IF_ERROR(kernel_->Remove(dm));
  for (const Segment* s : SnapshotsOf(vg, name)) {
    if (IsActive(vg, s->cow_store)) {
      LVLAB_RETURN_IF_ERROR(kernel_->Remove(DmName(vg.name, s->cow_store)));
    }
  }
  Narrate("deactivate " + vg.name + "/" + name + " (remove " + dm + ")");
  // Layers below that nothing active uses any more go too (an origin's
  // snapshots go with it; a snapshot leaves its origin alone).
  std::vector<std::string> below = ActivationOrder(vg, name);
  std::erase_if(below, [&](const std::string& n) {
    return n == name || (SplitNode(n).second.empty() && !SnapshotsOf(vg, n).empty());
  });
  for (auto it = below.rbegin(); it != below.rend(); ++it) {
    bool used = false;
    for (const std::string& holder : Holders(vg, *it)) used = used || IsActive(vg, holder);
    if (!used) LVLAB_RETURN_IF_ERROR(Deactivate(vg, *it));
  }
  return Status::Ok();
}

void System::TraceMergeStart(const VolumeGroup& vg, const std::string& node,
                             const std::string& table) {
  if (table.find(" snapshot-merge ") == std::string::npos) return;
  const Segment* s = MergingSnapshotOf(vg, node);
  const LogicalVolume* cow = s ? vg.FindLv(s->cow_store) : nullptr;
  if (!cow || !merge_traced_.insert(DmName(vg.name, node) + " " + cow->id).second) return;
  trace_->Emit("snapshot-merge-started", {{"vg", vg.name}, {"lv", s->cow_store}, {"origin", node}});
}

void System::Monitor(const VolumeGroup& vg, const std::string& node) {
  const LogicalVolume* lv = vg.FindLv(node);
  if (!lv || lv->Has(kPvmove) || lv->segments.size() != 1) return;
  const std::string& type = lv->segments[0].type;
  if (type == "mirror" || type == "raid1") dmeventd_->Register(vg.name, node);
}

Status System::Reload(const VolumeGroup& vg, const std::string& name) {
  PlugDisks();
  for (const std::string& n : ActivationOrder(vg, name)) {
    if (!IsActive(vg, n)) {
      LVLAB_RETURN_IF_ERROR(Activate(vg, n));
      continue;
    }
    LVLAB_ASSIGN_OR_RETURN(std::string table, BuildNodeTable(vg, n, Tables(vg)));
    const std::string dm = DmName(vg.name, n);
    auto live = kernel_->Table(dm, false);
    if (live.ok() && *live + "\n" == table) continue;
    LVLAB_RETURN_IF_ERROR(kernel_->Load(dm, table));
    LVLAB_RETURN_IF_ERROR(kernel_->Suspend(dm, false));
    LVLAB_RETURN_IF_ERROR(kernel_->Resume(dm));
    Narrate("reload " + dm + ": " + Chomp(table));
  }
  return Status::Ok();
}

}  // namespace lvlab::lvm

namespace lvlab::lvm {

Status System::UpdateAndReload(VolumeGroup& vg, const std::vector<std::string>& lvs,
                               const std::function<Status()>& before_commit) {
  // A command holds the VG's lock from its metadata write to its commit: a
  // suspend in between runs the scheduler, and a poller must not write the
  // VG meanwhile (it waits and retries). A poller calling this holds it.
  struct Unlock {
    System* sys;
    std::string vg;
    ~Unlock() {
      if (sys) sys->UnlockVg(vg);
    }
  } unlock{TryLockVg(vg.name) ? this : nullptr, vg.name};
  PlugDisks();
  LVLAB_RETURN_IF_ERROR(lab_->VgWrite(vg));
  const VolumeGroup& next = *lab_->Precommitted(vg.name);
  std::vector<std::string> order;
  for (const std::string& lv : lvs) {
    for (const std::string& n : ActivationOrder(next, lv)) {
      if (std::find(order.begin(), order.end(), n) == order.end()) order.push_back(n);
    }
  }
  // `resume` lists new and changed devices, dependencies first.
  std::vector<std::string> created, changed, suspended, resume;
  auto undo = [&](const Status& why) {
    lab_->VgRevert(vg.name);
    for (const std::string& n : changed) (void)kernel_->ClearInactive(DmName(vg.name, n));
    for (const std::string& n : suspended) (void)kernel_->Resume(DmName(vg.name, n));
    for (auto it = created.rbegin(); it != created.rend(); ++it) {
      (void)kernel_->Remove(DmName(vg.name, *it));
    }
    return why;
  };
  // Preload, dependencies first. New devices get their table but are not
  // resumed yet (libdm's delay_resume_if_new): a new pvmove mirror must not
  // start copying while its parents still write to the PVs directly.
  for (const std::string& n : order) {
    if (NodeUuid(next, n).empty()) continue;
    auto table = BuildNodeTable(next, n, Tables(next));
    if (!table.ok()) return undo(table.status());
    const std::string dm = DmName(vg.name, n);
    if (!IsActive(next, n)) {
      auto devno = kernel_->Create(dm, NodeUuid(next, n));
      if (!devno.ok()) return undo(devno.status());
      created.push_back(n);
      if (Status st = kernel_->Load(dm, *table); !st.ok()) return undo(st);
      resume.push_back(n);
      Narrate("create " + dm + " (" + devno->ToString() + ") and load: " + Chomp(*table));
      continue;
    }
    auto live = kernel_->Table(dm, false);
    if (live.ok() && *live + "\n" == *table) continue;
    if (Status st = kernel_->Load(dm, *table); !st.ok()) return undo(st);
    changed.push_back(n);
    resume.push_back(n);
    Narrate("load " + dm + " (inactive): " + Chomp(*table));
  }
  // Suspend holders first.
  for (auto it = changed.rbegin(); it != changed.rend(); ++it) {
    const std::string dm = DmName(vg.name, *it);
    if (Status st = kernel_->Suspend(dm, NoflushNode(next, *it, *kernel_)); !st.ok()) {
      return undo(st);
    }
    suspended.push_back(*it);
    Narrate("suspend " + dm + " (" + DevNoOf(next, *it) + ")");
  }
  if (before_commit) {
    if (Status st = before_commit(); !st.ok()) return undo(st);
  }
  const uint64_t seqno = next.seqno;
  if (Status st = lab_->VgCommit(vg); !st.ok()) {
    lab_->VgRevert(vg.name);
    for (const std::string& n : changed) (void)kernel_->ClearInactive(DmName(vg.name, n));
    for (const std::string& n : suspended) (void)kernel_->Resume(DmName(vg.name, n));
    for (auto it = created.rbegin(); it != created.rend(); ++it) {
      (void)kernel_->Remove(DmName(vg.name, *it));
    }
    return st;
  }
  Narrate("commit metadata of " + vg.name + " at seqno " + std::to_string(seqno));
  for (const std::string& n : order) {
    if (dm::Device* d = kernel_->Find(DmName(vg.name, n))) d->set_read_only(ReadOnlyNode(vg, n));
  }
  trace_->Emit("metadata-commit", {{"vg", vg.name}, {"seqno", seqno}});
  // Resume dependencies first: new devices go live, then the new tables.
  for (const std::string& n : resume) {
    const std::string dm = DmName(vg.name, n);
    LVLAB_RETURN_IF_ERROR(kernel_->Resume(dm));
    Narrate("resume " + dm + " (" + DevNoOf(vg, n) + ")");
    if (auto live = kernel_->Table(dm); live.ok()) TraceMergeStart(vg, n, *live);
  }
  for (const std::string& n : order) Monitor(vg, n);
  return Status::Ok();
}

}  // namespace lvlab::lvm
