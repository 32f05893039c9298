// Bio: one block I/O request travelling down the device stack.
//
// A Bio carries an op, a sector range (512-byte sectors), flags and one
// completion. Read and write bios point at a caller-owned buffer of
// nsectors * 512 bytes that must stay valid until `done` runs; flush and
// discard bios carry no data. An empty flush is {kFlush, sector 0,
// nsectors 0}. kPreflush on a data bio asks for a cache flush of everything
// completed before it, then the data; kFua asks that the data be durable
// before completion (reference/device-mapper-targets.md section 7).
//
// Zero-copy (dm::Copier to dm::DiskDevice only): a read or write bio may
// carry a `source` and no data. The read then leaves its data on the disk,
// pinned in the source; a write with the same source writes that data (see
// dm/disk_device.h). Other layers never see such bios.
//
// Every layer completes a bio exactly once by calling `done`, always from a
// scheduler event (never inline inside Submit). Bios are values: move them
// down the stack; not thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "sim/base/status.h"
#include "sim/base/units.h"

namespace lvlab::engine {

// What a data-less bio reads into or writes from; defined by the layer that
// uses it.
struct BioSource {
  virtual ~BioSource() = default;
};

struct Bio {
  enum class Op { kRead, kWrite, kFlush, kDiscard };
  static constexpr uint32_t kPreflush = 1;
  static constexpr uint32_t kFua = 2;

  Bio() = default;
  Bio(Op op_, uint64_t sector_, uint64_t nsectors_, uint32_t flags_, uint8_t* data_,
      std::function<void(Status)> done_)
      : op(op_),
        sector(sector_),
        nsectors(nsectors_),
        flags(flags_),
        data(data_),
        done(std::move(done_)) {}

  Op op = Op::kRead;
  uint64_t sector = 0;
  uint64_t nsectors = 0;
  uint32_t flags = 0;
  uint8_t* data = nullptr;  // caller-owned, nsectors * 512 bytes for read/write
  std::function<void(Status)> done;
  std::shared_ptr<BioSource> source;  // with data == nullptr: see the top of this file

  uint64_t bytes() const { return nsectors * kSectorSize; }
  uint64_t end_sector() const { return sector + nsectors; }
  bool is_write() const { return op == Op::kWrite || op == Op::kDiscard; }
  bool has_data() const { return op == Op::kRead || op == Op::kWrite; }
  // True for an empty flush and for a data bio carrying kPreflush.
  bool wants_flush() const { return op == Op::kFlush || (flags & kPreflush) != 0; }
};

// "read", "write", "flush", "discard".
std::string_view OpName(Bio::Op op);
// "", "PREFLUSH", "FUA" or "PREFLUSH|FUA"; unknown bits as "0x..".
std::string FlagsString(uint32_t flags);
// A one-line description for logs and traces: "write 2048+8 FUA".
std::string Describe(const Bio& bio);

}  // namespace lvlab::engine
