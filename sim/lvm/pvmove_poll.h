// The pvmove poller (LVM's polldaemon with _pvmove_fns): one per pvmove LV,
// driven by the System's scheduler. See pvmove.h. The same poller also
// follows snapshot merges (_lvconvert_merge_fns; snapshot.h).
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/lvm/commands.h"

namespace lvlab::lvm {

class Poller {
 public:
  struct Options {
    std::string vg;
    std::string lv;          // pvmoveN
    std::string lvid;        // locked in: a reused name is another move
    std::string source;      // lab PV name shown in messages
    uint64_t interval_ns = 0;
    bool aborting = false;
    bool delay_first = false;
    // A snapshot merge into origin `lv` (snapshot_merge_poll.cc), not a
    // pvmove; `source` is VG/SNAP.
    bool merge = false;
  };
  Poller(Context& ctx, Options options);

  void Start();
  bool done() const { return done_; }
  const Status& result() const { return result_; }
  const Options& options() const { return o_; }

 private:
  void Poll();
  void PollLocked();
  void Again();
  void Finish(Status st);
  Status Checkpoint(VolumeGroup& vg);
  Status Complete(VolumeGroup& vg, bool abort);
  void PollMerge();
  Status FinishMerge(VolumeGroup& vg);

  Context& ctx_;
  Options o_;
  bool done_ = false;
  Status result_;
};

// All pollers of a System (LVM's lvmpolld: one per pvmove LV at a time).
class PollerSet {
 public:
  // Starts a poller unless one for the same LV is running.
  Poller* Start(Context& ctx, Poller::Options options);
  bool AllDone() const;
  Status FirstError() const;
  const std::vector<std::unique_ptr<Poller>>& pollers() const { return pollers_; }

 private:
  std::vector<std::unique_ptr<Poller>> pollers_;
};

// Parses the in-sync and total region counts of every mirror line of a
// `dmsetup status` text ("0 40960 mirror 2 7:2 7:4 12/20 1 AA 1 core").
std::vector<std::pair<uint64_t, uint64_t>> MirrorSyncCounts(const std::string& status);

}  // namespace lvlab::lvm
