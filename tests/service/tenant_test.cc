// Tenant without a server: a failed commit leaves memory as the store has it, and the event-id
// filter never forgets an id.
#include "service/tenant.h"

#include <atomic>
#include <random>

#include <gtest/gtest.h>

#include "service/event_id_filter.h"
#include "service_test_util.h"
#include "store/memory_store.h"
#include "testing/status_matchers.h"

namespace pathwise::service {
namespace {

GraphDefinition ChainDefinition() {
  const v1::Graph graph = testing::ChainGraph();
  Result<CheckedGraph> checked = CheckGraph(&graph, nullptr, ServiceLimits{});
  EXPECT_TRUE(checked.ok() && checked->problems.empty());
  return checked.ok() ? checked->definition : GraphDefinition{};
}

TEST(TenantTest, AStoredGraphThatDoesNotLoadNamesTheTenantOnce) {
  ServerConfig config = testing::TwoTenantConfig();
  auto store = std::make_unique<store::MemoryStore>();
  ASSERT_OK(store->PutGraph(testing::kTenantA, "{not json"));
  Result<std::unique_ptr<PathwiseServer>> server = PathwiseServer::Start(config, std::move(store));
  ASSERT_FALSE(server.ok());
  const std::string& message = server.status().message();
  EXPECT_EQ(message.rfind("tenant 'tenant-a': stored graph version 1 does not load", 0), 0u)
      << message;
  EXPECT_EQ(message.find("tenant '", 1), std::string::npos) << message;
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
}  // namespace pathwise::service
