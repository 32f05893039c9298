#include "tools/cli.h"

#include <iostream>

#include "sim/base/units.h"
#include "sim/lvm/dmeventd.h"

namespace lvlab::tools {

void Runner::Fail(const Status& st, int code) {
  (err ? *err : std::cerr) << "  " << st.message() << "\n";
  if (exit_code == 0) exit_code = code;
}

void Runner::Run(const std::function<Status(Session&)>& fn, bool create) {
  auto session = open ? open(create)
                      : LabSession::Open(ResolveLabDir(lab_flag), command_line, create);
  if (!session.ok()) return Fail(session.status(), kCommandFailed);
  // While the command runs, dmeventd's repairs wait (dmeventd.h).
  lvm::System& sys = (*session)->sys();
  const bool locked = sys.TryLockVg(lvm::kCommandLock);
  Status st = fn(**session);
  if (locked) sys.UnlockVg(lvm::kCommandLock);
  Status closed = (*session)->Close();
  if (!st.ok()) return Fail(st, kCommandFailed);
  if (!closed.ok()) Fail(closed, kCommandFailed);
}

void SetupVerbs(CLI::App& app, Runner& r) {
  SetupPvcreate(app, r);
  SetupPvremove(app, r);
  SetupVgcreate(app, r);
  SetupVgremove(app, r);
  SetupVgextend(app, r);
  SetupVgreduce(app, r);
  SetupVgchange(app, r);
  SetupVgck(app, r);
  SetupLvcreate(app, r);
  SetupLvextend(app, r);
  SetupLvremove(app, r);
  SetupLvchange(app, r);
  SetupLvconvert(app, r);
  SetupReports(app, r);
  SetupDmsetup(app, r);
  SetupVgcfgbackup(app, r);
  SetupVgcfgrestore(app, r);
  SetupShow(app, r);
  SetupCrash(app, r);
  SetupEvents(app, r);
  SetupFault(app, r);
  SetupPvmove(app, r);
}

Result<uint64_t> ParseSizeOption(const std::string& option, const std::string& text) {
  auto r = ParseSizeBytes(text, 'm');
  if (!r.ok()) return InvalidArgument("Invalid argument for " + option + ": " + r.status().message());
  return r;
}

}  // namespace lvlab::tools
