#include "sim/check/checkers.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/base/units.h"
#include "sim/check/sector_format.h"

namespace lvlab::check {
namespace {

std::string Range(uint64_t sector, uint64_t n) {
  return "[" + std::to_string(sector) + ", +" + std::to_string(n) + ")";
}

// Describes a sector whose logical sector is unknown: what it is stamped
// with, if it is a pattern at all.
std::string Holds(const uint8_t* sector) {
  const SectorContent c = InspectSector(sector, 0);
  switch (c.kind) {
    case SectorContent::Kind::kZero:
      return "zeros";
    case SectorContent::Kind::kToken:
    case SectorContent::Kind::kMisdirected:
      return "token " + TokenString(c.token) + " for LV sector " + std::to_string(c.stamped_sector);
    case SectorContent::Kind::kGarbage:
      return "data that is not an oracle pattern";
  }
  return "?";
}

}  // namespace

Status ReadSync(dm::BlockDevice* dev, uint64_t sector, uint64_t n, uint8_t* out,
                engine::Scheduler& scheduler) {
  auto result = std::make_shared<std::optional<Status>>();
  dev->Submit(engine::Bio{engine::Bio::Op::kRead, sector, n, 0, out,
                          [result](Status st) { *result = std::move(st); }});
  if (!scheduler.RunUntil([&] { return result->has_value(); })) {
    return FailedPrecondition(dev->name() + ": read of sectors " + Range(sector, n) +
                              " never completed (is the device suspended?)");
  }
  return **result;
}

Status CheckLegsIdentical(dm::BlockDevice* a, uint64_t a_off, dm::BlockDevice* b, uint64_t b_off,
                          uint64_t nsectors, engine::Scheduler& scheduler) {
  std::vector<uint8_t> abuf, bbuf;
  for (uint64_t done = 0; done < nsectors; done += kCheckChunkSectors) {
    const uint64_t n = std::min(kCheckChunkSectors, nsectors - done);
    // Where both legs are holes both read as zeros: nothing to compare.
    if (!a->NextData(a_off + done, a_off + done + n) &&
        !b->NextData(b_off + done, b_off + done + n)) {
      continue;
    }
    abuf.assign(n * kSectorSize, 0);
    bbuf.assign(n * kSectorSize, 0);
    LVLAB_RETURN_IF_ERROR(ReadSync(a, a_off + done, n, abuf.data(), scheduler));
    LVLAB_RETURN_IF_ERROR(ReadSync(b, b_off + done, n, bbuf.data(), scheduler));
    if (std::memcmp(abuf.data(), bbuf.data(), abuf.size()) == 0) continue;
    uint64_t i = 0;
    while (std::memcmp(&abuf[i * kSectorSize], &bbuf[i * kSectorSize], kSectorSize) == 0) ++i;
    const uint64_t at = done + i;
    return Corrupt("legs differ at sector " + std::to_string(at) + " of the range: " + a->name() +
                   " (" + a->devno().ToString() + ") sector " + std::to_string(a_off + at) +
                   " holds " + Holds(&abuf[i * kSectorSize]) + ", " + b->name() + " (" +
                   b->devno().ToString() + ") sector " + std::to_string(b_off + at) + " holds " +
                   Holds(&bbuf[i * kSectorSize]));
  }
  return Status::Ok();
}

}  // namespace lvlab::check
