#include "sim/dm/block_device.h"

#include <charconv>

namespace lvlab::dm {
namespace {

bool ParseU32(std::string_view s, uint32_t* out) {
  if (s.empty()) return false;
  const char* end = s.data() + s.size();
  auto [ptr, ec] = std::from_chars(s.data(), end, *out);
  return ec == std::errc() && ptr == end;
}

}  // namespace

std::string DevNo::ToString() const { return std::to_string(major) + ":" + std::to_string(minor); }

std::optional<DevNo> DevNo::Parse(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return std::nullopt;
  DevNo d;
  if (!ParseU32(text.substr(0, colon), &d.major)) return std::nullopt;
  if (!ParseU32(text.substr(colon + 1), &d.minor)) return std::nullopt;
  return d;
}

}  // namespace lvlab::dm
