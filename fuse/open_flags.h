// Open flags that libfuse 3.14 (Debian 12) has no field for.
//
// FOPEN_PARALLEL_DIRECT_WRITES (Linux 6.2; libfuse 3.15's
// fuse_file_info::parallel_direct_writes) lets the kernel send several
// direct writes of one file at once. Without it, FUSE takes the inode lock
// exclusively around each direct write, so writes at queue depth 16 reach
// the daemon one at a time, while a block device takes them in parallel.
// With libfuse 3.14 the flag is set in the open reply itself: the session
// gets a custom I/O (fuse_session_custom_io, which 3.14 has) whose writev
// is the plain one, except that the open reply of the handle marked by
// MarkParallelDirectWrites on the replying thread gets the flag. Read and
// splice are the plain system calls, as libfuse would make them.
#pragma once

#include <sys/types.h>
#include <sys/uio.h>

#include <cstdint>

struct fuse_session;

namespace lvlab::fuse {

// After fuse_session_mount: installs the custom I/O on `se`. 0 or -errno.
int InstallOpenFlagIo(fuse_session* se);

// On the thread about to call fuse_reply_open for file handle `fh`: that
// reply asks for parallel direct writes.
void MarkParallelDirectWrites(uint64_t fh);

// The custom I/O's writev (for tests): writes `iov` to `fd` after setting
// the flag in the open reply of the handle marked on this thread, if `iov`
// is that reply; clears the mark.
ssize_t OpenFlagWritev(int fd, struct iovec* iov, int count, void* userdata);

}  // namespace lvlab::fuse
