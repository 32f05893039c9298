// Scenario: what a scenario YAML file says, as plain data (loader.h fills
// it, runner.h plays it). A lab to build, workloads to start with it, and
// steps in time, each with an optional condition (at, after, when), an
// optional action (run, crash, fault, workload) and optional expectations.
// Every element keeps where it came from (file line and column) so that a
// failure can point at it. Values only; no behaviour beyond describing
// themselves. See scenarios/README.md for the file format.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/check/workload.h"
#include "sim/lvm/lvm_config.h"
#include "sim/store/disk.h"
#include "sim/store/disk_faults.h"

namespace lvlab::scenarios {

inline constexpr uint64_t kNsPerSecond = 1'000'000'000;

// A position in the scenario file, 1-based (0 = unknown).
struct Where {
  int line = 0;
  int column = 0;
};

// "== 100", ">= 50", "< 3", "!= x", or a bare value (equality). Numbers
// compare as numbers (a trailing % is ignored), anything else as text.
struct Comparison {
  enum class Op { kEq, kNe, kLt, kLe, kGt, kGe };
  Op op = Op::kEq;
  std::string value;

  bool Matches(const std::string& seen) const;
  bool IsNumeric() const;
  std::string ToString() const;  // ">= 50", "== 100.00"
};

struct PvSpec {
  std::string name;
  uint64_t size_bytes = 0;
  uint32_t metadata_copies = 1;           // 0: pvcreate --metadatacopies 0
  std::optional<store::DiskModel> model;  // per-PV timing, if given
  Where where;
};

struct VgSpec {
  std::string name;
  std::vector<std::string> pvs;
  Where where;
};

struct LvSpec {
  std::string vg;
  std::string name;
  std::optional<uint64_t> size_bytes;  // `vg/lv: SIZE`
  std::vector<std::string> ranges;     // `vg/lv: [pv1:0-9, ...]`
  uint64_t extents = 0;                // with ranges: the sum of their lengths
  Where where;
  std::string path() const { return vg + "/" + name; }
};

struct LabSpec {
  uint64_t extent_size_bytes = 4ULL << 20;
  // Every PV's timing unless the PV says otherwise: a modest SSD.
  store::DiskModel disk{.read_latency_ns = 100'000,
                        .write_latency_ns = 200'000,
                        .bandwidth_bytes_per_sec = 200ULL << 20};
  std::vector<PvSpec> pvs;
  std::vector<VgSpec> vgs;
  std::vector<LvSpec> lvs;
  // lab.config: lvm.conf settings (the fault policies), as
  // "activation/raid_fault_policy: allocate".
  lvm::LvmConfig config;
};

struct WorkloadDecl {
  std::string lv;  // "vg0/lv0"
  check::WorkloadSpec spec;
  Where where;
};

struct Condition {
  enum class Kind {
    kNone,
    kAt,     // virtual time since the start
    kAfter,  // virtual time since the previous step ended
    kField,  // a report field of an LV or PV
    kEvent,  // a trace event count
    kIdle,   // no poller running, every workload done
  };
  Kind kind = Kind::kNone;
  uint64_t time_ns = 0;  // at, after
  std::string object;    // field: "vg0/pvmove0" (lvs) or "pv2" (pvs)
  bool object_is_pv = false;
  std::string field;  // field: "copy_percent"
  std::string event;  // event: "checkpoint"
  Comparison cmp;     // field value, or event count (default ">= 1")
  uint64_t timeout_ns = 3600 * kNsPerSecond;
  Where where;
  std::string ToString() const;
};

// Report fields of one LV or PV: `absent`, or field -> comparison.
struct ObjectExpect {
  std::string name;
  bool absent = false;
  std::vector<std::pair<std::string, Comparison>> fields;
  Where where;
};

struct EventExpect {
  std::string event;
  std::optional<Comparison> count;  // unset: at least once
  Where where;
};

struct Expectations {
  bool data_intact = false;
  // `data: lost`: some sector of a tracked LV must read other than the oracle
  // allows (a loss the lab re-creates faithfully, e.g. an unreadable source).
  bool data_lost = false;
  std::vector<std::pair<std::string, std::vector<std::string>>> segments;  // LV -> area names
  std::vector<ObjectExpect> lvs;
  std::vector<ObjectExpect> pvs;
  std::vector<std::pair<std::string, std::string>> status;  // dm device -> regex
  std::vector<EventExpect> events;
  std::optional<std::string> error;  // `run` only: the command fails with this text
  // Structural invariants: no PV extent used twice, the metadata read is the
  // highest seqno on the PVs, in-sync mirror legs identical.
  bool consistent = false;
  Where where;
  bool empty() const {
    return !data_intact && !data_lost && segments.empty() && lvs.empty() && pvs.empty() &&
           status.empty() && events.empty() && !error && !consistent;
  }
};

// A change to one PV's drive faults (sim/store/disk_faults.h).
struct FaultSpec {
  std::string pv;
  store::FaultChange change;
};

// A power cut armed for later: it happens at the count-th write of a kind
// (`metadata-write`: below a PV's pe_start, i.e. label, mda header and
// metadata text; `data-write`: at or after pe_start; `any-write`), on `pv`
// or on any PV, during whatever runs next.
struct CrashDuring {
  std::string what;
  std::string pv;  // empty: any PV
  uint64_t count = 1;
};

// A `fio:` step of a mounted scenario: fio's arguments (each passed as one
// argv word, no shell), an LV whose file is LVLAB_LV in fio's environment,
// extra environment variables (job files read ${NAME}), and whether the
// scenario goes on while fio runs (`wait: fio` or the end waits for it).
struct FioSpec {
  std::vector<std::string> args;
  std::string lv;  // "vg0/lv0" or empty
  std::vector<std::pair<std::string, std::string>> env;
  bool background = false;
};

struct Step {
  enum class Action {
    kNone,
    kRun,
    kCrash,
    kFault,
    kWorkloadStart,
    kWorkloadStop,
    kFio,      // mounted scenarios only
    kWaitFio,  // mounted scenarios only: wait for every background fio
  };
  int number = 0;  // 1-based
  Where where;
  Condition condition;
  Action action = Action::kNone;
  std::string command;  // run: the CLI's words without "lvlab"
  Where command_where;  // of the run: value
  store::LossPolicy lose = store::LossPolicy::kRandom;
  std::optional<CrashDuring> during;  // crash only: armed instead of at once
  int64_t crash_after_writes = -1;    // crash: cut after N more disk writes; -1 = at once
  bool may_fail = false;              // run: a non-zero exit is not a failure
  FaultSpec fault;
  WorkloadDecl workload;  // start
  std::string stop_lv;    // stop
  FioSpec fio;            // fio
  Expectations expect;
  // "run: pvmove -i 1 pv2 pv4", "crash: {lose: random}", "expect".
  std::string Describe() const;
};

struct Scenario {
  std::string file;
  std::string name;
  std::string description;
  uint64_t seed = 1;
  // Played on the real clock against a mounted daemon (`mount: true`),
  // with fio steps; see tools/live_scenario.h.
  bool mount = false;
  LabSpec lab;
  std::vector<WorkloadDecl> workloads;
  std::vector<Step> steps;
};

// "1.5s", "250ms", "12us", "0s": a virtual duration for messages.
std::string FormatDuration(uint64_t ns);

}  // namespace lvlab::scenarios
