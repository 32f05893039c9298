// Reports for pvs, vgs and lvs, in LVM2's own formats.
//
// Report() turns plain data the caller gathers (the VGs, every PV of the lab,
// and the kernel state of each LV) into what LVM2's pvs/vgs/lvs print: aligned
// columns under headings, or `--reportformat json`. Field names (with LVM's
// prefix-less aliases such as `size` for lv_size in lvs), headings, minimum
// widths, alignment, attribute strings, size units and row order follow LVM2
// (lib/report/columns.h, report.c, libdm-report.c):
//   - every text line starts with two spaces, columns are separated by one
//     space and padded to max(minimum width, heading, values); sizes and
//     numbers are right-aligned, strings and percentages left-aligned, and
//     headings always left-aligned;
//   - asking for segment fields (devices, seg_pe_ranges, segtype...) in lvs
//     gives one row per segment, and LV fields in pvs one row per PV segment,
//     exactly as LVM switches report type;
//   - a size of zero is "0" plus the unit's suffix ("0 " with human units).
// Pure functions of their input: no I/O, deterministic, thread-compatible.
// The input pointers are borrowed for the duration of the call.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sim/base/status.h"
#include "sim/lvm/metadata.h"
#include "sim/store/disk.h"

namespace lvlab::lvm {

struct ReportPv {
  std::string name;                      // lab PV name shown as pv_name, e.g. "pv1"
  std::string vg_name;                   // empty if orphan
  const PhysicalVolume* meta = nullptr;  // null for an orphan PV
  uint64_t dev_size_sectors = 0;
  uint64_t pe_start_sectors = 0;
  std::string devno;  // "7:1"
  bool missing = false;
  uint32_t mda_count = 0;  // metadata areas on the device (0 or 1)
  // The PV drive's I/O counters since the machine's last boot (the fields
  // io_reads, io_writes, io_flushes, io_discards, io_bytes_read,
  // io_bytes_written); unset where no machine keeps its drives between
  // commands, and then those fields are refused.
  std::optional<store::DiskStats> io = std::nullopt;
};

struct ReportLvState {
  bool active = false;
  bool suspended = false;
  bool open = false;
  std::optional<double> copy_percent;  // mirror/pvmove sync, 0..100
  std::string dm_name;
  std::string devno;  // "254:3" while active
  std::optional<double> snap_percent;  // a snapshot's COW usage (data_percent), 0..100
  bool snapshot_invalid = false;       // its status reads "Invalid"
};

struct ReportInput {
  std::vector<const VolumeGroup*> vgs;  // in name order
  std::vector<ReportPv> pvs;            // every PV of the lab, in name order
  // Kernel state of an LV; when unset every LV is reported inactive.
  std::function<ReportLvState(const VolumeGroup&, const LogicalVolume&)> lv_state;
};

enum class ReportKind { kPvs, kVgs, kLvs };

struct ReportOptions {
  // -o entries, each a comma-separated list. Empty = default columns. An
  // entry starting with '+' appends to the current list (the defaults at
  // first), '-' removes fields from it, anything else replaces it.
  std::vector<std::string> fields;
  bool all = false;       // -a: hidden LVs too, shown as [name]
  bool segments = false;  // --segments
  char units = 'h';       // --units: h H b B s S k K m M g G t T p P e E (r R = h H)
  bool suffix = true;     // false = --nosuffix (ignored for h/H, as in LVM)
  bool json = false;      // --reportformat json
  bool headings = true;   // false = --noheadings
  // Positional arguments: VG names (vgs), VG or VG/LV names (lvs), PV names
  // (pvs). Empty = everything.
  std::vector<std::string> select_names;
};

// The report text, ending in a newline (empty when there are no rows in text
// mode). Errors: InvalidArgument for an unknown field (with did-you-mean
// suggestions or the list of valid names), fields that cannot be combined,
// or bad units; NotFound for a positional name that does not exist, worded
// as LVM does.
Result<std::string> Report(ReportKind kind, const ReportInput& in, const ReportOptions& opts);

// The PV drive counters pvs reports (io_reads, io_writes, io_flushes,
// io_discards, io_bytes_read, io_bytes_written: the drive's I/O since the
// machine's last boot), and the value of one of them.
bool IsDriveCounter(std::string_view field);
Result<uint64_t> DriveCounter(const store::DiskStats& stats, std::string_view field);

// LVM's 10-character lv_attr string (lvs(8)) for `lv` of `vg` in `state`.
std::string LvAttr(const VolumeGroup& vg, const LogicalVolume& lv, const ReportLvState& state);

// A size as LVM's reports print it for --units `unit` and --[no]suffix:
// "40.00m", "<1.02g", "41943040B", "0 ".
std::string ReportSize(uint64_t bytes, char unit, bool suffix);

}  // namespace lvlab::lvm
