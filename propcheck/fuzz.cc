#include "propcheck/fuzz.h"

#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <ostream>
#include <sstream>

namespace lvlab::propcheck {
namespace {

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Writes all of `s` to fd.
void WriteAll(int fd, const std::string& s) {
  size_t done = 0;
  while (done < s.size()) {
    ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n <= 0) return;
    done += static_cast<size_t>(n);
  }
}

// One job: its seeds until the budget; one line per case to `fd`:
// "case 0|1 FILE" then "cov KEY" lines.
void RunJob(const FuzzOptions& o, int job, int fd, Clock::time_point t0) {
  for (uint64_t k = 0;; ++k) {
    const uint64_t index = k * static_cast<uint64_t>(o.jobs) + static_cast<uint64_t>(job);
    if (o.max_cases && index >= o.max_cases) break;
    if (Since(t0) >= o.seconds) break;
    const uint64_t seed = o.first_seed + index;
    CaseOutcome c = RunCase(seed, o.cases);
    std::string lines;
    for (const std::string& key : c.coverage) lines += "cov " + key + "\n";
    std::string file = "-";
    if (c.failed) {
      file = "fail-seed-" + std::to_string(seed) + ".yaml";
      std::ofstream f(o.out_dir + "/" + file);
      const std::string rerun = RerunCommand(file, c.yaml, o.cases.bugs);
      f << "# lvlab fuzz case seed " << seed << "; reproduce with: " << rerun << "\n";
      std::istringstream report(c.report);
      for (std::string line; std::getline(report, line);) f << "# " << line << "\n";
      f << c.yaml;
    }
    lines += "case " + std::string(c.failed ? "1 " : "0 ") + file + "\n";
    WriteAll(fd, lines);
    if (c.failed && o.stop_at_first_failure) break;
  }
}

void Absorb(const std::string& line, FuzzSummary* s) {
  if (line.rfind("cov ", 0) == 0) {
    s->coverage.insert(line.substr(4));
  } else if (line.rfind("case ", 0) == 0) {
    ++s->cases;
    if (line[5] == '1') {
      ++s->failures;
      s->reproducers.push_back(line.substr(7));
    }
  }
}

void WriteSummary(const FuzzOptions& o, const FuzzSummary& s) {
  std::ofstream f(o.out_dir + "/summary.txt");
  f << "cases " << s.cases << "\nfailures " << s.failures << "\nseconds " << s.seconds
    << "\nfirst_seed " << o.first_seed << "\n";
  for (const std::string& key : s.coverage) f << "state " << key << "\n";
  for (const std::string& r : s.reproducers) f << "reproducer " << r << "\n";
}

}  // namespace

void PrintSummary(const FuzzSummary& s, std::ostream& out) {
  for (const std::string& r : s.reproducers) out << "  reproducer: " << r << "\n";
  out << s.cases << " cases, " << s.failures << " failures (" << s.coverage.size()
      << " states covered, " << static_cast<uint64_t>(s.seconds) << "s)\n";
}

FuzzSummary RunFuzz(const FuzzOptions& o) {
  std::filesystem::create_directories(o.out_dir);
  const Clock::time_point t0 = Clock::now();
  FuzzSummary s;
  std::vector<pid_t> pids;
  std::vector<int> fds;
  for (int j = 0; j < std::max(o.jobs, 1); ++j) {
    int p[2];
    if (::pipe(p) != 0) break;
    std::fflush(nullptr);
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(p[0]);
      RunJob(o, j, p[1], t0);
      ::close(p[1]);
      ::_exit(0);
    }
    ::close(p[1]);
    pids.push_back(pid);
    fds.push_back(p[0]);
  }
  std::map<int, std::string> partial;
  double last_print = 0;
  size_t open = fds.size();
  while (open > 0) {
    std::vector<pollfd> polls;
    for (int fd : fds) {
      if (fd >= 0) polls.push_back({fd, POLLIN, 0});
    }
    ::poll(polls.data(), polls.size(), 1000);
    for (const pollfd& p : polls) {
      if (!(p.revents & (POLLIN | POLLHUP))) continue;
      char buf[4096];
      const ssize_t n = ::read(p.fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(p.fd);
        for (int& fd : fds) {
          if (fd == p.fd) fd = -1;
        }
        --open;
        continue;
      }
      std::string& text = partial[p.fd];
      text.append(buf, static_cast<size_t>(n));
      size_t nl;
      while ((nl = text.find('\n')) != std::string::npos) {
        Absorb(text.substr(0, nl), &s);
        text.erase(0, nl + 1);
      }
    }
    const double t = Since(t0);
    if (o.progress && (t - last_print >= 1.0 || open == 0)) {
      last_print = t;
      char line[160];
      std::snprintf(line, sizeof line,
                    "fuzz: %llu cases, %.1f cases/s, %zu states covered, %llu failures\n",
                    static_cast<unsigned long long>(s.cases), t > 0 ? double(s.cases) / t : 0.0,
                    s.coverage.size(), static_cast<unsigned long long>(s.failures));
      *o.progress << line << std::flush;
    }
  }
  for (pid_t pid : pids) {
    int status = 0;
    ::waitpid(pid, &status, 0);
  }
  s.seconds = Since(t0);
  WriteSummary(o, s);
  return s;
}

FuzzSummary MergeSummaries(const std::vector<std::string>& dirs, std::string* error) {
  FuzzSummary s;
  for (const std::string& dir : dirs) {
    std::ifstream f(dir + "/summary.txt");
    if (!f) {
      *error = dir + "/summary.txt: cannot read it; is " + dir + " the --out of a fuzz run?";
      return s;
    }
    for (std::string line; std::getline(f, line);) {
      std::istringstream w(line);
      std::string key;
      w >> key;
      std::string rest = line.size() > key.size() ? line.substr(key.size() + 1) : "";
      if (key == "cases") s.cases += std::stoull(rest);
      if (key == "failures") s.failures += std::stoull(rest);
      if (key == "seconds") s.seconds = std::max(s.seconds, std::stod(rest));
      if (key == "state") s.coverage.insert(rest);
      if (key == "reproducer") s.reproducers.push_back(dir + "/" + rest);
    }
  }
  return s;
}

}  // namespace lvlab::propcheck
