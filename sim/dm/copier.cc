#include "sim/dm/copier.h"

#include <algorithm>
#include <string>
#include <utility>

#include "sim/base/check.h"
#include "sim/dm/disk_device.h"
#include "sim/dm/target.h"

namespace lvlab::dm {

using engine::Bio;

struct Copier::Job {
  uint64_t id = 0;
  BlockDevice* src = nullptr;
  uint64_t src_sector = 0;
  std::vector<Dest> dests;
  uint64_t nsectors = 0;
  uint32_t flags = 0;
  Callback done;
  bool offload = false;  // every device a DiskDevice: zero-copy bios

  uint64_t cursor = 0;  // job-relative: the next sector no piece has taken
  uint32_t in_flight = 0;
  bool stopped = false;
  Status read_err;
  uint64_t write_err = 0;

  bool ignore_errors() const { return (flags & kIgnoreErrors) != 0; }
};

Copier::Copier(engine::Scheduler& scheduler, engine::Trace* trace)
    : scheduler_(scheduler), trace_(trace) {}

Copier::~Copier() = default;

void Copier::Copy(BlockDevice* src, uint64_t src_sector, std::vector<Dest> dests, uint64_t nsectors,
                  uint32_t flags, Callback done) {
  LVLAB_CHECK(src != nullptr) << "kcopyd: no source";
  LVLAB_CHECK(!dests.empty() && dests.size() <= kMaxDestinations)
      << "kcopyd: " << dests.size() << " destinations (1 to 8 allowed)";
  for (const Dest& d : dests) LVLAB_CHECK(d.first != nullptr) << "kcopyd: null destination";
  LVLAB_CHECK((flags & ~kIgnoreErrors) == 0) << "kcopyd: unknown flags " << flags;
  auto job = std::make_unique<Job>();
  job->id = next_id_++;
  job->src = src;
  job->src_sector = src_sector;
  job->dests = std::move(dests);
  job->nsectors = nsectors;
  job->flags = flags;
  job->done = std::move(done);
  job->offload = dynamic_cast<DiskDevice*>(job->src) != nullptr &&
                 std::all_of(job->dests.begin(), job->dests.end(), [](const Dest& d) {
                   return dynamic_cast<DiskDevice*>(d.first) != nullptr;
                 });
  Job* j = job.get();
  jobs_[j->id] = std::move(job);
  ++stats_.jobs;
  if (trace_) {
    trace_->Emit("kcopyd-job", {{"phase", "start"},
                                {"job", j->id},
                                {"src", src->name()},
                                {"sector", src_sector},
                                {"nsectors", nsectors},
                                {"dests", j->dests.size()}});
  }
  Issue(j);
  if (j->in_flight == 0) Finish(j);  // nothing to copy
}

void Copier::Issue(Job* job) {
  while (!job->stopped && job->in_flight < kPiecesInFlight && job->cursor < job->nsectors) {
    StartPiece(job);
  }
  stats_.max_pieces_in_flight = std::max(stats_.max_pieces_in_flight, job->in_flight);
}

void Copier::StartPiece(Job* job) {
  const uint64_t from = job->src_sector + job->cursor;
  const uint64_t end = job->src_sector + job->nsectors;
  const std::optional<SectorRange> data = job->src->NextData(from, end);
  if (!data) return StartHole(job, job->nsectors - job->cursor);
  LVLAB_CHECK(data->first >= from && data->first < data->second && data->second <= end)
      << job->src->name() << ": NextData(" << from << ", " << end << ") answered [" << data->first
      << ", " << data->second << ")";
  if (data->first > from) return StartHole(job, data->first - from);
  StartData(job, DataLength(job, data->second));
}

// The length of the data piece at the cursor: the data range starting there,
// grown over adjacent ranges, at most one sub-job.
uint64_t Copier::DataLength(const Job* job, uint64_t data_end) const {
  const uint64_t from = job->src_sector + job->cursor;
  const uint64_t limit = std::min(job->src_sector + job->nsectors, from + kSubJobSectors);
  uint64_t stop = std::min(data_end, limit);
  while (stop < limit) {
    const std::optional<SectorRange> next = job->src->NextData(stop, limit);
    if (!next || next->first != stop) break;
    stop = std::min(next->second, limit);
  }
  return stop - from;
}

void Copier::StartHole(Job* job, uint64_t len) {
  const uint64_t offset = job->cursor;
  // A destination where a discard is not a write of zeros (a mirror, a
  // snapshot) gets zeros written, as kcopyd writes them, in sub-jobs.
  std::vector<size_t> discards, writes;
  std::vector<bool> zeroes(job->dests.size());
  for (size_t i = 0; i < job->dests.size(); ++i) {
    const auto& [dev, start] = job->dests[i];
    zeroes[i] = dev->DiscardZeroes(start + offset, start + offset + len);
    if (!zeroes[i]) writes.push_back(i);
  }
  if (!writes.empty()) len = std::min(len, kSubJobSectors);
  job->cursor += len;
  ++job->in_flight;
  ++stats_.hole_pieces;
  stats_.bytes_skipped += len * kSectorSize;
  for (size_t i = 0; i < job->dests.size(); ++i) {
    // Those discard zeros over the whole hole, so over its start too.
    const auto& [dev, start] = job->dests[i];
    if (zeroes[i] && dev->NextData(start + offset, start + offset + len)) discards.push_back(i);
  }
  if (discards.empty() && writes.empty()) {
    scheduler_.Post([this, job] { PieceDone(job); });
    return;
  }
  auto join =
      JoinCompletions(discards.size() + writes.size(), [this, job](Status) { PieceDone(job); });
  for (size_t i : discards) {
    const auto& [dev, start] = job->dests[i];
    stats_.bytes_discarded += len * kSectorSize;
    dev->Submit(
        Bio{Bio::Op::kDiscard, start + offset, len, 0, nullptr, [this, job, i, join](Status st) {
              if (!st.ok()) WriteFailed(job, i);
              join(std::move(st));
            }});
  }
  if (writes.empty()) return;
  auto zeros = std::make_shared<std::vector<uint8_t>>(len * kSectorSize, 0);
  for (size_t i : writes) {
    const auto& [dev, start] = job->dests[i];
    stats_.bytes_written += len * kSectorSize;
    dev->Submit(Bio{Bio::Op::kWrite, start + offset, len, 0, zeros->data(),
                    [this, job, i, join, zeros](Status st) {
                      if (!st.ok()) WriteFailed(job, i);
                      join(std::move(st));
                    }});
  }
}

void Copier::StartData(Job* job, uint64_t len) {
  const uint64_t offset = job->cursor;
  job->cursor += len;
  ++job->in_flight;
  ++stats_.pieces;
  stats_.bytes_read += len * kSectorSize;
  auto src = std::make_shared<PinnedSource>();
  Bio read{Bio::Op::kRead,
           job->src_sector + offset,
           len,
           0,
           nullptr,
           [this, job, src, offset, len](Status st) mutable {
             if (st.ok()) return WriteAll(job, std::move(src), offset, len);
             if (job->read_err.ok()) {
               job->read_err = st.WithContext("kcopyd: reading " + job->src->name());
             }
             if (!job->ignore_errors()) job->stopped = true;
             PieceDone(job);
           }};
  // A spare buffer, when there is one: no allocation, and no zeroing of
  // bytes the read overwrites (a piece whose read fails writes nothing).
  // An offloaded read fills it too where the disk cannot pin.
  if (!spare_buffers_.empty()) {
    src->buffer = std::move(spare_buffers_.back());
    spare_buffers_.pop_back();
  }
  if (job->offload) {
    read.source = src;
  } else {
    src->buffer.resize(len * kSectorSize);
    read.data = src->buffer.data();
  }
  job->src->Submit(std::move(read));
}

void Copier::WriteAll(Job* job, std::shared_ptr<PinnedSource> src, uint64_t offset, uint64_t len) {
  src->writes = static_cast<uint32_t>(job->dests.size());
  auto join = JoinCompletions(job->dests.size(), [this, job, src](Status) {
    // The buffer read into, or the one the last destination disk gave back.
    if (spare_buffers_.size() < kPiecesInFlight && src->buffer.capacity() > 0) {
      spare_buffers_.push_back(std::move(src->buffer));
    }
    PieceDone(job);
  });
  for (size_t i = 0; i < job->dests.size(); ++i) {
    const auto& [dev, start] = job->dests[i];
    stats_.bytes_written += len * kSectorSize;
    Bio write{Bio::Op::kWrite, start + offset, len, 0, nullptr, [this, job, i, join](Status st) {
                if (!st.ok()) WriteFailed(job, i);
                join(std::move(st));
              }};
    if (job->offload) {
      write.source = src;
    } else {
      write.data = src->buffer.data();
    }
    dev->Submit(std::move(write));
  }
}

void Copier::WriteFailed(Job* job, size_t dest) {
  job->write_err |= uint64_t{1} << dest;
  if (!job->ignore_errors()) job->stopped = true;
}

void Copier::PieceDone(Job* job) {
  LVLAB_CHECK(job->in_flight > 0) << "kcopyd: piece of job " << job->id << " ended twice";
  --job->in_flight;
  Issue(job);
  if (job->in_flight == 0 && (job->stopped || job->cursor >= job->nsectors)) Finish(job);
}

void Copier::Finish(Job* job) {
  auto it = jobs_.find(job->id);
  LVLAB_CHECK(it != jobs_.end()) << "kcopyd: job " << job->id << " finished twice";
  std::unique_ptr<Job> owned = std::move(it->second);
  jobs_.erase(it);
  const bool failed = !owned->read_err.ok() || owned->write_err != 0;
  if (failed) ++stats_.jobs_failed;
  if (trace_) {
    trace_->Emit("kcopyd-job", {{"phase", "end"},
                                {"job", owned->id},
                                {"read_ok", owned->read_err.ok()},
                                {"write_err_mask", owned->write_err}});
  }
  // The callback runs from its own event, as kcopyd's from its thread.
  scheduler_.Post(
      [job = std::shared_ptr<Job>(std::move(owned))] { job->done(job->read_err, job->write_err); });
}

}  // namespace lvlab::dm
