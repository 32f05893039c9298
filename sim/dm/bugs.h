// Bug switches: deliberate departures from the kernel's behaviour that
// re-create real failure modes, for the bug catalogue and for checking that
// the crash and consistency checkers can see them. Every switch defaults to
// off (the faithful behaviour). The Kernel holds one kernel-wide set
// (Kernel::bugs()); targets read it live, so a switch may be flipped between
// I/Os. Plain data; not thread-safe (one engine thread).
#pragma once

namespace lvlab::dm {

struct MirrorBugs {
  // A write to the region being recovered goes to the default leg only and
  // is neither held nor counted as pending (the kernel parks it with
  // dm_rh_delay until the region is copied, then writes every leg). The
  // failure it re-creates is the resync race: kcopyd has already read the
  // old data from leg 0, the write lands on leg 0 only, then kcopyd writes
  // the old data over the other legs and the region is declared in sync with
  // legs that differ. Reads served by another leg (after a leg 0 failure or a
  // table reload) return the old data; nothing ever resyncs it.
  bool recovery_write_one_leg = false;

  // The disk log writes the clean mark before it flushes the legs (the
  // kernel's disk_flush calls flush_callback_fn = mirror_flush first, so the
  // legs' data is durable before a region is declared clean). The failure it
  // re-creates is dm-log without that callback: a power loss between the
  // clean mark and the legs reaching their platters leaves a region marked
  // clean on disk whose last write survived on one leg and was lost on
  // another; after reboot the region counts as in sync and is never
  // recopied, so the legs silently disagree.
  bool clean_before_flush = false;

  // snapshot-merge clears the merged exceptions from the COW store without
  // first flushing the origin (the kernel's merge_callback calls
  // blkdev_issue_flush on the origin before commit_merge). The failure it
  // re-creates: a power loss after the cleared area reached the disk but
  // before the copied chunks left the origin's volatile cache loses those
  // chunks twice over: the origin reverts to its old data and the exception
  // that could have recopied it is gone.
  bool merge_clear_before_flush = false;

  // raid1: a write while a slot is empty (an image split off with
  // --trackchanges, "- -" in the table) is not marked in the write-intent
  // bitmap. MD marks every write before it is issued (raid1_write_request
  // calls md_bitmap_startwrite for its range whether or not every member is
  // present), and a write that missed a member keeps its bit set until that
  // member is recovered. The failure it re-creates is a write path that
  // skips the bitmap when it judges the write "complete" on the members it
  // has: when the image is merged back, recovery copies only the dirty
  // regions, so the region written meanwhile is never copied and the
  // returning image holds stale data while the array reports in sync.
  bool trackchanges_missed_write = false;
};

}  // namespace lvlab::dm
