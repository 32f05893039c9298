// Regular expressions for `expect: status` (ECMAScript syntax, searched).
// Kept in one translation unit: GCC 12 warns falsely inside <regex> under
// the sanitizers (-Wmaybe-uninitialized), and the warning is silenced there
// only. Thread-compatible.
#pragma once

#include <string>

#include "sim/base/status.h"

namespace lvlab::scenarios {

// OK, or why `pattern` is not a regular expression.
Status CheckRegex(const std::string& pattern);
// True if `pattern` (REQUIRES: CheckRegex OK) matches somewhere in `text`.
bool RegexSearch(const std::string& text, const std::string& pattern);

}  // namespace lvlab::scenarios
