#include <algorithm>

#include "sim/lvm/pv_format.h"
#include "tools/cli.h"

namespace lvlab::tools {

void SetupPvcreate(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("pvcreate", "Create a PV: a sparse image LAB/pvs/NAME.img");
  auto name = std::make_shared<std::string>();
  auto size = std::make_shared<std::string>();
  auto mdsize = std::make_shared<std::string>();
  auto copies = std::make_shared<uint32_t>(1);
  auto metadatasize = std::make_shared<std::string>();
  cmd->add_option("name", *name, "PV name (the image file's stem)")->required();
  cmd->add_option("--size,-s", *size, "Device size, LVM units (default unit m): 1G, 512M")->required();
  cmd->add_option("--dataalignment,--pe-start", *mdsize,
                  "Where the data area starts (pe_start), default 1M; the metadata area fills "
                  "the space from 4k to it");
  cmd->add_option("--metadatasize,--pvmetadatasize", *metadatasize,
                  "At least this much metadata area; pe_start is the next 1 MiB boundary after "
                  "it, as LVM aligns the data area");
  cmd->add_option("--metadatacopies,--pvmetadatacopies", *copies,
                  "Metadata areas on the PV: 1 (default) or 0 (the PV never carries VG "
                  "metadata; its VG is known from the other PVs)")
      ->check(CLI::Range(0, 2));
  cmd->footer(
      "Examples:\n  lvlab pvcreate pv1 --size 1G\n  lvlab pvcreate pv3 --size 1G --metadatacopies "
      "0");
  cmd->callback([&r, name, size, mdsize, copies, metadatasize] {
    auto bytes = ParseSizeOption("--size", *size);
    if (!bytes.ok()) return r.Fail(bytes.status());
    uint64_t pe_start = lvm::kDefaultPeStartBytes;
    if (!mdsize->empty()) {
      auto p = ParseSizeOption("--pe-start", *mdsize);
      if (!p.ok()) return r.Fail(p.status());
      pe_start = *p;
    }
    if (!metadatasize->empty()) {
      auto m = ParseSizeOption("--metadatasize", *metadatasize);
      if (!m.ok()) return r.Fail(m.status());
      constexpr uint64_t kAlign = 1 << 20;
      pe_start = std::max(pe_start, (lvm::kMdaOffsetBytes + *m + kAlign - 1) / kAlign * kAlign);
    }
    r.Run([&](Session& s) { return lvm::Pvcreate(s.ctx(), *name, *bytes, pe_start, *copies); },
          true);
  });
}

void SetupPvremove(CLI::App& app, Runner& r) {
  auto* cmd = app.add_subcommand("pvremove", "Remove PVs that are in no VG (deletes the image)");
  auto names = std::make_shared<std::vector<std::string>>();
  cmd->add_option("pv", *names, "PV names")->required();
  cmd->footer("Example:\n  lvlab pvremove pv4");
  cmd->callback([&r, names] { r.Run([&](Session& s) { return lvm::Pvremove(s.ctx(), *names); }); });
}

}  // namespace lvlab::tools
