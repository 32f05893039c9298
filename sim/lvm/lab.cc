#include "sim/lvm/lab.h"

#include <algorithm>
#include <optional>

#include "sim/lvm/vg_text.h"

namespace lvlab::lvm {
namespace {

// Whether `dashed` is `undashed` with dashes in it (UndashedUuid(dashed) ==
// undashed, without building the string).
bool SameUuid(const std::string& undashed, const std::string& dashed) {
  size_t i = 0;
  for (char c : dashed) {
    if (c == '-') continue;
    if (i == undashed.size() || undashed[i++] != c) return false;
  }
  return i == undashed.size();
}

// The name and seqno of the VG in on-disk metadata text ("vg0 {\nid = ...\n
// seqno = 7"), read without parsing the whole text; a full parse when the
// text is not in that shape.
Result<std::pair<std::string, uint64_t>> VgSummary(const std::string& text) {
  size_t brace = text.find('{');
  const size_t seq = text.find("\nseqno = ");
  const size_t nested = brace == std::string::npos ? brace : text.find('{', brace + 1);
  if (brace != std::string::npos && seq != std::string::npos && seq < nested) {
    std::string name = text.substr(0, brace);
    while (!name.empty() && (name.back() == ' ' || name.back() == '\t')) name.pop_back();
    uint64_t seqno = 0;
    size_t i = seq + 9;
    bool digits = false;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i) {
      seqno = seqno * 10 + static_cast<uint64_t>(text[i] - '0');
      digits = true;
    }
    const bool plain = !name.empty() && name.find_first_of(" \t\n#\"=") == std::string::npos;
    if (digits && plain) return std::make_pair(name, seqno);
  }
  LVLAB_ASSIGN_OR_RETURN(ParsedVg parsed, ParseVgText(text));
  return std::make_pair(parsed.vg.name, parsed.vg.seqno);
}

}  // namespace

Lab::Lab(std::unique_ptr<ImageStore> images, LabOptions options)
    : images_(std::move(images)), options_(std::move(options)), ids_(options_.id_seed) {}

Lab::~Lab() = default;

Result<std::unique_ptr<Lab>> Lab::Open(std::unique_ptr<ImageStore> images, LabOptions options) {
  std::unique_ptr<Lab> lab(new Lab(std::move(images), std::move(options)));
  LVLAB_RETURN_IF_ERROR(lab->Scan());
  return lab;
}

Status Lab::Scan() {
  pvs_.clear();
  for (const std::string& name : images_->List()) LoadPv(name);
  FindVgsOfMdaLessPvs();
  return Status::Ok();
}

void Lab::FindVgsOfMdaLessPvs() {
  std::map<std::string, const LabPv*> newest;  // VG name -> PV with its newest text
  for (const auto& p : pvs_) {
    if (!p->text) continue;
    const LabPv*& best = newest[p->vg_name];
    if (!best || p->seqno > best->seqno) best = p.get();
  }
  for (auto& p : pvs_) {
    if (!p->state.ok() || p->label.has_mda()) continue;
    p->vg_name.clear();
    const std::string id = "id = \"" + DashedUuid(p->label.uuid) + "\"";
    for (const auto& [vg, holder] : newest) {
      if (holder->text->find(id) != std::string::npos) p->vg_name = vg;
    }
  }
}

