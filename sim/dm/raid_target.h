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
// superblock lists as failed (it was a "- -" slot) comes back not in sync
// and is recovered from an in-sync leg, only the bitmap-dirty regions
// (action "recover", that leg 'a'). Writes to the region being copied wait.
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
