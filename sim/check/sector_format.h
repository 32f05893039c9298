// The oracle's data format: how a 64-bit token is laid out in a 512-byte
// sector, so that a read can be checked against the oracle without the
// oracle storing any data.
//
// A sector written with token T (T != 0) for logical sector S holds 64
// little-endian 64-bit words: word 0 is T, word 1 is S, and word i (2..63) is
// Seed(T, S) ^ (i * kStep), where Seed is a 64-bit mix of T and S. Token 0
// means "zeros" (never written, or discarded): the sector is all zero bytes.
// Decoding recomputes every word, so any change inside the sector shows as
// garbage; a well-formed sector stamped with another sector number is a
// misdirected write (or a read from the wrong place). Sectors are atomic in
// our crash model, so a torn sector is never legitimate.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace lvlab::check {

// Writes the 512-byte pattern of `token` for logical sector `sector_no`.
void FillSector(uint8_t* sector, uint64_t token, uint64_t sector_no);

// The token of a sector written for `sector_no`; 0 for an all-zero sector;
// nullopt for garbage or for a sector stamped with another sector number.
std::optional<uint64_t> DecodeSector(const uint8_t* sector, uint64_t sector_no);

// What a sector holds, in more detail than DecodeSector, for messages.
struct SectorContent {
  enum class Kind { kZero, kToken, kGarbage, kMisdirected };
  Kind kind = Kind::kZero;
  uint64_t token = 0;           // kToken, kMisdirected
  uint64_t stamped_sector = 0;  // kMisdirected: the sector the data was written for
};
SectorContent InspectSector(const uint8_t* sector, uint64_t sector_no);

// "zeros", "0x00c0ffee00000001", "garbage (...)", "data of token 0x.. written
// for sector 17 (misdirected)".
std::string DescribeContent(const SectorContent& content);
// "zeros" for 0, else "0x" and 16 hex digits.
std::string TokenString(uint64_t token);

}  // namespace lvlab::check
