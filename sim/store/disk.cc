#include "sim/store/disk.h"

#include <algorithm>
#include <vector>

#include "sim/base/check.h"
#include "sim/base/thread_name.h"
#include "sim/base/units.h"
#include "sim/store/range_map.h"

namespace lvlab::store {
namespace {

uint64_t ImageSectors(const ImageFile* image, const std::string& name) {
  LVLAB_CHECK(image != nullptr) << name << ": a Disk needs an image";
  return image->Size() / kSectorSize;
}

std::shared_ptr<ChangeRecord> RecordOf(ImageFile* image, uint64_t sectors) {
  std::shared_ptr<ChangeRecord> record = image->change_record();
  if (!record) {
    record = std::make_shared<ChangeRecord>();
    record->changed_all = NextChangeStamp();
  }
  if (record->chunks.empty() && sectors > 0) {
    auto chunks = [&] { return ((sectors - 1) >> record->chunk_shift) + 1; };
    while (chunks() > ChangeRecord::kMaxChunks) ++record->chunk_shift;
    record->chunks.assign(chunks(), 0);
  }
  return record;
}

}  // namespace

const char* LossPolicyName(LossPolicy policy) {
  switch (policy) {
    case LossPolicy::kNone:
      return "none";
    case LossPolicy::kAll:
      return "all";
    case LossPolicy::kRandom:
      return "random";
  }
  return "unknown";
}

Result<LossPolicy> ParseLossPolicy(std::string_view text) {
  for (LossPolicy p : {LossPolicy::kNone, LossPolicy::kAll, LossPolicy::kRandom}) {
    if (text == LossPolicyName(p)) return p;
  }
  return InvalidArgument("unknown loss policy '" + std::string(text) +
                         "'; use none, all or random");
}

Disk::Disk(std::string name, std::unique_ptr<ImageFile> image, DiskOptions options)
    : name_(std::move(name)),
      image_(std::move(image)),
      options_(options),
      size_sectors_(ImageSectors(image_.get(), name_)),
      cache_(image_.get()),
      changes_(RecordOf(image_.get(), size_sectors_)) {
  if (options_.background_writeback && options_.volatile_cache) {
    writeback_thread_ = std::thread([this] {
      NameThisThread("wb " + name_);
      WriteBackLoop();
    });
  }
}

Disk::~Disk() {
  std::unique_lock<std::mutex> lock(mu_);
  writeback_stop_ = true;
  writeback_wanted_.notify_one();
  if (writeback_thread_.joinable()) {
    lock.unlock();
    writeback_thread_.join();
    lock.lock();
  }
  for (DiskPin* pin : pins_) pin->disk_ = nullptr;
}

// Whether the thread may write the oldest record back: the cache still
// holds half its bound without it.
bool Disk::WriteBackWanted() const {
  return !writeback_failed_ && !cache_.empty() && !(power_ && power_->off()) &&
         cache_.dirty_bytes() - cache_.Oldest().nsectors * kSectorSize >=
             options_.max_dirty_bytes / 2;
}

void Disk::AwaitWriteBack(std::unique_lock<std::mutex>& lock) {
  if (!writeback_busy_) return;
  ++writeback_waiters_;
  writeback_idle_.wait(lock, [this] { return !writeback_busy_; });
  if (--writeback_waiters_ == 0) writeback_wanted_.notify_one();
}

namespace {

// The most data the drive's thread writes back between two visits to the
// disk's mutex: many small records at a time, so that writers queue on the
// mutex once per batch rather than once per record.
constexpr uint64_t kWriteBackBatch = 1 << 20;

}  // namespace

// The drive writing back on its own: a batch of the oldest records at a
// time, with the mutex released during the image writes. Meanwhile writers
// may add records and readers read them (a record stays in the cache, and
// its storage stays put, until it is retired); whoever would write the
// image itself waits first (AwaitWriteBack), so no newer data can land
// under these records' and be overwritten.
void Disk::WriteBackLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  std::vector<const WriteCache::Record*> batch;
  for (;;) {
    if (writeback_stop_) return;
    if (!WriteBackWanted()) writeback_draining_ = false;  // down to half, or cannot go on
    if (!writeback_draining_ || writeback_waiters_ > 0 || writeback_busy_) {
      // Writers waiting for room must not wait on this thread now (the
      // power went, say): wake them to decide for themselves.
      writeback_idle_.notify_all();
      writeback_wanted_.wait(lock);
      continue;
    }
    // The oldest records, leaving at least half the bound in the cache, at
    // most a batch (at least one: WriteBackWanted).
    batch.clear();
    const uint64_t excess = cache_.dirty_bytes() - options_.max_dirty_bytes / 2;
    uint64_t bytes = 0;
    while (batch.size() < cache_.pending_writes()) {
      const WriteCache::Record& next = cache_.Oldest(batch.size());
      const uint64_t size = next.nsectors * kSectorSize;
      if (bytes + size > excess || (!batch.empty() && bytes + size > kWriteBackBatch)) break;
      batch.push_back(&next);
      bytes += size;
    }
    writeback_busy_ = true;
    lock.unlock();
    size_t applied = 0;
    Status st;
    while (applied < batch.size() && (st = cache_.Apply(*batch[applied])).ok()) ++applied;
    lock.lock();
    for (size_t i = 0; i < applied; ++i) cache_.RetireOldest();
    ++generation_;  // the image holds data where NextData may have seen a hole
    if (!st.ok()) writeback_failed_ = true;
    writeback_busy_ = false;
    writeback_idle_.notify_all();
  }
}

