// The steps of a scenario file: conditions, actions and expectations.
#include <algorithm>

#include "scenarios/loader_internal.h"
#include "scenarios/status_regex.h"
#include "scenarios/yaml_util.h"
#include "sim/lvm/crash_match.h"

namespace lvlab::scenarios::internal {
namespace {

using yaml::Fail;
using yaml::Has;

// A count: a plain number N means `plain` N (">=" for when, "==" for expect).
Comparison Count(const YAML::Node& node, Comparison::Op plain) {
  Comparison c = yaml::Compare(node, "count");
  const std::string t = node.Scalar();
  if (!t.empty() && t[0] >= '0' && t[0] <= '9') c.op = plain;
  if (!c.IsNumeric()) Fail(node, "count must be a number or a comparison such as \">= 2\"");
  return c;
}

void LoadWhen(const YAML::Node& node, Condition* c) {
  if (node.IsScalar()) {
    if (node.Scalar() != "idle") {
      Fail(node,
           "when: '" + node.Scalar() +
               "' is not a condition; write when: idle, or a map "
               "{lv: VG/LV, FIELD: VALUE}, {pv: PV, FIELD: VALUE} or {event: NAME, count: N}");
    }
    c->kind = Condition::Kind::kIdle;
    return;
  }
  yaml::RequireMap(node, "when");
  if (Has(node, "event")) {
    yaml::CheckKeys(node, {"event", "count"}, "when {event: ...}");
    c->kind = Condition::Kind::kEvent;
    c->event = yaml::Text(node["event"], "event");
    c->cmp = Comparison{Comparison::Op::kGe, "1"};
    if (Has(node, "count")) c->cmp = Count(node["count"], Comparison::Op::kGe);
    return;
  }
  const bool pv = Has(node, "pv");
  if (!pv && !Has(node, "lv")) {
    Fail(node,
         "when needs lv: VG/LV or pv: PV with one report field (copy_percent: \">= 50\"), "
         "or event: NAME");
  }
  if (node.size() != 2) {
    Fail(node, "when {" + std::string(pv ? "pv" : "lv") +
                   ": ...} takes exactly one report field, "
                   "e.g. {lv: vg0/pvmove0, copy_percent: \">= 50\"}");
  }
  c->kind = Condition::Kind::kField;
  c->object_is_pv = pv;
  c->object = yaml::Text(node[pv ? "pv" : "lv"], pv ? "pv" : "lv");
  for (const auto& kv : node) {
    const YAML::Node key_node = kv.first, val = kv.second;
    const std::string key = yaml::Text(key_node, "a key");
    if (key == "lv" || key == "pv") continue;
    CheckReportField(key_node, key, pv);
    c->field = key;
    c->cmp = yaml::Compare(val, key);
  }
}

void LoadCondition(const YAML::Node& item, Step* st) {
  Condition& c = st->condition;
  int n = 0;
  for (const char* key : {"at", "after", "when"}) n += Has(item, key);
  if (n > 1) Fail(item, "a step takes one of at, after and when, not several");
  if (Has(item, "at")) c.kind = Condition::Kind::kAt, c.time_ns = yaml::Duration(item["at"], "at");
  if (Has(item, "after")) {
    c.kind = Condition::Kind::kAfter, c.time_ns = yaml::Duration(item["after"], "after");
  }
  if (Has(item, "when")) LoadWhen(item["when"], &c);
  if (Has(item, "timeout")) {
    if (!Has(item, "when")) Fail(item["timeout"], "timeout applies to a when condition only");
    c.timeout_ns = yaml::Duration(item["timeout"], "timeout");
  }
  c.where = yaml::WhereOf(item);
}

store::SectorRanges Sectors(const YAML::Node& map, const std::string& what) {
  if (!Has(map, "sectors")) return {};
  const std::string text = yaml::Text(map["sectors"], what + " sectors");
  Result<store::SectorRanges> r = store::SectorRanges::Parse(text);
  if (!r.ok()) Fail(map["sectors"], what + " sectors: " + r.status().message());
  return *r;
}

store::FaultOp Op(const YAML::Node& map, const std::string& what, store::FaultOp dflt) {
  if (!Has(map, "op")) return dflt;
  Result<store::FaultOp> r = store::ParseFaultOp(yaml::Text(map["op"], what + " op"));
  if (!r.ok()) Fail(map["op"], what + ": " + r.status().message());
  return *r;
}

void LoadFault(const YAML::Node& node, Step* st) {
  yaml::CheckKeys(node,
                  {"pv", "fail", "restore", "delay", "errors", "flakey", "corrupt", "lose-writes"},
                  "fault");
  if (!Has(node, "pv")) Fail(node, "fault needs pv: NAME");
  st->fault.pv = yaml::Text(node["pv"], "fault pv");
  store::FaultChange& c = st->fault.change;
  if (Has(node, "restore")) c.restore = yaml::Bool(node["restore"], "restore");
  if (Has(node, "fail")) c.failed = yaml::Bool(node["fail"], "fail");
  if (Has(node, "delay")) {
    const YAML::Node d = node["delay"];
    yaml::RequireMap(d, "fault delay");
    yaml::CheckKeys(d, {"read", "write"}, "fault delay");
    c.delay_ns = std::pair<uint64_t, uint64_t>{
        Has(d, "read") ? yaml::Duration(d["read"], "delay read") : 0,
        Has(d, "write") ? yaml::Duration(d["write"], "delay write") : 0};
  }
  if (Has(node, "errors")) {
    const YAML::Node e = node["errors"];
    yaml::RequireMap(e, "fault errors");
    yaml::CheckKeys(e, {"sectors", "op", "count"}, "fault errors");
    store::ErrorFault f;
    f.where = Sectors(e, "errors");
    f.op = Op(e, "errors", store::FaultOp::kAny);
    if (Has(e, "count")) f.count = static_cast<int64_t>(yaml::Uint(e["count"], "errors count"));
    c.errors.push_back(f);
  }
  if (Has(node, "flakey")) {
    const YAML::Node e = node["flakey"];
    yaml::RequireMap(e, "fault flakey");
    yaml::CheckKeys(e, {"up", "down", "mode"}, "fault flakey");
    if (!Has(e, "up") || !Has(e, "down")) Fail(e, "flakey needs up: and down: durations");
    store::FlakeyFault f;
    f.up_ns = yaml::Duration(e["up"], "flakey up");
    f.down_ns = yaml::Duration(e["down"], "flakey down");
    if (Has(e, "mode")) {
      Result<store::FlakeyFault::Mode> m = store::ParseFlakeyMode(yaml::Text(e["mode"], "mode"));
      if (!m.ok()) Fail(e["mode"], m.status().message());
      f.mode = *m;
    }
    c.flakey = f;
  }
  if (Has(node, "corrupt")) {
    const YAML::Node e = node["corrupt"];
    yaml::RequireMap(e, "fault corrupt");
    yaml::CheckKeys(e, {"sectors", "op", "byte", "value"}, "fault corrupt");
    store::CorruptFault f;
    f.where = Sectors(e, "corrupt");
    f.op = Op(e, "corrupt", store::FaultOp::kRead);
    if (f.op == store::FaultOp::kAny) Fail(e["op"], "corrupt op is read or write");
    if (Has(e, "byte")) {
      const uint64_t b = yaml::Uint(e["byte"], "corrupt byte");
      if (b == 0 || b > UINT32_MAX) Fail(e["byte"], "corrupt byte counts from 1");
      f.byte = static_cast<uint32_t>(b);
    }
    if (Has(e, "value")) {
      const uint64_t v = yaml::Uint(e["value"], "corrupt value");
      if (v > 255) Fail(e["value"], "corrupt value is a byte, 0 to 255");
      f.value = static_cast<uint8_t>(v);
    }
    c.corrupt.push_back(f);
  }
  if (Has(node, "lose-writes")) {
    const YAML::Node e = node["lose-writes"];
    yaml::RequireMap(e, "fault lose-writes");
    yaml::CheckKeys(e, {"sectors"}, "fault lose-writes");
    c.lose_writes = Sectors(e, "lose-writes");
  }
  if (c.empty()) {
    Fail(node,
         "fault needs what to do: fail, restore, delay, errors, flakey, corrupt or "
         "lose-writes");
  }
}

// fio: [ARGS...] or fio: {args: [...], lv: VG/LV, env: {NAME: VALUE}, background: BOOL}.
void LoadFio(const YAML::Node& node, Step* st) {
  st->action = Step::Action::kFio;
  FioSpec& f = st->fio;
  if (node.IsSequence()) {
    f.args = yaml::TextList(node, "fio arguments");
  } else {
    yaml::RequireMap(node, "fio");
    yaml::CheckKeys(node, {"args", "lv", "env", "background"}, "fio");
    if (!Has(node, "args"))
      Fail(node, "fio needs args: [...], e.g. args: [scenarios/fio/mixed-rw.fio]");
    f.args = yaml::TextList(node["args"], "fio args");
    if (Has(node, "lv")) {
      f.lv = yaml::Text(node["lv"], "fio lv");
      if (f.lv.find('/') == std::string::npos) Fail(node["lv"], "write the LV as VG/LV");
    }
    if (Has(node, "env")) {
      yaml::RequireMap(node["env"], "fio env");
      for (const auto& kv : YAML::Node(node["env"])) {
        f.env.emplace_back(yaml::Text(kv.first, "an environment name"),
                           yaml::Text(kv.second, "an environment value"));
      }
    }
    if (Has(node, "background")) f.background = yaml::Bool(node["background"], "background");
  }
  if (f.args.empty()) Fail(node, "fio needs at least one argument (a job file or --name=...)");
}

void LoadAction(const YAML::Node& item, Step* st) {
  int n = 0;
  for (const char* key : {"run", "crash", "fault", "workload", "fio", "wait"}) n += Has(item, key);
  if (n > 1) {
    Fail(item,
         "a step takes one action (run, crash, fault, workload, fio or wait); split it in two");
  }
  if (Has(item, "fio")) return LoadFio(item["fio"], st);
  if (Has(item, "wait")) {
    if (yaml::Text(item["wait"], "wait") != "fio") {
      Fail(item["wait"], "wait: fio (every fio started with background: true) is the only wait");
    }
    st->action = Step::Action::kWaitFio;
    return;
  }
  if (Has(item, "run")) {
    st->action = Step::Action::kRun;
    st->command = yaml::Text(item["run"], "run");
    st->command_where = yaml::WhereOf(item["run"]);
    if (st->command.rfind("lvlab ", 0) == 0) st->command = st->command.substr(6);
    if (st->command.empty())
      Fail(item["run"], "run needs a command, e.g. run: pvmove -i 1 pv2 pv4");
    if (st->command == "crash" || st->command.rfind("crash ", 0) == 0) {
      Fail(item["run"],
           "run: crash forgets a lab directory's devices; in a scenario cut the "
           "machine's power with crash: {lose: none|all|random}");
    }
  } else if (Has(item, "crash")) {
    st->action = Step::Action::kCrash;
    const YAML::Node& c = item["crash"];
    if (!c.IsNull()) {
      yaml::CheckKeys(c, {"lose", "during", "pv", "count", "writes"}, "crash");
      if (Has(c, "lose")) {
        auto p = store::ParseLossPolicy(yaml::Text(c["lose"], "lose"));
        if (!p.ok()) Fail(c["lose"], "lose must be none, all or random");
        st->lose = *p;
      }
      if (Has(c, "during")) {
        CrashDuring d;
        d.what = yaml::Text(c["during"], "during");
        const std::vector<std::string>& kinds = lvm::CrashPoints();
        if (std::find(kinds.begin(), kinds.end(), d.what) == kinds.end()) {
          Fail(c["during"], "unknown crash point '" + d.what + "'" + yaml::Suggest(d.what, kinds));
        }
        if (Has(c, "pv")) d.pv = yaml::Text(c["pv"], "crash pv");
        if (Has(c, "count")) {
          d.count = yaml::Uint(c["count"], "crash count");
          if (d.count == 0) Fail(c["count"], "count counts from 1: the first matching write");
        }
        st->during = d;
      } else if (Has(c, "pv") || Has(c, "count")) {
        Fail(c, "pv and count place a crash during a write: add during: metadata-write");
      }
      if (Has(c, "writes")) {
        if (st->during) Fail(c["writes"], "a crash takes during: or writes:, not both");
        const std::string count = yaml::Text(c["writes"], "writes");
        if (count.empty() || count.find_first_not_of("0123456789") != std::string::npos ||
            count.size() > 9) {
          Fail(c["writes"], "writes must be a count of disk writes, e.g. writes: 12");
        }
        st->crash_after_writes = std::stoll(count);
      }
    }
  } else if (Has(item, "fault")) {
    st->action = Step::Action::kFault;
    LoadFault(item["fault"], st);
  } else if (Has(item, "workload")) {
    const YAML::Node& w = item["workload"];
    yaml::CheckKeys(w, {"start", "stop"}, "workload");
    if (Has(w, "start") == Has(w, "stop"))
      Fail(w, "workload takes one of start: {...} and stop: VG/LV");
    if (Has(w, "start")) {
      st->action = Step::Action::kWorkloadStart;
      st->workload = LoadWorkload(w["start"], "workload start");
    } else {
      st->action = Step::Action::kWorkloadStop;
      st->stop_lv = yaml::Text(w["stop"], "workload stop");
    }
  }
}

void LoadObjects(const YAML::Node& node, bool pv, std::vector<ObjectExpect>* out) {
  const std::string what = pv ? "expect pvs" : "expect lvs";
  yaml::RequireMap(node, what);
  for (const auto& kv : node) {
    const YAML::Node key_node = kv.first, val = kv.second;
    ObjectExpect o;
    o.name = yaml::Text(key_node, "a name in " + what);
    o.where = yaml::WhereOf(key_node);
    if (val.IsScalar()) {
      const std::string v = val.Scalar();
      if (v != "absent" && v != "present") {
        Fail(val, o.name + ": write absent, present or a map of report fields");
      }
      o.absent = v == "absent";
    } else {
      yaml::RequireMap(val, what + " " + o.name);
      for (const auto& fkv : val) {
        const YAML::Node field_node = fkv.first, field_val = fkv.second;
        const std::string field = yaml::Text(field_node, "a report field");
        CheckReportField(field_node, field, pv);
        o.fields.emplace_back(field, yaml::Compare(field_val, field));
      }
    }
    out->push_back(std::move(o));
  }
}

void LoadEvents(const YAML::Node& node, std::vector<EventExpect>* out) {
  yaml::RequireSeq(node, "expect events");
  for (const YAML::Node& e : node) {
    EventExpect x;
    x.where = yaml::WhereOf(e);
    if (e.IsMap()) {
      yaml::CheckKeys(e, {"event", "count"}, "an expected event");
      if (!Has(e, "event")) Fail(e, "an expected event needs event: NAME");
      x.event = yaml::Text(e["event"], "event");
      if (Has(e, "count")) x.count = Count(e["count"], Comparison::Op::kEq);
    } else {
      x.event = yaml::Text(e, "an expected event");
    }
    out->push_back(std::move(x));
  }
}

void LoadExpect(const YAML::Node& node, Expectations* x) {
  yaml::CheckKeys(node,
                  {"data", "segments", "lvs", "pvs", "status", "events", "error", "consistent"},
                  "expect");
  x->where = yaml::WhereOf(node);
  if (Has(node, "consistent")) x->consistent = yaml::Bool(node["consistent"], "consistent");
  if (Has(node, "data")) {
    const std::string data = yaml::Text(node["data"], "data");
    if (data == "intact") {
      x->data_intact = true;
    } else if (data == "lost") {
      x->data_lost = true;
    } else {
      Fail(node["data"], "data: '" + data +
                             "' is not an expectation; use data: intact or data: lost" +
                             yaml::Suggest(data, {"intact", "lost"}));
    }
  }
  if (Has(node, "segments")) {
    yaml::RequireMap(node["segments"], "expect segments");
    for (const auto& kv : YAML::Node(node["segments"])) {
      const YAML::Node key_node = kv.first, val = kv.second;
      const std::string lv = yaml::Text(key_node, "an LV");
      if (lv.find('/') == std::string::npos)
        Fail(key_node, "write the LV as VG/LV, not '" + lv + "'");
      x->segments.emplace_back(lv, yaml::TextList(val, "the segments of " + lv));
    }
  }
  if (Has(node, "lvs")) LoadObjects(node["lvs"], false, &x->lvs);
  if (Has(node, "pvs")) LoadObjects(node["pvs"], true, &x->pvs);
  if (Has(node, "status")) {
    yaml::RequireMap(node["status"], "expect status");
    for (const auto& kv : YAML::Node(node["status"])) {
      const YAML::Node key_node = kv.first, val = kv.second;
      const std::string pattern = yaml::Text(val, "a status regex");
      if (Status st = CheckRegex(pattern); !st.ok()) Fail(val, st.message());
      x->status.emplace_back(yaml::Text(key_node, "a dm device name"), pattern);
    }
  }
  if (Has(node, "events")) LoadEvents(node["events"], &x->events);
  if (Has(node, "error")) x->error = yaml::Text(node["error"], "error");
}

// What a mounted scenario can do: it plays on the real clock through the
// daemon, so only commands, power cuts, fio, real-time pauses and waits on
// what the daemon's reports (the drive counters included) and event counts
// show.
void CheckMountedStep(const YAML::Node& item, const Step& st) {
  const std::string what = "step " + std::to_string(st.number) + " of a mount: true scenario";
  switch (st.action) {
    case Step::Action::kFault:
      Fail(item, what + ": write the fault as a command, e.g. run: fault pv2 --fail");
    case Step::Action::kWorkloadStart:
    case Step::Action::kWorkloadStop:
      Fail(item, what + ": the load is fio's; use a fio step");
    default:
      break;
  }
  switch (st.condition.kind) {
    case Condition::Kind::kAt:
      Fail(item, what +
                     ": at: counts virtual time; live, use after: (real time since the "
                     "previous step)");
    default:
      break;
  }
  const Expectations& x = st.expect;
  if (x.data_intact || x.data_lost || x.consistent) {
    Fail(item, what +
                   ": live, expect: takes error, lvs, pvs, segments, status and events; verify "
                   "data with fio (data and consistent need the simulated machine)");
  }
}

}  // namespace

void LoadSteps(const YAML::Node& node, Scenario* s) {
  yaml::RequireSeq(node, "steps");
  for (const YAML::Node& item : node) {
    Step st;
    st.number = static_cast<int>(s->steps.size()) + 1;
    st.where = yaml::WhereOf(item);
    const std::string what = "step " + std::to_string(st.number);
    yaml::CheckKeys(item,
                    {"at", "after", "when", "timeout", "run", "crash", "fault", "workload", "fio",
                     "wait", "expect", "may_fail"},
                    what);
    LoadCondition(item, &st);
    LoadAction(item, &st);
    if (Has(item, "may_fail")) {
      if (st.action != Step::Action::kRun) Fail(item["may_fail"], "may_fail applies to a run step");
      st.may_fail = yaml::Bool(item["may_fail"], "may_fail");
    }
    if (Has(item, "expect")) LoadExpect(item["expect"], &st.expect);
    if (st.expect.error && st.action != Step::Action::kRun) {
      Fail(item["expect"], "expect error applies to a run step (the command must fail)");
    }
    if (st.action == Step::Action::kNone && st.expect.empty() &&
        st.condition.kind == Condition::Kind::kNone) {
      Fail(item, what + " does nothing: give it a condition, an action or expectations");
    }
    if (s->mount) CheckMountedStep(item, st);
    if (!s->mount && (st.action == Step::Action::kFio || st.action == Step::Action::kWaitFio)) {
      Fail(item, "fio and wait steps play on a mounted lab: add mount: true at the top");
    }
    s->steps.push_back(std::move(st));
  }
  if (s->steps.empty()) Fail(node, "the scenario has no steps");
}

}  // namespace lvlab::scenarios::internal
