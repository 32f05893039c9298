// Block I/O from a FUSE worker thread to an LV's dm device: the bio is built
// and submitted on the engine thread, and its completion answers there.
//
// Exactly one answer comes: the bio's completion, or EIO when the work is
// dropped unrun (the machine lost power and rebooted: the closure or the
// bio is destroyed and a guard answers from its destructor), or when the
// device is gone or belongs to an earlier boot.
//
// Thread-safety: SubmitAsync and CloseDevice from any thread; a successful
// completion may submit the next bio (an EIO from a guard may come while
// the machine reboots, holding the lock Inject takes: it must not).
// OpenDevice from any thread but the engine's.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "fuse/live_machine.h"
#include "sim/base/status.h"
#include "sim/engine/bio.h"

namespace lvlab::fuse {

// The asynchronous form: `done` runs exactly once — on the engine thread
// with the bio's status, or with EIO wherever the dropped work is destroyed.
// `data` must stay valid until then.
void SubmitAsync(LiveMachine& machine, const std::string& dm, uint64_t boot, engine::Bio::Op op,
                 uint64_t sector, uint64_t nsectors, uint8_t* data, uint32_t flags,
                 std::function<void(Status)> done);

// An open file of the LV holds its device open, as an opener of a block
// device does (dm::Device::Open): lvs shows 'o' in lv_attr and LVM refuses
// to deactivate or remove it ("in use"). OpenDevice counts one opener on
// the engine thread and returns once it did; NotFound when the device is
// gone or belongs to an earlier boot. CloseDevice drops one, later, and
// does nothing for an earlier boot's device (a reboot forgot its openers).
Status OpenDevice(LiveMachine& machine, const std::string& dm, uint64_t boot);
void CloseDevice(LiveMachine& machine, const std::string& dm, uint64_t boot);

}  // namespace lvlab::fuse
