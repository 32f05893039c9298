#include "sim/store/write_cache.h"

#include <cstring>
#include <utility>

#include "sim/base/check.h"
#include "sim/base/units.h"

namespace lvlab::store {

std::vector<uint8_t> TornMask(Rng& rng, uint64_t nsectors) {
  const uint64_t mode = rng.Uniform(4);
  if (mode < 2) return std::vector<uint8_t>(nsectors, mode == 1 ? 1 : 0);
  std::vector<uint8_t> keep(nsectors);
  uint64_t bits = 0;
  for (uint64_t i = 0; i < nsectors; ++i) {
    if (i % 64 == 0) bits = rng.Next();
    keep[i] = static_cast<uint8_t>((bits >> (i % 64)) & 1);
  }
  return keep;
}

std::vector<uint8_t> WriteCache::TakeSpare(uint64_t bytes) {
  auto fits = [bytes](const std::vector<uint8_t>& b) {
    return b.capacity() >= bytes && b.capacity() <= 2 * bytes;
  };
  if (fits(spare_)) return std::move(spare_);
  if (bytes < kLargeSpare / 2) return {};  // no large spare fits
  for (auto it = large_spares_.begin(); it != large_spares_.end(); ++it) {
    if (!fits(*it)) continue;
    std::vector<uint8_t> out = std::move(*it);
    large_spares_.erase(it);
    return out;
  }
  return {};
}

void WriteCache::Append(Record r) {
  newest_.Assign(r.sector, r.end(), r.seq);
  dirty_bytes_ += r.nsectors * kSectorSize;
  records_.push_back(std::move(r));
}

void WriteCache::Add(uint64_t sector, uint32_t nsectors, const uint8_t* data) {
  if (nsectors == 0) return;
  const uint64_t bytes = uint64_t{nsectors} * kSectorSize;
  Record r{next_seq_++, sector, nsectors, TakeSpare(bytes)};
  r.data.assign(data, data + bytes);
  Append(std::move(r));
}

void WriteCache::Add(uint64_t sector, uint32_t nsectors, std::vector<uint8_t>* buffer) {
  if (nsectors == 0) return;
  const uint64_t bytes = uint64_t{nsectors} * kSectorSize;
  LVLAB_CHECK(buffer->size() == bytes)
      << "write cache: a buffer of " << buffer->size() << " bytes for " << nsectors << " sectors";
  Record r{next_seq_++, sector, nsectors, std::move(*buffer)};
  *buffer = TakeSpare(bytes);
  Append(std::move(r));
}

void WriteCache::Supersede(uint64_t sector, uint64_t nsectors) {
  if (records_.empty() || nsectors == 0) return;
  // Every pending record has seq < next_seq_; later ones will not.
  floor_.Assign(sector, sector + nsectors, next_seq_);
  newest_.Erase(sector, sector + nsectors);
}

const WriteCache::Record& WriteCache::RecordFor(uint64_t seq) const {
  LVLAB_CHECK(!records_.empty() && seq >= records_.front().seq &&
              seq - records_.front().seq < records_.size())
      << "write cache index names record " << seq << " that is not pending";
  return records_[seq - records_.front().seq];
}

Status WriteCache::Read(uint64_t sector, uint32_t nsectors, uint8_t* out) {
  const uint64_t end = sector + nsectors;
  if (newest_.empty()) return image_->Read(sector * kSectorSize, out, nsectors * kSectorSize);
  uint64_t pos = sector;
  for (const RangeMap::Entry& e : newest_.Overlaps(sector, end)) {
    if (e.start > pos) {
      LVLAB_RETURN_IF_ERROR(image_->Read(pos * kSectorSize, out + (pos - sector) * kSectorSize,
                                         (e.start - pos) * kSectorSize));
    }
    const Record& r = RecordFor(e.value);
    std::memcpy(out + (e.start - sector) * kSectorSize,
                r.data.data() + (e.start - r.sector) * kSectorSize,
                (e.end - e.start) * kSectorSize);
    pos = e.end;
  }
  if (pos < end) {
    LVLAB_RETURN_IF_ERROR(image_->Read(pos * kSectorSize, out + (pos - sector) * kSectorSize,
                                       (end - pos) * kSectorSize));
  }
  return Status::Ok();
}

Status WriteCache::WriteSectors(const Record& r, uint64_t start, uint64_t end) const {
  return image_->Write(start * kSectorSize, r.data.data() + (start - r.sector) * kSectorSize,
                       (end - start) * kSectorSize);
}

Status WriteCache::ApplyRange(const Record& r, uint64_t start, uint64_t end,
                              const std::vector<uint8_t>* keep) const {
  if (keep == nullptr) return start < end ? WriteSectors(r, start, end) : Status::Ok();
  uint64_t s = start;
  while (s < end) {
    while (s < end && !(*keep)[s - r.sector]) ++s;
    uint64_t t = s;
    while (t < end && (*keep)[t - r.sector]) ++t;
    if (s < t) LVLAB_RETURN_IF_ERROR(WriteSectors(r, s, t));
    s = t;
  }
  return Status::Ok();
}

Status WriteCache::ApplyRecord(const Record& r, const std::vector<uint8_t>* keep) const {
  uint64_t pos = r.sector;
  if (!floor_.empty()) {
    for (const RangeMap::Entry& f : floor_.Overlaps(r.sector, r.end())) {
      if (f.value <= r.seq) continue;  // the image's data there is older than r
      LVLAB_RETURN_IF_ERROR(ApplyRange(r, pos, f.start, keep));
      pos = f.end;
    }
  }
  return ApplyRange(r, pos, r.end(), keep);
}

Status WriteCache::WriteBackOldest() {
  LVLAB_RETURN_IF_ERROR(Apply(Oldest()));
  RetireOldest();
  return Status::Ok();
}

const WriteCache::Record& WriteCache::Oldest(size_t i) const {
  LVLAB_CHECK(i < records_.size()) << "write-back of record " << i << " of " << records_.size();
  return records_[i];
}

void WriteCache::RetireOldest() {
  const Record& r = Oldest();
  // Where r is the newest data, the image now holds it.
  newest_.EraseValue(r.sector, r.end(), r.seq);
  dirty_bytes_ -= r.nsectors * kSectorSize;
  std::vector<uint8_t>& data = records_.front().data;
  if (data.capacity() >= kLargeSpare && large_spares_.size() < kLargeSpares) {
    large_spares_.push_back(std::move(data));
  } else {
    spare_ = std::move(data);
  }
  records_.pop_front();
  if (records_.empty()) Clear();
}

Status WriteCache::WriteBackAll() {
  const FlushPlan plan = PlanFlush();
  LVLAB_RETURN_IF_ERROR(ApplyFlush(plan));
  RetireFlushed(plan);
  return Status::Ok();
}

WriteCache::FlushPlan WriteCache::PlanFlush() const {
  // newest_ never covers a floored sector with an older record (Supersede
  // erases it), so writing it alone equals applying every record in order.
  FlushPlan plan;
  plan.records = records_.size();
  for (const RangeMap::Entry& e : newest_.All()) {
    plan.pieces.push_back({&RecordFor(e.value), e.start, e.end});
  }
  return plan;
}

Status WriteCache::ApplyFlush(const FlushPlan& plan) const {
  for (const FlushPlan::Piece& p : plan.pieces) {
    LVLAB_RETURN_IF_ERROR(WriteSectors(*p.record, p.start, p.end));
  }
  return Status::Ok();
}

void WriteCache::RetireFlushed(const FlushPlan& plan) {
  LVLAB_CHECK(plan.records <= records_.size()) << "write cache: a flush of " << plan.records
                                               << " records with " << records_.size() << " pending";
  if (plan.records == records_.size()) return Clear();
  // Later writes came meanwhile: forget the flushed records one by one,
  // each where it is still the newest.
  for (size_t i = 0; i < plan.records; ++i) RetireOldest();
}

Status WriteCache::WriteBackRandom(Rng& rng) {
  for (const Record& r : records_) {
    const std::vector<uint8_t> keep = TornMask(rng, r.nsectors);
    LVLAB_RETURN_IF_ERROR(ApplyRecord(r, &keep));
  }
  Clear();
  return Status::Ok();
}

void WriteCache::Clear() {
  records_.clear();
  newest_.clear();
  floor_.clear();
  dirty_bytes_ = 0;
}

}  // namespace lvlab::store
