// fault: the hardware faults of a PV's drive (sim/store/disk_faults.h),
// kept in LAB/faults/PV so that every later command, a restarted daemon
// and a reboot find the drive as it was left.
#include <iostream>

#include "sim/base/units.h"
#include "tools/cli.h"

namespace lvlab::tools {
namespace {

struct FaultArgs {
  std::string pv;
  bool fail = false;
  bool restore = false;
  std::string delay_read, delay_write;
  std::string errors, op, lose_writes, corrupt, flakey, mode;
  int64_t count = -1;
};

Result<uint64_t> Duration(const std::string& option, const std::string& text) {
  Result<uint64_t> ns = ParseDurationNs(text);
  if (!ns.ok())
    return InvalidArgument("Invalid argument for " + option + ": " + ns.status().message());
  return ns;
}

// The options as one FaultChange; a bad value fails before the lab opens.
Result<store::FaultChange> ToChange(const FaultArgs& a) {
  store::FaultChange c;
  c.restore = a.restore;
  if (a.fail) c.failed = true;
  if (!a.delay_read.empty() || !a.delay_write.empty()) {
    uint64_t r = 0, w = 0;
    if (!a.delay_read.empty()) {
      LVLAB_ASSIGN_OR_RETURN(r, Duration("--delay-read", a.delay_read));
    }
    if (!a.delay_write.empty()) {
      LVLAB_ASSIGN_OR_RETURN(w, Duration("--delay-write", a.delay_write));
    }
    c.delay_ns = std::pair<uint64_t, uint64_t>{r, w};
  }
  store::FaultOp op = store::FaultOp::kAny;
  if (!a.op.empty()) {
    LVLAB_ASSIGN_OR_RETURN(op, store::ParseFaultOp(a.op));
  }
  if (!a.errors.empty()) {
    store::ErrorFault e;
    LVLAB_ASSIGN_OR_RETURN(e.where, store::SectorRanges::Parse(a.errors));
    e.op = op;
    e.count = a.count;
    c.errors.push_back(e);
  }
  if (!a.lose_writes.empty()) {
    LVLAB_ASSIGN_OR_RETURN(store::SectorRanges r, store::SectorRanges::Parse(a.lose_writes));
    c.lose_writes = r;
  }
  if (!a.corrupt.empty()) {  // BYTE=VALUE[@SECTORS]
    store::CorruptFault f;
    f.op = a.op.empty() ? store::FaultOp::kRead : op;
    if (f.op == store::FaultOp::kAny) return InvalidArgument("--corrupt takes --op read or write");
    const size_t eq = a.corrupt.find('=');
    const size_t at = a.corrupt.find('@');
    if (eq == std::string::npos) {
      return InvalidArgument("--corrupt wants BYTE=VALUE[@SECTORS], e.g. 1=0@0-2047");
    }
    LVLAB_ASSIGN_OR_RETURN(store::SectorRanges one,
                           store::SectorRanges::Parse(a.corrupt.substr(0, eq)));
    const std::string value = a.corrupt.substr(eq + 1, at == std::string::npos ? at : at - eq - 1);
    LVLAB_ASSIGN_OR_RETURN(store::SectorRanges v, store::SectorRanges::Parse(value));
    if (one.ranges.size() != 1 || v.ranges.size() != 1 || one.ranges[0].first == 0 ||
        v.ranges[0].first > 255) {
      return InvalidArgument("--corrupt " + a.corrupt + ": BYTE counts from 1, VALUE is 0 to 255");
    }
    f.byte = static_cast<uint32_t>(one.ranges[0].first);
    f.value = static_cast<uint8_t>(v.ranges[0].first);
    if (at != std::string::npos) {
      LVLAB_ASSIGN_OR_RETURN(f.where, store::SectorRanges::Parse(a.corrupt.substr(at + 1)));
    }
    c.corrupt.push_back(f);
  }
  if (!a.flakey.empty()) {  // UP:DOWN
    const size_t colon = a.flakey.find(':');
    if (colon == std::string::npos) return InvalidArgument("--flakey wants UP:DOWN, e.g. 2s:500ms");
    store::FlakeyFault f;
    LVLAB_ASSIGN_OR_RETURN(f.up_ns, Duration("--flakey", a.flakey.substr(0, colon)));
    LVLAB_ASSIGN_OR_RETURN(f.down_ns, Duration("--flakey", a.flakey.substr(colon + 1)));
    if (!a.mode.empty()) {
      LVLAB_ASSIGN_OR_RETURN(f.mode, store::ParseFlakeyMode(a.mode));
    }
    c.flakey = f;
  }
  return c;
}

}  // namespace

void SetupFault(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("fault", "Break, slow or restore a PV's drive; show its faults");
  auto a = std::make_shared<FaultArgs>();
  cmd->add_option("pv", a->pv, "The PV (its image name, as in pvcreate)")->required();
  cmd->add_flag("--fail", a->fail, "Every I/O fails (a pulled cable)");
  cmd->add_flag("--restore", a->restore, "Clear every fault first");
  cmd->add_option("--delay-read", a->delay_read, "Extra latency per read (500us, 20ms)");
  cmd->add_option("--delay-write", a->delay_write, "Extra latency per write");
  cmd->add_option("--errors", a->errors, "I/O touching these sectors fails: 0-2047,4096-8191|all");
  cmd->add_option("--op", a->op, "Direction for --errors and --corrupt: read, write or any")
      ->check(CLI::IsMember({"read", "write", "any"}));
  cmd->add_option("--count", a->count, "--errors fails only the next N matching I/Os");
  cmd->add_option("--flakey", a->flakey, "Up for UP, then down for DOWN, repeating: 2s:500ms");
  cmd->add_option("--mode", a->mode, "What --flakey does while down")
      ->check(CLI::IsMember({"error", "error-writes", "drop-writes"}));
  cmd->add_option("--corrupt", a->corrupt, "Replace byte BYTE of each I/O by VALUE: 1=0[@SECTORS]");
  cmd->add_option("--lose-writes", a->lose_writes,
                  "Writes to these sectors are acknowledged "
                  "and never stored: SECTORS|all");
  cmd->footer(
      "Without options it shows the drive's faults. Faults stay until --restore, across\n"
      "commands and crashes. Sector ranges are inclusive, in 512-byte sectors of the PV.\n"
      "Examples:\n  lvlab fault pv2 --fail\n  lvlab fault pv2 --errors 2048-4095 --op read "
      "--count 3\n  lvlab fault pv3 --delay-write 20ms\n  lvlab fault pv2 --restore");
  cmd->callback([&r, a] {
    Result<store::FaultChange> change = ToChange(*a);
    if (!change.ok()) return r.Fail(change.status());
    r.Run([&](Session& s) -> Status {
      lvm::LabPv* pv = s.lab().FindPv(a->pv);
      if (!pv || !pv->disk) {
        return NotFound("Device " + a->pv +
                        " not found: no PV image of that name in the lab "
                        "(see lvlab pvs -a)");
      }
      if (!change->empty()) {
        change->ApplyTo(&pv->disk->faults(), s.sys().scheduler().now_ns());
        s.sys().trace().Emit("fault", {{"pv", a->pv}, {"faults", pv->disk->faults().Describe()}});
      }
      s.ctx().out << "  " << a->pv << ": " << pv->disk->faults().Describe() << "\n";
      return Status::Ok();
    });
  });
}

}  // namespace lvlab::tools
