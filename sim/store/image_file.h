// ImageFile: one sparse backing image, the "platter" under a simulated Disk.
//
// An image is a fixed-size array of bytes addressed by byte offset. Regions
// never written (holes) read as zeros and take no space; PunchHole turns a
// region back into a hole, and NextData finds the data extents so that copies
// can skip holes. Two implementations hide behind factories: a sparse file on
// the host (pread/pwrite, small writes as stores into a shared mapping of
// the file, fdatasync, SEEK_DATA/SEEK_HOLE, fallocate punch-hole) and a
// memory-backed twin for unit tests that allocates 64 KiB chunks on first
// write.
//
// An ImageFile is not thread-safe; one engine thread owns it. A file image
// alone also takes reads and writes of different ranges from several
// threads at once (pread, pwrite, stores), which a Disk's write-back thread
// uses.
// The caller owns the returned object; a file image closes its descriptor
// when destroyed.
// Images do no caching of their own: durability of a file image against host
// crashes comes from Sync(), which the Disk calls only when asked to.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "sim/base/status.h"

namespace lvlab::store {

// What Disk::ChangedSince knows of an image's changes: the stamp
// (sim/base/change_clock.h) of the last write or discard of each chunk of
// 2^chunk_shift sectors, and of the last change of everything. A chunk is
// as changed as its most recently changed sector, so answers over-report
// by less than a chunk. The first Disk on the image sizes it (Disk::Disk):
// chunks as small as one sector, as long as there are at most kMaxChunks,
// so a write costs a store or two and memory stays bounded. An image that
// outlives its Disks (a memory image across a simulated reboot) keeps it,
// so that the next Disk over it still knows what did not change.
struct ChangeRecord {
  static constexpr uint64_t kMaxChunks = 1 << 16;
  std::vector<uint64_t> chunks;
  uint32_t chunk_shift = 0;
  uint64_t changed_all = 0;
};

class ImageFile {
 public:
  virtual ~ImageFile() = default;

  // Copies [offset, offset+len) into buf; holes read as zeros.
  // Reading past Size() is an InvalidArgument error.
  virtual Status Read(uint64_t offset, void* buf, size_t len) = 0;

  // Writes [offset, offset+len) from data. Writing past Size() is an error.
  virtual Status Write(uint64_t offset, const void* data, size_t len) = 0;

  // The fixed size in bytes.
  virtual uint64_t Size() const = 0;

  // Makes written data durable on the host (fdatasync for files).
  virtual Status Sync() = 0;

  // Deallocates [offset, offset+len) (clipped to Size()); it then reads as
  // zeros. Partial blocks at the edges are zeroed rather than freed.
  virtual Status PunchHole(uint64_t offset, uint64_t len) = 0;

  // The first data extent [start, end) that ends after `offset`, with
  // start >= offset; nullopt when only holes remain. Implementations may
  // report holes as data (never the reverse).
  virtual Result<std::optional<std::pair<uint64_t, uint64_t>>> NextData(uint64_t offset) = 0;

  // Bytes of host storage the image occupies.
  virtual uint64_t AllocatedBytes() = 0;

  // Copies src's [src_offset, src_offset+len) to this image at dst_offset,
  // as a Read from src and a Write here would. The default goes through a
  // buffer; two file images copy inside the host kernel (copy_file_range),
  // with no copy through user space.
  virtual Status CopyFrom(ImageFile& src, uint64_t src_offset, uint64_t dst_offset, size_t len);

  // The record of changes kept with the image, or null when the image
  // keeps none (a Disk then starts its own, as of its birth). Only Disks
  // write it: writes made straight to the image are not recorded.
  virtual std::shared_ptr<ChangeRecord> change_record() { return nullptr; }
};

// Creates a new sparse image file of `size` bytes at `path`. Fails with
// AlreadyExists if the path exists: an image is never silently overwritten.
Result<std::unique_ptr<ImageFile>> CreateFileImage(const std::string& path, uint64_t size);

// Opens an existing image file; its size is the file's size.
Result<std::unique_ptr<ImageFile>> OpenFileImage(const std::string& path, bool read_only);

// A memory-backed sparse image of `size` bytes, all holes.
std::unique_ptr<ImageFile> NewMemImage(uint64_t size);

// A view of `base` (not owned, which must outlive it): every call, the
// change record included, goes to `base`. A Disk given views of one image
// in turn (a simulated reboot) shares that image's record.
std::unique_ptr<ImageFile> NewImageView(ImageFile* base);

}  // namespace lvlab::store
