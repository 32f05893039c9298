// The core and disk dirty logs (dm-log.c), and their constructors.
#include "sim/dm/mirror_log.h"

#include <bit>
#include <cstring>
#include <deque>
#include <utility>

#include "sim/base/check.h"
#include "sim/base/le.h"
#include "sim/base/units.h"
#include "sim/dm/device.h"
#include "sim/dm/target.h"
#include "sim/engine/bio.h"

namespace lvlab::dm {

using engine::Bio;

DirtyLog::DirtyLog(uint64_t region_size, uint64_t region_count, Sync sync)
    : region_size_(region_size), region_count_(region_count), sync_(sync) {
  sync_bits_.assign(bitset_bytes(), sync == Sync::kNosync ? 0xff : 0);
  recovering_bits_.assign(bitset_bytes(), 0);
  sync_count_ = sync == Sync::kNosync ? region_count : 0;
}

void DirtyLog::SetBit(uint8_t* bits, uint64_t i) {
  bits[i / 8] = static_cast<uint8_t>(bits[i / 8] | (1u << (i % 8)));
  ++cleaned_;
}

void DirtyLog::ClearBit(uint8_t* bits, uint64_t i) {
  bits[i / 8] = static_cast<uint8_t>(bits[i / 8] & ~(1u << (i % 8)));
  ++dirtied_;
}

void DirtyLog::ClearRegion(uint64_t region) {
  if (!flush_failed_) SetBit(clean_bits(), region);
}

std::optional<uint64_t> DirtyLog::GetResyncWork() {
  while (sync_search_ < region_count_) {
    uint64_t r = sync_search_;
    // Skip whole in-sync bytes.
    while (r < region_count_ && r % 8 == 0 && sync_bits_[r / 8] == 0xff) r += 8;
    while (r < region_count_ && TestBit(sync_bits_.data(), r)) ++r;
    sync_search_ = r + 1;
    if (r >= region_count_) return std::nullopt;
    if (!TestBit(recovering_bits_.data(), r)) {
      SetBit(recovering_bits_.data(), r);
      return r;
    }
  }
  return std::nullopt;
}

void DirtyLog::SetRegionSync(uint64_t region, bool in_sync) {
  ClearBit(recovering_bits_.data(), region);
  const bool was = TestBit(sync_bits_.data(), region);
  if (in_sync && !was) {
    SetBit(sync_bits_.data(), region);
    ++sync_count_;
  } else if (!in_sync && was) {
    --sync_count_;
    ClearBit(sync_bits_.data(), region);
  }
}

std::string DirtyLog::SyncWord() const {
  switch (sync_) {
    case Sync::kDefault:
      return "";
    case Sync::kNosync:
      return "nosync ";
    case Sync::kForce:
      return "sync ";
  }
  return "";
}

namespace {

// core <region_size> [sync|nosync]: nothing persists.
class CoreLog final : public DirtyLog {
 public:
  CoreLog(uint64_t region_size, uint64_t region_count, Sync sync)
      : DirtyLog(region_size, region_count, sync), clean_(bitset_bytes(), 0xff) {}

  void Flush(std::function<void(Status)> done) override { done(Status::Ok()); }
  std::string StatusInfo() const override { return "1 core"; }
  std::string TableArgs() const override {
    return "core " + std::string(sync_ == Sync::kDefault ? "1" : "2") + " " +
           std::to_string(region_size_) + " " + SyncWord();
  }

 private:
  uint8_t* clean_bits() override { return clean_.data(); }
  const uint8_t* clean_bits() const override { return clean_.data(); }

  std::vector<uint8_t> clean_;
};

// disk <log_dev> <region_size> [sync|nosync]: header and clean bits on the
// log device (docs/mirror-disk-log.md).
class DiskLog final : public DirtyLog {
 public:
  DiskLog(BlockDevice* dev, uint64_t buf_bytes, const DirtyLogEnv& env, uint64_t region_size,
          uint64_t region_count, Sync sync)
      : DirtyLog(region_size, region_count, sync),
        dev_(dev),
        device_(env.args->device),
        scheduler_(*env.args->scheduler),
        bugs_(env.bugs),
        buffer_(buf_bytes, 0) {
    std::memset(buffer_.data() + kMirrorLogBitsOffset, 0xff, bitset_bytes());
  }

