// dmsetup: the kernel's view, in dmsetup's formats.
#include <iostream>
#include <map>
#include <sstream>

#include "tools/cli.h"

namespace lvlab::tools {
namespace {

// Prefixes every line of `text` with "name: ".
void PrintPrefixed(std::ostream& out, const std::string& name, const std::string& text) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out << name << ": " << line << "\n";
}

// dmsetup prints "<start> <len> <type> <params>\n": with empty status
// params a linear line keeps its trailing space ("0 81920 linear ").
Result<std::string> Lines(dm::Kernel& k, const std::string& name, bool status) {
  LVLAB_ASSIGN_OR_RETURN(std::string text, status ? k.StatusLines(name) : k.Table(name));
  std::istringstream in(text);
  std::string out;
  for (std::string line; std::getline(in, line);) {
    int spaces = 0;
    for (char c : line) spaces += c == ' ';
    out += line + (status && spaces == 2 ? " \n" : "\n");
  }
  return out;
}

Status ShowLines(Session& s, const std::string& dev, bool status) {
  std::ostream& out = s.ctx().out;
  dm::Kernel& k = s.sys().kernel();
  auto lines = [&](const std::string& n) { return Lines(k, n, status); };
  if (!dev.empty()) {
    LVLAB_ASSIGN_OR_RETURN(std::string text, lines(dev));
    out << text;
    return Status::Ok();
  }
  auto list = k.List();
  if (list.empty()) out << "No devices found\n";
  for (const dm::Device* d : list) {
    auto text = lines(d->name());
    if (text.ok()) PrintPrefixed(out, d->name(), *text);
  }
  return Status::Ok();
}

void PrintTree(std::ostream& out, dm::Kernel& k, const std::string& name, const std::string& indent,
               bool root) {
  const dm::Device* d = k.Find(name);
  if (root) out << name << " (" << d->devno().ToString() << ")\n";
  auto deps = k.Deps(name);
  if (!deps.ok()) return;
  for (size_t i = 0; i < deps->size(); ++i) {
    const dm::DevNo& dev = (*deps)[i];
    const bool last = i + 1 == deps->size();
    out << indent << (last ? " └─" : " ├─");
    dm::BlockDevice* b = k.Lookup(dev);
    const dm::Device* child = b ? k.Find(b->name()) : nullptr;
    if (child) {
      out << child->name() << " (" << dev.ToString() << ")\n";
      PrintTree(out, k, child->name(), indent + (last ? "   " : " │ "), false);
    } else {
      out << " (" << dev.ToString() << ")\n";
    }
  }
}

Status Ls(Session& s, bool tree) {
  std::ostream& out = s.ctx().out;
  dm::Kernel& k = s.sys().kernel();
  auto list = k.List();
  if (list.empty()) {
    out << "No devices found\n";
    return Status::Ok();
  }
  for (const dm::Device* d : list) {
    if (!tree) {
      out << d->name() << "\t(" << d->devno().ToString() << ")\n";
    } else if (k.Holders(d).empty()) {
      PrintTree(out, k, d->name(), "", true);
    }
  }
  return Status::Ok();
}

Status Info(Session& s, const std::string& dev) {
  std::ostream& out = s.ctx().out;
  dm::Kernel& k = s.sys().kernel();
  std::vector<std::string> names;
  if (!dev.empty()) {
    names.push_back(dev);
  } else {
    for (const dm::Device* d : k.List()) names.push_back(d->name());
    if (names.empty()) out << "No devices found\n";
  }
  for (size_t i = 0; i < names.size(); ++i) {
    LVLAB_ASSIGN_OR_RETURN(dm::DeviceInfo info, k.Info(names[i]));
    if (i) out << "\n";
    out << "Name:              " << info.name << "\n"
              << "State:             " << info.State() << "\n"
              << "Read Ahead:        256\n"
              << "Tables present:    " << info.TablesPresent() << "\n"
              << "Open count:        " << info.open_count << "\n"
              << "Event number:      " << info.event_nr << "\n"
              << "Major, minor:      " << info.devno.major << ", " << info.devno.minor << "\n"
              << "Number of targets: " << info.target_count << "\n";
    if (!info.uuid.empty()) out << "UUID: " << info.uuid << "\n";
  }
  return Status::Ok();
}

}  // namespace

