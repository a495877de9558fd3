// Data stored by the code before log-odds (tests/data/format_v1, written at commit f3ee615) still
// opens: the model file parses, the store's learner states decode, and a learner whose stored
// P(learned) had rounded to exactly 1.0 is moved by new evidence.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include <pathwise/io/graph_json.h>
#include <pathwise/io/model_json.h>
#include <pathwise/mastery_tracker.h>

#include "app/tenant.h"
#include "store/sqlite_store.h"
#include "store/store_test_util.h"  // tests/store
#include "testing/status_matchers.h"

namespace pathwise::app {
namespace {

const std::string kFixture = std::string(PATHWISE_SOURCE_DIR) + "/tests/data/format_v1";

TEST(StoredFormatTest, ModelFileOfTheOldFormatParses) {
  Result<BktModel> model = ReadModelFile(kFixture + "/model.json");
  ASSERT_OK(model);
  EXPECT_EQ(model->defaults, (BktParams{0.3, 0.2, 0.0, 0.2, 0.1}));
}

TEST(StoredFormatTest, StoreOfTheOldFormatOpensAndItsSaturatedLearnerRecovers) {
  store::testing::TempDir dir;
  std::filesystem::copy_file(kFixture + "/pathwise.db", dir.path() + "/pathwise.db");
  store::SqliteStoreOptions options;
  options.data_dir = dir.path();
  Result<std::unique_ptr<store::SqliteStore>> store = store::SqliteStore::Open(options);
  ASSERT_OK(store);

  // The states as stored: ann's P(learned) was exactly 1.0 and is read as the nearest probability
  // below 1, with finite log-odds; bob's value is unchanged.
  Result<store::StoredLearner> ann = (*store)->GetLearner("t1", "ann");
  ASSERT_OK(ann);
  ASSERT_EQ(ann->competencies.size(), 1u);
  EXPECT_EQ(ann->competencies[0].competency_id, "fractions.identify");
  EXPECT_EQ(ann->competencies[0].opportunities, 30u);
  EXPECT_TRUE(std::isfinite(ann->competencies[0].log_odds));
  EXPECT_GT(ann->competencies[0].log_odds, 36.0);
  Result<store::StoredLearner> bob = (*store)->GetLearner("t1", "bob");
  ASSERT_OK(bob);
  ASSERT_EQ(bob->competencies.size(), 1u);
  EXPECT_NEAR(bob->competencies[0].p_learned, 0.799791, 1e-6);

  // The tenant loads graph, model and learners from it, and new evidence moves ann: 30 correct then
  // 30 wrong answers end where a fresh tracker ends with the same 60 answers, far below 1.0.
  ServiceLimits limits;
  Tenant tenant("t1", store->get(), &limits);
  ASSERT_OK(tenant.Load());
  std::vector<Observation> wrong;
  for (int i = 0; i < 30; ++i) {
    wrong.push_back(
        {"w" + std::to_string(i), "ann", "fractions.identify", 0.0, 1800000000000 + 1000 * i});
  }
  ASSERT_OK(tenant.Record(wrong, false));
  Result<MasteryView> view = tenant.Mastery("ann", {"fractions.identify"}, false);
  ASSERT_OK(view);
  ASSERT_EQ(view->mastery.competencies.size(), 1u);
  Result<CompetencyGraph> graph =
      ReadGraphFile(std::string(PATHWISE_SOURCE_DIR) + "/examples/curriculum/fractions.json");
  ASSERT_OK(graph);
  // The fixture's model is stored under a name that is not the active model's, so the tenant runs
  // on the library's defaults.
  Result<std::unique_ptr<MasteryTracker>> fresh = MasteryTracker::Create(*graph, BktModel{});
  ASSERT_OK(fresh);
  for (int i = 0; i < 60; ++i) {
    ASSERT_OK((*fresh)->Record({"", "ann", "fractions.identify", i < 30 ? 1.0 : 0.0, 0}));
  }
  Result<MasteryEstimate> expected = (*fresh)->Mastery("ann", "fractions.identify");
  ASSERT_OK(expected);
  EXPECT_LT(expected->p_learned, 0.5);
  EXPECT_NEAR(view->mastery.competencies[0].p_learned, expected->p_learned, 1e-12);
  EXPECT_EQ(view->mastery.competencies[0].opportunities, 60u);
}

}  // namespace
}  // namespace pathwise::app