DiskPin::~DiskPin() {
  if (disk_ == nullptr) return;
  std::lock_guard<std::mutex> lock(disk_->mu_);
  std::erase(disk_->pins_, this);
}

Status DiskPin::Data(std::vector<uint8_t>& out) {
  std::unique_lock<std::mutex> lock;
  if (disk_ != nullptr) {
    lock = std::unique_lock<std::mutex>(disk_->mu_);
  } else if (!saved_valid_) {
    return IOError("the disk of a pinned range is gone");
  }
  return DataLocked(out);
}

// REQUIRES: disk_->mu_ held, or saved_valid_.
Status DiskPin::DataLocked(std::vector<uint8_t>& out) {
  if (saved_valid_) {
    out = saved_;
    return Status::Ok();
  }
  out.resize(uint64_t{nsectors_} * kSectorSize);
  return disk_->image_->Read(sector_ * kSectorSize, out.data(), out.size())
      .WithContext(disk_->name_);
}

Status Disk::SavePins(uint64_t sector, uint64_t nsectors) {
  for (DiskPin* pin : pins_) {
    if (pin->saved_valid_ || pin->sector_ >= sector + nsectors ||
        sector >= pin->sector_ + pin->nsectors_) {
      continue;
    }
    LVLAB_RETURN_IF_ERROR(pin->DataLocked(pin->saved_));
    pin->saved_valid_ = true;
  }
  return Status::Ok();
}

Status Disk::CheckRange(const char* op, uint64_t sector, uint64_t nsectors) const {
  if (sector <= size_sectors_ && nsectors <= size_sectors_ - sector) return Status::Ok();
  return IOError(name_ + ": " + op + " of sectors [" + std::to_string(sector) + ", +" +
                 std::to_string(nsectors) + ") is beyond the end of the device (" +
                 std::to_string(size_sectors_) + " sectors)");
}

Status Disk::PowerOff() const { return IOError(name_ + ": power is off"); }

Status Disk::CheckUp() const {
  if (faults_.failed) {
    return IOError(name_ + ": device failed; restore it with `lvlab fault " + name_ +
                   " --restore`");
  }
  if (power_ && power_->off()) return PowerOff();
  return Status::Ok();
}

Result<DiskFaults::Verdict> Disk::Admit(FaultOp op, uint64_t sector, uint64_t nsectors) {
  LVLAB_RETURN_IF_ERROR(CheckUp());
  if (!faults_.any()) return DiskFaults::Verdict::kOk;
  const DiskFaults::Verdict v = faults_.Decide(op, sector, nsectors, now_ns());
  if (v == DiskFaults::Verdict::kFail) {
    return IOError(name_ + ": injected " + FaultOpName(op) + " error at sector " +
                   std::to_string(sector) + " (" + faults_.Describe() + ")");
  }
  return v;
}

