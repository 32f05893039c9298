#include "scenarios/yaml_util.h"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "sim/base/units.h"

namespace lvlab::scenarios::yaml {
namespace {

std::string KindName(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Null:
      return "nothing";
    default:
      return "an undefined value";
  }
}

}  // namespace

Where WhereOf(const YAML::Node& node) {
  const YAML::Mark m = node.Mark();
  if (m.is_null()) return {};
  return {m.line + 1, m.column + 1};
}

void Fail(const YAML::Node& node, const std::string& message) { Fail(WhereOf(node), message); }

void Fail(const Where& where, const std::string& message) { throw LoadError{where, message}; }

size_t EditDistance(const std::string& a, const std::string& b) {
  std::vector<size_t> row(b.size() + 1);
  for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    size_t diagonal = row[0];
    row[0] = i;
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t above = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, diagonal + (a[i - 1] == b[j - 1] ? 0 : 1)});
      diagonal = above;
    }
  }
  return row[b.size()];
}

std::string Suggest(const std::string& word, const std::vector<std::string>& candidates) {
  if (candidates.empty()) return "";
  const std::string* best = nullptr;
  size_t best_distance = SIZE_MAX;
  for (const std::string& c : candidates) {
    const size_t d = EditDistance(word, c);
    if (d < best_distance) best = &c, best_distance = d;
  }
  if (best_distance <= std::max<size_t>(2, word.size() / 3)) {
    return "; did you mean '" + *best + "'?";
  }
  std::string list;
  for (const std::string& c : candidates) list += (list.empty() ? "" : ", ") + c;
  return "; expected one of: " + list;
}

void RequireMap(const YAML::Node& node, const std::string& what) {
  if (!node.IsMap()) Fail(node, what + " must be a map ({key: value, ...}), not " + KindName(node));
}

void RequireSeq(const YAML::Node& node, const std::string& what) {
  if (!node.IsSequence())
    Fail(node, what + " must be a list ([a, b] or '- ' lines), not " + KindName(node));
}

void CheckKeys(const YAML::Node& node, std::initializer_list<const char*> known,
               const std::string& what) {
  RequireMap(node, what);
  std::vector<std::string> names(known.begin(), known.end());
  for (const auto& kv : node) {
    const YAML::Node key_node = kv.first, val = kv.second;
    if (!key_node.IsScalar()) Fail(key_node, "a key of " + what + " must be a plain word");
    const std::string key = key_node.Scalar();
    if (std::find(names.begin(), names.end(), key) == names.end()) {
      Fail(key_node, "unknown key '" + key + "' in " + what + Suggest(key, names));
    }
  }
}

bool Has(const YAML::Node& map, const char* key) { return map.IsMap() && map[key].IsDefined(); }

std::string Text(const YAML::Node& node, const std::string& what) {
  if (!node.IsScalar()) Fail(node, what + " must be a single value, not " + KindName(node));
  return node.Scalar();
}

uint64_t Uint(const YAML::Node& node, const std::string& what) {
  const std::string t = Text(node, what);
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size()) {
    Fail(node, what + " must be a whole number, not '" + t + "'");
  }
  return v;
}

bool Bool(const YAML::Node& node, const std::string& what) {
  const std::string t = Text(node, what);
  if (t == "true" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "no" || t == "off") return false;
  Fail(node, what + " must be true or false, not '" + t + "'");
}

uint64_t Size(const YAML::Node& node, const std::string& what) {
  const std::string t = Text(node, what);
  if (t.empty() || !std::isalpha(static_cast<unsigned char>(t.back()))) {
    Fail(node,
         what + " needs a unit: '" + t + "' could be bytes or megabytes; write e.g. 4k, 40M, 1G");
  }
  auto r = ParseSizeBytes(t, 'b');
  if (!r.ok()) Fail(node, what + ": " + r.status().message());
  return *r;
}

uint64_t Duration(const YAML::Node& node, const std::string& what) {
  const std::string t = Text(node, what);
  if (Result<uint64_t> ns = ParseDurationNs(t); ns.ok()) return *ns;
  Fail(node,
       what + " must be a duration with a unit (500ms, 2s, 1.5s, 10min, 1h), not '" + t + "'");
}

uint32_t Percent(const YAML::Node& node, const std::string& what) {
  std::string t = Text(node, what);
  if (!t.empty() && t.back() == '%') t.pop_back();
  uint32_t v = 0;
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size() || v > 100) {
    Fail(node, what + " must be a percentage from 0% to 100%, not '" + node.Scalar() + "'");
  }
  return v;
}

uint64_t Bandwidth(const YAML::Node& node, const std::string& what) {
  std::string t = Text(node, what);
  if (t.size() > 2 && t.compare(t.size() - 2, 2, "/s") == 0) t.resize(t.size() - 2);
  auto r = ParseSizeBytes(t, 'b');
  if (!r.ok() || t.empty() || !std::isalpha(static_cast<unsigned char>(t.back()))) {
    Fail(node,
         what + " must be bytes per second with a unit (200M, 1G/s), not '" + node.Scalar() + "'");
  }
  return *r;
}

Comparison Compare(const YAML::Node& node, const std::string& what) {
  std::string t = Text(node, what);
  static const std::pair<const char*, Comparison::Op> kOps[] = {
      {">=", Comparison::Op::kGe}, {"<=", Comparison::Op::kLe}, {"==", Comparison::Op::kEq},
      {"!=", Comparison::Op::kNe}, {">", Comparison::Op::kGt},  {"<", Comparison::Op::kLt}};
  Comparison c;
  for (const auto& [text, op] : kOps) {
    const std::string s = text;
    if (t.compare(0, s.size(), s) == 0) {
      c.op = op;
      t = t.substr(s.size());
      break;
    }
  }
  const size_t first = t.find_first_not_of(' ');
  c.value = first == std::string::npos ? "" : t.substr(first);
  const bool ordered = c.op != Comparison::Op::kEq && c.op != Comparison::Op::kNe;
  if (ordered && !c.IsNumeric()) {
    Fail(node, what + ": '" + node.Scalar() + "' compares with a number; write e.g. \">= 50\"");
  }
  return c;
}

std::vector<std::string> TextList(const YAML::Node& node, const std::string& what) {
  RequireSeq(node, what);
  std::vector<std::string> out;
  for (const YAML::Node& item : node) out.push_back(Text(item, "an entry of " + what));
  return out;
}

}  // namespace lvlab::scenarios::yaml
