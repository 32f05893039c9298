// The loader: what a good file becomes, and the message for each kind of
// broken file (file:line:col, did-you-mean).
#include "scenarios/loader.h"

#include <gtest/gtest.h>

namespace lvlab::scenarios {
namespace {

constexpr const char* kLab = R"(lab:
  extent_size: 4M
  pvs: {pv1: 64M, pv2: 64M, pv3: {size: 64M, write_latency: 2ms}}
  vgs: {vg0: [pv1, pv2, pv3]}
  lvs: {vg0/lv0: [pv1:0-9, pv2:0+5], vg0/lv1: 8M}
)";

// The message of a broken file, or "loaded" if it loads.
std::string Error(const std::string& text) {
  auto s = ParseScenario(text, "t.yaml");
  return s.ok() ? "loaded" : s.status().message();
}

TEST(Loader, GeneratedScenarioKeys) {
  auto s = ParseScenario(std::string("name: g\n") + kLab + R"(steps:
  - {run: "pvmove pv9", may_fail: true}
  - {crash: {lose: random, writes: 12}}
  - {expect: {consistent: true}}
)",
                         "t.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  ASSERT_EQ(s->steps.size(), 3u);
  EXPECT_TRUE(s->steps[0].may_fail);
  EXPECT_EQ(s->steps[1].crash_after_writes, 12);
  EXPECT_EQ(s->steps[1].Describe(), "crash: {lose: random, writes: 12}");
  EXPECT_TRUE(s->steps[2].expect.consistent);
  EXPECT_EQ(Error(std::string(kLab) + "steps:\n  - {crash: {writes: -3}}\n"),
            "t.yaml:7:22: writes must be a count of disk writes, e.g. writes: 12");
  EXPECT_EQ(Error(std::string(kLab) + "steps:\n  - {after: 1s, may_fail: true}\n"),
            "t.yaml:7:27: may_fail applies to a run step");
}

TEST(Loader, MountedScenarioWithFioSteps) {
  auto s = ParseScenario(std::string("mount: true\n") + kLab + R"(steps:
  - fio: {args: [../fio/mixed-rw.fio], lv: vg0/lv0, env: {RUNTIME: "5"}, background: true}
  - after: 300ms
    run: pvmove -i 1 pv1 pv2
  - wait: fio
  - fio: [--name=v, --filename=vg0/lv0, --rw=read]
  - crash: {lose: none}
)",
                         "t.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_TRUE(s->mount);
  ASSERT_EQ(s->steps.size(), 5u);
  EXPECT_EQ(s->steps[0].action, Step::Action::kFio);
  EXPECT_TRUE(s->steps[0].fio.background);
  EXPECT_EQ(s->steps[0].fio.lv, "vg0/lv0");
  ASSERT_EQ(s->steps[0].fio.env.size(), 1u);
  EXPECT_EQ(s->steps[0].fio.env[0], std::make_pair(std::string("RUNTIME"), std::string("5")));
  EXPECT_EQ(s->steps[1].condition.kind, Condition::Kind::kAfter);
  EXPECT_EQ(s->steps[2].action, Step::Action::kWaitFio);
  EXPECT_EQ(s->steps[3].Describe(), "fio: --name=v --filename=vg0/lv0 --rw=read");

  const std::string mounted = std::string("mount: true\n") + kLab + "steps:\n";
  EXPECT_EQ(Error(std::string(kLab) + "steps:\n  - fio: [--name=x]\n"),
            "t.yaml:7:5: fio and wait steps play on a mounted lab: add mount: true at the top");
  EXPECT_NE(Error(mounted + "  - {at: 1s, run: lvs}\n").find("live, use after:"),
            std::string::npos);
  auto events = ParseScenario(mounted +
                                  "  - {when: {event: checkpoint, count: 2}, timeout: 1min, "
                                  "run: lvs}\n"
                                  "  - {run: lvs, expect: {events: [checkpoint, {event: boot, "
                                  "count: \">= 1\"}]}}\n",
                              "t.yaml");
  ASSERT_TRUE(events.ok()) << events.status().message();
  EXPECT_EQ(events->steps[0].condition.kind, Condition::Kind::kEvent);
  EXPECT_EQ(events->steps[0].condition.event, "checkpoint");
  EXPECT_EQ(events->steps[0].condition.cmp.ToString(), ">= 2");
  ASSERT_EQ(events->steps[1].expect.events.size(), 2u);
  EXPECT_EQ(events->steps[1].expect.events[1].count->ToString(), ">= 1");
  auto io =
      ParseScenario(mounted + "  - {when: {pv: pv1, io_writes: \">= 1\"}, run: lvs}\n", "t.yaml");
  ASSERT_TRUE(io.ok()) << io.status().message();
  EXPECT_EQ(io->steps[0].condition.kind, Condition::Kind::kField);
  EXPECT_TRUE(io->steps[0].condition.object_is_pv);
  EXPECT_EQ(io->steps[0].condition.field, "io_writes");
  EXPECT_EQ(io->steps[0].condition.cmp.ToString(), ">= 1");
  EXPECT_TRUE(ParseScenario(mounted +
                                "  - {when: {lv: vg0/lv0, lv_attr: \"-wi-a-----\"}, run: lvs}\n"
                                "  - {when: idle, timeout: 1min, run: lvs}\n",
                            "t.yaml")
                  .ok());
  EXPECT_NE(Error(mounted + "  - {fault: {pv: pv1, fail: true}}\n").find("run: fault pv2"),
            std::string::npos);
  auto writes = ParseScenario(mounted + "  - {crash: {lose: all, writes: 3}}\n", "t.yaml");
  ASSERT_TRUE(writes.ok()) << writes.status().message();
  EXPECT_EQ(writes->steps[0].crash_after_writes, 3);
  EXPECT_NE(Error(mounted + "  - {crash: {lose: all, writes: 3, during: any-write}}\n")
                .find("a crash takes during: or writes:, not both"),
            std::string::npos);
  EXPECT_TRUE(ParseScenario(mounted + "  - {crash: {lose: all, during: metadata-write, pv: pv1}}\n",
                            "t.yaml")
                  .ok());
  EXPECT_NE(Error(mounted + "  - {run: lvs, expect: {data: intact}}\n")
                .find("live, expect: takes error, lvs, pvs, segments, status and events"),
            std::string::npos);
  EXPECT_NE(Error(mounted + "  - {run: lvs, expect: {consistent: true}}\n")
                .find("data and consistent need the simulated machine"),
            std::string::npos);
  auto io_expect = ParseScenario(
      mounted + "  - {run: lvs, expect: {pvs: {pv1: {io_writes: 0, io_bytes_read: \"> 0\"}}}}\n",
      "t.yaml");
  ASSERT_TRUE(io_expect.ok()) << io_expect.status().message();
  ASSERT_EQ(io_expect->steps[0].expect.pvs.size(), 1u);
  EXPECT_EQ(io_expect->steps[0].expect.pvs[0].fields.size(), 2u);
  EXPECT_TRUE(
      ParseScenario(mounted +
                        "  - run: lvs\n"
                        "    expect: {segments: {vg0/lv0: [pv1]}, lvs: {vg0/lv0: {lv_attr: "
                        "-wi-a-----}}, pvs: {pv1: {pv_used: 4.00m}}, status: {vg0-lv0: linear}}\n",
                    "t.yaml")
          .ok());
  EXPECT_NE(Error(mounted + "  - {wait: pvmove}\n").find("wait: fio"), std::string::npos);
}

TEST(Loader, GoodFileBecomesTheScenario) {
  auto s = ParseScenario(std::string("name: walk\nseed: 7\n") + kLab + R"(workloads:
  - {lv: vg0/lv0, pattern: random, block: 4k, iodepth: 4, write: 70%, flush_every: 32, ios: 100}
steps:
  - run: lvlab pvmove -i 1 pv2 pv3
  - when: {lv: vg0/pvmove0, copy_percent: ">= 50"}
    timeout: 10min
    crash: {lose: all}
  - at: 2s
    fault: {pv: pv2, fail: true}
  - when: {event: checkpoint, count: 2}
  - after: 500ms
    expect:
      data: intact
      segments: {vg0/lv0: [pv1, pv3]}
      lvs: {vg0/pvmove0: absent, vg0/lv0: {lv_attr: "-wi-a-----", copy_percent: ""}}
      status: {vg0-lv0: "linear"}
      events: [checkpoint, {event: pvmove-finished, count: 1}]
  - when: idle
)",
                         "t.yaml");
  ASSERT_TRUE(s.ok()) << s.status().message();
  EXPECT_EQ(s->name, "walk");
  EXPECT_EQ(s->seed, 7u);
  ASSERT_EQ(s->lab.pvs.size(), 3u);
  ASSERT_TRUE(s->lab.pvs[2].model.has_value());
  EXPECT_EQ(s->lab.pvs[2].model->write_latency_ns, 2'000'000u);
  ASSERT_EQ(s->lab.lvs.size(), 2u);
  EXPECT_EQ(s->lab.lvs[0].extents, 15u);
  EXPECT_EQ(*s->lab.lvs[1].size_bytes, 8u << 20);
  ASSERT_EQ(s->workloads.size(), 1u);
  EXPECT_EQ(s->workloads[0].spec.write_percent, 70u);
  EXPECT_EQ(s->workloads[0].spec.block_bytes, 4096u);
  ASSERT_EQ(s->steps.size(), 6u);
  EXPECT_EQ(s->steps[0].command, "pvmove -i 1 pv2 pv3");
  EXPECT_EQ(s->steps[1].condition.kind, Condition::Kind::kField);
  EXPECT_EQ(s->steps[1].condition.timeout_ns, 600 * kNsPerSecond);
  EXPECT_TRUE(s->steps[1].condition.cmp.Matches("50.00"));
  EXPECT_FALSE(s->steps[1].condition.cmp.Matches("49.99"));
  EXPECT_EQ(s->steps[1].lose, store::LossPolicy::kAll);
  EXPECT_EQ(s->steps[2].condition.time_ns, 2 * kNsPerSecond);
  EXPECT_EQ(s->steps[3].condition.cmp.ToString(), ">= 2");
  EXPECT_EQ(s->steps[4].expect.lvs.size(), 2u);
  EXPECT_TRUE(s->steps[4].expect.lvs[0].absent);
  EXPECT_EQ(s->steps[4].expect.events[1].count->ToString(), "== 1");
  EXPECT_EQ(s->steps[4].where.line, 18);
  EXPECT_EQ(s->steps[5].condition.kind, Condition::Kind::kIdle);
}