void Lab::LoadPv(const std::string& name) {
  auto pv = std::make_unique<LabPv>();
  pv->name = name;
  auto image = images_->Open(name);
  if (!image.ok()) {
    pv->state = image.status().WithContext(name);
    pvs_.push_back(std::move(pv));
    return;
  }
  store::DiskOptions disk = options_.disk;
  if (options_.model_for) {
    if (std::optional<store::DiskModel> m = options_.model_for(name)) disk.model = *m;
  }
  pv->disk = std::make_unique<store::Disk>(name, std::move(image).value(), disk);
  if (options_.power) pv->disk->set_power(options_.power);
  // The drive's faults, except `failed`, which is set once the label has
  // been read: the PV is known at boot and every I/O to it fails after.
  store::DiskFaults faults = options_.faults ? options_.faults(name) : store::DiskFaults{};
  const bool failed = faults.failed;
  faults.failed = false;
  if (faults.any()) pv->disk->faults() = faults;
  struct FailAfterScan {
    store::Disk* disk;
    bool failed;
    ~FailAfterScan() {
      if (failed) disk->SetFailed(true);
    }
  } fail_after_scan{pv->disk.get(), failed};
  MetadataArea mda(pv->disk.get());
  auto fail = [&](const Status& s) {
    pv->state = Corrupt(name + " (" + images_->Describe(name) + "): " + s.message() +
                        "; the image is damaged or not a lab PV. Remove it or recreate it "
                        "with pvcreate");
  };
  auto label = mda.ReadLabel();
  if (!label.ok()) return fail(label.status()), pvs_.push_back(std::move(pv));
  pv->label = *label;
  if (pv->label.device_size_bytes > pv->disk->size_sectors() * 512) {
    fail(Corrupt("image is " + std::to_string(pv->disk->size_sectors() * 512) +
                 " bytes but its label records " + std::to_string(pv->label.device_size_bytes) +
                 " (truncated)"));
    pvs_.push_back(std::move(pv));
    return;
  }
  auto minor = mda.ReadMinor();
  if (!minor.ok()) return fail(minor.status()), pvs_.push_back(std::move(pv));
  pv->minor = *minor;
  auto text = mda.ReadCommitted();
  if (!text.ok()) return fail(text.status()), pvs_.push_back(std::move(pv));
  pv->text = *text;
  if (pv->text) {
    // Only the VG's name and seqno now: the text is parsed once, by ReadVg.
    auto summary = VgSummary(*pv->text);
    if (!summary.ok()) return fail(summary.status()), pvs_.push_back(std::move(pv));
    pv->vg_name = summary->first;
    pv->seqno = summary->second;
  }
  pvs_.push_back(std::move(pv));
}

std::vector<LabPv*> Lab::pvs() {
  std::vector<LabPv*> out;
  for (auto& p : pvs_) out.push_back(p.get());
  return out;
}

LabPv* Lab::FindPv(const std::string& name) {
  for (auto& p : pvs_) {
    if (p->name == name) return p.get();
  }
  return nullptr;
}

LabPv* Lab::FindPvByUuid(const std::string& uuid32) {
  for (auto& p : pvs_) {
    if (p->state.ok() && p->label.uuid == uuid32) return p.get();
  }
  return nullptr;
}

LabPv* Lab::PvFor(const PhysicalVolume& pv) {
  for (auto& p : pvs_) {
    if (p->state.ok() && SameUuid(p->label.uuid, pv.id)) return p.get();
  }
  return nullptr;
}

uint32_t Lab::NextMinor() const {
  uint32_t m = 0;
  while (std::any_of(pvs_.begin(), pvs_.end(),
                     [&](const auto& p) { return p->state.ok() && p->minor == m; })) {
    ++m;
  }
  return m;
}

std::string Lab::NewId() {
  static const char kAlphabet[] =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#";
  char raw[32];
  for (char& c : raw) c = kAlphabet[ids_.Uniform(62)];
  return FormatLvmId(raw);
}

