// The lvlab command line: one Setup function per verb (one file each), all
// sharing a Runner that opens the lab, runs the verb's library call, prints
// its error the LVM way and keeps the exit code: 0 success, 3 bad arguments
// (found before the lab is opened), 5 the command failed (LVM's
// EINVALID_CMD_LINE and ECMD_FAILED).
#pragma once

#include <CLI/CLI.hpp>

#include <functional>
#include <memory>
#include <string>

#include "sim/base/status.h"
#include "tools/session.h"

namespace lvlab::tools {

class Runner {
 public:
  std::string lab_flag;      // --lab
  std::string command_line;  // "lvcreate -L 40M -n lv0 vg0", for metadata descriptions
  int exit_code = 0;
  // Opens what the verb works on; unset = the lab directory (LabSession).
  std::function<Result<std::unique_ptr<Session>>(bool create)> open;
  // Where messages of failed commands go (std::cerr by default).
  std::ostream* err = nullptr;

  // Opens the lab (creating it if `create`), runs `fn`, reports its Status.
  void Run(const std::function<Status(Session&)>& fn, bool create = false);
  static constexpr int kBadArguments = 3;
  static constexpr int kCommandFailed = 5;
  // Reports a failure; by default a bad argument found before the lab opens.
  void Fail(const Status& st, int code = kBadArguments);
};

void SetupPvcreate(CLI::App& app, Runner& r);
void SetupPvremove(CLI::App& app, Runner& r);
void SetupVgcreate(CLI::App& app, Runner& r);
void SetupVgremove(CLI::App& app, Runner& r);
void SetupVgextend(CLI::App& app, Runner& r);
void SetupVgreduce(CLI::App& app, Runner& r);
void SetupVgchange(CLI::App& app, Runner& r);
void SetupVgck(CLI::App& app, Runner& r);
void SetupLvcreate(CLI::App& app, Runner& r);
void SetupLvextend(CLI::App& app, Runner& r);
void SetupLvremove(CLI::App& app, Runner& r);
void SetupLvchange(CLI::App& app, Runner& r);
void SetupLvconvert(CLI::App& app, Runner& r);
void SetupReports(CLI::App& app, Runner& r);  // pvs, vgs, lvs
void SetupDmsetup(CLI::App& app, Runner& r);
void SetupVgcfgbackup(CLI::App& app, Runner& r);
void SetupVgcfgrestore(CLI::App& app, Runner& r);
void SetupShow(CLI::App& app, Runner& r);
void SetupCrash(CLI::App& app, Runner& r);
void SetupEvents(CLI::App& app, Runner& r);  // live only
void SetupFault(CLI::App& app, Runner& r);
void SetupPvmove(CLI::App& app, Runner& r);
// Every verb above, in `lvlab --help` order; scenario `run:` steps parse
// the CLI's words with these same definitions.
void SetupVerbs(CLI::App& app, Runner& r);
// lvlab run SCENARIO.yaml (scenarios/runner.h); not among SetupVerbs.
void SetupRun(CLI::App& app, Runner& r);
// lvlab mount MNT / lvlab umount MNT (live mode); not among SetupVerbs,
// which a live daemon runs itself.
void SetupMount(CLI::App& app, Runner& r);
void SetupFuzz(CLI::App& app, Runner& r);

// If pollers are running (pvmove -b, vgchange -ay of a VG with an
// unfinished move), forks a background process that keeps the machine —
// kernel, mirrors, pollers — and the lab lock until they finish; the
// command itself returns at once, as LVM's background polling does.
Status DetachPollers(Session& s);
// With --narrate: prints the mirror's region copies as they happen.
void NarrateCopies(Session& s);

// Parses an LVM size option ("100M", default unit m) or fails with the
// option's name in the message.
Result<uint64_t> ParseSizeOption(const std::string& option, const std::string& text);

}  // namespace lvlab::tools
