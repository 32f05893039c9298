// Fuzz benchmark (ctest label bench): property-test cases per CPU second
// (and per wall second) on one core for sequences of up to 50 commands on
// 64 MiB volumes (target: at least 100), and the time the fuzzer takes to
// find each catalogued bug (median over 5 seeds, each capped at 60 s).
//
//   fuzz_bench [--seconds S | --cases N] [--bugs-only] [--rate-only] [--mib 64|16]
//
// --cases N runs cases 1..N at each size instead of running for S seconds:
// the same work every run, so that two builds can be timed against each
// other as whole processes. --mib runs the rate at one of the two sizes
// only (for a profile of it).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>
#include <vector>

#include "propcheck/campaign.h"

namespace {

using namespace lvlab;
using Clock = std::chrono::steady_clock;

double Since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

// CPU seconds this process has used: on a shared machine the wall clock
// counts other processes' time too, so "per core" is per CPU second.
double CpuSeconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) * 1e-9;
}

void Rate(uint64_t lv_mib, int commands, double seconds, uint64_t max_cases) {
  propcheck::CaseOptions o;
  o.lv_mib = lv_mib;
  o.max_commands = commands;
  const auto t0 = Clock::now();
  const double cpu0 = CpuSeconds();
  uint64_t cases = 0, failures = 0;
  while (max_cases ? cases < max_cases : Since(t0) < seconds) failures += propcheck::RunCase(1 + cases++, o).failed;
  const double t = Since(t0);
  const double cpu = CpuSeconds() - cpu0;
  std::printf(
      "cases/s per core: %.1f per CPU second, %.1f per wall second (%llu cases in %.1fs, "
      "%.1f CPU s, up to %d commands, %llu MiB lv0, %llu failures)\n",
      double(cases) / cpu, double(cases) / t, static_cast<unsigned long long>(cases), t, cpu,
      commands, static_cast<unsigned long long>(lv_mib), static_cast<unsigned long long>(failures));
}

void TimeToFind(const std::string& bug, double cap) {
  propcheck::CaseOptions o;
  o.shrink = false;  // time to the first failing case
  (void)lvm::EnableBug(&o.bugs, bug);
  std::vector<double> times;
  int found = 0;
  for (uint64_t first : {1, 1001, 2001, 3001, 4001}) {
    const auto t0 = Clock::now();
    double t = cap;
    for (uint64_t k = 0; Since(t0) < cap; ++k) {
      if (propcheck::RunCase(first + k, o).failed) {
        t = Since(t0);
        ++found;
        break;
      }
    }
    times.push_back(t);
  }
  std::sort(times.begin(), times.end());
  std::printf("time to find %-28s median %6.2fs (found from %d of 5 seeds; %.2f .. %.2fs)\n",
              bug.c_str(), times[2], found, times.front(), times.back());
}

}  // namespace

int main(int argc, char** argv) {
  double seconds = 20;
  uint64_t max_cases = 0;
  bool bugs = true, rate = true;
  uint64_t only_mib = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--seconds" && i + 1 < argc) seconds = std::stod(argv[++i]);
    if (a == "--cases" && i + 1 < argc) max_cases = std::stoull(argv[++i]);
    if (a == "--bugs-only") rate = false;
    if (a == "--rate-only") bugs = false;
    if (a == "--mib" && i + 1 < argc) only_mib = std::stoull(argv[++i]);
  }
  if (rate) {
    if (only_mib != 16) Rate(64, 50, seconds, max_cases);
    if (only_mib != 64) Rate(16, 30, seconds, max_cases);  // what the prop tests use
  }
  if (bugs) {
    for (const std::string& bug : lvm::BugNames()) TimeToFind(bug, 60);
  }
  return 0;
}
