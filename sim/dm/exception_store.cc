#include "sim/dm/exception_store.h"

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>

#include "sim/base/le.h"

namespace lvlab::dm {
namespace {

using engine::Bio;
constexpr uint32_t kMetaFlags = Bio::kPreflush | Bio::kFua;

}  // namespace

PersistentStore::PersistentStore(BlockDevice* cow, uint64_t chunk_sectors,
                                 engine::Scheduler& scheduler)
    : cow_(cow), chunk_(chunk_sectors), scheduler_(scheduler) {}

Status PersistentStore::BlockingIo(Bio::Op op, uint64_t chunk, uint8_t* data, uint32_t flags) {
  std::optional<Status> result;
  cow_->Submit(Bio{op, chunk * chunk_, chunk_, flags, data,
                   [&result](Status st) { result = std::move(st); }});
  if (!scheduler_.RunUntil([&result] { return result.has_value(); })) {
    return IOError(cow_->name() + ": snapshot metadata I/O never completed");
  }
  return *result;
}

std::vector<uint8_t> PersistentStore::HeaderImage() const {
  std::vector<uint8_t> buf(chunk_ * kSectorSize, 0);
  PutLe(buf.data(), kSnapMagic, 4);
  PutLe(buf.data() + 4, valid_ ? 1 : 0, 4);
  PutLe(buf.data() + 8, kSnapDiskVersion, 4);
  PutLe(buf.data() + 12, chunk_, 4);
  return buf;
}

std::vector<uint8_t> PersistentStore::AreaImage(uint64_t area) const {
  std::vector<uint8_t> buf(chunk_ * kSectorSize, 0);
  const size_t first = area * epa();
  for (size_t i = first; i < entries_.size() && i < first + epa(); ++i) {
    PutLe(buf.data() + (i - first) * 16, entries_[i].first, 8);
    PutLe(buf.data() + (i - first) * 16 + 8, entries_[i].second, 8);
  }
  return buf;
}

void PersistentStore::SkipMetadata() {
  if (next_free_ % (epa() + 1) == 1) ++next_free_;
}

Status PersistentStore::Load() {
  const std::string where = cow_->name() + ": snapshot exception store";
  std::vector<uint8_t> buf(chunk_ * kSectorSize);
  // The header fits in the first sector: read that much before trusting
  // the on-disk chunk size.
  {
    std::optional<Status> result;
    cow_->Submit(
        Bio{Bio::Op::kRead, 0, 1, 0, buf.data(), [&result](Status st) { result = std::move(st); }});
    scheduler_.RunUntil([&result] { return result.has_value(); });
    if (!result || !result->ok()) return IOError(where + ": cannot read the header");
  }
  const uint32_t magic = static_cast<uint32_t>(GetLe(buf.data(), 4));
  if (magic == 0) {  // a new store
    valid_ = true;
    std::vector<uint8_t> header = HeaderImage();
    LVLAB_RETURN_IF_ERROR(BlockingIo(Bio::Op::kWrite, 0, header.data(), kMetaFlags));
    std::vector<uint8_t> zero(chunk_ * kSectorSize, 0);
    LVLAB_RETURN_IF_ERROR(BlockingIo(Bio::Op::kWrite, AreaChunk(0), zero.data(), kMetaFlags));
    return Status::Ok();
  }
  if (magic != kSnapMagic) return Corrupt(where + ": bad magic; not a snapshot COW device");
  valid_ = GetLe(buf.data() + 4, 4) != 0;
  const uint32_t version = static_cast<uint32_t>(GetLe(buf.data() + 8, 4));
  if (version != kSnapDiskVersion) {
    return Corrupt(where + ": unsupported version " + std::to_string(version));
  }
  const uint64_t disk_chunk = GetLe(buf.data() + 12, 4);
  if (disk_chunk == 0 || (disk_chunk & (disk_chunk - 1)) != 0) {
    return Corrupt(where + ": invalid chunk size " + std::to_string(disk_chunk));
  }
  chunk_ = disk_chunk;
  if (!valid_) return Status::Ok();
  buf.assign(chunk_ * kSectorSize, 0);
  uint64_t max_new = 0;
  for (uint64_t area = 0;; ++area) {
    if ((AreaChunk(area) + 1) * chunk_ > cow_->size_sectors()) break;
    LVLAB_RETURN_IF_ERROR(BlockingIo(Bio::Op::kRead, AreaChunk(area), buf.data(), 0));
    bool full = true;
    for (uint64_t i = 0; i < epa(); ++i) {
      const uint64_t old_chunk = GetLe(buf.data() + i * 16, 8);
      const uint64_t new_chunk = GetLe(buf.data() + i * 16 + 8, 8);
      if (new_chunk == 0) {
        full = false;
        break;
      }
      entries_.emplace_back(old_chunk, new_chunk);
      max_new = std::max(max_new, new_chunk);
    }
    if (!full) break;
  }
  durable_ = entries_.size();
  next_free_ = std::max<uint64_t>(2, max_new + 1);
  SkipMetadata();
  return Status::Ok();
}

std::optional<uint64_t> PersistentStore::Allocate() {
  if (!valid_ || (next_free_ + 1) * chunk_ > cow_->size_sectors()) return std::nullopt;
  const uint64_t chunk = next_free_++;
  SkipMetadata();
  return chunk;
}

uint64_t PersistentStore::metadata_sectors() const {
  return (entries_.size() / epa() + 2) * chunk_;
}

void PersistentStore::Commit(uint64_t old_chunk, uint64_t new_chunk, Done done) {
  entries_.emplace_back(old_chunk, new_chunk);
  waiting_.emplace_back(entries_.size(), std::move(done));
  if (!busy_) StartWrite();
}

void PersistentStore::StartWrite() {
  if (waiting_.empty()) return;
  if (!valid_) {
    busy_ = false;
    auto waiting = std::move(waiting_);
    waiting_.clear();
    for (auto& [n, done] : waiting) done(IOError(cow_->name() + ": snapshot is invalid"));
    return;
  }
  busy_ = true;
  const size_t target = entries_.size();
  // (chunk, zero?) steps: for each touched area, zero the next one first
  // when this write fills it.
  auto steps = std::make_shared<std::deque<std::pair<uint64_t, bool>>>();
  const uint64_t first_area = durable_ / epa();
  const uint64_t last_area = (target - 1) / epa();
  for (uint64_t a = first_area; a <= last_area; ++a) {
    if ((a + 1) * epa() <= target) steps->emplace_back(a + 1, true);
    steps->emplace_back(a, false);
  }
  WriteSteps(steps, target);
}

void PersistentStore::WriteSteps(std::shared_ptr<std::deque<std::pair<uint64_t, bool>>> steps,
                                 size_t target) {
  if (steps->empty()) return FinishWrite(target, Status::Ok());
  const auto [area, zero] = steps->front();
  steps->pop_front();
  auto buf = std::make_shared<std::vector<uint8_t>>(
      zero ? std::vector<uint8_t>(chunk_ * kSectorSize, 0) : AreaImage(area));
  cow_->Submit(Bio{Bio::Op::kWrite, AreaChunk(area) * chunk_, chunk_, kMetaFlags, buf->data(),
                   [this, buf, steps, target](Status st) {
                     if (!st.ok()) return FinishWrite(target, std::move(st));
                     WriteSteps(steps, target);
                   }});
}

void PersistentStore::FinishWrite(size_t target, Status st) {
  if (!st.ok()) valid_ = false;
  if (st.ok()) durable_ = std::max(durable_, target);
  busy_ = false;
  while (!waiting_.empty() && (!st.ok() || waiting_.front().first <= durable_)) {
    Done done = std::move(waiting_.front().second);
    waiting_.pop_front();
    done(st);
  }
  if (!busy_) StartWrite();
}

void PersistentStore::Drop() {
  if (!valid_) return;
  valid_ = false;
  auto buf = std::make_shared<std::vector<uint8_t>>(HeaderImage());
  cow_->Submit(Bio{Bio::Op::kWrite, 0, chunk_, kMetaFlags, buf->data(), [buf](Status) {}});
}

uint64_t PersistentStore::PrepareMerge(uint64_t* last_old, uint64_t* last_new) const {
  if (entries_.empty()) return 0;
  const size_t last = entries_.size() - 1;
  const size_t area_first = (last / epa()) * epa();
  *last_old = entries_[last].first;
  *last_new = entries_[last].second;
  uint64_t n = 1;
  while (last - n + 1 > area_first) {
    const auto& [o, c] = entries_[last - n];
    if (o != *last_old - n || c != *last_new - n) break;
    ++n;
  }
  return n;
}

void PersistentStore::CommitMerge(uint64_t n, Done done) {
  LVLAB_CHECK(idle() && n <= entries_.size()) << "merge commit while the store is busy";
  const uint64_t area = (entries_.size() - 1) / epa();
  entries_.resize(entries_.size() - n);
  durable_ = std::min(durable_, entries_.size());
  next_free_ = AreaChunk(area) + (entries_.size() - area * epa()) + 1;
  busy_ = true;
  auto buf = std::make_shared<std::vector<uint8_t>>(AreaImage(area));
  cow_->Submit(Bio{Bio::Op::kWrite, AreaChunk(area) * chunk_, chunk_, kMetaFlags, buf->data(),
                   [this, buf, done = std::move(done)](Status st) {
                     busy_ = false;
                     if (!st.ok()) valid_ = false;
                     done(std::move(st));
                   }});
}

}  // namespace lvlab::dm
