#include "sim/lvm/system.h"

#include <set>
#include <sstream>

#include "sim/lvm/activation.h"
#include "sim/lvm/names.h"

namespace lvlab::lvm {

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
      kernel_(std::make_unique<dm::Kernel>(*scheduler_, trace_.get())) {
  PlugDisks();
}

void System::PlugDisks() {
  for (LabPv* pv : lab_->pvs()) {
    if (pv->state.ok() && pv->disk && !kernel_->FindDisk(pv->minor)) {
      kernel_->AddDisk(pv->disk.get(), pv->minor);
    }
  }
}

System::~System() = default;

void System::Narrate(const std::string& line) {
  if (narrate_) *narrate_ << line << "\n";
}

Status System::Restore(const KernelState& state) {
  for (const SavedDevice& d : state.devices) {
    LVLAB_RETURN_IF_ERROR(kernel_->Create(d.name, d.uuid, d.minor).status());
    if (!d.table.empty()) {
      Status st = kernel_->Load(d.name, d.table);
      if (!st.ok()) {
        // A PV that vanished since: the device stays without a table, as a
        // real kernel keeps a device whose table cannot be reloaded.
        continue;
      }
      LVLAB_RETURN_IF_ERROR(kernel_->Resume(d.name));
    }
    if (d.suspended) LVLAB_RETURN_IF_ERROR(kernel_->Suspend(d.name, false));
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
  return ctx;
}

Status System::Activate(const VolumeGroup& vg, const std::string& name) {
  PlugDisks();
  for (const std::string& n : ActivationOrder(vg, name)) {
    if (IsActive(vg, n)) continue;
    const LogicalVolume* lv = vg.FindLv(n);
    LVLAB_CHECK(lv) << n;
    LVLAB_ASSIGN_OR_RETURN(std::string table, BuildTable(vg, *lv, Tables(vg)));
    const std::string dm = DmName(vg.name, n);
    LVLAB_ASSIGN_OR_RETURN(dm::DevNo devno, kernel_->Create(dm, DmUuid(vg, *lv)));
    Status st = kernel_->Load(dm, table);
    if (st.ok()) st = kernel_->Resume(dm);
    if (!st.ok()) {
      (void)kernel_->Remove(dm);
      return st;
    }
    Narrate("activate " + vg.name + "/" + n + " as " + dm + " (" + devno.ToString() + "): " +
            table.substr(0, table.size() - 1));
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
  LVLAB_RETURN_IF_ERROR(kernel_->Remove(dm));
  Narrate("deactivate " + vg.name + "/" + name + " (remove " + dm + ")");
  // Layers below that nothing active uses any more go too.
  std::vector<std::string> below = ActivationOrder(vg, name);
  below.pop_back();
  for (auto it = below.rbegin(); it != below.rend(); ++it) {
    bool used = false;
    for (const std::string& holder : Holders(vg, *it)) used = used || IsActive(vg, holder);
    if (!used) LVLAB_RETURN_IF_ERROR(Deactivate(vg, *it));
  }
  return Status::Ok();
}

Status System::Reload(const VolumeGroup& vg, const std::string& name) {
  PlugDisks();
  for (const std::string& n : ActivationOrder(vg, name)) {
    if (!IsActive(vg, n)) {
      LVLAB_RETURN_IF_ERROR(Activate(vg, n));
      continue;
    }
    const LogicalVolume* lv = vg.FindLv(n);
    LVLAB_ASSIGN_OR_RETURN(std::string table, BuildTable(vg, *lv, Tables(vg)));
    const std::string dm = DmName(vg.name, n);
    auto live = kernel_->Table(dm, false);
    if (live.ok() && *live + "\n" == table) continue;
    LVLAB_RETURN_IF_ERROR(kernel_->Load(dm, table));
    LVLAB_RETURN_IF_ERROR(kernel_->Suspend(dm, false));
    LVLAB_RETURN_IF_ERROR(kernel_->Resume(dm));
    Narrate("reload " + dm + ": " + table.substr(0, table.size() - 1));
  }
  return Status::Ok();
}

}  // namespace lvlab::lvm
