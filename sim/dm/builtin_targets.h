// Factories of the built-in target types, registered by target.cc on first
// use of the registry. Each parses its table arguments exactly as the
// kernel's ctr does and fails with InvalidArgument (or NotFound for a device
// that does not exist) on the kernel's conditions:
//
//   linear  <dev> <offset>                              (dm-linear.c)
//   striped <#stripes> <chunk_sectors> [<dev> <offset>]+  (dm-stripe.c)
//   error   [<dev> <offset>]                            (dm-target.c)
//   zero                                                (dm-zero.c)
//   flakey  <dev> <offset> <up> <down> [<#features> <features>]  (dm-flakey.c)
//   delay   <dev> <offset> <ms> [<dev> <offset> <ms> [<dev> <offset> <ms>]]
//                                                       (dm-delay.c)
//   dust    <dev> <offset> <blksz>                      (dm-dust.c)
//   mirror  <log> <#log_args> <log_args> <#legs> [<dev> <offset>]+ [<#features> <features>]
//                                                       (dm-raid1.c, mirror_target.h)
//
// Semantics are in each .cc file and in reference/device-mapper-targets.md.
// The returned Target is owned by the caller (the Device's table).
#pragma once

#include <memory>

#include "sim/dm/target.h"

namespace lvlab::dm {

Result<std::unique_ptr<Target>> NewLinearTarget(const TargetArgs& args);
Result<std::unique_ptr<Target>> NewStripedTarget(const TargetArgs& args);
Result<std::unique_ptr<Target>> NewErrorTarget(const TargetArgs& args);
Result<std::unique_ptr<Target>> NewZeroTarget(const TargetArgs& args);
Result<std::unique_ptr<Target>> NewMirrorTarget(const TargetArgs& args);
Result<std::unique_ptr<Target>> NewFlakeyTarget(const TargetArgs& args);
Result<std::unique_ptr<Target>> NewDelayTarget(const TargetArgs& args);
Result<std::unique_ptr<Target>> NewDustTarget(const TargetArgs& args);

}  // namespace lvlab::dm