TEST(Loader, UnknownKeySuggestsTheNearest) {
  EXPECT_EQ(Error(std::string(kLab) + "stpes:\n  - when: idle\n"),
            "t.yaml:6:1: unknown key 'stpes' in the scenario; did you mean 'steps'?");
  EXPECT_EQ(Error(std::string(kLab) + "steps:\n  - when: idle\n    expect: {dta: intact}\n"),
            "t.yaml:8:14: unknown key 'dta' in expect; did you mean 'data'?");
  EXPECT_EQ(Error(std::string(kLab) + "steps:\n  - crash: {loose: all}\n"),
            "t.yaml:7:13: unknown key 'loose' in crash; did you mean 'lose'?");
}

TEST(Loader, UnknownKeyFarFromAllListsThem) {
  EXPECT_EQ(Error(std::string(kLab) + "steps:\n  - crash: {zzzzzzzz: 1}\n"),
            "t.yaml:7:13: unknown key 'zzzzzzzz' in crash; expected one of: lose, during, pv, "
            "count, writes");
}

TEST(Loader, YamlSyntaxErrorHasPosition) {
  const std::string e = Error("name: x\nlab: {pvs: {pv1: 1G}\nsteps: []\n");
  EXPECT_EQ(e.rfind("t.yaml:", 0), 0u) << e;
  EXPECT_NE(e.find("YAML syntax error"), std::string::npos) << e;
}

