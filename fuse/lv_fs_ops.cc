// The FUSE low-level callbacks of LvFs. Every callback is noexcept in effect
// (nothing here throws), replies exactly once, and maps Status to an errno
// in ErrnoOf.
#define FUSE_USE_VERSION 312
#include "fuse/lv_fs_ops.h"

#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <linux/falloc.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "fuse/lv_fs.h"
#include "fuse/lv_io.h"
#include "fuse/open_flags.h"
#include "sim/base/units.h"

namespace lvlab::fuse {
namespace {

constexpr double kCacheSeconds = 3600;  // invalidated explicitly on change
constexpr uint64_t kMaxIoBytes = 1 << 20;

struct Handle {
  std::string dm;
  uint64_t boot = 0;
  uint64_t size_bytes = 0;
  bool direct = false;
  bool sync = false;
};

LvFs& Fs(fuse_req_t req) { return *static_cast<LvFs*>(fuse_req_userdata(req)); }
Handle& H(fuse_file_info* fi) { return *reinterpret_cast<Handle*>(fi->fh); }

int ErrnoOf(const Status& st) {
  switch (st.code()) {
    case Code::kOk:
      return 0;
    case Code::kInvalidArgument:
      return EINVAL;
    case Code::kNotFound:
      return EIO;  // the LV's device went away under an open file
    case Code::kNoSpace:
      return ENOSPC;
    case Code::kBusy:
      return EBUSY;
    case Code::kUnsupported:
      return EOPNOTSUPP;
    case Code::kReadOnly:
      return EROFS;
    default:
      return EIO;
  }
}

struct stat Attr(const Node& n) {
  struct stat st {};
  st.st_ino = n.ino;
  st.st_uid = getuid();
  st.st_gid = getgid();
  if (n.dir) {
    st.st_mode = S_IFDIR | 0755;
    st.st_nlink = 2;
  } else {
    st.st_mode = S_IFREG | 0600;
    st.st_nlink = 1;
    st.st_size = static_cast<off_t>(n.file.size_bytes);
    st.st_blocks = static_cast<blkcnt_t>(n.file.size_bytes / 512);
    st.st_blksize = 4096;
  }
  return st;
}

// A sector-aligned scratch buffer per worker thread, for direct reads.
uint8_t* Scratch(size_t bytes) {
  struct Buf {
    uint8_t* p = nullptr;
    size_t size = 0;
    ~Buf() { std::free(p); }
  };
  thread_local Buf buf;
  if (buf.size < bytes) {
    std::free(buf.p);
    buf.size = std::max<size_t>(bytes, kMaxIoBytes + 2 * kSectorSize);
    buf.p = static_cast<uint8_t*>(std::aligned_alloc(4096, (buf.size + 4095) / 4096 * 4096));
  }
  return buf.p;
}

// Reads and writes of a plain linear LV go straight to its disks on this
// thread when the machine allows it (DirectIo); nullopt: it does not.
std::optional<Status> DirectRead(fuse_req_t req, const Handle& h, uint64_t sector,
                                 uint64_t nsectors, uint8_t* out) {
  return Fs(req).machine().direct().Read(h.dm, h.boot, sector, nsectors, out);
}
std::optional<Status> DirectWrite(fuse_req_t req, const Handle& h, uint64_t sector,
                                  uint64_t nsectors, const char* data, bool fua) {
  return Fs(req).machine().direct().Write(h.dm, h.boot, sector, nsectors,
                                          reinterpret_cast<const uint8_t*>(data), fua);
}

// A bio on the engine thread, answered from there when it completes: by
// `ok` on success, else with its errno; then `buf` (malloc'd, or null) is
// freed. The worker goes back to the device at once: a bio that waits (a
// suspended LV, a flush) holds no worker, and queue depth costs threads no
// context switches (as libfuse's passthrough_hp answers after its callback
// returns). May be called from a completion, which runs on the engine.
void AnswerFromEngine(fuse_req_t req, const std::string& dm, uint64_t boot, engine::Bio::Op op,
                      uint64_t sector, uint64_t nsectors, uint8_t* buf, uint32_t flags,
                      std::function<void()> ok) {
  SubmitAsync(Fs(req).machine(), dm, boot, op, sector, nsectors, buf, flags,
              [req, buf, ok = std::move(ok)](Status st) {
                if (st.ok()) {
                  ok();
                } else {
                  fuse_reply_err(req, ErrnoOf(st));
                }
                std::free(buf);
              });
}

// An unaligned write: the sectors it touches are read, patched and written,
// two bios one after the other, answered from the engine thread.
void ReadModifyWrite(fuse_req_t req, const Handle& h, uint64_t first, uint64_t nsectors,
                     uint64_t skip, const char* data, uint64_t n, uint32_t flags) {
  auto* buf = static_cast<uint8_t*>(std::aligned_alloc(kSectorSize, nsectors * kSectorSize));
  if (!buf) return (void)fuse_reply_err(req, ENOMEM);
  auto patch = std::make_shared<std::vector<char>>(data, data + n);
  SubmitAsync(Fs(req).machine(), h.dm, h.boot, engine::Bio::Op::kRead, first, nsectors, buf, 0,
              [req, dm = h.dm, boot = h.boot, first, nsectors, buf, skip, patch, flags](Status st) {
                if (!st.ok()) {
                  fuse_reply_err(req, ErrnoOf(st));
                  return std::free(buf);
                }
                std::memcpy(buf + skip, patch->data(), patch->size());
                AnswerFromEngine(req, dm, boot, engine::Bio::Op::kWrite, first, nsectors, buf,
                                 flags, [req, n = patch->size()] { fuse_reply_write(req, n); });
              });
}

// FALLOC_FL_ZERO_RANGE: zeros written a chunk at a time, each chunk's bio
// submitted when the one before completed, answered from the engine thread.
class Zeroing {
 public:
  static void Start(fuse_req_t req, const Handle& h, uint64_t sector, uint64_t nsectors) {
    const uint64_t chunk = std::min<uint64_t>(nsectors, kMaxIoBytes / kSectorSize);
    auto* zeros = static_cast<uint8_t*>(std::aligned_alloc(kSectorSize, chunk * kSectorSize));
    if (!zeros) return (void)fuse_reply_err(req, ENOMEM);
    std::memset(zeros, 0, chunk * kSectorSize);
    Step(std::shared_ptr<Zeroing>(new Zeroing(req, h, sector, sector + nsectors, chunk, zeros)),
         Status::Ok());
  }
  ~Zeroing() { std::free(zeros_); }
  Zeroing(const Zeroing&) = delete;
  Zeroing& operator=(const Zeroing&) = delete;

