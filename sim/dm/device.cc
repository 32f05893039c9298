#include "sim/dm/device.h"

#include <algorithm>
#include <iterator>
#include <memory>
#include <utility>

#include "sim/base/check.h"

namespace lvlab::dm {

using engine::Bio;

namespace {

std::string Line(const TableEntry& e, const std::string& rest) {
  std::string out = std::to_string(e.start) + " " + std::to_string(e.len) + " " + e.target->type();
  if (!rest.empty()) out += " " + rest;
  return out;
}

std::string JoinLines(const Table& table, std::string (*rest)(const Target&)) {
  std::string out;
  for (const TableEntry& e : table) {
    if (!out.empty()) out += '\n';
    out += Line(e, rest(*e.target));
  }
  return out;
}

// Calls fn(entry, from, to) for the entries of `table` overlapping
// [sector, end), in order, with [from, to) the overlap in target sectors,
// until it returns true; true if it did. REQUIRES: sector < end <= the
// table's length.
template <typename Fn>
bool AnyEntry(const Table& table, uint64_t sector, uint64_t end, Fn fn) {
  auto it = std::upper_bound(table.begin(), table.end(), sector,
                             [](uint64_t s, const TableEntry& e) { return s < e.start; });
  for (it = std::prev(it); it != table.end() && it->start < end; ++it) {
    const uint64_t from = std::max(sector, it->start) - it->start;
    const uint64_t to = std::min(end, it->start + it->len) - it->start;
    if (fn(*it, from, to)) return true;
  }
  return false;
}

}  // namespace

std::string FormatTable(const Table& table) {
  return JoinLines(table, [](const Target& t) { return t.TableArgs(); });
}

std::string FormatStatus(const Table& table) {
  return JoinLines(table, [](const Target& t) { return t.StatusInfo(); });
}

// One bio submitted to the device, until all its pieces completed. `pending`
// counts outstanding pieces plus one reference held while issuing, so that
// the bio cannot complete while pieces are still being mapped.
struct Device::Io {
  Bio bio;
  uint32_t pending = 0;
  bool flush_phase = false;
  Status status;
  bool requeue = false;  // a target asked for DM_ENDIO_REQUEUE
  Io* prev = nullptr;    // Device::ios_, the bios in flight
  Io* next = nullptr;
};

Device::Device(std::string name, std::string uuid, DevNo devno, engine::Scheduler& scheduler,
               engine::Trace* trace)
    : name_(std::move(name)),
      uuid_(std::move(uuid)),
      devno_(devno),
      scheduler_(scheduler),
      trace_(trace) {}

// Bios still in flight (a simulated power loss drops the whole machine)
// are freed with the device; their completions never run.
Device::~Device() {
  while (ios_ != nullptr) {
    Io* next = ios_->next;
    delete ios_;
    ios_ = next;
  }
}

uint64_t Device::size_sectors() const {
  if (!live_ || live_->empty()) return 0;
  return live_->back().start + live_->back().len;
}

void Device::RaiseEvent() {
  ++event_nr_;
  if (trace_) trace_->Emit("dm-event", {{"dev", name_}, {"event_nr", event_nr_}});
  if (on_event_) on_event_(*this);
}

void Device::Close() {
  LVLAB_CHECK(opens_ > 0) << name_ << ": close without open";
  --opens_;
}

void Device::Emit(std::string_view type) {
  if (trace_) trace_->Emit(type, {{"dev", name_}});
}

void Device::Submit(Bio bio) {
  LVLAB_CHECK(bio.done != nullptr) << name_ << ": bio without completion";
  if (read_only_ && (bio.op == Bio::Op::kDiscard || (bio.op == Bio::Op::kWrite && bio.nsectors))) {
    return CompleteLater(scheduler_, std::move(bio),
                         ReadOnly(name_ + ": write to a read-only device"));
  }
  if (block_io_) {
    deferred_.push_back(std::move(bio));
    return;
  }
  Start(std::move(bio));
}

void Device::Start(Bio bio) {
  ++in_flight_;
  Io* io = new Io{std::move(bio), 0, false, Status::Ok()};
  io->next = ios_;
  if (ios_ != nullptr) ios_->prev = io;
  ios_ = io;
  const Bio& b = io->bio;
  const uint64_t size = size_sectors();
  if (b.op != Bio::Op::kFlush && (b.nsectors > size || b.sector > size - b.nsectors)) {
    io->status = IOError(name_ + ": " + engine::Describe(b) + " is beyond the end of the device (" +
                         std::to_string(size) + " sectors)");
    io->pending = 1;
    DropIssuerRef(io);
    return;
  }
  if (b.wants_flush() && live_ && !live_->empty()) {
    io->flush_phase = true;
    IssueFlush(io);
    return;
  }
  IssueData(io);
}

void Device::IssueFlush(Io* io) {
  io->pending = 1;
  for (TableEntry& e : *live_) {
    ++io->pending;
    e.target->Map(Bio{Bio::Op::kFlush, 0, 0, 0, nullptr,
                      [this, io](Status st) { PieceDone(io, std::move(st)); }},
                  0);
  }
  DropIssuerRef(io);
}

void Device::IssueData(Io* io) {
  io->pending = 1;
  const Bio& b = io->bio;
  if (b.op != Bio::Op::kFlush) {
    uint64_t sector = b.sector;
    while (sector < b.end_sector()) {
      uint64_t mapped = 0;
      MapPiece(io, sector, b.end_sector() - sector, &mapped);
      sector += mapped;
    }
  }
  DropIssuerRef(io);
}

// Maps the longest piece starting at `sector` that stays inside one target
// and one max_io_len window; sets *mapped to its length.
void Device::MapPiece(Io* io, uint64_t sector, uint64_t nsectors, uint64_t* mapped) {
  auto it = std::upper_bound(live_->begin(), live_->end(), sector,
                             [](uint64_t s, const TableEntry& e) { return s < e.start; });
  LVLAB_CHECK(it != live_->begin()) << name_ << ": no target at sector " << sector;
  TableEntry& e = *std::prev(it);
  const uint64_t offset = sector - e.start;
  uint64_t len = std::min(nsectors, e.len - offset);
  if (const uint64_t max = e.target->max_io_len(); max != 0) {
    len = std::min(len, max - offset % max);
  }
  const Bio& b = io->bio;
  Bio piece{b.op,
            sector,
            len,
            b.flags & ~Bio::kPreflush,
            b.data ? b.data + (sector - b.sector) * kSectorSize : nullptr,
            [this, io](Status st) { PieceDone(io, std::move(st)); }};
  ++io->pending;
  *mapped = len;
  e.target->Map(std::move(piece), offset);
}

void Device::DropIssuerRef(Io* io) {
  LVLAB_CHECK(io->pending > 0) << name_ << ": issuer reference dropped twice";
  // Everything already completed (or nothing was issued): finish from an
  // event, never inline inside Submit.
  if (--io->pending == 0) scheduler_.Post([this, io] { PhaseDone(io); });
}

void Device::PieceDone(Io* io, Status status) {
  LVLAB_CHECK(io->pending > 0) << name_ << ": piece completed twice";
  if (IsRequeue(status)) {
    if (noflush_suspending_) {
      io->requeue = true;
      status = Status::Ok();
    } else {
      status = IOError(name_ + ": " + engine::Describe(io->bio) +
                       " failed: the target gave it back outside a noflush suspend");
    }
  }
  if (!status.ok() && io->status.ok()) io->status = std::move(status);
  if (--io->pending == 0) PhaseDone(io);
}

void Device::PhaseDone(Io* io) {
  if (io->flush_phase) {
    io->flush_phase = false;
    // Preflush done: reissue the data without kPreflush.
    if (io->status.ok() && !io->requeue && io->bio.op != Bio::Op::kFlush && io->bio.nsectors > 0) {
      IssueData(io);
      return;
    }
  }
  Finish(io);
}

void Device::Finish(Io* io) {
  std::unique_ptr<Io> owned(io);
  (io->prev != nullptr ? io->prev->next : ios_) = io->next;
  if (io->next != nullptr) io->next->prev = io->prev;
  LVLAB_CHECK(in_flight_ > 0) << name_ << ": in-flight count underflow";
  --in_flight_;
  if (owned->requeue) {
    // DM core reissues it after resume, against the table live then.
    deferred_.insert(deferred_.begin() + static_cast<std::ptrdiff_t>(requeued_++),
                     std::move(owned->bio));
    return;
  }
  owned->bio.done(std::move(owned->status));
}

void Device::ReleaseDeferred() {
  requeued_ = 0;
  std::deque<Bio> queued = std::move(deferred_);
  deferred_.clear();
  for (Bio& b : queued) Start(std::move(b));
}

std::optional<SectorRange> Device::NextData(uint64_t sector, uint64_t end) {
  end = std::min(end, size_sectors());
  if (sector >= end) return std::nullopt;
  std::optional<SectorRange> found;
  AnyEntry(*live_, sector, end, [&](const TableEntry& e, uint64_t from, uint64_t to) {
    if (std::optional<SectorRange> r = e.target->NextData(from, to)) {
      found = SectorRange{e.start + r->first, e.start + r->second};
    }
    return found.has_value();
  });
  return found;
}

bool Device::DiscardZeroes(uint64_t sector, uint64_t end) {
  if (!live_ || end > size_sectors()) return false;
  if (sector >= end) return true;
  return !AnyEntry(*live_, sector, end, [](const TableEntry& e, uint64_t from, uint64_t to) {
    return !e.target->DiscardZeroes(from, to);
  });
}

bool Device::ChangedSince(uint64_t stamp, uint64_t sector, uint64_t end) {
  if (table_stamp_ > stamp || block_io_ || suspended_ || !live_) return true;
  end = std::min(end, size_sectors());
  if (sector >= end) return false;
  return AnyEntry(*live_, sector, end, [stamp](const TableEntry& e, uint64_t from, uint64_t to) {
    return e.target->ChangedSince(stamp, from, to);
  });
}

bool Device::Resolve(uint64_t sector, uint64_t end, std::vector<DiskExtent>* out,
                     uint64_t* newest_table) {
  if (block_io_ || suspended_ || !live_ || end > size_sectors()) return false;
  *newest_table = std::max(*newest_table, table_stamp_);
  if (sector >= end) return true;
  return !AnyEntry(*live_, sector, end, [&](const TableEntry& e, uint64_t from, uint64_t to) {
    return !e.target->Resolve(from, to, out, newest_table);
  });
}

void Device::BeginSuspend(bool noflush) {
  LVLAB_CHECK(!suspended_ && !block_io_) << name_ << ": suspend while suspending";
  noflush_suspending_ = noflush;
  if (live_) {
    for (TableEntry& e : *live_) e.target->Presuspend();
  }
  block_io_ = true;
}

void Device::FinishSuspend() {
  LVLAB_CHECK(block_io_ && in_flight_ == 0) << name_ << ": I/O still in flight";
  noflush_suspending_ = false;
  suspended_ = true;
  if (live_) {
    for (TableEntry& e : *live_) e.target->Postsuspend();
  }
  Emit("suspend");
}

void Device::CancelSuspend() {
  noflush_suspending_ = false;
  if (live_) {
    for (TableEntry& e : *live_) e.target->PresuspendUndo();
  }
  block_io_ = false;
  ReleaseDeferred();
}

Status Device::ValidateInactive() const {
  if (!inactive_) return Status::Ok();
  for (const TableEntry& e : *inactive_) {
    for (const DeviceArea& a : e.target->Areas()) {
      const uint64_t dev_size = a.dev->size_sectors();
      if (a.len_sectors > dev_size || a.start_sectors > dev_size - a.len_sectors) {
        return InvalidArgument(name_ + ": " + a.dev->devno().ToString() + " (" + a.dev->name() +
                               ") too small for target: start=" + std::to_string(a.start_sectors) +
                               ", len=" + std::to_string(a.len_sectors) +
                               ", dev_size=" + std::to_string(dev_size));
      }
    }
  }
  return Status::Ok();
}

Table Device::SwapTable() {
  LVLAB_CHECK(suspended_ && inactive_) << name_ << ": swap needs a suspended device and a table";
  Table old;
  if (live_) old = std::move(*live_);
  live_ = std::move(inactive_);
  inactive_.reset();
  table_stamp_ = NextChangeStamp();
  Emit("table-swap");
  return old;
}

Status Device::Resume() {
  LVLAB_CHECK(suspended_ && live_) << name_ << ": resume needs a suspended device with a table";
  for (TableEntry& e : *live_) {
    Status st = e.target->Preresume();
    if (!st.ok()) return st.WithContext(name_ + ": preresume of " + e.target->type() + " failed");
  }
  for (TableEntry& e : *live_) e.target->Resume();
  suspended_ = false;
  block_io_ = false;
  Emit("resume");
  ReleaseDeferred();
  return Status::Ok();
}

void Device::FailDeferred() {
  requeued_ = 0;
  std::deque<Bio> queued = std::move(deferred_);
  deferred_.clear();
  for (Bio& b : queued) {
    Status st = IOError(name_ + ": device removed with " + engine::Describe(b) + " queued");
    CompleteLater(scheduler_, std::move(b), std::move(st));
  }
}

}  // namespace lvlab::dm