TEST(Loader, WrongTypes) {
  EXPECT_EQ(Error("seed: seven\n" + std::string(kLab) + "steps: [{when: idle}]\n"),
            "t.yaml:1:7: seed must be a whole number, not 'seven'");
  EXPECT_EQ(Error(std::string(kLab) + "steps: {when: idle}\n"),
            "t.yaml:6:8: steps must be a list ([a, b] or '- ' lines), not a map");
  EXPECT_EQ(Error(std::string(kLab) + "steps: [{at: 2}]\n"),
            "t.yaml:6:14: at must be a duration with a unit (500ms, 2s, 1.5s, 10min, 1h), not '2'");
  EXPECT_EQ(Error("lab: {pvs: {pv1: 64}}\nsteps: [{when: idle}]\n"),
            "t.yaml:1:18: lab.pvs.pv1 needs a unit: '64' could be bytes or megabytes; write e.g. "
            "4k, 40M, 1G");
  EXPECT_EQ(
      Error(std::string(kLab) + "steps: [{when: {lv: vg0/lv0, copy_percent: \">= lots\"}}]\n"),
      "t.yaml:6:44: copy_percent: '>= lots' compares with a number; write e.g. \">= 50\"");
}

TEST(Loader, UnknownNamesInTheLab) {
  EXPECT_EQ(
      Error("lab:\n  pvs: {pv1: 64M, pv2: 64M}\n  vgs: {vg0: [pv1, pv3]}\nsteps: [{when: idle}]\n"),
      "t.yaml:3:20: unknown PV 'pv3' in lab.vgs.vg0 (declare it in lab.pvs); did you mean "
      "'pv1'?");
  EXPECT_EQ(Error("lab:\n  pvs: {pv1: 64M}\n  vgs: {vg0: [pv1]}\n  lvs: {vg1/lv0: 8M}\n"
                  "steps: [{when: idle}]\n"),
            "t.yaml:4:9: unknown VG 'vg1' in lab.lvs (declare it in lab.vgs); did you mean 'vg0'?");
  EXPECT_EQ(Error("lab:\n  pvs: {pv1: 64M, pv2: 64M}\n  vgs: {vg0: [pv1]}\n"
                  "  lvs: {vg0/lv0: [pv2:0-1]}\nsteps: [{when: idle}]\n"),
            "t.yaml:4:19: PV 'pv2' is not in VG vg0; did you mean 'pv1'?");
  EXPECT_EQ(Error(std::string(kLab) + "workloads: [{lv: vg0/lv2}]\nsteps: [{when: idle}]\n"),
            "t.yaml:6:18: unknown LV 'vg0/lv2' (declare it in lab.lvs); did you mean 'vg0/lv0'?");
}

