#include <iostream>

#include "sim/base/units.h"
#include "tools/cli.h"

namespace lvlab::tools {

void SetupLvcreate(CLI::App& app, Runner& r) {
  auto* cmd =
      app.add_subcommand("lvcreate", "Create a logical volume (linear, striped or snapshot)");
  auto a = std::make_shared<lvm::LvcreateArgs>();
  auto size = std::make_shared<std::string>();
  auto stripe_size = std::make_shared<std::string>();
  auto activate = std::make_shared<std::string>("y");
  auto zero = std::make_shared<std::string>("y");
  auto type = std::make_shared<std::string>("linear");
  auto snapshot = std::make_shared<bool>(false);
  auto chunk = std::make_shared<std::string>();
  cmd->add_option("vg", a->vg, "Volume group (with -s: the origin as VG/LV)")->required();
  cmd->add_flag("-s,--snapshot", *snapshot, "Create a snapshot of VG/LV (the new LV is its COW)");
  cmd->add_option("-c,--chunksize", *chunk, "Snapshot chunk size, 4k to 512k (default 4k)");
  cmd->add_option("pv", a->pvs, "Allowed PVs, with optional PE ranges: pv1 pv2:0-9 pv3:5+4");
  cmd->add_option("-n,--name", a->name, "LV name")->required();
  auto* L = cmd->add_option("-L,--size", *size, "Size in LVM units (default unit m)");
  auto* l = cmd->add_option("-l,--extents", a->extents, "Extents: N, N%FREE, N%VG, N%PVS");
  L->excludes(l);
  cmd->add_option("-i,--stripes", a->stripes, "Number of stripes");
  cmd->add_option("-I,--stripesize", *stripe_size, "Stripe size (default 64k)");
  cmd->add_option("--alloc", a->alloc, "normal, contiguous, cling or anywhere")
      ->check(CLI::IsMember({"normal", "contiguous", "cling", "anywhere"}));
  cmd->add_option("--type", *type, "linear, striped, raid1 or mirror")
      ->check(CLI::IsMember({"linear", "striped", "raid1", "mirror"}));
  cmd->add_option("--mirrorlog", a->mirrorlog, "mirror: core or disk (default disk)")
      ->check(CLI::IsMember({"core", "disk"}));
  cmd->add_option("-m,--mirrors", a->mirrors, "raid1: mirror images besides the first (1-3)");
  cmd->add_flag("--nosync", a->nosync, "raid1: skip the initial resync");
  cmd->add_option("-a,--activate", *activate, "y (default) or n");
  cmd->add_option("-Z,--zero", *zero, "Wipe the first 4 KiB: y (default) or n");
  cmd->footer("Examples:\n  lvlab lvcreate -L 40M -n lv0 vg0\n"
              "  lvlab lvcreate -l 30 -n lv0 vg0 pv1:0-9 pv2:0-9 pv3:0-9\n"
              "  lvlab lvcreate -s -L 20M -n snap vg0/lv0\n"
              "  lvlab lvcreate --type raid1 -m 1 -L 40M -n r0 vg0\n"
              "  lvlab lvcreate --type mirror -m 1 --mirrorlog core -L 40M -n m0 vg0");
  cmd->callback([&r, a, size, stripe_size, activate, zero, L, l, snapshot, chunk, type] {
    if (*type == "raid1" || *type == "mirror") a->type = *type;
    if (a->type.empty() && (a->mirrors || a->nosync)) {
      return r.Fail(InvalidArgument("-m and --nosync need --type raid1 or mirror"));
    }
    if (!*L && !*l) return r.Fail(InvalidArgument("Please specify either size or extents (-L or -l)"));
    if (*L) {
      auto b = ParseSizeOption("--size", *size);
      if (!b.ok()) return r.Fail(b.status());
      a->size_bytes = *b;
    }
    if (!stripe_size->empty()) {
      auto b = ParseSizeOption("--stripesize", *stripe_size);
      if (!b.ok()) return r.Fail(b.status());
      a->stripe_size_bytes = *b;
    }
    if (*snapshot) {
      const size_t slash = a->vg.find('/');
      if (slash == std::string::npos) {
        return r.Fail(InvalidArgument("lvcreate -s needs the origin as VG/LV, not " + a->vg));
      }
      a->snapshot_origin = a->vg.substr(slash + 1);
      a->vg = a->vg.substr(0, slash);
    } else if (!chunk->empty()) {
      return r.Fail(InvalidArgument("--chunksize is only for snapshots (-s)"));
    }
    if (!chunk->empty()) {
      auto b = ParseSizeBytes(*chunk, 'k');
      if (!b.ok()) return r.Fail(InvalidArgument("Invalid argument for --chunksize: " + *chunk));
      a->chunk_size_bytes = *b;
    }
    a->activate = *activate != "n";
    a->zero = *zero != "n";
    r.Run([&](Session& s) { return lvm::Lvcreate(s.ctx(), *a); });
  });
}

void SetupLvextend(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("lvextend", "Grow a logical volume");
  auto a = std::make_shared<lvm::LvextendArgs>();
  auto size = std::make_shared<std::string>();
  cmd->add_option("lv", a->lv, "Logical volume as VG/LV")->required();
  cmd->add_option("pv", a->pvs, "Allowed PVs, with optional PE ranges");
  auto* L = cmd->add_option("-L,--size", *size, "New size or +SIZE");
  auto* l = cmd->add_option("-l,--extents", a->extents, "New extents or +N (N%FREE...)");
  L->excludes(l);
  cmd->add_option("--alloc", a->alloc, "normal, contiguous, cling or anywhere")
      ->check(CLI::IsMember({"normal", "contiguous", "cling", "anywhere"}));
  cmd->footer("Example:\n  lvlab lvextend -L +40M vg0/lv0 pv3");
  cmd->callback([&r, a, size, L, l] {
    if (!*L && !*l) return r.Fail(InvalidArgument("Please specify either size or extents (-L or -l)"));
    if (*L) {
      std::string text = *size;
      a->size_relative = !text.empty() && text[0] == '+';
      auto b = ParseSizeOption("--size", a->size_relative ? text.substr(1) : text);
      if (!b.ok()) return r.Fail(b.status());
      a->size_bytes = *b;
    }
    r.Run([&](Session& s) { return lvm::Lvextend(s.ctx(), *a); });
  });
}

void SetupLvremove(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("lvremove", "Remove logical volumes");
  auto lvs = std::make_shared<std::vector<std::string>>();
  auto yes = std::make_shared<bool>(false);
  cmd->add_option("lv", *lvs, "Logical volumes as VG/LV")->required();
  cmd->add_flag("-y,--yes,-f,--force", *yes, "Do not ask before removing an active LV");
  cmd->footer("Example:\n  lvlab lvremove -y vg0/lv0");
  cmd->callback([&r, lvs, yes] {
    r.Run([&](Session& s) { return lvm::Lvremove(s.ctx(), *lvs, *yes, &std::cin); });
  });
}

}  // namespace lvlab::tools
