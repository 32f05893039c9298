// Benchmark (ctest label bench): vg_read and vg_write of a large VG.
//
// A VG of 8 PVs, 1,000 LVs and 10,000 segments on real sparse image files.
// vg_read = opening the lab (label, mda header and text of every PV, parsed)
// plus picking and parsing the VG; vg_write = LVM's vg_write + vg_commit
// (export, self-check parse, precommit and commit on all 8 PVs). Target:
// each well under 50 ms.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <sstream>
#include <vector>

#include "sim/lvm/commands.h"
#include "sim/lvm/image_store.h"
#include "sim/lvm/vg_text.h"

namespace lvlab::lvm {
namespace {

using Clock = std::chrono::steady_clock;

double Ms(Clock::time_point a, Clock::time_point b) {
  return std::chrono::duration<double, std::milli>(b - a).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

std::unique_ptr<Lab> OpenLab(const std::string& dir) {
  LabOptions o;
  o.disk.volatile_cache = false;
  o.command_line = "metadata_bench";
  return std::move(Lab::Open(NewDirImageStore(dir), o)).value();
}

int Run() {
  char tmpl[] = "/tmp/lvlab-bench-XXXXXX";
  if (!mkdtemp(tmpl)) return 1;
  const std::string dir = std::string(tmpl) + "/pvs";
  {
    auto lab = OpenLab(dir);
    for (int i = 0; i < 8; ++i) {
      // 8 MiB metadata areas (pvcreate --pe-start 8M): the text is ~2 MB.
      LVLAB_CHECK(lab->CreatePv("pv" + std::to_string(i), 64ULL << 30, 8 << 20).ok());
    }
    System sys(lab.get(), nullptr);
    std::ostringstream out, err;
    Context ctx{sys, out, err};
    std::vector<std::string> names;
    for (int i = 0; i < 8; ++i) names.push_back("pv" + std::to_string(i));
    LVLAB_CHECK(Vgcreate(ctx, {"vg0", names, 4 << 20}).ok());
    VgRead r = std::move(lab->ReadVg("vg0")).value();
    // 1,000 LVs of 10 one-extent segments, round-robin over the PVs.
    std::vector<uint64_t> next_pe(8, 0);
    for (int l = 0; l < 1000; ++l) {
      LogicalVolume lv;
      lv.name = "lv" + std::to_string(l);
      lv.id = lab->NewId();
      lv.status = {kRead, kWrite, kVisible};
      lv.creation_host = "bench";
      for (int s = 0; s < 10; ++s) {
        const int p = (l + s) % 8;
        Segment seg;
        seg.start_extent = s;
        seg.extent_count = 1;
        seg.areas = {{Area::Kind::kPv, r.vg.pvs[p].key, next_pe[p]++}};
        lv.segments.push_back(seg);
      }
      r.vg.lvs.push_back(std::move(lv));
    }
    std::vector<double> writes;
    size_t text_size = 0;
    for (int i = 0; i < 9; ++i) {
      auto t0 = Clock::now();
      LVLAB_CHECK(lab->WriteVg(r.vg).ok());
      writes.push_back(Ms(t0, Clock::now()));
      text_size = lab->FindPv("pv0")->text->size();
    }
    std::vector<double> formats;
    for (int i = 0; i < 9; ++i) {
      auto t0 = Clock::now();
      std::string t = FormatVgRaw(r.vg, TextHeader{});
      formats.push_back(Ms(t0, Clock::now()));
    }
    std::printf("VG: 8 PVs, %zu LVs, 10000 segments; metadata text %zu bytes\n", r.vg.lvs.size(),
                text_size);
    std::printf("vg_write (export + precommit + commit on 8 PVs): median %.2f ms, max %.2f ms "
                "(target < 50 ms)\n",
                Median(writes), *std::max_element(writes.begin(), writes.end()));
    std::printf("  of which the text export: median %.2f ms\n", Median(formats));
  }
  std::vector<double> reads, parses, trees;
  for (int i = 0; i < 9; ++i) {
    auto t0 = Clock::now();
    auto lab = OpenLab(dir);
    auto r = lab->ReadVg("vg0");
    auto t1 = Clock::now();
    LVLAB_CHECK(r.ok() && r->vg.lvs.size() == 1000);
    reads.push_back(Ms(t0, t1));
    auto t2 = Clock::now();
    LVLAB_CHECK(ParseVgText(*lab->FindPv("pv0")->text).ok());
    parses.push_back(Ms(t2, Clock::now()));
    auto t3 = Clock::now();
    LVLAB_CHECK(ParseConfig(*lab->FindPv("pv0")->text).ok());
    trees.push_back(Ms(t3, Clock::now()));
  }
  std::printf("vg_read (scan 8 PVs: labels, headers, texts parsed; pick newest): median %.2f ms, "
              "max %.2f ms (target < 50 ms)\n",
              Median(reads), *std::max_element(reads.begin(), reads.end()));
  std::printf("  of which one text parse: median %.2f ms (config tree alone %.2f ms)\n",
              Median(parses), Median(trees));
  std::filesystem::remove_all(tmpl);
  return 0;
}

}  // namespace
}  // namespace lvlab::lvm

int main() { return lvlab::lvm::Run(); }