Status Disk::AdmitWrite(uint64_t sector, uint32_t nsectors, const uint8_t* data) {
  LVLAB_RETURN_IF_ERROR(CheckUp());
  if (!power_) return Status::Ok();
  switch (power_->Admit(name_, sector, nsectors)) {
    case PowerDomain::Admission::kOn:
      return Status::Ok();
    case PowerDomain::Admission::kCut:
      if (data != nullptr) TearWrite(sector, nsectors, data);
      return PowerOff();
    case PowerDomain::Admission::kOff:
      return PowerOff();
  }
  return PowerOff();
}

// The write in flight when the power went: a random subset of its sectors
// reaches the cache (or the image, without one), acknowledged to nobody.
void Disk::TearWrite(uint64_t sector, uint32_t nsectors, const uint8_t* data) {
  const std::vector<uint8_t> keep = TornMask(power_->rng(), nsectors);
  uint32_t s = 0;
  while (s < nsectors) {
    while (s < nsectors && !keep[s]) ++s;
    uint32_t t = s;
    while (t < nsectors && keep[t]) ++t;
    if (s < t) {
      const uint8_t* run = data + uint64_t{s} * kSectorSize;
      if (options_.volatile_cache) {
        cache_.Add(sector + s, t - s, run);
      } else {
        Status st = WriteImage(sector + s, t - s, run);
        LVLAB_CHECK(st.ok()) << "torn write failed: " << st.message();
      }
    }
    s = t;
  }
}

namespace {

// Stamps [sector, +nsectors) in `record`.
void NoteChange(ChangeRecord& record, uint64_t sector, uint64_t nsectors) {
  if (nsectors == 0) return;
  const uint64_t stamp = NextChangeStamp();
  const uint64_t last = (sector + nsectors - 1) >> record.chunk_shift;
  for (uint64_t c = sector >> record.chunk_shift; c <= last; ++c) record.chunks[c] = stamp;
}

}  // namespace

Status Disk::WriteImage(uint64_t sector, uint64_t nsectors, const uint8_t* data) {
  return image_->Write(sector * kSectorSize, data, nsectors * kSectorSize).WithContext(name_);
}

Status Disk::Read(uint64_t sector, uint32_t nsectors, uint8_t* out) {
  std::lock_guard<std::mutex> lock(mu_);
  LVLAB_RETURN_IF_ERROR(CheckRange("read", sector, nsectors));
  LVLAB_RETURN_IF_ERROR(Admit(FaultOp::kRead, sector, nsectors).status());
  if (options_.volatile_cache) {
    LVLAB_RETURN_IF_ERROR(cache_.Read(sector, nsectors, out).WithContext(name_));
  } else {
    LVLAB_RETURN_IF_ERROR(
        image_->Read(sector * kSectorSize, out, nsectors * kSectorSize).WithContext(name_));
  }
  if (!faults_.corrupt.empty()) faults_.Corrupt(FaultOp::kRead, sector, nsectors, out);
  ++stats_.reads;
  stats_.bytes_read += uint64_t{nsectors} * kSectorSize;
  return Status::Ok();
}

Status Disk::Write(uint64_t sector, uint32_t nsectors, const uint8_t* data, bool fua) {
  return WriteData(sector, nsectors, data, nullptr, fua);
}

Status Disk::Write(uint64_t sector, uint32_t nsectors, std::vector<uint8_t>* buffer, bool fua) {
  LVLAB_CHECK(buffer->size() == uint64_t{nsectors} * kSectorSize)
      << name_ << ": a write of " << nsectors << " sectors from a buffer of " << buffer->size()
      << " bytes";
  return WriteData(sector, nsectors, buffer->data(), buffer, fua);
}

