// Fuzz campaigns: many cases (campaign.h) over consecutive seeds for a
// wall-clock budget, in --jobs processes, with a progress line, the
// reproducers of failures written to a directory and a summary file that
// `lvlab fuzz --merge` combines across shards.
//
// Which seeds run depends on the budget (wall clock), but each seed's case
// is deterministic: a reproducer names its seed and replays exactly.
// Job j of J runs seeds first_seed + j, + j + J, ... Not thread-safe; uses
// fork() for jobs.
#pragma once

#include <cstdint>
#include <iosfwd>
#include <set>
#include <string>
#include <vector>

#include "propcheck/campaign.h"

namespace lvlab::propcheck {

struct FuzzOptions {
  uint64_t first_seed = 1;
  uint64_t max_cases = 0;  // 0 = until the time budget
  double seconds = 60;
  int jobs = 1;
  std::string out_dir = "fuzz-out";
  bool stop_at_first_failure = false;
  CaseOptions cases;
  std::ostream* progress = nullptr;  // progress lines; null = none
};

struct FuzzSummary {
  uint64_t cases = 0;
  uint64_t failures = 0;
  double seconds = 0;
  std::set<std::string> coverage;
  std::vector<std::string> reproducers;  // file names in out_dir
};

// Runs the campaign; writes out_dir/summary.txt and out_dir/fail-seed-N.yaml
// per failure.
FuzzSummary RunFuzz(const FuzzOptions& options);

// Reads the summary.txt of each directory and adds them up.
FuzzSummary MergeSummaries(const std::vector<std::string>& dirs, std::string* error);

// "N cases, M failures" and the rest, as the campaign prints at the end.
void PrintSummary(const FuzzSummary& s, std::ostream& out);

}  // namespace lvlab::propcheck