 private:
  Zeroing(fuse_req_t req, const Handle& h, uint64_t next, uint64_t end, uint64_t chunk,
          uint8_t* zeros)
      : req_(req), dm_(h.dm), boot_(h.boot), next_(next), end_(end), chunk_(chunk), zeros_(zeros) {}

  static void Step(const std::shared_ptr<Zeroing>& z, const Status& st) {
    if (!st.ok() || z->next_ == z->end_) return (void)fuse_reply_err(z->req_, ErrnoOf(st));
    const uint64_t at = z->next_, n = std::min(z->chunk_, z->end_ - at);
    z->next_ += n;
    SubmitAsync(Fs(z->req_).machine(), z->dm_, z->boot_, engine::Bio::Op::kWrite, at, n, z->zeros_,
                0, [z](Status done) { Step(z, done); });
  }

  fuse_req_t req_;
  std::string dm_;
  uint64_t boot_;
  uint64_t next_, end_, chunk_;
  uint8_t* zeros_;
};

bool Stale(fuse_req_t req, const Handle& h) { return Fs(req).machine().boot() != h.boot; }

bool Aligned(uint64_t v) { return v % kSectorSize == 0; }

void OpInit(void* userdata, fuse_conn_info* conn) {
  (void)userdata;
  conn->max_write = kMaxIoBytes;
  conn->max_readahead = kMaxIoBytes;
  if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC) conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
  if (conn->capable & FUSE_CAP_ASYNC_DIO) conn->want |= FUSE_CAP_ASYNC_DIO;
  if (conn->capable & FUSE_CAP_PARALLEL_DIROPS) conn->want |= FUSE_CAP_PARALLEL_DIROPS;
  conn->want &= ~FUSE_CAP_WRITEBACK_CACHE;  // writes reach the engine before write(2) returns
  conn->want &= ~FUSE_CAP_AUTO_INVAL_DATA;  // no GETATTR storms; we invalidate ourselves
}

void OpLookup(fuse_req_t req, fuse_ino_t parent, const char* name) {
  auto n = Fs(req).table().Lookup(parent, name);
  if (!n) return (void)fuse_reply_err(req, ENOENT);
  fuse_entry_param e{};
  e.ino = n->ino;
  e.attr = Attr(*n);
  e.attr_timeout = kCacheSeconds;
  e.entry_timeout = kCacheSeconds;
  fuse_reply_entry(req, &e);
}

void OpGetattr(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  (void)fi;
  auto n = Fs(req).table().Get(ino);
  if (!n) return (void)fuse_reply_err(req, ENOENT);
  struct stat st = Attr(*n);
  fuse_reply_attr(req, &st, kCacheSeconds);
}

void OpSetattr(fuse_req_t req, fuse_ino_t ino, struct stat* attr, int to_set, fuse_file_info* fi) {
  (void)ino, (void)attr, (void)fi;
  // As truncate(2) on a block device: EINVAL; the node's metadata is lvlab's.
  fuse_reply_err(req, (to_set & FUSE_SET_ATTR_SIZE) ? EINVAL : EPERM);
}

void OpReaddir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  (void)fi;
  auto self = Fs(req).table().Get(ino);
  if (!self || !self->dir) return (void)fuse_reply_err(req, self ? ENOTDIR : ENOENT);
  std::vector<Node> entries = Fs(req).table().Children(ino);
  std::vector<char> buf(size);
  size_t used = 0;
  const size_t total = entries.size() + 2;
  for (size_t i = static_cast<size_t>(off); i < total; ++i) {
    struct stat st {};
    const char* name;
    if (i == 0) {
      name = ".", st.st_ino = ino, st.st_mode = S_IFDIR;
    } else if (i == 1) {
      name = "..", st.st_ino = self->parent, st.st_mode = S_IFDIR;
    } else {
      st = Attr(entries[i - 2]);
      name = entries[i - 2].name.c_str();
    }
    const size_t need = fuse_add_direntry(req, buf.data() + used, size - used, name, &st,
                                          static_cast<off_t>(i + 1));
    if (need > size - used) break;
    used += need;
  }
  fuse_reply_buf(req, buf.data(), used);
}

