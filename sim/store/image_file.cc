// The file-backed ImageFile: a sparse regular file on the host.
#include "sim/store/image_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "sim/store/mapped_copy.h"

namespace lvlab::store {
namespace {

// The host's page cache under an image holds small folios only, because
// the drives write it back piece by piece, 4 KiB at random once their cache
// is full. A small buffered write into a large folio costs as much as the
// folio is long (ext4 walks all its buffers, 17-34 us for a 4 KiB write in
// a 1-2 MiB folio on Linux 6.18, against 3 us in a 4 KiB one). Large folios
// come from large writes, whose size sets the folio's, and from readahead;
// so writes go to the file in pieces of at most kWritePiece bytes, and
// every image is opened POSIX_FADV_RANDOM (no readahead: a read still reads
// all it asks for in one call).
constexpr size_t kWritePiece = 64 << 10;

// Writes of at most kMappedWrite bytes (the drives' write-back of small
// records, 4 KiB at random) are stores into a shared mapping of the whole
// image rather than pwrites: once a page is mapped writable a store costs a
// memcpy, where a pwrite takes the file system's write path every time. A
// drive's write-back thread under fio's 4k random writes spent 1.4 us of
// CPU per record so, against 5.2 us with pwrite (ext4, Linux 6.18).
// Larger writes stay pwrites, which copy large pieces with fewer page
// faults. Whatever a store cannot do (SIGBUS: no room for a block in a hole,
// an I/O error) is done again by pwrite, which reports it (mapped_copy.h).
// The mapping is the page cache that pread and pwrite use, and fdatasync
// writes it back.
constexpr size_t kMappedWrite = 64 << 10;

void AdviseRandom(int fd) { (void)::posix_fadvise(fd, 0, 0, POSIX_FADV_RANDOM); }

// The copy CopyFrom falls back to: a read into a buffer and a write.
Status CopyThroughBuffer(ImageFile& src, uint64_t src_offset, ImageFile& dst, uint64_t dst_offset,
                         size_t len) {
  std::vector<uint8_t> buf(std::min<size_t>(len, 1 << 20));
  while (len > 0) {
    const size_t n = std::min(len, buf.size());
    LVLAB_RETURN_IF_ERROR(src.Read(src_offset, buf.data(), n));
    LVLAB_RETURN_IF_ERROR(dst.Write(dst_offset, buf.data(), n));
    src_offset += n;
    dst_offset += n;
    len -= n;
  }
  return Status::Ok();
}

std::string ErrnoText(int err) { return std::strerror(err); }

Status RangeError(const std::string& path, const char* op, uint64_t offset, uint64_t len,
                  uint64_t size) {
  return InvalidArgument(path + ": " + op + " of " + std::to_string(len) + " bytes at offset " +
                         std::to_string(offset) + " is beyond the end of the image (" +
                         std::to_string(size) + " bytes)");
}

class FileImage final : public ImageFile {
 public:
  FileImage(std::string path, int fd, uint64_t size, bool read_only)
      : path_(std::move(path)), fd_(fd), size_(size), read_only_(read_only) {
    if (read_only_ || size_ == 0) return;
    void* map = ::mmap(nullptr, static_cast<size_t>(size_), PROT_READ | PROT_WRITE,
                       MAP_SHARED | MAP_NORESERVE, fd_, 0);
    if (map == MAP_FAILED) return;  // every write is a pwrite then
    (void)::madvise(map, static_cast<size_t>(size_), MADV_RANDOM);
    map_ = static_cast<uint8_t*>(map);
  }
  ~FileImage() override {
    if (map_ != nullptr) ::munmap(map_, static_cast<size_t>(size_));
    ::close(fd_);
  }
  FileImage(const FileImage&) = delete;
  FileImage& operator=(const FileImage&) = delete;

