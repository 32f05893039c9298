// snapshot-merge: the merging snapshot that is the origin device
// (snapshot_target.h, reference/device-mapper-targets.md 4.6).
#include <algorithm>
#include <utility>

#include "sim/dm/device.h"
#include "sim/dm/kernel.h"
#include "sim/dm/snapshot_target.h"

namespace lvlab::dm {

using engine::Bio;

// __handover_exceptions: take the exceptions and store of the active
// snapshot on the same COW (it turns invalid: EIO, "Invalid"), or read them
// from disk when there is none (activation after a reboot).
Status SnapshotTarget::Handover() {
  auto* src = dynamic_cast<SnapshotTarget*>(kernel_->snapshots().FindByCow(cow_, this));
  if (src != nullptr && !src->merge_ && src->loaded_ && src->valid_) {
    LVLAB_CHECK(src->Quiet()) << "snapshot handover from a busy snapshot";
    std::swap(store_, src->store_);
    complete_ = std::move(src->complete_);
    src->complete_.clear();
    src->valid_ = false;
    src->map_stamp_ = NextChangeStamp();
    if (trace_ != nullptr && device_ != nullptr) {
      trace_->Emit("snapshot-handover", {{"dev", device_->name()}, {"from", src->device_->name()}});
    }
    return Status::Ok();
  }
  Status st = store_->Load();
  if (!st.ok()) return st.WithContext("snapshot-merge: Failed to read snapshot metadata");
  if (!store_->valid()) {
    return FailedPrecondition("snapshot-merge: " + cow_->name() +
                              " holds an invalid snapshot; it cannot be merged");
  }
  for (const auto& [o, n] : store_->exceptions()) complete_[o] = n;
  return Status::Ok();
}

void SnapshotTarget::TrackCowIo(Bio& bio, uint64_t old_chunk) {
  ++cow_io_[old_chunk];
  bio.done = [this, old_chunk, done = std::move(bio.done)](Status st) {
    if (--cow_io_[old_chunk] == 0) cow_io_.erase(old_chunk);
    done(std::move(st));
    if (on_cow_idle_) {
      auto it = cow_io_.lower_bound(merging_first_);
      if (it == cow_io_.end() || it->first >= merging_first_ + merging_n_) {
        auto go = std::move(on_cow_idle_);
        on_cow_idle_ = nullptr;
        go();
      }
    }
  };
}

void SnapshotTarget::MapMerge(Bio bio, uint64_t offset) {
  if (!valid_ || !loaded_) {  // an invalid merging snapshot: all to the origin
    bio.sector = bio.op == Bio::Op::kFlush ? 0 : offset;
    origin_->Submit(std::move(bio));
    return;
  }
  if (bio.op == Bio::Op::kFlush) {  // num_flush_bios = 2: origin and COW
    auto join = JoinCompletions(2, std::move(bio.done));
    origin_->Submit(Bio{Bio::Op::kFlush, 0, 0, 0, nullptr, join});
    cow_->Submit(Bio{Bio::Op::kFlush, 0, 0, 0, nullptr, join});
    return;
  }
  if (bio.op == Bio::Op::kDiscard) return CompleteLater(scheduler_, std::move(bio), Status::Ok());
  const uint64_t chunk = offset / chunk_;
  if (auto it = complete_.find(chunk); it != complete_.end()) {
    if (bio.op == Bio::Op::kWrite && chunk >= merging_first_ &&
        chunk < merging_first_ + merging_n_) {
      held_.emplace_back(std::move(bio), offset);  // released after the step commits
      return;
    }
    if (bio.op == Bio::Op::kWrite) TrackCowIo(bio, chunk);
    return ToCow(std::move(bio), it->second, offset % chunk_);
  }
  bio.sector = offset;
  if (bio.op == Bio::Op::kRead) {
    origin_->Submit(std::move(bio));
    return;
  }
  // A write to the origin: other snapshots of it copy first.
  auto shared = std::make_shared<Bio>(std::move(bio));
  OriginWrite(kernel_->snapshots(), origin_, offset, shared->nsectors,
              [this, shared] { origin_->Submit(std::move(*shared)); });
}

// snapshot_merge_next_chunks.
void SnapshotTarget::NextMergeStep() {
  if (stop_ || !valid_ || merge_failed_) {
    step_running_ = false;
    return;
  }
  if (merge_held_) {
    merge_deferred_ = true;
    return;
  }
  uint64_t last_old = 0, last_new = 0;
  const uint64_t n = store_->PrepareMerge(&last_old, &last_new);
  if (n == 0) {
    step_running_ = false;
    if (trace_ != nullptr && device_ != nullptr) {
      trace_->Emit("snapshot-merge-done", {{"dev", device_->name()}});
    }
    if (device_ != nullptr) device_->RaiseEvent();
    return;
  }
  const uint64_t first_old = last_old - n + 1;
  merging_first_ = first_old;
  merging_n_ = n;
  auto copy = [this, first_old, n, first_new = last_new - n + 1] {
    const uint64_t len = std::min(n * chunk_, len_ - first_old * chunk_);
    kernel_->copier().Copy(cow_, first_new * chunk_, {{origin_, first_old * chunk_}}, len, 0,
                           [this, first_old, n](Status read_err, uint64_t write_mask) {
                             Status st = read_err;
                             if (st.ok() && write_mask != 0) {
                               st = IOError(origin_->name() + ": write error while merging");
                             }
                             MergeCopied(first_old, n, std::move(st));
                           });
  };
  // origin_write_extent, then wait for writes in flight to these chunks.
  OriginWrite(kernel_->snapshots(), origin_, first_old * chunk_, n * chunk_, [this, copy] {
    auto it = cow_io_.lower_bound(merging_first_);
    if (it != cow_io_.end() && it->first < merging_first_ + merging_n_) {
      on_cow_idle_ = copy;
      return;
    }
    copy();
  });
}

void SnapshotTarget::ReleaseMerge() {
  merge_held_ = false;
  if (!merge_deferred_) return;
  merge_deferred_ = false;
  scheduler_.Post([this] { NextMergeStep(); });
}

void SnapshotTarget::MergeCopied(uint64_t first_old, uint64_t n, Status st) {
  if (!st.ok()) return MergeFailed();
  if (kernel_->bugs().merge_clear_before_flush) return MergeFlushed(first_old, n, Status::Ok());
  origin_->Submit(Bio{Bio::Op::kFlush, 0, 0, 0, nullptr, [this, first_old, n](Status fst) {
                        MergeFlushed(first_old, n, std::move(fst));
                      }});
}

void SnapshotTarget::MergeFlushed(uint64_t first_old, uint64_t n, Status st) {
  if (!st.ok()) return MergeFailed();
  store_->CommitMerge(
      n, [this, first_old, n](Status cst) { MergeCommitted(first_old, n, std::move(cst)); });
}

void SnapshotTarget::MergeCommitted(uint64_t first_old, uint64_t n, Status st) {
  if (!st.ok()) return MergeFailed();
  for (uint64_t c = first_old; c < first_old + n; ++c) complete_.erase(c);
  map_stamp_ = NextChangeStamp();
  merging_n_ = 0;
  if (trace_ != nullptr && device_ != nullptr) {
    trace_->Emit("snapshot-merge-step", {{"dev", device_->name()},
                                         {"chunk", first_old},
                                         {"chunks", n},
                                         {"left", complete_.size()}});
  }
  auto held = std::move(held_);
  held_.clear();
  for (auto& [bio, offset] : held) MapMerge(std::move(bio), offset);
  scheduler_.Post([this] { NextMergeStep(); });
}

void SnapshotTarget::MergeFailed() {
  merge_failed_ = true;
  step_running_ = false;
  merging_n_ = 0;
  auto held = std::move(held_);
  held_.clear();
  for (auto& [bio, offset] : held) Fail(std::move(bio));
  if (device_ != nullptr) device_->RaiseEvent();
}

}  // namespace lvlab::dm
