#include <iostream>
#include <map>
#include <string>

#include "sim/lvm/report_input.h"
#include "tools/cli.h"

namespace lvlab::tools {
namespace {

void SetupReport(CLI::App& app, Runner& r, const char* verb, lvm::ReportKind kind,
                 const char* what, const char* example) {
  auto* cmd = app.add_subcommand(verb, what);
  auto o = std::make_shared<lvm::ReportOptions>();
  auto units = std::make_shared<std::string>("h");
  auto format = std::make_shared<std::string>("basic");
  auto nosuffix = std::make_shared<bool>(false);
  auto noheadings = std::make_shared<bool>(false);
  cmd->add_option("name", o->select_names, "Names to report (default: all)");
  // One list per -o, as LVM: "vgs -o name vg0" reports vg0.
  cmd->add_option("-o,--options", o->fields, "Fields (LVM names), comma separated; +field appends")
      ->allow_extra_args(false);
  cmd->add_flag("-a,--all", o->all, "Include hidden LVs, shown as [name]");
  cmd->add_flag("--segments", o->segments, "One row per segment");
  cmd->add_option("--units", *units, "h, b, s, k, m, g, t (upper case: powers of 1000)");
  cmd->add_flag("--nosuffix", *nosuffix, "Sizes without unit letters");
  cmd->add_flag("--noheadings", *noheadings, "No heading line");
  cmd->add_option("--reportformat", *format, "basic or json")->check(CLI::IsMember({"basic", "json"}));
  cmd->footer(example);
  cmd->callback([&r, o, units, format, nosuffix, noheadings, kind] {
    if (units->size() != 1) return r.Fail(InvalidArgument("Invalid argument for --units: " + *units));
    o->units = (*units)[0];
    o->suffix = !*nosuffix;
    o->headings = !*noheadings;
    o->json = *format == "json";
    r.Run([&](Session& s) -> Status {
      // The drives' counters as they were before this report read the labels.
      std::map<std::string, store::DiskStats> io;
      if (s.keeps_drives()) {
        for (lvm::LabPv* pv : s.lab().pvs()) {
          if (pv->disk) io[pv->name] = pv->disk->stats();
        }
      }
      auto data = lvm::GatherReport(s.ctx());
      for (lvm::ReportPv& pv : data->input.pvs) {
        if (auto it = io.find(pv.name); it != io.end()) pv.io = it->second;
      }
      LVLAB_ASSIGN_OR_RETURN(std::string text, lvm::Report(kind, data->input, *o));
      s.ctx().out << text;
      return Status::Ok();
    });
  });
}

}  // namespace

void SetupReports(CLI::App& app, Runner& r) {
  SetupReport(app, r, "pvs", lvm::ReportKind::kPvs, "Report physical volumes",
              "Example:\n  lvlab pvs -o pv_name,pv_size,pv_free,pv_pe_count,pv_pe_alloc_count");
  SetupReport(app, r, "vgs", lvm::ReportKind::kVgs, "Report volume groups",
              "Example:\n  lvlab vgs -o +vg_seqno,vg_extent_size");
  SetupReport(app, r, "lvs", lvm::ReportKind::kLvs, "Report logical volumes",
              "Example:\n  lvlab lvs -a -o +devices,seg_pe_ranges --segments");
}

}  // namespace lvlab::tools
