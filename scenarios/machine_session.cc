#include "scenarios/machine_session.h"

#include <algorithm>
#include <memory>
#include <sstream>
#include <utility>
#include <vector>

#include "tools/cli.h"

namespace lvlab::scenarios {
namespace {

constexpr const char* kDryRun = "(dry run: nothing opened)";

// Sets up only the verb of `args` (reversed: the verb is last) when it is
// one of these, else every verb. Building CLI11's tree of every verb for
// each command was a fifth of a fuzz case; one verb parses the same.
void SetupVerbFor(CLI::App& app, tools::Runner& runner, const std::vector<std::string>& args) {
  static constexpr std::pair<const char*, void (*)(CLI::App&, tools::Runner&)> kVerbs[] = {
      {"pvmove", tools::SetupPvmove},     {"lvcreate", tools::SetupLvcreate},
      {"lvextend", tools::SetupLvextend}, {"lvremove", tools::SetupLvremove},
      {"lvchange", tools::SetupLvchange}, {"lvconvert", tools::SetupLvconvert},
      {"vgchange", tools::SetupVgchange},
  };
  if (!args.empty()) {
    for (const auto& [verb, setup] : kVerbs) {
      if (args.back() == verb) return setup(app, runner);
    }
  }
  tools::SetupVerbs(app, runner);
}

// Parses (and so runs) `words` with a fresh App: CLI11 keeps option state in
// the App and in the verbs' captured variables, so each command gets its own.
CommandResult Parse(tools::Runner& runner, const std::string& words) {
  CommandResult result;
  std::ostringstream out, err;
  runner.err = &err;
  runner.command_line = words;
  CLI::App app{"lvlab", "lvlab"};
  app.require_subcommand(1);
  app.fallthrough();
  std::vector<std::string> args = SplitWords(words);
  std::reverse(args.begin(), args.end());
  SetupVerbFor(app, runner, args);
  try {
    app.parse(args);
    result.exit_code = runner.exit_code;
  } catch (const CLI::CallForHelp& e) {
    app.exit(e, out, err);
  } catch (const CLI::CallForAllHelp& e) {
    app.exit(e, out, err);
  } catch (const CLI::ParseError& e) {
    app.exit(e, out, err);
    result.exit_code = tools::Runner::kBadArguments;
  }
  result.out = out.str();
  result.err = err.str();
  return result;
}

}  // namespace

std::vector<std::string> SplitWords(const std::string& line) {
  std::vector<std::string> words;
  std::string word;
  bool in_word = false;
  char quote = 0;
  for (char c : line) {
    if (quote) {
      if (c == quote) {
        quote = 0;
      } else {
        word += c;
      }
    } else if (c == '\'' || c == '"') {
      quote = c, in_word = true;
    } else if (c == ' ' || c == '\t' || c == '\n') {
      if (in_word) words.push_back(word);
      word.clear(), in_word = false;
    } else {
      word += c, in_word = true;
    }
  }
  if (in_word) words.push_back(word);
  return words;
}

CommandResult RunCommand(lvm::Machine& machine, const std::string& words) {
  tools::Runner runner;
  runner.open = [&machine](bool) -> Result<std::unique_ptr<tools::Session>> {
    return std::unique_ptr<tools::Session>(new MachineSession(&machine));
  };
  CommandResult r = Parse(runner, words);
  r.out = machine.TakeOut() + r.out;
  r.err = machine.TakeErr() + r.err;
  return r;
}

Status CheckCommand(const std::string& words) {
  tools::Runner runner;
  runner.open = [](bool) -> Result<std::unique_ptr<tools::Session>> {
    return FailedPrecondition(kDryRun);
  };
  CommandResult r = Parse(runner, words);
  if (r.exit_code == 0 || r.err.find(kDryRun) != std::string::npos) return Status::Ok();
  // The first line says what is wrong; CLI11 adds "Run with --help ...".
  std::string message = r.err.substr(0, r.err.find('\n'));
  const size_t first = message.find_first_not_of(' ');
  return InvalidArgument(first == std::string::npos ? "the CLI refuses it" : message.substr(first));
}

}  // namespace lvlab::scenarios
