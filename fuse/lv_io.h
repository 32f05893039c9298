// Block I/O from a FUSE worker thread to an LV's dm device: the bio is built
// and submitted on the engine thread, the worker sleeps until it completes.
//
// Exactly one answer reaches the worker: the bio's completion, or EIO when
// the work is dropped unrun (the machine lost power and rebooted: the
// closure or the bio is destroyed and a guard answers from its destructor),
// or when the device is gone or belongs to an earlier boot.
//
// Thread-safety: SubmitAndWait may be called from any thread but the engine
// thread. `data` must stay valid until it returns.
#pragma once

#include <cstdint>
#include <string>

#include "fuse/live_machine.h"
#include "sim/base/status.h"
#include "sim/engine/bio.h"

namespace lvlab::fuse {

Status SubmitAndWait(LiveMachine& machine, const std::string& dm, uint64_t boot,
                     engine::Bio::Op op, uint64_t sector, uint64_t nsectors, uint8_t* data,
                     uint32_t flags = 0);

}  // namespace lvlab::fuse