Status Lab::CreatePv(const std::string& name, uint64_t size_bytes, uint64_t pe_start_bytes,
                     const std::string& uuid32, uint32_t metadata_copies) {
  LVLAB_RETURN_IF_ERROR(CheckPvName(name));
  if (metadata_copies > 1) {
    return InvalidArgument("PV " + name + ": --metadatacopies " + std::to_string(metadata_copies) +
                           " is not supported by the lab (a second metadata area at the end "
                           "of the device is not built); use 0 or 1");
  }
  if (FindPv(name)) {
    return AlreadyExists("PV " + name + " already exists (" + images_->Describe(name) +
                         "); choose another name or pvremove it first");
  }
  if (pe_start_bytes % 512 || pe_start_bytes < 2 * kMdaOffsetBytes) {
    return InvalidArgument("pe_start of " + std::to_string(pe_start_bytes) +
                           " bytes is too small or not sector aligned; use at least 8k");
  }
  if (size_bytes % 512 || size_bytes < pe_start_bytes + (1 << 20)) {
    return InvalidArgument("PV size " + std::to_string(size_bytes) +
                           " bytes is too small: it must be sector aligned and hold the "
                           "metadata area and at least 1 MiB of data; use e.g. --size 64M");
  }
  if (!uuid32.empty() && (uuid32.size() != 32 || FindPvByUuid(uuid32))) {
    return AlreadyExists("PV UUID " + DashedUuid(uuid32) + " is malformed or already in use");
  }
  const uint32_t minor = NextMinor();
  LVLAB_ASSIGN_OR_RETURN(auto image, images_->Create(name, size_bytes));
  store::Disk disk(name, std::move(image), options_.disk);  // label writes only
  PvLabel label;
  label.uuid = uuid32.empty() ? UndashedUuid(NewId()) : uuid32;
  label.device_size_bytes = size_bytes;
  label.pe_start_bytes = pe_start_bytes;
  label.mda_offset_bytes = metadata_copies ? kMdaOffsetBytes : 0;
  label.mda_size_bytes = metadata_copies ? pe_start_bytes - kMdaOffsetBytes : 0;
  Status st = MetadataArea(&disk).Format(label, minor);
  if (st.ok()) st = disk.Flush();
  if (!st.ok()) {
    (void)images_->Remove(name);
    return st.WithContext(name);
  }
  LoadPv(name);
  std::sort(pvs_.begin(), pvs_.end(),
            [](const auto& a, const auto& b) { return a->name < b->name; });
  return Status::Ok();
}

Status Lab::RemovePv(const std::string& name) {
  LabPv* pv = FindPv(name);
  if (!pv) return NotFound("Failed to find physical volume \"" + name + "\"");
  if (!pv->vg_name.empty()) {
    return Busy("PV " + name + " belongs to volume group " + pv->vg_name +
                "; remove it from the VG first (vgreduce or vgremove)");
  }
  pv->disk.reset();
  LVLAB_RETURN_IF_ERROR(images_->Remove(name));
  pvs_.erase(std::find_if(pvs_.begin(), pvs_.end(), [&](const auto& p) { return p.get() == pv; }));
  return Status::Ok();
}

std::vector<std::string> Lab::VgNames() const {
  std::vector<std::string> names;
  for (const auto& p : pvs_) {
    if (!p->vg_name.empty()) names.push_back(p->vg_name);
  }
  std::sort(names.begin(), names.end());
  names.erase(std::unique(names.begin(), names.end()), names.end());
  return names;
}

namespace {

// Parsing is most of a read, and the fuzzer reads the VG after every step:
// the last text parsed (per thread) and its VG, reused while the text is
// the same. Parsing is a pure function of the text. A commit leaves the
// text it wrote and the VG it exported from (which parses back to the same
// VG: VgWrite checks it in debug builds), so the read after a commit
// parses nothing.
struct LastParsed {
  std::string text;
  std::optional<VolumeGroup> vg;
};

LastParsed& Last() {
  thread_local LastParsed last;
  return last;
}

// The VG parsed from `text`, owned by Last().
Result<const VolumeGroup*> ParseVgTextCached(const std::string& text) {
  LastParsed& last = Last();
  if (last.vg && text == last.text) return &*last.vg;
  LVLAB_ASSIGN_OR_RETURN(ParsedVg parsed, ParseVgText(text));
  last.text = text;
  last.vg = std::move(parsed.vg);
  return &*last.vg;
}

}  // namespace

LabPv* Lab::BestCopy(const std::string& name) {
  LabPv* best = nullptr;
  for (auto& p : pvs_) {
    if (p->vg_name != name || !p->text) continue;
    // Bug stale-seqno-wins: the first PV's copy is taken as it is, as a
    // vg_read that trusted the first metadata area it parsed would.
    if (options_.bugs.lvm.stale_seqno_wins && best) continue;
    if (!best || p->seqno > best->seqno) best = p.get();
  }
  return best;
}

