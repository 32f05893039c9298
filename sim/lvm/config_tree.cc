// A recursive-descent parser for LVM2's configuration text (see config_tree.h).
//
// Tokens follow libdm's tokenizer: in key position any run of characters up
// to a blank, '#', '=', '{', '}' is one identifier (so UUID-like LV names
// that start with a digit are keys, not numbers); after '=', '[' or ',' a
// leading digit, sign or '.' starts a number.
#include "sim/lvm/config_tree.h"

#include <array>
#include <charconv>
#include <cstdint>
#include <string>

namespace lvlab::lvm {

const ConfigNode* ConfigNode::Find(std::string_view k) const {
  for (const ConfigNode& c : children) {
    if (c.key == k) return &c;
  }
  return nullptr;
}

namespace {

constexpr int kMaxDepth = 64;

// Character classes by table: the parser's loops test one byte at a time.
enum : uint8_t { kBlank = 1, kEndsWord = 2 };
constexpr std::array<uint8_t, 256> kClass = [] {
  std::array<uint8_t, 256> t{};
  for (unsigned char c : std::string_view(" \t\r\n\f\v")) t[c] = kBlank | kEndsWord;
  for (unsigned char c : std::string_view("#={}[],\"'")) t[c] = kEndsWord;
  return t;
}();

bool IsBlank(char c) { return kClass[static_cast<unsigned char>(c)] & kBlank; }

// Characters that end an identifier or a bare value.
bool EndsWord(char c) { return kClass[static_cast<unsigned char>(c)] & kEndsWord; }

std::string Shown(char c) {
  if (c >= 0x21 && c < 0x7f) return std::string("'") + c + "'";
  return "byte " + std::to_string(static_cast<unsigned char>(c));
}

class Parser {
 public:
  explicit Parser(std::string_view text) : text_(text.substr(0, text.find('\0'))) {}

  Result<std::vector<ConfigNode>> File() {
    std::vector<ConfigNode> nodes;
    LVLAB_RETURN_IF_ERROR(Nodes(&nodes, nullptr, 0));
    return nodes;
  }

 private:
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek() const { return text_[pos_]; }
  void Advance() {
    if (text_[pos_++] == '\n') ++line_;
  }

  Status Error(int line, const std::string& what) const {
    return Corrupt("line " + std::to_string(line) + ": " + what);
  }

  // Skips an identifier or bare word; words hold no newline.
  void SkipWord() {
    while (!AtEnd() && !EndsWord(Peek())) ++pos_;
  }

  // Skips blanks and comments, across lines.
  void SkipSpace() {
    while (!AtEnd()) {
      const char c = Peek();
      if (c == '\n') {
        ++line_;
        ++pos_;
      } else if (IsBlank(c)) {
        ++pos_;
      } else if (c == '#') {
        const size_t eol = text_.find('\n', pos_);
        pos_ = eol == std::string_view::npos ? text_.size() : eol;
      } else {
        return;
      }
    }
  }

  // After a value: a '#' comment on the same line becomes the node's comment.
  void TrailingComment(std::string* out) {
    while (!AtEnd() && (Peek() == ' ' || Peek() == '\t' || Peek() == '\r')) Advance();
    if (AtEnd() || Peek() != '#') return;
    Advance();
    const size_t begin = pos_;
    while (!AtEnd() && Peek() != '\n') Advance();
    std::string_view c = text_.substr(begin, pos_ - begin);
    while (!c.empty() && IsBlank(c.front())) c.remove_prefix(1);
    while (!c.empty() && IsBlank(c.back())) c.remove_suffix(1);
    *out = std::string(c);
  }

  // Reads nodes until EOF (top level, parent == nullptr) or the parent's '}'.
  Status Nodes(std::vector<ConfigNode>* out, const ConfigNode* parent, int depth) {
    for (;;) {
      SkipSpace();
      if (AtEnd()) {
        if (!parent) return Status::Ok();
        return Error(line_, "section '" + parent->key + "' (line " + std::to_string(parent->line) +
                                ") has no closing '}'");
      }
      if (Peek() == '}') {
        if (!parent) return Error(line_, "unexpected '}' with no open section");
        Advance();
        return Status::Ok();
      }
      // Built in place: `out` does not change while its last node fills.
      ConfigNode& node = out->emplace_back();
      node.line = line_;
      LVLAB_RETURN_IF_ERROR(Key(&node.key));
      SkipSpace();
      if (AtEnd()) return Error(line_, "expected '=' or '{' after '" + node.key + "'");
      if (Peek() == '{') {
        Advance();
        if (depth + 1 > kMaxDepth) return Error(line_, "sections nested too deeply");
        node.is_section = true;
        node.children.reserve(8);  // a segment's keys: one allocation, no regrowth
        LVLAB_RETURN_IF_ERROR(Nodes(&node.children, &node, depth + 1));
      } else if (Peek() == '=') {
        Advance();
        LVLAB_RETURN_IF_ERROR(Value(node.key, &node.value));
        TrailingComment(&node.comment);
      } else {
        return Error(line_, "expected '=' or '{' after '" + node.key + "', found " + Shown(Peek()));
      }
    }
  }

  Status Key(std::string* out) {
    const char c = Peek();
    if (c == '"' || c == '\'') return String(out);
    const size_t begin = pos_;
    SkipWord();
    if (pos_ == begin) return Error(line_, "expected a key, found " + Shown(c));
    out->assign(text_.data() + begin, pos_ - begin);
    return Status::Ok();
  }

