// Expectations: data, segments, lvs/pvs fields, dm status lines, events.
#include <algorithm>
#include <sstream>

#include "scenarios/runner_internal.h"
#include "scenarios/status_regex.h"
#include "sim/base/change_clock.h"
#include "sim/check/checkers.h"
#include "sim/lvm/commands.h"
#include "sim/lvm/names.h"
#include "sim/lvm/report.h"
#include "sim/lvm/report_input.h"

namespace lvlab::scenarios::internal {
namespace {

std::string Trim(const std::string& s) {
  const size_t a = s.find_first_not_of(" \t\n");
  if (a == std::string::npos) return "";
  return s.substr(a, s.find_last_not_of(" \t\n") - a + 1);
}

std::string List(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const std::string& i : items) out += (out.size() > 1 ? ", " : "") + i;
  return out + "]";
}

}  // namespace

Result<std::string> ScenarioRun::ReportField(const std::string& object, const std::string& field,
                                             bool pv) {
  if (pv && lvm::IsDriveCounter(field)) {
    lvm::LabPv* p = machine_.lab().FindPv(object);
    if (!p || !p->disk) return NotFound("no PV named " + object);
    LVLAB_ASSIGN_OR_RETURN(uint64_t n, lvm::DriveCounter(p->disk->stats(), field));
    return std::to_string(n);
  }
  std::ostringstream quiet_out, quiet_err;
  lvm::Context ctx{machine_.sys(), quiet_out, quiet_err};
  auto data = lvm::GatherReport(ctx);
  lvm::ReportOptions o;
  o.fields = {field};
  o.all = true;
  o.headings = false;
  o.select_names = {object};
  LVLAB_ASSIGN_OR_RETURN(
      std::string text,
      lvm::Report(pv ? lvm::ReportKind::kPvs : lvm::ReportKind::kLvs, data->input, o));
  std::istringstream lines(text);
  std::string value;
  for (std::string line; std::getline(lines, line);) {
    value += (value.empty() ? "" : " ") + Trim(line);
  }
  return value;
}

Status ScenarioRun::ReadAllThroughOracle(bool skip_unchanged) {
  // The oracle judges reads exactly only when no workload I/O overlaps them.
  std::vector<check::Workload*> paused = QuiesceWorkloads();
  // Anything changed after this is re-read by the next check.
  const uint64_t start = ChangeStampNow();
  auto device = [&](const std::string& lv) -> dm::Device* {
    auto vg_lv = lvm::SplitLvPath(lv);
    return vg_lv.ok() ? machine_.sys().kernel().Find(lvm::DmName(vg_lv->first, vg_lv->second))
                      : nullptr;
  };
  // A range passed at the last check, unchanged since on the device and in
  // the oracle, reads and is judged as it was then.
  check::Oracle::SkipFn skip;
  if (skip_unchanged) {
    skip = [&](const std::string& lv, uint64_t sector, uint64_t end) {
      auto it = data_passed_.find(lv);
      if (it == data_passed_.end()) return false;
      const DataPassed& passed = it->second;
      if (oracle_.ChangedSince(lv, passed.stamp, sector, end)) return false;
      dm::Device* dev = device(lv);
      if (dev == nullptr || dev->size_sectors() < end) return false;
      if (!dev->ChangedSince(passed.stamp, sector, end)) return true;
      // Remapped since, or a new device: the same disk sectors, unchanged?
      return !passed.where.empty() &&
             dm::ReadsAsResolved(dev, sector, end - sector, passed.where, sector, passed.stamp);
    };
  }
  Status st = oracle_.CheckAll(
      [&](const std::string& lv, uint64_t sector, uint64_t n, uint8_t* out) {
        auto vg_lv = lvm::SplitLvPath(lv);
        if (!vg_lv.ok()) return vg_lv.status();
        const std::string dm = lvm::DmName(vg_lv->first, vg_lv->second);
        dm::Device* dev = machine_.sys().kernel().Find(dm);
        if (!dev) {
          return FailedPrecondition(lv +
                                    " is not active, so its data cannot be read; activate it "
                                    "first (run: vgchange -ay " +
                                    vg_lv->first + ")");
        }
        // Straight into the oracle's buffer: no copy.
        Status read = check::ReadSync(dev, sector, n, out, machine_.sys().scheduler());
        return read.ok() ? read : read.WithContext("reading " + lv);
      },
      // Never-written sectors that the device holds as holes read as zeros:
      // they need no read (the device's own answer, as the copier uses it).
      [&](const std::string& lv, uint64_t sector,
          uint64_t end) -> std::optional<std::pair<uint64_t, uint64_t>> {
        dm::Device* dev = device(lv);
        // No device, or one smaller than the oracle knows: the read says why.
        if (!dev || dev->size_sectors() < end) return std::pair(sector, end);
        return dev->NextData(sector, end);
      },
      skip);
  if (skip_unchanged) {
    data_passed_.clear();
    if (st.ok()) {
      for (const std::string& lv : oracle_.tracked_lvs()) {
        DataPassed& passed = data_passed_[lv];
        passed.stamp = start;
        // Kept only if every table on the way stayed as it was for the
        // whole check, so that every read went where this says.
        dm::Device* dev = device(lv);
        uint64_t newest_table = 0;
        if (dev == nullptr || !dev->Resolve(0, dev->size_sectors(), &passed.where, &newest_table) ||
            newest_table > start) {
          passed.where.clear();
        }
      }
      oracle_.ForgetChanges(start);
    }
  }
  for (check::Workload* w : paused) w->Resume();
  return st;
}