void OpOpen(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  auto n = Fs(req).table().Get(ino);
  if (!n) return (void)fuse_reply_err(req, ENOENT);
  if (n->dir) return (void)fuse_reply_err(req, EISDIR);
  if (!n->live || n->boot != Fs(req).machine().boot()) return (void)fuse_reply_err(req, ENXIO);
  auto h = std::make_unique<Handle>();
  h->dm = n->file.dm;
  h->boot = n->boot;
  h->size_bytes = n->file.size_bytes;
  h->direct = (fi->flags & O_DIRECT) != 0;
  h->sync = (fi->flags & O_DSYNC) != 0;  // O_SYNC includes O_DSYNC's bit
  // The handle holds the device open until it is released.
  if (!OpenDevice(Fs(req).machine(), h->dm, h->boot).ok()) {
    return (void)fuse_reply_err(req, ENXIO);
  }
  fi->direct_io = h->direct;
  fi->keep_cache = !h->direct;
  fi->fh = reinterpret_cast<uint64_t>(h.release());
  // Direct writes of one LV in parallel, as a block device takes them.
  if (fi->direct_io) MarkParallelDirectWrites(fi->fh);
  if (fuse_reply_open(req, fi) != 0) {
    CloseDevice(Fs(req).machine(), H(fi).dm, H(fi).boot);
    delete &H(fi);
  }
}

