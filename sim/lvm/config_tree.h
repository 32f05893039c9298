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
  static ConfigValue Float(double v) { ConfigValue c; c.kind = Kind::kFloat; c.f = v; return c; }
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
  // A '#' comment after the value on the same line, without the '#' and the
  // blanks around it ("4 Megabytes"). Presentation only: not compared.
  std::string comment;

  const ConfigNode* Find(std::string_view k) const;
  bool operator==(const ConfigNode& o) const {
    return key == o.key && is_section == o.is_section && value == o.value && children == o.children;
  }
};

// Parses text into top-level nodes. Errors name the line: "line 12: ...".
// As in libdm, a bare word after '=' is a string value, and the text ends at
// the first NUL byte.
Result<std::vector<ConfigNode>> ParseConfig(std::string_view text);

// A value as LVM writes it: integers in decimal, floats always with a '.',
// strings double-quoted with '"' and '\\' escaped, arrays as `[a, b]`.
// ParseConfig reads the result back to an equal value.
std::string FormatConfigValue(const ConfigValue& v);
std::string QuoteConfigString(std::string_view s);
// A key as written: bare if ParseConfig reads it back as one identifier,
// else double-quoted.
std::string FormatConfigKey(std::string_view key);

}  // namespace lvlab::lvm
