// A lab mounted live in a temporary directory, for the tests labelled
// `mount`: runs the lvlab binary (each call under `timeout`, so nothing
// hangs), and always unmounts in TearDown, even after a failure.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace lvlab::testing {

struct Outcome {
  int code;
  std::string out;
  std::string err;
};

class MountTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (access("/dev/fuse", R_OK | W_OK) != 0) {
      GTEST_SKIP() << "/dev/fuse is missing or not usable here: live mode cannot be tested";
    }
    char tmpl[] = "/tmp/lvlab-mount-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    mnt_ = dir_ + "/mnt";
    std::filesystem::create_directories(mnt_);
  }
  void TearDown() override {
    if (dir_.empty()) return;
    Lvlab("umount " + mnt_);
    KillDaemon(SIGKILL);
    Sh("fusermount3 -u -z " + mnt_ + " 2>/dev/null");
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }

  static std::string Slurp(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  int Sh(const std::string& cmd) {
    const int status = std::system(cmd.c_str());
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  // lvlab --lab LAB args, at most `seconds` long.
  Outcome Lvlab(const std::string& args, int seconds = 120) {
    const std::string out = dir_ + "/out", err = dir_ + "/err";
    const int code = Sh("timeout -k 5 " + std::to_string(seconds) + " " + LVLAB_BINARY +
                        " --lab " + dir_ + "/lab " + args + " >" + out + " 2>" + err +
                        " </dev/null");
    return Outcome{code, Slurp(out), Slurp(err)};
  }
  void Must(const std::string& args, int seconds = 120) {
    Outcome r = Lvlab(args, seconds);
    ASSERT_EQ(r.code, 0) << "lvlab " << args << "\n" << r.out << r.err;
  }
  void Mount() { Must("mount " + mnt_, 60); }
  pid_t DaemonPid() {
    long pid = 0;
    std::ifstream(dir_ + "/lab/run/pid") >> pid;
    return static_cast<pid_t>(pid);
  }
  // Until the process is gone or a zombie with every thread exited (its
  // adopter may reap it late; a killed FUSE daemon's threads exit one by one).
  static bool Running(pid_t pid) {
    if (pid <= 0 || kill(pid, 0) != 0) return false;
    const std::string proc = "/proc/" + std::to_string(pid);
    const std::string stat = Slurp(proc + "/stat");
    const size_t paren = stat.rfind(')');
    if (paren == std::string::npos || stat.size() < paren + 3 || stat[paren + 2] != 'Z') {
      return true;
    }
    std::error_code ec;
    size_t tasks = 0;
    for (auto it = std::filesystem::directory_iterator(proc + "/task", ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ++tasks;
    }
    return tasks > 1;
  }
  void KillDaemon(int sig) {
    const pid_t pid = DaemonPid();
    if (pid <= 0 || kill(pid, sig) != 0) return;
    for (int i = 0; i < 1000 && Running(pid); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::string Lv(const std::string& vg_lv) { return mnt_ + "/" + vg_lv; }

  std::string dir_, mnt_;
};

}  // namespace lvlab::testing
