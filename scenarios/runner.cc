// The step loop, the reports and RunScenarioFile.
#include "scenarios/runner.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>

#include "scenarios/loader.h"
#include "scenarios/machine_session.h"
#include "scenarios/runner_internal.h"
#include "sim/base/rng.h"

namespace lvlab::scenarios {
namespace {

std::string Hex(uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(v));
  return buf;
}

// " --bug NAME" for every catalogued bug switched on, for rerun lines.
std::string BugFlags(const lvm::Bugs& bugs) {
  std::string flags;
  for (const std::string& name : lvm::EnabledBugs(bugs)) flags += " --bug " + name;
  return flags;
}

}  // namespace

namespace internal {
namespace {

lvm::MachineOptions MachineFor(const Scenario& s, const RunOptions& o, uint64_t seed) {
  lvm::MachineOptions m;
  m.seed = seed;
  m.bugs = o.bugs;
  m.disk.model = s.lab.disk;
  m.image_dir = o.image_dir;
  m.config = s.lab.config;
  return m;
}

}  // namespace

ScenarioRun::ScenarioRun(const Scenario& scenario, const RunOptions& options, std::ostream& out,
                         std::ostream* trace_sink)
    : s_(scenario),
      o_(options),
      out_(out),
      seed_(options.seed.value_or(scenario.seed)),
      log_(trace_sink),
      machine_(MachineFor(scenario, options, seed_)),
      oracle_(Rng(seed_).Derive("scenario-oracle").Next()) {}

uint64_t ScenarioRun::Now() { return boot_ns_ + machine_.sys().scheduler().now_ns(); }

void ScenarioRun::OnBoot() {
  log_.Attach(machine_.sys().trace(), boot_ns_);
  if (o_.narrate) machine_.sys().set_narration(&out_);
  machine_.sys().trace().Emit("boot", {{"n", machine_.boots()}});
  machine_.sys().trace().Subscribe([this](std::string_view type, const std::string& line) {
    if (type == "snapshot-created" || type == "snapshot-merge-started") {
      SnapshotEvent(type, line);
    }
  });
}

namespace {

// The string value of "key" in a trace line, "" if absent.
std::string TraceString(const std::string& line, const std::string& key) {
  const std::string tag = "\"" + key + "\":\"";
  const size_t at = line.find(tag);
  if (at == std::string::npos) return "";
  const size_t from = at + tag.size();
  return line.substr(from, line.find('"', from) - from);
}

}  // namespace

// The oracle follows snapshots: a new snapshot reads as its origin did; once
// a merge starts the origin reads as the snapshot did, and the snapshot's
// device is gone.
void ScenarioRun::SnapshotEvent(std::string_view type, const std::string& line) {
  const std::string vg = TraceString(line, "vg");
  const std::string cow = vg + "/" + TraceString(line, "lv");
  const std::string origin = vg + "/" + TraceString(line, "origin");
  if (type == "snapshot-created") {
    if (oracle_.tracked(origin)) oracle_.Copy(origin, cow);
  } else if (oracle_.tracked(cow)) {
    oracle_.Copy(cow, origin);
    oracle_.Untrack(cow);
  }
}

void ScenarioRun::Narrate(const std::string& line) {
  if (o_.narrate) out_ << "[" << FormatDuration(Now()) << "] " << line << "\n";
}

void ScenarioRun::DrainMachineOutput() {
  std::string text = machine_.TakeOut() + machine_.TakeErr();
  if (!o_.narrate || text.empty()) return;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string::npos) end = text.size();
    out_ << "    | " << text.substr(at, end - at) << "\n";
    at = end + 1;
  }
}

void ScenarioRun::Report(const Step& step, const Failures& failures) {
  out_ << "FAIL " << s_.name << " (" << s_.file << ")\n";
  for (const Failure& f : failures) {
    out_ << "  step " << step.number << " (" << s_.file << ":" << step.where.line << "): " << f.what
         << "\n";
    out_ << "    expected: " << f.expected << "\n";
    out_ << "    seen:     " << f.seen << "\n";
  }
  out_ << "  seed " << seed_ << ", virtual time " << FormatDuration(Now()) << "\n";
  out_ << "  rerun: lvlab run " << s_.file << " --seed " << seed_ << BugFlags(o_.bugs)
       << " --narrate\n";
}

bool ScenarioRun::Begin() {
  OnBoot();
  machine_.sys().trace().Emit("scenario-start", {{"name", s_.name}, {"seed", seed_}});
  Where where;
  if (Status st = BuildLab(&where); !st.ok()) {
    out_ << s_.file << ":" << where.line << ":" << where.column
         << ": the lab cannot be built: " << st.message() << "\n";
    result_.exit_code = kExitBrokenFile;
    return false;
  }
  Narrate("lab built: " + std::to_string(s_.lab.pvs.size()) + " PV(s), " +
          std::to_string(s_.lab.vgs.size()) + " VG(s), " + std::to_string(s_.lab.lvs.size()) +
          " LV(s), " + std::to_string(workloads_.size()) + " workload(s)");
  return true;
}

