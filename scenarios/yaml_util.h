// Typed reading of yaml-cpp nodes for the scenario loader. Internal to
// loader*.cc: every helper either returns a checked value or throws
// LoadError carrying the node's position, which LoadScenario turns into
// "file:line:col: message". (Exceptions stay inside the loader, as STYLE.md
// allows for yaml-cpp.)
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "scenarios/scenario.h"

namespace lvlab::scenarios::yaml {

struct LoadError {
  Where where;
  std::string message;
};

Where WhereOf(const YAML::Node& node);
[[noreturn]] void Fail(const YAML::Node& node, const std::string& message);
[[noreturn]] void Fail(const Where& where, const std::string& message);

// Levenshtein distance, for did-you-mean.
size_t EditDistance(const std::string& a, const std::string& b);
// "; did you mean 'x'?" for the nearest candidate within reach, else
// "; expected one of: a, b, c" (or "" with no candidates).
std::string Suggest(const std::string& word, const std::vector<std::string>& candidates);

// REQUIRES nothing of `node`: a wrong kind fails with `what` in the message.
void RequireMap(const YAML::Node& node, const std::string& what);
void RequireSeq(const YAML::Node& node, const std::string& what);
// Every key of map `node` must be in `known` (did-you-mean otherwise).
void CheckKeys(const YAML::Node& node, std::initializer_list<const char*> known,
               const std::string& what);
bool Has(const YAML::Node& map, const char* key);

std::string Text(const YAML::Node& node, const std::string& what);
uint64_t Uint(const YAML::Node& node, const std::string& what);
bool Bool(const YAML::Node& node, const std::string& what);
// LVM units with a unit letter required: 4k, 40M, 1G, 2048s, 512b.
uint64_t Size(const YAML::Node& node, const std::string& what);
// 5ns, 12us, 500ms, 2s, 1.5s, 10min, 1h.
uint64_t Duration(const YAML::Node& node, const std::string& what);
// 70% or 70, at most 100.
uint32_t Percent(const YAML::Node& node, const std::string& what);
// Bytes per second: 200M or 200M/s.
uint64_t Bandwidth(const YAML::Node& node, const std::string& what);
// ">= 50", "< 3", "== x", "!= x", or a plain value (equality).
Comparison Compare(const YAML::Node& node, const std::string& what);
// A list of scalars.
std::vector<std::string> TextList(const YAML::Node& node, const std::string& what);

}  // namespace lvlab::scenarios::yaml
