// DiskFaults: what a drive does wrong, set by `lvlab fault`, a scenario's
// `fault:` step or a test. Kept apart from the image's data: clearing the
// faults restores the drive, and the data it holds is what it stored.
//
// The kinds, as the kernel's fault targets model them (dm-flakey, dm-delay,
// dm-dust) but on the drive itself, so that every path to the PV (the data
// of LVs and LVM's metadata writes alike) meets them:
//   failed       every operation fails (a pulled cable)
//   delay        extra latency on reads and writes, in (virtual) time
//   errors       reads and/or writes touching sector ranges fail with EIO,
//                forever or for the next `count` such operations
//   flakey       up for `up`, then down for `down`, repeating from the time
//                the fault was set; while down, I/O fails (mode error), or
//                writes fail (error-writes), or writes are acknowledged and
//                dropped (drop-writes)
//   corrupt      the Nth byte (1-based) of each read or write touching the
//                ranges is replaced by `value` (dm-flakey corrupt_bio_byte)
//   lose-writes  writes touching the ranges are acknowledged and never
//                stored (a lost write)
//
// Serialize/Parse give the one-line-per-fault text kept in LAB/faults/PV.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "sim/base/status.h"

namespace lvlab::store {

// Sector ranges [first, second); empty means the whole drive.
struct SectorRanges {
  std::vector<std::pair<uint64_t, uint64_t>> ranges;

  bool Overlaps(uint64_t sector, uint64_t nsectors) const;
  // "0-2047,4096-8191" (inclusive ends, as dmsetup and LVM's PE ranges
  // write them) or "all".
  static Result<SectorRanges> Parse(std::string_view text);
  std::string ToString() const;
  bool operator==(const SectorRanges&) const = default;
};

enum class FaultOp { kRead, kWrite, kAny };
const char* FaultOpName(FaultOp op);
Result<FaultOp> ParseFaultOp(std::string_view text);

struct ErrorFault {
  SectorRanges where;
  FaultOp op = FaultOp::kAny;
  int64_t count = -1;  // operations left to fail; -1: forever
  bool operator==(const ErrorFault&) const = default;
};

struct FlakeyFault {
  enum class Mode { kError, kErrorWrites, kDropWrites };
  uint64_t up_ns = 0;
  uint64_t down_ns = 0;
  Mode mode = Mode::kError;
  uint64_t since_ns = 0;  // the up period starts here
  bool Down(uint64_t now_ns) const;
  bool operator==(const FlakeyFault&) const = default;
};
const char* FlakeyModeName(FlakeyFault::Mode mode);
Result<FlakeyFault::Mode> ParseFlakeyMode(std::string_view text);

struct CorruptFault {
  SectorRanges where;
  FaultOp op = FaultOp::kRead;  // kRead or kWrite
  uint32_t byte = 1;            // 1-based offset in the I/O's data
  uint8_t value = 0;
  bool operator==(const CorruptFault&) const = default;
};

struct DiskFaults {
  bool failed = false;
  uint64_t read_delay_ns = 0;
  uint64_t write_delay_ns = 0;
  std::vector<ErrorFault> errors;
  std::optional<FlakeyFault> flakey;
  std::vector<CorruptFault> corrupt;
  std::optional<SectorRanges> lose_writes;

  bool any() const { return *this != DiskFaults{}; }
  bool operator==(const DiskFaults&) const = default;

  // What happens to one operation at now_ns. kWrite covers flushes too
  // (with nsectors 0: only `failed` and flakey apply). Consumes counts.
  enum class Verdict { kOk, kFail, kDrop };
  Verdict Decide(FaultOp op, uint64_t sector, uint64_t nsectors, uint64_t now_ns);
  // Applies the corruptions of `op` to an I/O's data (nsectors * 512 bytes).
  void Corrupt(FaultOp op, uint64_t sector, uint64_t nsectors, uint8_t* data) const;
  bool CorruptsWrites() const;

  // One line per fault; "" when there is none.
  std::string Serialize() const;
  static Result<DiskFaults> Parse(std::string_view text);
  // For people: "failed", "delay read 5ms write 20ms", ... joined by "; ";
  // "none" when healthy.
  std::string Describe() const;
};

// One change to a drive's faults, as `lvlab fault` or a scenario's `fault:`
// step says it: `restore` clears everything first; the rest is added
// (errors and corruptions accumulate; delay, flakey and lose-writes replace
// what was there; a flakey period starts at now_ns).
struct FaultChange {
  bool restore = false;
  std::optional<bool> failed;
  std::optional<std::pair<uint64_t, uint64_t>> delay_ns;  // read, write
  std::vector<ErrorFault> errors;
  std::optional<FlakeyFault> flakey;
  std::vector<CorruptFault> corrupt;
  std::optional<SectorRanges> lose_writes;

  bool empty() const;
  void ApplyTo(DiskFaults* faults, uint64_t now_ns) const;
};

}  // namespace lvlab::store
