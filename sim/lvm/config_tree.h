// LVM2's configuration text: the grammar of metadata and backup files.
//
//   file    := node*
//   node    := IDENT '{' node* '}'  |  IDENT '=' value
//   value   := '[' (scalar ','?)* ']' | scalar
//   scalar  := INT | FLOAT | "double-quoted" | 'single-quoted'
//   comment := '#' ... end of line
//
// A ConfigNode tree keeps the order of keys as written. Identifiers may be
// quoted strings. Values are plain data; nothing here is thread-safe to share
// mutably.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "sim/base/status.h"

namespace lvlab::lvm {

struct ConfigValue {
  enum class Kind { kInt, kFloat, kString, kArray };
  Kind kind = Kind::kInt;
  int64_t i = 0;
  double f = 0;
  std::string s;
  std::vector<ConfigValue> array;  // scalars only

  static ConfigValue Int(int64_t v) { ConfigValue c; c.kind = Kind::kInt; c.i = v; return c; }
  static ConfigValue Str(std::string v) {
    ConfigValue c; c.kind = Kind::kString; c.s = std::move(v); return c;
  }
  static ConfigValue Array(std::vector<ConfigValue> v) {
    ConfigValue c; c.kind = Kind::kArray; c.array = std::move(v); return c;
  }
  bool operator==(const ConfigValue&) const = default;
};

struct ConfigNode {
  std::string key;
  bool is_section = false;
  ConfigValue value;                 // when !is_section
  std::vector<ConfigNode> children;  // when is_section
  int line = 0;                      // 1-based source line, for messages

  const ConfigNode* Find(std::string_view k) const;
  bool operator==(const ConfigNode& o) const {
    return key == o.key && is_section == o.is_section && value == o.value && children == o.children;
  }
};

// Parses text into top-level nodes. Errors name the line: "line 12: ...".
Result<std::vector<ConfigNode>> ParseConfig(std::string_view text);

}  // namespace lvlab::lvm
