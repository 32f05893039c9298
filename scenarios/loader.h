// Loads a scenario YAML file into a Scenario (scenario.h). Everything that
// can be checked without running is checked here: YAML syntax, unknown keys
// (with the nearest known key suggested), value types and units, names in
// the lab section (VGs name declared PVs, LVs name declared VGs and PVs of
// their VG, workloads name declared LVs), report field names in conditions
// and expectations, and the CLI syntax of `run:` commands is left to the
// runner's dry parse (runner.h). A broken file gives InvalidArgument whose
// message is "FILE:LINE:COL: what is wrong". Thread-compatible, no I/O
// besides reading the file.
#pragma once

#include <string>

#include "scenarios/scenario.h"
#include "sim/base/status.h"

namespace lvlab::scenarios {

Result<Scenario> LoadScenario(const std::string& path);
// The same for text already read; `file` names it in messages.
Result<Scenario> ParseScenario(const std::string& text, const std::string& file);

}  // namespace lvlab::scenarios