bool ScenarioRun::PlayStep(const Step& step) {
  Failures failures = Wait(step);
  if (failures.empty()) {
    Narrate(
        "step " + std::to_string(step.number) + " (line " + std::to_string(step.where.line) +
        "): " +
        (step.condition.kind == Condition::Kind::kNone ? "" : step.condition.ToString() + ": ") +
        step.Describe());
    machine_.sys().trace().Emit("scenario-step", {{"n", step.number}, {"step", step.Describe()}});
    failures = Act(step);
  }
  if (failures.empty()) failures = Check(step.expect);
  DrainMachineOutput();
  if (!failures.empty()) {
    Report(step, failures);
    result_.exit_code = kExitFailed;
    return false;
  }
  last_step_ns_ = Now();
  ++result_.steps_run;
  return true;
}

RunResult ScenarioRun::End() {
  machine_.sys().trace().Emit("scenario-end", {{"steps", result_.steps_run}});
  result_.trace_hash = log_.hash();
  result_.virtual_ns = Now();
  result_.sectors_checked = oracle_.stats().sectors_checked;
  return result_;
}

RunResult ScenarioRun::Run() {
  if (!Begin()) return result_;
  for (const Step& step : s_.steps) {
    if (!PlayStep(step)) break;
  }
  return End();
}

}  // namespace internal

RunResult RunScenario(const Scenario& scenario, const RunOptions& options) {
  std::ostream& out = options.out ? *options.out : std::cout;
  std::unique_ptr<std::ofstream> trace;
  if (!options.trace_file.empty()) {
    trace = std::make_unique<std::ofstream>(options.trace_file, std::ios::trunc);
    if (!*trace) {
      out << options.trace_file << ": cannot write the trace file\n";
      return RunResult{kExitBrokenFile};
    }
  }
  if (options.image_dir.empty()) {
    internal::ScenarioRun run(scenario, options, out, trace.get());
    return run.Run();
  }
  // PVs on sparse files: a fresh directory for this run, removed after it.
  std::string tmpl = options.image_dir + "/lvlab-run-XXXXXX";
  if (!mkdtemp(tmpl.data())) {
    out << options.image_dir << ": cannot make a directory for the PV images\n";
    return RunResult{kExitBrokenFile};
  }
  RunOptions on_files = options;
  on_files.image_dir = tmpl;
  RunResult result;
  {
    internal::ScenarioRun run(scenario, on_files, out, trace.get());
    result = run.Run();
  }
  std::error_code ec;
  std::filesystem::remove_all(tmpl, ec);
  return result;
}

int RunScenarioFile(const std::string& path, const RunOptions& options) {
  std::ostream& out = options.out ? *options.out : std::cout;
  auto scenario = LoadScenario(path);
  if (!scenario.ok()) {
    out << scenario.status().message() << "\n";
    return kExitBrokenFile;
  }
  if (scenario->mount) {
    if (!options.live_runner) {
      out << path << ": a mount: true scenario plays on a live daemon: run it with lvlab run\n";
      return kExitBrokenFile;
    }
    return options.live_runner(*scenario, options);
  }
  for (const Step& step : scenario->steps) {
    if (step.action != Step::Action::kRun || step.expect.error) continue;
    if (Status st = CheckCommand(step.command); !st.ok()) {
      out << path << ":" << step.command_where.line << ":" << step.command_where.column
          << ": run: " << st.message() << "\n";
      return kExitBrokenFile;
    }
  }
  const uint64_t seed = options.seed.value_or(scenario->seed);
  RunResult first = RunScenario(*scenario, options);
  if (first.exit_code != kExitPass) return first.exit_code;
  const std::string hash = Hex(first.trace_hash);
  if (options.check_determinism) {
    RunOptions again = options;
    again.trace_file.clear();
    again.narrate = false;
    RunResult second = RunScenario(*scenario, again);
    if (second.exit_code != kExitPass || second.trace_hash != first.trace_hash) {
      out << "FAIL " << scenario->name << ": not deterministic: seed " << seed << " gave trace "
          << hash << ", then " << Hex(second.trace_hash) << " (exit " << second.exit_code << ")\n"
          << "  rerun: lvlab run " << path << " --seed " << seed << BugFlags(options.bugs)
          << " --check-determinism\n";
      return kExitFailed;
    }
  }
  out << "PASS " << scenario->name << ": " << first.steps_run << " steps, virtual time "
      << FormatDuration(first.virtual_ns) << ", trace " << hash << " (seed " << seed
      << (options.check_determinism ? ", same trace twice" : "") << ")\n";
  return kExitPass;
}

}  // namespace lvlab::scenarios
