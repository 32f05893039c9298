// CopyToMapping: a memcpy into a shared file mapping that survives the
// mapping's SIGBUS.
//
// A store through a MAP_SHARED mapping of a file costs no system call once
// the page is mapped writable, where a pwrite walks the file system's write
// path every time; file images write small records that way
// (image_file.cc). But a mapping reports what a pwrite would return as an
// error (no space for a block in a hole, an I/O error reading the page in,
// a file shrunk under the mapping) as SIGBUS, which would kill the daemon.
// CopyToMapping catches a SIGBUS raised by its own copy and returns false,
// and the caller does the write again with pwrite, which reports the error
// (or succeeds). Bytes copied before the fault stay written, as with a short
// pwrite.
//
// The handler is installed on first use, process-wide, with SA_NODEFER so
// that leaving it by siglongjmp needs no signal-mask system call. A SIGBUS
// raised anywhere else goes to the handler that was there before (a
// sanitizer's, or the default action), as if this one were not installed.
//
// Thread-safe: any thread; each has its own jump point.
#pragma once

#include <cstddef>

namespace lvlab::store {

// Copies n bytes from src to dst, where dst lies in a shared file mapping.
// Returns false if the copy raised SIGBUS.
bool CopyToMapping(void* dst, const void* src, size_t n);

}  // namespace lvlab::store
