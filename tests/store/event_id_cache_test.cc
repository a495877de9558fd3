// The in-memory index of event-id hashes behind SqliteStore's duplicate detection.
#include "store/event_id_cache.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace pathwise::store::internal {
namespace {

IdHashSet SetOf(const std::vector<uint64_t>& hashes) {
  IdHashSet set;
  for (uint64_t hash : hashes) set.Insert(hash);
  return set;
}

TEST(IdHashSetTest, HoldsEveryInsertedHashAndNothingElse) {
  IdHashSet set;
  std::vector<uint64_t> inserted;
  for (uint64_t i = 1; i <= 5000; ++i) {
    const uint64_t hash = HashEventId("event-" + std::to_string(i));
    set.Insert(hash);
    set.Insert(hash);  // twice: still one element
    inserted.push_back(hash);
  }
  EXPECT_EQ(set.size(), inserted.size());
  for (uint64_t hash : inserted) EXPECT_TRUE(set.Contains(hash));
  int false_hits = 0;
  for (uint64_t i = 1; i <= 5000; ++i) {
    false_hits += set.Contains(HashEventId("other-" + std::to_string(i))) ? 1 : 0;
  }
  EXPECT_EQ(false_hits, 0);
}

TEST(IdHashSetTest, HashOfAnIdIsNeverZero) {
  EXPECT_NE(HashEventId(""), 0u);
  EXPECT_NE(HashEventId("x"), 0u);
}

TEST(EventIdCacheTest, EntryIsUsedOnlyForTheVersionItDescribes) {
  EventIdCache cache(100);
  cache.Install(7, 3, SetOf({11, 12}));
  bool has_11 = false;
  EXPECT_TRUE(cache.Read(7, 3, [&](const IdHashSet& ids) { has_11 = ids.Contains(11); }));
  EXPECT_TRUE(has_11);
  EXPECT_FALSE(cache.Read(7, 2, [](const IdHashSet&) {}));
  EXPECT_FALSE(cache.Read(7, 4, [](const IdHashSet&) {}));
  EXPECT_FALSE(cache.Read(8, 3, [](const IdHashSet&) {}));
}

TEST(EventIdCacheTest, AdvanceFromTheDescribedVersionAddsHashes) {
  EventIdCache cache(100);
  cache.Install(7, 3, SetOf({11}));
  cache.Advance(7, 3, 4, {12, 13});
  bool all = false;
  EXPECT_TRUE(cache.Read(7, 4, [&](const IdHashSet& ids) {
    all = ids.Contains(11) && ids.Contains(12) && ids.Contains(13);
  }));
  EXPECT_TRUE(all);
  EXPECT_EQ(cache.num_ids(), 3u);
}

TEST(EventIdCacheTest, AdvanceFromAnotherVersionForgetsTheLearner) {
  EventIdCache cache(100);
  cache.Install(7, 3, SetOf({11}));
  cache.Advance(7, 5, 6, {12});
  EXPECT_FALSE(cache.Read(7, 3, [](const IdHashSet&) {}));
  EXPECT_FALSE(cache.Read(7, 6, [](const IdHashSet&) {}));
  EXPECT_EQ(cache.num_ids(), 0u);
}

TEST(EventIdCacheTest, OlderInstallDoesNotReplaceNewerEntry) {
  EventIdCache cache(100);
  cache.Install(7, 5, SetOf({11, 12}));
  cache.Install(7, 4, SetOf({11}));  // a reader's older snapshot arriving late
  EXPECT_TRUE(cache.Read(7, 5, [](const IdHashSet&) {}));
  cache.Install(7, 6, SetOf({11, 12, 13}));
  EXPECT_TRUE(cache.Read(7, 6, [](const IdHashSet&) {}));
  EXPECT_EQ(cache.num_ids(), 3u);
}

TEST(EventIdCacheTest, LeastRecentlyUsedLearnersAreDroppedBeyondTheBudget) {
  EventIdCache cache(4);
  cache.Install(1, 1, SetOf({1, 2}));
  cache.Install(2, 1, SetOf({3, 4}));
  EXPECT_TRUE(cache.Read(1, 1, [](const IdHashSet&) {}));  // learner 1 is now the most recent
  cache.Install(3, 1, SetOf({5}));
  EXPECT_TRUE(cache.Read(1, 1, [](const IdHashSet&) {}));
  EXPECT_FALSE(cache.Read(2, 1, [](const IdHashSet&) {}));
  EXPECT_TRUE(cache.Read(3, 1, [](const IdHashSet&) {}));
  EXPECT_LE(cache.num_ids(), 4u);
}

TEST(EventIdCacheTest, ZeroBudgetKeepsNothing) {
  EventIdCache cache(0);
  cache.Install(1, 1, SetOf({1}));
  EXPECT_FALSE(cache.Read(1, 1, [](const IdHashSet&) {}));
  EXPECT_EQ(cache.num_ids(), 0u);
}

TEST(EventIdCacheTest, EraseForgetsTheLearner) {
  EventIdCache cache(100);
  cache.Install(1, 1, SetOf({1}));
  cache.Erase(1);
  cache.Erase(2);  // unknown: harmless
  EXPECT_FALSE(cache.Read(1, 1, [](const IdHashSet&) {}));
  EXPECT_EQ(cache.num_ids(), 0u);
}

}  // namespace
}  // namespace pathwise::store::internal
