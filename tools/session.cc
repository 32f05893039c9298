#include "tools/session.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

#include "sim/lvm/image_store.h"

namespace lvlab::tools {
namespace fs = std::filesystem;

std::string ResolveLabDir(const std::string& flag) {
  if (!flag.empty()) return flag;
  if (const char* env = std::getenv("LVLAB_DIR"); env && *env) return env;
  return "lab";
}

uint64_t EntropySeed() {
  std::random_device rd;  // the entropy adapter: never used in simulated mode
  return (uint64_t{rd()} << 32) ^ rd();
}

Status WriteFileAtomic(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return IOError("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) return IOError("cannot rename " + tmp);
  return Status::Ok();
}

namespace {

std::string Hostname() {
  char buf[256] = {};
  if (gethostname(buf, sizeof buf - 1) != 0 || !buf[0]) return "lvlab";
  return buf;
}

}  // namespace

lvm::LabOptions RealLabOptions(const std::string& dir, const std::string& command_line) {
  lvm::LabOptions opt;
  opt.id_seed = EntropySeed();
  opt.host = Hostname();
  opt.now_seconds = [] {
    return static_cast<int64_t>(std::chrono::duration_cast<std::chrono::seconds>(
        std::chrono::system_clock::now().time_since_epoch()).count());
  };
  opt.command_line = command_line;
  // The drives' hardware faults live in LAB/faults/PV (`lvlab fault`).
  opt.faults = [faults = (fs::path(dir) / "faults").string()](const std::string& pv) {
    std::ifstream in(fs::path(faults) / pv);
    if (!in) return store::DiskFaults{};
    std::stringstream buf;
    buf << in.rdbuf();
    Result<store::DiskFaults> f = store::DiskFaults::Parse(buf.str());
    if (!f.ok()) {
      std::cerr << "  WARNING: ignoring " << fs::path(faults) / pv << ": " << f.status().message()
                << "\n";
      return store::DiskFaults{};
    }
    return *f;
  };
  // lvm.conf settings (the fault policies) live in LAB/lvm.conf.
  if (std::ifstream conf(fs::path(dir) / "lvm.conf"); conf) {
    std::stringstream buf;
    buf << conf.rdbuf();
    if (Status st = opt.config.Apply(buf.str()); !st.ok()) {
      std::cerr << "  WARNING: ignoring " << fs::path(dir) / "lvm.conf"
                << ": " << st.message() << "\n";
    }
  }
  const std::string archive = (fs::path(dir) / "archive").string();
  opt.archive = [archive](const lvm::VolumeGroup& vg, const std::string& text) {
    char name[64];
    std::snprintf(name, sizeof name, "_%05llu.vg", static_cast<unsigned long long>(vg.seqno));
    (void)WriteFileAtomic(archive + "/" + vg.name + name, text);
  };
  return opt;
}

Result<std::unique_ptr<Session>> LabSession::Open(const std::string& dir,
                                               const std::string& command_line, bool create) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    if (!create) {
      return NotFound("lab directory " + dir + " does not exist; create a PV first " +
                      "(lvlab --lab " + dir + " pvcreate pv1 --size 1G) or pass --lab");
    }
  }
  for (const char* sub : {"pvs", "archive", "run"}) {
    if (create || fs::is_directory(dir, ec)) fs::create_directories(fs::path(dir) / sub, ec);
    if (ec) return IOError("cannot create " + (fs::path(dir) / sub).string() + ": " + ec.message());
  }
  std::unique_ptr<LabSession> s(new LabSession());
  s->dir_ = dir;
  const std::string lock = (fs::path(dir) / "run" / "lock").string();
  s->lock_fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (s->lock_fd_ < 0) return IOError("cannot open " + lock + "; is the lab directory writable?");
  bool locked = false;
  for (int i = 0; i < 30 && !(locked = ::flock(s->lock_fd_, LOCK_EX | LOCK_NB) == 0); ++i) {
    // A live daemon holds the lab for its whole life: waiting would hang,
    // unless it is stopping (lvlab umount), which takes moments.
    std::ifstream pid_file(fs::path(dir) / "run" / "pid");
    long pid = 0;
    if (!(pid_file >> pid) || pid <= 0 || ::kill(static_cast<pid_t>(pid), 0) != 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!locked) {
    std::ifstream pid_file(fs::path(dir) / "run" / "pid");
    long pid = 0;
    if (pid_file >> pid && pid > 0 && ::kill(static_cast<pid_t>(pid), 0) == 0) {
      return Busy("lab " + dir + " is held by the live daemon (pid " + std::to_string(pid) +
                  ") but its control socket does not answer; stop it with lvlab umount");
    }
    if (::flock(s->lock_fd_, LOCK_EX) != 0) return IOError("cannot lock " + lock);
  }
  lvm::LabOptions opt = RealLabOptions(dir, command_line);
  opt.disk.volatile_cache = false;  // no power-loss model without a daemon
  LVLAB_ASSIGN_OR_RETURN(s->lab_, lvm::Lab::Open(lvm::NewDirImageStore((fs::path(dir) / "pvs").string()),
                                                  std::move(opt)));
  s->sys_ = std::make_unique<lvm::System>(s->lab_.get(), engine::NewRealClock());
  s->ctx_ = std::make_unique<lvm::Context>(lvm::Context{*s->sys_, std::cout, std::cerr});
  std::ifstream state(fs::path(dir) / "run" / "kernel");
  if (state) {
    std::stringstream buf;
    buf << state.rdbuf();
    auto parsed = lvm::KernelState::Parse(buf.str());
    if (!parsed.ok()) {
      std::cerr << "  WARNING: " << parsed.status().message() << "; treating it as a reboot\n";
    } else if (Status st = s->sys_->Restore(*parsed); !st.ok()) {
      std::cerr << "  WARNING: could not restore the kernel's devices (" << st.message()
                << "); treating it as a reboot\n";
    }
  }
  return std::unique_ptr<Session>(std::move(s));
}

Status LabSession::Close() {
  if (closed_) return Status::Ok();
  closed_ = true;
  Status st;
  if (sys_) {
    sys_->scheduler().RunUntilIdle();
    st = WriteFileAtomic((fs::path(dir_) / "run" / "kernel").string(), sys_->Save().Serialize());
  }
  for (lvm::LabPv* pv : lab_ ? lab_->pvs() : std::vector<lvm::LabPv*>{}) {
    if (!pv->disk) continue;
    (void)pv->disk->Flush();
    const fs::path file = fs::path(dir_) / "faults" / pv->name;
    std::error_code ec;
    if (pv->disk->faults().any()) {
      fs::create_directories(file.parent_path(), ec);
      if (Status w = WriteFileAtomic(file.string(), pv->disk->faults().Serialize()); !w.ok()) {
        if (st.ok()) st = w;
      }
    } else {
      fs::remove(file, ec);
    }
  }
  if (lock_fd_ >= 0) ::close(lock_fd_);
  lock_fd_ = -1;
  return st;
}

LabSession::~LabSession() { (void)Close(); }

}  // namespace lvlab::tools
