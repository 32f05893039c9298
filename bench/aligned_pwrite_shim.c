// An LD_PRELOAD shim for live_bench.sh's passthrough column (built at bench
// time next to the passthrough, never linked into lvlab).
//
// libfuse 3.14 hands a write's payload to the file system right after the
// request header, so it is not aligned; a passthrough that opened its
// backing file with O_DIRECT then gets EINVAL from pwrite (libfuse 3.17
// aligns the buffer). This shim bounces an unaligned pwrite through a
// page-aligned per-thread buffer, so the backing file stays O_DIRECT and
// the column measures the passthrough plus one copy of each write.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

typedef ssize_t (*pwrite_fn)(int, const void*, size_t, off_t);

static __thread void* bounce;
static __thread size_t bounce_size;

static ssize_t Bounced(pwrite_fn real, int fd, const void* buf, size_t n, off_t off) {
  if (((uintptr_t)buf & 4095) == 0) return real(fd, buf, n, off);
  if (bounce_size < n) {
    free(bounce);
    bounce = NULL;
    bounce_size = 0;
    if (posix_memalign(&bounce, 4096, n) != 0) return real(fd, buf, n, off);
    bounce_size = n;
  }
  memcpy(bounce, buf, n);
  return real(fd, bounce, n, off);
}

ssize_t pwrite64(int fd, const void* buf, size_t n, off_t off) {
  static pwrite_fn real;
  if (!real) real = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite64");
  return Bounced(real, fd, buf, n, off);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  static pwrite_fn real;
  if (!real) real = (pwrite_fn)dlsym(RTLD_NEXT, "pwrite");
  return Bounced(real, fd, buf, n, off);
}
