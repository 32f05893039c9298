// The live daemon's life: lock the lab, detect stale run files, fork (unless
// -f), boot the machine, mount, listen, serve, and on SIGTERM or unmount
// flush, save and clean up.
#include "tools/daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "sim/base/thread_name.h"
#include "sim/lvm/image_store.h"
#include "tools/daemon_internal.h"

namespace lvlab::tools {
namespace fs = std::filesystem;

namespace {

constexpr uint64_t kTickNs = 200'000'000;

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream buf;
  buf << in.rdbuf();
  return buf.str();
}

bool ProcessAlive(pid_t pid) { return pid > 0 && (::kill(pid, 0) == 0 || errno == EPERM); }

// Runs a program without a shell; returns its exit status (-1 if it could
// not run).
int RunProgram(const std::vector<std::string>& argv) {
  const pid_t pid = ::fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    std::vector<char*> a;
    for (const std::string& w : argv) a.push_back(const_cast<char*>(w.c_str()));
    a.push_back(nullptr);
    const int null = ::open("/dev/null", O_RDWR);
    if (null >= 0) ::dup2(null, 1), ::dup2(null, 2);
    ::execvp(a[0], a.data());
    ::_exit(127);
  }
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// What the daemon tells the waiting parent: "" = ready, else the error.
void Report(int fd, const std::string& message) {
  if (fd < 0) return;
  const std::string m = message.empty() ? std::string("ok") : message;
  (void)!::write(fd, m.data(), m.size());
  ::close(fd);
}

Result<std::unique_ptr<lvm::Lab>> OpenLab(const std::string& lab,
                                          std::shared_ptr<store::PowerDomain> power) {
  lvm::LabOptions o = RealLabOptions(lab, "lvlab mount");
  o.disk.volatile_cache = true;  // a power cut (lvlab crash) loses unflushed writes
  o.disk.background_writeback = true;  // the FUSE threads seldom wait for the image
  o.power = std::move(power);
  return lvm::Lab::Open(lvm::NewDirImageStore(lab + "/pvs"), std::move(o));
}

// Boots the machine, mounts, listens and writes LAB/run/pid.
Status Start(Daemon& d, const MountRequest& req) {
  d.saved_state = ReadFile(d.RunPath("kernel"));
  const std::string lab = d.lab;
  LVLAB_ASSIGN_OR_RETURN(
      d.machine,
      fuse::LiveMachine::Boot([lab](std::shared_ptr<store::PowerDomain> power) {
        return OpenLab(lab, std::move(power));
      }, d.saved_state, EntropySeed()));
  fuse::MountOptions mo;
  mo.mountpoint = req.mountpoint;
  mo.allow_other = req.allow_other;
  mo.fsname = "lvlab:" + lab;
  d.fs = std::make_unique<fuse::LvFs>(d.machine.get(), mo);
  d.fs->Refresh();
  LVLAB_RETURN_IF_ERROR(d.fs->Mount());
  auto control = fuse::ControlServer::Listen(
      d.RunPath("control"),
      [&d](const fuse::ControlRequest& r, int fd) { ServeCommand(d, r, fd); });
  if (!control.ok()) {
    d.fs->Unmount();
    return control.status();
  }
  d.control = std::move(*control);
  return WriteFileAtomic(d.RunPath("pid"),
                         std::to_string(::getpid()) + "\n" + req.mountpoint + "\n");
}

// After the loop: answers waiting commands, flushes, saves, stops the
// engine, then the control server (answering late commands).
void Shutdown(Daemon& d, std::thread& engine) {
  d.fs->Unmount();
  d.machine->Inject([&d] {
    d.StopWaiting();
    if (!d.machine->power_cut_pending()) {
      (void)d.machine->FlushDisks();
      d.SaveState();
    }
    d.machine->Stop();
  });
  engine.join();
  // Commands that arrive from now on are dropped: their guards answer.
  std::atomic<bool> draining{true};
  std::thread drainer([&d, &draining] {
    while (draining.load()) {
      d.machine->sys().scheduler().TakeInjected();
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  });
  d.control->Stop();
  draining.store(false);
  drainer.join();
  d.machine->sys().scheduler().TakeInjected();
  ::unlink(d.RunPath("pid").c_str());
}

// Everything after the fork: returns the exit code; reports readiness on
// `ready_fd` (closed by then).
int Serve(const MountRequest& req, const std::string& lab, int lock_fd, int ready_fd) {
  // Commands run inside the daemon must not wait for its terminal: a
  // question (lvremove of an active LV without -y) reads end of file.
  if (const int null = ::open("/dev/null", O_RDONLY); null >= 0) ::dup2(null, 0);
  Daemon d;
  d.lab = lab;
  if (Status st = Start(d, req); !st.ok()) {
    Report(ready_fd, st.message());
    return 5;
  }
  std::thread engine([&d] {
    NameThisThread("lvlab engine");
    d.machine->Run([&d] { d.Tick(); }, kTickNs);
  });
  std::atomic<bool> done{false};
  std::thread invalidator([&d, &done] {
    NameThisThread("lvlab inval");
    while (!done.load()) {
      d.fs->Invalidate();
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  Report(ready_fd, "");
  d.fs->Loop();  // until SIGTERM, SIGINT, SIGHUP or an unmount
  done.store(true);
  invalidator.join();
  Shutdown(d, engine);
  ::close(lock_fd);
  return 0;
}

// Takes LAB/run/lock for the daemon's life: the fd, or -1 (said why).
// Replaces the run files a killed daemon left.
int LockLab(const std::string& lab) {
  std::error_code ec;
  fs::create_directories(fs::path(lab) / "run", ec);
  const std::string run = lab + "/run/";
  const int lock_fd = ::open((run + "lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock_fd < 0) {
    std::cerr << "  cannot open " << run << "lock; is the lab directory writable?\n";
    return -1;
  }
  const std::string pid_text = ReadFile(run + "pid");
  const pid_t old_pid = static_cast<pid_t>(std::atol(pid_text.c_str()));
  // A daemon that is stopping (or was just killed) lets go within moments.
  bool locked = false;
  for (int i = 0; i < 50 && !(locked = ::flock(lock_fd, LOCK_EX | LOCK_NB) == 0); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  if (!locked) {
    if (ProcessAlive(old_pid)) {
      std::string where = pid_text.substr(pid_text.find('\n') + 1);
      if (!where.empty() && where.back() == '\n') where.pop_back();
      std::cerr << "  lab " << lab << " is already served by a live daemon (pid " << old_pid
                << ", mounted on " << where << "); run lvlab umount " << where
                << " first\n";
    } else {
      std::cerr << "  lab " << lab << " is busy: another lvlab command or a background "
                << "pvmove holds " << run << "lock; wait for it and try again\n";
    }
    ::close(lock_fd);
    return -1;
  }
  if (!pid_text.empty()) {
    std::cerr << "  Found stale run files of daemon pid " << old_pid
              << " (it did not shut down cleanly); replacing them and booting the machine "
              << "as after a power loss.\n";
    ::unlink((run + "pid").c_str());
    ::unlink((run + "control").c_str());
  }
  return lock_fd;
}

// Forks the daemon; returns once it reports the mount ready (0) or failed.
int Daemonize(const MountRequest& req, const std::string& lab, int lock_fd) {
  const std::string run = lab + "/run/";
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) return 5;
  std::cout.flush();
  std::cerr.flush();
  const pid_t pid = ::fork();
  if (pid < 0) {
    std::cerr << "  cannot fork the daemon\n";
    ::close(pipe_fds[0]), ::close(pipe_fds[1]), ::close(lock_fd);
    return 5;
  }
  if (pid == 0) {
    ::close(pipe_fds[0]);
    ::setsid();
    const int null = ::open("/dev/null", O_RDWR);
    const int log = ::open((run + "log").c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    if (null >= 0) ::dup2(null, 0);
    if (log >= 0) ::dup2(log, 1), ::dup2(log, 2);
    ::_exit(Serve(req, lab, lock_fd, pipe_fds[1]));
  }
  ::close(pipe_fds[1]);
  ::close(lock_fd);
  std::string message;
  char buf[512];
  for (;;) {
    const ssize_t n = ::read(pipe_fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    message.append(buf, static_cast<size_t>(n));
  }
  ::close(pipe_fds[0]);
  if (message == "ok") return 0;
  std::cerr << "  " << (message.empty() ? "the daemon died while starting; see " + run + "log"
                                        : message)
            << "\n";
  return 5;
}

}  // namespace

int RunMountDaemon(const MountRequest& request) {
  MountRequest req = request;
  std::error_code ec;
  const std::string lab = fs::absolute(req.lab, ec).lexically_normal().string();
  if (!fs::is_directory(fs::path(lab) / "pvs", ec)) {
    std::cerr << "  lab directory " << lab << " has no PVs; create one first (lvlab --lab "
              << req.lab << " pvcreate pv1 --size 1G)\n";
    return 5;
  }
  req.mountpoint = fs::absolute(req.mountpoint, ec).lexically_normal().string();
  struct stat st {};
  if (::stat(req.mountpoint.c_str(), &st) != 0 && errno == ENOTCONN) {
    // A mount left by a daemon that was killed: detach it.
    (void)RunProgram({"fusermount3", "-u", "-z", req.mountpoint});
  }
  if (::stat(req.mountpoint.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
    std::cerr << "  mount point " << req.mountpoint << " is not a directory; create it first\n";
    return 5;
  }
  const int lock_fd = LockLab(lab);
  if (lock_fd < 0) return 5;
  if (req.foreground) return Serve(req, lab, lock_fd, -1);
  return Daemonize(req, lab, lock_fd);
}

}  // namespace lvlab::tools
