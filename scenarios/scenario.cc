#include "scenarios/scenario.h"

#include <cstdio>
#include <cstdlib>

namespace lvlab::scenarios {
namespace {

// A number, ignoring a trailing '%' (copy_percent "50.00", "70%").
bool AsNumber(std::string text, double* out) {
  if (!text.empty() && text.back() == '%') text.pop_back();
  if (text.empty()) return false;
  char* end = nullptr;
  *out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

const char* OpText(Comparison::Op op) {
  switch (op) {
    case Comparison::Op::kEq:
      return "==";
    case Comparison::Op::kNe:
      return "!=";
    case Comparison::Op::kLt:
      return "<";
    case Comparison::Op::kLe:
      return "<=";
    case Comparison::Op::kGt:
      return ">";
    case Comparison::Op::kGe:
      return ">=";
  }
  return "?";
}

}  // namespace

bool Comparison::IsNumeric() const {
  double v = 0;
  return AsNumber(value, &v);
}

bool Comparison::Matches(const std::string& seen) const {
  double want = 0, got = 0;
  if (AsNumber(value, &want) && AsNumber(seen, &got)) {
    switch (op) {
      case Op::kEq:
        return got == want;
      case Op::kNe:
        return got != want;
      case Op::kLt:
        return got < want;
      case Op::kLe:
        return got <= want;
      case Op::kGt:
        return got > want;
      case Op::kGe:
        return got >= want;
    }
  }
  if (op == Op::kEq) return seen == value;
  if (op == Op::kNe) return seen != value;
  return false;  // an ordered comparison with a value that is not a number
}

std::string Comparison::ToString() const { return std::string(OpText(op)) + " " + value; }

std::string FormatDuration(uint64_t ns) {
  char buf[64];
  if (ns % kNsPerSecond == 0) {
    std::snprintf(buf, sizeof buf, "%llus", static_cast<unsigned long long>(ns / kNsPerSecond));
  } else if (ns >= kNsPerSecond) {
    std::snprintf(buf, sizeof buf, "%llu.%03llus",
                  static_cast<unsigned long long>(ns / kNsPerSecond),
                  static_cast<unsigned long long>(ns % kNsPerSecond / 1'000'000));
  } else if (ns % 1'000'000 == 0 || ns >= 1'000'000) {
    std::snprintf(buf, sizeof buf, "%llums", static_cast<unsigned long long>(ns / 1'000'000));
  } else {
    std::snprintf(buf, sizeof buf, "%lluus", static_cast<unsigned long long>(ns / 1'000));
  }
  return buf;
}

std::string Condition::ToString() const {
  switch (kind) {
    case Kind::kNone:
      return "";
    case Kind::kAt:
      return "at " + FormatDuration(time_ns);
    case Kind::kAfter:
      return "after " + FormatDuration(time_ns);
    case Kind::kField:
      return "when " + std::string(object_is_pv ? "pv " : "lv ") + object + " " + field + " " +
             cmp.ToString();
    case Kind::kEvent:
      return "when event " + event + " count " + cmp.ToString();
    case Kind::kIdle:
      return "when idle";
  }
  return "";
}

std::string Step::Describe() const {
  switch (action) {
    case Action::kRun:
      return "run: " + command;
    case Action::kCrash:
      return std::string("crash: {lose: ") + store::LossPolicyName(lose) +
             (during ? ", during: " + during->what +
                           (during->pv.empty() ? "" : ", pv: " + during->pv) +
                           (during->count == 1 ? "" : ", count: " + std::to_string(during->count))
                     : "") +
             (crash_after_writes >= 0 ? ", writes: " + std::to_string(crash_after_writes) : "") +
             "}";
    case Action::kFault: {
      store::DiskFaults f;
      fault.change.ApplyTo(&f, 0);
      std::string what = fault.change.restore ? "restore" : "";
      if (f.any() || what.empty()) what += (what.empty() ? "" : ", then ") + f.Describe();
      return "fault: {pv: " + fault.pv + ", " + what + "}";
    }
    case Action::kWorkloadStart:
      return "workload: {start: " + workload.lv + "}";
    case Action::kWorkloadStop:
      return "workload: {stop: " + stop_lv + "}";
    case Action::kFio: {
      std::string words;
      for (const std::string& a : fio.args) words += (words.empty() ? "" : " ") + a;
      return "fio: " + words + (fio.background ? " (background)" : "");
    }
    case Action::kWaitFio:
      return "wait: fio";
    case Action::kNone:
      break;
  }
  if (!expect.empty()) return "expect";
  return condition.kind == Condition::Kind::kNone ? "(nothing)" : "wait " + condition.ToString();
}

}  // namespace lvlab::scenarios
