// Tenant without a server: a failed commit leaves memory as the store has it, and the event-id
// filter never forgets an id.
#include "app/tenant.h"

#include <algorithm>
#include <atomic>
#include <random>

#include <gtest/gtest.h>

#include "app/event_id_filter.h"
#include "store/memory_store.h"
#include "testing/status_matchers.h"

namespace pathwise::app {
namespace {

// Three competencies in a chain a -> b -> c, an activity for each, and act.ab practising a and b.
GraphDefinition ChainDefinition() {
  GraphDefinition def;
  for (const std::string id : {"a", "b", "c"}) {
    Competency competency;
    competency.id = id;
    competency.name = "Competency " + id;
    def.competencies.push_back(competency);
    Activity activity;
    activity.id = "act." + id;
    activity.competencies = {{id, 1.0}};
    activity.expected_minutes = 4;
    def.activities.push_back(activity);
  }
  Activity ab;
  ab.id = "act.ab";
  ab.competencies = {{"a", 1.0}, {"b", 0.5}};
  ab.expected_minutes = 12;
  def.activities.push_back(ab);
  def.prerequisites = {{"a", "b", 1.0}, {"b", "c", 1.0}};
  return def;
}

TEST(TenantTest, FailedCommitLeavesMemoryAsTheStoreHasIt) {
  std::atomic<bool> fail{false};
  store::MemoryStoreOptions options;
  options.fault_hook_for_testing = [&fail](const store::EventBatch&) {
    return fail.load() ? Status::Unavailable("disk on fire") : Status::Ok();
  };
  store::MemoryStore store(options);
  ServiceLimits limits;
  Tenant tenant("t", &store, &limits);
  ASSERT_OK(tenant.Load());
  ASSERT_OK(tenant.PutGraph(ChainDefinition(), std::nullopt));
  ASSERT_OK(tenant.Record({{"e1", "ann", "act.a", 1.0, 10}}, false));
  Result<MasteryView> before = tenant.Mastery("ann", {}, false);
  ASSERT_OK(before);

  fail = true;
  Result<RecordOutcome> failed =
      tenant.Record({{"e2", "ann", "act.a", 0.0, 20}, {"e3", "bob", "act.b", 1.0, 30}}, false);
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(failed.status().code(), StatusCode::kUnavailable);
  Result<MasteryView> after = tenant.Mastery("ann", {}, false);
  ASSERT_OK(after);
  EXPECT_EQ(after->mastery.competencies[0].p_learned, before->mastery.competencies[0].p_learned);
  EXPECT_EQ(after->mastery.competencies[0].opportunities, 1u);
  EXPECT_EQ(tenant.Mastery("bob", {}, false).status().code(), StatusCode::kNotFound);

  fail = false;
  Result<RecordOutcome> retried =
      tenant.Record({{"e2", "ann", "act.a", 0.0, 20}, {"e3", "bob", "act.b", 1.0, 30}}, false);
  ASSERT_OK(retried);
  EXPECT_EQ(retried->recorded, 2u);
  Result<MasteryView> final_view = tenant.Mastery("ann", {}, false);
  ASSERT_OK(final_view);
  EXPECT_EQ(final_view->mastery.competencies[0].opportunities, 2u);
  Result<LearnerExport> exported = tenant.ExportLearner("ann");
  ASSERT_OK(exported);
  EXPECT_EQ(exported->events.size(), 2u);
}

TEST(TenantTest, RecordWithoutGraphIsFailedPrecondition) {
  store::MemoryStore store;
  ServiceLimits limits;
  Tenant tenant("t", &store, &limits);
  ASSERT_OK(tenant.Load());
  EXPECT_EQ(tenant.Record({{"e1", "ann", "act.a", 1.0, 10}}, false).status().code(),
            StatusCode::kFailedPrecondition);
}

// A course that reads the learners' answers (stalls, evidence) and tracks their pace.
RecommenderOptions StallOptions() {
  RecommenderOptions options;
  options.mastery.progress_weight = 1.0;
  options.mastery.stall_min_attempts = 3;
  options.mastery.stall_max_recent_correct = 0;
  options.mastery.mastery_recent_correct = 2;
  return options;
}

TrackerOptions PaceOptions() {
  TrackerOptions options;
  options.individual_pace = true;
  return options;
}

const store::PolicyState* FindPolicyState(const store::StoredLearner& state,
                                          const std::string& name) {
  for (const store::PolicyState& p : state.policy_states)
    if (p.policy == name) return &p;
  return nullptr;
}

// Every part's reason, whether or not it contributed.
std::vector<std::string> ReasonsOf(Tenant& tenant, const std::string& learner) {
  RecommendCall call;
  call.learner_id = learner;
  call.request.k = 3;
  Result<RecommendView> view = tenant.Recommend(call);
  EXPECT_OK(view);
  std::vector<std::string> out;
  if (view.ok())
    for (const Recommendation& r : view->recommendations)
      for (const PartScore& part : r.parts) out.push_back(r.activity_id + ": " + part.reason);
  return out;
}

TEST(TenantTest, PaceAndMasteryAnswersAreStoredWithTheEventsAndRestored) {
  std::atomic<bool> fail{false};
  store::MemoryStoreOptions store_options;
  store_options.fault_hook_for_testing = [&fail](const store::EventBatch&) {
    return fail.load() ? Status::Unavailable("disk on fire") : Status::Ok();
  };
  store::MemoryStore store(store_options);
  ServiceLimits limits;
  Tenant first("t", &store, &limits, StallOptions(), PaceOptions());
  ASSERT_OK(first.Load());
  ASSERT_OK(first.PutGraph(ChainDefinition(), std::nullopt));
  std::vector<Observation> events;
  for (int i = 0; i < 8; ++i)
    events.push_back({"e" + std::to_string(i), "ann", "act.a", i == 2 ? 1.0 : 0.0, 10 + i});
  ASSERT_OK(first.Record(events, false));
  const Engine& engine = *first.curriculum()->engine;
  Result<LearnerFactors> pace = engine.tracker().Pace("ann");
  ASSERT_OK(pace);
  EXPECT_LT(pace->learn_offset, 0.0);  // slower than the population: the pace was estimated

  // Both are in the store, committed with the events.
  Result<store::StoredLearner> stored = store.GetLearner("t", "ann");
  ASSERT_OK(stored);
  const store::PolicyState* stored_pace = FindPolicyState(*stored, "pace");
  const store::PolicyState* stored_answers = FindPolicyState(*stored, "mastery");
  ASSERT_NE(stored_pace, nullptr);
  ASSERT_NE(stored_answers, nullptr);
  EXPECT_EQ(stored_pace->state, *engine.tracker().SavePace("ann"));
  EXPECT_EQ(stored_answers->state, *engine.SaveLearnerState(PolicyKind::kMastery, "ann"));
  const std::vector<std::string> reasons = ReasonsOf(first, "ann");
  EXPECT_TRUE(std::any_of(reasons.begin(), reasons.end(), [](const std::string& r) {
    return r.find("stalled on a") != std::string::npos;
  })) << ::testing::PrintToString(reasons);

  // A failed commit reloads the learner from the store: the stored pace is restored as it was.
  fail = true;
  ASSERT_FALSE(first.Record({{"x1", "ann", "act.a", 1.0, 100}}, false).ok());
  fail = false;
  EXPECT_EQ(*first.curriculum()->engine->tracker().SavePace("ann"), stored_pace->state);

  // A restart (a new tenant on the same store) serves the same pace, answers and recommendations.
  Tenant second("t", &store, &limits, StallOptions(), PaceOptions());
  ASSERT_OK(second.Load());
  const Engine& reloaded = *second.curriculum()->engine;
  EXPECT_EQ(*reloaded.tracker().SavePace("ann"), stored_pace->state);
  EXPECT_EQ(*reloaded.tracker().Pace("ann"), *pace);
  EXPECT_EQ(*reloaded.SaveLearnerState(PolicyKind::kMastery, "ann"), stored_answers->state);
  EXPECT_EQ(ReasonsOf(second, "ann"), reasons);

  // A course without individual pace or stalls drops both records rather than keep stale ones.
  Tenant plain("t", &store, &limits);
  ASSERT_OK(plain.Load());
  stored = store.GetLearner("t", "ann");
  ASSERT_OK(stored);
  std::vector<std::string> names;
  for (const store::PolicyState& p : stored->policy_states) names.push_back(p.policy);
  EXPECT_EQ(names, std::vector<std::string>{"zpdes"});  // zpdes keeps its state in every course
}

TEST(EventIdFilterTest, NeverForgetsAndRarelyInventsAcrossGenerations) {
  EventIdFilter filter(/*initial_capacity=*/1000);
  constexpr int kInserted = 50000;  // grows through several generations
  for (int i = 0; i < kInserted; ++i) {
    filter.Insert("learner" + std::to_string(i % 97), "event" + std::to_string(i));
  }
  EXPECT_EQ(filter.size(), static_cast<size_t>(kInserted));
  for (int i = 0; i < kInserted; ++i) {
    ASSERT_TRUE(filter.MayContain("learner" + std::to_string(i % 97), "event" + std::to_string(i)))
        << i;
  }
  int false_positives = 0;
  constexpr int kProbed = 50000;
  for (int i = 0; i < kProbed; ++i) {
    false_positives +=
        filter.MayContain("learner" + std::to_string(i % 97), "other" + std::to_string(i)) ? 1 : 0;
  }
  // About 1-2% per generation, and a lookup checks every generation (4 here).
  EXPECT_LT(false_positives, kProbed / 10) << false_positives;
  // The pair, not the concatenation, is what is stored.
  EventIdFilter pairs;
  pairs.Insert("ab", "c");
  EXPECT_TRUE(pairs.MayContain("ab", "c"));
  EXPECT_FALSE(pairs.MayContain("a", "bc"));
}

TEST(EventIdFilterTest, BatchInsertsLargerThanAGenerationAreAllKept) {
  EventIdFilter filter(/*initial_capacity=*/100);
  std::vector<EventIdFilter::Key> keys;
  for (int batch = 0; batch < 3; ++batch) {
    keys.clear();
    // 90, then 900 (more than the room left and than the next generation), then 9000.
    const int size = batch == 0 ? 90 : batch == 1 ? 900 : 9000;
    for (int i = 0; i < size; ++i) {
      keys.push_back(EventIdFilter::KeyOf("ann", std::to_string(batch) + "/" + std::to_string(i)));
    }
    filter.InsertAll(keys);
  }
  EXPECT_EQ(filter.size(), 90u + 900u + 9000u);
  for (int batch = 0; batch < 3; ++batch) {
    const int size = batch == 0 ? 90 : batch == 1 ? 900 : 9000;
    for (int i = 0; i < size; ++i) {
      ASSERT_TRUE(filter.MayContain("ann", std::to_string(batch) + "/" + std::to_string(i)))
          << batch << "/" << i;
    }
  }
  int false_positives = 0;
  for (int i = 0; i < 10000; ++i) false_positives += filter.MayContain("bob", std::to_string(i));
  EXPECT_LT(false_positives, 1000) << false_positives;
}

}  // namespace
}  // namespace pathwise::app
