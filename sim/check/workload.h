// Workload: an fio-like I/O generator that checks every read against the
// Oracle.
//
// A Workload submits bios to one dm::BlockDevice (normally the dm device of
// an LV) on the engine's Scheduler and keeps `iodepth` of them in flight:
// reads and writes of block_bytes over a region of the LV, sequential or
// random, with a flush after every `flush_every` writes and optional FUA.
// Write data is the sector pattern of a fresh Oracle token; every completion
// is reported to the Oracle, and every read is checked with
// Oracle::CheckRead. The first violation is kept and all are counted. Its own
// I/Os never overlap (a block with an I/O in flight is not chosen again until
// it completes), which is what the Oracle requires to judge a read exactly.
//
// Pause stops new submissions (in-flight I/O completes); with nothing in
// flight, Rebind points the workload at another device, e.g. the LV's device
// re-created after a crash and reboot, and Resume goes on. I/O submitted
// before an Oracle::PowerLoss is no longer checked when it completes.
// Randomness comes only from Rng(seed).Derive("workload/" + name). Trace
// events are sparse: workload-start, workload-pause, workload-resume,
// workload-rebind, violation (the first few), workload-done.
//
// Not thread-safe: one engine thread. The Workload does not own the device,
// Oracle, Scheduler or Trace; they must outlive it, and the device must stay
// valid while I/O is in flight. The Workload may be destroyed with I/O in
// flight: the completions then find it gone and only free their buffers.
#pragma once

#include <cstdint>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "sim/base/rng.h"
#include "sim/base/status.h"
#include "sim/check/oracle.h"
#include "sim/dm/block_device.h"
#include "sim/engine/scheduler.h"
#include "sim/engine/trace.h"

namespace lvlab::check {

struct WorkloadSpec {
  std::string lv;  // the Oracle's name for the volume
  enum Pattern { kSequential, kRandom } pattern = kSequential;
  uint32_t block_bytes = 4096;  // a multiple of 512
  uint32_t iodepth = 1;
  uint32_t write_percent = 100;  // the rest are reads
  uint32_t flush_every = 0;      // a flush after every N writes, 0 = never
  bool fua = false;              // every write FUA
  uint64_t max_ios = 0;          // budget by count of reads and writes, 0 = unlimited
  uint64_t max_time_ns = 0;      // budget by virtual time since Start, 0 = unlimited
  uint64_t think_ns = 0;         // pause between a completion and the next submission
  uint64_t offset_bytes = 0;     // region of the LV
  uint64_t size_bytes = 0;       // 0 = up to the end of the device
  std::string name;              // for traces and the Rng stream; empty = lv

  // Checks the spec against a device of `device_sectors`.
  Status Validate(uint64_t device_sectors) const;
};
const char* PatternName(WorkloadSpec::Pattern pattern);

struct WorkloadStats {
  uint64_t ios = 0;  // reads + writes completed
  uint64_t reads = 0;
  uint64_t writes = 0;
  uint64_t flushes = 0;
  uint64_t bytes = 0;  // read + written
  uint64_t violations = 0;
  uint64_t errors = 0;  // I/O errors (not violations)
  bool operator==(const WorkloadStats&) const = default;
};

class Workload {
 public:
  // REQUIRES: spec.Validate(device->size_sectors()) is OK; the oracle tracks
  // spec.lv (the Workload calls Track with the device size if it does not).
  // trace may be null.
  Workload(WorkloadSpec spec, dm::BlockDevice* device, Oracle* oracle, engine::Scheduler* scheduler,
           engine::Trace* trace, uint64_t seed);
  ~Workload();
  Workload(const Workload&) = delete;
  Workload& operator=(const Workload&) = delete;

  // Starts submitting (from the calling context; completions come later).
  void Start();
  // No new I/O from now on; done() once in-flight I/O has completed.
  void Stop();
  void Pause();
  void Resume();
  // REQUIRES: in_flight() == 0, and the new device covers the region.
  void Rebind(dm::BlockDevice* device);

  // Stopped or out of budget, and nothing in flight.
  bool done() const;
  bool paused() const { return paused_; }
  uint64_t in_flight() const { return in_flight_; }
  const WorkloadStats& stats() const { return stats_; }
  // OK until the first violation.
  const Status& first_violation() const { return first_violation_; }
  const std::string& name() const { return spec_.name; }
  const WorkloadSpec& spec() const { return spec_; }

 private:
  struct Io;
  bool BudgetSpent() const;
  bool FlushDue() const;
  void Pump();
  // The next block to use, or false if the chosen one is busy.
  bool PickBlock(uint64_t* block);
  void SubmitData(bool write, uint64_t block);
  void SubmitFlush();
  void Submit(std::shared_ptr<Io> io, uint32_t flags);
  void OnComplete(const std::shared_ptr<Io>& io, const Status& status);
  void OnData(const Io& io, const Status& status, bool stale);
  void Report(const Status& violation);
  void MaybeFinish();
  std::vector<uint8_t> TakeBuffer();

  WorkloadSpec spec_;
  dm::BlockDevice* device_;
  Oracle* const oracle_;
  engine::Scheduler* const scheduler_;
  engine::Trace* const trace_;
  const uint64_t seed_;
  Rng rng_;
  uint64_t region_start_sectors_ = 0;
  uint64_t block_sectors_ = 0;
  uint64_t nblocks_ = 0;

  bool started_ = false;
  bool stopped_ = false;
  bool paused_ = false;
  bool finished_ = false;  // workload-done emitted
  uint64_t start_ns_ = 0;
  uint64_t next_block_ = 0;  // sequential cursor
  uint64_t submitted_ios_ = 0;
  uint64_t writes_since_flush_ = 0;
  uint64_t in_flight_ = 0;
  std::set<uint64_t> busy_blocks_;
  std::vector<std::vector<uint8_t>> free_buffers_;
  WorkloadStats stats_;
  Status first_violation_;
  // Completions check it: false once the Workload is destroyed.
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
};

}  // namespace lvlab::check
