#include "propcheck/scenario_yaml.h"

#include <sstream>

namespace lvlab::propcheck {
namespace {

using scenarios::Condition;
using scenarios::Step;

std::string Size(uint64_t bytes) {
  if (bytes % (1ULL << 20) == 0) return std::to_string(bytes >> 20) + "M";
  return std::to_string(bytes / 512) + "s";
}

std::string Duration(uint64_t ns) {
  if (ns && ns % 1'000'000'000 == 0) return std::to_string(ns / 1'000'000'000) + "s";
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  if (ns % 1'000 == 0) return std::to_string(ns / 1'000) + "us";
  return std::to_string(ns) + "ns";
}

// Quotes a run: command for YAML (double quotes, escaped).
std::string Quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

void WriteCondition(std::ostream& o, const Condition& c) {
  switch (c.kind) {
    case Condition::Kind::kNone:
      return;
    case Condition::Kind::kAt:
      o << "at: " << Duration(c.time_ns) << ", ";
      return;
    case Condition::Kind::kAfter:
      o << "after: " << Duration(c.time_ns) << ", ";
      return;
    case Condition::Kind::kIdle:
      o << "when: idle, timeout: " << Duration(c.timeout_ns) << ", ";
      return;
    case Condition::Kind::kEvent:
      o << "when: {event: " << c.event << ", count: " << Quote(c.cmp.ToString())
        << "}, timeout: " << Duration(c.timeout_ns) << ", ";
      return;
    case Condition::Kind::kField:
      o << "when: {" << (c.object_is_pv ? "pv: " : "lv: ") << c.object << ", " << c.field << ": "
        << Quote(c.cmp.ToString()) << "}, timeout: " << Duration(c.timeout_ns) << ", ";
      return;
  }
}

void WriteAction(std::ostream& o, const Step& st) {
  switch (st.action) {
    case Step::Action::kNone:
      return;
    case Step::Action::kRun:
      o << "run: " << Quote(st.command) << ", ";
      if (st.may_fail) o << "may_fail: true, ";
      return;
    case Step::Action::kCrash:
      o << "crash: {lose: " << store::LossPolicyName(st.lose);
      if (st.crash_after_writes >= 0) o << ", writes: " << st.crash_after_writes;
      o << "}, ";
      return;
    case Step::Action::kFault:
      o << "fault: {pv: " << st.fault.pv << ", "
        << (st.fault.change.failed.value_or(false) ? "fail" : "restore") << ": true}, ";
      return;
    case Step::Action::kWorkloadStart: {
      const check::WorkloadSpec& w = st.workload.spec;
      o << "workload: {start: {lv: " << st.workload.lv
        << ", pattern: " << check::PatternName(w.pattern) << ", block: " << Size(w.block_bytes)
        << ", iodepth: " << w.iodepth << ", write: " << w.write_percent << "%";
      if (w.flush_every) o << ", flush_every: " << w.flush_every;
      if (w.fua) o << ", fua: true";
      if (w.max_ios) o << ", ios: " << w.max_ios;
      o << "}}, ";
      return;
    }
    case Step::Action::kWorkloadStop:
      o << "workload: {stop: " << st.stop_lv << "}, ";
      return;
    case Step::Action::kFio:  // mounted scenarios only; the machines never generate them
    case Step::Action::kWaitFio:
      return;
  }
}

void WriteExpect(std::ostream& o, const scenarios::Expectations& x) {
  if (x.empty()) return;
  o << "expect: {";
  std::string sep;
  if (x.data_intact) o << sep << "data: intact", sep = ", ";
  if (x.consistent) o << sep << "consistent: true", sep = ", ";
  if (!x.lvs.empty()) {
    o << sep << "lvs: {";
    for (size_t i = 0; i < x.lvs.size(); ++i) {
      o << (i ? ", " : "") << x.lvs[i].name << ": " << (x.lvs[i].absent ? "absent" : "present");
    }
    o << "}";
  }
  o << "}, ";
}

}  // namespace

std::string ScenarioYaml(const scenarios::Scenario& s) {
  std::ostringstream o;
  o << "name: " << s.name << "\n";
  if (!s.description.empty()) o << "description: " << Quote(s.description) << "\n";
  o << "seed: " << s.seed << "\n";
  o << "lab:\n  extent_size: " << Size(s.lab.extent_size_bytes) << "\n";
  o << "  disk: {read_latency: " << Duration(s.lab.disk.read_latency_ns)
    << ", write_latency: " << Duration(s.lab.disk.write_latency_ns)
    << ", bandwidth: " << Size(s.lab.disk.bandwidth_bytes_per_sec) << "}\n  pvs: {";
  for (size_t i = 0; i < s.lab.pvs.size(); ++i) {
    o << (i ? ", " : "") << s.lab.pvs[i].name << ": " << Size(s.lab.pvs[i].size_bytes);
  }
  o << "}\n  vgs: {";
  for (size_t i = 0; i < s.lab.vgs.size(); ++i) {
    o << (i ? ", " : "") << s.lab.vgs[i].name << ": [";
    for (size_t k = 0; k < s.lab.vgs[i].pvs.size(); ++k)
      o << (k ? ", " : "") << s.lab.vgs[i].pvs[k];
    o << "]";
  }
  o << "}\n  lvs:\n";
  for (const scenarios::LvSpec& lv : s.lab.lvs) {
    o << "    " << lv.path() << ": [";
    for (size_t k = 0; k < lv.ranges.size(); ++k) o << (k ? ", " : "") << lv.ranges[k];
    o << "]\n";
  }
  o << "steps:\n";
  for (const Step& st : s.steps) {
    std::ostringstream line;
    WriteCondition(line, st.condition);
    WriteAction(line, st);
    WriteExpect(line, st.expect);
    std::string text = line.str();
    if (text.size() >= 2) text.resize(text.size() - 2);  // the last ", "
    o << "  - {" << text << "}\n";
  }
  return o.str();
}

}  // namespace lvlab::propcheck
