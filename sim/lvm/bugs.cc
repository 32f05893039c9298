#include "sim/lvm/bugs.h"

namespace lvlab::lvm {
namespace {

struct Entry {
  const char* name;
  bool* (*field)(Bugs*);
};

// Catalogue order; docs/bugs.md follows it.
const Entry kCatalogue[] = {
    {"atomic-nosync-after-crash", [](Bugs* b) { return &b->lvm.atomic_nosync_after_crash; }},
    {"abort-keeps-running-segment", [](Bugs* b) { return &b->lvm.abort_keeps_running_segment; }},
    {"checkpoint-before-sync", [](Bugs* b) { return &b->lvm.checkpoint_before_sync; }},
    {"recovery-write-one-leg", [](Bugs* b) { return &b->mirror.recovery_write_one_leg; }},
    {"clean-before-flush", [](Bugs* b) { return &b->mirror.clean_before_flush; }},
    {"finish-before-flush", [](Bugs* b) { return &b->lvm.finish_before_flush; }},
    {"stale-seqno-wins", [](Bugs* b) { return &b->lvm.stale_seqno_wins; }},
    {"trackchanges-missed-write", [](Bugs* b) { return &b->mirror.trackchanges_missed_write; }},
    {"merge-clear-before-flush", [](Bugs* b) { return &b->mirror.merge_clear_before_flush; }},
};

}  // namespace

std::vector<std::string> BugNames() {
  std::vector<std::string> names;
  for (const Entry& e : kCatalogue) names.push_back(e.name);
  return names;
}

Status EnableBug(Bugs* bugs, const std::string& name) {
  for (const Entry& e : kCatalogue) {
    if (name == e.name) {
      *e.field(bugs) = true;
      return Status::Ok();
    }
  }
  std::string known;
  for (const Entry& e : kCatalogue) known += std::string(known.empty() ? "" : ", ") + e.name;
  return InvalidArgument("unknown bug \"" + name + "\"; the catalogue has: " + known);
}

std::vector<std::string> EnabledBugs(const Bugs& bugs) {
  Bugs copy = bugs;
  std::vector<std::string> names;
  for (const Entry& e : kCatalogue) {
    if (*e.field(&copy)) names.push_back(e.name);
  }
  return names;
}

}  // namespace lvlab::lvm
