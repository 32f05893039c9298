// Benchmark (ctest label bench): pvmove throughput against plain copies.
//
// A linear LV full of data (LVLAB_BENCH_GIB, default 4 GiB) is moved between
// two sparse image files by pvmove (mirror + kcopyd through the dm stack,
// durable at the end); in the same run the same bytes are copied between
// files with copy_file_range and with pread/pwrite of 1 MiB buffers (each
// into a fresh file, fdatasync included). Prints GB/s and the ratio of
// pvmove to the best plain copy (target >= 0.8). Then a sparse LV (1 TiB
// virtual, 1 GiB written) is moved: its time is compared to the dense move
// of the same amount of data, and the bytes kcopyd read are printed.
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <sstream>
#include <string>
#include <vector>

#include "sim/lvm/commands.h"
#include "sim/lvm/image_store.h"
#include "sim/lvm/pvmove.h"

namespace lvlab::lvm {
namespace {

using Clock = std::chrono::steady_clock;
constexpr uint64_t kPeStart = 1 << 20;

double Seconds(Clock::time_point a) {
  return std::chrono::duration<double>(Clock::now() - a).count();
}

void Check(const Status& st, const char* what) {
  if (!st.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, st.message().c_str());
    std::exit(1);
  }
}

// Writes `bytes` of non-zero data at `offset` of `path`, 1 MiB at a time.
void FillFile(const std::string& path, uint64_t offset, uint64_t bytes, uint64_t stride) {
  int fd = open(path.c_str(), O_WRONLY);
  std::vector<char> buf(1 << 20);
  for (uint64_t done = 0; done < bytes; done += buf.size()) {
    for (size_t i = 0; i < buf.size(); i += 4096) std::memcpy(&buf[i], &done, sizeof done);
    if (pwrite(fd, buf.data(), buf.size(), static_cast<off_t>(offset + done * stride)) < 0) std::exit(1);
  }
  fdatasync(fd);
  close(fd);
}

double CopyFileRange(const std::string& src, const std::string& dst, uint64_t bytes) {
  int in = open(src.c_str(), O_RDONLY), out = open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  auto t0 = Clock::now();
  loff_t ioff = kPeStart, ooff = kPeStart;
  uint64_t left = bytes;
  while (left) {
    ssize_t n = copy_file_range(in, &ioff, out, &ooff, left, 0);
    if (n <= 0) std::exit(1);
    left -= static_cast<uint64_t>(n);
  }
  fdatasync(out);
  const double s = Seconds(t0);
  close(in);
  close(out);
  std::filesystem::remove(dst);
  return s;
}

double PreadPwrite(const std::string& src, const std::string& dst, uint64_t bytes) {
  int in = open(src.c_str(), O_RDONLY), out = open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::vector<char> buf(1 << 20);
  auto t0 = Clock::now();
  for (uint64_t off = 0; off < bytes; off += buf.size()) {
    if (pread(in, buf.data(), buf.size(), static_cast<off_t>(kPeStart + off)) < 0 ||
        pwrite(out, buf.data(), buf.size(), static_cast<off_t>(kPeStart + off)) < 0) {
      std::exit(1);
    }
  }
  fdatasync(out);
  const double s = Seconds(t0);
  close(in);
  close(out);
  std::filesystem::remove(dst);
  return s;
}

struct MoveResult {
  double seconds;
  uint64_t bytes_read;
};

// A lab of two PVs of `pv_bytes` in `dir`, lv0 filled by `fill`, moved.
MoveResult Move(const std::string& dir, uint64_t pv_bytes, uint64_t lv_extents,
                const std::function<void(const std::string&)>& fill) {
  LabOptions o;
  o.disk.volatile_cache = false;
  o.disk.sync_on_flush = true;  // durable at the end, as the plain copies
  o.command_line = "pvmove_bench";
  auto lab = std::move(Lab::Open(NewDirImageStore(dir), o)).value();
  System sys(lab.get(), nullptr);
  std::ostringstream out, err;
  Context ctx{sys, out, err};
  Check(Pvcreate(ctx, "src", pv_bytes, kPeStart), "pvcreate src");
  Check(Pvcreate(ctx, "dst", pv_bytes, kPeStart), "pvcreate dst");
  Check(Vgcreate(ctx, {"vg0", {"src", "dst"}, 4 << 20}), "vgcreate");
  LvcreateArgs a;
  a.vg = "vg0", a.name = "lv0", a.extents = std::to_string(lv_extents), a.pvs = {"src"};
  a.zero = false;
  Check(Lvcreate(ctx, a), "lvcreate");
  fill(dir + "/src.img");
  PvmoveArgs m;
  m.source = "src";
  m.dests = {"dst"};
  m.interval_ns = 1'000'000'000;
  auto t0 = Clock::now();
  Check(Pvmove(ctx, m), "pvmove");
  const double s = Seconds(t0);
  return {s, sys.kernel().copier().stats().bytes_read};
}

int Run() {
  const char* env = std::getenv("LVLAB_BENCH_GIB");
  const uint64_t gib = env ? std::strtoull(env, nullptr, 10) : 4;
  const uint64_t bytes = gib << 30;
  const std::string root = std::filesystem::temp_directory_path() / "lvlab-pvmove-bench";
  std::filesystem::remove_all(root);
  std::filesystem::create_directories(root);

  // Dense: the plain copies first, of the bytes pvmove will move.
  double best = 0;
  MoveResult dense = Move(root + "/dense", bytes + (8 << 20), bytes >> 22, [&](const std::string& img) {
    FillFile(img, kPeStart, bytes, 1);
    const double cfr = CopyFileRange(img, root + "/copy1", bytes);
    const double prw = PreadPwrite(img, root + "/copy2", bytes);
    std::printf("plain copies of %llu GiB: copy_file_range %.2f GB/s, pread/pwrite 1 MiB %.2f GB/s\n",
                static_cast<unsigned long long>(gib), bytes / cfr / 1e9, bytes / prw / 1e9);
    best = std::min(cfr, prw);
  });
  std::printf("pvmove of a %llu GiB linear LV full of data: %.2f s, %.2f GB/s; ratio to the best "
              "plain copy %.2f (target >= 0.8)\n",
              static_cast<unsigned long long>(gib), dense.seconds, bytes / dense.seconds / 1e9,
              best / dense.seconds);
  std::filesystem::remove_all(root + "/dense");

  // Sparse: a 1 TiB LV with 1 GiB written, 1 MiB every 1 GiB / 1024 * 1024.
  const uint64_t tib = 1ULL << 40;
  MoveResult sparse = Move(root + "/sparse", tib + (8 << 20), tib >> 22, [&](const std::string& img) {
    FillFile(img, kPeStart, 1ULL << 30, 1024);  // 1 MiB written every 1 GiB
  });
  const double dense_per_gib = dense.seconds / double(gib);
  std::printf("pvmove of a sparse LV (1 TiB virtual, 1 GiB written): %.2f s, kcopyd read %.2f GiB; "
              "the dense move of 1 GiB takes %.2f s: ratio %.2f (proportional to data, not size)\n",
              sparse.seconds, sparse.bytes_read / double(1ULL << 30), dense_per_gib,
              sparse.seconds / dense_per_gib);
  std::filesystem::remove_all(root);
  return 0;
}

}  // namespace
}  // namespace lvlab::lvm

int main() { return lvlab::lvm::Run(); }
