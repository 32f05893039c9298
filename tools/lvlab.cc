// lvlab: a laboratory for LVM-style volumes. See README.md.
#include <CLI/CLI.hpp>

#include <iostream>

#include "tools/cli.h"

int main(int argc, char** argv) {
  using namespace lvlab::tools;
  CLI::App app{"lvlab: a user-space laboratory for LVM-style volumes", "lvlab"};
  app.require_subcommand(1);
  app.fallthrough();
  Runner runner;
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
