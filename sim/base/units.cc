#include "sim/base/units.h"

#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>

namespace lvlab {
namespace {

// Bytes per unit for input (always binary), 0 for an unknown letter.
uint64_t InputUnitBytes(char u) {
  switch (std::tolower(static_cast<unsigned char>(u))) {
    case 'b': return 1;
    case 's': return kSectorSize;
    case 'k': return kKiB;
    case 'm': return kMiB;
    case 'g': return kGiB;
    case 't': return kTiB;
    case 'p': return 1024 * kTiB;
    case 'e': return 1024 * 1024 * kTiB;
    default: return 0;
  }
}

}  // namespace

Result<uint64_t> ParseSizeBytes(std::string_view text, char default_unit) {
  const std::string shown(text);
  if (text.empty()) return InvalidArgument("empty size; give a number with a unit, e.g. 100M");
  size_t i = 0;
  uint64_t whole = 0;
  bool digits = false;
  while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
    uint64_t next = whole * 10 + static_cast<uint64_t>(text[i] - '0');
    if (next / 10 != whole) return InvalidArgument("size " + shown + " is too large");
    whole = next;
    digits = true;
    ++i;
  }
  double fraction = 0;
  if (i < text.size() && text[i] == '.') {
    ++i;
    double scale = 0.1;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i]))) {
      fraction += scale * (text[i] - '0');
      scale /= 10;
      digits = true;
      ++i;
    }
  }
  if (!digits) return InvalidArgument("size " + shown + " is not a number; e.g. 100M, 4m, 2048s");
  char unit = default_unit;
  if (i < text.size()) {
    unit = text[i++];
    // LVM accepts "MiB"-less forms only; tolerate a trailing 'B' as in "4MB"?
    // No: LVM rejects it, and so do we.
  }
  if (i != text.size()) {
    return InvalidArgument("size " + shown + " has trailing characters; use one unit letter of " +
                           "b, s, k, m, g, t, p, e");
  }
  const uint64_t per = InputUnitBytes(unit);
  if (per == 0) {
    return InvalidArgument("size " + shown + " has unknown unit '" + std::string(1, unit) +
                           "'; use one of b, s, k, m, g, t, p, e");
  }
  if (whole != 0 && per > UINT64_MAX / whole) return InvalidArgument("size " + shown + " is too large");
  uint64_t bytes = whole * per + static_cast<uint64_t>(std::llround(fraction * double(per)));
  return bytes;
}

std::string FormatSize(uint64_t bytes, char unit, bool suffix) {
  char buf[64];
  const bool si = std::isupper(static_cast<unsigned char>(unit));
  const char lower = static_cast<char>(std::tolower(static_cast<unsigned char>(unit)));
  if (lower == 'b' || lower == 's') {
    uint64_t v = lower == 'b' ? bytes : bytes / kSectorSize;
    std::snprintf(buf, sizeof buf, "%llu%s", static_cast<unsigned long long>(v),
                  suffix ? (lower == 'b' ? "B" : "S") : "");
    return buf;
  }
  const double base = si ? 1000.0 : 1024.0;
  static const char kLetters[] = "kmgtpe";
  int index;  // 0 = k
  if (lower == 'h') {
    index = 0;
    double v = double(bytes) / base;
    while (v >= base && index < 5) {
      v /= base;
      ++index;
    }
  } else {
    const char* p = std::char_traits<char>::find(kLetters, 6, lower);
    index = p ? int(p - kLetters) : 2;
  }
  double v = double(bytes);
  for (int k = 0; k <= index; ++k) v /= base;
  // Two decimals; a value that is not exact shows rounded up with '<'.
  double hundredths = v * 100.0;
  double up = std::ceil(hundredths - 1e-9);
  bool exact = std::fabs(up - hundredths) < 1e-6;
  char letter = kLetters[index];
  if (si) letter = static_cast<char>(std::toupper(letter));
  std::snprintf(buf, sizeof buf, "%s%.2f%s", (!exact && suffix) ? "<" : "",
                (exact || suffix) ? up / 100.0 : v, suffix ? std::string(1, letter).c_str() : "");
  return buf;
}

std::string SectorsComment(uint64_t sectors) {
  static const char* kUnits[] = {"Kilobytes", "Megabytes", "Gigabytes", "Terabytes",
                                 "Petabytes", "Exabytes"};
  double d = double(sectors) / 2.0;
  int i = 0;
  while (d > 1024.0 && i < 5) {
    d /= 1024.0;
    ++i;
  }
  // A whole number of up to six digits is what %g prints for it, without
  // formatting a double (the metadata writer calls this for every size).
  if (d < 1e6 && d == double(uint64_t(d))) return std::to_string(uint64_t(d)) + " " + kUnits[i];
  char buf[64];
  std::snprintf(buf, sizeof buf, "%g %s", d, kUnits[i]);
  return buf;
}

namespace {

// "1.5" * scale without floating point; false if not a plain decimal.
bool ParseScaled(std::string_view number, uint64_t scale, uint64_t* out) {
  const size_t dot = number.find('.');
  const std::string_view whole = number.substr(0, dot);
  const std::string_view frac =
      dot == std::string_view::npos ? std::string_view() : number.substr(dot + 1);
  if (whole.empty() && frac.empty()) return false;
  for (std::string_view part : {whole, frac}) {
    for (char c : part) {
      if (c < '0' || c > '9') return false;
    }
  }
  uint64_t w = 0;
  if (!whole.empty() &&
      std::from_chars(whole.data(), whole.data() + whole.size(), w).ec != std::errc()) {
    return false;
  }
  if (w > UINT64_MAX / scale) return false;
  uint64_t value = w * scale;
  uint64_t unit = scale;
  for (char c : frac) {
    unit /= 10;
    value += unit * static_cast<uint64_t>(c - '0');
  }
  *out = value;
  return true;
}

}  // namespace

Result<uint64_t> ParseDurationNs(std::string_view t) {
  static constexpr uint64_t kSecond = 1'000'000'000;
  static const std::pair<const char*, uint64_t> kUnits[] = {
      {"ns", 1},      {"us", 1'000},   {"ms", 1'000'000},
      {"min", 60 * kSecond}, {"s", kSecond}, {"h", 3600 * kSecond}};
  for (const auto& [suffix, scale] : kUnits) {
    const std::string_view s = suffix;
    if (t.size() > s.size() && t.substr(t.size() - s.size()) == s) {
      uint64_t ns = 0;
      if (ParseScaled(t.substr(0, t.size() - s.size()), scale, &ns)) return ns;
      break;
    }
  }
  return InvalidArgument("'" + std::string(t) +
                         "' is not a duration with a unit (500ms, 2s, 1.5s, 10min, 1h)");
}

}  // namespace lvlab
