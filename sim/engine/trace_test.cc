#include "sim/engine/trace.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <vector>

#include "sim/engine/scheduler.h"

namespace lvlab::engine {
namespace {

TEST(TraceTest, FormatsFieldsInOrder) {
  Scheduler s;
  Trace t(&s);
  std::ostringstream out;
  t.set_sink(&out);
  s.At(1234, [&] {
    t.Emit("bio-submit",
           {{"dev", "vg-lv"}, {"sector", uint64_t{2048}}, {"delta", -5}, {"fua", true}, {"n", 8u}});
  });
  s.RunUntilIdle();
  t.Emit("resume", {});
  EXPECT_EQ(out.str(),
            "{\"t\":1234,\"ev\":\"bio-submit\",\"dev\":\"vg-lv\",\"sector\":2048,\"delta\":-5,"
            "\"fua\":true,\"n\":8}\n"
            "{\"t\":1234,\"ev\":\"resume\"}\n");
  EXPECT_EQ(t.lines(), 2u);
  EXPECT_EQ(t.last_line(), "{\"t\":1234,\"ev\":\"resume\"}");
}

TEST(TraceTest, EscapesStrings) {
  Trace t;
  t.Emit("x", {{"s", std::string("a\"b\\c\nd\te\x01\x7f/é")}});
  EXPECT_EQ(t.last_line(), "{\"t\":0,\"ev\":\"x\",\"s\":\"a\\\"b\\\\c\\nd\\te\\u0001\\u007f/é\"}");
  std::string out;
  AppendJsonString(out, "\r\b\f");
  EXPECT_EQ(out, "\"\\r\\b\\f\"");
}

TEST(TraceTest, IntegerLimits) {
  Trace t;
  t.Emit("x", {{"max", UINT64_MAX}, {"min", INT64_MIN}, {"zero", int64_t{0}}});
  EXPECT_EQ(t.last_line(),
            "{\"t\":0,\"ev\":\"x\",\"max\":18446744073709551615,\"min\":-9223372036854775808,"
            "\"zero\":0}");
}

uint64_t RunScript(bool variant) {
  Scheduler s;
  Trace t(&s);
  for (int i = 0; i < 100; ++i) {
    s.After(static_cast<uint64_t>(i % 10), [&t, i, variant] {
      t.Emit("step", {{"i", i}, {"v", variant && i == 57 ? "b" : "a"}});
    });
  }
  s.RunUntilIdle();
  return t.hash();
}

TEST(TraceTest, HashIsDeterministicAndSensitive) {
  EXPECT_EQ(RunScript(false), RunScript(false));
  EXPECT_NE(RunScript(false), RunScript(true));
  Trace a, b;
  a.Emit("x", {{"k", 1}});
  a.Emit("y", {{"k", 2}});
  b.Emit("y", {{"k", 2}});
  b.Emit("x", {{"k", 1}});
  EXPECT_NE(a.hash(), b.hash());  // order matters
  EXPECT_NE(Trace().hash(), a.hash());
}

TEST(TraceTest, CountsPerType) {
  Trace t;
  t.Emit("suspend", {});
  t.Emit("resume", {});
  t.Emit("suspend", {});
  EXPECT_EQ(t.Count("suspend"), 2u);
  EXPECT_EQ(t.Count("resume"), 1u);
  EXPECT_EQ(t.Count("remove"), 0u);
  ASSERT_EQ(t.counts().size(), 2u);
  EXPECT_EQ(t.counts().begin()->first, "resume");  // sorted
}

TEST(TraceTest, ListenersSeeEveryLineAndMayReenter) {
  Trace t;
  std::vector<std::string> seen;
  uint64_t id = 0;
  id = t.Subscribe([&](std::string_view type, const std::string& line) {
    seen.push_back(std::string(type) + "|" + line);
    if (type == "a") t.Emit("b", {});  // re-entrant emit
    if (type == "c") t.Unsubscribe(id);
  });
  t.Emit("a", {});
  t.Emit("c", {});
  t.Emit("d", {});
  EXPECT_EQ(seen, (std::vector<std::string>{"a|{\"t\":0,\"ev\":\"a\"}", "b|{\"t\":0,\"ev\":\"b\"}",
                                            "c|{\"t\":0,\"ev\":\"c\"}"}));
  EXPECT_EQ(t.lines(), 4u);
}

TEST(TraceTest, FileSink) {
  Trace t;
  FILE* f = std::tmpfile();
  ASSERT_NE(f, nullptr);
  t.set_file_sink(f);
  t.Emit("x", {{"k", "v"}});
  std::rewind(f);
  char buf[128] = {};
  ASSERT_NE(std::fgets(buf, sizeof(buf), f), nullptr);
  EXPECT_STREQ(buf, "{\"t\":0,\"ev\":\"x\",\"k\":\"v\"}\n");
  std::fclose(f);
}

}  // namespace
}  // namespace lvlab::engine
