#include "sim/dm/kernel.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/dm/test_util.h"

namespace lvlab::dm {
namespace {

class KernelTest : public DmTest {};

TEST_F(KernelTest, CreateAssignsLowestFreeMinorAndRefusesDuplicates) {
  EXPECT_EQ(*kernel_.Create("a", "LVM-a"), (DevNo{254, 0}));
  EXPECT_EQ(*kernel_.Create("b", ""), (DevNo{254, 1}));
  EXPECT_EQ(*kernel_.Create("c", "", 5), (DevNo{254, 5}));
  Result<DevNo> dup = kernel_.Create("a", "");
  ASSERT_EQ(dup.status().code(), Code::kAlreadyExists);
  EXPECT_NE(dup.status().message().find("a"), std::string::npos);
  EXPECT_EQ(kernel_.Create("d", "LVM-a").status().code(), Code::kAlreadyExists);
  EXPECT_EQ(kernel_.Create("e", "", 5).status().code(), Code::kBusy);
  EXPECT_EQ(kernel_.Create("bad/name", "").status().code(), Code::kInvalidArgument);
  ASSERT_TRUE(kernel_.Remove("a").ok());
  EXPECT_EQ(*kernel_.Create("f", ""), (DevNo{254, 0}));  // freed minor reused
  EXPECT_EQ(DevNo(254, 5).ToString(), "254:5");
  std::vector<std::string> names;
  for (const Device* d : kernel_.List()) names.push_back(d->name());
  EXPECT_EQ(names, (std::vector<std::string>{"b", "c", "f"}));
}

TEST_F(KernelTest, ResolveAcceptsMajMinAndNames) {
  AddDisk(100);
  ASSERT_TRUE(kernel_.Create("vg-lv", "").ok());
  EXPECT_EQ(kernel_.Resolve("7:1")->name(), "pv1");
  EXPECT_EQ(kernel_.Resolve("pv1")->devno(), (DevNo{7, 1}));
  EXPECT_EQ(kernel_.Resolve("254:0")->name(), "vg-lv");
  EXPECT_EQ(kernel_.Resolve("vg-lv")->devno(), (DevNo{254, 0}));
  EXPECT_EQ(kernel_.Resolve("7:9"), nullptr);
  EXPECT_EQ(kernel_.Resolve("nope"), nullptr);
  EXPECT_FALSE(DevNo::Parse("7:").has_value());
  EXPECT_FALSE(DevNo::Parse("7:1x").has_value());
}

TEST_F(KernelTest, TableTextRoundTripsAndSlotsMove) {
  AddDisk(100000);
  AddDisk(100000);
  const std::string table =
      "0 81920 linear 7:1 2048\n"
      "81920 4096 striped 2 64 7:1 90000 7:2 0\n"
      "86016 100 error\n"
      "86116 50 zero";
  ASSERT_TRUE(kernel_.Create("vg-lv", "").ok());
  EXPECT_EQ(kernel_.Info("vg-lv")->TablesPresent(), "None");
  ASSERT_TRUE(kernel_.Load("vg-lv", table + "\n").ok());
  EXPECT_EQ(*kernel_.Table("vg-lv", /*inactive=*/true), table);
  EXPECT_EQ(*kernel_.Table("vg-lv"), "");
  EXPECT_EQ(kernel_.Info("vg-lv")->TablesPresent(), "INACTIVE");
  EXPECT_EQ(kernel_.Find("vg-lv")->size_sectors(), 0u);
  ASSERT_TRUE(kernel_.Resume("vg-lv").ok());
  EXPECT_EQ(*kernel_.Table("vg-lv"), table);
  EXPECT_EQ(kernel_.Find("vg-lv")->size_sectors(), 86166u);
  DeviceInfo info = *kernel_.Info("vg-lv");
  EXPECT_EQ(info.TablesPresent(), "LIVE");
  EXPECT_EQ(info.State(), "ACTIVE");
  EXPECT_EQ(info.target_count, 4u);
  EXPECT_EQ(*kernel_.StatusLines("vg-lv"),
            "0 81920 linear\n"
            "81920 4096 striped 2 7:1 7:2 1 AA\n"
            "86016 100 error\n"
            "86116 50 zero");
  EXPECT_EQ(*kernel_.Deps("vg-lv"), (std::vector<DevNo>{{7, 1}, {7, 2}}));
  ASSERT_TRUE(kernel_.Load("vg-lv", "0 10 zero").ok());
  EXPECT_EQ(kernel_.Info("vg-lv")->TablesPresent(), "LIVE & INACTIVE");
  ASSERT_TRUE(kernel_.ClearInactive("vg-lv").ok());
  EXPECT_EQ(kernel_.Info("vg-lv")->TablesPresent(), "LIVE");
  // Extra spaces and blank lines are accepted; output is canonical.
  ASSERT_TRUE(kernel_.Load("vg-lv", "\n0  10   linear   pv2  7 \n\n").ok());
  EXPECT_EQ(*kernel_.Table("vg-lv", true), "0 10 linear 7:2 7");
}

TEST_F(KernelTest, LoadErrorsNameDeviceAndLineAndLeaveTablesUntouched) {
  AddDisk(1000);
  Activate("vg-lv", "0 100 linear 7:1 0");
  ASSERT_TRUE(kernel_.Load("vg-lv", "0 50 zero").ok());
  struct Case {
    const char* table;
    const char* expect;
  } cases[] = {
      {"0 100 linear 7:1 0\n200 10 zero", "line 2"},             // gap
      {"10 100 zero", "contiguous"},                             // not from 0
      {"0 100 frobnicate 1", "unknown target type frobnicate"},  // type
      {"0 0 zero", "invalid target length"},
      {"0 100", "expected <start> <length> <type>"},
      {"0 100 linear 7:1", "linear: invalid argument count"},
      {"", "no targets"},
  };
  for (const Case& c : cases) {
    Status st = kernel_.Load("vg-lv", c.table);
    ASSERT_FALSE(st.ok()) << c.table;
    EXPECT_EQ(st.message().rfind("vg-lv", 0), 0u) << st.message();
    EXPECT_NE(st.message().find(c.expect), std::string::npos) << st.message();
  }
  EXPECT_EQ(*kernel_.Table("vg-lv"), "0 100 linear 7:1 0");
  EXPECT_EQ(*kernel_.Table("vg-lv", true), "0 50 zero");
  ASSERT_TRUE(Write("vg-lv", 0, Pattern(1, 8)).ok());
  EXPECT_EQ(DiskSectors(0, 0, 8), Pattern(1, 8));
  EXPECT_EQ(kernel_.Load("nope", "0 1 zero").code(), Code::kNotFound);
}

TEST_F(KernelTest, ResumeWithoutAnyTableFails) {
  ASSERT_TRUE(kernel_.Create("empty", "").ok());
  Status st = kernel_.Resume("empty");
  EXPECT_EQ(st.code(), Code::kFailedPrecondition);
  EXPECT_NE(st.message().find("empty"), std::string::npos);
  EXPECT_EQ(kernel_.Resume("missing").code(), Code::kNotFound);
}

TEST_F(KernelTest, BiosPastTheEndFail) {
  AddDisk(1000);
  Activate("lv", "0 100 linear 7:1 0");
  std::vector<uint8_t> buf;
  EXPECT_TRUE(Read("lv", 99, 1, &buf).ok());
  Status st = Read("lv", 99, 2, &buf);
  EXPECT_EQ(st.code(), Code::kIOError);
  EXPECT_NE(st.message().find("beyond the end"), std::string::npos) << st.message();
  EXPECT_EQ(Read("lv", UINT64_MAX, 2, &buf).code(), Code::kIOError);  // no overflow
  ASSERT_TRUE(kernel_.Create("notable", "").ok());
  EXPECT_EQ(Read("notable", 0, 1, &buf).code(), Code::kIOError);
  EXPECT_TRUE(Io(kernel_.Find("notable"), Bio::Op::kFlush, 0, 0, nullptr).ok());
}

TEST_F(KernelTest, SuspendQueuesIoAndResumeReleasesItIntoTheNewTable) {
  AddDisk(1000);
  AddDisk(1000);
  Activate("lv", "0 100 linear 7:1 0");
  ASSERT_TRUE(kernel_.Suspend("lv").ok());
  EXPECT_EQ(kernel_.Info("lv")->State(), "SUSPENDED");
  std::vector<uint8_t> data = Pattern(7, 4);
  auto done = Start(kernel_.Find("lv"), Bio::Op::kWrite, 10, 4, data.data());
  sched_.RunUntilIdle();
  EXPECT_FALSE(done->has_value());
  EXPECT_EQ(kernel_.Find("lv")->deferred(), 1u);
  ASSERT_TRUE(kernel_.Load("lv", "0 100 linear 7:2 500").ok());
  ASSERT_TRUE(kernel_.Resume("lv").ok());
  sched_.RunUntilIdle();
  ASSERT_TRUE(done->has_value());
  EXPECT_TRUE((*done)->ok());
  EXPECT_EQ(DiskSectors(1, 510, 4), data);  // the new table
  EXPECT_EQ(DiskSectors(0, 10, 4), std::vector<uint8_t>(4 * kSectorSize, 0));
  // As in the kernel, resuming with a new table suspends first, even the
  // first activation of a device.
  EXPECT_EQ(trace_.Count("suspend"), 2u);
  EXPECT_EQ(trace_.Count("table-swap"), 2u);  // activation + reload
  EXPECT_EQ(trace_.Count("resume"), 2u);
}

TEST_F(KernelTest, ResumeWithNewTableSuspendsFirst) {
  AddDisk(1000);
  Activate("lv", "0 100 linear 7:1 0");
  ASSERT_TRUE(kernel_.Load("lv", "0 200 zero").ok());
  ASSERT_TRUE(kernel_.Resume("lv").ok());
  EXPECT_EQ(trace_.Count("suspend"), 2u);  // activation and reload
  EXPECT_EQ(kernel_.Find("lv")->size_sectors(), 200u);
  EXPECT_TRUE(kernel_.Suspend("lv").ok());
  EXPECT_TRUE(kernel_.Suspend("lv").ok());  // already suspended: nothing
  EXPECT_EQ(trace_.Count("suspend"), 3u);
  EXPECT_TRUE(kernel_.Resume("lv").ok());
  EXPECT_TRUE(kernel_.Resume("lv").ok());  // not suspended: nothing
  EXPECT_EQ(trace_.Count("resume"), 3u);
}

TEST_F(KernelTest, SuspendWaitsForInFlightIo) {
  store::DiskModel slow;
  slow.write_latency_ns = 1'000'000;
  AddDisk(1000, slow);
  Activate("lv", "0 100 linear 7:1 0");
  std::vector<uint8_t> data = Pattern(8, 8);
  auto done = Start(kernel_.Find("lv"), Bio::Op::kWrite, 0, 8, data.data());
  EXPECT_EQ(kernel_.Find("lv")->in_flight(), 1u);
  const uint64_t before = sched_.now_ns();
  ASSERT_TRUE(kernel_.Suspend("lv").ok());
  ASSERT_TRUE(done->has_value());
  EXPECT_TRUE((*done)->ok());
  EXPECT_GE(sched_.now_ns(), before + 1'000'000);
  EXPECT_EQ(kernel_.Find("lv")->in_flight(), 0u);
  EXPECT_TRUE(kernel_.Find("lv")->suspended());
  EXPECT_EQ(DiskSectors(0, 0, 8), data);
}

TEST_F(KernelTest, ResumeFailsWhenAnAreaDoesNotFitItsDevice) {
  AddDisk(1000);
  Activate("lv", "0 100 linear 7:1 0");
  ASSERT_TRUE(kernel_.Load("lv", "0 100 linear 7:1 950").ok());
  Status st = kernel_.Resume("lv");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("too small for target"), std::string::npos) << st.message();
  EXPECT_TRUE(kernel_.Find("lv")->suspended());
  EXPECT_EQ(*kernel_.Table("lv"), "0 100 linear 7:1 0");
  ASSERT_TRUE(kernel_.ClearInactive("lv").ok());
  EXPECT_TRUE(kernel_.Resume("lv").ok());
}

TEST_F(KernelTest, RemoveRefusesDevicesInUse) {
  AddDisk(1000);
  Activate("vg-lv", "0 100 linear 7:1 0");
  Activate("vg-top", "0 100 linear vg-lv 0");
  Status st = kernel_.Remove("vg-lv");
  EXPECT_EQ(st.code(), Code::kBusy);
  EXPECT_NE(st.message().find("vg-top"), std::string::npos) << st.message();
  EXPECT_EQ(kernel_.Holders(kernel_.Find("vg-lv")), (std::vector<std::string>{"vg-top"}));
  EXPECT_EQ(kernel_.Info("vg-lv")->open_count, 1u);
  ASSERT_TRUE(kernel_.Open("vg-top").ok());
  EXPECT_EQ(kernel_.Remove("vg-top").code(), Code::kBusy);
  ASSERT_TRUE(kernel_.Close("vg-top").ok());
  EXPECT_EQ(kernel_.Close("vg-top").code(), Code::kFailedPrecondition);
  ASSERT_TRUE(kernel_.Remove("vg-top").ok());
  ASSERT_TRUE(kernel_.Remove("vg-lv").ok());
  EXPECT_EQ(kernel_.Find("vg-lv"), nullptr);
  EXPECT_EQ(kernel_.Remove("vg-lv").code(), Code::kNotFound);
  EXPECT_EQ(trace_.Count("remove"), 2u);
}

TEST_F(KernelTest, RemoveFailsDeferredBios) {
  AddDisk(1000);
  Activate("lv", "0 100 linear 7:1 0");
  ASSERT_TRUE(kernel_.Suspend("lv").ok());
  std::vector<uint8_t> buf(kSectorSize);
  auto done = Start(kernel_.Find("lv"), Bio::Op::kRead, 0, 1, buf.data());
  ASSERT_TRUE(kernel_.Remove("lv").ok());
  sched_.RunUntilIdle();
  ASSERT_TRUE(done->has_value());
  EXPECT_EQ((*done)->code(), Code::kIOError);
}

TEST_F(KernelTest, StackedDevicesAndCyclesRefused) {
  AddDisk(1000);
  Activate("a", "0 100 linear 7:1 100");
  Activate("b", "0 50 linear a 10");
  ASSERT_TRUE(Write("b", 0, Pattern(9, 5)).ok());
  EXPECT_EQ(DiskSectors(0, 110, 5), Pattern(9, 5));
  Status st = kernel_.Load("a", "0 50 linear b 0");
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(st.message().find("depend on itself"), std::string::npos) << st.message();
  EXPECT_EQ(*kernel_.Deps("b"), (std::vector<DevNo>{{254, 0}}));
}

TEST_F(KernelTest, PreflushGoesToEveryDeviceBeforeTheData) {
  AddDisk(1000);
  AddDisk(1000);
  Activate("lv", "0 100 linear 7:1 0\n100 100 linear 7:2 0");
  kernel_.set_trace_io(true);
  std::vector<std::string> events;
  trace_.Subscribe([&](std::string_view type, const std::string& line) {
    if (type != "bio-submit" && type != "bio-complete") return;
    const size_t dev = line.find("\"dev\":");
    const size_t op = line.find("\"op\":");
    events.push_back(std::string(type) + " " + line.substr(dev + 7, 3) + " " +
                     line.substr(op + 6, line.find('"', op + 6) - op - 6));
  });
  ASSERT_TRUE(Write("lv", 10, Pattern(1, 4), Bio::kPreflush).ok());
  EXPECT_EQ(events, (std::vector<std::string>{"bio-submit pv1 flush", "bio-submit pv2 flush",
                                              "bio-complete pv1 flush", "bio-complete pv2 flush",
                                              "bio-submit pv1 write", "bio-complete pv1 write"}));
}

// A target that records its hooks, fails preresume on demand and raises an
// event on "raise": exercises the registry and the hook order.
struct HookLog {
  std::vector<std::string> calls;
  bool fail_preresume = false;
};
HookLog* g_log = nullptr;

class HookTarget : public Target {
 public:
  HookTarget(const TargetArgs& args) : scheduler_(*args.scheduler), device_(args.device) {}
  std::string type() const override { return "hooks"; }
  void Map(Bio bio, uint64_t) override { CompleteLater(scheduler_, std::move(bio), Status::Ok()); }
  std::string TableArgs() const override { return ""; }
  std::string StatusInfo() const override { return "ok"; }
  Status Message(const std::vector<std::string>& argv) override {
    if (argv[0] != "raise") return Target::Message(argv);
    scheduler_.After(500, [d = device_] { d->RaiseEvent(); });
    return Status::Ok();
  }
  void Presuspend() override { g_log->calls.push_back("presuspend"); }
  void Postsuspend() override { g_log->calls.push_back("postsuspend"); }
  Status Preresume() override {
    g_log->calls.push_back("preresume");
    return g_log->fail_preresume ? IOError("no") : Status::Ok();
  }
  void Resume() override { g_log->calls.push_back("resume"); }

