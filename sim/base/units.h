// Sizes as LVM writes and reads them.
//
// Input follows LVM's -L/--size rules: a number (may have a fraction)
// followed by an optional unit: b (bytes), s (512-byte sectors), k, m, g, t,
// p, e. Input units are always powers of 1024, upper or lower case, as in
// LVM. Output follows `--units`: lower case (and h) are powers of 1024,
// upper case (and H) powers of 1000, b/B bytes, s/S sectors.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "sim/base/status.h"

namespace lvlab {

inline constexpr uint64_t kSectorSize = 512;
inline constexpr uint64_t kKiB = 1024;
inline constexpr uint64_t kMiB = 1024 * kKiB;
inline constexpr uint64_t kGiB = 1024 * kMiB;
inline constexpr uint64_t kTiB = 1024 * kGiB;

// Parses "100M", "4m", "1.5g", "2048s", "512b" into bytes. `default_unit`
// applies when the string has no unit letter ('m' for LVM's -L).
Result<uint64_t> ParseSizeBytes(std::string_view text, char default_unit);

// Formats a size in bytes as LVM's reporting does for `unit` (h, H, b, B, s,
// S, k, m, g, t, p, e or their upper case). With `suffix` the unit letter is
// appended ("1.00g"); values that do not fit two decimals are shown rounded
// up with a leading '<' ("<250.00g"), as LVM 2.02.171 and later do.
std::string FormatSize(uint64_t bytes, char unit, bool suffix);

// Parses a duration with a unit into nanoseconds: 5ns, 12us, 500ms, 2s,
// 1.5s, 10min, 1h.
Result<uint64_t> ParseDurationNs(std::string_view text);

// The size comment of LVM's metadata text: "4 Megabytes" for 8192 sectors.
std::string SectorsComment(uint64_t sectors);

}  // namespace lvlab
