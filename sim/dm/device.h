// Device: one device-mapper device (254:minor) with its two table slots.
//
// A Device has a live table, which maps I/O, and an inactive table, loaded
// but not yet in use (reference/device-mapper-targets.md 3.1). Submit splits
// a bio at target boundaries and at each target's max_io_len, maps the pieces
// and completes the original once all pieces have completed (first error
// wins). A flush (kFlush, or kPreflush on a data bio) first goes as one empty
// flush to every target, then the data goes without kPreflush (3.3). Bios
// reaching past the end of the live table fail with an IOError; a device
// without a live table has size 0.
//
// A piece completed with RequeueStatus() (DM_ENDIO_REQUEUE) during a noflush
// suspend puts the whole bio back at the head of the deferred queue, after
// any bio requeued before it, to be reissued at resume; outside a noflush
// suspend it fails the bio with an IOError. NextData asks the live table's
// targets (a target without an answer says "all data").
//
// Suspend (3.2) runs presuspend hooks, then queues every new bio on the
// deferred queue; once the in-flight count is zero the device is SUSPENDED
// and postsuspend hooks run. Resume runs preresume hooks (which may fail),
// resume hooks, then resubmits the deferred bios in order, against the table
// live at that moment (the new one after a swap). The Kernel sequences these
// steps and drives the scheduler in between; Device only implements them.
//
// Not thread-safe: one engine thread. The Device owns its tables (and so its
// targets), the deferred bios and the records of bios in flight; it does not
// own the Scheduler or Trace. Owned by the Kernel; destroy it only with no
// bio in flight, or (a simulated power loss) together with a scheduler that
// will never run again: the bios in flight are then dropped.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/base/change_clock.h"
#include "sim/base/status.h"
#include "sim/dm/block_device.h"
#include "sim/dm/target.h"
#include "sim/engine/bio.h"
#include "sim/engine/scheduler.h"
#include "sim/engine/trace.h"

namespace lvlab::dm {

struct TableEntry {
  uint64_t start = 0;  // sectors
  uint64_t len = 0;    // sectors
  std::unique_ptr<Target> target;
};
using Table = std::vector<TableEntry>;

// "0 81920 linear 7:1 2048" lines joined by '\n' (no trailing newline); a
// target without arguments prints no trailing space.
std::string FormatTable(const Table& table);
// "0 81920 striped 2 7:1 7:2 1 AA" lines: the type, then the INFO if any.
std::string FormatStatus(const Table& table);

class Device : public BlockDevice {
 public:
  Device(std::string name, std::string uuid, DevNo devno, engine::Scheduler& scheduler,
         engine::Trace* trace);
  ~Device() override;

  void Submit(engine::Bio bio) override;
  uint64_t size_sectors() const override;
  DevNo devno() const override { return devno_; }
  const std::string& name() const override { return name_; }
  std::optional<SectorRange> NextData(uint64_t sector, uint64_t end) override;
  // Changed if the live table was swapped after `stamp`, I/O is blocked, or
  // a target of the range says so.
  bool ChangedSince(uint64_t stamp, uint64_t sector, uint64_t end) override;
  // The targets' answers, while I/O flows and the range is inside the table.
  bool Resolve(uint64_t sector, uint64_t end, std::vector<DiskExtent>* out,
               uint64_t* newest_table) override;
  // Every target of the live table over the range says so.
  bool DiscardZeroes(uint64_t sector, uint64_t end) override;

  const std::string& uuid() const { return uuid_; }
  bool suspended() const { return suspended_; }
  // True from the start of a suspend (new bios are deferred) until resume.
  bool io_blocked() const { return block_io_ || suspended_; }
  // True from the start of a noflush suspend until in-flight I/O drained.
  bool noflush_suspending() const { return noflush_suspending_; }
  // Null when the slot is empty.
  const Table* live_table() const { return live_ ? &*live_ : nullptr; }
  const Table* inactive_table() const { return inactive_ ? &*inactive_ : nullptr; }
  uint64_t in_flight() const { return in_flight_; }
  size_t deferred() const { return deferred_.size(); }

  // The event counter (dm_table_event): targets raise it on state changes a
  // waiter should see (mirror in sync, a stripe error...).
  uint32_t event_nr() const { return event_nr_; }
  void RaiseEvent();
  // Called with the device after each RaiseEvent (dmeventd's wait; the
  // Kernel's event hook). May be empty.
  void set_on_event(std::function<void(Device&)> fn) { on_event_ = std::move(fn); }

  // A read-only device (dm's DM_READONLY_FLAG, as LVM activates an LV
  // without WRITE permission): writes and discards fail with ReadOnly
  // (EROFS); reads and empty flushes pass.
  bool read_only() const { return read_only_; }
  void set_read_only(bool on) { read_only_ = on; }

  // Opens by users (a mounted LV); tables referencing the device are counted
  // by the Kernel.
  uint32_t opens() const { return opens_; }
  void Open() { ++opens_; }
  // REQUIRES: opens() > 0.
  void Close();

  // --- Steps the Kernel sequences. ---
  void SetInactive(Table table) { inactive_ = std::move(table); }
  void ClearInactive() { inactive_.reset(); }
  // Runs presuspend hooks, then blocks new I/O into the deferred queue.
  void BeginSuspend(bool noflush);
  // After in-flight I/O drained: marks SUSPENDED and runs postsuspend hooks.
  void FinishSuspend();
  // Undoes BeginSuspend when in-flight I/O cannot drain.
  void CancelSuspend();
  // Checks that every target's device areas fit their devices.
  Status ValidateInactive() const;
  // REQUIRES: suspended() and an inactive table. Makes it live; returns the
  // old live table (empty if none) for the caller to destroy.
  Table SwapTable();
  // REQUIRES: suspended() and a live table. Preresume hooks (a failure leaves
  // the device suspended), resume hooks, then releases the deferred bios.
  Status Resume();
  // Fails every deferred bio with an IOError (the device is going away).
  void FailDeferred();

 private:
  struct Io;
  void Start(engine::Bio bio);
  void IssueFlush(Io* io);
  void IssueData(Io* io);
  void MapPiece(Io* io, uint64_t sector, uint64_t nsectors, uint64_t* mapped);
  void DropIssuerRef(Io* io);
  void PieceDone(Io* io, Status status);
  void PhaseDone(Io* io);
  void Finish(Io* io);
  void ReleaseDeferred();
  void Emit(std::string_view type);

  const std::string name_;
  const std::string uuid_;
  const DevNo devno_;
  engine::Scheduler& scheduler_;
  engine::Trace* const trace_;
  std::optional<Table> live_;
  uint64_t table_stamp_ = NextChangeStamp();  // of the last SwapTable (or the birth)
  std::optional<Table> inactive_;
  bool block_io_ = false;
  bool suspended_ = false;
  bool noflush_suspending_ = false;
  uint64_t in_flight_ = 0;
  Io* ios_ = nullptr;  // the bios in flight, owned here (an intrusive list)
  std::deque<engine::Bio> deferred_;
  size_t requeued_ = 0;  // bios requeued at the head of deferred_ this suspend
  uint32_t event_nr_ = 0;
  std::function<void(Device&)> on_event_;
  bool read_only_ = false;
  uint32_t opens_ = 0;
};

}  // namespace lvlab::dm
