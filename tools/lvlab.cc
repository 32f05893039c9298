// lvlab: a laboratory for LVM-style volumes. See README.md.
#include <CLI/CLI.hpp>

#include <iostream>
#include <string>
#include <vector>

#include "tools/cli.h"
#include "tools/daemon.h"

int main(int argc, char** argv) {
  using namespace lvlab::tools;
  CLI::App app{"lvlab: a user-space laboratory for LVM-style volumes", "lvlab"};
  app.require_subcommand(1);
  app.fallthrough();
  Runner runner;
  // With a live daemon on the lab, every verb but mount, umount and run is
  // the daemon's to run (help is printed here).
  std::string lab_flag, verb;
  std::vector<std::string> words;
  bool help = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--lab" && i + 1 < argc) {
      lab_flag = argv[++i];
      continue;
    }
    if (arg.rfind("--lab=", 0) == 0) {
      lab_flag = arg.substr(6);
      continue;
    }
    if (verb.empty() && !arg.empty() && arg[0] != '-') verb = arg;
    help = help || arg == "-h" || arg == "--help";
    words.push_back(arg);
  }
  if (!help && !verb.empty() && verb != "mount" && verb != "umount" && verb != "run") {
    if (auto code = ForwardToDaemon(ResolveLabDir(lab_flag), words)) return *code;
  }
  app.add_option("--lab", runner.lab_flag, "Lab directory (default: $LVLAB_DIR, else ./lab)");
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--lab" && i + 1 < argc) {
      ++i;
      continue;
    }
    if (arg.rfind("--lab=", 0) == 0) continue;
    runner.command_line += (runner.command_line.empty() ? "" : " ") + arg;
  }
  SetupVerbs(app, runner);
  SetupRun(app, runner);
  SetupMount(app, runner);
  SetupFuzz(app, runner);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 3;
  }
  return runner.exit_code;
}