Status Disk::WriteData(uint64_t sector, uint32_t nsectors, const uint8_t* data,
                       std::vector<uint8_t>* owned, bool fua) {
  std::unique_lock<std::mutex> lock(mu_);
  ++generation_;
  LVLAB_RETURN_IF_ERROR(CheckRange("write", sector, nsectors));
  NoteChange(*changes_, sector, nsectors);
  LVLAB_ASSIGN_OR_RETURN(DiskFaults::Verdict verdict, Admit(FaultOp::kWrite, sector, nsectors));
  if (verdict == DiskFaults::Verdict::kDrop) {  // acknowledged, never stored
    ++stats_.writes;
    return Status::Ok();
  }
  std::vector<uint8_t> corrupted;
  if (faults_.CorruptsWrites() && nsectors > 0) {
    corrupted.assign(data, data + uint64_t{nsectors} * kSectorSize);
    faults_.Corrupt(FaultOp::kWrite, sector, nsectors, corrupted.data());
    data = corrupted.data();
  }
  LVLAB_RETURN_IF_ERROR(SavePins(sector, nsectors));
  LVLAB_RETURN_IF_ERROR(AdmitWrite(sector, nsectors, data));
  if (!options_.volatile_cache || fua) {
    AwaitWriteBack(lock);
    LVLAB_RETURN_IF_ERROR(WriteImage(sector, nsectors, data));
    cache_.Supersede(sector, nsectors);
    if (fua && options_.sync_on_flush) LVLAB_RETURN_IF_ERROR(image_->Sync().WithContext(name_));
  } else {
    if (owned != nullptr && data == owned->data()) {  // not a corrupted copy
      cache_.Add(sector, nsectors, owned);
    } else {
      cache_.Add(sector, nsectors, data);
    }
    const bool background = writeback_thread_.joinable();
    if (background && !writeback_draining_ &&
        cache_.dirty_bytes() > options_.max_dirty_bytes / 4 * 3) {
      writeback_draining_ = true;
      writeback_wanted_.notify_one();
    }
    // A full cache: the drive's thread makes room if it can, else this
    // writer writes back itself. Whatever empties the cache wakes it
    // (writeback_idle_: a batch retired, a Flush, a Crash).
    while (cache_.dirty_bytes() > options_.max_dirty_bytes) {
      if (writeback_busy_ || (background && WriteBackWanted())) {
        // The thread may have stopped draining meanwhile (a failed batch
        // that a flush has since cleared): it must come back for this.
        if (background && !writeback_draining_ && WriteBackWanted()) {
          writeback_draining_ = true;
          writeback_wanted_.notify_one();
        }
        writeback_idle_.wait(lock);
        continue;
      }
      if (power_ && power_->off()) break;  // an unpowered drive writes nothing back
      LVLAB_RETURN_IF_ERROR(cache_.WriteBackOldest().WithContext(name_));
      ++generation_;  // the image holds data where NextData may have seen a hole
    }
  }
  ++stats_.writes;
  stats_.bytes_written += uint64_t{nsectors} * kSectorSize;
  return Status::Ok();
}

Status Disk::Flush() {
  std::unique_lock<std::mutex> lock(mu_);
  ++generation_;
  LVLAB_ASSIGN_OR_RETURN(DiskFaults::Verdict verdict, Admit(FaultOp::kWrite, 0, 0));
  if (verdict == DiskFaults::Verdict::kDrop) return Status::Ok();
  LVLAB_RETURN_IF_ERROR(AdmitWrite(0, 0, nullptr));
  AwaitWriteBack(lock);
  // With background write-back (an image two threads may use at once), the
  // image is written with the mutex released, as by the drive's own
  // write-back: writers go on adding to the cache (their writes are not
  // this flush's) and readers read it, while whoever would write the image
  // itself, the thread included, waits (writeback_busy_). A crash waits too,
  // so a flush under way completes before the power goes.
  const WriteCache::FlushPlan plan = cache_.PlanFlush();
  const bool unlocked = options_.background_writeback && !plan.pieces.empty();
  if (unlocked) {
    writeback_busy_ = true;
    lock.unlock();
  }
  Status st = cache_.ApplyFlush(plan);
  if (st.ok() && options_.sync_on_flush) st = image_->Sync();
  if (unlocked) {
    lock.lock();
    writeback_busy_ = false;
  }
  ++generation_;
  if (st.ok()) {
    cache_.RetireFlushed(plan);
    writeback_failed_ = false;
  }
  writeback_idle_.notify_all();    // writers waiting for room may have it
  writeback_wanted_.notify_one();  // the thread may go on
  LVLAB_RETURN_IF_ERROR(st.WithContext(name_));
  ++stats_.flushes;
  return Status::Ok();
}

