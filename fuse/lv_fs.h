// LvFs: the FUSE file system of the live daemon (libfuse3 low-level API,
// multi-threaded loop). Each active LV is the regular file MNT/VG/LV, mode
// 0600, owned by the mounting user, as large as the LV.
//
// Supported, as on a block device node: open (O_DIRECT bypasses the page
// cache and requires 512-byte aligned offsets and lengths, else EINVAL;
// O_SYNC/O_DSYNC writes are FUA), read (at or past the end: 0 bytes; across
// it: short), write (at or past the end: ENOSPC; across it: short; unaligned
// buffered writes read-modify-write whole sectors), fsync/fdatasync (an
// empty flush through the stack), fallocate PUNCH_HOLE|KEEP_SIZE (a
// discard) and ZERO_RANGE|KEEP_SIZE (zeros written; both need 512-byte
// alignment and must end within the LV, else EINVAL), getattr, statfs,
// readdir, lookup. Refused, never crashing:
//   create, mknod, mkdir, symlink, link, unlink, rmdir, rename  EPERM
//   truncate / ftruncate (setattr size)                          EINVAL
//   chmod, chown, utimes (other setattr)                         EPERM
//   setxattr                                                     EOPNOTSUPP
//   other fallocate modes                                        EOPNOTSUPP
// A handle opened before a power cut (another boot) or whose LV was
// deactivated gets EIO. Attributes and entries are cached by the kernel for
// an hour and invalidated when the namespace changes (Refresh).
//
// Data: reads and writes of plain linear LVs (and reads of LVs being
// moved) are done by the worker itself on the PV disks when the machine's
// DirectIo allows it; everything else is a bio on the engine thread.
//
// Threads: the loop's workers (one per core, lv_fs.cc) call into LvFs and
// never wait for a bio: what goes through the engine is answered from the
// engine thread (lv_fs_ops.cc). Refresh runs on the engine thread and
// queues invalidations that Invalidate (any thread but the engine, which
// FUSE requests may be waiting for) sends to the kernel. LvFs does not own
// the machine.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "fuse/live_machine.h"
#include "fuse/volume_table.h"
#include "sim/base/status.h"

struct fuse_session;

namespace lvlab::fuse {

struct MountOptions {
  std::string mountpoint;
  bool allow_other = false;
  std::string fsname = "lvlab";
};

class LvFs {
 public:
  LvFs(LiveMachine* machine, MountOptions options);
  ~LvFs();

  // Creates the session, mounts it and takes SIGTERM, SIGINT and SIGHUP
  // (they end Loop).
  Status Mount();
  // Serves requests until unmounted or signalled (SIGTERM, SIGINT, SIGHUP
  // end the loop). Returns the loop's status.
  int Loop();
  // Unmounts (after Loop returned).
  void Unmount();

  // Engine thread: takes the machine's current files.
  void Refresh();
  // Not the engine thread: tells the kernel about vanished entries.
  void Invalidate();

  // For the op callbacks.
  LiveMachine& machine() { return *machine_; }
  VolumeTable& table() { return table_; }

 private:
  LiveMachine* machine_;
  MountOptions options_;
  VolumeTable table_;
  fuse_session* se_ = nullptr;
  bool mounted_ = false;
  std::mutex inval_mu_;
  std::vector<std::pair<uint64_t, std::string>> inval_;  // guarded by inval_mu_
};

}  // namespace lvlab::fuse
