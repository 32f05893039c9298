#define FUSE_USE_VERSION 312
#include "fuse/lv_fs.h"

#include <fuse_lowlevel.h>

#include <algorithm>
#include <thread>

#include "fuse/lv_fs_ops.h"
#include "fuse/open_flags.h"

namespace lvlab::fuse {

LvFs::LvFs(LiveMachine* machine, MountOptions options)
    : machine_(machine), options_(std::move(options)) {}

LvFs::~LvFs() {
  if (se_) {
    Unmount();
    fuse_session_destroy(se_);
  }
}

Status LvFs::Mount() {
  std::vector<std::string> words = {"lvlab", "-o", "fsname=" + options_.fsname,
                                    "-o", "subtype=lvlab", "-o", "default_permissions"};
  if (options_.allow_other) words.insert(words.end(), {"-o", "allow_other"});
  std::vector<char*> argv;
  for (std::string& w : words) argv.push_back(w.data());
  fuse_args args = FUSE_ARGS_INIT(static_cast<int>(argv.size()), argv.data());
  se_ = fuse_session_new(&args, &LvFsOps(), sizeof(LvFsOps()), this);
  if (!se_) return IOError("cannot create the FUSE session (see the message above)");
  if (fuse_session_mount(se_, options_.mountpoint.c_str()) != 0) {
    return IOError("cannot mount on " + options_.mountpoint +
                   "; is it an existing empty directory you own, and is /dev/fuse usable?");
  }
  mounted_ = true;
  if (InstallOpenFlagIo(se_) != 0) return IOError("cannot set up the FUSE session's I/O");
  // Now, not in Loop: a SIGTERM right after the mount reports ready must
  // end the loop cleanly, not kill the process.
  if (fuse_set_signal_handlers(se_) != 0) return IOError("cannot install the signal handlers");
  return Status::Ok();
}

namespace {

// One worker per core (at least 2), never retired. A worker waits for no
// bio: what goes through the engine is answered from the engine thread
// (lv_fs_ops.cc); it waits only for a disk's lock or for room in a full
// drive cache. So more workers would only queue for the cores. Measured on
// 2 cores (Linux 6.18), 4k I/O at queue depth 1: 2 workers 1.2-1.5 times
// as fast as 4 or 10, 1 worker 3-4 times slower. A limit on idle workers
// (libfuse's max_idle) retires a worker as soon as too many are idle; where
// a worker that replies is preempted by the caller it wakes, libfuse then
// created and destroyed threads all the time (with max_idle 32, the
// daemon's CPU time per 4k read miss was twice passthrough_ll's).
unsigned WorkerThreads() { return std::max(2u, std::thread::hardware_concurrency()); }

}  // namespace

int LvFs::Loop() {
  fuse_loop_config* cfg = fuse_loop_cfg_create();
  fuse_loop_cfg_set_clone_fd(cfg, 0);
  // No fuse_loop_cfg_set_idle_threads: libfuse's default retires no worker.
  fuse_loop_cfg_set_max_threads(cfg, WorkerThreads());
  const int rc = fuse_session_loop_mt(se_, cfg);
  fuse_loop_cfg_destroy(cfg);
  fuse_remove_signal_handlers(se_);
  return rc;
}

void LvFs::Unmount() {
  if (!mounted_) return;
  mounted_ = false;
  fuse_session_unmount(se_);
}

void LvFs::Refresh() {
  auto gone = table_.Update(machine_->Files(), machine_->boot());
  if (gone.empty()) return;
  std::lock_guard<std::mutex> lock(inval_mu_);
  inval_.insert(inval_.end(), gone.begin(), gone.end());
}

void LvFs::Invalidate() {
  std::lock_guard<std::mutex> lock(inval_mu_);
  for (const auto& [parent, name] : inval_) {
    if (mounted_) fuse_lowlevel_notify_inval_entry(se_, parent, name.c_str(), name.size());
  }
  inval_.clear();
}

}  // namespace lvlab::fuse
