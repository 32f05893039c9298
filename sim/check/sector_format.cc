#include "sim/check/sector_format.h"

#include <bit>
#include <cstdio>
#include <cstring>

#include "sim/base/units.h"

namespace lvlab::check {
namespace {

constexpr size_t kWords = kSectorSize / 8;
constexpr uint64_t kStep = 0x9e3779b97f4a7c15ULL;

uint64_t Load(const uint8_t* p) {
  uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

void Store(uint8_t* p, uint64_t v) {
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

uint64_t Seed(uint64_t token, uint64_t sector_no) {
  uint64_t z = token ^ (sector_no * 0xd6e8feb86659fd93ULL) ^ 0x6c766c6162ULL;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

bool AllZero(const uint8_t* sector) {
  static const uint8_t kZeros[kSectorSize] = {};
  return std::memcmp(sector, kZeros, kSectorSize) == 0;
}

// True if words 2..63 are the fill of (token, stamped).
bool FillMatches(const uint8_t* sector, uint64_t token, uint64_t stamped) {
  const uint64_t seed = Seed(token, stamped);
  uint64_t diff = 0;
  for (size_t i = 2; i < kWords; ++i) diff |= Load(sector + i * 8) ^ (seed ^ (i * kStep));
  return diff == 0;
}

}  // namespace

void FillSector(uint8_t* sector, uint64_t token, uint64_t sector_no) {
  if (token == 0) {
    std::memset(sector, 0, kSectorSize);
    return;
  }
  Store(sector, token);
  Store(sector + 8, sector_no);
  const uint64_t seed = Seed(token, sector_no);
  for (size_t i = 2; i < kWords; ++i) Store(sector + i * 8, seed ^ (i * kStep));
}

SectorContent InspectSector(const uint8_t* sector, uint64_t sector_no) {
  SectorContent c;
  const uint64_t token = Load(sector);
  if (token == 0) {
    c.kind = AllZero(sector) ? SectorContent::Kind::kZero : SectorContent::Kind::kGarbage;
    return c;
  }
  const uint64_t stamped = Load(sector + 8);
  if (!FillMatches(sector, token, stamped)) {
    c.kind = SectorContent::Kind::kGarbage;
    return c;
  }
  c.token = token;
  c.stamped_sector = stamped;
  c.kind = stamped == sector_no ? SectorContent::Kind::kToken : SectorContent::Kind::kMisdirected;
  return c;
}

std::optional<uint64_t> DecodeSector(const uint8_t* sector, uint64_t sector_no) {
  const SectorContent c = InspectSector(sector, sector_no);
  switch (c.kind) {
    case SectorContent::Kind::kZero:
      return 0;
    case SectorContent::Kind::kToken:
      return c.token;
    case SectorContent::Kind::kGarbage:
    case SectorContent::Kind::kMisdirected:
      break;
  }
  return std::nullopt;
}

std::string TokenString(uint64_t token) {
  if (token == 0) return "zeros";
  char buf[24];
  std::snprintf(buf, sizeof buf, "0x%016llx", static_cast<unsigned long long>(token));
  return buf;
}

std::string DescribeContent(const SectorContent& content) {
  switch (content.kind) {
    case SectorContent::Kind::kZero:
      return "zeros";
    case SectorContent::Kind::kToken:
      return TokenString(content.token);
    case SectorContent::Kind::kGarbage:
      return "garbage (neither zeros nor a written pattern: corruption)";
    case SectorContent::Kind::kMisdirected:
      return "data of token " + TokenString(content.token) + " written for sector " +
             std::to_string(content.stamped_sector) + " (misdirected write)";
  }
  return "?";
}

}  // namespace lvlab::check
