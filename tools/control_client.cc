// The client ends of live mode: forwarding a command to the daemon of a lab,
// and lvlab umount.
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>
#include <thread>

#include "fuse/control.h"
#include "tools/daemon.h"

namespace lvlab::tools {
namespace fs = std::filesystem;

namespace {

// "\040" and friends, as /proc/self/mountinfo escapes blanks and '\'.
std::string Unescape(const std::string& s) {
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\\' && i + 3 < s.size()) {
      const std::string oct = s.substr(i + 1, 3);
      if (oct.size() == 3 && oct.find_first_not_of("01234567") == std::string::npos) {
        out.push_back(static_cast<char>(std::stoi(oct, nullptr, 8)));
        i += 3;
        continue;
      }
    }
    out.push_back(s[i]);
  }
  return out;
}

// The mount source ("lvlab:LAB") of the lvlab mount on `mountpoint`, or "".
std::string MountSource(const std::string& mountpoint) {
  std::ifstream in("/proc/self/mountinfo");
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    size_t dash = 0;
    while (dash < w.size() && w[dash] != "-") ++dash;
    if (w.size() < 5 || dash + 2 >= w.size()) continue;
    if (Unescape(w[4]) != mountpoint || w[dash + 1] != "fuse.lvlab") continue;
    return Unescape(w[dash + 2]);
  }
  return "";
}

// True until the process is gone or is a zombie whose threads have all
// exited (only then are its files, and the lab lock, closed).
bool Alive(pid_t pid) {
  if (pid <= 0 || (::kill(pid, 0) != 0 && errno != EPERM)) return false;
  const std::string proc = "/proc/" + std::to_string(pid);
  std::ifstream stat(proc + "/stat");
  std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
  const size_t paren = text.rfind(')');
  const bool zombie = paren != std::string::npos && text.size() > paren + 2 && text[paren + 2] == 'Z';
  if (!zombie) return true;
  std::error_code ec;
  size_t tasks = 0;
  for (auto it = fs::directory_iterator(proc + "/task", ec); !ec && it != fs::directory_iterator();
       it.increment(ec)) {
    ++tasks;
  }
  return tasks > 1;
}

}  // namespace

std::optional<int> ForwardToDaemon(const std::string& lab, const std::vector<std::string>& args) {
  const std::string path = (fs::path(lab) / "run" / "control").string();
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return std::nullopt;
  auto fd = fuse::ConnectControl(fs::absolute(path).string());
  if (!fd.ok()) return std::nullopt;  // stale: the next mount replaces it
  std::error_code ec;
  fuse::ControlRequest req{fs::current_path(ec).string(), args};
  if (!fuse::WriteFrame(*fd, fuse::kFrameCommand, fuse::EncodeRequest(req)).ok()) {
    ::close(*fd);
    return std::nullopt;
  }
  for (;;) {
    auto frame = fuse::ReadFrame(*fd);
    if (!frame.ok() || !*frame) break;
    const auto& [kind, payload] = **frame;
    if (kind == fuse::kFrameOut) {
      std::cout << payload << std::flush;
    } else if (kind == fuse::kFrameErr) {
      std::cerr << payload << std::flush;
    } else if (kind == fuse::kFrameExit && payload.size() == 4) {
      ::close(*fd);
      int code = 0;
      for (int i = 0; i < 4; ++i) code |= int{static_cast<unsigned char>(payload[i])} << (8 * i);
      return code;
    }
  }
  ::close(*fd);
  std::cerr << "  the daemon serving " << lab << " went away before answering\n";
  return 5;
}

int RunUmount(const std::string& mountpoint_arg) {
  std::error_code ec;
  const std::string mnt = fs::absolute(mountpoint_arg, ec).lexically_normal().string();
  const std::string source = MountSource(mnt);
  if (source.rfind("lvlab:", 0) != 0) {
    std::cerr << "  " << mnt << " is not an lvlab mount\n";
    return 5;
  }
  const std::string lab = source.substr(6);
  std::ifstream pid_file(lab + "/run/pid");
  long pid = 0;
  pid_file >> pid;
  if (!Alive(static_cast<pid_t>(pid))) {
    // The daemon is gone (killed): only the kernel's mount is left.
    const pid_t child = ::fork();
    if (child == 0) {
      ::execlp("fusermount3", "fusermount3", "-u", "-z", mnt.c_str(), static_cast<char*>(nullptr));
      ::_exit(127);
    }
    int status = 0;
    if (child > 0) ::waitpid(child, &status, 0);
    std::cerr << "  the daemon of " << lab << " was gone; detached its stale mount " << mnt
              << "\n";
    return 0;
  }
  ::kill(static_cast<pid_t>(pid), SIGTERM);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (Alive(static_cast<pid_t>(pid))) {
    if (std::chrono::steady_clock::now() > deadline) {
      std::cerr << "  the daemon (pid " << pid << ") did not stop within 120 s\n";
      return 5;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return 0;
}

}  // namespace lvlab::tools