Result<const VolumeGroup*> Lab::PeekVg(const std::string& name) {
  LabPv* best = BestCopy(name);
  if (!best) return NotFound("Volume group \"" + name + "\" not found");
  return ParseVgTextCached(*best->text);
}

Result<VgRead> Lab::ReadVg(const std::string& name) {
  LabPv* best = BestCopy(name);
  if (!best) return NotFound("Volume group \"" + name + "\" not found");
  VgRead r;
  LVLAB_ASSIGN_OR_RETURN(const VolumeGroup* vg, ParseVgTextCached(*best->text));
  r.vg = *vg;
  bool inconsistent = false;
  for (auto& p : pvs_) {
    if (p->vg_name == name && p->text && p->seqno != best->seqno) {
      r.warnings.push_back("WARNING: Ignoring metadata seqno " + std::to_string(p->seqno) + " on " +
                           p->name + " for seqno " + std::to_string(best->seqno) + " on " +
                           best->name + " for VG " + name + ".");
      inconsistent = true;
    }
  }
  for (const PhysicalVolume& pv : r.vg.pvs) {
    LabPv* lp = PvFor(pv);
    if (!lp) {
      r.missing.push_back(pv.key);
      r.warnings.push_back("WARNING: Couldn't find device with uuid " + pv.id + ".");
      continue;
    }
    if (lp->vg_name != name && lp->label.has_mda()) {
      // A PV that lost its copy (wiped or never committed) still belongs by id.
      inconsistent = true;
      r.warnings.push_back("WARNING: PV " + lp->name + " has no metadata for VG " + name + ".");
    }
    r.members[pv.key] = lp;
  }
  if (inconsistent) {
    r.warnings.push_back("WARNING: Inconsistent metadata found for VG " + name + ".");
    r.warnings.push_back("See vgck --updatemetadata to correct inconsistency.");
  }
  return r;
}

TextHeader Lab::MakeHeader(const std::string& description) const {
  TextHeader h;
  h.description = description;
  h.creation_host = options_.host;
  h.creation_uname = "Linux " + options_.host + " lvlab";
  h.creation_time = options_.now_seconds();
  return h;
}

Status Lab::WriteVg(VolumeGroup& vg) {
  LVLAB_RETURN_IF_ERROR(VgWrite(vg));
  return VgCommit(vg);
}

