#include "sim/lvm/pv_format.h"

#include <cstring>

#include "sim/base/hash.h"

namespace lvlab::lvm {
namespace {

constexpr char kLabelId[] = "LABELONE";
constexpr char kLabelType[] = "LVM2 001";
constexpr char kLabMagic[] = "LVLABPV1";
constexpr uint32_t kLabelOffset = 32;  // pv_header follows the label header

void Put64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void Put32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
uint64_t Get64(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}
uint32_t Get32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint64_t AlignUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

}  // namespace

std::array<uint8_t, 512> EncodeLabel(const PvLabel& label) {
  std::array<uint8_t, 512> s{};
  uint8_t* p = s.data();
  std::memcpy(p, kLabelId, 8);
  Put64(p + 8, kLabelSector);
  Put32(p + 20, kLabelOffset);
  std::memcpy(p + 24, kLabelType, 8);
  uint8_t* h = p + kLabelOffset;
  std::memcpy(h, label.uuid.data(), std::min<size_t>(32, label.uuid.size()));
  Put64(h + 32, label.device_size_bytes);
  uint8_t* l = h + 40;
  Put64(l, label.pe_start_bytes);  // data area: offset, size 0 = to the end
  Put64(l + 8, 0);
  l += 32;  // and its {0,0} terminator
  if (label.has_mda()) {
    Put64(l, label.mda_offset_bytes);
    Put64(l + 8, label.mda_size_bytes);
    l += 16;
  }
  l += 16;          // the metadata area list's {0,0} terminator
  Put32(l, 2);      // pv_header_extension version
  Put32(l + 4, 0);  // flags
  // bootloader area list: only the {0,0} terminator.
  Put32(p + 16, LvmCrc32(kLvmInitialCrc, p + 20, 512 - 20));
  return s;
}

Result<PvLabel> DecodeLabel(const uint8_t* p) {
  if (std::memcmp(p, kLabelId, 8) != 0) return Corrupt("no LVM2 label (LABELONE) in sector 1");
  if (std::memcmp(p + 24, kLabelType, 8) != 0) return Corrupt("label type is not \"LVM2 001\"");
  if (Get32(p + 16) != LvmCrc32(kLvmInitialCrc, p + 20, 512 - 20)) {
    return Corrupt("LVM2 label checksum mismatch");
  }
  uint32_t off = Get32(p + 20);
  if (off < 32 || off > 512 - 104) return Corrupt("LVM2 label has a bad pv_header offset");
  const uint8_t* h = p + off;
  PvLabel label;
  label.uuid.assign(reinterpret_cast<const char*>(h), 32);
  label.device_size_bytes = Get64(h + 32);
  const uint8_t* l = h + 40;
  label.pe_start_bytes = Get64(l);
  l += 16;
  while (Get64(l) != 0 || Get64(l + 8) != 0) l += 16;  // further data areas
  l += 16;
  label.mda_offset_bytes = Get64(l);  // {0,0}: no metadata area
  label.mda_size_bytes = Get64(l + 8);
  if (label.has_mda() != (label.mda_offset_bytes != 0)) {
    return Corrupt("LVM2 label has a metadata area of size 0");
  }
  return label;
}

std::array<uint8_t, 512> EncodeLabBlock(uint32_t minor) {
  std::array<uint8_t, 512> s{};
  std::memcpy(s.data(), kLabMagic, 8);
  Put32(s.data() + 8, 1);  // version
  Put32(s.data() + 12, minor);
  Put32(s.data() + 16, LvmCrc32(kLvmInitialCrc, s.data(), 16));
  return s;
}

Result<uint32_t> DecodeLabBlock(const uint8_t* p) {
  if (std::memcmp(p, kLabMagic, 8) != 0) return Corrupt("no lab block (LVLABPV1) in sector 2");
  if (Get32(p + 16) != LvmCrc32(kLvmInitialCrc, p, 16)) return Corrupt("lab block checksum mismatch");
  return Get32(p + 12);
}

std::array<uint8_t, 512> EncodeMdaHeader(const MdaHeader& m) {
  std::array<uint8_t, 512> s{};
  uint8_t* p = s.data();
  std::memcpy(p + 4, kMdaMagic, 16);
  Put32(p + 20, 1);
  Put64(p + 24, m.start);
  Put64(p + 32, m.size);
  uint8_t* r = p + 40;
  for (const RawLocn* loc : {&m.committed, &m.precommitted}) {
    Put64(r, loc->offset);
    Put64(r + 8, loc->size);
    Put32(r + 16, loc->checksum);
    Put32(r + 20, loc->flags);
    r += 24;
  }
  Put32(p, LvmCrc32(kLvmInitialCrc, p + 4, 512 - 4));
  return s;
}

Result<MdaHeader> DecodeMdaHeader(const uint8_t* p) {
  if (std::memcmp(p + 4, kMdaMagic, 16) != 0) return Corrupt("metadata area header has a wrong magic");
  if (Get32(p) != LvmCrc32(kLvmInitialCrc, p + 4, 512 - 4)) {
    return Corrupt("metadata area header checksum mismatch");
  }
  if (Get32(p + 20) != 1) return Corrupt("metadata area header version is not 1");
  MdaHeader m;
  m.start = Get64(p + 24);
  m.size = Get64(p + 32);
  const uint8_t* r = p + 40;
  for (RawLocn* loc : {&m.committed, &m.precommitted}) {
    loc->offset = Get64(r);
    loc->size = Get64(r + 8);
    loc->checksum = Get32(r + 16);
    loc->flags = Get32(r + 20);
    r += 24;
  }
  return m;
}

std::string DashedUuid(const std::string& raw) {
  static const int kGroups[] = {6, 4, 4, 4, 4, 4, 6};
  std::string out;
  size_t pos = 0;
  for (int g : kGroups) {
    if (!out.empty()) out += '-';
    out += raw.substr(pos, g);
    pos += g;
  }
  return out;
}

std::string UndashedUuid(const std::string& dashed) {
  std::string out;
  for (char c : dashed) {
    if (c != '-') out += c;
  }
  return out;
}

Status MetadataArea::Format(const PvLabel& label, uint32_t minor) {
  auto l = EncodeLabel(label);
  auto b = EncodeLabBlock(minor);
  LVLAB_RETURN_IF_ERROR(disk_->Write(kLabelSector, 1, l.data(), false));
  LVLAB_RETURN_IF_ERROR(disk_->Write(kLabBlockSector, 1, b.data(), false));
  if (!label.has_mda()) return Status::Ok();
  MdaHeader h;
  h.start = label.mda_offset_bytes;
  h.size = label.mda_size_bytes;
  return WriteHeader(h);
}

Result<PvLabel> MetadataArea::ReadLabel() {
  uint8_t s[512];
  LVLAB_RETURN_IF_ERROR(disk_->Read(kLabelSector, 1, s));
  return DecodeLabel(s);
}

Result<uint32_t> MetadataArea::ReadMinor() {
  uint8_t s[512];
  LVLAB_RETURN_IF_ERROR(disk_->Read(kLabBlockSector, 1, s));
  return DecodeLabBlock(s);
}

Result<MdaHeader> MetadataArea::ReadHeader() {
  uint8_t s[512];
  LVLAB_ASSIGN_OR_RETURN(PvLabel label, ReadLabel());
  if (!label.has_mda()) {
    return FailedPrecondition("the PV has no metadata area (made with --metadatacopies 0)");
  }
  LVLAB_RETURN_IF_ERROR(disk_->Read(label.mda_offset_bytes / 512, 1, s));
  return DecodeMdaHeader(s);
}

Result<std::optional<std::string>> MetadataArea::ReadCommitted() {
  LVLAB_ASSIGN_OR_RETURN(PvLabel label, ReadLabel());
  if (!label.has_mda()) return std::optional<std::string>();
  LVLAB_ASSIGN_OR_RETURN(MdaHeader h, ReadHeader());
  const RawLocn& loc = h.committed;
  if (loc.empty()) return std::optional<std::string>();
  const uint64_t area = h.size - kMdaHeaderSize;
  if (loc.offset < kMdaHeaderSize || loc.offset >= h.size || loc.size == 0 || loc.size > area) {
    return Corrupt("metadata area slot 0 points outside the area");
  }
  // The copy may wrap to the start of the buffer (just after the header).
  std::string text(loc.size, '\0');
  const uint64_t first = std::min(loc.size, h.size - loc.offset);
  auto read_piece = [&](uint64_t at, char* dst, uint64_t n) -> Status {
    const uint64_t lo = (h.start + at) / 512 * 512;
    std::vector<uint8_t> buf(AlignUp(h.start + at + n, 512) - lo);
    LVLAB_RETURN_IF_ERROR(
        disk_->Read(lo / 512, static_cast<uint32_t>(buf.size() / 512), buf.data()));
    std::memcpy(dst, buf.data() + (h.start + at - lo), n);
    return Status::Ok();
  };
  LVLAB_RETURN_IF_ERROR(read_piece(loc.offset, text.data(), first));
  if (first < loc.size) {
    LVLAB_RETURN_IF_ERROR(read_piece(kMdaHeaderSize, text.data() + first, loc.size - first));
  }
  if (LvmCrc32(kLvmInitialCrc, text.data(), text.size()) != loc.checksum) {
    return Corrupt("metadata text checksum mismatch");
  }
  if (text.back() != '\0') return Corrupt("metadata text is not terminated");
  text.pop_back();
  return std::optional<std::string>(std::move(text));
}

MetadataArea::Prepared::Prepared(const std::string& text)
    : bytes(AlignUp(text.size() + 1, 512), 0), size(text.size() + 1) {
  std::memcpy(bytes.data(), text.data(), text.size());
  checksum = LvmCrc32(kLvmInitialCrc, bytes.data(), size);
}

Status MetadataArea::Precommit(const Prepared& text) {
  LVLAB_ASSIGN_OR_RETURN(MdaHeader h, ReadHeader());
  const uint64_t area = h.size - kMdaHeaderSize;
  const uint64_t size = text.size;
  // Two copies must fit, as in LVM: (size - 512) / 2 - 512.
  if (size > area / 2 - 512) {
    return NoSpace("metadata text of " + std::to_string(size) + " bytes exceeds the maximum of " +
                   std::to_string(area / 2 - 512) + " for a metadata area of " +
                   std::to_string(h.size) + " bytes; use PVs with a larger pe_start");
  }
  uint64_t offset = kMdaHeaderSize;
  if (!h.committed.empty()) {
    offset = AlignUp(h.committed.offset + h.committed.size, 512);
    if (offset >= h.size) offset = kMdaHeaderSize + (offset - h.size);
  }
  // Sector-aligned pieces: up to the end of the area, then the wrapped rest.
  const uint64_t first = std::min<uint64_t>(AlignUp(size, 512), h.size - offset);
  LVLAB_RETURN_IF_ERROR(disk_->Write((h.start + offset) / 512, static_cast<uint32_t>(first / 512),
                                     text.bytes.data(), !preflush_));
  if (first < size) {
    LVLAB_RETURN_IF_ERROR(disk_->Write((h.start + kMdaHeaderSize) / 512,
                                       static_cast<uint32_t>((text.bytes.size() - first) / 512),
                                       text.bytes.data() + first, !preflush_));
  }
  h.precommitted = RawLocn{offset, size, text.checksum, 0};
  return WriteHeader(h);
}

Status MetadataArea::Commit() {
  LVLAB_ASSIGN_OR_RETURN(MdaHeader h, ReadHeader());
  LVLAB_CHECK(!h.precommitted.empty()) << "Commit without Precommit";
  h.committed = h.precommitted;
  h.precommitted = RawLocn{};
  return WriteHeader(h);
}

Status MetadataArea::Revert() {
  LVLAB_ASSIGN_OR_RETURN(MdaHeader h, ReadHeader());
  h.precommitted = RawLocn{};
  return WriteHeader(h);
}

Status MetadataArea::Wipe() {
  LVLAB_ASSIGN_OR_RETURN(MdaHeader h, ReadHeader());
  h.committed = RawLocn{};
  h.precommitted = RawLocn{};
  return WriteHeader(h);
}

Status MetadataArea::WriteHeader(const MdaHeader& h) {
  auto s = EncodeMdaHeader(h);
  // PREFLUSH: the text written before must be durable before the header
  // points at it; FUA: the header itself is durable when this returns.
  // Without preflush (bug finish-before-flush) the text went out FUA and
  // nothing else on the drive is made durable.
  if (preflush_) LVLAB_RETURN_IF_ERROR(disk_->Flush());
  return disk_->Write(h.start / 512, 1, s.data(), true);
}

}  // namespace lvlab::lvm