void SetupDmsetup(CLI::App& app, Runner& r) {
  auto* dm = app.add_subcommand("dmsetup", "The device-mapper kernel's view, as dmsetup shows it");
  dm->require_subcommand(1);
  dm->footer("Examples:\n  lvlab dmsetup table\n  lvlab dmsetup status vg0-lv0\n"
             "  lvlab dmsetup ls --tree\n  lvlab dmsetup info vg0-lv0");
  auto dev = std::make_shared<std::string>();
  auto tree = std::make_shared<bool>(false);
  auto table = std::make_shared<std::string>();
  auto noflush = std::make_shared<bool>(false);
  for (const char* verb : {"table", "status", "info"}) {
    auto* c = dm->add_subcommand(verb, std::string("dmsetup ") + verb + " [DEVICE]");
    c->add_option("device", *dev, "dm device name (default: all)");
    const std::string v = verb;
    c->callback([&r, dev, v] {
      r.Run([&](Session& s) {
        if (v == "info") return Info(s, *dev);
        return ShowLines(s, *dev, v == "status");
      });
    });
  }
  auto* ls = dm->add_subcommand("ls", "List devices: name (major:minor)");
  ls->add_flag("--tree", *tree, "Show the devices each one is stacked on");
  ls->callback([&r, tree] { r.Run([&](Session& s) { return Ls(s, *tree); }); });
  auto* create = dm->add_subcommand("create", "Create a device, with a table from --table");
  create->add_option("device", *dev)->required();
  create->add_option("--table", *table, "Table lines, separated by ';' or newlines");
  create->callback([&r, dev, table] {
    r.Run([&](Session& s) -> Status {
      dm::Kernel& k = s.sys().kernel();
      LVLAB_RETURN_IF_ERROR(k.Create(*dev, "").status());
      if (table->empty()) return Status::Ok();  // --notable
      std::string t = *table;
      for (char& c : t) c = c == ';' ? '\n' : c;
      Status st = k.Load(*dev, t);
      if (st.ok()) st = k.Resume(*dev);
      if (!st.ok()) (void)k.Remove(*dev);
      return st;
    });
  });
  auto* load = dm->add_subcommand("load", "Load a table into the inactive slot");
  load->add_option("device", *dev)->required();
  load->add_option("--table", *table, "Table lines, separated by ';' or newlines")->required();
  load->callback([&r, dev, table] {
    r.Run([&](Session& s) {
      std::string t = *table;
      for (char& c : t) c = c == ';' ? '\n' : c;
      return s.sys().kernel().Load(*dev, t);
    });
  });
  auto* suspend = dm->add_subcommand("suspend", "Suspend a device (I/O is queued)");
  suspend->add_option("device", *dev)->required();
  suspend->add_flag("--noflush", *noflush, "Do not flush queued I/O");
  suspend->callback([&r, dev, noflush] {
    r.Run([&](Session& s) { return s.sys().kernel().Suspend(*dev, *noflush); });
  });
  auto* resume = dm->add_subcommand("resume", "Resume a device, swapping in its inactive table");
  resume->add_option("device", *dev)->required();
  resume->callback([&r, dev] { r.Run([&](Session& s) { return s.sys().kernel().Resume(*dev); }); });
  auto* message = dm->add_subcommand("message", "Send a message to a device's target");
  auto sector = std::make_shared<uint64_t>(0);
  auto words = std::make_shared<std::vector<std::string>>();
  message->add_option("device", *dev)->required();
  message->add_option("sector", *sector, "A sector inside the target")->required();
  message->add_option("message", *words, "The message's words (dust: addbadblock 5)")
      ->required();
  message->callback([&r, dev, sector, words] {
    r.Run([&](Session& s) -> Status {
      std::string reply;
      LVLAB_RETURN_IF_ERROR(s.sys().kernel().Message(*dev, *sector, *words, &reply));
      if (!reply.empty()) s.ctx().out << reply << "\n";
      return Status::Ok();
    });
  });
  auto* remove = dm->add_subcommand("remove", "Remove a device");
  remove->add_option("device", *dev)->required();
  remove->callback([&r, dev] { r.Run([&](Session& s) { return s.sys().kernel().Remove(*dev); }); });
}

}  // namespace lvlab::tools
