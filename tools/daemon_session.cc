// Commands inside the live daemon: each runs on the engine thread against
// the daemon's machine, through the CLI's own verb definitions, with its
// output streamed back over its control connection.
#include <unistd.h>

#include <algorithm>
#include <condition_variable>
#include <mutex>

#include "sim/lvm/crash_match.h"
#include "sim/lvm/pvmove_poll.h"
#include "tools/cli.h"
#include "tools/daemon_internal.h"

namespace lvlab::tools {

// One command's answer: the exit code, given exactly once (a guard answers 5
// if the command's closure dies unrun in a power cut).
class CommandCall {
 public:
  explicit CommandCall(int fd) : fd_(fd) {}
  int fd() const { return fd_; }
  void Finish(int code) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (code_ >= 0) return;
      code_ = code;
    }
    cv_.notify_one();
  }
  bool finished() {
    std::lock_guard<std::mutex> lock(mu_);
    return code_ >= 0;
  }
  int Wait() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return code_ >= 0; });
    return code_;
  }

 private:
  int fd_;
  std::mutex mu_;
  std::condition_variable cv_;
  int code_ = -1;
};

struct CallGuard {
  explicit CallGuard(std::shared_ptr<CommandCall> c) : call(std::move(c)) {}
  CallGuard(const CallGuard&) = delete;
  CallGuard& operator=(const CallGuard&) = delete;
  std::shared_ptr<CommandCall> call;
  int code = -1;  // set when the command ran but answers after a reboot
  ~CallGuard() {
    if (code >= 0) {
      call->Finish(code);
      return;
    }
    if (call->finished()) return;
    (void)fuse::WriteFrame(call->fd(), fuse::kFrameErr,
                           "  The machine lost power before the command finished.\n");
    call->Finish(Runner::kCommandFailed);
  }
};

namespace {

// The daemon's machine as a verb sees it. Close saves the device list and
// refreshes the mount instead of unlocking anything.
class DaemonSession : public Session {
 public:
  explicit DaemonSession(Daemon* d) : d_(d) {}
  lvm::Lab& lab() override { return d_->machine->lab(); }
  lvm::System& sys() override { return d_->machine->sys(); }
  lvm::Context& ctx() override { return d_->machine->ctx(); }
  std::string dir() const override { return d_->lab; }
  Status Close() override {
    if (!d_->machine->power_cut_pending()) {
      d_->SaveState();
      d_->fs->Refresh();
    }
    return Status::Ok();
  }
  void Abandon() override {}
  bool forks_pollers() const override { return false; }
  bool live() const override { return true; }
  bool keeps_drives() const override { return true; }
  void CutPower(store::LossPolicy policy) override { d_->machine->CutPower(policy); }
  void ArmPowerCut(store::LossPolicy policy, const std::string& what, const std::string& pv,
                   int64_t count) override {
    d_->machine->ArmPowerCut(policy, lvm::MatchWrites(lab(), what, pv), count);
  }
  void ArmPowerCutAfterWrites(store::LossPolicy policy, int64_t writes) override {
    d_->machine->ArmPowerCutAfterWrites(policy, writes);
  }
  std::optional<std::map<std::string, uint64_t, std::less<>>> EventCounts() override {
    return d_->machine->EventCounts();
  }
  bool DeferWaitForPollers() override {
    d_->defer_wait = true;
    return true;
  }

 private:
  Daemon* d_;
};

std::string Join(const std::vector<std::string>& args) {
  std::string s;
  for (const std::string& a : args) s += (s.empty() ? "" : " ") + a;
  return s;
}

int ParseAndRun(Daemon& d, const std::vector<std::string>& words) {
  fuse::LiveMachine& m = *d.machine;
  Runner runner;
  runner.command_line = Join(words);
  runner.err = &m.err();
  runner.open = [&d](bool) -> Result<std::unique_ptr<Session>> {
    return std::unique_ptr<Session>(new DaemonSession(&d));
  };
  m.lab().mutable_options().command_line = runner.command_line;
  CLI::App app{"lvlab: a user-space laboratory for LVM-style volumes", "lvlab"};
  app.require_subcommand(1);
  app.fallthrough();
  SetupVerbs(app, runner);
  std::vector<std::string> args(words.rbegin(), words.rend());
  try {
    app.parse(args);
    return runner.exit_code;
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e, m.out(), m.err());
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e, m.out(), m.err());
  } catch (const CLI::ParseError& e) {
    app.exit(e, m.out(), m.err());
    return Runner::kBadArguments;
  }
}

