// Benchmark (ctest label bench): the cost of copy-on-write.
//
// On a simulated machine (memory PVs, a drive model of 100 us reads, 200 us
// writes, 200 MiB/s, virtual time), 4 KiB random writes at iodepth 8 go to a
// 256 MiB origin full of data: once without a snapshot, once with a 256 MiB snapshot
// (4 KiB chunks) taken just before. Each first write to a chunk waits for
// the old chunk's copy and the exception store's commit. Prints the virtual
// time of each run, their ratio (snapshot / plain), the chunks copied and
// the bytes the disks wrote, and the wall time of each run. Deterministic:
// the same build prints the same virtual figures.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "sim/base/rng.h"
#include "sim/lvm/commands.h"
#include "sim/lvm/machine.h"

namespace lvlab::lvm {
namespace {

constexpr uint64_t kWrites = 20000;
constexpr uint32_t kIodepth = 8;
constexpr uint64_t kLvBlocks = (256ULL << 20) / 4096;

void Check(const Status& st, const char* what) {
  if (!st.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, st.message().c_str());
    std::exit(1);
  }
}

struct Run {
  double virtual_s = 0;
  double wall_s = 0;
  uint64_t chunks_copied = 0;
  uint64_t disk_bytes_written = 0;
};

Run RandomWrites(bool snapshot) {
  MachineOptions o;
  o.seed = 5;
  o.disk.model.read_latency_ns = 100'000;
  o.disk.model.write_latency_ns = 200'000;
  o.disk.model.bandwidth_bytes_per_sec = 200ULL << 20;
  Machine m(o);
  Context& c = m.ctx();
  for (const char* pv : {"pv1", "pv2"}) Check(Pvcreate(c, pv, 1ULL << 30, 1 << 20), "pvcreate");
  Check(Vgcreate(c, {"vg0", {"pv1", "pv2"}, 4 << 20}), "vgcreate");
  LvcreateArgs a;
  a.vg = "vg0", a.name = "lv0", a.size_bytes = 256ULL << 20, a.pvs = {"pv1"};
  Check(Lvcreate(c, a), "lvcreate");
  // The origin is full of data first: a copy of a hole would be a discard.
  for (uint64_t off = 0; off < (256ULL << 20); off += 1 << 20) {
    Check(WriteDevice(m.sys(), "vg0-lv0", off, std::vector<uint8_t>(1 << 20, 0x33)), "fill");
  }
  if (snapshot) {
    a.name = "snap", a.pvs = {"pv2"}, a.snapshot_origin = "lv0";
    Check(Lvcreate(c, a), "lvcreate -s");
  }
  dm::BlockDevice* dev = m.sys().kernel().Find("vg0-lv0");
  engine::Scheduler& sched = m.sys().scheduler();
  const uint64_t copies0 = m.sys().kernel().copier().stats().jobs;
  uint64_t written0 = 0;
  for (LabPv* pv : m.lab().pvs()) written0 += pv->disk->stats().bytes_written;
  Rng rng = Rng(7).Derive("snapshot-bench");
  std::vector<uint8_t> buf(4096, 0x5a);
  uint64_t issued = 0, done = 0;
  uint32_t in_flight = 0;
  std::function<void()> issue = [&] {
    while (in_flight < kIodepth && issued < kWrites) {
      ++issued, ++in_flight;
      const uint64_t block = rng.Uniform(kLvBlocks);
      dev->Submit(engine::Bio{engine::Bio::Op::kWrite, block * 8, 8, 0, buf.data(), [&](Status st) {
                                Check(st, "write");
                                --in_flight, ++done;
                                issue();
                              }});
    }
  };
  const uint64_t t0 = sched.now_ns();
  const auto w0 = std::chrono::steady_clock::now();
  issue();
  sched.RunUntil([&] { return done == kWrites; });
  Run r;
  r.virtual_s = double(sched.now_ns() - t0) / 1e9;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - w0).count();
  r.chunks_copied = m.sys().kernel().copier().stats().jobs - copies0;
  for (LabPv* pv : m.lab().pvs()) r.disk_bytes_written += pv->disk->stats().bytes_written;
  r.disk_bytes_written -= written0;
  return r;
}

}  // namespace
}  // namespace lvlab::lvm

int main() {
  using lvlab::lvm::RandomWrites;
  const auto plain = RandomWrites(false);
  const auto snap = RandomWrites(true);
  std::printf("4k random writes, iodepth 8, %llu writes on a 256 MiB origin (virtual time)\n",
              static_cast<unsigned long long>(lvlab::lvm::kWrites));
  std::printf("  no snapshot:   %.3f s virtual, %.3f s wall, %llu MiB written to disks\n",
              plain.virtual_s, plain.wall_s,
              static_cast<unsigned long long>(plain.disk_bytes_written >> 20));
  std::printf(
      "  with snapshot: %.3f s virtual, %.3f s wall, %llu MiB written, %llu chunks copied\n",
      snap.virtual_s, snap.wall_s, static_cast<unsigned long long>(snap.disk_bytes_written >> 20),
      static_cast<unsigned long long>(snap.chunks_copied));
  std::printf("  copy-on-write overhead: %.2fx the time without a snapshot\n",
              snap.virtual_s / plain.virtual_s);
  return snap.chunks_copied > 0 && snap.virtual_s > plain.virtual_s ? 0 : 1;
}
