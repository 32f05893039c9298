// LVLAB_CHECK: always-on assertions for broken invariants (bugs, not user
// errors). On failure it prints file:line, the condition and any streamed
// message to stderr and aborts. Thread-safe.
#pragma once

#include <sstream>

namespace lvlab::internal {

class CheckFailure {
 public:
  CheckFailure(const char* file, int line, const char* condition);
  [[noreturn]] ~CheckFailure();
  template <typename T>
  CheckFailure& operator<<(const T& v) {
    stream_ << v;
    return *this;
  }

 private:
  std::ostringstream stream_;
};

// Lets `LVLAB_CHECK(c) << x` compile to nothing-returning expressions.
struct Voidify {
  void operator&(const CheckFailure&) {}
};

}  // namespace lvlab::internal

#define LVLAB_CHECK(cond)                    \
  (cond) ? (void)0                           \
         : ::lvlab::internal::Voidify() &    \
               ::lvlab::internal::CheckFailure(__FILE__, __LINE__, #cond)
