// A Lab: the PVs of one lab as Disks, and LVM's metadata on them.
//
// Opening a lab scans every image: label, lab block (the 7:N minor) and the
// committed metadata text of its metadata area. ReadVg picks, among the PVs
// that carry a VG, the copy with the highest seqno, as LVM's vg_read does,
// and reports older copies as inconsistent; the next WriteVg rewrites every
// PV of the VG, which repairs them. WriteVg is LVM's vg_write + vg_commit:
// seqno + 1, precommit on every PV, then commit on every PV.
//
// A Lab owns its Disks. It is single-threaded; the CLI serialises processes
// with a lock file outside this class.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sim/base/rng.h"
#include "sim/base/status.h"
#include "sim/lvm/bugs.h"
#include "sim/lvm/image_store.h"
#include "sim/lvm/lvm_config.h"
#include "sim/lvm/metadata.h"
#include "sim/lvm/pv_format.h"
#include "sim/store/disk.h"

namespace lvlab::lvm {

struct LabPv {
  std::string name;
  std::unique_ptr<store::Disk> disk;
  Status state;  // OK, or why the PV cannot be used (reported by name)
  PvLabel label;
  uint32_t minor = 0;
  std::optional<std::string> text;  // committed metadata text, if any
  // The VG the committed text belongs to; for a PV without a metadata area
  // (--metadatacopies 0), the VG whose newest metadata lists its UUID.
  std::string vg_name;
  uint64_t seqno = 0;  // of `text`; 0 without one
};

struct LabOptions {
  store::DiskOptions disk;
  std::shared_ptr<store::PowerDomain> power;  // shared by every Disk; may be null
  uint64_t id_seed = 1;          // IDs (PV, VG, LV UUIDs) derive from it
  std::string host = "lvlab";    // creation_host
  std::function<int64_t()> now_seconds = [] { return int64_t{0}; };
  // Called with every committed version (file form), for LAB/archive/.
  std::function<void(const VolumeGroup&, const std::string& text)> archive;
  std::string command_line;  // for descriptions: "Write from <cmd>."
  // The hardware faults of each drive (LAB/faults, or a Machine's memory),
  // set before its label is read, except `failed`, set right after: a
  // failed drive's PV is known (as from a cached scan) but every I/O fails.
  std::function<store::DiskFaults(const std::string& pv)> faults;
  // A drive's timing when it differs from disk.model (a Machine's per-PV
  // models); nullopt keeps disk.model.
  std::function<std::optional<store::DiskModel>(const std::string& pv)> model_for;
  Bugs bugs;                 // the catalogue's switches (bugs.h); all off by default
  // lvm.conf (LAB/lvm.conf, a scenario's `lab: config:`, --config): the
  // fault policies of dmeventd and lvconvert --repair --use-policies.
  LvmConfig config;
};

struct VgRead {
  VolumeGroup vg;
  std::vector<std::string> warnings;   // LVM's "WARNING: ..." lines
  std::vector<std::string> missing;    // PV keys with no usable PV
  std::map<std::string, LabPv*> members;  // PV key -> lab PV
};

class Lab {
 public:
  static Result<std::unique_ptr<Lab>> Open(std::unique_ptr<ImageStore> images, LabOptions options);
  ~Lab();

  const LabOptions& options() const { return options_; }
  LabOptions& mutable_options() { return options_; }
  ImageStore& images() { return *images_; }

  // Every PV, sorted by name (unusable ones too: check `state`).
  std::vector<LabPv*> pvs();
  LabPv* FindPv(const std::string& name);
  LabPv* FindPvByUuid(const std::string& uuid32);
  // The lab PV that a VG's PV entry refers to (by id), or null.
  LabPv* PvFor(const PhysicalVolume& pv);

  // pvcreate: a sparse image with label, lab block and an empty metadata
  // area (none with metadata_copies 0). `uuid32` empty = a new random UUID.
  Status CreatePv(const std::string& name, uint64_t size_bytes, uint64_t pe_start_bytes,
                  const std::string& uuid32 = "", uint32_t metadata_copies = 1);
  // pvremove: the image is deleted. REQUIRES: the PV is in no VG.
  Status RemovePv(const std::string& name);

  // VG names found on PVs, sorted.
  std::vector<std::string> VgNames() const;
  Result<VgRead> ReadVg(const std::string& name);
  // ReadVg's VG without a copy, warnings or members, for callers that only
  // look: valid until the next read or commit of any VG on this thread.
  Result<const VolumeGroup*> PeekVg(const std::string& name);
  // Commits `vg` (seqno + 1) to every PV of the VG that has a metadata area
  // (PVs without one only follow the VG by UUID). On failure the VG keeps its
  // old committed version and seqno.
  Status WriteVg(VolumeGroup& vg);
  // The two halves of WriteVg, as LVM's lv_update_and_reload uses them
  // around a suspend: VgWrite precommits `vg` (seqno + 1) on every PV;
  // Precommitted() is that version (LVM's vg_precommitted, from which new
  // tables are preloaded); VgCommit commits it and updates `vg`; VgRevert
  // drops it. A crash in between leaves the old version.
  Status VgWrite(const VolumeGroup& vg);
  const VolumeGroup* Precommitted(const std::string& vg) const;
  Status VgCommit(VolumeGroup& vg);
  void VgRevert(const std::string& vg);
  // Bug finish-before-flush (bugs.h): metadata writes go out FUA-only,
  // without the preflush that makes earlier data on the PV durable first.
  void set_metadata_preflush(bool on) { metadata_preflush_ = on; }
  // Makes the PVs orphans (their metadata areas emptied).
  Status WipePvs(const std::vector<LabPv*>& pvs);

  // A fresh LVM-style ID (dashed), from the lab's ID stream.
  std::string NewId();
  // The next unused minor for a PV (loop-style 7:N).
  uint32_t NextMinor() const;
  TextHeader MakeHeader(const std::string& description) const;

 private:
  Lab(std::unique_ptr<ImageStore> images, LabOptions options);
  Status Scan();
  void LoadPv(const std::string& name);
  // Sets vg_name of the PVs without a metadata area from the newest copy of
  // each VG's metadata, as LVM learns them from the PVs that have one.
  void FindVgsOfMdaLessPvs();
  // The PV whose metadata copy of VG `name` a read takes, or null.
  LabPv* BestCopy(const std::string& name);

  std::unique_ptr<ImageStore> images_;
  LabOptions options_;
  Rng ids_;
  std::vector<std::unique_ptr<LabPv>> pvs_;  // sorted by name
  struct Pending {
    VolumeGroup vg;
    std::string text;
    std::vector<LabPv*> members;
  };
  std::map<std::string, Pending> pending_;  // by VG name
  bool metadata_preflush_ = true;
};

}  // namespace lvlab::lvm
