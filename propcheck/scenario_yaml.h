// Writes a Scenario (scenarios/scenario.h) as a scenario YAML file in the
// format of scenarios/README.md, so that `lvlab run` plays it exactly as it
// was played in memory: the property tests' reproducers.
//
// Covers what the generated scenarios use: the lab (extent size, PVs, VGs,
// LVs on PV ranges), run (with may_fail), crash (lose, writes), fault
// (fail, restore), workload start, after, at and when (idle, event), and
// the expectations data, consistent and lvs absent/present. Pure function.
#pragma once

#include <string>

#include "scenarios/scenario.h"

namespace lvlab::propcheck {

std::string ScenarioYaml(const scenarios::Scenario& scenario);

}  // namespace lvlab::propcheck
