// DirtyLog: the mirror target's dirty region log (dm-log.c), "core" or
// "disk" (reference/device-mapper-targets.md 1.1, 1.2, 1.9).
//
// The log keeps three bitsets over the mirror's regions: clean bits (1 = no
// write may be outstanding; the only state a disk log persists), sync bits
// (1 = the legs are known identical; in core only) and recovering bits. Both
// logs start with every region clean, and in sync only with "nosync", so a
// core log without nosync recopies everything on every activation. The disk
// log keeps its header and clean bits in one buffer laid out as on disk
// (docs/mirror-disk-log.md): resume re-reads it from the log device, and
// Flush writes the whole buffer in one I/O. As in the kernel, every change of
// a bit in any bitset marks the log touched: a set bit "cleaned", a cleared
// bit "dirtied". Flush does nothing when untouched; otherwise, if anything
// was cleaned it first flushes the legs (the mirror's callback) and, should
// that fail, marks every region dirty; then it writes the buffer and, if
// anything was dirtied, sends an empty PREFLUSH to the log device, so a
// dirty mark is durable before the data it guards is written, while clean
// marks are written lazily.
//
// Flush is asynchronous (it completes through its callback, at once for a
// core log or an untouched disk log); overlapping Flush calls run one after
// the other. Resume and Postsuspend block like the kernel's hooks by running
// the scheduler until their I/O is done.
//
// Not thread-safe: one engine thread. A DirtyLog is owned by its mirror
// target; it does not own the log device, the Scheduler or the Device it
// raises events on.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/base/status.h"
#include "sim/dm/block_device.h"
#include "sim/dm/bugs.h"
#include "sim/engine/scheduler.h"

namespace lvlab::dm {

class Device;
struct TargetArgs;

inline constexpr uint32_t kMirrorLogMagic = 0x4D695272;  // "MiRr"
inline constexpr uint32_t kMirrorLogVersion = 2;
inline constexpr uint64_t kMirrorLogBitsOffset = 1024;  // LOG_OFFSET: 2 sectors

class DirtyLog {
 public:
  // DEFAULTSYNC (no argument), NOSYNC ("nosync") or FORCESYNC ("sync").
  enum class Sync { kDefault, kNosync, kForce };
  // Flushes every leg (mirror_flush); calls back with the result.
  using FlushLegs = std::function<void(std::function<void(Status)>)>;

  virtual ~DirtyLog() = default;

  // The mirror's flush of its legs (the kernel's flush_callback_fn), used
  // before clean marks are written. Set once, before the first Flush.
  void set_flush_legs(FlushLegs flush_legs) { flush_legs_ = std::move(flush_legs); }

  uint64_t region_size() const { return region_size_; }
  uint64_t region_count() const { return region_count_; }
  Sync sync() const { return sync_; }

  bool IsClean(uint64_t region) const { return TestBit(clean_bits(), region); }
  bool InSync(uint64_t region) const { return TestBit(sync_bits_.data(), region); }
  // rh_inc on a clean region: clears its clean bit.
  void MarkRegion(uint64_t region) { ClearBit(clean_bits(), region); }
  // Sets the clean bit, unless a leg flush failed since the log started.
  void ClearRegion(uint64_t region);
  // The next out-of-sync region at or after the search point that is not
  // already recovering; marks it recovering. nullopt once past the end.
  std::optional<uint64_t> GetResyncWork();
  void SetRegionSync(uint64_t region, bool in_sync);
  uint64_t sync_count() const { return sync_count_; }

  virtual void Flush(std::function<void(Status)> done) = 0;
  // The resume hook: restarts the resync search from region 0.
  virtual void Resume() { sync_search_ = 0; }
  virtual void Postsuspend() {}

  // "1 core" or "3 disk <dev> A|D|F".
  virtual std::string StatusInfo() const = 0;
  // "core 1 1024 ", "disk 3 7:3 1024 nosync ": with the trailing space.
  virtual std::string TableArgs() const = 0;
  // The log device, or null for a core log.
  virtual BlockDevice* device() const { return nullptr; }

 protected:
  DirtyLog(uint64_t region_size, uint64_t region_count, Sync sync);

  // Little-endian bit numbering: bit i is bit i % 8 of byte i / 8.
  static bool TestBit(const uint8_t* bits, uint64_t i) { return (bits[i / 8] >> (i % 8)) & 1; }
  void SetBit(uint8_t* bits, uint64_t i);
  void ClearBit(uint8_t* bits, uint64_t i);
  virtual uint8_t* clean_bits() = 0;
  virtual const uint8_t* clean_bits() const = 0;
  std::string SyncWord() const;
  // Bytes of one bitset: region_count rounded up to 32 bits.
  uint64_t bitset_bytes() const { return (region_count_ + 31) / 32 * 4; }

  const uint64_t region_size_;
  const uint64_t region_count_;
  const Sync sync_;
  FlushLegs flush_legs_;
  std::vector<uint8_t> sync_bits_;
  std::vector<uint8_t> recovering_bits_;
  uint64_t sync_count_ = 0;
  uint64_t sync_search_ = 0;
  // touched_dirtied / touched_cleaned as change counters: the log is touched
  // while a counter differs from the value last made durable.
  uint64_t dirtied_ = 0;
  uint64_t cleaned_ = 0;
  bool flush_failed_ = false;
};

// What a log constructor needs beyond its table arguments.
struct DirtyLogEnv {
  const TargetArgs* args = nullptr;  // the mirror's table line (device lookup, length)
  const MirrorBugs* bugs = nullptr;  // may be null
};

// Builds a "core" or "disk" log from its arguments (the <#log_args> words
// after the count), failing as the kernel's log constructors do.
Result<std::unique_ptr<DirtyLog>> NewDirtyLog(const std::string& type,
                                              const std::vector<std::string>& argv,
                                              const DirtyLogEnv& env);

}  // namespace lvlab::dm
