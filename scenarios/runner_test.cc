// The runner on small scenarios: commands through the CLI's words, waits,
// failure reports and determinism.
#include "scenarios/runner.h"

#include <gtest/gtest.h>

#include <sstream>

#include "scenarios/loader.h"
#include "scenarios/machine_session.h"

namespace lvlab::scenarios {
namespace {

constexpr const char* kLab = R"(seed: 3
lab:
  extent_size: 1M
  pvs: {pv1: 16M, pv2: 16M, pv3: 16M}
  vgs: {vg0: [pv1, pv2, pv3]}
  lvs: {vg0/lv0: [pv1:0-3, pv2:0-3]}
)";

struct Outcome {
  RunResult result;
  std::string out;
};

Outcome Play(const std::string& text, std::optional<uint64_t> seed = {}) {
  auto s = ParseScenario(std::string(kLab) + text, "t.yaml");
  EXPECT_TRUE(s.ok()) << s.status().message();
  if (!s.ok()) return {};
  std::ostringstream out;
  RunOptions o;
  o.out = &out;
  o.seed = seed;
  Outcome r{RunScenario(*s, o), ""};
  r.out = out.str();
  return r;
}

TEST(SplitWords, QuotesAndBlanks) {
  EXPECT_EQ(SplitWords("  pvmove -i 1  pv2 'p v4' \"x\"y"),
            (std::vector<std::string>{"pvmove", "-i", "1", "pv2", "p v4", "xy"}));
  EXPECT_EQ(SplitWords("lvs ''"), (std::vector<std::string>{"lvs", ""}));
}

TEST(CheckCommand, UsesTheVerbDefinitions) {
  EXPECT_TRUE(CheckCommand("pvmove -i 1 pv2 pv4").ok());
  EXPECT_TRUE(CheckCommand("vgchange -ay --poll n vg0").ok());
  Status unknown = CheckCommand("pvmove --frobnicate pv2");
  EXPECT_FALSE(unknown.ok());
  EXPECT_NE(unknown.message().find("frobnicate"), std::string::npos) << unknown.message();
  Status bad = CheckCommand("pvmove -i x pv2");
  EXPECT_FALSE(bad.ok());
  EXPECT_NE(bad.message().find("Invalid argument for --interval"), std::string::npos)
      << bad.message();
  EXPECT_FALSE(CheckCommand("frob").ok());
}

TEST(Runner, MovesAnLvThroughTheCliWords) {
  Outcome r = Play(R"(workloads:
  - {lv: vg0/lv0, pattern: random, iodepth: 2, write: 70%, flush_every: 8, ios: 300}
steps:
  - run: pvmove -i 1 pv2 pv3
  - when: idle
    expect:
      data: intact
      segments: {vg0/lv0: [pv1, pv3]}
      lvs: {vg0/pvmove0: absent, vg0/lv0: {lv_attr: "-wi-a-----"}}
      events: [pvmove-finished, {event: pvmove-setup, count: 1}]
)");
  EXPECT_EQ(r.result.exit_code, kExitPass) << r.out;
  EXPECT_EQ(r.result.steps_run, 2);
  EXPECT_GT(r.result.virtual_ns, 0u);
}

TEST(Runner, SameSeedSameTraceOtherSeedOtherTrace) {
  const std::string steps = R"(workloads:
  - {lv: vg0/lv0, pattern: random, iodepth: 2, write: 70%, flush_every: 8, ios: 200}
steps:
  - run: pvmove -i 1 pv2 pv3
  - when: {lv: vg0/pvmove0, copy_percent: ">= 50"}
    crash: {lose: random}
  - run: vgchange -ay vg0
  - when: idle
    expect: {data: intact}
)";
  Outcome a = Play(steps), b = Play(steps), c = Play(steps, 4);
  ASSERT_EQ(a.result.exit_code, kExitPass) << a.out;
  ASSERT_EQ(c.result.exit_code, kExitPass) << c.out;
  EXPECT_EQ(a.result.trace_hash, b.result.trace_hash);
  EXPECT_NE(a.result.trace_hash, c.result.trace_hash);
}

TEST(Runner, FailedExpectationNamesStepSeedAndRerun) {
  Outcome r = Play(R"(steps:
  - run: lvs
  - expect:
      segments: {vg0/lv0: [pv1, pv3]}
)");
  EXPECT_EQ(r.result.exit_code, kExitFailed);
  EXPECT_NE(r.out.find("step 2 (t.yaml:9): expect segments vg0/lv0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("expected: [pv1, pv3]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("seen:     [pv1, pv2]"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("seed 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rerun: lvlab run t.yaml --seed 3"), std::string::npos) << r.out;
}

TEST(Runner, CommandErrorsAreExpectedOrFail) {
  Outcome ok = Play(R"(steps:
  - run: lvcreate -L 1G -n big vg0
    expect: {error: "Insufficient free"}
)");
  EXPECT_EQ(ok.result.exit_code, kExitPass) << ok.out;
  Outcome bad = Play(R"(steps:
  - run: lvcreate -L 1G -n big vg0
)");
  EXPECT_EQ(bad.result.exit_code, kExitFailed);
  EXPECT_NE(bad.out.find("expected: exit 0"), std::string::npos) << bad.out;
}

TEST(Runner, WhenThatNeverHoldsTimesOut) {
  Outcome r = Play(R"(steps:
  - when: {event: checkpoint, count: 1}
    timeout: 5s
)");
  EXPECT_EQ(r.result.exit_code, kExitFailed);
  EXPECT_NE(r.out.find("when event checkpoint count >= 1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("nothing is left to happen"), std::string::npos) << r.out;
}

// A data check re-reads only what may have changed since the last one:
// after a power cut and a reboot (new devices over the same images), what
// was flushed before the cut passes unread; what the cut may have lost is
// read again. A corrupt byte written since (a fault) is still found.
TEST(Runner, DataCheckAfterARebootReadsOnlyWhatTheCutMayHaveChanged) {
  const std::string load = R"(workloads:
  - {lv: vg0/lv0, pattern: sequential, block: 64k, iodepth: 1, write: 100%, flush_every: 1, ios: 64}
steps:
  - when: idle
    expect: {data: intact}
)";
  const Outcome before = Play(load);
  ASSERT_EQ(before.result.exit_code, kExitPass) << before.out;
  EXPECT_GE(before.result.sectors_checked, 8192u) << "the first check reads all 4 MiB written";
  const std::string reboot = R"(  - crash: {lose: all}
  - run: vgchange -ay vg0
    expect: {data: intact}
)";
  const Outcome after = Play(load + reboot);
  ASSERT_EQ(after.result.exit_code, kExitPass) << after.out;
  EXPECT_LT(after.result.sectors_checked - before.result.sectors_checked, 1024u)
      << "flushed data, unchanged on the same disk sectors, was read again after the reboot";
  const Outcome corrupt =
      Play(load + reboot + R"(  - fault: {pv: pv1, corrupt: {sectors: "2048-4095", value: 90}}
    expect: {data: lost}
)");
  EXPECT_EQ(corrupt.result.exit_code, kExitPass) << corrupt.out;
}

TEST(Runner, AtAdvancesVirtualTimeWhenIdle) {
  Outcome r = Play(R"(steps:
  - at: 90s
  - after: 500ms
)");
  EXPECT_EQ(r.result.exit_code, kExitPass) << r.out;
  EXPECT_EQ(r.result.virtual_ns, 90'500'000'000u);
}

}  // namespace
}  // namespace lvlab::scenarios
