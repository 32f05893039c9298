// Kernel: table load (parsing, target construction, dependency checks) and
// the read-only queries (table, status, info, deps, lookups).
#include <algorithm>
#include <set>
#include <utility>

#include "sim/base/check.h"
#include "sim/dm/kernel.h"

namespace lvlab::dm {

namespace {

std::vector<std::string> SplitWords(std::string_view line) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r')) ++i;
    const size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t' && line[i] != '\r') ++i;
    if (i > start) out.emplace_back(line.substr(start, i - start));
  }
  return out;
}

template <typename Fn>
void ForEachTable(const Device& d, Fn fn) {
  if (d.live_table()) fn(*d.live_table());
  if (d.inactive_table()) fn(*d.inactive_table());
}

bool TableUses(const Table& table, DevNo devno) {
  for (const TableEntry& e : table) {
    for (const DevNo& dep : e.target->Deps()) {
      if (dep == devno) return true;
    }
  }
  return false;
}

}  // namespace

Result<dm::Table> Kernel::ParseTable(Device* device, std::string_view text) {
  dm::Table table;
  uint64_t next_start = 0;
  size_t line_no = 0;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    ++line_no;
    std::vector<std::string> words = SplitWords(line);
    if (words.empty()) continue;
    const std::string where = device->name() + ": table line " + std::to_string(line_no) + " \"" +
                              std::string(line) + "\"";
    TargetArgs args{this, device, &scheduler_, trace_, 0, 0, {}};
    if (words.size() < 3 || !ParseSectors(words[0], &args.start_sectors) ||
        !ParseSectors(words[1], &args.len_sectors)) {
      return InvalidArgument(where + ": expected <start> <length> <type> <args...>");
    }
    if (args.start_sectors != next_start) {
      return InvalidArgument(where + ": target starts at " + words[0] + ", expected " +
                             std::to_string(next_start) + " (targets must be contiguous from 0)");
    }
    if (args.len_sectors == 0 || args.len_sectors > UINT64_MAX - args.start_sectors) {
      return InvalidArgument(where + ": invalid target length " + words[1]);
    }
    const TargetFactory* factory = FindTarget(words[2]);
    if (factory == nullptr) return InvalidArgument(where + ": unknown target type " + words[2]);
    args.argv.assign(words.begin() + 3, words.end());
    Result<std::unique_ptr<Target>> target = (*factory)(args);
    if (!target.ok()) return target.status().WithContext(where);
    table.push_back(TableEntry{args.start_sectors, args.len_sectors, std::move(*target)});
    next_start = args.start_sectors + args.len_sectors;
  }
  if (table.empty()) return InvalidArgument(device->name() + ": table has no targets");
  return table;
}

// Refuses a table through which `device` would reach itself, since a bio
// would then loop forever.
Status Kernel::CheckNoCycle(const Device* device, const dm::Table& table) const {
  std::vector<DevNo> todo;
  for (const TableEntry& e : table) {
    for (const DevNo& d : e.target->Deps()) todo.push_back(d);
  }
  std::set<DevNo> seen;
  while (!todo.empty()) {
    const DevNo devno = todo.back();
    todo.pop_back();
    if (devno == device->devno()) {
      return InvalidArgument(device->name() + ": table would make the device depend on itself");
    }
    if (!seen.insert(devno).second || devno.major != kDmMajor) continue;
    const auto* dm = static_cast<const Device*>(Lookup(devno));
    if (dm == nullptr) continue;
    ForEachTable(*dm, [&todo](const dm::Table& t) {
      for (const TableEntry& e : t) {
        for (const DevNo& d : e.target->Deps()) todo.push_back(d);
      }
    });
  }
  return Status::Ok();
}

