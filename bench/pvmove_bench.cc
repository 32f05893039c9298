// Benchmark (ctest label bench): pvmove throughput against plain copies.
//
// A linear LV full of data (LVLAB_BENCH_GIB, default 4 GiB) is moved between
// two sparse image files by pvmove (mirror + kcopyd through the dm stack,
// durable at the end). The same bytes are copied between files with
// copy_file_range and with pread/pwrite of 1 MiB buffers (each into a fresh
// file, fdatasync included). To be fair to each, every timing starts from a
// cold page cache with nothing dirty (sync, then drop_caches when writable,
// else POSIX_FADV_DONTNEED on every file) and every copy writes into
// unallocated blocks (the region a move leaves is punched). The three run in
// rounds (LVLAB_BENCH_ROUNDS, default 2), the pvmove moving back and forth;
// the best time of each method counts (LVLAB_BENCH_GIB=0 skips them). Prints GB/s and the ratio of
// pvmove to the best plain copy (target >= 0.8). Then a sparse LV (1 TiB virtual, 1 GiB written) is
// moved: its time is compared to the dense move of the same amount of data, and the bytes kcopyd
// read are printed.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
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

void Die(const std::string& what) {
  std::fprintf(stderr, "pvmove_bench: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

// Writes `bytes` of non-zero data at `offset` of `path`, 1 MiB at a time.
void FillFile(const std::string& path, uint64_t offset, uint64_t bytes, uint64_t stride) {
  int fd = open(path.c_str(), O_WRONLY);
  if (fd < 0) Die(path);
  std::vector<char> buf(1 << 20);
  for (uint64_t done = 0; done < bytes; done += buf.size()) {
    for (size_t i = 0; i < buf.size(); i += 4096) std::memcpy(&buf[i], &done, sizeof done);
    if (pwrite(fd, buf.data(), buf.size(), static_cast<off_t>(offset + done * stride)) < 0) {
      Die(path);
    }
  }
  fdatasync(fd);
  close(fd);
}

// Deallocates [offset, offset + bytes) of `path`: the next write there
// allocates blocks again, as a write into a fresh file does.
void Punch(const std::string& path, uint64_t offset, uint64_t bytes) {
  int fd = open(path.c_str(), O_WRONLY);
  if (fd < 0 || fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                          static_cast<off_t>(offset), static_cast<off_t>(bytes)) != 0) {
    Die("punching " + path);
  }
  close(fd);
}

// Starts a timing from a cold page cache with nothing dirty. Returns how.
const char* ColdCache(const std::vector<std::string>& files) {
  sync();
  if (FILE* f = std::fopen("/proc/sys/vm/drop_caches", "w")) {
    const bool ok = std::fputs("3\n", f) >= 0;
    if (std::fclose(f) == 0 && ok) return "drop_caches";
  }
  for (const std::string& path : files) {
    int fd = open(path.c_str(), O_RDONLY);
    if (fd < 0) continue;
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    close(fd);
  }
  return "fadvise DONTNEED";
}

double CopyFileRange(const std::string& src, const std::string& dst, uint64_t bytes) {
  int in = open(src.c_str(), O_RDONLY), out = open(dst.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (in < 0 || out < 0) Die("copy_file_range " + src);
  auto t0 = Clock::now();
  loff_t ioff = kPeStart, ooff = kPeStart;
  uint64_t left = bytes;
  while (left) {
    ssize_t n = copy_file_range(in, &ioff, out, &ooff, left, 0);
    if (n <= 0) Die("copy_file_range " + src);
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
  if (in < 0 || out < 0) Die("pread/pwrite " + src);
  std::vector<char> buf(1 << 20);
  auto t0 = Clock::now();
  for (uint64_t off = 0; off < bytes; off += buf.size()) {
    if (pread(in, buf.data(), buf.size(), static_cast<off_t>(kPeStart + off)) < 0 ||
        pwrite(out, buf.data(), buf.size(), static_cast<off_t>(kPeStart + off)) < 0) {
      Die("pread/pwrite " + src);
    }
  }
  fdatasync(out);
  const double s = Seconds(t0);
  close(in);
  close(out);
  std::filesystem::remove(dst);
  return s;
}

// A lab of two PVs, src and dst, of `pv_bytes` in `dir`, with lv0 of
// `lv_extents` on src. Moves run with the drive caches off and a flush
// reaching the file system (durable at the end, as the plain copies).
class BenchLab {
 public:
  BenchLab(const std::string& dir, uint64_t pv_bytes, uint64_t lv_extents) : dir_(dir) {
    std::filesystem::create_directories(dir);
    LabOptions o;
    o.disk.volatile_cache = false;
    o.disk.sync_on_flush = true;
    o.command_line = "pvmove_bench";
    lab_ = std::move(Lab::Open(NewDirImageStore(dir), o)).value();
    sys_ = std::make_unique<System>(lab_.get(), nullptr);
    Context ctx{*sys_, out_, err_};
    Check(Pvcreate(ctx, "src", pv_bytes, kPeStart), "pvcreate src");
    Check(Pvcreate(ctx, "dst", pv_bytes, kPeStart), "pvcreate dst");
    Check(Vgcreate(ctx, {"vg0", {"src", "dst"}, 4 << 20}), "vgcreate");
    LvcreateArgs a;
    a.vg = "vg0", a.name = "lv0", a.extents = std::to_string(lv_extents), a.pvs = {"src"};
    a.zero = false;
    Check(Lvcreate(ctx, a), "lvcreate");
  }

  std::string Image(const std::string& pv) const { return dir_ + "/" + pv + ".img"; }

  // Moves lv0 from `from` to `to`; returns the seconds it took.
  double Move(const std::string& from, const std::string& to) {
    Context ctx{*sys_, out_, err_};
    PvmoveArgs m;
    m.source = from;
    m.dests = {to};
    m.interval_ns = 1'000'000'000;
    auto t0 = Clock::now();
    Check(Pvmove(ctx, m), "pvmove");
    return Seconds(t0);
  }

  uint64_t bytes_read() const { return sys_->kernel().copier().stats().bytes_read; }

 private:
  std::string dir_;
  std::ostringstream out_, err_;
  std::unique_ptr<Lab> lab_;
  std::unique_ptr<System> sys_;
};

uint64_t EnvOr(const char* name, uint64_t fallback) {
  const char* env = std::getenv(name);
  return env ? std::strtoull(env, nullptr, 10) : fallback;
}

int Run() {
  const uint64_t gib = EnvOr("LVLAB_BENCH_GIB", 4);
  const uint64_t rounds = std::max<uint64_t>(1, EnvOr("LVLAB_BENCH_ROUNDS", 2));
  const uint64_t bytes = gib << 30;
  const std::string root = std::filesystem::temp_directory_path() / "lvlab-pvmove-bench";
  std::filesystem::remove_all(root);

  // Dense: rounds of copy_file_range, pread/pwrite and pvmove of the same
  // bytes, each from a cold cache; the move goes back and forth.
  double best_cfr = 1e99, best_prw = 1e99, best_move = 1e99;
  if (gib > 0) {
    BenchLab lab(root + "/dense", bytes + (8 << 20), bytes >> 22);
    std::string from = "src", to = "dst";
    FillFile(lab.Image(from), kPeStart, bytes, 1);
    const std::vector<std::string> files = {lab.Image("src"), lab.Image("dst")};
    const char* how = "";
    for (uint64_t r = 1; r <= rounds; ++r) {
      how = ColdCache(files);
      const double cfr = CopyFileRange(lab.Image(from), root + "/copy", bytes);
      ColdCache(files);
      const double prw = PreadPwrite(lab.Image(from), root + "/copy", bytes);
      ColdCache(files);
      const double move = lab.Move(from, to);
      Punch(lab.Image(from), kPeStart, bytes);
      std::printf(
          "round %llu: copy_file_range %.2f GB/s, pread/pwrite 1 MiB %.2f GB/s, "
          "pvmove %s to %s %.2f GB/s\n",
          static_cast<unsigned long long>(r), bytes / cfr / 1e9, bytes / prw / 1e9, from.c_str(),
          to.c_str(), bytes / move / 1e9);
      std::fflush(stdout);
      best_cfr = std::min(best_cfr, cfr);
      best_prw = std::min(best_prw, prw);
      best_move = std::min(best_move, move);
      std::swap(from, to);
    }
    std::printf(
        "best of %llu rounds, each from a cold cache (%s), %llu GiB: copy_file_range "
        "%.2f GB/s, pread/pwrite %.2f GB/s\n",
        static_cast<unsigned long long>(rounds), how, static_cast<unsigned long long>(gib),
        bytes / best_cfr / 1e9, bytes / best_prw / 1e9);
    std::printf(
        "pvmove of a %llu GiB linear LV full of data: %.2f s, %.2f GB/s; ratio to the "
        "best plain copy %.2f (target >= 0.8)\n",
        static_cast<unsigned long long>(gib), best_move, bytes / best_move / 1e9,
        std::min(best_cfr, best_prw) / best_move);
  }
  std::filesystem::remove_all(root + "/dense");

  // Sparse: a 1 TiB LV with 1 GiB written, 1 MiB every 1 GiB / 1024 * 1024.
  const uint64_t tib = 1ULL << 40;
  BenchLab sparse(root + "/sparse", tib + (8 << 20), tib >> 22);
  FillFile(sparse.Image("src"), kPeStart, 1ULL << 30, 1024);  // 1 MiB written every 1 GiB
  ColdCache({sparse.Image("src"), sparse.Image("dst")});
  const double sparse_s = sparse.Move("src", "dst");
  if (gib == 0) {  // LVLAB_BENCH_GIB=0: the sparse move alone
    std::printf(
        "pvmove of a sparse LV (1 TiB virtual, 1 GiB written): %.2f s, kcopyd read %.2f GiB\n",
        sparse_s, sparse.bytes_read() / double(1ULL << 30));
    std::filesystem::remove_all(root);
    return 0;
  }
  const double dense_per_gib = best_move / double(gib);
  std::printf(
      "pvmove of a sparse LV (1 TiB virtual, 1 GiB written): %.2f s, kcopyd read %.2f GiB; "
      "the dense move of 1 GiB takes %.2f s: ratio %.2f (proportional to data, not size)\n",
      sparse_s, sparse.bytes_read() / double(1ULL << 30), dense_per_gib, sparse_s / dense_per_gib);
  std::filesystem::remove_all(root);
  return 0;
}

}  // namespace
}  // namespace lvlab::lvm

int main() { return lvlab::lvm::Run(); }
