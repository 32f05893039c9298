// dmeventd's mirror and raid plugins (dmeventd.h).
#include "sim/lvm/dmeventd.h"

#include <sstream>
#include <vector>

#include "sim/lvm/names.h"
#include "sim/lvm/repair.h"
#include "sim/lvm/system.h"

namespace lvlab::lvm {
namespace {

constexpr uint64_t kLockRetryNs = 1'000'000'000;

std::vector<std::string> Words(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> out;
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

// "0 N mirror 2 7:2 7:4 12/20 1 AD 3 disk 254:3 A": the legs' and the
// log's health characters.
bool MirrorFailed(const std::vector<std::string>& w, size_t at, std::string* health) {
  if (at + 1 >= w.size()) return false;
  const size_t legs = std::stoul(w[at + 1]);
  const size_t h = at + 2 + legs + 2;  // <in/total> <#health> <health>
  if (h >= w.size()) return false;
  *health = w[h];
  bool failed = w[h].find_first_of("DFU") != std::string::npos;
  if (h + 2 < w.size() && w[h + 2] == "disk" && h + 4 < w.size()) {
    *health += " log " + w[h + 4];
    failed = failed || w[h + 4] == "D" || w[h + 4] == "F";
  }
  return failed;
}

}  // namespace

void Dmeventd::Register(const std::string& vg, const std::string& lv) {
  const std::string dm = DmName(vg, lv);
  dm::Device* dev = sys_->kernel().Find(dm);
  if (!dev) return;
  devices_.try_emplace(dm, State{vg, lv, false, false, 0});
  dev->set_on_event([this, dm](dm::Device&) {
    State& s = devices_[dm];
    if (s.check_posted) return;
    s.check_posted = true;
    sys_->scheduler().Post([this, dm] { Check(dm); });
  });
}

void Dmeventd::Log(const std::string& dm, const std::string& msg) {
  sys_->Narrate("dmeventd: " + msg);
  sys_->trace().Emit("dmeventd", {{"dev", dm}, {"msg", msg}});
}

void Dmeventd::Check(const std::string& dm) {
  auto it = devices_.find(dm);
  if (it == devices_.end()) return;
  State& s = it->second;
  s.check_posted = false;
  auto status = sys_->kernel().StatusLines(dm);
  if (!status.ok()) return;  // the device went away
  const std::vector<std::string> w = Words(*status);
  if (w.size() > 2 && w[2] == "mirror") {
    std::string health;
    if (MirrorFailed(w, 2, &health)) {
      Log(dm, "Device failure in " + dm + " (health " + health + ").");
      Repair(dm, "mirrored");
    }
    return;
  }
  if (w.size() < 6 || w[2] != "raid") return;
  const std::string& health = w[5];
  bool dead = false;
  for (size_t i = 0; i < health.size() && i < 64; ++i) {
    if (health[i] != 'D') continue;
    dead = true;
    if (!((s.dead_legs >> i) & 1)) {
      s.dead_legs |= uint64_t{1} << i;
      Log(dm, "WARNING: Device #" + std::to_string(i) + " of raid1 array, " + dm + ", has failed.");
    }
  }
  if (!dead) {
    s.raid_failed = false;
    s.dead_legs = 0;
    return;
  }
  if (s.raid_failed) return;  // already handled
  s.raid_failed = true;
  Repair(dm, "RAID");
}

void Dmeventd::Repair(const std::string& dm, const char* kind) {
  const State s = devices_[dm];
  // A command, a poller or a metadata update of the VG is under way: its
  // lock would make lvconvert wait, so try again later.
  const bool command = !sys_->TryLockVg(kCommandLock);
  if (!command) sys_->UnlockVg(kCommandLock);
  if (command || sys_->lab().Precommitted(s.vg) || !sys_->TryLockVg(s.vg)) {
    sys_->scheduler().After(kLockRetryNs, [this, dm, kind] {
      if (devices_.count(dm)) Repair(dm, kind);
    });
    return;
  }
  std::ostringstream out, err;
  Context ctx{*sys_, out, err};
  LvconvertRepairArgs a;
  a.lv = s.vg + "/" + s.lv;
  a.use_policies = true;
  Log(dm, "lvconvert --repair --use-policies " + a.lv);
  sys_->UnlockVg(s.vg);  // LvconvertRepair takes it
  const Status st = LvconvertRepair(ctx, a);
  std::istringstream lines(out.str() + err.str() + (st.ok() ? "" : "  " + st.message() + "\n"));
  for (std::string line; std::getline(lines, line);) {
    const size_t text = line.find_first_not_of(' ');
    if (text != std::string::npos) Log(dm, line.substr(text));
  }
  Log(dm, std::string("Repair of ") + kind + " device " + dm +
              (st.ok() ? " finished successfully." : " failed."));
  sys_->trace().Emit("dmeventd-repair", {{"dev", dm}, {"lv", a.lv}, {"ok", st.ok()}});
  // Devices of the repaired LV may be new (an up-converted mirror).
  Register(s.vg, s.lv);
}

}  // namespace lvlab::lvm