Status Kernel::Load(const std::string& name, std::string_view text) {
  LVLAB_ASSIGN_OR_RETURN(Device * d, Get(name));
  LVLAB_ASSIGN_OR_RETURN(dm::Table table, ParseTable(d, text));
  LVLAB_RETURN_IF_ERROR(CheckNoCycle(d, table));
  const std::string formatted = FormatTable(table);
  const uint64_t targets = table.size();
  const uint64_t sectors = table.back().start + table.back().len;
  d->SetInactive(std::move(table));
  if (trace_) {
    trace_->Emit("table-load",
                 {{"dev", name}, {"targets", targets}, {"sectors", sectors}, {"table", formatted}});
  }
  return Status::Ok();
}

Result<std::string> Kernel::Table(const std::string& name, bool inactive) const {
  LVLAB_ASSIGN_OR_RETURN(const Device* d, Get(name));
  const dm::Table* t = inactive ? d->inactive_table() : d->live_table();
  return t ? FormatTable(*t) : std::string();
}

Result<std::string> Kernel::StatusLines(const std::string& name, bool inactive) const {
  LVLAB_ASSIGN_OR_RETURN(const Device* d, Get(name));
  const dm::Table* t = inactive ? d->inactive_table() : d->live_table();
  return t ? FormatStatus(*t) : std::string();
}

uint32_t Kernel::TableHolds(const BlockDevice* dev) const {
  uint32_t n = 0;
  for (const auto& [name, d] : devices_) {
    ForEachTable(*d, [&](const dm::Table& t) { n += TableUses(t, dev->devno()) ? 1 : 0; });
  }
  return n;
}

Result<DeviceInfo> Kernel::Info(const std::string& name) const {
  LVLAB_ASSIGN_OR_RETURN(const Device* d, Get(name));
  DeviceInfo info;
  info.name = d->name();
  info.uuid = d->uuid();
  info.devno = d->devno();
  info.suspended = d->suspended();
  info.read_only = d->read_only();
  info.live_table = d->live_table() != nullptr;
  info.inactive_table = d->inactive_table() != nullptr;
  info.open_count = d->opens() + TableHolds(d);
  info.event_nr = d->event_nr();
  info.target_count = d->live_table() ? static_cast<uint32_t>(d->live_table()->size()) : 0;
  return info;
}

Result<std::vector<DevNo>> Kernel::Deps(const std::string& name) const {
  LVLAB_ASSIGN_OR_RETURN(const Device* d, Get(name));
  std::set<DevNo> deps;
  if (d->live_table()) {
    for (const TableEntry& e : *d->live_table()) {
      for (const DevNo& dep : e.target->Deps()) deps.insert(dep);
    }
  }
  return std::vector<DevNo>(deps.begin(), deps.end());
}

std::vector<const Device*> Kernel::List() const {
  std::vector<const Device*> out;
  for (const auto& [name, d] : devices_) out.push_back(d.get());
  return out;
}

Device* Kernel::Find(std::string_view name) {
  auto it = devices_.find(name);
  return it == devices_.end() ? nullptr : it->second.get();
}

const Device* Kernel::Find(std::string_view name) const {
  auto it = devices_.find(name);
  return it == devices_.end() ? nullptr : it->second.get();
}

BlockDevice* Kernel::Lookup(DevNo devno) const {
  auto it = by_devno_.find(devno);
  return it == by_devno_.end() ? nullptr : it->second;
}

BlockDevice* Kernel::Resolve(std::string_view name_or_majmin) const {
  if (std::optional<DevNo> devno = DevNo::Parse(name_or_majmin)) return Lookup(*devno);
  if (auto it = devices_.find(name_or_majmin); it != devices_.end()) return it->second.get();
  for (const auto& [minor, disk] : disks_) {
    if (disk->name() == name_or_majmin) return disk.get();
  }
  return nullptr;
}

std::vector<std::string> Kernel::Holders(const BlockDevice* dev) const {
  std::vector<std::string> out;
  for (const auto& [name, d] : devices_) {
    bool uses = false;
    ForEachTable(*d, [&](const dm::Table& t) { uses = uses || TableUses(t, dev->devno()); });
    if (uses) out.push_back(name);
  }
  return out;
}

}  // namespace lvlab::dm
