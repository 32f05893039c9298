// MachineSession: a tools::Session over a simulated lvm::Machine, so that a
// scenario's `run:` steps go through the CLI's own verb definitions (the
// same CLI11 options, messages and exit codes as `lvlab VERB ...`) but act
// on the Machine's current boot instead of a lab directory.
//
// Differences from a lab directory, by design: nothing is saved between
// commands (the machine stays up); pollers keep running on the machine's
// scheduler after a command returns, including a foreground pvmove's, so
// that later steps can wait for or interrupt them; files a verb writes
// (vgcfgbackup without -f) go to the current directory.
//
// Not thread-safe. The session does not own the Machine.
#pragma once

#include <string>
#include <vector>

#include "sim/base/status.h"
#include "sim/lvm/machine.h"
#include "tools/session.h"

namespace lvlab::scenarios {

class MachineSession : public tools::Session {
 public:
  // REQUIRES: machine outlives the session and is not rebooted during it.
  explicit MachineSession(lvm::Machine* machine) : machine_(machine) {}

  lvm::Lab& lab() override { return machine_->lab(); }
  lvm::System& sys() override { return machine_->sys(); }
  lvm::Context& ctx() override { return machine_->ctx(); }
  std::string dir() const override { return ""; }
  Status Close() override { return Status::Ok(); }
  void Abandon() override {}
  bool forks_pollers() const override { return false; }
  bool waits_for_pollers() const override { return false; }
  bool keeps_drives() const override { return true; }

 private:
  lvm::Machine* machine_;
};

struct CommandResult {
  int exit_code = 0;  // tools::Runner's: 0, 3 bad arguments, 5 the command failed
  std::string out;    // what the command printed
  std::string err;    // its error messages and warnings
};

// Runs `words` (as typed after `lvlab`) on `machine`. Never throws.
CommandResult RunCommand(lvm::Machine& machine, const std::string& words);

// Parses `words` with the verb definitions and their argument checks, but
// opens nothing: OK, or what the CLI would say about them.
Status CheckCommand(const std::string& words);

// Splits a command line into words: blanks separate, '...' and "..." quote.
std::vector<std::string> SplitWords(const std::string& line);

}  // namespace lvlab::scenarios
