#include "sim/store/range_map.h"

#include <gtest/gtest.h>

#include "sim/base/rng.h"

namespace lvlab::store {
namespace {

using E = RangeMap::Entry;

TEST(RangeMapTest, AssignSplitsAndReplaces) {
  RangeMap m;
  m.Assign(0, 100, 1);
  m.Assign(10, 20, 2);
  m.Assign(15, 30, 3);
  EXPECT_EQ(m.All(), (std::vector<E>{{0, 10, 1}, {10, 15, 2}, {15, 30, 3}, {30, 100, 1}}));
  m.Assign(0, 100, 4);
  EXPECT_EQ(m.All(), (std::vector<E>{{0, 100, 4}}));
}

TEST(RangeMapTest, AssignJoinsNeighboursOfTheSameValue) {
  RangeMap m;
  m.Assign(10, 20, 0);
  m.Assign(30, 40, 0);
  m.Assign(20, 30, 0);
  EXPECT_EQ(m.All(), (std::vector<E>{{10, 40, 0}}));
  m.Assign(40, 50, 1);
  m.Assign(0, 10, 1);
  EXPECT_EQ(m.All(), (std::vector<E>{{0, 10, 1}, {10, 40, 0}, {40, 50, 1}}));
  m.Assign(15, 25, 0);  // inside a run of its own value
  EXPECT_EQ(m.All(), (std::vector<E>{{0, 10, 1}, {10, 40, 0}, {40, 50, 1}}));
}

TEST(RangeMapTest, EraseTrimsBothEdges) {
  RangeMap m;
  m.Assign(0, 10, 1);
  m.Assign(10, 20, 2);
  m.Assign(20, 30, 3);
  m.Erase(5, 25);
  EXPECT_EQ(m.All(), (std::vector<E>{{0, 5, 1}, {25, 30, 3}}));
  m.Erase(0, 5);
  EXPECT_EQ(m.All(), (std::vector<E>{{25, 30, 3}}));
  m.Erase(26, 27);
  EXPECT_EQ(m.All(), (std::vector<E>{{25, 26, 3}, {27, 30, 3}}));
}

TEST(RangeMapTest, OverlapsAreClipped) {
  RangeMap m;
  m.Assign(0, 10, 1);
  m.Assign(20, 30, 2);
  EXPECT_EQ(m.Overlaps(5, 25), (std::vector<E>{{5, 10, 1}, {20, 25, 2}}));
  EXPECT_TRUE(m.Overlaps(10, 20).empty());
}

TEST(RangeMapTest, EraseValueKeepsOtherValues) {
  RangeMap m;
  m.Assign(0, 30, 1);
  m.Assign(10, 20, 2);
  m.EraseValue(0, 30, 1);
  EXPECT_EQ(m.All(), (std::vector<E>{{10, 20, 2}}));
}

TEST(RangeMapTest, FirstRunJoinsTouchingEntriesOfAnyValue) {
  RangeMap m;
  m.Assign(10, 20, 1);
  m.Assign(20, 30, 2);
  m.Assign(30, 35, 3);
  m.Assign(40, 50, 4);
  using Run = std::pair<uint64_t, uint64_t>;
  EXPECT_EQ(m.FirstRun(0, 100), Run(10, 35));
  EXPECT_EQ(m.FirstRun(25, 100), Run(25, 35));
  EXPECT_EQ(m.FirstRun(12, 22), Run(12, 22));
  EXPECT_EQ(m.FirstRun(35, 100), Run(40, 50));
  EXPECT_EQ(m.FirstRun(35, 40), std::nullopt);
  EXPECT_EQ(m.FirstRun(50, 100), std::nullopt);
  EXPECT_EQ(m.FirstRun(20, 20), std::nullopt);
}

// Against a plain array, over random assigns and erases.
TEST(RangeMapTest, MatchesAnArrayModel) {
  constexpr uint64_t kKeys = 64;
  constexpr uint64_t kNone = ~uint64_t{0};
  for (uint64_t seed = 0; seed < 50; ++seed) {
    Rng rng(seed);
    RangeMap m;
    std::vector<uint64_t> model(kKeys, kNone);
    for (int i = 0; i < 200; ++i) {
      const uint64_t a = rng.Uniform(kKeys);
      const uint64_t b = a + 1 + rng.Uniform(kKeys - a);
      const uint64_t op = rng.Uniform(3);
      const uint64_t v = rng.Uniform(4);
      if (op == 0) {
        m.Erase(a, b);
      } else if (op == 1) {
        m.EraseValue(a, b, v);
      } else {
        m.Assign(a, b, v);
      }
      for (uint64_t k = a; k < b; ++k) {
        if (op == 0 || (op == 1 && model[k] == v)) model[k] = kNone;
        if (op == 2) model[k] = v;
      }
      std::vector<uint64_t> got(kKeys, kNone);
      uint64_t last_end = 0;
      uint64_t last_value = kNone;
      for (const E& e : m.All()) {
        ASSERT_LT(e.start, e.end);
        ASSERT_GE(e.start, last_end) << "entries overlap";
        ASSERT_FALSE(e.start == last_end && e.value == last_value)
            << "two runs of one value side by side; seed " << seed << " step " << i;
        last_end = e.end;
        last_value = e.value;
        for (uint64_t k = e.start; k < e.end; ++k) got[k] = e.value;
      }
      ASSERT_EQ(got, model) << "seed " << seed << " step " << i;
      const uint64_t c = rng.Uniform(kKeys), d = c + 1 + rng.Uniform(kKeys - c);
      for (const E& e : m.Overlaps(c, d)) {
        ASSERT_TRUE(e.start >= c && e.end <= d);
      }
      std::optional<std::pair<uint64_t, uint64_t>> run;
      for (uint64_t k = c; k < d; ++k) {
        if (model[k] == kNone) {
          if (run) break;
        } else if (run) {
          run->second = k + 1;
        } else {
          run = std::pair{k, k + 1};
        }
      }
      ASSERT_EQ(m.FirstRun(c, d), run) << "seed " << seed << " step " << i;
    }
  }
}

}  // namespace
}  // namespace lvlab::store
