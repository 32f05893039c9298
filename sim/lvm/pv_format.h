// The on-disk format of a lab PV: LVM2's label and metadata area, plus one
// lab sector. docs/pv-format.md describes every byte; keep them in step.
//
//   sector 1      LVM2 label: "LABELONE", crc, "LVM2 001", pv_header
//                 (PV UUID, device size, data area list, metadata area list)
//   sector 2      lab block: "LVLABPV1", the PV's loop-style minor (7:N)
//   byte 4096     mda_header: checksum, magic " LVM2 x[5A%r0N*>", version 1,
//                 start, size, raw_locn slots (0 = committed, 1 = precommitted)
//   4096 + 512    metadata text in a circular buffer, NUL-terminated copies
//                 aligned to 512 bytes
//   pe_start      the data area (default 1 MiB)
//
// Encoding and decoding are pure functions over byte buffers; MetadataArea
// does the reads and writes on a store::Disk. Single-threaded.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "sim/base/status.h"
#include "sim/store/disk.h"

namespace lvlab::lvm {

inline constexpr uint64_t kLabelSector = 1;
inline constexpr uint64_t kLabBlockSector = 2;
inline constexpr uint64_t kMdaOffsetBytes = 4096;
inline constexpr uint64_t kMdaHeaderSize = 512;
inline constexpr uint64_t kDefaultPeStartBytes = 1 << 20;
inline constexpr char kMdaMagic[] = " LVM2 x[5A%r0N*>";

struct PvLabel {
  std::string uuid;  // 32 characters, no dashes
  uint64_t device_size_bytes = 0;
  uint64_t pe_start_bytes = kDefaultPeStartBytes;  // data area offset
  // The metadata area; both 0 for a PV made with --metadatacopies 0, whose
  // label lists no metadata area and which never carries VG metadata.
  uint64_t mda_offset_bytes = kMdaOffsetBytes;
  uint64_t mda_size_bytes = kDefaultPeStartBytes - kMdaOffsetBytes;
  bool has_mda() const { return mda_size_bytes != 0; }
};

struct RawLocn {
  uint64_t offset = 0;  // from the start of the metadata area
  uint64_t size = 0;    // bytes of text including the terminating NUL
  uint32_t checksum = 0;
  uint32_t flags = 0;
  bool empty() const { return offset == 0 && size == 0; }
};

struct MdaHeader {
  uint64_t start = kMdaOffsetBytes;  // absolute byte offset of the area
  uint64_t size = 0;                 // bytes, header included
  RawLocn committed;                 // slot 0
  RawLocn precommitted;              // slot 1
};

// 512-byte sectors.
std::array<uint8_t, 512> EncodeLabel(const PvLabel& label);
Result<PvLabel> DecodeLabel(const uint8_t* sector);
std::array<uint8_t, 512> EncodeLabBlock(uint32_t minor);
Result<uint32_t> DecodeLabBlock(const uint8_t* sector);
std::array<uint8_t, 512> EncodeMdaHeader(const MdaHeader& header);
Result<MdaHeader> DecodeMdaHeader(const uint8_t* sector);

// PV UUIDs: 32 characters of LVM's alphabet, shown dashed 6-4-4-4-4-4-6.
std::string DashedUuid(const std::string& raw32);
std::string UndashedUuid(const std::string& dashed);

// The metadata area of one PV, read and written through its Disk. Writes are
// ordered as LVM's: text into free space of the circular buffer, then the
// header with slot 1 (precommit, PREFLUSH|FUA), then the header with slot 0
// = new and slot 1 cleared (commit, PREFLUSH|FUA). Reads use slot 0 only, so
// text that was never committed is invisible after a crash.
class MetadataArea {
 public:
  // `preflush` false: headers go out FUA-only, without flushing earlier
  // writes first (only for the finish-before-flush bug, bugs.h).
  explicit MetadataArea(store::Disk* disk, bool preflush = true)
      : disk_(disk), preflush_(preflush) {}

  // Writes a fresh label, lab block and empty mda header (no header for a
  // label without a metadata area).
  Status Format(const PvLabel& label, uint32_t minor);
  Result<PvLabel> ReadLabel();
  Result<uint32_t> ReadMinor();
  Result<MdaHeader> ReadHeader();
  // The committed text (without its NUL), or nullopt for an orphan PV and
  // for a PV without a metadata area. The other calls below need one.
  Result<std::optional<std::string>> ReadCommitted();
  // Metadata text as it is written: NUL-terminated, padded to whole
  // sectors, with its checksum; prepared once for every PV of a VG.
  struct Prepared {
    explicit Prepared(const std::string& text);
    std::vector<uint8_t> bytes;  // text, NUL, zero padding
    uint64_t size = 0;           // text + NUL
    uint32_t checksum = 0;
  };
  // Puts the text in the buffer and points slot 1 at it.
  Status Precommit(const Prepared& text);
  Status Precommit(const std::string& text) { return Precommit(Prepared(text)); }
  // Slot 0 := slot 1; slot 1 cleared. REQUIRES: a Precommit before.
  Status Commit();
  // Clears slot 1 (an abandoned precommit).
  Status Revert();
  // Clears both slots: the PV becomes an orphan.
  Status Wipe();

 private:
  Status WriteHeader(const MdaHeader& h);

  store::Disk* disk_;
  bool preflush_ = true;
};

}  // namespace lvlab::lvm