  Status Read(uint64_t offset, void* buf, size_t len) override {
    if (offset > size_ || len > size_ - offset) {
      return RangeError(path_, "read", offset, len, size_);
    }
    auto* p = static_cast<uint8_t*>(buf);
    while (len > 0) {
      ssize_t n = ::pread(fd_, p, len, static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n < 0)
        return IOError(path_ + ": read failed at offset " + std::to_string(offset) + ": " +
                       ErrnoText(errno));
      if (n == 0) {  // the file shrank under us: what is missing reads as a hole
        std::memset(p, 0, len);
        break;
      }
      p += n;
      offset += static_cast<uint64_t>(n);
      len -= static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  Status Write(uint64_t offset, const void* data, size_t len) override {
    if (read_only_) {
      return FailedPrecondition(path_ + ": image is open read-only; reopen it read-write to write");
    }
    if (offset > size_ || len > size_ - offset) {
      return RangeError(path_, "write", offset, len, size_);
    }
    const auto* p = static_cast<const uint8_t*>(data);
    if (map_ != nullptr && len <= kMappedWrite && CopyToMapping(map_ + offset, p, len)) {
      return Status::Ok();
    }
    while (len > 0) {
      ssize_t n = ::pwrite(fd_, p, std::min(len, kWritePiece), static_cast<off_t>(offset));
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        return IOError(path_ + ": write failed at offset " + std::to_string(offset) + ": " +
                       ErrnoText(n < 0 ? errno : EIO) + "; check free space on the host");
      }
      p += n;
      offset += static_cast<uint64_t>(n);
      len -= static_cast<size_t>(n);
    }
    return Status::Ok();
  }

  uint64_t Size() const override { return size_; }

  Status Sync() override {
    if (read_only_) return Status::Ok();
    if (::fdatasync(fd_) != 0) return IOError(path_ + ": fdatasync failed: " + ErrnoText(errno));
    return Status::Ok();
  }

  Status PunchHole(uint64_t offset, uint64_t len) override;
  Result<std::optional<std::pair<uint64_t, uint64_t>>> NextData(uint64_t offset) override;
  Status CopyFrom(ImageFile& src, uint64_t src_offset, uint64_t dst_offset, size_t len) override;

  uint64_t AllocatedBytes() override {
    struct stat st;
    if (::fstat(fd_, &st) != 0) return 0;
    return static_cast<uint64_t>(st.st_blocks) * 512;
  }

 private:
  Status WriteZeros(uint64_t offset, uint64_t len);

  const std::string path_;
  const int fd_;
  const uint64_t size_;
  const bool read_only_;
  uint8_t* map_ = nullptr;  // the whole image, shared, when writable and mappable
};

Status FileImage::PunchHole(uint64_t offset, uint64_t len) {
  if (read_only_) {
    return FailedPrecondition(path_ + ": image is open read-only; reopen it read-write to discard");
  }
  if (offset >= size_) return Status::Ok();
  len = std::min(len, size_ - offset);
  if (len == 0) return Status::Ok();
  if (::fallocate(fd_, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, static_cast<off_t>(offset),
                  static_cast<off_t>(len)) == 0) {
    return Status::Ok();
  }
  if (errno == EOPNOTSUPP || errno == ENOSYS) return WriteZeros(offset, len);
  return IOError(path_ + ": punching a hole at offset " + std::to_string(offset) +
                 " failed: " + ErrnoText(errno));
}

Status FileImage::CopyFrom(ImageFile& src, uint64_t src_offset, uint64_t dst_offset, size_t len) {
  auto* from = dynamic_cast<FileImage*>(&src);
  if (from == nullptr || read_only_ || src_offset > from->size_ || len > from->size_ - src_offset ||
      dst_offset > size_ || len > size_ - dst_offset) {
    return CopyThroughBuffer(src, src_offset, *this, dst_offset, len);  // it reports the errors
  }
  auto in = static_cast<loff_t>(src_offset), out = static_cast<loff_t>(dst_offset);
  while (len > 0) {
    const ssize_t n = ::copy_file_range(from->fd_, &in, fd_, &out, len, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      // The source shrank under us (it then reads as holes), or this host
      // cannot copy between these files: copy the rest by hand.
      if (n == 0 || errno == EXDEV || errno == EINVAL || errno == EOPNOTSUPP || errno == ENOSYS) {
        return CopyThroughBuffer(src, static_cast<uint64_t>(in), *this, static_cast<uint64_t>(out),
                                 len);
      }
      return IOError(path_ + ": copying from " + from->path_ + " failed at offset " +
                     std::to_string(out) + ": " + ErrnoText(errno) +
                     "; check free space on the host");
    }
    len -= static_cast<size_t>(n);
  }
  return Status::Ok();
}

// Fallback for file systems without punch-hole: the range still reads as
// zeros, it just keeps its space.
Status FileImage::WriteZeros(uint64_t offset, uint64_t len) {
  static const std::vector<uint8_t> kZeros(1 << 20, 0);
  while (len > 0) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(len, kZeros.size()));
    LVLAB_RETURN_IF_ERROR(Write(offset, kZeros.data(), n));
    offset += n;
    len -= n;
  }
  return Status::Ok();
}

Result<std::optional<std::pair<uint64_t, uint64_t>>> FileImage::NextData(uint64_t offset) {
  using Extent = std::optional<std::pair<uint64_t, uint64_t>>;
  if (offset >= size_) return Extent();
  off_t data = ::lseek(fd_, static_cast<off_t>(offset), SEEK_DATA);
  if (data < 0) {
    if (errno == ENXIO) return Extent();
    if (errno == EINVAL || errno == EOPNOTSUPP) return Extent({offset, size_});  // no hole info
    return IOError(path_ + ": SEEK_DATA failed at offset " + std::to_string(offset) + ": " +
                   ErrnoText(errno));
  }
  const uint64_t start = static_cast<uint64_t>(data);
  if (start >= size_) return Extent();
  off_t hole = ::lseek(fd_, data, SEEK_HOLE);
  if (hole < 0) {
    return IOError(path_ + ": SEEK_HOLE failed at offset " + std::to_string(start) + ": " +
                   ErrnoText(errno));
  }
  return Extent({start, std::min<uint64_t>(static_cast<uint64_t>(hole), size_)});
}

}  // namespace