  void Flush(std::function<void(Status)> done) override {
    waiting_.push_back(std::move(done));
    if (!busy_) StartNext();
  }
  void Resume() override;
  void Postsuspend() override {
    std::optional<Status> result;
    Flush([&result](Status st) { result = std::move(st); });
    scheduler_.RunUntil([&result] { return result.has_value(); });
  }

  std::string StatusInfo() const override {
    const char state = log_dev_flush_failed_ ? 'F' : log_dev_failed_ ? 'D' : 'A';
    return "3 disk " + dev_->devno().ToString() + " " + state;
  }
  std::string TableArgs() const override {
    return "disk " + std::string(sync_ == Sync::kDefault ? "2" : "3") + " " +
           dev_->devno().ToString() + " " + std::to_string(region_size_) + " " + SyncWord();
  }
  BlockDevice* device() const override { return dev_; }

 private:
  using Done = std::function<void(Status)>;
  uint8_t* clean_bits() override { return buffer_.data() + kMirrorLogBitsOffset; }
  const uint8_t* clean_bits() const override { return buffer_.data() + kMirrorLogBitsOffset; }
  uint64_t buffer_sectors() const { return buffer_.size() / kSectorSize; }

  void StartNext();
  void LegsFlushed(Status st);
  void WriteHeader(bool legs_after);
  void FlushHeader(uint64_t dirtied_at_write);
  void Finish(Status st);
  void MarkAllDirty();
  void FailLogDevice();
  Status Blocking(Bio::Op op, uint8_t* data);