void OpRelease(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  (void)ino;
  CloseDevice(Fs(req).machine(), H(fi).dm, H(fi).boot);
  delete &H(fi);
  fuse_reply_err(req, 0);
}

void OpRead(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off, fuse_file_info* fi) {
  (void)ino;
  const Handle& h = H(fi);
  if (Stale(req, h)) return (void)fuse_reply_err(req, EIO);
  const uint64_t offset = static_cast<uint64_t>(off);
  if (h.direct && (!Aligned(offset) || !Aligned(size))) return (void)fuse_reply_err(req, EINVAL);
  if (offset >= h.size_bytes || size == 0) return (void)fuse_reply_buf(req, nullptr, 0);
  const uint64_t n = std::min<uint64_t>(size, h.size_bytes - offset);
  const uint64_t first = offset / kSectorSize;
  const uint64_t end = (offset + n + kSectorSize - 1) / kSectorSize;
  const size_t bytes = (end - first) * kSectorSize;
  const uint64_t skip = offset - first * kSectorSize;
  uint8_t* scratch = Scratch(bytes);
  if (auto st = DirectRead(req, h, first, end - first, scratch)) {
    if (!st->ok()) return (void)fuse_reply_err(req, ErrnoOf(*st));
    return (void)fuse_reply_buf(req, reinterpret_cast<char*>(scratch) + skip, n);
  }
  auto* buf = static_cast<uint8_t*>(std::aligned_alloc(kSectorSize, bytes));
  if (!buf) return (void)fuse_reply_err(req, ENOMEM);
  AnswerFromEngine(
      req, h.dm, h.boot, engine::Bio::Op::kRead, first, end - first, buf, 0,
      [req, buf, skip, n] { fuse_reply_buf(req, reinterpret_cast<char*>(buf) + skip, n); });
}

void OpWrite(fuse_req_t req, fuse_ino_t ino, const char* data, size_t size, off_t off,
             fuse_file_info* fi) {
  (void)ino;
  const Handle& h = H(fi);
  if (Stale(req, h)) return (void)fuse_reply_err(req, EIO);
  const uint64_t offset = static_cast<uint64_t>(off);
  if (h.direct && (!Aligned(offset) || !Aligned(size))) return (void)fuse_reply_err(req, EINVAL);
  if (size == 0) return (void)fuse_reply_write(req, 0);
  if (offset >= h.size_bytes) return (void)fuse_reply_err(req, ENOSPC);
  const uint64_t n = std::min<uint64_t>(size, h.size_bytes - offset);
  const uint32_t flags = h.sync ? engine::Bio::kFua : 0;
  const uint64_t first = offset / kSectorSize;
  const uint64_t end = (offset + n + kSectorSize - 1) / kSectorSize;
  if (Aligned(offset) && Aligned(n)) {
    // The request buffer goes straight to the disk's cache (which copies).
    auto direct = DirectWrite(req, h, first, end - first, data, h.sync);
    if (direct) {
      if (!direct->ok()) return (void)fuse_reply_err(req, ErrnoOf(*direct));
      return (void)fuse_reply_write(req, n);
    }
    // Through the engine: a copy (libfuse reuses the request buffer once we
    // return), answered from the engine thread when the bio completes.
    auto* buf = static_cast<uint8_t*>(std::aligned_alloc(kSectorSize, n));
    if (!buf) return (void)fuse_reply_err(req, ENOMEM);
    std::memcpy(buf, data, n);
    return AnswerFromEngine(req, h.dm, h.boot, engine::Bio::Op::kWrite, first, end - first, buf,
                            flags, [req, n] { fuse_reply_write(req, n); });
  }
  // Unaligned (buffered writes only): read-modify-write of whole sectors.
  ReadModifyWrite(req, h, first, end - first, offset - first * kSectorSize, data, n, flags);
}

void OpFlush(fuse_req_t req, fuse_ino_t ino, fuse_file_info* fi) {
  (void)ino, (void)fi;
  fuse_reply_err(req, 0);  // close(2) of a block device does not flush its cache
}