Status Disk::Discard(uint64_t sector, uint64_t nsectors) {
  std::unique_lock<std::mutex> lock(mu_);
  LVLAB_RETURN_IF_ERROR(CheckRange("discard", sector, nsectors));
  NoteChange(*changes_, sector, nsectors);
  LVLAB_ASSIGN_OR_RETURN(DiskFaults::Verdict verdict, Admit(FaultOp::kWrite, sector, nsectors));
  if (verdict == DiskFaults::Verdict::kDrop) return Status::Ok();
  LVLAB_RETURN_IF_ERROR(SavePins(sector, nsectors));
  AwaitWriteBack(lock);
  cache_.Supersede(sector, nsectors);
  LVLAB_RETURN_IF_ERROR(
      image_->PunchHole(sector * kSectorSize, nsectors * kSectorSize).WithContext(name_));
  ++stats_.discards;
  return Status::Ok();
}

Result<std::shared_ptr<DiskPin>> Disk::Pin(uint64_t sector, uint32_t nsectors) {
  std::lock_guard<std::mutex> lock(mu_);
  if (options_.volatile_cache || faults_.any()) return std::shared_ptr<DiskPin>();
  LVLAB_RETURN_IF_ERROR(CheckRange("read", sector, nsectors));
  LVLAB_RETURN_IF_ERROR(CheckUp());
  std::shared_ptr<DiskPin> pin(new DiskPin(this, sector, nsectors));
  pins_.push_back(pin.get());
  ++stats_.reads;
  stats_.bytes_read += uint64_t{nsectors} * kSectorSize;
  return pin;
}

Status Disk::WriteFromPin(uint64_t sector, DiskPin& pin, bool fua) {
  Disk* const src = pin.disk_;
  const uint32_t nsectors = pin.nsectors_;
  if (options_.volatile_cache || faults_.any() || src == nullptr) {
    std::vector<uint8_t> data;
    LVLAB_RETURN_IF_ERROR(pin.Data(data));
    return Write(sector, nsectors, data.data(), fua);
  }
  std::unique_lock<std::mutex> mine(mu_, std::defer_lock), theirs;
  if (src == this) {
    mine.lock();
  } else {
    theirs = std::unique_lock<std::mutex>(src->mu_, std::defer_lock);
    std::lock(mine, theirs);
  }
  ++generation_;
  LVLAB_RETURN_IF_ERROR(CheckRange("write", sector, nsectors));
  NoteChange(*changes_, sector, nsectors);
  LVLAB_RETURN_IF_ERROR(CheckUp());
  LVLAB_RETURN_IF_ERROR(SavePins(sector, nsectors));
  if (power_) {
    switch (power_->Admit(name_, sector, nsectors)) {
      case PowerDomain::Admission::kOn:
        break;
      case PowerDomain::Admission::kCut: {
        std::vector<uint8_t> data;
        LVLAB_RETURN_IF_ERROR(pin.DataLocked(data));
        TearWrite(sector, nsectors, data.data());
        return PowerOff();
      }
      case PowerDomain::Admission::kOff:
        return PowerOff();
    }
  }
  if (pin.saved_valid_) {
    LVLAB_RETURN_IF_ERROR(WriteImage(sector, nsectors, pin.saved_.data()));
  } else {
    LVLAB_RETURN_IF_ERROR(image_
                              ->CopyFrom(*src->image_, pin.sector_ * kSectorSize,
                                         sector * kSectorSize, uint64_t{nsectors} * kSectorSize)
                              .WithContext(name_));
  }
  cache_.Supersede(sector, nsectors);
  if (fua && options_.sync_on_flush) LVLAB_RETURN_IF_ERROR(image_->Sync().WithContext(name_));
  ++stats_.writes;
  stats_.bytes_written += uint64_t{nsectors} * kSectorSize;
  return Status::Ok();
}

void Disk::Crash(LossPolicy policy, Rng& rng) {
  std::unique_lock<std::mutex> lock(mu_);
  ++generation_;
  AwaitWriteBack(lock);  // a write-back begun before the cut completes
  writeback_failed_ = false;
  // Where the newest data is in the cache, a read may now return other data
  // (lost, or torn); the rest of the image is as it was.
  for (const RangeMap::Entry& e : cache_.Pending()) NoteChange(*changes_, e.start, e.end - e.start);
  Status st;
  switch (policy) {
    case LossPolicy::kNone:
      st = cache_.WriteBackAll();
      break;
    case LossPolicy::kAll:
      cache_.Clear();
      break;
    case LossPolicy::kRandom:
      st = cache_.WriteBackRandom(rng);
      break;
  }
  LVLAB_CHECK(st.ok()) << name_ << ": the image failed while applying a crash: " << st.message();
  LVLAB_CHECK(cache_.empty()) << name_ << ": cache not empty after a crash";
  writeback_idle_.notify_all();  // writers waiting for room have it
}

