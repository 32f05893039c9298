// Shared by loader.cc (top level, lab, workloads) and loader_steps.cc
// (steps, conditions, actions, expectations). Throws yaml::LoadError.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>

#include "scenarios/scenario.h"

namespace lvlab::scenarios::internal {

// One workload map ({lv, pattern, block, ...}).
WorkloadDecl LoadWorkload(const YAML::Node& node, const std::string& what);
// The `steps` list.
void LoadSteps(const YAML::Node& node, Scenario* scenario);
// Fails at `node` unless `field` is an lvs (or pvs) -o field name.
void CheckReportField(const YAML::Node& node, const std::string& field, bool pv);

}  // namespace lvlab::scenarios::internal