  Status Value(const std::string& key, ConfigValue* out) {
    SkipSpace();
    if (AtEnd()) return Error(line_, "expected a value after '" + key + " ='");
    if (Peek() != '[') return Scalar(key, out);
    const int open_line = line_;
    Advance();
    out->kind = ConfigValue::Kind::kArray;
    for (;;) {
      SkipSpace();
      if (AtEnd()) {
        return Error(line_, "array '" + key + "' (line " + std::to_string(open_line) +
                                ") has no closing ']'");
      }
      if (Peek() == ']') {
        Advance();
        return Status::Ok();
      }
      if (Peek() == '[') return Error(line_, "array '" + key + "' may hold only scalars");
      ConfigValue v;
      LVLAB_RETURN_IF_ERROR(Scalar(key, &v));
      out->array.push_back(std::move(v));
      SkipSpace();
      if (!AtEnd() && Peek() == ',') Advance();
    }
  }

  Status Scalar(const std::string& key, ConfigValue* out) {
    const char c = Peek();
    if (c == '"' || c == '\'') {
      out->kind = ConfigValue::Kind::kString;
      return String(&out->s);
    }
    if ((c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.') return Number(out);
    const size_t begin = pos_;
    SkipWord();
    if (pos_ == begin) return Error(line_, "expected a value for '" + key + "', found " + Shown(c));
    out->kind = ConfigValue::Kind::kString;  // libdm's bare string
    out->s.assign(text_.data() + begin, pos_ - begin);
    return Status::Ok();
  }

  Status Number(ConfigValue* out) {
    const size_t begin = pos_;
    if (Peek() == '-' || Peek() == '+') Advance();
    bool digits = false, dot = false;
    while (!AtEnd()) {
      const char c = Peek();
      if (c >= '0' && c <= '9') {
        digits = true;
      } else if (c == '.' && !dot) {
        dot = true;
      } else {
        break;
      }
      ++pos_;
    }
    SkipWord();  // take junk so the message shows it
    std::string_view tok = text_.substr(begin, pos_ - begin);
    if (!digits || (!AtEnd() && (Peek() == '"' || Peek() == '\''))) {
      return Error(line_, "bad number '" + std::string(tok) + "'");
    }
    std::string_view num = tok;
    if (num.front() == '+') num.remove_prefix(1);
    const char* first = num.data();
    const char* last = num.data() + num.size();
    std::from_chars_result r;
    if (dot) {
      out->kind = ConfigValue::Kind::kFloat;
      r = std::from_chars(first, last, out->f, std::chars_format::fixed);
    } else {
      out->kind = ConfigValue::Kind::kInt;
      r = std::from_chars(first, last, out->i);
    }
    if (r.ec == std::errc::result_out_of_range) {
      return Error(line_, "number '" + std::string(tok) + "' is out of range");
    }
    if (r.ec != std::errc() || r.ptr != last) {
      return Error(line_, "bad number '" + std::string(tok) + "'");
    }
    return Status::Ok();
  }

  // A quoted string at pos_: "..." with backslash escapes, or '...' verbatim.
  Status String(std::string* out) {
    const char quote = Peek();
    const int open_line = line_;
    Advance();
    out->clear();
    // Most strings have no escape and no newline: take them whole.
    const size_t close = text_.find(quote, pos_);
    if (close != std::string_view::npos) {
      const std::string_view body = text_.substr(pos_, close - pos_);
      if (body.find('\\') == std::string_view::npos && body.find('\n') == std::string_view::npos) {
        out->assign(body.data(), body.size());
        pos_ = close + 1;
        return Status::Ok();
      }
    }
    while (!AtEnd() && Peek() != quote) {
      if (quote == '"' && Peek() == '\\') {
        Advance();
        if (AtEnd()) break;
      }
      out->push_back(Peek());
      Advance();
    }
    if (AtEnd()) {
      return Error(open_line, std::string("unterminated string (no closing ") + quote + ")");
    }
    Advance();
    return Status::Ok();
  }

  std::string_view text_;
  size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

Result<std::vector<ConfigNode>> ParseConfig(std::string_view text) { return Parser(text).File(); }

std::string QuoteConfigString(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
  return out;
}

std::string FormatConfigKey(std::string_view key) {
  bool bare = !key.empty();
  for (char c : key) bare = bare && !EndsWord(c) && c != '\0';
  return bare ? std::string(key) : QuoteConfigString(key);
}

std::string FormatConfigValue(const ConfigValue& v) {
  switch (v.kind) {
    case ConfigValue::Kind::kInt:
      return std::to_string(v.i);
    case ConfigValue::Kind::kFloat: {
      // Shortest text that reads back to the same double, never an exponent.
      char buf[400];
      auto r = std::to_chars(buf, buf + sizeof buf, v.f, std::chars_format::fixed);
      std::string s(buf, r.ptr);
      if (s.find('.') == std::string::npos) s += ".0";
      return s;
    }
    case ConfigValue::Kind::kString:
      return QuoteConfigString(v.s);
    case ConfigValue::Kind::kArray: {
      std::string out = "[";
      for (size_t k = 0; k < v.array.size(); ++k) {
        if (k) out += ", ";
        out += FormatConfigValue(v.array[k]);
      }
      return out + "]";
    }
  }
  return "";
}

}  // namespace lvlab::lvm
