// Copier: dm-kcopyd, the asynchronous copy of one source range to up to eight
// destinations (reference/device-mapper-targets.md section 2).
//
// A job is cut into pieces of at most kSubJobSectors (512 KiB, the kernel's
// default sub-job size); up to kPiecesInFlight (8, SPLIT_COUNT) pieces of a
// job run at once, each taking the next piece when it ends. A data piece
// reads the source into a buffer, then writes it to every destination, one
// write bio per destination. The copy is not atomic: a crash can leave any
// subset of pieces copied.
//
// Zero-copy, an lvlab addition: when the source and every destination are
// DiskDevices, a piece's bios carry no data; the read pins the range on the
// source disk and the writes copy it image to image in the host kernel
// (copy_file_range), where the disks allow it (store/disk.h). The bios, their
// timing and their errors are the same as with a buffer.
//
// Sparse awareness, an lvlab addition the kernel does not have: the source's
// holes (BlockDevice::NextData) are not read. A hole becomes a hole piece
// that sends one discard to each destination that may hold data there, so the
// destination reads zeros as the source does (stale data of a reused extent
// included); a destination already without data gets nothing. That holds
// only where a discard is a write of zeros all the way down
// (BlockDevice::DiscardZeroes: disks, linear onto them). Any other
// destination (a mirror, which sends discards past its region states, so
// one would race a recovery; a snapshot origin) gets zeros written, in
// pieces of up to kSubJobSectors, as kcopyd writes every byte. Data ranges
// are copied in pieces of up to kSubJobSectors.
//
// Errors: a failed read or write stops the job from starting more pieces
// (those in flight finish) unless kIgnoreErrors (DM_KCOPYD_IGNORE_ERROR) is
// set; either way the callback gets read_err (the first read error, OK if
// none) and write_err_mask (bit i set when a write or discard to dests[i]
// failed). A piece whose read failed writes nothing (the kernel would write
// whatever its page buffers held). `done` runs once per job from its own
// scheduler event, never inside Copy.
//
// Trace: "kcopyd-job" with phase "start" (job, src, sector, nsectors, dests)
// and phase "end" (job, read_ok, write_err_mask).
//
// Not thread-safe: one engine thread. The Copier owns its jobs and their
// buffers; it does not own the devices, which must outlive the jobs, nor the
// Scheduler or Trace. Destroy it only with no job in flight (or once the
// scheduler will never run again).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

#include "sim/base/status.h"
#include "sim/dm/block_device.h"
#include "sim/engine/scheduler.h"
#include "sim/engine/trace.h"

namespace lvlab::dm {

struct PinnedSource;

// Counters over every job of one Copier. Bytes are counted when the I/O is
// issued; written and discarded bytes are summed over destinations.
struct CopierStats {
  uint64_t jobs = 0;           // started
  uint64_t jobs_failed = 0;    // ended with a read or write error
  uint64_t pieces = 0;         // data pieces (one read, one write per destination)
  uint64_t hole_pieces = 0;    // source holes skipped
  uint64_t bytes_read = 0;     // from sources
  uint64_t bytes_written = 0;  // to destinations
  uint64_t bytes_discarded = 0;
  uint64_t bytes_skipped = 0;         // source hole bytes never read
  uint32_t max_pieces_in_flight = 0;  // the most pieces one job had running
};

class Copier {
 public:
  static constexpr uint32_t kIgnoreErrors = 1;      // DM_KCOPYD_IGNORE_ERROR
  static constexpr uint64_t kSubJobSectors = 1024;  // 512 KiB
  static constexpr uint32_t kPiecesInFlight = 8;    // SPLIT_COUNT
  static constexpr size_t kMaxDestinations = 8;     // DM_KCOPYD_MAX_REGIONS

  using Dest = std::pair<BlockDevice*, uint64_t>;  // device, start sector
  using Callback = std::function<void(Status read_err, uint64_t write_err_mask)>;

  // trace may be null.
  Copier(engine::Scheduler& scheduler, engine::Trace* trace);
  ~Copier();
  Copier(const Copier&) = delete;
  Copier& operator=(const Copier&) = delete;

  // Copies src [src_sector, src_sector + nsectors) to each destination's
  // [start, start + nsectors). REQUIRES: src and every destination non-null,
  // 1 <= dests.size() <= kMaxDestinations, flags a subset of kIgnoreErrors.
  void Copy(BlockDevice* src, uint64_t src_sector, std::vector<Dest> dests, uint64_t nsectors,
            uint32_t flags, Callback done);

  const CopierStats& stats() const { return stats_; }
  size_t jobs_in_flight() const { return jobs_.size(); }

 private:
  struct Job;
  void Issue(Job* job);
  void StartPiece(Job* job);
  void StartHole(Job* job, uint64_t len);
  void StartData(Job* job, uint64_t len);
  uint64_t DataLength(const Job* job, uint64_t data_end) const;
  void WriteAll(Job* job, std::shared_ptr<PinnedSource> src, uint64_t offset, uint64_t len);
  void WriteFailed(Job* job, size_t dest);
  void PieceDone(Job* job);
  void Finish(Job* job);

  engine::Scheduler& scheduler_;
  engine::Trace* const trace_;
  uint64_t next_id_ = 1;
  std::map<uint64_t, std::unique_ptr<Job>> jobs_;  // by id
  // Data pieces' buffers, kept for the next pieces once their writes end.
  std::vector<std::vector<uint8_t>> spare_buffers_;
  CopierStats stats_;
};

}  // namespace lvlab::dm
