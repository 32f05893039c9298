// Step conditions: at, after and when.
#include "scenarios/runner_internal.h"
#include "sim/lvm/pvmove_poll.h"
#include "sim/lvm/report.h"

namespace lvlab::scenarios::internal {

bool ScenarioRun::RunWhile(const std::function<bool()>& done, uint64_t deadline_ns,
                           bool reach_deadline) {
  uint64_t budget = kMaxEventsPerWait;
  for (;;) {
    engine::Scheduler& sched = machine_.sys().scheduler();
    const uint64_t local = deadline_ns == UINT64_MAX ? UINT64_MAX : deadline_ns - boot_ns_;
    if (reach_deadline) sched.At(local, [] {});  // virtual time reaches it even when idle
    const uint64_t start = sched.events_run();
    bool out_of_budget = false;
    sched.RunUntil(
        [&] {
          if (o_.narrate) DrainMachineOutput();
          if (ArmedCutHappened() || done()) return true;
          out_of_budget = sched.events_run() - start >= budget;
          return out_of_budget;
        },
        local);
    budget -= std::min(budget, sched.events_run() - start);
    if (!ArmedCutHappened()) return !out_of_budget;
    CompleteArmedCrash();  // a new boot, a new scheduler: go on waiting
  }
}

std::vector<check::Workload*> ScenarioRun::QuiesceWorkloads() {
  std::vector<check::Workload*> paused;
  for (const auto& w : workloads_) {
    if (!w->done() && !w->paused()) w->Pause(), paused.push_back(w.get());
  }
  const uint64_t boots = machine_.boots();
  RunWhile(
      [&] {
        for (const auto& w : workloads_) {
          if (w->in_flight()) return false;
        }
        return true;
      },
      UINT64_MAX, false);
  if (machine_.boots() != boots) paused.clear();  // an armed crash took them
  return paused;
}

Failures ScenarioRun::WaitUntil(uint64_t run_ns, const std::string& what) {
  if (run_ns <= Now()) return {};
  if (!RunWhile([] { return false; }, run_ns, true)) {
    return {{what, "virtual time reaches " + FormatDuration(run_ns),
             "gave up after " + std::to_string(kMaxEventsPerWait) + " events at " +
                 FormatDuration(Now()) + " (I/O that takes no virtual time?)"}};
  }
  return {};
}

bool ScenarioRun::Holds(const Condition& c, std::string* seen) {
  switch (c.kind) {
    case Condition::Kind::kIdle: {
      bool idle = machine_.sys().pollers().AllDone();
      for (const auto& w : workloads_) idle = idle && w->done();
      return idle;
    }
    case Condition::Kind::kEvent: {
      *seen = std::to_string(log_.Count(c.event)) + " " + c.event + " event(s)";
      return c.cmp.Matches(std::to_string(log_.Count(c.event)));
    }
    case Condition::Kind::kField: {
      auto value = ReportField(c.object, c.field, c.object_is_pv);
      if (!value.ok()) {
        *seen = value.status().message();
        return false;
      }
      *seen = c.field + " = \"" + *value + "\"";
      return c.cmp.Matches(*value);
    }
    default:
      return true;
  }
}

Failures ScenarioRun::WaitFor(const Condition& c) {
  const std::string what = c.ToString();
  if (c.kind == Condition::Kind::kIdle) {
    for (const auto& w : workloads_) {
      const check::WorkloadSpec& spec = w->spec();
      if (!w->done() && !spec.max_ios && !spec.max_time_ns) {
        return {{what, "pollers finish and every workload is done",
                 "the workload on " + spec.lv +
                     " has no ios: or time: budget and is running; "
                     "stop it first (workload: {stop: " +
                     spec.lv + "})"}};
      }
    }
  }
  const uint64_t deadline = Now() + c.timeout_ns;
  std::string seen;
  bool held = Holds(c, &seen);
  // Field conditions re-read the report only after the trace moved on.
  // (I/O counters move without trace events: they are read after every event.)
  const bool on_trace =
      (c.kind == Condition::Kind::kField && !(c.object_is_pv && lvm::IsDriveCounter(c.field))) ||
      c.kind == Condition::Kind::kEvent;
  (void)log_.TakeChanged();
  const bool in_budget = held || RunWhile(
                                     [&] {
                                       if (on_trace && !log_.TakeChanged()) return false;
                                       return held = Holds(c, &seen);
                                     },
                                     deadline, false);
  if (held) return {};
  if (c.kind == Condition::Kind::kIdle) {
    seen = machine_.sys().pollers().AllDone() ? "workloads still running" : "pvmove still polling";
  }
  const std::string expected = "true within " + FormatDuration(c.timeout_ns);
  if (!in_budget) {
    return {{what, expected,
             "gave up after " + std::to_string(kMaxEventsPerWait) + " events at " +
                 FormatDuration(Now()) + "; last seen: " + seen}};
  }
  if (machine_.sys().scheduler().pending() == 0) {
    return {{what, expected,
             "nothing is left to happen at " + FormatDuration(Now()) +
                 (seen.empty() ? "" : "; last seen: " + seen)}};
  }
  return {
      {what, expected,
       "still false at " + FormatDuration(Now()) + (seen.empty() ? "" : "; last seen: " + seen)}};
}

Failures ScenarioRun::Wait(const Step& step) {
  const Condition& c = step.condition;
  switch (c.kind) {
    case Condition::Kind::kNone:
      return {};
    case Condition::Kind::kAt:
      return WaitUntil(c.time_ns, c.ToString());
    case Condition::Kind::kAfter:
      return WaitUntil(last_step_ns_ + c.time_ns, c.ToString());
    default:
      return WaitFor(c);
  }
}

}  // namespace lvlab::scenarios::internal