Status Lab::VgWrite(const VolumeGroup& vg) {
  LVLAB_CHECK(!pending_.count(vg.name)) << "VgWrite twice without commit: " << vg.name;
  LVLAB_RETURN_IF_ERROR(ValidateVg(vg).WithContext("internal error: invalid metadata"));
  // A write of a VG older than one committed since it was read would undo
  // that commit (a lost update: a pvmove poller committing inside a command
  // that runs the scheduler between its read and its write). LVM's VG lock
  // makes the command wait instead; the lab refuses the write and writes
  // nothing. The bug stale-seqno-wins writes old copies on purpose.
  if (!options_.bugs.lvm.stale_seqno_wins) {
    uint64_t newest = 0;
    for (const auto& lp : pvs_) {
      if (lp->vg_name == vg.name && lp->text) newest = std::max(newest, lp->seqno);
    }
    if (vg.seqno < newest) {
      return Busy("VG " + vg.name + " changed while this command ran: it read metadata seqno " +
                  std::to_string(vg.seqno) + ", and seqno " + std::to_string(newest) +
                  " was committed since (by a pvmove poller or another command). Nothing "
                  "was written; run the command again.");
    }
  }
  Pending p;
  for (const PhysicalVolume& pv : vg.pvs) {
    // A PV the VG flags MISSING (lvconvert --repair wrote around it) is
    // not written, as LVM writes only the PVs it has.
    if (pv.Has(kMissing)) continue;
    LabPv* lp = PvFor(pv);
    if (!lp || !lp->state.ok() || (lp->disk && lp->disk->failed())) {
      return FailedPrecondition("Cannot change VG " + vg.name + " while PVs are missing.\n" +
                                "See vgreduce --removemissing and vgextend --restoremissing.");
    }
    if (lp->label.has_mda()) p.members.push_back(lp);
  }
  if (p.members.empty()) {
    // LVM's vg_write: "Aborting vg_write: No metadata areas to write to!"
    return FailedPrecondition("Aborting vg_write: No metadata areas to write to! VG " + vg.name +
                              " needs at least one PV made with a metadata area "
                              "(pvcreate --metadatacopies 1)");
  }
  p.vg = vg;
  PutVisibleLvsFirst(&p.vg);
  p.vg.seqno = vg.seqno + 1;
  p.text = FormatVgRaw(p.vg, MakeHeader("Write from " + options_.command_line + "."));
  // LVM parses what it exported back into vg_precommitted. The lab keeps the
  // VG it exported as the precommitted one, so the parse-back is only a
  // self-check of the codec: done in debug builds (the sanitizer CI run) and
  // by the codec's round-trip tests, not on every write of a release build,
  // where it would cost more than half of vg_write.
#ifndef NDEBUG
  auto check = ParseVgText(p.text);
  LVLAB_CHECK(check.ok() && check->vg == p.vg) << "metadata text does not read back: " << vg.name;
#endif
  const MetadataArea::Prepared prepared(p.text);
  for (size_t i = 0; i < p.members.size(); ++i) {
    Status st = MetadataArea(p.members[i]->disk.get(), metadata_preflush_).Precommit(prepared);
    if (!st.ok()) {
      for (size_t k = 0; k < i; ++k) (void)MetadataArea(p.members[k]->disk.get()).Revert();
      return st.WithContext("Failed to write VG " + vg.name + " metadata to " + p.members[i]->name);
    }
  }
  pending_[vg.name] = std::move(p);
  return Status::Ok();
}

const VolumeGroup* Lab::Precommitted(const std::string& vg) const {
  auto it = pending_.find(vg);
  return it == pending_.end() ? nullptr : &it->second.vg;
}

Status Lab::VgCommit(VolumeGroup& vg) {
  auto it = pending_.find(vg.name);
  LVLAB_CHECK(it != pending_.end()) << "VgCommit without VgWrite: " << vg.name;
  Pending p = std::move(it->second);
  pending_.erase(it);
  // vg_commit: succeeds if at least one PV committed.
  size_t committed = 0;
  Status last;
  for (LabPv* lp : p.members) {
    Status st = MetadataArea(lp->disk.get(), metadata_preflush_).Commit();
    if (st.ok()) {
      ++committed;
      lp->text = p.text;
      lp->vg_name = p.vg.name;
      lp->seqno = p.vg.seqno;
    } else {
      last = st.WithContext(lp->name);
    }
  }
  if (committed == 0) return last.WithContext("Failed to commit VG " + vg.name + " metadata");
  Last() = {p.text, p.vg};
  vg = std::move(p.vg);
  for (const PhysicalVolume& pv : vg.pvs) {
    LabPv* lp = PvFor(pv);
    if (lp && !lp->label.has_mda()) lp->vg_name = vg.name;
  }
  if (options_.archive) {
    options_.archive(vg, FormatVgFile(vg, MakeHeader("Created *after* executing '" +
                                                     options_.command_line + "'")));
  }
  return Status::Ok();
}

void Lab::VgRevert(const std::string& vg) {
  auto it = pending_.find(vg);
  if (it == pending_.end()) return;
  for (LabPv* lp : it->second.members) (void)MetadataArea(lp->disk.get()).Revert();
  pending_.erase(it);
}

Status Lab::WipePvs(const std::vector<LabPv*>& pvs) {
  for (LabPv* lp : pvs) {
    if (lp->label.has_mda()) {
      LVLAB_RETURN_IF_ERROR(MetadataArea(lp->disk.get()).Wipe().WithContext(lp->name));
    }
    lp->text.reset();
    lp->vg_name.clear();
    lp->seqno = 0;
  }
  return Status::Ok();
}

}  // namespace lvlab::lvm
