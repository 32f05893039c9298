#include "sim/dm/block_device.h"

#include <algorithm>
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

void AppendDiskExtent(std::vector<DiskExtent>* out, const DiskExtent& piece) {
  if (piece.nsectors == 0) return;
  if (!out->empty()) {
    DiskExtent& last = out->back();
    if (last.disk == piece.disk && last.sector + last.nsectors == piece.sector) {
      last.nsectors += piece.nsectors;
      return;
    }
  }
  out->push_back(piece);
}

bool SameDiskExtents(const std::vector<DiskExtent>& a, const std::vector<DiskExtent>& b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](const DiskExtent& x, const DiskExtent& y) {
                      return x.disk == y.disk && x.sector == y.sector && x.nsectors == y.nsectors;
                    });
}

bool SliceDiskExtents(const std::vector<DiskExtent>& all, uint64_t sector, uint64_t end,
                      std::vector<DiskExtent>* out) {
  uint64_t at = 0;  // the device sector where the current piece starts
  for (const DiskExtent& p : all) {
    if (at >= end) break;
    const uint64_t from = std::max(sector, at);
    const uint64_t to = std::min(end, at + p.nsectors);
    if (from < to) {
      DiskExtent piece = p;
      piece.sector = p.sector + (from - at);
      piece.nsectors = to - from;
      AppendDiskExtent(out, piece);
    }
    at += p.nsectors;
  }
  return at >= end;
}

bool ReadsAsResolved(BlockDevice* dev, uint64_t sector, uint64_t n,
                     const std::vector<DiskExtent>& then, uint64_t then_sector, uint64_t stamp) {
  thread_local std::vector<DiskExtent> was, now;  // kept: no allocation per call
  was.clear();
  now.clear();
  uint64_t newest_table = 0;
  if (!SliceDiskExtents(then, then_sector, then_sector + n, &was) ||
      !dev->Resolve(sector, sector + n, &now, &newest_table) || !SameDiskExtents(was, now)) {
    return false;
  }
  return std::none_of(now.begin(), now.end(), [&](const DiskExtent& p) {
    return p.leaf->ChangedSince(stamp, p.sector, p.sector + p.nsectors);
  });
}

}  // namespace lvlab::dm