 private:
  engine::Scheduler& scheduler_;
  Device* device_;
};

TEST_F(KernelTest, HooksRunInOrderAndPreresumeFailureKeepsDeviceSuspended) {
  HookLog log;
  g_log = &log;
  RegisterTarget("hooks", [](const TargetArgs& a) -> Result<std::unique_ptr<Target>> {
    return std::unique_ptr<Target>(std::make_unique<HookTarget>(a));
  });
  Activate("h", "0 10 hooks");
  EXPECT_EQ(log.calls, (std::vector<std::string>{"preresume", "resume"}));
  EXPECT_EQ(*kernel_.StatusLines("h"), "0 10 hooks ok");
  log.calls.clear();
  log.fail_preresume = true;
  ASSERT_TRUE(kernel_.Suspend("h").ok());
  EXPECT_FALSE(kernel_.Resume("h").ok());
  EXPECT_TRUE(kernel_.Find("h")->suspended());
  log.fail_preresume = false;
  ASSERT_TRUE(kernel_.Resume("h").ok());
  EXPECT_EQ(log.calls, (std::vector<std::string>{"presuspend", "postsuspend", "preresume",
                                                 "preresume", "resume"}));
  // Messages reach the target; waiting sees the event it raises.
  EXPECT_EQ(kernel_.Message("h", 20, {"raise"}).code(), Code::kInvalidArgument);
  EXPECT_EQ(kernel_.Message("h", 0, {"bogus"}).code(), Code::kInvalidArgument);
  ASSERT_TRUE(kernel_.Message("h", 5, {"raise"}).ok());
  Result<uint32_t> ev = kernel_.WaitEvent("h", 0);
  ASSERT_TRUE(ev.ok()) << ev.status().message();
  EXPECT_EQ(*ev, 1u);
  EXPECT_EQ(kernel_.WaitEvent("h", 1, sched_.now_ns() + 1000).status().code(), Code::kBusy);
  g_log = nullptr;
}

TEST_F(KernelTest, DiskQueueDepthSerialisesIo) {
  store::DiskModel model;
  model.write_latency_ns = 1000;
  model.queue_depth = 1;
  AddDisk(1000, model);
  std::vector<uint8_t> a = Pattern(1, 1), b = Pattern(2, 1);
  BlockDevice* disk = kernel_.Resolve("7:1");
  auto da = Start(disk, Bio::Op::kWrite, 0, 1, a.data());
  auto db = Start(disk, Bio::Op::kWrite, 1, 1, b.data());
  sched_.RunUntil([&] { return da->has_value(); });
  EXPECT_EQ(sched_.now_ns(), 1000u);
  EXPECT_FALSE(db->has_value());
  sched_.RunUntilIdle();
  EXPECT_EQ(sched_.now_ns(), 2000u);
}

uint64_t ScenarioHash() {
  engine::Scheduler sched;
  engine::Trace trace(&sched);
  store::DiskModel model;
  model.write_latency_ns = 300;
  model.read_latency_ns = 100;
  store::DiskOptions options;
  options.model = model;
  store::Disk d1("pv1", store::NewMemImage(1 << 20), options);
  store::Disk d2("pv2", store::NewMemImage(1 << 20), options);
  Kernel k(sched, &trace);
  k.AddDisk(&d1, 1);
  k.AddDisk(&d2, 2);
  k.set_trace_io(true);
  EXPECT_TRUE(k.Create("lv", "").ok());
  EXPECT_TRUE(k.Load("lv", "0 1024 striped 2 8 7:1 0 7:2 0").ok());
  EXPECT_TRUE(k.Resume("lv").ok());
  std::vector<uint8_t> buf(64 * kSectorSize, 1);
  for (int i = 0; i < 20; ++i) {
    k.Find("lv")->Submit(
        Bio{Bio::Op::kWrite, static_cast<uint64_t>(i * 13), 20, 0, buf.data(), [](Status) {}});
  }
  EXPECT_TRUE(k.Suspend("lv").ok());
  EXPECT_TRUE(k.Load("lv", "0 1024 linear 7:2 100").ok());
  EXPECT_TRUE(k.Resume("lv").ok());
  sched.RunUntilIdle();
  return trace.hash();
}

TEST_F(KernelTest, SameScenarioSameTraceHash) {
  const uint64_t h = ScenarioHash();
  EXPECT_EQ(h, ScenarioHash());
  EXPECT_NE(h, 0u);
}

}  // namespace
}  // namespace lvlab::dm
