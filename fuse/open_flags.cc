#define FUSE_USE_VERSION 312
#include "fuse/open_flags.h"

#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <linux/fuse.h>
#include <sys/uio.h>
#include <unistd.h>

namespace lvlab::fuse {
namespace {

thread_local uint64_t parallel_fh = 0;  // 0: no open reply is marked

}  // namespace

ssize_t OpenFlagWritev(int fd, struct iovec* iov, int count, void* userdata) {
  (void)userdata;
  if (parallel_fh != 0) {
    // libfuse sends an open reply as the out header and one fuse_open_out.
    if (count == 2 && iov[1].iov_len == sizeof(fuse_open_out)) {
      auto* out = static_cast<fuse_open_out*>(iov[1].iov_base);
      if (out->fh == parallel_fh) out->open_flags |= FOPEN_PARALLEL_DIRECT_WRITES;
    }
    parallel_fh = 0;
  }
  return ::writev(fd, iov, count);
}

namespace {

ssize_t Read(int fd, void* buf, size_t len, void* userdata) {
  (void)userdata;
  return ::read(fd, buf, len);
}

ssize_t Splice(int fdin, off_t* offin, int fdout, off_t* offout, size_t len, unsigned int flags,
               void* userdata) {
  (void)userdata;
  return ::splice(fdin, offin, fdout, offout, len, flags);
}

}  // namespace

int InstallOpenFlagIo(fuse_session* se) {
  static const fuse_custom_io io = {
      .writev = OpenFlagWritev,
      .read = Read,
      .splice_receive = Splice,
      .splice_send = Splice,
  };
  return fuse_session_custom_io(se, &io, fuse_session_fd(se));
}

void MarkParallelDirectWrites(uint64_t fh) { parallel_fh = fh; }

}  // namespace lvlab::fuse