void OpFsync(fuse_req_t req, fuse_ino_t ino, int datasync, fuse_file_info* fi) {
  (void)ino, (void)datasync;
  const Handle& h = H(fi);
  if (Stale(req, h)) return (void)fuse_reply_err(req, EIO);
  AnswerFromEngine(req, h.dm, h.boot, engine::Bio::Op::kFlush, 0, 0, nullptr, 0,
                   [req] { fuse_reply_err(req, 0); });
}

void OpFallocate(fuse_req_t req, fuse_ino_t ino, int mode, off_t off, off_t len,
                 fuse_file_info* fi) {
  (void)ino;
  const Handle& h = H(fi);
  if (Stale(req, h)) return (void)fuse_reply_err(req, EIO);
  const bool punch = mode == (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE);
  const bool zero = mode == (FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE);
  if (!punch && !zero) return (void)fuse_reply_err(req, EOPNOTSUPP);
  const uint64_t offset = static_cast<uint64_t>(off), length = static_cast<uint64_t>(len);
  if (off < 0 || len <= 0 || !Aligned(offset) || !Aligned(length) ||
      offset + length > h.size_bytes) {
    return (void)fuse_reply_err(req, EINVAL);
  }
  if (punch) {
    return AnswerFromEngine(req, h.dm, h.boot, engine::Bio::Op::kDiscard, offset / kSectorSize,
                            length / kSectorSize, nullptr, 0, [req] { fuse_reply_err(req, 0); });
  }
  Zeroing::Start(req, h, offset / kSectorSize, length / kSectorSize);
}

void OpStatfs(fuse_req_t req, fuse_ino_t ino) {
  (void)ino;
  struct statvfs s {};
  s.f_bsize = 4096;
  s.f_frsize = 512;
  s.f_blocks = Fs(req).table().TotalBytes() / 512;
  s.f_namemax = 255;
  fuse_reply_statfs(req, &s);
}

void RefuseEntry(fuse_req_t req) { fuse_reply_err(req, EPERM); }

void OpMknod(fuse_req_t req, fuse_ino_t, const char*, mode_t, dev_t) { RefuseEntry(req); }
void OpMkdir(fuse_req_t req, fuse_ino_t, const char*, mode_t) { RefuseEntry(req); }
void OpUnlink(fuse_req_t req, fuse_ino_t, const char*) { RefuseEntry(req); }
void OpRmdir(fuse_req_t req, fuse_ino_t, const char*) { RefuseEntry(req); }
void OpSymlink(fuse_req_t req, const char*, fuse_ino_t, const char*) { RefuseEntry(req); }
void OpRename(fuse_req_t req, fuse_ino_t, const char*, fuse_ino_t, const char*, unsigned int) {
  RefuseEntry(req);
}
void OpLink(fuse_req_t req, fuse_ino_t, fuse_ino_t, const char*) { RefuseEntry(req); }
void OpCreate(fuse_req_t req, fuse_ino_t, const char*, mode_t, fuse_file_info*) {
  RefuseEntry(req);
}
void OpSetxattr(fuse_req_t req, fuse_ino_t, const char*, const char*, size_t, int) {
  fuse_reply_err(req, EOPNOTSUPP);
}

}  // namespace

const fuse_lowlevel_ops& LvFsOps() {
  static const fuse_lowlevel_ops ops = [] {
    fuse_lowlevel_ops o{};
    o.init = OpInit;
    o.lookup = OpLookup;
    o.getattr = OpGetattr;
    o.setattr = OpSetattr;
    o.readdir = OpReaddir;
    o.open = OpOpen;
    o.release = OpRelease;
    o.read = OpRead;
    o.write = OpWrite;
    o.flush = OpFlush;
    o.fsync = OpFsync;
    o.fallocate = OpFallocate;
    o.statfs = OpStatfs;
    o.mknod = OpMknod;
    o.mkdir = OpMkdir;
    o.unlink = OpUnlink;
    o.rmdir = OpRmdir;
    o.symlink = OpSymlink;
    o.rename = OpRename;
    o.link = OpLink;
    o.create = OpCreate;
    o.setxattr = OpSetxattr;
    return o;
  }();
  return ops;
}

}  // namespace lvlab::fuse
