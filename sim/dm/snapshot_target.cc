// snapshot: copy-on-write over a persistent exception store
// (snapshot_target.h, reference/device-mapper-targets.md 4.2-4.5).
#include "sim/dm/snapshot_target.h"

#include <algorithm>
#include <utility>

#include "sim/dm/device.h"
#include "sim/dm/kernel.h"

namespace lvlab::dm {

using engine::Bio;

SnapshotTarget::SnapshotTarget(const TargetArgs& args, bool merge, BlockDevice* origin,
                               BlockDevice* cow, std::string persistent, uint64_t chunk_sectors)
    : kernel_(args.kernel),
      device_(args.device),
      scheduler_(*args.scheduler),
      trace_(args.trace),
      merge_(merge),
      origin_(origin),
      cow_(cow),
      persistent_(std::move(persistent)),
      chunk_(chunk_sectors),
      len_(args.len_sectors),
      store_(std::make_unique<PersistentStore>(cow, chunk_sectors, *args.scheduler)) {}

SnapshotTarget::~SnapshotTarget() {
  if (registered_) kernel_->snapshots().Remove(this);
}

std::string SnapshotTarget::TableArgs() const {
  return origin_->devno().ToString() + " " + cow_->devno().ToString() + " " + persistent_ + " " +
         std::to_string(chunk_);
}

std::string SnapshotTarget::StatusInfo() const {
  if (!valid_) return "Invalid";
  if (merge_failed_) return "Merge failed";
  return std::to_string(store_->sectors_allocated()) + "/" +
         std::to_string(store_->total_sectors()) + " " + std::to_string(store_->metadata_sectors());
}

std::vector<DeviceArea> SnapshotTarget::Areas() const {
  return {{origin_, 0, len_}, {cow_, 0, cow_->size_sectors()}};
}

bool SnapshotTarget::Quiet() const {
  return pending_.empty() && copies_in_flight_ == 0 && commits_in_flight_ == 0 && store_->idle() &&
         !step_running_ && cow_io_.empty();
}

void SnapshotTarget::Presuspend() {
  if (merge_) stop_ = true;
}

void SnapshotTarget::Postsuspend() {
  scheduler_.RunUntil([this] { return Quiet(); });
}

Status SnapshotTarget::Preresume() {
  if (loaded_) return Status::Ok();
  if (merge_) {
    if (kernel_->snapshots().HasMerging(origin_, this)) {
      return Busy("snapshot-merge: " + origin_->name() + " already has a merging snapshot");
    }
    LVLAB_RETURN_IF_ERROR(Handover());
  } else {
    Status st = store_->Load();
    if (!st.ok()) return st.WithContext("snapshot: Failed to read snapshot metadata");
    for (const auto& [o, n] : store_->exceptions()) complete_[o] = n;
  }
  chunk_ = store_->chunk_sectors();
  valid_ = store_->valid();
  loaded_ = true;
  map_stamp_ = NextChangeStamp();
  return Status::Ok();
}

void SnapshotTarget::Resume() {
  if (!registered_) {
    kernel_->snapshots().Add(origin_, this);
    registered_ = true;
  }
  if (merge_) {
    stop_ = false;
    if (!step_running_) {
      step_running_ = true;
      scheduler_.Post([this] { NextMergeStep(); });
    }
  }
}

void SnapshotTarget::Fail(Bio bio) {
  CompleteLater(
      scheduler_, std::move(bio),
      IOError(device_ ? device_->name() + ": snapshot is invalid" : "snapshot is invalid"));
}

void SnapshotTarget::ToCow(Bio bio, uint64_t new_chunk, uint64_t offset_in_chunk) {
  bio.sector = new_chunk * chunk_ + offset_in_chunk;
  cow_->Submit(std::move(bio));
}

uint64_t SnapshotTarget::ChunkLen(uint64_t chunk) const {
  return std::min(chunk_, len_ - chunk * chunk_);
}

void SnapshotTarget::Map(Bio bio, uint64_t offset) {
  if (merge_) return MapMerge(std::move(bio), offset);
  if (!valid_ || !loaded_) return Fail(std::move(bio));
  bio.sector = offset;  // held writes remember their place
  if (bio.op == Bio::Op::kFlush) {
    bio.sector = 0;
    bio.nsectors = 0;
    cow_->Submit(std::move(bio));
    return;
  }
  const uint64_t chunk = offset / chunk_;
  const uint64_t in = offset % chunk_;
  if (auto it = complete_.find(chunk); it != complete_.end()) {
    return ToCow(std::move(bio), it->second, in);
  }
  if (bio.op == Bio::Op::kDiscard) {  // no exception: nothing to discard
    return CompleteLater(scheduler_, std::move(bio), Status::Ok());
  }
  if (bio.op == Bio::Op::kRead) {
    bio.sector = offset;
    origin_->Submit(std::move(bio));
    return;
  }
  if (auto it = pending_.find(chunk); it != pending_.end()) {
    it->second->writes.push_back(std::move(bio));
    return;
  }
  std::optional<uint64_t> new_chunk = store_->Allocate();
  if (!new_chunk) {
    Invalidate("the COW store is full");
    return Fail(std::move(bio));
  }
  Pending* pe = NewPending(chunk, *new_chunk);
  if (in == 0 && bio.nsectors == chunk_) {
    // start_full_bio: the write is the copy.
    Bio copy{Bio::Op::kWrite,
             *new_chunk * chunk_,
             chunk_,
             bio.flags,
             bio.data,
             [this, chunk](Status st) {
               --copies_in_flight_;
               CopyDone(chunk, std::move(st));
             }};
    pe->full_write = std::move(bio);
    pe->has_full_write = true;
    ++copies_in_flight_;
    cow_->Submit(std::move(copy));
    return;
  }
  pe->writes.push_back(std::move(bio));
  StartCopy(pe);
}

std::optional<SectorRange> SnapshotTarget::NextData(uint64_t offset, uint64_t end) {
  end = std::min(end, len_);
  if (offset >= end) return std::nullopt;
  // Reads that fail (Map's Fail) are data; an invalid or unloaded merge
  // reads the origin.
  if (!valid_ || !loaded_) {
    if (!merge_) return SectorRange{offset, end};
    return origin_->NextData(offset, end);
  }
  for (uint64_t s = offset; s < end;) {
    const uint64_t chunk = s / chunk_;
    auto it = complete_.lower_bound(chunk);
    if (it != complete_.end() && it->first == chunk) {
      // Mapped to the COW: the chunk's place there.
      const uint64_t stop = std::min(end, (chunk + 1) * chunk_);
      const uint64_t base = it->second * chunk_;
      const uint64_t in = s - chunk * chunk_;
      if (std::optional<SectorRange> r = cow_->NextData(base + in, base + (stop - chunk * chunk_))) {
        return SectorRange{chunk * chunk_ + (r->first - base), chunk * chunk_ + (r->second - base)};
      }
      s = stop;
      continue;
    }
    // The origin's, up to the next chunk with an exception.
    const uint64_t stop =
        it == complete_.end() ? end : std::min(end, it->first * chunk_);
    if (std::optional<SectorRange> r = origin_->NextData(s, stop)) return r;
    s = stop;
  }
  return std::nullopt;
}

bool SnapshotTarget::AllReadPieces(
    uint64_t offset, uint64_t end,
    const std::function<bool(BlockDevice*, uint64_t, uint64_t)>& fn) const {
  for (uint64_t s = offset; s < end;) {
    const uint64_t chunk = s / chunk_;
    auto it = complete_.lower_bound(chunk);
    if (it != complete_.end() && it->first == chunk) {
      const uint64_t stop = std::min(end, (chunk + 1) * chunk_);
      const uint64_t cow_at = it->second * chunk_ + (s - chunk * chunk_);
      if (!fn(cow_, cow_at, cow_at + (stop - s))) return false;
      s = stop;
      continue;
    }
    const uint64_t stop = it == complete_.end() ? end : std::min(end, it->first * chunk_);
    if (!fn(origin_, s, stop)) return false;
    s = stop;
  }
  return true;
}

bool SnapshotTarget::ChangedSince(uint64_t stamp, uint64_t offset, uint64_t end) {
  if (merge_ || !valid_ || !loaded_ || map_stamp_ > stamp) return true;
  return !AllReadPieces(offset, std::min(end, len_), [&](BlockDevice* dev, uint64_t a, uint64_t b) {
    return !dev->ChangedSince(stamp, a, b);
  });
}

bool SnapshotTarget::Resolve(uint64_t offset, uint64_t end, std::vector<DiskExtent>* out,
                             uint64_t* newest_table) {
  if (merge_ || !valid_ || !loaded_ || end > len_) return false;
  *newest_table = std::max(*newest_table, map_stamp_);
  return AllReadPieces(offset, end, [&](BlockDevice* dev, uint64_t a, uint64_t b) {
    return dev->Resolve(a, b, out, newest_table);
  });
}

SnapshotTarget::Pending* SnapshotTarget::NewPending(uint64_t old_chunk, uint64_t new_chunk) {
  auto pe = std::make_unique<Pending>();
  pe->old_chunk = old_chunk;
  pe->new_chunk = new_chunk;
  Pending* raw = pe.get();
  pending_[old_chunk] = std::move(pe);
  alloc_order_.push_back(old_chunk);
  return raw;
}

void SnapshotTarget::StartCopy(Pending* pe) {
  ++copies_in_flight_;
  const uint64_t chunk = pe->old_chunk;
  kernel_->copier().Copy(origin_, chunk * chunk_, {{cow_, pe->new_chunk * chunk_}}, ChunkLen(chunk),
                         0, [this, chunk](Status read_err, uint64_t write_mask) {
                           --copies_in_flight_;
                           Status st = read_err;
                           if (st.ok() && write_mask != 0) {
                             st = IOError(cow_->name() + ": write error while copying");
                           }
                           CopyDone(chunk, std::move(st));
                         });
}

void SnapshotTarget::CopyDone(uint64_t chunk, Status st) {
  auto it = pending_.find(chunk);
  if (it == pending_.end()) return;  // invalidated meanwhile
  it->second->copied = true;
  it->second->copy_status = std::move(st);
  CommitInOrder();
}

// copy_callback: exceptions complete in allocation order.
void SnapshotTarget::CommitInOrder() {
  while (!alloc_order_.empty()) {
    const uint64_t chunk = alloc_order_.front();
    auto it = pending_.find(chunk);
    if (it == pending_.end()) {
      alloc_order_.pop_front();
      continue;
    }
    Pending* pe = it->second.get();
    if (!pe->copied) return;
    alloc_order_.pop_front();
    if (!pe->copy_status.ok())
      return Invalidate("copy-on-write failed: " + pe->copy_status.message());
    ++commits_in_flight_;
    store_->Commit(chunk, pe->new_chunk, [this, chunk](Status st) {
      --commits_in_flight_;
      Committed(chunk, std::move(st));
    });
  }
}

void SnapshotTarget::Committed(uint64_t chunk, Status st) {
  if (!st.ok()) return Invalidate("exception store commit failed: " + st.message());
  auto it = pending_.find(chunk);
  if (it == pending_.end()) return;
  std::unique_ptr<Pending> pe = std::move(it->second);
  pending_.erase(it);
  complete_[chunk] = pe->new_chunk;
  map_stamp_ = NextChangeStamp();
  if (trace_ != nullptr && device_ != nullptr) {
    trace_->Emit("snapshot-exception",
                 {{"dev", device_->name()}, {"chunk", chunk}, {"cow_chunk", pe->new_chunk}});
  }
  if (pe->has_full_write) pe->full_write.done(Status::Ok());
  for (Bio& w : pe->writes) {
    const uint64_t in = w.sector % chunk_;
    ToCow(std::move(w), pe->new_chunk, in);
  }
  for (auto& waiter : pe->origin_waiters) waiter();
}

void SnapshotTarget::Invalidate(const std::string& why) {
  if (!valid_) return;
  valid_ = false;
  map_stamp_ = NextChangeStamp();
  store_->Drop();
  if (trace_ != nullptr && device_ != nullptr) {
    trace_->Emit("snapshot-invalid", {{"dev", device_->name()}, {"why", why}});
  }
  auto pending = std::move(pending_);
  pending_.clear();
  alloc_order_.clear();
  for (auto& [chunk, pe] : pending) {
    if (pe->has_full_write) Fail(std::move(pe->full_write));
    for (Bio& w : pe->writes) Fail(std::move(w));
    for (auto& waiter : pe->origin_waiters) waiter();
  }
  if (device_ != nullptr) device_->RaiseEvent();
}

bool SnapshotTarget::PrepareOriginWrite(uint64_t sector, uint64_t n, std::function<void()> ready) {
  if (merge_ || !valid_ || !loaded_ || sector >= len_) return false;
  const uint64_t end = std::min(sector + n, len_);
  struct Wait {
    size_t left = 1;
    std::function<void()> ready;
  };
  auto wait = std::make_shared<Wait>();
  wait->ready = std::move(ready);
  auto release = [wait] {
    if (--wait->left == 0) wait->ready();
  };
  bool waited = false;
  for (uint64_t c = sector / chunk_; c <= (end - 1) / chunk_ && valid_; ++c) {
    if (complete_.count(c)) continue;
    Pending* pe = nullptr;
    if (auto it = pending_.find(c); it != pending_.end()) {
      pe = it->second.get();
    } else {
      std::optional<uint64_t> new_chunk = store_->Allocate();
      if (!new_chunk) {
        Invalidate("the COW store is full");
        break;
      }
      pe = NewPending(c, *new_chunk);
      StartCopy(pe);
    }
    ++wait->left;
    waited = true;
    pe->origin_waiters.push_back(release);
  }
  if (!waited) return false;
  release();
  return true;
}

namespace {

Result<std::unique_ptr<Target>> NewSnap(const TargetArgs& args, bool merge) {
  const std::string type = merge ? "snapshot-merge" : "snapshot";
  if (args.argv.size() != 4) {
    return InvalidArgument(type + ": requires exactly 4 arguments: <origin> <cow> P|PO <chunk>");
  }
  const std::string& p = args.argv[2];
  if (p == "N") {
    return Unsupported(type + ": transient snapshots (N) are not modelled; use P");
  }
  if (p != "P" && p != "PO") {
    return InvalidArgument(type + ": Invalid persistent flag '" + p + "' (P, PO or N)");
  }
  uint64_t chunk = 0;
  if (!ParseSectors(args.argv[3], &chunk) || (chunk & (chunk - 1)) != 0) {
    return InvalidArgument(type + ": invalid chunk size '" + args.argv[3] +
                           "' (a power of 2 in sectors)");
  }
  if (chunk == 0) chunk = 32;
  Result<BlockDevice*> origin = args.GetDevice(args.argv[0]);
  if (!origin.ok()) return origin.status().WithContext(type + ": Cannot get origin device");
  Result<BlockDevice*> cow = args.GetDevice(args.argv[1]);
  if (!cow.ok()) return cow.status().WithContext(type + ": Cannot get COW device");
  if (*origin == *cow) return InvalidArgument(type + ": COW device cannot be the origin");
  return std::unique_ptr<Target>(
      std::make_unique<SnapshotTarget>(args, merge, *origin, *cow, p, chunk));
}

}  // namespace

Result<std::unique_ptr<Target>> NewSnapshotTarget(const TargetArgs& args) {
  return NewSnap(args, false);
}

Result<std::unique_ptr<Target>> NewSnapshotMergeTarget(const TargetArgs& args) {
  return NewSnap(args, true);
}

}  // namespace lvlab::dm
