#include "tools/live_scenario.h"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "scenarios/status_regex.h"
#include "sim/base/status.h"

extern char** environ;

namespace lvlab::tools {
namespace {

namespace fs = std::filesystem;
using scenarios::Step;

struct Child {
  int code = -1;  // exit status; -1: did not start or was killed
  std::string output;
};

// The absolute path of `program` along PATH, or "".
std::string FindProgram(const std::string& program) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path ? path : "/usr/bin:/bin");
  for (std::string dir; std::getline(dirs, dir, ':');) {
    const std::string candidate = (dir.empty() ? "." : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  }
  return "";
}

// Forks and execve's argv[0] (an absolute path) with the environment plus
// `env`, stdout and stderr into `out_fd`, in directory `cwd` if given (fio
// leaves its verify state files there). Returns the pid, or -1.
pid_t Spawn(const std::vector<std::string>& argv,
            const std::vector<std::pair<std::string, std::string>>& env, int out_fd,
            const std::string& cwd = "") {
  std::vector<std::string> envs;
  for (char** e = environ; *e; ++e) envs.emplace_back(*e);
  for (const auto& [k, v] : env) envs.push_back(k + "=" + v);
  std::vector<char*> args, envp;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  for (const std::string& e : envs) envp.push_back(const_cast<char*>(e.c_str()));
  args.push_back(nullptr);
  envp.push_back(nullptr);
  const pid_t pid = ::fork();
  if (pid != 0) return pid;
  ::dup2(out_fd, 1);
  ::dup2(out_fd, 2);
  if (const int null = ::open("/dev/null", O_RDONLY); null >= 0) ::dup2(null, 0);
  if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(127);
  ::execve(args[0], args.data(), envp.data());
  ::_exit(127);
}

int WaitFor(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Runs to completion, capturing the output.
Child Run(const std::vector<std::string>& argv,
          const std::vector<std::pair<std::string, std::string>>& env = {},
          const std::string& cwd = "") {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return {};
  const pid_t pid = Spawn(argv, env, fds[1], cwd);
  ::close(fds[1]);
  Child c;
  char buf[4096];
  for (ssize_t n; (n = ::read(fds[0], buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;
    c.output.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  if (pid > 0) c.code = WaitFor(pid);
  return c;
}

class LiveRun {
 public:
  LiveRun(const scenarios::Scenario& s, const scenarios::RunOptions& o)
      : s_(s), o_(o), out_(o.out ? *o.out : std::cout) {}

  int Play();

 private:
  struct Background {
    const Step* step;
    pid_t pid;
    std::string log;
    std::optional<int> code;  // once reaped
  };

  Child Lvlab(std::vector<std::string> words, bool quiet = false) {
    words.insert(words.begin(), {self_, "--lab", lab_});
    Child c = Run(words);
    if (o_.narrate && !quiet && !c.output.empty()) out_ << c.output;
    return c;
  }
  // One unmet expectation.
  struct Miss {
    std::string what, expected, seen;
  };
  // The expectations a live run can check, through the daemon's reports.
  std::vector<Miss> Check(const scenarios::Expectations& x);
  std::vector<Miss> CheckObject(const scenarios::ObjectExpect& o, bool pv);
  bool Setup();
  bool BuildLab();
  // "" when the step passed, else what was seen.
  std::string Act(const Step& step);
  std::vector<std::string> FioArgs(const scenarios::FioSpec& f) const;
  std::string Rewrite(const std::string& arg) const;
  std::string WaitFio();
  // Polls the daemon until `c` holds ("") or its timeout of real time
  // passes (what was seen last).
  std::string WaitUntil(const scenarios::Condition& c);
  bool Holds(const scenarios::Condition& c, std::string* seen);
  // The daemon's event counts since the scenario's start (`lvlab events`
  // less the baseline taken after the mount), or what went wrong.
  using Counts = std::map<std::string, uint64_t, std::less<>>;
  Result<Counts> Events();
  std::optional<Miss> CheckEvent(const scenarios::EventExpect& e, const Counts& counts);
  // `lvs -a` (or `pvs`) of one field of one object, without headings.
  Child Report(bool pv, const std::string& name, const std::string& field) {
    std::vector<std::string> w = {pv ? "pvs" : "lvs", "--noheadings", "-o", field, name};
    if (!pv) w.insert(w.begin() + 1, "-a");
    return Lvlab(w, /*quiet=*/true);
  }
  // Whether every background fio has exited (reaping those that have).
  bool FioDone();
  void Teardown(bool failed);
  int Fail(const Step* step, const std::string& expected, const std::string& seen);

  const scenarios::Scenario& s_;
  const scenarios::RunOptions& o_;
  std::ostream& out_;
  std::string self_, dir_, lab_, mnt_, fio_;
  bool mounted_ = false;
  std::vector<Background> background_;
  int logs_ = 0;
  Counts baseline_;  // the daemon's event counts when the first step began
};

bool LiveRun::Setup() {
  std::error_code ec;
  self_ = fs::read_symlink("/proc/self/exe", ec).string();
  std::string tmpl =
      (std::getenv("TMPDIR") ? std::string(std::getenv("TMPDIR")) : "/tmp") + "/lvlab-live-XXXXXX";
  if (ec || ::mkdtemp(tmpl.data()) == nullptr) return false;
  dir_ = tmpl;
  lab_ = dir_ + "/lab";
  mnt_ = dir_ + "/mnt";
  return fs::create_directories(lab_, ec) && fs::create_directories(mnt_, ec);
}

bool LiveRun::BuildLab() {
  const scenarios::LabSpec& lab = s_.lab;
  auto bytes = [](uint64_t b) { return std::to_string(b) + "b"; };
  for (const scenarios::PvSpec& pv : lab.pvs) {
    if (Lvlab({"pvcreate", pv.name, "--size", bytes(pv.size_bytes)}).code != 0) return false;
  }
  for (const scenarios::VgSpec& vg : lab.vgs) {
    std::vector<std::string> w = {"vgcreate", "-s", bytes(lab.extent_size_bytes), vg.name};
    w.insert(w.end(), vg.pvs.begin(), vg.pvs.end());
    if (Lvlab(w).code != 0) return false;
  }
  for (const scenarios::LvSpec& lv : lab.lvs) {
    std::vector<std::string> w = {"lvcreate", "-n", lv.name, lv.vg};
    if (lv.size_bytes) {
      w.insert(w.end(), {"-L", bytes(*lv.size_bytes)});
    } else {
      w.insert(w.end(), {"-l", std::to_string(lv.extents)});
      w.insert(w.end(), lv.ranges.begin(), lv.ranges.end());
    }
    if (Lvlab(w).code != 0) return false;
  }
  if (Lvlab({"mount", mnt_}).code != 0) return false;
  mounted_ = true;
  auto counts = Events();
  if (!counts.ok()) {
    out_ << "  lvlab events: " << counts.status().message() << "\n";
    return false;
  }
  baseline_ = *std::move(counts);
  return true;
}

Result<LiveRun::Counts> LiveRun::Events() {
  const Child c = Lvlab({"events"}, /*quiet=*/true);
  if (c.code != 0) return FailedPrecondition("exit " + std::to_string(c.code) + ": " + c.output);
  Counts counts;
  std::stringstream lines(c.output);
  std::string type;
  for (uint64_t n; lines >> type >> n;) {
    auto it = baseline_.find(type);
    counts[type] = n - std::min(n, it == baseline_.end() ? uint64_t{0} : it->second);
  }
  return counts;
}

std::optional<LiveRun::Miss> LiveRun::CheckEvent(const scenarios::EventExpect& e,
                                                 const Counts& counts) {
  auto it = counts.find(e.event);
  const uint64_t n = it == counts.end() ? 0 : it->second;
  const scenarios::Comparison cmp =
      e.count.value_or(scenarios::Comparison{scenarios::Comparison::Op::kGe, "1"});
  if (cmp.Matches(std::to_string(n))) return std::nullopt;
  std::string kinds;
  for (const auto& [type, count] : counts) {
    if (count > 0) kinds += (kinds.empty() ? "" : ", ") + type + " " + std::to_string(count);
  }
  return Miss{"expect events " + e.event, "count " + cmp.ToString(),
              std::to_string(n) + " (the trace has: " + kinds + ")"};
}

// An argument naming a mounted LV (vg0/lv0), possibly as an option's value
// (--filename=vg0/lv0, several joined by ':'), becomes the file's path; a
// relative job file missing here is looked for next to the scenario.
std::string LiveRun::Rewrite(const std::string& arg) const {
  const size_t eq = arg.find('=');
  const std::string prefix = eq == std::string::npos ? "" : arg.substr(0, eq + 1);
  std::string value = eq == std::string::npos ? arg : arg.substr(eq + 1);
  if (prefix.empty() && value.size() > 4 && value.compare(value.size() - 4, 4, ".fio") == 0 &&
      value[0] != '/') {
    // fio runs in the run's directory: relative job files become absolute.
    if (fs::exists(value)) return fs::absolute(value).string();
    const fs::path beside = fs::path(s_.file).parent_path() / value;
    if (fs::exists(beside)) return fs::absolute(beside).string();
  }
  if (!prefix.empty() || value.empty() || value[0] != '-') {
    std::string rewritten;
    std::stringstream parts(value);
    bool any = false;
    for (std::string part; std::getline(parts, part, ':');) {
      const bool lv = !part.empty() && part[0] != '/' && part.find('/') != std::string::npos &&
                      fs::is_regular_file(mnt_ + "/" + part);
      rewritten += (rewritten.empty() ? "" : ":") + (lv ? mnt_ + "/" + part : part);
      any |= lv;
    }
    if (any) return prefix + rewritten;
  }
  return arg;
}

std::vector<std::string> LiveRun::FioArgs(const scenarios::FioSpec& f) const {
  std::vector<std::string> argv = {fio_};
  for (const std::string& a : f.args) argv.push_back(Rewrite(a));
  return argv;
}

// A report's lines, trimmed, joined by one blank (as the simulated runner
// reads a field).
std::string Joined(const std::string& text) {
  std::string out;
  std::stringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    const size_t a = line.find_first_not_of(" \t");
    if (a == std::string::npos) continue;
    line = line.substr(a, line.find_last_not_of(" \t") - a + 1);
    out += (out.empty() ? "" : " ") + line;
  }
  return out;
}

bool LiveRun::FioDone() {
  bool done = true;
  for (Background& b : background_) {
    if (b.code) continue;
    int status = 0;
    const pid_t r = ::waitpid(b.pid, &status, WNOHANG);
    if (r == b.pid) {
      b.code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    } else if (r == 0 || errno == EINTR) {
      done = false;
    } else {
      b.code = -1;
    }
  }
  return done;
}

std::string LiveRun::WaitFio() {
  std::string seen;
  for (Background& b : background_) {
    const int code = b.code ? *b.code : WaitFor(b.pid);
    if (code != 0 && seen.empty()) {
      std::string log;
      if (FILE* f = std::fopen(b.log.c_str(), "r")) {
        char buf[4096];
        for (size_t n; (n = std::fread(buf, 1, sizeof buf, f)) > 0;) log.append(buf, n);
        std::fclose(f);
      }
      if (log.size() > 2000) log = "..." + log.substr(log.size() - 2000);
      seen = "step " + std::to_string(b.step->number) + "'s fio exited " + std::to_string(code) +
             ":\n" + log;
    }
  }
  background_.clear();
  return seen;
}

bool LiveRun::Holds(const scenarios::Condition& c, std::string* seen) {
  if (c.kind == scenarios::Condition::Kind::kIdle) {
    if (!FioDone()) {
      *seen = "a background fio is running";
      return false;
    }
    // A move in progress is an active pvmove LV (lv_attr p...a).
    const Child r = Lvlab({"lvs", "-a", "--noheadings", "-o", "lv_name,lv_attr"}, true);
    std::stringstream lines(r.output);
    for (std::string name, attr; lines >> name >> attr;) {
      if (attr.size() > 4 && attr[0] == 'p' && attr[4] == 'a') {
        *seen = "pvmove still polling (" + name + " is active)";
        return false;
      }
    }
    if (r.code != 0) *seen = "lvs exited " + std::to_string(r.code) + ": " + Joined(r.output);
    return r.code == 0;
  }
  if (c.kind == scenarios::Condition::Kind::kEvent) {
    auto counts = Events();
    if (!counts.ok()) {
      *seen = counts.status().message();
      return false;
    }
    auto it = counts->find(c.event);
    const std::string n = std::to_string(it == counts->end() ? 0 : it->second);
    *seen = n + " " + c.event + " event(s)";
    return c.cmp.Matches(n);
  }
  const Child r = Report(c.object_is_pv, c.object, c.field);
  const std::string value = Joined(r.output);
  if (r.code != 0) {
    *seen = value;
    return false;
  }
  *seen = c.field + " = \"" + value + "\"";
  return c.cmp.Matches(value);
}

std::string LiveRun::WaitUntil(const scenarios::Condition& c) {
  using Clock = std::chrono::steady_clock;
  const Clock::time_point deadline = Clock::now() + std::chrono::nanoseconds(c.timeout_ns);
  std::string seen;
  for (;;) {
    if (Holds(c, &seen)) return "";
    if (Clock::now() >= deadline) return "still false (real time); last seen: " + seen;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

std::string LiveRun::Act(const Step& step) {
  switch (step.action) {
    case Step::Action::kRun:
    case Step::Action::kCrash: {
      std::vector<std::string> words;
      if (step.action == Step::Action::kCrash) {
        words = {"crash", "--lose", store::LossPolicyName(step.lose)};
        if (step.during) {
          words.insert(words.end(), {"--during", step.during->what, "--count",
                                     std::to_string(step.during->count)});
          if (!step.during->pv.empty()) words.insert(words.end(), {"--pv", step.during->pv});
        } else if (step.crash_after_writes >= 0) {
          words.insert(words.end(), {"--writes", std::to_string(step.crash_after_writes)});
        }
      } else {
        std::stringstream ss(step.command);
        for (std::string w; ss >> w;) words.push_back(w);
      }
      const Child c = Lvlab(words);
      if (step.expect.error) {
        if (c.code != 0 && c.output.find(*step.expect.error) != std::string::npos) return "";
        return "exit " + std::to_string(c.code) + ": " + c.output;
      }
      if (c.code == 0 || step.may_fail) return "";
      return "exit " + std::to_string(c.code) + ": " + c.output;
    }
    case Step::Action::kFio: {
      std::vector<std::pair<std::string, std::string>> env = step.fio.env;
      env.emplace_back("LVLAB_MNT", mnt_);
      if (!step.fio.lv.empty()) env.emplace_back("LVLAB_LV", mnt_ + "/" + step.fio.lv);
      const std::vector<std::string> argv = FioArgs(step.fio);
      if (!step.fio.background) {
        const Child c = Run(argv, env, dir_);
        if (o_.narrate) out_ << c.output;
        if (c.code == 0) return "";
        return "fio exited " + std::to_string(c.code) + ":\n" + c.output;
      }
      const std::string log = dir_ + "/fio-" + std::to_string(++logs_) + ".log";
      const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
      const pid_t pid = fd < 0 ? -1 : Spawn(argv, env, fd, dir_);
      if (fd >= 0) ::close(fd);
      if (pid < 0) return "fio could not start";
      background_.push_back(Background{&step, pid, log, std::nullopt});
      return "";
    }
    case Step::Action::kWaitFio:
      return WaitFio();
    default:
      return "";  // the loader lets nothing else through
  }
}

std::vector<LiveRun::Miss> LiveRun::CheckObject(const scenarios::ObjectExpect& o, bool pv) {
  const std::string kind = pv ? "pvs" : "lvs";
  const std::string what = "expect " + kind + " " + o.name;
  auto report = [&](const std::string& field) { return Report(pv, o.name, field); };
  const bool exists = report(pv ? "pv_name" : "lv_name").code == 0;
  if (o.absent)
    return exists ? std::vector<Miss>{{what, "absent", "present"}} : std::vector<Miss>{};
  if (!exists) return {{what, "present", "absent"}};
  std::vector<Miss> misses;
  for (const auto& [field, cmp] : o.fields) {
    const Child c = report(field);
    const std::string value = Joined(c.output);
    if (c.code != 0) {
      misses.push_back({what + " " + field, cmp.ToString(), value});
    } else if (!cmp.Matches(value)) {
      misses.push_back({what + " " + field, cmp.ToString(), "\"" + value + "\""});
    }
  }
  return misses;
}

std::vector<LiveRun::Miss> LiveRun::Check(const scenarios::Expectations& x) {
  std::vector<Miss> misses;
  auto list = [](const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& i : items) out += (out.empty() ? "" : ", ") + i;
    return "[" + out + "]";
  };
  for (const auto& [lv, want] : x.segments) {
    // One line per segment, its areas as NAME(START) joined by commas.
    const Child c = Lvlab({"lvs", "--segments", "--noheadings", "-a", "-o", "devices", lv}, true);
    std::vector<std::string> seen;
    std::stringstream areas(Joined(c.output));
    for (std::string a; std::getline(areas, a, ' ');) {
      std::stringstream parts(a);
      for (std::string part; std::getline(parts, part, ',');) {
        if (!part.empty()) seen.push_back(part.substr(0, part.find('(')));
      }
    }
    if (c.code != 0) {
      misses.push_back({"expect segments " + lv, list(want), Joined(c.output)});
    } else if (seen != want) {
      misses.push_back({"expect segments " + lv, list(want), list(seen)});
    }
  }
  for (const scenarios::ObjectExpect& o : x.lvs) {
    for (Miss& m : CheckObject(o, false)) misses.push_back(std::move(m));
  }
  for (const scenarios::ObjectExpect& o : x.pvs) {
    for (Miss& m : CheckObject(o, true)) misses.push_back(std::move(m));
  }
  for (const auto& [dev, regex] : x.status) {
    const Child c = Lvlab({"dmsetup", "status", dev}, true);
    if (c.code != 0 || !scenarios::RegexSearch(c.output, regex)) {
      misses.push_back({"expect status " + dev, "matches /" + regex + "/", Joined(c.output)});
    }
  }
  if (!x.events.empty()) {
    auto counts = Events();
    if (!counts.ok()) {
      misses.push_back({"expect events", "the daemon's event counts", counts.status().message()});
      return misses;
    }
    for (const scenarios::EventExpect& e : x.events) {
      if (auto m = CheckEvent(e, *counts)) misses.push_back(std::move(*m));
    }
  }
  return misses;
}

void LiveRun::Teardown(bool failed) {
  (void)WaitFio();
  if (mounted_ && Lvlab({"umount", mnt_}).code != 0) {
    if (std::string f = FindProgram("fusermount3"); !f.empty()) Run({f, "-u", "-z", mnt_});
  }
  if (failed && o_.narrate) {
    out_ << "  the lab is kept in " << lab_ << "\n";
    return;
  }
  std::error_code ec;
  fs::remove_all(dir_, ec);
}

int LiveRun::Fail(const Step* step, const std::string& expected, const std::string& seen) {
  out_ << "FAIL " << s_.name << " (live)\n";
  if (step) {
    out_ << "  step " << step->number << " (" << s_.file << ":" << step->where.line
         << "): " << step->Describe() << "\n";
  }
  out_ << "  expected: " << expected << "\n  seen:     " << seen << "\n"
       << "  rerun:    lvlab run " << s_.file << " --narrate\n";
  Teardown(true);
  return scenarios::kExitFailed;
}

int LiveRun::Play() {
  if (::access("/dev/fuse", R_OK | W_OK) != 0) {
    out_ << "SKIP " << s_.name << ": /dev/fuse is missing or not usable here; a mount: true "
         << "scenario needs it\n";
    return kExitSkipped;
  }
  bool needs_fio = false;
  for (const Step& st : s_.steps) needs_fio |= st.action == Step::Action::kFio;
  fio_ = FindProgram("fio");
  if (needs_fio && fio_.empty()) {
    out_ << "SKIP " << s_.name << ": fio is not installed (not on PATH)\n";
    return kExitSkipped;
  }
  if (o_.check_determinism) {
    out_ << "  note: a mount: true scenario plays on the real clock; --check-determinism is "
         << "ignored\n";
  }
  const auto start = std::chrono::steady_clock::now();
  if (!Setup()) return Fail(nullptr, "a temporary lab directory", "cannot create one");
  if (!BuildLab())
    return Fail(nullptr, "the lab built and mounted", "a command failed (--narrate)");
  for (const Step& step : s_.steps) {
    if (o_.narrate) out_ << "-- step " << step.number << ": " << step.Describe() << "\n";
    const scenarios::Condition& c = step.condition;
    if (c.kind == scenarios::Condition::Kind::kAfter) {
      std::this_thread::sleep_for(std::chrono::nanoseconds(c.time_ns));
    } else if (c.kind != scenarios::Condition::Kind::kNone) {  // when: (the loader let no other)
      if (std::string seen = WaitUntil(c); !seen.empty()) {
        return Fail(&step, c.ToString() + " within " + scenarios::FormatDuration(c.timeout_ns),
                    seen);
      }
    }
    if (std::string seen = Act(step); !seen.empty()) {
      return Fail(&step, step.expect.error ? "fails with '" + *step.expect.error + "'" : "exit 0",
                  seen);
    }
    if (std::vector<Miss> misses = Check(step.expect); !misses.empty()) {
      std::string expected, seen;
      for (const Miss& m : misses) {
        expected += (expected.empty() ? "" : "; ") + m.what + " " + m.expected;
        seen += (seen.empty() ? "" : "; ") + m.what + ": " + m.seen;
      }
      return Fail(&step, expected, seen);
    }
  }
  if (std::string seen = WaitFio(); !seen.empty()) return Fail(nullptr, "every fio exits 0", seen);
  Teardown(false);
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  out_ << "PASS " << s_.name << ": " << s_.steps.size() << " steps (live, "
       << static_cast<int>(secs * 10) / 10.0 << " s)\n";
  return scenarios::kExitPass;
}

}  // namespace

int RunLiveScenario(const scenarios::Scenario& scenario, const scenarios::RunOptions& options) {
  return LiveRun(scenario, options).Play();
}

}  // namespace lvlab::tools