Result<std::unique_ptr<ImageFile>> CreateFileImage(const std::string& path, uint64_t size) {
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) {
    if (errno == EEXIST) {
      return AlreadyExists(path + ": image file already exists; remove it or choose another path");
    }
    return IOError(path + ": cannot create image file: " + ErrnoText(errno) +
                   "; check that the directory exists and is writable");
  }
  if (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
    const int err = errno;
    ::close(fd);
    ::unlink(path.c_str());
    return IOError(path + ": cannot size image file to " + std::to_string(size) +
                   " bytes: " + ErrnoText(err) + "; check the file system's file size limit");
  }
  AdviseRandom(fd);
  return std::unique_ptr<ImageFile>(std::make_unique<FileImage>(path, fd, size, false));
}

Result<std::unique_ptr<ImageFile>> OpenFileImage(const std::string& path, bool read_only) {
  int fd = ::open(path.c_str(), (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      return NotFound(path + ": image file does not exist; create it first");
    }
    return IOError(path + ": cannot open image file: " + ErrnoText(errno) +
                   (read_only ? "" : "; check that it is writable"));
  }
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    return IOError(path + ": cannot stat image file: " + ErrnoText(err));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgument(path + ": not a regular file; an image must be a regular file");
  }
  AdviseRandom(fd);
  return std::unique_ptr<ImageFile>(
      std::make_unique<FileImage>(path, fd, static_cast<uint64_t>(st.st_size), read_only));
}

Status ImageFile::CopyFrom(ImageFile& src, uint64_t src_offset, uint64_t dst_offset, size_t len) {
  return CopyThroughBuffer(src, src_offset, *this, dst_offset, len);
}

namespace {

class ImageView final : public ImageFile {
 public:
  explicit ImageView(ImageFile* base) : base_(base) {}
  Status Read(uint64_t o, void* b, size_t n) override { return base_->Read(o, b, n); }
  Status Write(uint64_t o, const void* b, size_t n) override { return base_->Write(o, b, n); }
  uint64_t Size() const override { return base_->Size(); }
  Status Sync() override { return base_->Sync(); }
  Status PunchHole(uint64_t o, uint64_t n) override { return base_->PunchHole(o, n); }
  Result<std::optional<std::pair<uint64_t, uint64_t>>> NextData(uint64_t o) override {
    return base_->NextData(o);
  }
  uint64_t AllocatedBytes() override { return base_->AllocatedBytes(); }
  Status CopyFrom(ImageFile& src, uint64_t src_offset, uint64_t dst_offset, size_t len) override {
    return base_->CopyFrom(src, src_offset, dst_offset, len);
  }
  std::shared_ptr<ChangeRecord> change_record() override { return base_->change_record(); }

 private:
  ImageFile* const base_;
};

}  // namespace

std::unique_ptr<ImageFile> NewImageView(ImageFile* base) {
  return std::make_unique<ImageView>(base);
}

}  // namespace lvlab::store
