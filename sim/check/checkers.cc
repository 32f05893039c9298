#include "sim/check/checkers.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/base/change_clock.h"
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

namespace {
constexpr int kLegRereads = 8;
}  // namespace

Status CheckLegsIdentical(dm::BlockDevice* a, uint64_t a_off, dm::BlockDevice* b, uint64_t b_off,
                          uint64_t nsectors, engine::Scheduler& scheduler,
                          const LegsPassed* passed) {
  thread_local std::vector<uint8_t> abuf, bbuf;  // kept: no allocation per call
  if (passed != nullptr && passed->nsectors != nsectors) passed = nullptr;
  const bool same_legs = passed != nullptr && passed->a == a->devno() && passed->b == b->devno() &&
                         passed->a_off == a_off && passed->b_off == b_off;
  const bool resolved = passed != nullptr && !passed->a_where.empty() && !passed->b_where.empty();
  for (uint64_t done = 0; done < nsectors; done += kCheckChunkSectors) {
    const uint64_t n = std::min(kCheckChunkSectors, nsectors - done);
    // Where both legs are holes both read as zeros: nothing to compare.
    if (!a->NextData(a_off + done, a_off + done + n) &&
        !b->NextData(b_off + done, b_off + done + n)) {
      continue;
    }
    // Identical then, and neither changed since: identical now.
    if (same_legs && !a->ChangedSince(passed->stamp, a_off + done, a_off + done + n) &&
        !b->ChangedSince(passed->stamp, b_off + done, b_off + done + n)) {
      continue;
    }
    if (resolved && dm::ReadsAsResolved(a, a_off + done, n, passed->a_where, done, passed->stamp) &&
        dm::ReadsAsResolved(b, b_off + done, n, passed->b_where, done, passed->stamp)) {
      continue;
    }
    abuf.resize(n * kSectorSize);  // ReadSync fills all of it
    bbuf.resize(n * kSectorSize);
    // The reads run the scheduler, and writers the caller cannot pause (a
    // mirror's log or a raid1's resync above a pvmove mirror) may write
    // both legs between them: a difference is a verdict only if neither
    // leg changed while it was read. Such a chunk is read again; if it keeps
    // changing, there is no verdict on it.
    bool same = false, raced = true;
    for (int attempt = 0; attempt < kLegRereads && raced; ++attempt) {
      const uint64_t before = ChangeStampNow();
      LVLAB_RETURN_IF_ERROR(ReadSync(a, a_off + done, n, abuf.data(), scheduler));
      LVLAB_RETURN_IF_ERROR(ReadSync(b, b_off + done, n, bbuf.data(), scheduler));
      same = std::memcmp(abuf.data(), bbuf.data(), abuf.size()) == 0;
      raced = !same && (a->ChangedSince(before, a_off + done, a_off + done + n) ||
                        b->ChangedSince(before, b_off + done, b_off + done + n));
    }
    if (same) continue;
    if (raced) {
      return Busy("legs of " + a->name() + " and " + b->name() + " kept changing while compared");
    }
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

LegsPassed PassedLegs(dm::BlockDevice* a, uint64_t a_off, dm::BlockDevice* b, uint64_t b_off,
                      uint64_t nsectors, uint64_t stamp) {
  LegsPassed p{stamp, a->devno(), b->devno(), a_off, b_off, nsectors, {}, {}};
  uint64_t newest_table = 0;
  if (!a->Resolve(a_off, a_off + nsectors, &p.a_where, &newest_table) ||
      !b->Resolve(b_off, b_off + nsectors, &p.b_where, &newest_table) || newest_table > stamp) {
    p.a_where.clear();
    p.b_where.clear();
  }
  return p;
}

}  // namespace lvlab::check