void RunOnEngine(Daemon& d, std::shared_ptr<CallGuard> guard, const fuse::ControlRequest& req) {
  fuse::LiveMachine& m = *d.machine;
  if (d.command_running) {
    // One command at a time, as the lab lock orders them without a daemon;
    // this one came in while another waits inside the scheduler.
    m.sys().scheduler().After(2'000'000, [&d, guard, req] { RunOnEngine(d, guard, req); });
    return;
  }
  d.command_running = true;
  d.defer_wait = false;
  const int fd = guard->call->fd();
  if (req.cwd.empty() || ::chdir(req.cwd.c_str()) != 0) (void)::chdir(d.lab.c_str());
  const int out_id =
      m.out().Push([fd](std::string_view s) { (void)fuse::WriteFrame(fd, fuse::kFrameOut, s); });
  const int err_id =
      m.err().Push([fd](std::string_view s) { (void)fuse::WriteFrame(fd, fuse::kFrameErr, s); });
  // A command may inject faults, cut the power or change tables: FUSE
  // workers' direct I/O stops while it runs and is planned again after.
  m.PauseDirectIo();
  const int code = ParseAndRun(d, req.args);
  if (!m.power_cut_pending()) m.ResumeDirectIo();
  (void)::chdir("/");
  d.command_running = false;
  if (code == 0 && d.defer_wait && !m.power_cut_pending()) {
    // A foreground pvmove: the client hears the progress and gets its
    // answer when the pollers are done (Daemon::Tick), as a terminal would.
    d.waiting.push_back(Daemon::Waiting{guard, out_id, err_id, m.boot()});
    return;
  }
  m.out().Remove(out_id);
  m.err().Remove(err_id);
  if (m.power_cut_pending()) {
    guard->code = code;  // answered once the machine is back (Daemon::Tick)
    d.after_reboot.push_back(guard);
    return;
  }
  guard->call->Finish(code);
}

}  // namespace

void Daemon::SaveState() {
  std::string state = machine->sys().Save().Serialize();
  if (state == saved_state) return;
  if (WriteFileAtomic(RunPath("kernel"), state).ok()) saved_state = std::move(state);
}

void Daemon::Tick() {
  if (machine->power_cut_pending()) return;
  SaveState();
  // Re-read the VGs only when the device list changed (or after a reboot).
  std::string devices = std::to_string(machine->boot());
  for (const dm::Device* dev : machine->sys().kernel().List()) {
    devices += " " + dev->name() + ":" + std::to_string(dev->size_sectors());
  }
  if (devices != refreshed_devices) {
    fs->Refresh();
    refreshed_devices = std::move(devices);
  }
  after_reboot.clear();  // their guards answer now
  fuse::LiveMachine& m = *machine;
  if (waiting.empty() || (m.boot() == waiting.front().boot && !m.sys().pollers().AllDone())) {
    return;
  }
  const Status st = m.sys().pollers().FirstError();
  for (Waiting& w : waiting) {
    int code = 0;
    if (w.boot != m.boot()) {
      m.err() << "  Interrupted: the machine lost power.\n";
      code = Runner::kCommandFailed;
    } else if (!st.ok()) {
      m.err() << "  " << st.message() << "\n";
      code = Runner::kCommandFailed;
    }
    m.out().Remove(w.out_id);
    m.err().Remove(w.err_id);
    w.guard->call->Finish(code);
  }
  waiting.clear();
}

void Daemon::StopWaiting() {
  for (Waiting& w : waiting) {
    machine->err() << "  The daemon stopped (lvlab umount); the pvmove goes on at the next "
                   << "mount or lvlab pvmove.\n";
    machine->out().Remove(w.out_id);
    machine->err().Remove(w.err_id);
    w.guard->call->Finish(Runner::kCommandFailed);
  }
  waiting.clear();
}

void ServeCommand(Daemon& d, const fuse::ControlRequest& request, int fd) {
  auto call = std::make_shared<CommandCall>(fd);
  auto guard = std::make_shared<CallGuard>(call);
  d.machine->Inject([&d, guard, request] { RunOnEngine(d, guard, request); });
  guard.reset();
  const int code = call->Wait();
  d.fs->Invalidate();
  char bytes[4];
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>((code >> (8 * i)) & 0xff);
  (void)fuse::WriteFrame(fd, fuse::kFrameExit, std::string_view(bytes, 4));
}

}  // namespace lvlab::tools
