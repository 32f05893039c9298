#include "sim/lvm/config_tree.h"

#include <gtest/gtest.h>

namespace lvlab::lvm {
namespace {

std::vector<ConfigNode> MustParse(std::string_view text) {
  auto r = ParseConfig(text);
  EXPECT_TRUE(r.ok()) << r.status().message();
  return r.ok() ? *r : std::vector<ConfigNode>{};
}

std::string ErrorOf(std::string_view text) {
  auto r = ParseConfig(text);
  EXPECT_FALSE(r.ok()) << "parsed: " << text;
  EXPECT_EQ(r.ok() ? Code::kOk : r.status().code(), Code::kCorrupt);
  return r.ok() ? "" : r.status().message();
}

TEST(ConfigTreeTest, ScalarsOfEveryKind) {
  auto n = MustParse(
      "a = 42\n"
      "b = -7\n"
      "c = 0.5\n"
      "d = \"say \\\"hi\\\" \\\\ there\"\n"
      "e = 'single \\ quoted'\n"
      "f = +3\n"
      "g = bare_word\n");
  ASSERT_EQ(n.size(), 7u);
  EXPECT_EQ(n[0].key, "a");
  EXPECT_EQ(n[0].value, ConfigValue::Int(42));
  EXPECT_EQ(n[1].value, ConfigValue::Int(-7));
  EXPECT_EQ(n[2].value, ConfigValue::Float(0.5));
  EXPECT_EQ(n[3].value, ConfigValue::Str("say \"hi\" \\ there"));
  EXPECT_EQ(n[4].value, ConfigValue::Str("single \\ quoted"));
  EXPECT_EQ(n[5].value, ConfigValue::Int(3));
  EXPECT_EQ(n[6].value, ConfigValue::Str("bare_word"));
  EXPECT_EQ(n[6].line, 7);
}

TEST(ConfigTreeTest, ArraysWithAndWithoutCommasAcrossLines) {
  auto n = MustParse(
      "status = [\"READ\", \"WRITE\"]\n"
      "empty = []\n"
      "stripes = [\n"
      "\t\"pv0\", 0,\t# first\n"
      "\t\"pv1\" 10   # no comma\n"
      "]\n");
  ASSERT_EQ(n.size(), 3u);
  EXPECT_EQ(n[0].value, ConfigValue::Array({ConfigValue::Str("READ"), ConfigValue::Str("WRITE")}));
  EXPECT_EQ(n[1].value, ConfigValue::Array({}));
  EXPECT_EQ(n[2].value, ConfigValue::Array({ConfigValue::Str("pv0"), ConfigValue::Int(0),
                                            ConfigValue::Str("pv1"), ConfigValue::Int(10)}));
}

TEST(ConfigTreeTest, SectionsCommentsAndOddNames) {
  auto n = MustParse(
      "# a comment line\n"
      "vg0 {   # comment after a brace\n"
      "id = \"x\"# glued comment\n"
      "  608dec48-a7f6-43ea-8319-87f99979a0db {\n"
      "\t\tsegment_count = 1\t# trailing\n"
      "  }\n"
      "\"quoted key\" = 1\n"
      "a.b+c_d-e = 2\n"
      "}# done\n");
  ASSERT_EQ(n.size(), 1u);
  const ConfigNode& vg = n[0];
  EXPECT_TRUE(vg.is_section);
  EXPECT_EQ(vg.key, "vg0");
  EXPECT_EQ(vg.line, 2);
  ASSERT_EQ(vg.children.size(), 4u);
  EXPECT_EQ(vg.children[0].comment, "glued comment");
  const ConfigNode* lv = vg.Find("608dec48-a7f6-43ea-8319-87f99979a0db");
  ASSERT_NE(lv, nullptr);
  EXPECT_TRUE(lv->is_section);
  ASSERT_NE(lv->Find("segment_count"), nullptr);
  EXPECT_EQ(lv->Find("segment_count")->value, ConfigValue::Int(1));
  EXPECT_EQ(lv->Find("segment_count")->comment, "trailing");
  EXPECT_EQ(lv->Find("segment_count")->line, 5);
  EXPECT_NE(vg.Find("quoted key"), nullptr);
  EXPECT_NE(vg.Find("a.b+c_d-e"), nullptr);
  EXPECT_EQ(vg.Find("missing"), nullptr);
}

TEST(ConfigTreeTest, NoIndentationAndWindowsLineEnds) {
  auto n = MustParse("x {\r\ny = 1\r\n}\r\n");
  ASSERT_EQ(n.size(), 1u);
  ASSERT_EQ(n[0].children.size(), 1u);
  EXPECT_EQ(n[0].children[0].value, ConfigValue::Int(1));
}

TEST(ConfigTreeTest, TextEndsAtNul) {
  auto n = MustParse(std::string_view("a = 1\n\0garbage {", 17));
  ASSERT_EQ(n.size(), 1u);
}

TEST(ConfigTreeTest, ErrorsNameTheLine) {
  EXPECT_EQ(ErrorOf("a = 1\nb = \"open\n\n"), "line 2: unterminated string (no closing \")");
  EXPECT_EQ(ErrorOf("a {\nb = 1\n"), "line 3: section 'a' (line 1) has no closing '}'");
  EXPECT_EQ(ErrorOf("a = 1\n}\n"), "line 2: unexpected '}' with no open section");
  EXPECT_EQ(ErrorOf("a = 1\n\nb 2\n"), "line 3: expected '=' or '{' after 'b', found '2'");
  EXPECT_EQ(ErrorOf("x = 12abc\n"), "line 1: bad number '12abc'");
  EXPECT_EQ(ErrorOf("x = 99999999999999999999\n"),
            "line 1: number '99999999999999999999' is out of range");
  EXPECT_EQ(ErrorOf("x = [1, [2]]\n"), "line 1: array 'x' may hold only scalars");
  EXPECT_EQ(ErrorOf("x = [1,\n2\n"), "line 3: array 'x' (line 1) has no closing ']'");
  EXPECT_EQ(ErrorOf("x =\n"), "line 2: expected a value after 'x ='");
  EXPECT_EQ(ErrorOf("= 1\n"), "line 1: expected a key, found '='");
  EXPECT_EQ(ErrorOf("x = }\n"), "line 1: expected a value for 'x', found '}'");
  std::string deep;
  for (int k = 0; k < 100; ++k) deep += "a {\n";
  EXPECT_EQ(ErrorOf(deep), "line 65: sections nested too deeply");
}

TEST(ConfigTreeTest, FormattedValuesReadBack) {
  const std::vector<ConfigValue> values = {
      ConfigValue::Int(0),
      ConfigValue::Int(INT64_MIN),
      ConfigValue::Int(INT64_MAX),
      ConfigValue::Float(0.1),
      ConfigValue::Float(-3),
      ConfigValue::Float(1e300),
      ConfigValue::Str(""),
      ConfigValue::Str("quote \" back \\ slash\nnew line # not a comment"),
      ConfigValue::Array({}),
      ConfigValue::Array({ConfigValue::Str("pv0"), ConfigValue::Int(5), ConfigValue::Float(2.5)}),
  };
  for (const ConfigValue& v : values) {
    const std::string text = "k = " + FormatConfigValue(v) + "\n";
    auto n = MustParse(text);
    ASSERT_EQ(n.size(), 1u) << text;
    EXPECT_EQ(n[0].value, v) << text;
  }
  EXPECT_EQ(FormatConfigValue(ConfigValue::Array({ConfigValue::Str("a"), ConfigValue::Int(1)})),
            "[\"a\", 1]");
  EXPECT_EQ(FormatConfigValue(ConfigValue::Float(2)), "2.0");
}

TEST(ConfigTreeTest, KeysAreQuotedOnlyWhenNeeded) {
  EXPECT_EQ(FormatConfigKey("608dec48-a7f6-43ea-8319-87f99979a0db"),
            "608dec48-a7f6-43ea-8319-87f99979a0db");
  EXPECT_EQ(FormatConfigKey("two words"), "\"two words\"");
  EXPECT_EQ(FormatConfigKey(""), "\"\"");
  for (std::string key : {"two words", "", "x=y", "a#b", "q\"q"}) {
    auto n = MustParse(FormatConfigKey(key) + " = 1\n");
    ASSERT_EQ(n.size(), 1u);
    EXPECT_EQ(n[0].key, key);
  }
}

}  // namespace
}  // namespace lvlab::lvm
