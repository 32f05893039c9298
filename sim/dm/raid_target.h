// The raid target, raid1 only (dm-raid.c over MD raid1;
// reference/device-mapper-targets.md 5):
//
//   raid raid1 <#params> <chunk_size> [sync|nosync] [region_size <sectors>]
//        [<other param> <value>]... <#devs> <meta> <data> ...
//
// A pair "- -" is an empty slot (a split image, --trackchanges): the array
// runs degraded and every region written meanwhile stays dirty in the
// write-intent bitmap. "- <data>" is a leg without metadata.
//
// On each meta device: a superblock at sector 0 (magic "DmRd" 0x64526D44,
// num_devices, array_position, events, failed_devices; the kernel's field
// order) and the write-intent bitmap at byte 4096 (a header with magic
// "bitm", then one bit per region from byte 4096 + 256). A simplified
// layout: MD's bitmap superblock has more fields.
//
// Write path: the region's bit is set and the bitmap written (FUA) to every
// meta device before the data goes to the legs. Bits are cleared lazily
// (legs flushed first) only while the array is whole and in sync.
//
// Resume reads the superblocks. All new: a full resync from leg 0 (action
// "resync", all legs 'a') unless nosync. A device that the freshest
// superblock lists as failed (a "- -" slot, a Faulty leg, or one being
// recovered) comes back not in sync and is recovered from an in-sync leg,
// only the bitmap-dirty regions (action "recover", that leg 'a'). Writes
// to the region being copied wait. "rebuild <idx>" (LVM's LV_REBUILD, a
// replacement image) recovers that device in full: every bitmap bit set,
// and the superblocks list it as failed, so that a reload before the end
// goes on with it.
//
// A leg whose I/O fails is Faulty (MD's md_error): health 'D', no more I/O
// goes to it, a failed read is retried on another leg, a write succeeds if
// one leg took it, the array runs degraded (bits stay set) and the device
// raises an event (dmeventd's raid plugin acts on it). Trace event
// "raid-leg-failed" (dev, leg, op). The superblocks of the other legs are
// rewritten (events + 1) to list it, and every write or flush completing
// meanwhile is acknowledged only once they are on disk (MD holds such bios
// until the superblock update, MD_SB_CHANGE_PENDING); if no superblock can
// be written, they fail. So after a power cut the stale leg comes back as
// recovering from the others, never as in sync. Simplification: the
// superblocks' failed_devices also lists the legs being recovered (dm-raid
// keeps that in each device's disk_recovery_offset), until the recovery
// ends, the recovered legs are flushed and the superblocks rewritten; a
// recovery copies each dirty region to every other leg. Trace event
// "raid-superblocks" (dev, failed).
// Status: "raid1 <#devs> <health> <cur>/<dev_sectors> <action> 0 0 -".
//
// Not thread-safe: one engine thread. Owned by its table; does not own the
// devices. Postsuspend waits for its copies and bitmap writes.
#pragma once

#include <memory>

#include "sim/dm/target.h"

namespace lvlab::dm {

inline constexpr uint32_t kRaidMagic = 0x64526D44;    // "DmRd"
inline constexpr uint32_t kBitmapMagic = 0x6d746962;  // "bitm"
inline constexpr uint64_t kBitmapOffsetBytes = 4096;
inline constexpr uint64_t kBitmapBitsOffsetBytes = 4096 + 256;

Result<std::unique_ptr<Target>> NewRaidTarget(const TargetArgs& args);

}  // namespace lvlab::dm
