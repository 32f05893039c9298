#include "scenarios/status_regex.h"

// GCC 12 with -fsanitize=address reports -Wmaybe-uninitialized inside
// std::regex's own code (std::function moves in regex_automaton.h).
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

#include <regex>

namespace lvlab::scenarios {

Status CheckRegex(const std::string& pattern) {
  try {
    std::regex check(pattern);
  } catch (const std::regex_error& e) {
    return InvalidArgument("'" + pattern + "' is not a regular expression: " + e.what());
  }
  return Status::Ok();
}

bool RegexSearch(const std::string& text, const std::string& pattern) {
  return std::regex_search(text, std::regex(pattern));
}

}  // namespace lvlab::scenarios
