// Test helpers for the mirror target tests: a DmTest fixture that finds the
// MirrorTarget of a device, records the recovery trace events and waits for
// sync. Test-only; not thread-safe.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sim/dm/device.h"
#include "sim/dm/mirror_target.h"
#include "sim/dm/test_util.h"

namespace lvlab::dm {

class MirrorTestBase : public DmTest {
 protected:
  static constexpr uint64_t kMs = 1'000'000;

  void SetUp() override {
    trace_.Subscribe([this](std::string_view type, const std::string& line) {
      if (type == "region-recovering") recovering_.push_back(Field(line, "region"));
      if (type == "region-recovered") recovered_.push_back(Field(line, "region"));
      lines_.push_back(line);
    });
  }

  // The integer value of "key":<n> in a trace line.
  static uint64_t Field(const std::string& line, const std::string& key) {
    const size_t at = line.find("\"" + key + "\":");
    EXPECT_NE(at, std::string::npos) << key << " in " << line;
    return std::stoull(line.substr(at + key.size() + 3));
  }

  MirrorTarget* Mirror(const std::string& name) {
    Device* d = kernel_.Find(name);
    EXPECT_NE(d, nullptr);
    if (d == nullptr || d->live_table() == nullptr) return nullptr;
    return dynamic_cast<MirrorTarget*>(d->live_table()->front().target.get());
  }

  std::string StatusOf(const std::string& name, bool inactive = false) {
    Result<std::string> s = kernel_.StatusLines(name, inactive);
    EXPECT_TRUE(s.ok()) << s.status().message();
    return s.ok() ? *s : "";
  }

  // Runs until every region of `name` is in sync.
  bool RunUntilSynced(const std::string& name) {
    MirrorTarget* m = Mirror(name);
    return m != nullptr && sched_.RunUntil([m] { return m->in_sync_regions() == m->nr_regions(); });
  }

  // Runs until `n` regions have been recovered since the test started.
  bool RunUntilRecovered(size_t n) {
    return sched_.RunUntil([this, n] { return recovered_.size() >= n; });
  }

  std::vector<uint64_t> recovering_;
  std::vector<uint64_t> recovered_;
  std::vector<std::string> lines_;
};

}  // namespace lvlab::dm
