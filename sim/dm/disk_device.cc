#include "sim/dm/disk_device.h"

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

Status DiskDevice::Apply(const Bio& bio) {
  if (bio.has_data() && bio.nsectors > UINT32_MAX) {
    return IOError(name() + ": bio of " + std::to_string(bio.nsectors) + " sectors is too large");
  }
  const auto n = static_cast<uint32_t>(bio.nsectors);
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

}  // namespace lvlab::dm