Failures ScenarioRun::CheckData() {
  const std::string what = "expect data: intact";
  const Status st = ReadAllThroughOracle(/*skip_unchanged=*/true);
  Failures f;
  if (!st.ok()) f.push_back({what, "every sector reads as the oracle allows", st.message()});
  std::vector<std::string> violations = lost_violations_;
  for (const auto& w : workloads_) {
    if (w->stats().violations) violations.push_back(w->first_violation().message());
  }
  for (const std::string& v : violations) {
    f.push_back({what, "every workload read as the oracle allows", v});
  }
  return f;
}

Failures ScenarioRun::CheckDataLost() {
  const std::string what = "expect data: lost";
  const std::string want = "some sector reads other than the oracle allows";
  const Status st = ReadAllThroughOracle(/*skip_unchanged=*/false);
  if (st.code() == Code::kCorrupt) {
    Narrate("data lost, as expected: " + st.message());
    return {};
  }
  if (st.ok()) return {{what, want, "every sector reads as the oracle allows"}};
  return {{what, want, st.message()}};  // an error that is not a wrong sector
}

Failures ScenarioRun::CheckSegments(const std::string& path, const std::vector<std::string>& want) {
  const std::string what = "expect segments " + path;
  auto vg_lv = lvm::SplitLvPath(path);
  if (!vg_lv.ok()) return {{what, List(want), vg_lv.status().message()}};
  auto r = machine_.lab().ReadVg(vg_lv->first);
  if (!r.ok()) return {{what, List(want), r.status().message()}};
  const lvm::LogicalVolume* lv = r->vg.FindLv(vg_lv->second);
  if (!lv) return {{what, List(want), path + " does not exist"}};
  std::vector<std::string> seen;
  for (const lvm::Segment& s : lv->segments) {
    for (const lvm::Area& a : s.areas) {
      std::string name = a.name;
      if (a.kind == lvm::Area::Kind::kPv) {
        const lvm::PhysicalVolume* pv = r->vg.FindPv(a.name);
        lvm::LabPv* lp = pv ? machine_.lab().PvFor(*pv) : nullptr;
        if (lp) name = lp->name;
      }
      seen.push_back(name);
    }
  }
  if (seen == want) return {};
  return {{what, List(want), List(seen)}};
}

Failures ScenarioRun::CheckObject(const ObjectExpect& o, bool pv) {
  const std::string what = std::string("expect ") + (pv ? "pvs " : "lvs ") + o.name;
  bool exists = false;
  if (pv) {
    exists = machine_.lab().FindPv(o.name) != nullptr;
  } else if (auto vg_lv = lvm::SplitLvPath(o.name); vg_lv.ok()) {
    auto r = machine_.lab().ReadVg(vg_lv->first);
    exists = r.ok() && r->vg.FindLv(vg_lv->second);
  }
  if (o.absent) {
    if (!exists) return {};
    return {{what, "absent", "present"}};
  }
  if (!exists) return {{what, "present", "absent"}};
  Failures f;
  for (const auto& [field, cmp] : o.fields) {
    auto value = ReportField(o.name, field, pv);
    if (!value.ok()) {
      f.push_back({what + " " + field, cmp.ToString(), value.status().message()});
    } else if (!cmp.Matches(*value)) {
      f.push_back({what + " " + field, cmp.ToString(), "\"" + *value + "\""});
    }
  }
  return f;
}

Failures ScenarioRun::CheckStatus(const std::string& dev, const std::string& regex) {
  const std::string what = "expect status " + dev;
  auto text = machine_.sys().kernel().StatusLines(dev);
  if (!text.ok()) return {{what, "matches /" + regex + "/", text.status().message()}};
  if (RegexSearch(*text, regex)) return {};
  return {{what, "matches /" + regex + "/", Trim(*text)}};
}

Failures ScenarioRun::CheckEvent(const EventExpect& e) {
  const uint64_t n = log_.Count(e.event);
  const Comparison cmp = e.count.value_or(Comparison{Comparison::Op::kGe, "1"});
  if (cmp.Matches(std::to_string(n))) return {};
  std::string kinds;
  for (const auto& [type, count] : log_.counts()) {
    kinds += (kinds.empty() ? "" : ", ") + type + " " + std::to_string(count);
  }
  return {{"expect events " + e.event, "count " + cmp.ToString(),
           std::to_string(n) + " (the trace has: " + kinds + ")"}};
}

Failures ScenarioRun::Check(const Expectations& x) {
  Failures f;
  auto add = [&f](Failures more) { f.insert(f.end(), more.begin(), more.end()); };
  // Structure first: reading every sector runs the scheduler, and a poller
  // may change the tables meanwhile.
  if (x.consistent) add(CheckConsistent());
  if (x.data_intact) add(CheckData());
  if (x.data_lost) add(CheckDataLost());
  for (const auto& [lv, want] : x.segments) add(CheckSegments(lv, want));
  for (const ObjectExpect& o : x.lvs) add(CheckObject(o, false));
  for (const ObjectExpect& o : x.pvs) add(CheckObject(o, true));
  for (const auto& [dev, regex] : x.status) add(CheckStatus(dev, regex));
  for (const EventExpect& e : x.events) add(CheckEvent(e));
  return f;
}

}  // namespace lvlab::scenarios::internal
