// The memory-backed ImageFile: sparse, in 64 KiB chunks allocated on first
// write. Chunks hang off a two-level table (a leaf per 512 chunks, 32 MiB of
// image), so a lookup costs two array indexings and a terabyte-sized, mostly
// empty image costs a few hundred KiB. Freed chunks go to a per-thread pool
// (up to 256 MiB) that the next image takes them from: a fuzz campaign builds
// and drops a lab per case, and chunks from the allocator came back as fresh
// pages from the kernel each time (faulted in and cleared: a tenth of a case).
#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "sim/base/change_clock.h"
#include "sim/store/image_file.h"

namespace lvlab::store {
namespace {

constexpr uint64_t kChunkSize = 64 * 1024;
constexpr uint64_t kLeafChunks = 512;
constexpr size_t kPoolChunks = 4096;

using Chunk = std::unique_ptr<uint8_t[]>;

// Chunks whose contents are garbage: users overwrite or zero every byte.
std::vector<Chunk>& Pool() {
  thread_local std::vector<Chunk> pool;
  return pool;
}

Chunk TakeChunk() {
  std::vector<Chunk>& pool = Pool();
  if (pool.empty()) return std::make_unique_for_overwrite<uint8_t[]>(kChunkSize);
  Chunk c = std::move(pool.back());
  pool.pop_back();
  return c;
}

void GiveChunk(Chunk c) {
  std::vector<Chunk>& pool = Pool();
  if (c && pool.size() < kPoolChunks) pool.push_back(std::move(c));
}

class MemImage final : public ImageFile {
 public:
  explicit MemImage(uint64_t size)
      : size_(size), leaves_((size + kChunkSize * kLeafChunks - 1) / (kChunkSize * kLeafChunks)) {
    changes_->changed_all = NextChangeStamp();
  }

  // Kept as long as the image: every Disk opened on it in turn shares it.
  std::shared_ptr<ChangeRecord> change_record() override { return changes_; }

  ~MemImage() override {
    for (std::unique_ptr<Leaf>& leaf : leaves_) {
      if (!leaf) continue;
      for (Chunk& c : *leaf) GiveChunk(std::move(c));
    }
  }

  Status Read(uint64_t offset, void* buf, size_t len) override {
    LVLAB_RETURN_IF_ERROR(CheckRange("read", offset, len));
    auto* out = static_cast<uint8_t*>(buf);
    while (len > 0) {
      const uint64_t in_chunk = offset % kChunkSize;
      const size_t n = static_cast<size_t>(std::min<uint64_t>(len, kChunkSize - in_chunk));
      const uint8_t* chunk = Find(offset / kChunkSize);
      if (chunk == nullptr) {
        std::memset(out, 0, n);
      } else {
        std::memcpy(out, chunk + in_chunk, n);
      }
      out += n;
      offset += n;
      len -= n;
    }
    return Status::Ok();
  }

  Status Write(uint64_t offset, const void* data, size_t len) override {
    LVLAB_RETURN_IF_ERROR(CheckRange("write", offset, len));
    const auto* in = static_cast<const uint8_t*>(data);
    while (len > 0) {
      const uint64_t in_chunk = offset % kChunkSize;
      const size_t n = static_cast<size_t>(std::min<uint64_t>(len, kChunkSize - in_chunk));
      std::memcpy(Get(offset / kChunkSize, in_chunk, n) + in_chunk, in, n);
      in += n;
      offset += n;
      len -= n;
    }
    return Status::Ok();
  }

  uint64_t Size() const override { return size_; }
  Status Sync() override { return Status::Ok(); }

  Status PunchHole(uint64_t offset, uint64_t len) override {
    if (offset >= size_) return Status::Ok();
    const uint64_t end = offset + std::min(len, size_ - offset);
    while (offset < end) {
      const uint64_t index = offset / kChunkSize;
      const uint64_t in_chunk = offset % kChunkSize;
      const uint64_t n = std::min(end - offset, kChunkSize - in_chunk);
      if (uint8_t* chunk = Find(index)) {
        // A chunk is freed when the hole covers it up to the image's end.
        if (in_chunk == 0 && (n == kChunkSize || offset + n == size_)) {
          Free(index);
        } else {
          std::memset(chunk + in_chunk, 0, n);
        }
      }
      offset += n;
    }
    return Status::Ok();
  }

  Result<std::optional<std::pair<uint64_t, uint64_t>>> NextData(uint64_t offset) override {
    using Extent = std::optional<std::pair<uint64_t, uint64_t>>;
    if (offset >= size_) return Extent();
    uint64_t index = offset / kChunkSize;
    const uint64_t nchunks = (size_ + kChunkSize - 1) / kChunkSize;
    while (index < nchunks && Find(index) == nullptr) {
      // Skip whole missing leaves at once.
      index = leaves_[index / kLeafChunks] ? index + 1 : (index / kLeafChunks + 1) * kLeafChunks;
    }
    if (index >= nchunks) return Extent();
    const uint64_t start = std::max(offset, index * kChunkSize);
    while (index < nchunks && Find(index) != nullptr) ++index;
    return Extent({start, std::min(index * kChunkSize, size_)});
  }

  uint64_t AllocatedBytes() override { return allocated_chunks_ * kChunkSize; }

 private:
  using Leaf = std::array<Chunk, kLeafChunks>;

  uint8_t* Find(uint64_t index) const {
    const std::unique_ptr<Leaf>& leaf = leaves_[index / kLeafChunks];
    return leaf ? (*leaf)[index % kLeafChunks].get() : nullptr;
  }

  // The chunk, allocated if missing for a write of [in_chunk, in_chunk+n):
  // only the bytes the write leaves are zero-filled.
  uint8_t* Get(uint64_t index, uint64_t in_chunk, uint64_t n) {
    std::unique_ptr<Leaf>& leaf = leaves_[index / kLeafChunks];
    if (!leaf) leaf = std::make_unique<Leaf>();
    Chunk& chunk = (*leaf)[index % kLeafChunks];
    if (!chunk) {
      chunk = TakeChunk();
      std::memset(chunk.get(), 0, in_chunk);
      std::memset(chunk.get() + in_chunk + n, 0, kChunkSize - in_chunk - n);
      ++allocated_chunks_;
    }
    return chunk.get();
  }

  void Free(uint64_t index) {
    Chunk& chunk = (*leaves_[index / kLeafChunks])[index % kLeafChunks];
    if (chunk) --allocated_chunks_;
    GiveChunk(std::move(chunk));
  }

  Status CheckRange(const char* op, uint64_t offset, uint64_t len) const {
    if (offset <= size_ && len <= size_ - offset) return Status::Ok();
    return InvalidArgument(std::string("memory image: ") + op + " of " + std::to_string(len) +
                           " bytes at offset " + std::to_string(offset) +
                           " is beyond the end of the image (" + std::to_string(size_) + " bytes)");
  }

  const uint64_t size_;
  const std::shared_ptr<ChangeRecord> changes_ = std::make_shared<ChangeRecord>();
  std::vector<std::unique_ptr<Leaf>> leaves_;
  uint64_t allocated_chunks_ = 0;
};

}  // namespace

std::unique_ptr<ImageFile> NewMemImage(uint64_t size) { return std::make_unique<MemImage>(size); }

}  // namespace lvlab::store
