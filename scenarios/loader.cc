// The top level, the lab and the workloads of a scenario file.
#include "scenarios/loader.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "scenarios/loader_internal.h"
#include "scenarios/yaml_util.h"
#include "sim/lvm/image_store.h"
#include "sim/lvm/names.h"
#include "sim/lvm/report.h"

namespace lvlab::scenarios {
namespace {

using yaml::Fail;

void CheckName(const YAML::Node& node, const Status& st) {
  if (!st.ok()) Fail(node, st.message());
}

store::DiskModel LoadTiming(const YAML::Node& node, store::DiskModel model,
                            const std::string& what) {
  if (yaml::Has(node, "read_latency"))
    model.read_latency_ns = yaml::Duration(node["read_latency"], what + " read_latency");
  if (yaml::Has(node, "write_latency"))
    model.write_latency_ns = yaml::Duration(node["write_latency"], what + " write_latency");
  if (yaml::Has(node, "bandwidth"))
    model.bandwidth_bytes_per_sec = yaml::Bandwidth(node["bandwidth"], what + " bandwidth");
  return model;
}

void LoadPvs(const YAML::Node& node, LabSpec* lab) {
  yaml::RequireMap(node, "lab.pvs");
  for (const auto& kv : node) {
    const YAML::Node key_node = kv.first, val = kv.second;
    PvSpec pv;
    pv.name = yaml::Text(key_node, "a PV name");
    pv.where = yaml::WhereOf(key_node);
    CheckName(key_node, lvm::CheckPvName(pv.name));
    const std::string what = "lab.pvs." + pv.name;
    if (val.IsMap()) {
      yaml::CheckKeys(val, {"size", "metadatacopies", "read_latency", "write_latency", "bandwidth"},
                      what);
      if (!yaml::Has(val, "size")) Fail(val, what + " needs a size (e.g. size: 1G)");
      pv.size_bytes = yaml::Size(val["size"], what + " size");
      size_t timing_keys = val.size() - 1;
      if (yaml::Has(val, "metadatacopies")) {
        const YAML::Node m = val["metadatacopies"];
        const uint64_t n = yaml::Uint(m, what + " metadatacopies");
        if (n > 1) Fail(m, what + " metadatacopies must be 0 or 1 (the lab has no second area)");
        pv.metadata_copies = static_cast<uint32_t>(n);
        --timing_keys;
      }
      if (timing_keys > 0) pv.model = LoadTiming(val, lab->disk, what);
    } else {
      pv.size_bytes = yaml::Size(val, what);
    }
    lab->pvs.push_back(std::move(pv));
  }
}

void LoadVgs(const YAML::Node& node, LabSpec* lab) {
  yaml::RequireMap(node, "lab.vgs");
  std::vector<std::string> pv_names;
  for (const PvSpec& p : lab->pvs) pv_names.push_back(p.name);
  std::map<std::string, std::string> owner;  // PV -> VG
  for (const auto& kv : node) {
    const YAML::Node key_node = kv.first, val = kv.second;
    VgSpec vg;
    vg.name = yaml::Text(key_node, "a VG name");
    vg.where = yaml::WhereOf(key_node);
    CheckName(key_node, lvm::CheckVgName(vg.name));
    const std::string what = "lab.vgs." + vg.name;
    yaml::RequireSeq(val, what);
    for (const YAML::Node& p : val) {
      const std::string pv = yaml::Text(p, "a PV of " + what);
      if (std::find(pv_names.begin(), pv_names.end(), pv) == pv_names.end()) {
        Fail(p, "unknown PV '" + pv + "' in " + what + " (declare it in lab.pvs)" +
                    yaml::Suggest(pv, pv_names));
      }
      if (owner.count(pv)) Fail(p, "PV " + pv + " is already in VG " + owner[pv]);
      owner[pv] = vg.name;
      vg.pvs.push_back(pv);
    }
    if (vg.pvs.empty()) Fail(val, what + " needs at least one PV");
    lab->vgs.push_back(std::move(vg));
  }
}

// "pv1:0-9" or "pv1:3+4" of `vg`: the extent count.
uint64_t RangeExtents(const YAML::Node& node, const std::string& range, const VgSpec& vg) {
  const size_t colon = range.find(':');
  const std::string pv = range.substr(0, colon);
  if (std::find(vg.pvs.begin(), vg.pvs.end(), pv) == vg.pvs.end()) {
    Fail(node, "PV '" + pv + "' is not in VG " + vg.name + yaml::Suggest(pv, vg.pvs));
  }
  const std::string span = colon == std::string::npos ? "" : range.substr(colon + 1);
  const size_t sep = span.find_first_of("-+");
  uint64_t a = 0, b = 0;
  auto number = [](const char* from, const char* to, uint64_t* v) {
    auto [ptr, ec] = std::from_chars(from, to, *v);
    return from != to && ec == std::errc() && ptr == to;
  };
  const char* data = span.data();
  const bool ok = sep != std::string::npos && number(data, data + sep, &a) &&
                  number(data + sep + 1, data + span.size(), &b);
  if (!ok) Fail(node, "'" + range + "' is not PV:FIRST-LAST or PV:FIRST+COUNT (e.g. pv1:0-9)");
  if (span[sep] == '+') return b;
  if (b < a) Fail(node, "'" + range + "': the last extent is before the first");
  return b - a + 1;
}

void LoadLvs(const YAML::Node& node, LabSpec* lab) {
  yaml::RequireMap(node, "lab.lvs");
  std::vector<std::string> vg_names;
  for (const VgSpec& v : lab->vgs) vg_names.push_back(v.name);
  for (const auto& kv : node) {
    const YAML::Node key_node = kv.first, val = kv.second;
    LvSpec lv;
    const std::string path = yaml::Text(key_node, "an LV name");
    lv.where = yaml::WhereOf(key_node);
    const size_t slash = path.find('/');
    if (slash == std::string::npos)
      Fail(key_node, "LV '" + path + "' must be written VG/LV (e.g. vg0/lv0)");
    lv.vg = path.substr(0, slash);
    lv.name = path.substr(slash + 1);
    auto vg = std::find_if(lab->vgs.begin(), lab->vgs.end(),
                           [&](const VgSpec& v) { return v.name == lv.vg; });
    if (vg == lab->vgs.end()) {
      Fail(key_node, "unknown VG '" + lv.vg + "' in lab.lvs (declare it in lab.vgs)" +
                         yaml::Suggest(lv.vg, vg_names));
    }
    CheckName(key_node, lvm::CheckLvName(lv.name));
    const std::string what = "lab.lvs." + path;
    if (val.IsSequence()) {
      for (const YAML::Node& r : val) {
        const std::string range = yaml::Text(r, "a PV range of " + what);
        lv.extents += RangeExtents(r, range, *vg);
        lv.ranges.push_back(range);
      }
      if (lv.ranges.empty()) Fail(val, what + " needs at least one PV range");
    } else {
      lv.size_bytes = yaml::Size(val, what);
    }
    for (const LvSpec& other : lab->lvs) {
      if (other.path() == path) Fail(key_node, "LV " + path + " is declared twice");
    }
    lab->lvs.push_back(std::move(lv));
  }
}

void LoadLab(const YAML::Node& node, LabSpec* lab) {
  yaml::CheckKeys(node, {"extent_size", "disk", "pvs", "vgs", "lvs", "config"}, "lab");
  if (yaml::Has(node, "config")) {
    yaml::RequireMap(node["config"], "lab.config");
    for (const auto& kv : node["config"]) {
      const std::string line = kv.first.as<std::string>() + "=" + kv.second.as<std::string>();
      if (Status st = lab->config.Apply(line); !st.ok()) Fail(kv.first, st.message());
    }
  }
  if (yaml::Has(node, "extent_size"))
    lab->extent_size_bytes = yaml::Size(node["extent_size"], "lab.extent_size");
  if (yaml::Has(node, "disk")) {
    yaml::CheckKeys(node["disk"], {"read_latency", "write_latency", "bandwidth"}, "lab.disk");
    lab->disk = LoadTiming(node["disk"], lab->disk, "lab.disk");
  }
  if (!yaml::Has(node, "pvs")) Fail(node, "lab needs pvs (e.g. pvs: {pv1: 1G, pv2: 1G})");
  LoadPvs(node["pvs"], lab);
  if (yaml::Has(node, "vgs")) LoadVgs(node["vgs"], lab);
  if (yaml::Has(node, "lvs")) LoadLvs(node["lvs"], lab);
}

void LoadWorkloads(const YAML::Node& node, Scenario* s) {
  yaml::RequireSeq(node, "workloads");
  std::vector<std::string> lvs;
  for (const LvSpec& lv : s->lab.lvs) lvs.push_back(lv.path());
  std::set<std::string> used;
  for (const YAML::Node& w : node) {
    WorkloadDecl d = internal::LoadWorkload(w, "a workload");
    if (std::find(lvs.begin(), lvs.end(), d.lv) == lvs.end()) {
      Fail(w["lv"], "unknown LV '" + d.lv + "' (declare it in lab.lvs)" + yaml::Suggest(d.lv, lvs));
    }
    if (!used.insert(d.lv).second) {
      Fail(w, "a second workload on " + d.lv +
                  ": their I/O would overlap and the oracle could "
                  "not judge reads; use one workload with a larger iodepth");
    }
    s->workloads.push_back(std::move(d));
  }
}

Scenario LoadTop(const YAML::Node& root, const std::string& file) {
  yaml::CheckKeys(root, {"name", "description", "seed", "mount", "lab", "workloads", "steps"},
                  "the scenario");
  Scenario s;
  s.file = file;
  if (yaml::Has(root, "name")) s.name = yaml::Text(root["name"], "name");
  if (yaml::Has(root, "description"))
    s.description = yaml::Text(root["description"], "description");
  if (yaml::Has(root, "seed")) s.seed = yaml::Uint(root["seed"], "seed");
  if (!yaml::Has(root, "lab")) Fail(root, "the scenario needs a lab section (pvs, vgs, lvs)");
  LoadLab(root["lab"], &s.lab);
  if (yaml::Has(root, "mount")) s.mount = yaml::Bool(root["mount"], "mount");
  if (yaml::Has(root, "workloads")) {
    if (s.mount) Fail(root["workloads"], "a mount: true scenario's load is fio's: use fio steps");
    LoadWorkloads(root["workloads"], &s);
  }
  if (!yaml::Has(root, "steps")) Fail(root, "the scenario needs steps");
  internal::LoadSteps(root["steps"], &s);
  if (s.name.empty()) {
    const size_t slash = file.find_last_of('/');
    s.name = file.substr(slash == std::string::npos ? 0 : slash + 1);
    if (s.name.size() > 5 && s.name.compare(s.name.size() - 5, 5, ".yaml") == 0)
      s.name.resize(s.name.size() - 5);
  }
  return s;
}

}  // namespace

namespace internal {

WorkloadDecl LoadWorkload(const YAML::Node& node, const std::string& what) {
  yaml::CheckKeys(node,
                  {"lv", "pattern", "block", "iodepth", "write", "flush_every", "fua", "ios",
                   "time", "offset", "size", "think"},
                  what);
  WorkloadDecl d;
  d.where = yaml::WhereOf(node);
  if (!yaml::Has(node, "lv")) Fail(node, what + " needs lv: VG/LV");
  d.lv = yaml::Text(node["lv"], what + " lv");
  if (d.lv.find('/') == std::string::npos)
    Fail(node["lv"], "a workload's lv must be VG/LV, not '" + d.lv + "'");
  check::WorkloadSpec& w = d.spec;
  w.lv = d.lv;
  w.name = d.lv;
  if (yaml::Has(node, "pattern")) {
    const std::string p = yaml::Text(node["pattern"], "pattern");
    if (p != "random" && p != "sequential") {
      Fail(node["pattern"], "pattern must be random or sequential, not '" + p + "'" +
                                yaml::Suggest(p, {"random", "sequential"}));
    }
    w.pattern = p == "random" ? check::WorkloadSpec::kRandom : check::WorkloadSpec::kSequential;
  }
  if (yaml::Has(node, "block"))
    w.block_bytes = static_cast<uint32_t>(yaml::Size(node["block"], "block"));
  if (yaml::Has(node, "iodepth"))
    w.iodepth = static_cast<uint32_t>(yaml::Uint(node["iodepth"], "iodepth"));
  if (yaml::Has(node, "write")) w.write_percent = yaml::Percent(node["write"], "write");
  if (yaml::Has(node, "flush_every"))
    w.flush_every = static_cast<uint32_t>(yaml::Uint(node["flush_every"], "flush_every"));
  if (yaml::Has(node, "fua")) w.fua = yaml::Bool(node["fua"], "fua");
  if (yaml::Has(node, "ios")) w.max_ios = yaml::Uint(node["ios"], "ios");
  if (yaml::Has(node, "time")) w.max_time_ns = yaml::Duration(node["time"], "time");
  if (yaml::Has(node, "offset")) w.offset_bytes = yaml::Size(node["offset"], "offset");
  if (yaml::Has(node, "size")) w.size_bytes = yaml::Size(node["size"], "size");
  if (yaml::Has(node, "think")) w.think_ns = yaml::Duration(node["think"], "think");
  if (w.block_bytes == 0 || w.block_bytes % 512 != 0)
    Fail(node["block"], "block must be a multiple of 512 bytes");
  if (w.iodepth == 0 || w.iodepth > 1024) Fail(node["iodepth"], "iodepth must be from 1 to 1024");
  return d;
}

void CheckReportField(const YAML::Node& node, const std::string& field, bool pv) {
  lvm::ReportInput empty;
  lvm::ReportOptions o;
  o.fields = {field};
  auto r = lvm::Report(pv ? lvm::ReportKind::kPvs : lvm::ReportKind::kLvs, empty, o);
  if (!r.ok())
    Fail(node, std::string(pv ? "pvs" : "lvs") + " field '" + field + "': " + r.status().message());
}

}  // namespace internal

Result<Scenario> ParseScenario(const std::string& text, const std::string& file) {
  try {
    const YAML::Node root = YAML::Load(text);
    if (!root.IsMap()) {
      return InvalidArgument(file + ":1:1: a scenario is a map of name, lab, workloads and steps");
    }
    return LoadTop(root, file);
  } catch (const yaml::LoadError& e) {
    return InvalidArgument(file + ":" + std::to_string(e.where.line) + ":" +
                           std::to_string(e.where.column) + ": " + e.message);
  } catch (const YAML::Exception& e) {
    const std::string where = e.mark.is_null() ? ""
                                               : std::to_string(e.mark.line + 1) + ":" +
                                                     std::to_string(e.mark.column + 1) + ":";
    return InvalidArgument(file + ":" + where + " YAML syntax error: " + e.msg);
  }
}

Result<Scenario> LoadScenario(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot read the scenario file");
  std::stringstream buf;
  buf << in.rdbuf();
  return ParseScenario(buf.str(), path);
}

}  // namespace lvlab::scenarios
