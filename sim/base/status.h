// Status and Result<T>: how expected failures travel in lvlab.
//
// A Status is either OK or an error code with a message written for the user:
// it names the object, says what is wrong and what to do. Broken invariants
// are not Statuses; they are LVLAB_CHECK failures (check.h).
// Both types are values: cheap to move, safe to copy, not thread-safe to
// share mutably.
#pragma once

#include <optional>
#include <string>
#include <utility>

#include "sim/base/check.h"

namespace lvlab {

enum class Code {
  kOk = 0,
  kInvalidArgument,  // the user asked for something malformed or impossible
  kNotFound,         // a named object does not exist
  kAlreadyExists,    // a name is taken
  kNoSpace,          // not enough free extents or room
  kIOError,          // a device failed
  kCorrupt,          // on-disk data does not parse or check
  kBusy,             // the object is locked, open or in use
  kFailedPrecondition,
  kUnsupported,
  kReadOnly,  // a write to a read-only device (EROFS)
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // Prefixes the message with context ("pv1: " + message).
  Status WithContext(const std::string& context) const {
    if (ok()) return *this;
    return Status(code_, context + ": " + message_);
  }

 private:
  Code code_ = Code::kOk;
  std::string message_;
};

inline Status InvalidArgument(std::string m) { return Status(Code::kInvalidArgument, std::move(m)); }
inline Status NotFound(std::string m) { return Status(Code::kNotFound, std::move(m)); }
inline Status AlreadyExists(std::string m) { return Status(Code::kAlreadyExists, std::move(m)); }
inline Status NoSpace(std::string m) { return Status(Code::kNoSpace, std::move(m)); }
inline Status IOError(std::string m) { return Status(Code::kIOError, std::move(m)); }
inline Status Corrupt(std::string m) { return Status(Code::kCorrupt, std::move(m)); }
inline Status Busy(std::string m) { return Status(Code::kBusy, std::move(m)); }
inline Status FailedPrecondition(std::string m) {
  return Status(Code::kFailedPrecondition, std::move(m));
}
inline Status Unsupported(std::string m) { return Status(Code::kUnsupported, std::move(m)); }
inline Status ReadOnly(std::string m) { return Status(Code::kReadOnly, std::move(m)); }

// Result<T> holds either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {  // NOLINT
    LVLAB_CHECK(!status_.ok()) << "Result built from an OK status without a value";
  }

  bool ok() const { return status_.ok(); }
  const Status& status() const { return status_; }
  T& value() & {
    LVLAB_CHECK(ok()) << status_.message();
    return *value_;
  }
  const T& value() const& {
    LVLAB_CHECK(ok()) << status_.message();
    return *value_;
  }
  T&& value() && {
    LVLAB_CHECK(ok()) << status_.message();
    return std::move(*value_);
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace lvlab

// Returns early from the enclosing function if `expr` (a Status) is not OK.
#define LVLAB_RETURN_IF_ERROR(expr)            \
  do {                                         \
    ::lvlab::Status _st = (expr);              \
    if (!_st.ok()) return _st;                 \
  } while (0)

#define LVLAB_CONCAT_INNER(a, b) a##b
#define LVLAB_CONCAT(a, b) LVLAB_CONCAT_INNER(a, b)
// LVLAB_ASSIGN_OR_RETURN(auto x, Foo()): declares x from a Result or returns its Status.
#define LVLAB_ASSIGN_OR_RETURN(lhs, expr) \
  LVLAB_ASSIGN_OR_RETURN_IMPL(LVLAB_CONCAT(_res_, __LINE__), lhs, expr)
#define LVLAB_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                                \
  if (!tmp.ok()) return tmp.status();               \
  lhs = std::move(tmp).value()