bool Disk::ChangedSince(uint64_t stamp, uint64_t sector, uint64_t end) {
  std::lock_guard<std::mutex> lock(mu_);
  if (changes_->changed_all > stamp || faults_.any() || (power_ && power_->off())) return true;
  end = std::min(end, size_sectors_);
  if (sector >= end) return false;
  const uint64_t last = (end - 1) >> changes_->chunk_shift;
  for (uint64_t c = sector >> changes_->chunk_shift; c <= last; ++c) {
    if (changes_->chunks[c] > stamp) return true;
  }
  return false;
}

// The first image extent in [sector, end), in whole sectors. A memory image
// finds it by scanning its chunk table, as far as the next data however far
// that is, so the hole found is remembered: it stays valid while nothing is
// written through this Disk and the image's allocation does not change (a
// write made straight to image() into a hole allocates space).
Result<std::optional<Disk::SectorRange>> Disk::ImageNextData(uint64_t sector, uint64_t end) {
  uint64_t from = sector;
  uint64_t hole_from = sector;
  const uint64_t allocated = image_->AllocatedBytes();
  if (hole_.generation == generation_ && hole_.allocated == allocated && hole_.from <= sector &&
      sector < hole_.to) {
    if (hole_.to >= end) return std::optional<SectorRange>();
    from = hole_.to;
    hole_from = hole_.from;
  }
  LVLAB_ASSIGN_OR_RETURN(auto extent, image_->NextData(from * kSectorSize));
  const uint64_t data = extent ? std::max(from, extent->first / kSectorSize) : size_sectors_;
  if (data > hole_from) hole_ = HoleHint{hole_from, data, generation_, allocated};
  if (!extent) return std::optional<SectorRange>();
  const uint64_t start = std::max(sector, data);
  const uint64_t stop = std::min(end, (extent->second + kSectorSize - 1) / kSectorSize);
  if (start >= stop) return std::optional<SectorRange>();
  return std::optional<SectorRange>(SectorRange{start, stop});
}

std::optional<Disk::SectorRange> Disk::CacheNextData(uint64_t sector, uint64_t end) const {
  return cache_.FirstPending(sector, end);
}

Result<std::optional<Disk::SectorRange>> Disk::NextData(uint64_t sector, uint64_t end) {
  std::lock_guard<std::mutex> lock(mu_);
  end = std::min(end, size_sectors_);
  if (sector >= end) return std::optional<SectorRange>();
  LVLAB_ASSIGN_OR_RETURN(std::optional<SectorRange> image, ImageNextData(sector, end));
  std::optional<SectorRange> cache = CacheNextData(sector, end);
  if (!image && !cache) return image;
  if (!image || (cache && cache->first < image->first)) std::swap(image, cache);
  // `image` now starts first; grow it while either source continues it.
  SectorRange out = *image;
  for (bool grew = true; grew && out.second < end;) {
    grew = false;
    LVLAB_ASSIGN_OR_RETURN(std::optional<SectorRange> a, ImageNextData(out.second, end));
    for (const std::optional<SectorRange>& next : {a, CacheNextData(out.second, end)}) {
      if (next && next->first == out.second) {
        out.second = next->second;
        grew = true;
      }
    }
  }
  return std::optional<SectorRange>(out);
}

uint64_t Disk::CompletionTimeNs(uint64_t now_ns, bool is_write, uint64_t bytes) {
  const DiskModel& m = options_.model;
  const uint64_t start = std::max(now_ns, busy_until_ns_);
  uint64_t transfer_ns = 0;
  if (m.bandwidth_bytes_per_sec != 0) {
    const __uint128_t scaled = static_cast<__uint128_t>(bytes) * 1'000'000'000u;
    transfer_ns =
        static_cast<uint64_t>((scaled + m.bandwidth_bytes_per_sec - 1) / m.bandwidth_bytes_per_sec);
  }
  busy_until_ns_ = start + transfer_ns;
  return busy_until_ns_ + (is_write ? m.write_latency_ns + faults_.write_delay_ns
                                    : m.read_latency_ns + faults_.read_delay_ns);
}

}  // namespace lvlab::store
