#include <cstdio>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/engine.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

const BktParams kParams{/*prior=*/0.2, /*learn=*/0.3, /*forget=*/0.0, /*guess=*/0.1, /*slip=*/0.1};

// Groups: arith > basics, and an empty root group. Competencies: a, b in basics; c in arith; d in
// none. Prerequisites: a -> b -> c, a -> d. Every competency is mastered at 0.9.
CompetencyGraph MakeGraph() {
  GraphDefinition def;
  def.groups = {{"arith", "Arithmetic", ""}, {"basics", "Basics", "arith"}, {"empty", "Empty", ""}};
  for (const auto& [id, group] : std::vector<std::pair<std::string, std::string>>{
           {"a", "basics"}, {"b", "basics"}, {"c", "arith"}, {"d", ""}}) {
    Competency c;
    c.id = id;
    c.group = group;
    c.params = kParams;
    c.mastery_threshold = 0.9;
    def.competencies.push_back(c);
  }
  def.prerequisites = {{"a", "b"}, {"b", "c"}, {"a", "d"}};
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  EXPECT_OK(graph);
  return graph.ok() ? std::move(graph).value() : CompetencyGraph();
}

std::unique_ptr<Engine> MakeEngine() {
  Result<std::unique_ptr<Engine>> engine = Engine::Create(MakeGraph(), BktModel{});
  EXPECT_OK(engine);
  return engine.ok() ? std::move(engine).value() : nullptr;
}

// Records correct answers on `competency` until it is mastered; returns how many it took.
int Master(Engine& engine, const std::string& learner, const std::string& competency) {
  for (int n = 1; n <= 100; ++n) {
    Result<RecordResult> r = engine.Record({"", learner, competency, 1.0, n});
    EXPECT_OK(r);
    if (!r.ok()) return -1;
    if (r->updated.at(0).mastered) return n;
  }
  ADD_FAILURE() << competency << " never mastered";
  return -1;
}

double MeanOf(const LearnerMastery& mastery, const std::vector<std::string>& ids) {
  double sum = 0.0;
  for (const std::string& id : ids) {
    for (const MasteryEstimate& e : mastery.competencies) {
      if (e.competency_id == id) sum += e.p_learned;
    }
  }
  return sum / static_cast<double>(ids.size());
}

TEST(EngineTest, NewLearnerIsAtThePriorsWithoutError) {
  auto engine = MakeEngine();
  ASSERT_NE(engine, nullptr);
  const LearnerMastery mastery = engine->Mastery("newcomer");
  EXPECT_EQ(mastery.learner_id, "newcomer");
  ASSERT_EQ(mastery.competencies.size(), 4u);
  for (const MasteryEstimate& e : mastery.competencies) {
    EXPECT_EQ(e.p_learned, kParams.prior);
    EXPECT_FALSE(e.mastered);
    EXPECT_EQ(e.opportunities, 0u);
  }
  EXPECT_FALSE(engine->tracker().HasLearner("newcomer"));
}

TEST(EngineTest, FrontierAdvancesAsPrerequisitesAreMastered) {
  auto engine = MakeEngine();
  ASSERT_NE(engine, nullptr);
  EXPECT_EQ(engine->Frontier("ann"), (std::vector<std::string>{"a"}));

  // Practice short of mastery does not open anything.
  ASSERT_OK(engine->Record({"e1", "ann", "a", 1.0, 1}));
  ASSERT_FALSE(engine->Mastery("ann").competencies[0].mastered);
  EXPECT_EQ(engine->Frontier("ann"), (std::vector<std::string>{"a"}));

  // With no forgetting, the number of correct answers to reach 0.9 follows from the BKT update;
  // check it against an independent iteration of the formula.
  double p = kParams.prior;
  int expected = 0;
  while (p < 0.9) {
    const double post = p * 0.9 / (p * 0.9 + (1.0 - p) * 0.1);
    p = post + (1.0 - post) * 0.3;
    ++expected;
  }
  EXPECT_EQ(Master(*engine, "bob", "a"), expected);
  EXPECT_EQ(engine->Frontier("bob"), (std::vector<std::string>{"b", "d"}));
  Master(*engine, "bob", "b");
  EXPECT_EQ(engine->Frontier("bob"), (std::vector<std::string>{"c", "d"}));
  Master(*engine, "bob", "c");
  Master(*engine, "bob", "d");
  EXPECT_TRUE(engine->Frontier("bob").empty());
  // Other learners are untouched.
  EXPECT_EQ(engine->Frontier("ann"), (std::vector<std::string>{"a"}));
}