  BlockDevice* const dev_;
  Device* const device_;
  engine::Scheduler& scheduler_;
  const MirrorBugs* const bugs_;
  std::vector<uint8_t> buffer_;  // header at 0, clean bits at 1024
  std::deque<Done> waiting_;     // Flush calls, the first one running when busy_
  bool busy_ = false;
  uint64_t dirtied_durable_ = 0;  // dirtied_ as of the last flushed header
  uint64_t cleaned_written_ = 0;  // cleaned_ as of the last written header
  bool log_dev_failed_ = false;
  bool log_dev_flush_failed_ = false;
};

void DiskLog::StartNext() {
  if (waiting_.empty()) return;
  busy_ = true;
  const bool cleaned = cleaned_ != cleaned_written_;
  if (!cleaned && dirtied_ == dirtied_durable_) return Finish(Status::Ok());
  const bool bug = bugs_ != nullptr && bugs_->clean_before_flush;
  if (cleaned && flush_legs_ && !bug) {
    // The legs' data must be durable before any region is declared clean.
    flush_legs_([this](Status st) {
      LegsFlushed(std::move(st));
      WriteHeader(/*legs_after=*/false);
    });
    return;
  }
  WriteHeader(/*legs_after=*/cleaned && flush_legs_ && bug);
}

void DiskLog::LegsFlushed(Status st) {
  // Which regions are clean is now unknown: mark them all dirty.
  if (!st.ok()) MarkAllDirty();
}

void DiskLog::MarkAllDirty() {
  flush_failed_ = true;
  for (uint64_t i = 0; i < region_count_; ++i) ClearBit(clean_bits(), i);
}

// rw_header: the whole buffer in one write, from a snapshot so that later bit
// changes cannot slip into this I/O.
void DiskLog::WriteHeader(bool legs_after) {
  auto snapshot = std::make_shared<std::vector<uint8_t>>(buffer_);
  const uint64_t cleaned_at = cleaned_;
  const uint64_t dirtied_at = dirtied_;
  dev_->Submit(Bio{Bio::Op::kWrite, 0, buffer_sectors(), 0, snapshot->data(),
                   [this, snapshot, cleaned_at, dirtied_at, legs_after](Status st) {
                     if (!st.ok()) {
                       FailLogDevice();
                       return Finish(std::move(st));
                     }
                     cleaned_written_ = cleaned_at;
                     if (!legs_after) return FlushHeader(dirtied_at);
                     flush_legs_([this, dirtied_at](Status legs) {
                       LegsFlushed(std::move(legs));
                       FlushHeader(dirtied_at);
                     });
                   }});
}

// flush_header: an empty PREFLUSH makes the dirty marks durable.
void DiskLog::FlushHeader(uint64_t dirtied_at_write) {
  if (dirtied_at_write == dirtied_durable_) return Finish(Status::Ok());
  dev_->Submit(Bio{Bio::Op::kFlush, 0, 0, 0, nullptr, [this, dirtied_at_write](Status st) {
                     if (st.ok()) {
                       dirtied_durable_ = dirtied_at_write;
                     } else {
                       log_dev_flush_failed_ = true;
                       FailLogDevice();
                     }
                     Finish(std::move(st));
                   }});
}

void DiskLog::Finish(Status st) {
  Done done = std::move(waiting_.front());
  waiting_.pop_front();
  busy_ = false;
  done(std::move(st));
  if (!busy_) StartNext();
}

void DiskLog::FailLogDevice() {
  if (log_dev_failed_) return;
  log_dev_failed_ = true;
  if (device_ != nullptr) device_->RaiseEvent();
}

Status DiskLog::Blocking(Bio::Op op, uint8_t* data) {
  std::optional<Status> result;
  const uint64_t n = op == Bio::Op::kFlush ? 0 : buffer_sectors();
  dev_->Submit(Bio{op, 0, n, 0, data, [&result](Status st) { result = std::move(st); }});
  if (!scheduler_.RunUntil([&result] { return result.has_value(); })) {
    return IOError(dev_->name() + ": mirror log I/O never completed");
  }
  return *result;
}

// disk_resume: re-reads the log, so that regions dirty on disk (a crash) are
// out of sync and get recopied from the default leg.
void DiskLog::Resume() {
  Status r = Blocking(Bio::Op::kRead, buffer_.data());
  uint64_t nr = 0;
  if (r.ok()) {
    const uint32_t magic = static_cast<uint32_t>(GetLe(buffer_.data(), 4));
    uint32_t version = static_cast<uint32_t>(GetLe(buffer_.data() + 4, 4));
    nr = GetLe(buffer_.data() + 8, 8);
    if (sync_ != Sync::kDefault || magic != kMirrorLogMagic) {  // a new log
      version = kMirrorLogVersion;
      nr = 0;
    }
    if (version == 1) version = kMirrorLogVersion;  // little-endian hosts
    if (version != kMirrorLogVersion) {
      r = Corrupt(dev_->name() + ": incompatible mirror log version " + std::to_string(version));
    }
  }
  if (!r.ok()) {
    FailLogDevice();  // cannot tell what is in sync: nothing is
    nr = 0;
  }
  for (uint64_t i = nr; i < region_count_; ++i) {
    if (sync_ == Sync::kNosync) {
      SetBit(clean_bits(), i);
    } else {
      ClearBit(clean_bits(), i);
    }
  }
  for (uint64_t i = region_count_; i < bitset_bytes() * 8; ++i) ClearBit(clean_bits(), i);
  std::memcpy(sync_bits_.data(), clean_bits(), bitset_bytes());
  sync_count_ = 0;
  for (uint64_t i = 0; i < bitset_bytes(); ++i) sync_count_ += std::popcount(sync_bits_[i]);
  sync_search_ = 0;
  PutLe(buffer_.data(), kMirrorLogMagic, 4);
  PutLe(buffer_.data() + 4, kMirrorLogVersion, 4);
  PutLe(buffer_.data() + 8, region_count_, 8);
  std::vector<uint8_t> snapshot = buffer_;
  const uint64_t cleaned_at = cleaned_;
  const uint64_t dirtied_at = dirtied_;
  r = Blocking(Bio::Op::kWrite, snapshot.data());
  if (r.ok()) {
    cleaned_written_ = cleaned_at;
    r = Blocking(Bio::Op::kFlush, nullptr);
    if (r.ok()) {
      dirtied_durable_ = dirtied_at;
    } else {
      log_dev_flush_failed_ = true;
    }
  }
  if (!r.ok()) FailLogDevice();
}

// create_log_context's argument checks: <region_size> [sync|nosync].
Status ParseLogArgs(const std::vector<std::string>& argv, uint64_t len, uint64_t* region_size,
                    DirtyLog::Sync* sync) {
  if (argv.empty() || argv.size() > 2) {
    return InvalidArgument("wrong number of arguments to dirty region log");
  }
  *sync = DirtyLog::Sync::kDefault;
  if (argv.size() > 1) {
    if (argv[1] == "sync") {
      *sync = DirtyLog::Sync::kForce;
    } else if (argv[1] == "nosync") {
      *sync = DirtyLog::Sync::kNosync;
    } else {
      return InvalidArgument("unrecognised sync argument to dirty region log: " + argv[1]);
    }
  }
  // _check_region_size: a power of 2, at least 2, at most the target length.
  if (!ParseSectors(argv[0], region_size) || *region_size > UINT32_MAX || *region_size < 2 ||
      *region_size > len || !std::has_single_bit(*region_size)) {
    return InvalidArgument("invalid region size " + argv[0]);
  }
  if ((len + *region_size - 1) / *region_size > UINT32_MAX) {
    return InvalidArgument("region count exceeds " + std::to_string(UINT32_MAX));
  }
  return Status::Ok();
}

Result<std::unique_ptr<DirtyLog>> NewDiskLog(const std::vector<std::string>& argv,
                                             const DirtyLogEnv& env) {
  if (argv.size() < 2 || argv.size() > 3) {
    return InvalidArgument("wrong number of arguments to disk dirty region log");
  }
  LVLAB_ASSIGN_OR_RETURN(BlockDevice * dev, env.args->GetDevice(argv[0]));
  uint64_t region_size = 0;
  DirtyLog::Sync sync;
  const std::vector<std::string> rest(argv.begin() + 1, argv.end());
  LVLAB_RETURN_IF_ERROR(ParseLogArgs(rest, env.args->len_sectors, &region_size, &sync));
  const uint64_t count = (env.args->len_sectors + region_size - 1) / region_size;
  const uint64_t bitset = (count + 31) / 32 * 4;
  const uint64_t buf_bytes =
      (kMirrorLogBitsOffset + bitset + kSectorSize - 1) / kSectorSize * kSectorSize;
  if (buf_bytes > dev->size_sectors() * kSectorSize) {
    return InvalidArgument("log device " + dev->devno().ToString() + " too small: need " +
                           std::to_string(buf_bytes) + " bytes");
  }
  return std::unique_ptr<DirtyLog>(
      std::make_unique<DiskLog>(dev, buf_bytes, env, region_size, count, sync));
}

}  // namespace

Result<std::unique_ptr<DirtyLog>> NewDirtyLog(const std::string& type,
                                              const std::vector<std::string>& argv,
                                              const DirtyLogEnv& env) {
  LVLAB_CHECK(env.args != nullptr && env.args->scheduler != nullptr) << "log without a table";
  if (type == "disk") return NewDiskLog(argv, env);
  if (type != "core") return InvalidArgument("no dirty log type \"" + type + "\" (core or disk)");
  uint64_t region_size = 0;
  DirtyLog::Sync sync;
  LVLAB_RETURN_IF_ERROR(ParseLogArgs(argv, env.args->len_sectors, &region_size, &sync));
  const uint64_t count = (env.args->len_sectors + region_size - 1) / region_size;
  return std::unique_ptr<DirtyLog>(std::make_unique<CoreLog>(region_size, count, sync));
}

}  // namespace lvlab::dm
