// Benchmark (ctest label bench): merging back a raid1 image split off with
// --trackchanges copies only the regions written meanwhile.
//
// On a simulated machine (memory PVs, 100 us reads, 200 us writes,
// 200 MiB/s, virtual time) a 10 GiB raid1 LV (--nosync, 2 MiB regions) has
// its second image split off with --trackchanges; 1% (then 5%) of its
// regions are rewritten whole; lvconvert --merge puts the image back. Prints
// the regions recovered, the bytes kcopyd wrote (which must equal the dirty
// regions' size) and the virtual time of the recovery, which follows it.
#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>
#include <vector>

#include "sim/base/rng.h"
#include "sim/lvm/machine.h"
#include "sim/lvm/raid.h"
#include "sim/lvm/snapshot.h"

namespace lvlab::lvm {
namespace {

constexpr uint64_t kGiB = 1ULL << 30;
constexpr uint64_t kRegionBytes = 2 << 20;

void Check(const Status& st, const char* what) {
  if (!st.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, st.message().c_str());
    std::exit(1);
  }
}

struct Run {
  uint64_t dirty = 0;
  uint64_t recovered = 0;
  uint64_t bytes_copied = 0;
  double seconds = 0;
};

Run MergeAfterSplit(uint64_t percent) {
  MachineOptions o;
  o.seed = 9;
  o.disk.model.read_latency_ns = 100'000;
  o.disk.model.write_latency_ns = 200'000;
  o.disk.model.bandwidth_bytes_per_sec = 200ULL << 20;
  Machine m(o);
  Context& c = m.ctx();
  for (const char* pv : {"pv1", "pv2"}) Check(Pvcreate(c, pv, 11 * kGiB, 1 << 20), "pvcreate");
  Check(Vgcreate(c, {"vg0", {"pv1", "pv2"}, 4 << 20}), "vgcreate");
  LvcreateArgs a;
  a.vg = "vg0", a.name = "r0", a.size_bytes = 10 * kGiB, a.type = "raid1", a.mirrors = 1;
  a.nosync = true;
  Check(Lvcreate(c, a), "lvcreate --type raid1");
  engine::Scheduler& sched = m.sys().scheduler();
  sched.RunUntil([] { return false; }, sched.now_ns() + 10'000'000'000);
  LvconvertSplitArgs split;
  split.lv = "vg0/r0", split.trackchanges = true;
  Check(LvconvertSplitMirrors(c, split), "lvconvert --splitmirrors 1 --trackchanges");
  Run r;
  const uint64_t regions = 10 * kGiB / kRegionBytes;
  std::set<uint64_t> dirty;
  Rng rng = Rng(percent).Derive("raid-bench");
  while (dirty.size() < regions * percent / 100) dirty.insert(rng.Uniform(regions));
  for (uint64_t region : dirty) {
    Check(WriteDevice(m.sys(), "vg0-r0", region * kRegionBytes,
                      std::vector<uint8_t>(kRegionBytes, static_cast<uint8_t>(region | 1))),
          "write");
  }
  r.dirty = dirty.size();
  bool in_sync = false;
  m.sys().trace().Subscribe([&](std::string_view type, const std::string&) {
    if (type == "raid-region-recovered") ++r.recovered;
    if (type == "raid-in-sync") in_sync = true;
  });
  const uint64_t written0 = m.sys().kernel().copier().stats().bytes_written;
  const uint64_t t0 = sched.now_ns();
  LvconvertMergeArgs merge;
  merge.lv = "vg0/r0_rimage_1";
  Check(LvconvertMerge(c, merge), "lvconvert --merge");
  sched.RunUntil([&] { return in_sync; });
  r.seconds = double(sched.now_ns() - t0) / 1e9;
  r.bytes_copied = m.sys().kernel().copier().stats().bytes_written - written0;
  return r;
}

}  // namespace
}  // namespace lvlab::lvm

int main() {
  int failures = 0;
  std::printf("raid1 10 GiB, 2 MiB regions: merge of an image split with --trackchanges\n");
  for (uint64_t percent : {1, 5}) {
    const auto r = lvlab::lvm::MergeAfterSplit(percent);
    const uint64_t expected = r.dirty * lvlab::lvm::kRegionBytes;
    std::printf(
        "  %2llu%% of regions written: %llu dirty, %llu recovered, %llu MiB copied "
        "(dirty regions: %llu MiB), %.3f s virtual\n",
        static_cast<unsigned long long>(percent), static_cast<unsigned long long>(r.dirty),
        static_cast<unsigned long long>(r.recovered),
        static_cast<unsigned long long>(r.bytes_copied >> 20),
        static_cast<unsigned long long>(expected >> 20), r.seconds);
    if (r.recovered != r.dirty || r.bytes_copied != expected) ++failures;
  }
  return failures == 0 ? 0 : 1;
}