// Issue 13: the tracker's "mastered" (Mastery, Frontier, GroupRollup) and the policies' follow one
// evidence rule, set once for the engine.
TEST(EngineTest, TrackerAndPoliciesShareTheEvidenceBeforeMastered) {
  auto plain = MakeEngine();
  ASSERT_NE(plain, nullptr);
  const int threshold_alone = Master(*plain, "ann", "a");
  ASSERT_GE(threshold_alone, 1);

  auto engine = MakeEngine();
  ASSERT_NE(engine, nullptr);
  RecommenderOptions options;
  options.mastery.mastery_min_opportunities = threshold_alone + 2;
  ASSERT_OK(engine->SetRecommenderOptions(options));
  for (int n = 1; n <= threshold_alone; ++n) ASSERT_OK(engine->Record({"", "ann", "a", 1.0, n}));
  const LearnerMastery mastery = engine->Mastery("ann");
  EXPECT_GE(mastery.competencies[0].p_learned, 0.9);
  EXPECT_FALSE(mastery.competencies[0].mastered);
  EXPECT_EQ(engine->Frontier("ann"), (std::vector<std::string>{"a"}));
  RecommendRequest request;
  request.k = 1;
  Result<std::vector<Recommendation>> recs = engine->Recommend("ann", request);
  ASSERT_OK(recs);
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_EQ(recs->at(0).activity_id, "a");  // the policy agrees: a is not mastered yet
  EXPECT_EQ(Master(*engine, "ann", "a"), 2);
  EXPECT_EQ(engine->Frontier("ann"), (std::vector<std::string>{"b", "d"}));

  // Through EngineOptions, the policies start from the tracker's setting.
  EngineOptions from_tracker;
  from_tracker.tracker.mastery_min_opportunities = 4;
  from_tracker.tracker.mastery_recent_correct = 3;
  Result<std::unique_ptr<Engine>> other = Engine::Create(MakeGraph(), BktModel{}, from_tracker);
  ASSERT_OK(other);
  EXPECT_EQ((*other)->recommender_options().mastery.mastery_min_opportunities, 4);
  EXPECT_EQ((*other)->recommender_options().mastery.mastery_recent_correct, 3);
  // An invalid change leaves both as they were.
  RecommenderOptions bad;
  bad.mastery.mastery_min_opportunities = 0;
  EXPECT_EQ(engine->SetRecommenderOptions(bad).code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(engine->Mastery("ann").competencies[0].mastered);
}

TEST(EngineTest, GroupRollupAveragesMembersAndNeedsAllMastered) {
  auto engine = MakeEngine();
  ASSERT_NE(engine, nullptr);
  ASSERT_GT(Master(*engine, "cal", "a"), 0);
  ASSERT_OK(engine->Record({"", "cal", "c", 0.0, 1}));

  std::vector<GroupMastery> rollup = engine->GroupRollup("cal");
  ASSERT_EQ(rollup.size(), 3u);
  const LearnerMastery mastery = engine->Mastery("cal");

  EXPECT_EQ(rollup[0].group_id, "arith");  // a, b (through basics) and c
  EXPECT_EQ(rollup[0].members, 3u);
  EXPECT_EQ(rollup[0].members_mastered, 1u);
  EXPECT_NEAR(rollup[0].p_learned, MeanOf(mastery, {"a", "b", "c"}), 1e-15);
  EXPECT_FALSE(rollup[0].mastered);

  EXPECT_EQ(rollup[1].group_id, "basics");
  EXPECT_EQ(rollup[1].members, 2u);
  EXPECT_EQ(rollup[1].members_mastered, 1u);
  EXPECT_NEAR(rollup[1].p_learned, MeanOf(mastery, {"a", "b"}), 1e-15);
  EXPECT_FALSE(rollup[1].mastered);

  EXPECT_EQ(rollup[2].group_id, "empty");
  EXPECT_EQ(rollup[2].members, 0u);
  EXPECT_EQ(rollup[2].p_learned, 0.0);
  EXPECT_FALSE(rollup[2].mastered);

  // Mastering b completes basics but not arith, whose c is still unmastered.
  ASSERT_GT(Master(*engine, "cal", "b"), 0);
  rollup = engine->GroupRollup("cal");
  EXPECT_TRUE(rollup[1].mastered);
  EXPECT_EQ(rollup[1].members_mastered, 2u);
  EXPECT_FALSE(rollup[0].mastered);
  EXPECT_EQ(rollup[0].members_mastered, 2u);
  ASSERT_GT(Master(*engine, "cal", "c"), 0);
  rollup = engine->GroupRollup("cal");
  EXPECT_TRUE(rollup[0].mastered);
  EXPECT_NEAR(rollup[0].p_learned, MeanOf(engine->Mastery("cal"), {"a", "b", "c"}), 1e-15);
}

TEST(EngineTest, GroupRollupOfNewLearnerIsTheMeanPrior) {
  auto engine = MakeEngine();
  ASSERT_NE(engine, nullptr);
  const std::vector<GroupMastery> rollup = engine->GroupRollup("nobody");
  ASSERT_EQ(rollup.size(), 3u);
  EXPECT_NEAR(rollup[0].p_learned, kParams.prior, 1e-15);
  EXPECT_EQ(rollup[0].members_mastered, 0u);
}

TEST(EngineTest, RecordAndRecordBatchGoToTheTracker) {
  auto engine = MakeEngine();
  ASSERT_NE(engine, nullptr);
  Result<size_t> applied = engine->RecordBatch(
      {{"e1", "dee", "a", 1.0, 1}, {"e2", "dee", "b", 0.0, 2}, {"e1", "dee", "a", 1.0, 1}});
  ASSERT_OK(applied);
  EXPECT_EQ(*applied, 2u);
  EXPECT_TRUE(engine->tracker().HasLearner("dee"));
  Result<size_t> bad =
      engine->RecordBatch({{"e3", "dee", "a", 1.0, 3}, {"e4", "dee", "zzz", 1.0, 4}});
  EXPECT_EQ(bad.status().code(), StatusCode::kNotFound);
  EXPECT_NE(bad.status().message().find("observations[1].activity_id"), std::string::npos);
  EXPECT_EQ(engine->Mastery("dee").competencies[0].opportunities, 1u);
  EXPECT_EQ(engine->Record({"", "", "a", 1.0, 0}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(engine->graph().num_competencies(), 4u);
  EXPECT_EQ(engine->model().defaults, BktParams{});
}

TEST(EngineTest, CreateRejectsInvalidOptionsAndModel) {
  EngineOptions options;
  options.tracker.num_shards = -1;
  EXPECT_EQ(Engine::Create(MakeGraph(), BktModel{}, options).status().code(),
            StatusCode::kInvalidArgument);
  BktModel model;
  model.defaults.guess = 0.6;
  model.defaults.slip = 0.5;
  EXPECT_EQ(Engine::Create(MakeGraph(), model).status().code(), StatusCode::kInvalidArgument);
}

// Every reason of the learner's top recommendations toward c, joined.
std::string ReasonsFor(Engine& engine, const std::string& learner) {
  RecommendRequest request;
  request.goals = {"c"};
  request.k = 3;
  Result<std::vector<Recommendation>> recs = engine.Recommend(learner, request);
  EXPECT_OK(recs);
  std::string all;
  if (!recs.ok()) return all;
  for (const Recommendation& r : *recs) {
    for (const std::string& reason : r.reasons) all += reason + "\n";
  }
  return all;
}

TEST(EngineTest, ReasonsNameTheLearnersPaceOnlyWhenItIsFarFromThePopulation) {
  BktModel model;
  model.learner_factors["slow"] = {0.0, -1.5};
  model.learner_factors["ahead"] = {1.2, 0.0};
  model.learner_factors["near"] = {0.2, -0.3};  // odds within 1.5x: not worth a word
  Result<std::unique_ptr<Engine>> created = Engine::Create(MakeGraph(), model);
  ASSERT_OK(created);
  Engine& engine = **created;
  for (const char* learner : {"slow", "ahead", "near", "typical"}) {
    ASSERT_OK(engine.Record({"", learner, "a", 0.0, 1}));
  }
  const std::string slow = ReasonsFor(engine, "slow");
  EXPECT_NE(slow.find("at this learner's pace (learns at about 0.22 times the typical pace)"),
            std::string::npos)
      << slow;
  const std::string ahead = ReasonsFor(engine, "ahead");
  EXPECT_NE(ahead.find("at this learner's pace (started ahead of the typical learner)"),
            std::string::npos)
      << ahead;
  EXPECT_EQ(ReasonsFor(engine, "near").find("pace"), std::string::npos);
  EXPECT_EQ(ReasonsFor(engine, "typical").find("pace"), std::string::npos);
}

// --- Compaction (Engine::CompactMemory) ---

constexpr int kWideCompetencies = 100;

// "w0".."w99", each practised by its own id; w(i) needs w(i - 10), so that zones unlock.
std::unique_ptr<Engine> MakeWideEngine() {
  GraphDefinition def;
  for (int c = 0; c < kWideCompetencies; ++c) {
    Competency competency;
    competency.id = "w" + std::to_string(c);
    competency.params = kParams;
    def.competencies.push_back(competency);
    if (c >= 10) def.prerequisites.push_back({"w" + std::to_string(c - 10), competency.id});
  }
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  EXPECT_OK(graph);
  if (!graph.ok()) return nullptr;
  Result<std::unique_ptr<Engine>> engine = Engine::Create(std::move(graph).value(), BktModel{});
  EXPECT_OK(engine);
  return engine.ok() ? std::move(engine).value() : nullptr;
}

// Each learner answers every competency a few times, new ones one at a time as in a server.
std::vector<Observation> WideEvents(int learners, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<Observation> events;
  for (int l = 0; l < learners; ++l) {
    for (int round = 0; round < 3; ++round) {
      for (int c = 0; c < kWideCompetencies; ++c) {
        events.push_back({"", "L" + std::to_string(l), "w" + std::to_string(c),
                          rng() % 4 != 0 ? 1.0 : 0.0, int64_t(events.size())});
      }
    }
  }
  return events;
}

// Everything the engine answers about the learners, the doubles bit for bit.
std::string Answers(const Engine& engine, int learners) {
  std::string out;
  char number[64];
  for (int l = 0; l < learners; ++l) {
    const std::string learner = "L" + std::to_string(l);
    for (const MasteryEstimate& e : engine.Mastery(learner).competencies) {
      std::snprintf(number, sizeof(number), "%a/%u ", e.p_learned, e.opportunities);
      out += e.competency_id + "=" + number;
    }
    Result<std::string> zone = engine.SaveLearnerState(PolicyKind::kZpdes, learner);
    EXPECT_OK(zone);
    if (zone.ok()) out += "\nzone " + *zone + "\n";
    for (PolicyKind kind : {PolicyKind::kMastery, PolicyKind::kZpdes}) {
      RecommendRequest request;
      request.k = 3;
      Result<std::vector<Recommendation>> recs = engine.Recommend(learner, request, kind);
      EXPECT_OK(recs);
      if (!recs.ok()) continue;
      for (const Recommendation& r : *recs) {
        std::snprintf(number, sizeof(number), "%a", r.score);
        out += r.activity_id + ":" + number + " ";
      }
      out += "\n";
    }
  }
  return out;
}

TEST(EngineTest, CompactMemoryGivesBackTheTrackersAndTheZonesRoomAndChangesNoAnswer) {
  constexpr int kLearners = 12;
  auto grown = MakeWideEngine();
  auto twin = MakeWideEngine();  // recorded the same, never compacted
  ASSERT_NE(grown, nullptr);
  ASSERT_NE(twin, nullptr);
  const std::vector<Observation> events = WideEvents(kLearners, 8);
  ASSERT_OK(grown->RecordBatch(events));
  ASSERT_OK(twin->RecordBatch(events));
  const std::string before = Answers(*grown, kLearners);

  const size_t tracker_bytes = grown->tracker().EstimateMemory().bytes;
  EXPECT_GT(grown->tracker().CompactMemory(), 0u);
  EXPECT_LT(grown->tracker().EstimateMemory().bytes, tracker_bytes);
  // The tracker has nothing left: what the engine gives back now is the zones' room.
  EXPECT_GT(grown->CompactMemory(), 0u);
  EXPECT_EQ(grown->CompactMemory(), 0u);
  EXPECT_EQ(Answers(*grown, kLearners), before);

  // And it carries on exactly as the engine that was never compacted.
  const std::vector<Observation> more = WideEvents(kLearners + 3, 9);
  ASSERT_OK(grown->RecordBatch(more));
  ASSERT_OK(twin->RecordBatch(more));
  EXPECT_EQ(Answers(*grown, kLearners + 3), Answers(*twin, kLearners + 3));
}

}  // namespace
}  // namespace pathwise