TEST(Loader, ReportFieldsAreCheckedAtLoad) {
  const std::string e =
      Error(std::string(kLab) + "steps: [{when: {lv: vg0/lv0, copy_precent: \"100\"}}]\n");
  EXPECT_EQ(e.rfind("t.yaml:6:30: lvs field 'copy_precent': ", 0), 0u) << e;
}

TEST(Loader, StepShapes) {
  EXPECT_EQ(Error(std::string(kLab) + "steps: [{at: 1s, after: 2s}]\n"),
            "t.yaml:6:9: a step takes one of at, after and when, not several");
  EXPECT_EQ(Error(std::string(kLab) + "steps: [{crash: {}, run: pvs}]\n"),
            "t.yaml:6:9: a step takes one action (run, crash, fault, workload, fio or wait); split "
            "it in two");
  EXPECT_EQ(Error(std::string(kLab) + "steps: [{crash: {}, expect: {error: x}}]\n"),
            "t.yaml:6:29: expect error applies to a run step (the command must fail)");
  EXPECT_EQ(Error(std::string(kLab) + "steps: [{when: busy}]\n"),
            "t.yaml:6:16: when: 'busy' is not a condition; write when: idle, or a map {lv: VG/LV, "
            "FIELD: VALUE}, {pv: PV, FIELD: VALUE} or {event: NAME, count: N}");
  EXPECT_EQ(Error(std::string(kLab) + "steps: [{run: crash --lose all}]\n"),
            "t.yaml:6:15: run: crash forgets a lab directory's devices; in a scenario cut the "
            "machine's power with crash: {lose: none|all|random}");
  const std::string regex =
      Error(std::string(kLab) + "steps: [{expect: {status: {vg0-lv0: \"(\"}}}]\n");
  EXPECT_EQ(regex.rfind("t.yaml:6:37: '(' is not a regular expression: ", 0), 0u) << regex;
  EXPECT_EQ(Error(std::string(kLab) + "steps: [{fault: {pv: pv1}}]\n"),
            "t.yaml:6:17: fault needs what to do: fail, restore, delay, errors, flakey, corrupt "
            "or lose-writes");
  EXPECT_EQ(Error(std::string(kLab) + "steps: [{fault: {pv: pv1, errors: {sectors: 9-3}}}]\n"),
            "t.yaml:6:45: errors sectors: sector range '9-3' ends before it starts");
  EXPECT_EQ(Error(std::string(kLab) + "steps: [{crash: {during: metadata-wrte}}]\n"),
            "t.yaml:6:26: unknown crash point 'metadata-wrte'; did you mean 'metadata-write'?");
}

TEST(Loader, MissingFileIsNamed) {
  auto s = LoadScenario("/nonexistent/x.yaml");
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.status().message(), "/nonexistent/x.yaml: cannot read the scenario file");
}

}  // namespace
}  // namespace lvlab::scenarios
