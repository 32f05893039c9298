#include "sim/dm/disk_device.h"

#include <algorithm>
#include <utility>

#include "sim/base/check.h"

namespace lvlab::dm {

using engine::Bio;

DiskDevice::DiskDevice(store::Disk* disk, uint32_t minor, engine::Scheduler& scheduler,
                       engine::Trace* trace)
    : disk_(disk), devno_{kDiskMajor, minor}, scheduler_(scheduler), trace_(trace) {
  LVLAB_CHECK(disk_ != nullptr) << "DiskDevice without a disk";
}

void DiskDevice::Submit(Bio bio) {
  LVLAB_CHECK(bio.done != nullptr) << name() << ": bio without completion";
  if (trace_io_ && trace_) {
    trace_->Emit("bio-submit", {{"dev", name()},
                                {"op", engine::OpName(bio.op)},
                                {"sector", bio.sector},
                                {"nsectors", bio.nsectors},
                                {"flags", engine::FlagsString(bio.flags)}});
  }
  if (bio.op == Bio::Op::kWrite && bio.nsectors > 0) {
    unapplied_writes_.insert({bio.sector, bio.end_sector()});
  }
  const uint32_t depth = disk_->options().model.queue_depth;
  if (depth != 0 && in_flight_ >= depth) {
    queue_.push_back(std::move(bio));
    return;
  }
  Start(std::move(bio));
}

void DiskDevice::Start(Bio bio) {
  ++in_flight_;
  const uint64_t bytes = bio.has_data() ? bio.bytes() : 0;
  const uint64_t t = disk_->CompletionTimeNs(scheduler_.now_ns(),
                                             bio.is_write() || bio.op == Bio::Op::kFlush, bytes);
  scheduler_.At(t, [this, b = std::move(bio)]() mutable { Complete(std::move(b)); });
}

void DiskDevice::Complete(Bio bio) {
  const Status st = Apply(bio);
  if (bio.op == Bio::Op::kWrite && bio.nsectors > 0) {
    unapplied_writes_.erase(unapplied_writes_.find({bio.sector, bio.end_sector()}));
  }
  --in_flight_;
  if (trace_io_ && trace_) {
    trace_->Emit("bio-complete", {{"dev", name()},
                                  {"op", engine::OpName(bio.op)},
                                  {"sector", bio.sector},
                                  {"nsectors", bio.nsectors},
                                  {"ok", st.ok()}});
  }
  // Free the slot before completing: the completion may submit more I/O.
  if (!queue_.empty()) {
    Bio next = std::move(queue_.front());
    queue_.pop_front();
    Start(std::move(next));
  }
  bio.done(st);
}

std::optional<SectorRange> DiskDevice::UnappliedNextData(uint64_t sector, uint64_t end) const {
  std::optional<SectorRange> best;
  for (const SectorRange& w : unapplied_writes_) {
    if (w.first >= end) break;
    if (w.second <= sector) continue;
    const SectorRange clipped{std::max(w.first, sector), std::min(w.second, end)};
    if (!best || clipped.first < best->first) best = clipped;
  }
  return best;
}

std::optional<SectorRange> DiskDevice::NextData(uint64_t sector, uint64_t end) {
  end = std::min(end, size_sectors());
  if (sector >= end) return std::nullopt;
  const bool down = disk_->failed() || (disk_->power() && disk_->power()->off());
  auto from_disk = [&](uint64_t s) -> std::optional<SectorRange> {
    Result<std::optional<SectorRange>> r = disk_->NextData(s, end);
    if (!r.ok()) return SectorRange{s, end};  // cannot tell: say "data"
    return *r;
  };
  if (down) return SectorRange{sector, end};
  std::optional<SectorRange> a = from_disk(sector);
  std::optional<SectorRange> b = UnappliedNextData(sector, end);
  if (!a || (b && b->first < a->first)) std::swap(a, b);
  if (!a) return std::nullopt;
  // Grow the earliest range while either source continues it.
  for (bool grew = true; grew && a->second < end;) {
    grew = false;
    for (const std::optional<SectorRange>& next :
         {from_disk(a->second), UnappliedNextData(a->second, end)}) {
      if (next && next->first == a->second) {
        a->second = next->second;
        grew = true;
      }
    }
  }
  return a;
}

bool DiskDevice::ChangedSince(uint64_t stamp, uint64_t sector, uint64_t end) {
  if (UnappliedNextData(sector, end)) return true;
  return disk_->ChangedSince(stamp, sector, end);
}

bool DiskDevice::Resolve(uint64_t sector, uint64_t end, std::vector<DiskExtent>* out,
                         uint64_t* newest_table) {
  (void)newest_table;
  if (end > size_sectors()) return false;
  AppendDiskExtent(out, {this, disk_->change_identity(), sector, end - sector});
  return true;
}

Status DiskDevice::Apply(const Bio& bio) {
  if (bio.has_data() && bio.nsectors > UINT32_MAX) {
    return IOError(name() + ": bio of " + std::to_string(bio.nsectors) + " sectors is too large");
  }
  const auto n = static_cast<uint32_t>(bio.nsectors);
  if (bio.data == nullptr && bio.has_data()) return ApplyPinned(bio, n);
  switch (bio.op) {
    case Bio::Op::kRead:
      return disk_->Read(bio.sector, n, bio.data);
    case Bio::Op::kWrite:
      if (bio.flags & Bio::kPreflush) LVLAB_RETURN_IF_ERROR(disk_->Flush());
      return disk_->Write(bio.sector, n, bio.data, (bio.flags & Bio::kFua) != 0);
    case Bio::Op::kFlush:
      return disk_->Flush();
    case Bio::Op::kDiscard:
      if (bio.flags & Bio::kPreflush) LVLAB_RETURN_IF_ERROR(disk_->Flush());
      return disk_->Discard(bio.sector, bio.nsectors);
  }
  return IOError(name() + ": unknown bio op");
}

Status DiskDevice::ApplyPinned(const Bio& bio, uint32_t n) {
  auto* src = dynamic_cast<PinnedSource*>(bio.source.get());
  LVLAB_CHECK(src != nullptr) << name() << ": " << engine::Describe(bio) << " without data";
  if (bio.op == Bio::Op::kRead) {
    LVLAB_ASSIGN_OR_RETURN(src->pin, disk_->Pin(bio.sector, n));
    if (src->pin) return Status::Ok();
    src->buffer.resize(bio.bytes());
    return disk_->Read(bio.sector, n, src->buffer.data());
  }
  if (bio.flags & Bio::kPreflush) LVLAB_RETURN_IF_ERROR(disk_->Flush());
  const bool fua = (bio.flags & Bio::kFua) != 0;
  if (src->pin) {
    LVLAB_CHECK(src->pin->nsectors() == n)
        << name() << ": " << engine::Describe(bio) << " from a pin of " << src->pin->nsectors()
        << " sectors";
    return disk_->WriteFromPin(bio.sector, *src->pin, fua);
  }
  LVLAB_CHECK(src->buffer.size() == bio.bytes())
      << name() << ": " << engine::Describe(bio) << " from a buffer of " << src->buffer.size()
      << " bytes";
  LVLAB_CHECK(src->writes > 0) << name() << ": " << engine::Describe(bio)
                               << " from a source already written out";
  if (--src->writes == 0) return disk_->Write(bio.sector, n, &src->buffer, fua);
  return disk_->Write(bio.sector, n, src->buffer.data(), fua);
}

}  // namespace lvlab::dm
