#include <algorithm>
#include <cmath>
#include <cstdint>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/bkt.h>
#include <pathwise/competency_graph.h>
#include <pathwise/engine.h>
#include <pathwise/model.h>
#include <pathwise/recommender.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

constexpr TimestampMs kDayMs = 86400000;
constexpr TimestampMs kStart = 1700000000000;  // an arbitrary "now" for review tests

Competency Comp(const std::string& id) {
  Competency c;
  c.id = id;
  return c;
}

double Unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// identify -> equivalent -> {add, multiply}; decimals stands alone. Two activities per competency
// ("<id>.1", "<id>.2"), plus "mixed" practising add and multiply.
CompetencyGraph FractionsGraph() {
  GraphDefinition def;
  def.groups = {{"fractions", "Fractions", ""}};
  for (const char* id : {"fractions.identify", "fractions.equivalent", "fractions.add",
                         "fractions.multiply", "decimals"}) {
    Competency c;
    c.id = id;
    if (std::string(id) != "decimals") c.group = "fractions";
    def.competencies.push_back(c);
    for (int i = 1; i <= 2; ++i) {
      Activity a;
      a.id = std::string(id) + "." + std::to_string(i);
      a.competencies = {{id, 1.0}};
      a.expected_minutes = i == 1 ? 5.0 : 15.0;
      def.activities.push_back(a);
    }
  }
  Activity mixed;
  mixed.id = "mixed";
  mixed.competencies = {{"fractions.add", 0.5}, {"fractions.multiply", 0.5}};
  def.activities.push_back(mixed);
  def.prerequisites = {{"fractions.identify", "fractions.equivalent"},
                       {"fractions.equivalent", "fractions.add"},
                       {"fractions.equivalent", "fractions.multiply"}};
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  EXPECT_OK(graph);
  return graph.ok() ? std::move(graph).value() : CompetencyGraph();
}

std::unique_ptr<Policy> Make(PolicyKind kind, const CompetencyGraph& graph,
                             const RecommenderOptions& options = {},
                             const BktModel& model = BktModel{}) {
  Result<std::unique_ptr<Policy>> policy = MakePolicy(kind, graph, model, options);
  EXPECT_OK(policy);
  return policy.ok() ? std::move(policy).value() : nullptr;
}

uint32_t IndexOf(const CompetencyGraph& graph, const std::string& id) {
  const std::vector<const Competency*> all = graph.competencies();
  for (uint32_t i = 0; i < all.size(); ++i)
    if (all[i]->id == id) return i;
  ADD_FAILURE() << "no competency " << id;
  return 0;
}

struct Entry {
  std::string id;
  double p;
  uint32_t opportunities = 3;  // enough evidence for mastery_min_opportunities
  TimestampMs last_ms = 0;
};

LearnerState State(const CompetencyGraph& graph, const std::vector<Entry>& entries) {
  LearnerState state;
  state.learner_id = "ann";
  for (const Entry& e : entries)
    state.competencies.push_back({IndexOf(graph, e.id), e.p, e.opportunities, e.last_ms});
  return state;
}

std::vector<std::string> Ids(const std::vector<Recommendation>& recs) {
  std::vector<std::string> ids;
  for (const Recommendation& r : recs) ids.push_back(r.activity_id);
  return ids;
}

// A random DAG (edges only from lower to higher index, so acyclic), random strengths, 1-3
// activities per competency, some practising two competencies.
CompetencyGraph RandomGraph(std::mt19937_64& rng, int n) {
  GraphDefinition def;
  for (int i = 0; i < n; ++i) {
    Competency c;
    c.id = "c" + std::to_string(i);
    c.mastery_threshold = 0.8 + 0.15 * Unit(rng);
    def.competencies.push_back(c);
  }
  for (int to = 1; to < n; ++to) {
    const int edges = static_cast<int>(rng() % 3);
    std::set<int> from;
    for (int e = 0; e < edges; ++e) from.insert(static_cast<int>(rng() % to));
    for (int f : from)
      def.prerequisites.push_back({"c" + std::to_string(f), "c" + std::to_string(to),
                                   Unit(rng) < 0.7 ? 1.0 : 0.3 + 0.5 * Unit(rng)});
  }
  int next = 0;
  for (int i = 0; i < n; ++i) {
    const int count = 1 + static_cast<int>(rng() % 3);
    for (int j = 0; j < count; ++j) {
      Activity a;
      a.id = "a" + std::to_string(next++);
      a.competencies = {{"c" + std::to_string(i), 1.0}};
      if (Unit(rng) < 0.2) {
        const int other = static_cast<int>(rng() % n);
        if (other != i) a.competencies.push_back({"c" + std::to_string(other), 0.5});
      }
      if (Unit(rng) < 0.5) a.difficulty = Unit(rng);
      a.expected_minutes = 1.0 + 20.0 * Unit(rng);
      def.activities.push_back(a);
    }
  }
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  EXPECT_OK(graph);
  return graph.ok() ? std::move(graph).value() : CompetencyGraph();
}

// Random mastery for a random subset of competencies: mostly near 0 or near 1 so that frontiers are
// interesting, with random opportunities and practice times.
LearnerState RandomState(std::mt19937_64& rng, size_t n) {
  LearnerState state;
  state.learner_id = "random";
  for (uint32_t c = 0; c < n; ++c) {
    if (Unit(rng) < 0.4) continue;
    const double u = Unit(rng);
    const double p = u < 0.45 ? 0.9 + 0.1 * Unit(rng) : (u < 0.9 ? 0.5 * Unit(rng) : Unit(rng));
    state.competencies.push_back({c, p, static_cast<uint32_t>(rng() % 8),
                                  kStart - static_cast<TimestampMs>(rng() % (30 * kDayMs))});
  }
  std::shuffle(state.competencies.begin(), state.competencies.end(), rng);
  return state;
}

TEST(RecommenderTest, LockedActivityIsNeverRecommendedUnderHardGating) {
  const uint64_t seed = 20260901;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  int checked = 0;
  for (int trial = 0; trial < 60; ++trial) {
    const CompetencyGraph graph = RandomGraph(rng, 10 + static_cast<int>(rng() % 40));
    RecommenderOptions options;
    options.mastery.gating = Gating::kHard;
    options.mastery.soft_min_readiness =
        0.0;  // let soft prerequisites through, so only gating stops it
    for (PolicyKind kind : {PolicyKind::kMastery, PolicyKind::kRandom}) {
      std::unique_ptr<Policy> policy = Make(kind, graph, options);
      ASSERT_NE(policy, nullptr);
      for (int s = 0; s < 10; ++s) {
        const LearnerState state = RandomState(rng, graph.num_competencies());
        std::map<std::string, double> p;
        for (const Competency* c : graph.competencies()) p[c->id] = BktParams{}.prior;
        const std::vector<const Competency*> all = graph.competencies();
        for (const CompetencyState& e : state.competencies) p[all[e.competency]->id] = e.p_learned;
        RecommendRequest request;
        request.k = 1000;
        request.now_ms = kStart;
        Result<std::vector<Recommendation>> recs = policy->Recommend(state, request);
        ASSERT_OK(recs);
        for (const Recommendation& r : *recs) {
          for (const std::string& c : r.competency_ids) {
            for (const Prerequisite& pre : graph.PrerequisitesOf(c)) {
              if (pre.strength < 1.0) continue;
              // The mastery policy opens a competency at its advance point, random at mastery.
              const double threshold = graph.FindCompetency(pre.from)->mastery_threshold;
              const double gate = kind == PolicyKind::kMastery
                                      ? std::min(threshold, options.mastery.advance_threshold)
                                      : threshold;
              EXPECT_GE(p[pre.from], gate)
                  << PolicyKindName(kind) << " recommended " << r.activity_id << " practising " << c
                  << " whose hard prerequisite " << pre.from << " is unmastered";
              ++checked;
            }
          }
        }
      }
    }
  }
  EXPECT_GT(checked, 100);  // the property was exercised, not vacuously true
}

TEST(RecommenderTest, HardGatingOpensAtTheAdvanceThresholdBeforeMastery) {
  const CompetencyGraph graph = FractionsGraph();
  // identify at 0.92: past an advance point of 0.9 but short of mastery (0.95).
  const LearnerState state = State(graph, {{"fractions.identify", 0.92}, {"decimals", 0.97}});
  RecommendRequest request;
  request.k = 20;
  RecommenderOptions wait;
  wait.mastery.advance_threshold = 1.0;  // waits for mastery
  Result<std::vector<Recommendation>> waiting =
      Make(PolicyKind::kMastery, graph, wait)->Recommend(state, request);
  ASSERT_OK(waiting);
  ASSERT_FALSE(waiting->empty());
  for (const Recommendation& r : *waiting) EXPECT_EQ(r.competency_ids[0], "fractions.identify");

  RecommenderOptions advance;
  advance.mastery.advance_threshold = 0.9;
  Result<std::vector<Recommendation>> advanced =
      Make(PolicyKind::kMastery, graph, advance)->Recommend(state, request);
  ASSERT_OK(advanced);
  const std::vector<std::string> ids = Ids(*advanced);
  EXPECT_NE(std::find(ids.begin(), ids.end(), "fractions.equivalent.1"), ids.end());
  for (const Recommendation& r : *advanced) {
    if (r.activity_id != "fractions.equivalent.1") continue;
    EXPECT_EQ(r.parts[0].value, 1.0);
    EXPECT_EQ(r.parts[0].reason, "prerequisite fractions.identify far enough to go on (0.92)");
  }
  // identify is no longer new material: it comes back only as review (none is due here).
  EXPECT_EQ(std::find(ids.begin(), ids.end(), "fractions.identify.1"), ids.end());

  RecommenderOptions bad;
  bad.mastery.advance_threshold = 0.0;
  EXPECT_EQ(bad.Validate().message(),
            "mastery.advance_threshold must be in (0.00, 1.00], got 0.000000");
}

TEST(RecommenderTest, SoftGatingAllowsWhatHardGatingLocks) {
  const CompetencyGraph graph = FractionsGraph();
  // identify is learned half-way: equivalent is locked under hard gating.
  const LearnerState state = State(graph, {{"fractions.identify", 0.6}, {"decimals", 0.97}});
  RecommendRequest request;
  request.k = 20;
  RecommenderOptions wait;
  wait.mastery.advance_threshold = 1.0;  // readiness relative to mastery (0.95)
  std::unique_ptr<Policy> hard = Make(PolicyKind::kMastery, graph, wait);
  Result<std::vector<Recommendation>> locked = hard->Recommend(state, request);
  ASSERT_OK(locked);
  for (const Recommendation& r : *locked) EXPECT_EQ(r.competency_ids[0], "fractions.identify");

  RecommenderOptions soft = wait;
  soft.mastery.gating = Gating::kSoft;
  soft.mastery.soft_min_readiness = 0.5;  // identify is at 0.6 / 0.95 = 0.63 of mastery
  Result<std::vector<Recommendation>> open =
      Make(PolicyKind::kMastery, graph, soft)->Recommend(state, request);
  ASSERT_OK(open);
  const std::vector<std::string> ids = Ids(*open);
  EXPECT_NE(std::find(ids.begin(), ids.end(), "fractions.equivalent.1"), ids.end());
  for (const Recommendation& r : *open) {
    if (r.activity_id != "fractions.equivalent.1") continue;
    EXPECT_NEAR(r.parts[0].value, 0.6 / 0.95, 1e-9);
    EXPECT_EQ(r.parts[0].reason, "prerequisite fractions.identify not yet mastered (0.60)");
  }
}

TEST(RecommenderTest, ReasonsMatchPartScores) {
  const uint64_t seed = 77;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  int checked = 0;
  for (int trial = 0; trial < 20; ++trial) {
    const CompetencyGraph graph = RandomGraph(rng, 30);
    RecommenderOptions options;
    options.mastery.gating = trial % 2 == 0 ? Gating::kHard : Gating::kSoft;
    std::unique_ptr<Policy> policy = Make(PolicyKind::kMastery, graph, options);
    for (int s = 0; s < 10; ++s) {
      const LearnerState state = RandomState(rng, graph.num_competencies());
      RecommendRequest request;
      request.k = 8;
      request.goals = {"c" + std::to_string(rng() % 30)};
      request.now_ms = kStart;
      Result<std::vector<Recommendation>> recs = policy->Recommend(state, request);
      ASSERT_OK(recs);
      for (const Recommendation& r : *recs) {
        ASSERT_EQ(r.parts.size(), 7u);
        double sum = 0.0;
        std::vector<std::pair<double, std::string>> expected;
        for (size_t i = 0; i < r.parts.size(); ++i) {
          const PartScore& part = r.parts[i];
          EXPECT_EQ(static_cast<size_t>(part.part), i);
          EXPECT_GE(part.value, 0.0);
          EXPECT_LE(part.value, 1.0);
          sum += part.contribution();
          // A part with a positive value always explains itself.
          if (part.value > 0.0) {
            EXPECT_FALSE(part.reason.empty()) << ScorePartName(part.part);
          }
          if (part.contribution() > 0.0) expected.push_back({part.contribution(), part.reason});
        }
        std::stable_sort(expected.begin(), expected.end(),
                         [](const auto& a, const auto& b) { return a.first > b.first; });
        std::vector<std::string> reasons;
        for (const auto& e : expected) reasons.push_back(e.second);
        EXPECT_EQ(r.reasons, reasons);
        EXPECT_NEAR(r.score, sum, 1e-12);
        // Difficulty fit reports the same prediction as predicted_correct.
        if (r.parts[2].value > 0.0) {
          char buffer[64];
          std::snprintf(buffer, sizeof(buffer), "predicted success %.2f (target 0.70)",
                        r.predicted_correct);
          EXPECT_EQ(r.parts[2].reason, buffer);
        }
        ++checked;
      }
      for (size_t i = 1; i < recs->size(); ++i) EXPECT_GE((*recs)[i - 1].score, (*recs)[i].score);
    }
  }
  EXPECT_GT(checked, 500);
}

TEST(RecommenderTest, ReadinessReasonNamesTheMasteredPrerequisite) {
  const CompetencyGraph graph = FractionsGraph();
  const LearnerState state = State(graph, {{"fractions.identify", 0.97}});
  RecommendRequest request;
  request.goals = {"fractions.add"};
  request.k = 1;
  Result<std::vector<Recommendation>> recs =
      Make(PolicyKind::kMastery, graph)->Recommend(state, request);
  ASSERT_OK(recs);
  ASSERT_EQ(recs->size(), 1u);
  const Recommendation& r = (*recs)[0];
  EXPECT_EQ(r.competency_ids, std::vector<std::string>{"fractions.equivalent"});
  EXPECT_EQ(r.parts[0].reason, "prerequisite fractions.identify mastered (0.97)");
  EXPECT_EQ(r.parts[1].value, 1.0);
  EXPECT_EQ(r.parts[1].reason, "on the path to the goal");
  // P(correct) at the prior 0.1 with guess 0.2, slip 0.1.
  const double predicted = PredictCorrect(0.1, 0.2, 0.1);
  EXPECT_NEAR(r.predicted_correct, predicted, 1e-12);
  EXPECT_NEAR(r.parts[2].value, 1.0 - std::abs(predicted - 0.7) / 0.7, 1e-12);
}

TEST(RecommenderTest, ReviewDueFollowsTheHalfLife) {
  const CompetencyGraph graph = FractionsGraph();
  // identify mastered 9 days ago; equivalent mastered today. Only identify is due.
  const LearnerState state = State(graph, {{"fractions.identify", 0.99, 5, kStart - 9 * kDayMs},
                                           {"fractions.equivalent", 0.96, 5, kStart},
                                           {"fractions.add", 0.98, 5, kStart},
                                           {"fractions.multiply", 0.98, 5, kStart},
                                           {"decimals", 0.99, 5, kStart}});
  RecommenderOptions options;
  options.mastery.review_half_life_days = 14.0;
  RecommendRequest request;
  request.k = 10;
  request.now_ms = kStart;
  Result<std::vector<Recommendation>> recs =
      Make(PolicyKind::kMastery, graph, options)->Recommend(state, request);
  ASSERT_OK(recs);
  ASSERT_FALSE(recs->empty());
  const double retention = std::exp2(-9.0 / 14.0);
  for (const Recommendation& r : *recs) {
    // Everything else is mastered and fresh, so only identify's activities are candidates.
    EXPECT_EQ(r.competency_ids, std::vector<std::string>{"fractions.identify"});
    EXPECT_NEAR(r.parts[4].value, 1.0 - retention, 1e-6);
    char expected[128];
    std::snprintf(expected, sizeof(expected), "review due: last practised 9 days ago (recall %.2f)",
                  0.99 * retention);
    EXPECT_EQ(r.parts[4].reason, expected);
  }
  // With no time passed nothing is due and nothing is left to learn: rather than send the learner
  // away, the policy offers practice of what they practised (the model may be wrong about them),
  // the least certain first: equivalent, at 0.96.
  request.now_ms = kStart - 9 * kDayMs;
  Result<std::vector<Recommendation>> fresh =
      Make(PolicyKind::kMastery, graph, options)->Recommend(state, request);
  ASSERT_OK(fresh);
  ASSERT_FALSE(fresh->empty());
  EXPECT_EQ(fresh->front().competency_ids, std::vector<std::string>{"fractions.equivalent"});
  EXPECT_NEAR(fresh->front().parts[4].value, 1.0 - 0.96, 1e-9);
  EXPECT_EQ(fresh->front().parts[4].reason,
            "everything looks mastered; the least certain first: practised just now (recall 0.96)");
  for (const Recommendation& r : *fresh) EXPECT_LE(r.parts[4].value, 1.0 - 0.96 + 1e-9);
}

// Evidence before "mastered" (opt-in): P(learned) at the threshold after one lucky answer is not
// mastered until the learner has answered enough and the last answers were right.
TEST(RecommenderTest, EvidenceRuleKeepsALuckyCompetencyInPlay) {
  const CompetencyGraph graph = FractionsGraph();
  RecommenderOptions options;
  options.mastery.mastery_min_opportunities = 3;
  options.mastery.mastery_recent_correct = 2;
  const LearnerState state = State(graph, {{"fractions.identify", 0.97, 1}});
  RecommendRequest request;
  request.k = 20;
  auto ids_of = [&](const RecommenderOptions& o) {
    std::set<std::string> competencies;
    Result<std::vector<Recommendation>> recs =
        Make(PolicyKind::kMastery, graph, o)->Recommend(state, request);
    EXPECT_OK(recs);
    if (recs.ok())
      for (const Recommendation& r : *recs) competencies.insert(r.competency_ids[0]);
    return competencies;
  };
  EXPECT_EQ(ids_of(RecommenderOptions{}).count("fractions.identify"), 0u);  // threshold alone
  EXPECT_EQ(ids_of(options).count("fractions.identify"), 1u);
}

// Stall response: after six wrong answers on one activity (the state's recent answers) the policy
// prefers another activity of the same competency, and says why.
TEST(RecommenderTest, StalledActivityGivesWayToAnotherForTheSameCompetency) {
  const CompetencyGraph graph = FractionsGraph();
  std::unique_ptr<Policy> policy = Make(PolicyKind::kMastery, graph);
  RecommendRequest request;
  request.k = 1;
  request.goals = {"fractions.identify"};
  Result<std::vector<Recommendation>> first = policy->Recommend(State(graph, {}), request);
  ASSERT_OK(first);
  ASSERT_EQ(first->size(), 1u);
  const std::string tried = (*first)[0].activity_id;
  LearnerState state = State(graph, {{"fractions.identify", 0.2, 6}});
  state.last_activity_id = tried;
  // Not known: no stall is seen, and the learner stays where they were.
  Result<std::vector<Recommendation>> unknown = policy->Recommend(state, request);
  ASSERT_OK(unknown);
  ASSERT_EQ(unknown->size(), 1u);
  EXPECT_EQ((*unknown)[0].activity_id, tried);

  state.competencies[0].recent_answers = 0;  // six wrong
  Result<std::vector<Recommendation>> next = policy->Recommend(state, request);
  ASSERT_OK(next);
  ASSERT_EQ(next->size(), 1u);
  EXPECT_NE((*next)[0].activity_id, tried);
  EXPECT_EQ((*next)[0].competency_ids[0], "fractions.identify");
  EXPECT_EQ((*next)[0].parts[6].reason,
            "stalled on fractions.identify (0 of the last 6 answers right); another of its "
            "activities");

  // Without the last activity (given neither in the state nor to Observe), the competency's
  // activities take turns.
  state.last_activity_id.clear();
  Result<std::vector<Recommendation>> turns = policy->Recommend(state, request);
  ASSERT_OK(turns);
  ASSERT_EQ(turns->size(), 1u);
  EXPECT_EQ((*turns)[0].competency_ids[0], "fractions.identify");
  EXPECT_EQ((*turns)[0].parts[6].value, 1.0);
  EXPECT_EQ((*turns)[0].parts[6].reason,
            "stalled on fractions.identify (0 of the last 6 answers right); its activities take "
            "turns");
  state.last_activity_id = tried;

  // Three of the last six right is not a stall (stall_max_recent_correct 2).
  state.competencies[0].recent_answers = 0b101010;
  Result<std::vector<Recommendation>> going = policy->Recommend(state, request);
  ASSERT_OK(going);
  ASSERT_EQ(going->size(), 1u);
  EXPECT_EQ((*going)[0].activity_id, tried);

  // Bits for more answers than the learner gave are refused, naming the field.
  state.competencies[0].opportunities = 2;
  state.competencies[0].recent_answers = 0b100;
  const Status bad = policy->Recommend(state, request).status();
  EXPECT_EQ(bad.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.message().find("competencies[0].recent_answers"), std::string::npos)
      << bad.message();
}

// A stall moves the learner off a competency for stall_pause_hours only: its answers do not change
// while it is not practised, so without the pause the learner would never come back to it.
TEST(RecommenderTest, StalledCompetencyComesBackAfterThePause) {
  const CompetencyGraph graph = FractionsGraph();
  std::unique_ptr<Policy> policy = Make(PolicyKind::kMastery, graph);
  RecommendRequest request;
  request.k = 20;
  request.goals = {"fractions.identify"};
  LearnerState state = State(graph, {{"fractions.identify", 0.2, 6, kStart}});
  state.competencies[0].recent_answers = 0;  // six wrong
  // The identify activities' learning-progress parts, by activity id.
  auto progress = [&](TimestampMs now) {
    request.now_ms = now;
    std::map<std::string, std::pair<double, std::string>> parts;
    Result<std::vector<Recommendation>> recs = policy->Recommend(state, request);
    EXPECT_OK(recs);
    if (!recs.ok()) return parts;
    for (const Recommendation& r : *recs) {
      if (r.competency_ids == std::vector<std::string>{"fractions.identify"})
        parts[r.activity_id] = {r.parts[6].value, r.parts[6].reason};
    }
    return parts;
  };
  // A day later the stall still holds: the activities take turns, all but one giving way.
  const auto paused = progress(kStart + kDayMs);
  ASSERT_GE(paused.size(), 2u);
  int giving_way = 0;
  for (const auto& [activity, part] : paused) {
    giving_way += part.first < 1.0;
    EXPECT_EQ(part.second.rfind("stalled on fractions.identify (0 of the last 6 answers right)", 0),
              0u)
        << activity << ": " << part.second;
  }
  EXPECT_EQ(giving_way, static_cast<int>(paused.size()) - 1);
  // Eight days later (past the default week) none gives way, and the reason says why it is back.
  const auto back = progress(kStart + 8 * kDayMs);
  ASSERT_EQ(back.size(), paused.size());
  for (const auto& [activity, part] : back) {
    EXPECT_EQ(part.first, 1.0) << activity;
    EXPECT_EQ(part.second,
              "back to fractions.identify, stalled when last practised 8 days ago (0 of the last 6 "
              "answers right)")
        << activity;
  }
  // The pause is an option: at 200 hours the learner is still held off after eight days.
  RecommenderOptions longer;
  longer.mastery.stall_pause_hours = 200.0;
  policy = Make(PolicyKind::kMastery, graph, longer);
  for (const auto& [activity, part] : progress(kStart + 8 * kDayMs))
    EXPECT_EQ(part.second.rfind("stalled on", 0), 0u) << activity << ": " << part.second;
  // And the class report's rule (IsStalled) still calls the learner stalled after the pause.
  MasteryEstimate estimate;
  estimate.p_learned = 0.2;
  estimate.opportunities = 6;
  estimate.recent_answers = 0;
  EXPECT_TRUE(IsStalled(estimate, MasteryPolicyOptions{}));
}

TEST(RecommenderTest, ReviewWhileAGoalIsPendingOnlyCoversThePathAhead) {
  const CompetencyGraph graph = FractionsGraph();
  // identify and decimals were mastered 9 days ago and are due for review; the goal is add.
  // decimals is off the goal's path; identify is on it, but what depends on it (equivalent) is
  // mastered, so it holds nothing up.
  auto state_with = [&graph](double p_equivalent, double p_add) {
    return State(graph, {{"fractions.identify", 0.99, 5, kStart - 9 * kDayMs},
                         {"fractions.equivalent", p_equivalent, 5, kStart},
                         {"fractions.add", p_add, 3, kStart},
                         {"decimals", 0.99, 5, kStart - 9 * kDayMs}});
  };
  RecommendRequest request;
  request.goals = {"fractions.add"};
  request.k = 20;
  request.now_ms = kStart;
  auto competencies = [&](const RecommenderOptions& options, const LearnerState& state) {
    Result<std::vector<Recommendation>> recs =
        Make(PolicyKind::kMastery, graph, options)->Recommend(state, request);
    EXPECT_OK(recs);
    std::set<std::string> ids;
    if (recs.ok())
      for (const Recommendation& r : *recs)
        ids.insert(r.competency_ids.begin(), r.competency_ids.end());
    return ids;
  };
  RecommenderOptions options;
  ASSERT_TRUE(options.mastery.review_only_goal_path);
  // Goal pending, equivalent mastered: neither due competency comes back.
  std::set<std::string> ids = competencies(options, state_with(0.96, 0.3));
  EXPECT_TRUE(ids.count("fractions.add"));
  EXPECT_FALSE(ids.count("fractions.identify"));
  EXPECT_FALSE(ids.count("decimals"));
  // equivalent not mastered: identify gates the path ahead, so it may be reviewed; decimals not.
  ids = competencies(options, state_with(0.5, 0.3));
  EXPECT_TRUE(ids.count("fractions.identify"));
  EXPECT_FALSE(ids.count("decimals"));
  // The goal mastered: everything due comes back.
  ids = competencies(options, state_with(0.96, 0.98));
  EXPECT_TRUE(ids.count("fractions.identify"));
  EXPECT_TRUE(ids.count("decimals"));
  // Switched off: review everything due even while the goal is pending.
  options.mastery.review_only_goal_path = false;
  ids = competencies(options, state_with(0.96, 0.3));
  EXPECT_TRUE(ids.count("fractions.identify"));
  EXPECT_TRUE(ids.count("decimals"));
}

TEST(RecommenderTest, AGoalThatLooksMasteredIsCheckedBeforeUnrelatedNewMaterial) {
  const CompetencyGraph graph = FractionsGraph();
  // The goal (equivalent) and its prerequisite look mastered; decimals and multiply are new and
  // off the goal's path.
  const LearnerState state = State(
      graph, {{"fractions.identify", 0.99, 5, kStart}, {"fractions.equivalent", 0.96, 4, kStart}});
  RecommendRequest request;
  request.goals = {"fractions.equivalent"};
  request.k = 3;
  request.now_ms = kStart;
  Result<std::vector<Recommendation>> recs =
      Make(PolicyKind::kMastery, graph, {})->Recommend(state, request);
  ASSERT_OK(recs);
  ASSERT_FALSE(recs->empty());
  for (const Recommendation& r : *recs) {
    EXPECT_NE(r.competency_ids[0], "decimals");
    EXPECT_NE(r.competency_ids[0], "fractions.multiply");
  }
  // The least certain of the goal's scope first.
  EXPECT_EQ(recs->front().competency_ids, std::vector<std::string>{"fractions.equivalent"});
  EXPECT_EQ(recs->front().parts[4].reason.rfind("everything looks mastered", 0), 0u)
      << recs->front().parts[4].reason;
  // Checks are spread over the scope: equally certain, the competency just practised gets no
  // continuity bonus (which would otherwise keep the learner on it).
  LearnerState tied = State(
      graph, {{"fractions.identify", 0.97, 4, kStart}, {"fractions.equivalent", 0.97, 4, kStart}});
  for (const char* last : {"fractions.equivalent.1"}) {
    tied.last_activity_id = last;
    Result<std::vector<Recommendation>> next =
        Make(PolicyKind::kMastery, graph, {})->Recommend(tied, request);
    ASSERT_OK(next);
    ASSERT_FALSE(next->empty());
    EXPECT_EQ(next->front().competency_ids[0], "fractions.identify");
    EXPECT_EQ(next->front().parts[5].value, 0.0);
  }
  // Without a goal, new material comes next.
  request.goals.clear();
  Result<std::vector<Recommendation>> open =
      Make(PolicyKind::kMastery, graph, {})->Recommend(state, request);
  ASSERT_OK(open);
  std::set<std::string> ids;
  for (const Recommendation& r : *open) ids.insert(r.competency_ids[0]);
  EXPECT_TRUE(ids.count("decimals") || ids.count("fractions.add") ||
              ids.count("fractions.multiply"));
  EXPECT_FALSE(ids.count("fractions.equivalent"));
}

TEST(RecommenderTest, RemediationPointsBackToTheWeakPrerequisite) {
  const CompetencyGraph graph = FractionsGraph();
  RecommenderOptions options;
  options.mastery.advance_threshold = 1.0;  // remediation relative to mastery (0.95)
  options.mastery.gating = Gating::kSoft;
  options.mastery.soft_min_readiness = 0.0;
  // add is going badly after 12 attempts, and its prerequisite equivalent is shaky.
  const LearnerState state = State(
      graph,
      {{"fractions.identify", 0.97}, {"fractions.equivalent", 0.7, 4}, {"fractions.add", 0.2, 12}});
  RecommendRequest request;
  request.k = 1;
  request.goals = {"decimals"};  // off the path, so only remediation favours equivalent
  options.mastery.goal_weight = 0.0;
  Result<std::vector<Recommendation>> recs =
      Make(PolicyKind::kMastery, graph, options)->Recommend(state, request);
  ASSERT_OK(recs);
  ASSERT_EQ(recs->size(), 1u);
  const Recommendation& r = (*recs)[0];
  EXPECT_EQ(r.competency_ids, std::vector<std::string>{"fractions.equivalent"});
  EXPECT_NEAR(r.parts[3].value, 1.0 - 0.2 / 0.95, 1e-9);
  EXPECT_EQ(r.parts[3].reason,
            "remediation: prerequisite of fractions.add, which is not going well (0.20 after 12 "
            "attempts)");
  // Below remediation_min_opportunities the learner is not struggling yet.
  options.mastery.remediation_min_opportunities = 13;
  Result<std::vector<Recommendation>> early =
      Make(PolicyKind::kMastery, graph, options)->Recommend(state, request);
  ASSERT_OK(early);
  ASSERT_EQ(early->size(), 1u);
  EXPECT_EQ((*early)[0].parts[3].value, 0.0);
}

TEST(RecommenderTest, RemediationRevisitsAMasteredPrerequisiteUnderHardGating) {
  const CompetencyGraph graph = FractionsGraph();
  // identify was mastered 3 days ago: its recall (0.97 * 2^(-3/14) = 0.84) is below the mastery
  // threshold but above the review threshold, so only remediation can bring it back.
  const LearnerState state = State(graph, {{"fractions.identify", 0.97, 6, kStart - 3 * kDayMs},
                                           {"fractions.equivalent", 0.2, 12, kStart}});
  RecommendRequest request;
  request.k = 10;
  request.now_ms = kStart;
  RecommenderOptions wait;
  wait.mastery.advance_threshold = 1.0;  // goes on from identify only at mastery
  Result<std::vector<Recommendation>> recs =
      Make(PolicyKind::kMastery, graph, wait)->Recommend(state, request);
  ASSERT_OK(recs);
  bool found = false;
  for (const Recommendation& r : *recs) {
    if (r.competency_ids[0] != "fractions.identify") continue;
    found = true;
    EXPECT_EQ(r.parts[4].value, 0.0);  // not due for review
    EXPECT_NEAR(r.parts[3].value, 1.0 - 0.2 / 0.95, 1e-9);
  }
  EXPECT_TRUE(found);
}

TEST(RecommenderTest, ContinuityFavoursTheLastCompetency) {
  const CompetencyGraph graph = FractionsGraph();
  LearnerState state = State(graph, {{"fractions.identify", 0.97}, {"decimals", 0.3}});
  state.last_activity_id = "decimals.2";
  RecommendRequest request;
  request.k = 1;
  Result<std::vector<Recommendation>> recs =
      Make(PolicyKind::kMastery, graph)->Recommend(state, request);
  ASSERT_OK(recs);
  ASSERT_EQ(recs->size(), 1u);
  EXPECT_EQ((*recs)[0].competency_ids[0], "decimals");
  EXPECT_EQ((*recs)[0].parts[5].reason, "continues decimals from the last activity");
}

TEST(RecommenderTest, ExclusionsPinsAndBudgetAreHonoured) {
  const CompetencyGraph graph = FractionsGraph();
  const LearnerState state = State(graph, {{"fractions.identify", 0.97}});
  std::unique_ptr<Policy> policy = Make(PolicyKind::kMastery, graph);
  RecommendRequest request;
  request.k = 4;
  request.excluded_activities = {"fractions.equivalent.1"};
  request.pinned_activities = {"fractions.multiply.2", "decimals.2"};
  request.time_budget_minutes = 10.0;
  Result<std::vector<Recommendation>> recs = policy->Recommend(state, request);
  ASSERT_OK(recs);
  // Of the ready activities (equivalent.*, decimals.*) one is excluded, one too long and one
  // pinned.
  ASSERT_EQ(recs->size(), 3u);
  EXPECT_EQ((*recs)[2].activity_id, "decimals.1");
  // Pins first, in order, whatever their gating (multiply is locked) or length (15 minutes).
  EXPECT_EQ((*recs)[0].activity_id, "fractions.multiply.2");
  EXPECT_EQ((*recs)[1].activity_id, "decimals.2");
  EXPECT_TRUE((*recs)[0].pinned);
  EXPECT_EQ((*recs)[0].reasons[0], "pinned by request");
  for (size_t i = 2; i < recs->size(); ++i) {
    const Recommendation& r = (*recs)[i];
    EXPECT_FALSE(r.pinned);
    EXPECT_NE(r.activity_id, "fractions.equivalent.1");
    EXPECT_LE(r.expected_minutes, 10.0);
    EXPECT_NE(r.activity_id, "decimals.2");
  }
  // Every baseline honours them too.
  for (PolicyKind kind : {PolicyKind::kRandom, PolicyKind::kCurriculum, PolicyKind::kZpdes}) {
    Result<std::vector<Recommendation>> other = Make(kind, graph)->Recommend(state, request);
    ASSERT_OK(other);
    ASSERT_GE(other->size(), 2u) << PolicyKindName(kind);
    EXPECT_EQ((*other)[0].activity_id, "fractions.multiply.2");
    for (size_t i = 2; i < other->size(); ++i) {
      EXPECT_NE((*other)[i].activity_id, "fractions.equivalent.1") << PolicyKindName(kind);
      EXPECT_LE((*other)[i].expected_minutes, 10.0) << PolicyKindName(kind);
    }
  }
  // Without the budget, the long one comes back.
  request.time_budget_minutes.reset();
  Result<std::vector<Recommendation>> unlimited = policy->Recommend(state, request);
  ASSERT_OK(unlimited);
  const std::vector<std::string> unlimited_ids = Ids(*unlimited);
  EXPECT_NE(std::find(unlimited_ids.begin(), unlimited_ids.end(), "fractions.equivalent.2"),
            unlimited_ids.end());
  // k smaller than the pins: only the first pins.
  request.k = 1;
  Result<std::vector<Recommendation>> one = policy->Recommend(state, request);
  ASSERT_OK(one);
  EXPECT_EQ(Ids(*one), std::vector<std::string>{"fractions.multiply.2"});
}

TEST(RecommenderTest, BadRequestsAreRejected) {
  const CompetencyGraph graph = FractionsGraph();
  std::unique_ptr<Policy> policy = Make(PolicyKind::kMastery, graph);
  const LearnerState state = State(graph, {});
  RecommendRequest request;
  request.k = 0;
  EXPECT_EQ(policy->Recommend(state, request).status().code(), StatusCode::kInvalidArgument);
  request.k = 3;
  request.goals = {"fractions", "nope"};
  Result<std::vector<Recommendation>> unknown = policy->Recommend(state, request);
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("'nope'"), std::string::npos);
  request.goals.clear();
  request.excluded_activities = {"x"};
  EXPECT_EQ(policy->Recommend(state, request).status().code(), StatusCode::kNotFound);
  request.excluded_activities = {"decimals.1"};
  request.pinned_activities = {"decimals.1"};
  EXPECT_EQ(policy->Recommend(state, request).status().code(), StatusCode::kInvalidArgument);
  request.pinned_activities.clear();
  request.time_budget_minutes = 0.0;
  EXPECT_EQ(policy->Recommend(state, request).status().code(), StatusCode::kInvalidArgument);
  request.time_budget_minutes.reset();
  LearnerState bad = State(graph, {{"decimals", 0.5}, {"decimals", 0.4}});
  Result<std::vector<Recommendation>> twice = policy->Recommend(bad, request);
  EXPECT_EQ(twice.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(twice.status().message().find("competencies[1]"), std::string::npos);
  bad = State(graph, {{"decimals", 1.5}});
  EXPECT_EQ(policy->Recommend(bad, request).status().code(), StatusCode::kInvalidArgument);
  bad.competencies[0] = {99, 0.5, 1, 0};
  EXPECT_EQ(policy->Recommend(bad, request).status().code(), StatusCode::kInvalidArgument);

  RecommenderOptions options;
  options.mastery.target_success = 1.0;
  Result<std::unique_ptr<Policy>> invalid =
      MakePolicy(PolicyKind::kMastery, graph, BktModel{}, options);
  EXPECT_EQ(invalid.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(invalid.status().message().find("target_success"), std::string::npos);
  EXPECT_EQ(ParsePolicyKind("bandit").status().code(), StatusCode::kInvalidArgument);
  ASSERT_OK(ParsePolicyKind("zpdes"));
  EXPECT_EQ(*ParsePolicyKind("zpdes"), PolicyKind::kZpdes);
}

// Each policy's options sit in their own struct; a bad value is named by its path from
// RecommenderOptions, and by its bare name when the policy's struct validates itself (as
// pathwised's config does for the mastery policy's keys).
TEST(RecommenderTest, OptionsValidateNamesTheFieldPath) {
  EXPECT_OK(RecommenderOptions{}.Validate());
  const auto message = [](const RecommenderOptions& options) {
    const Status status = options.Validate();
    EXPECT_EQ(status.code(), StatusCode::kInvalidArgument) << status;
    return status.message();
  };
  RecommenderOptions options;
  options.mastery.goal_weight = -1.0;
  EXPECT_EQ(message(options).rfind("mastery.goal_weight must be", 0), 0u) << message(options);
  EXPECT_EQ(options.mastery.Validate().message().rfind("goal_weight must be", 0), 0u);

  options = {};
  options.mastery.stall_min_attempts = 1;
  EXPECT_NE(message(options).find("mastery.stall_min_attempts"), std::string::npos);
  options = {};
  options.mastery.stall_pause_hours = 0.0;
  EXPECT_NE(message(options).find("mastery.stall_pause_hours must be a number > 0"),
            std::string::npos);
  options = {};
  options.zpdes.window = 5;
  EXPECT_NE(message(options).find("zpdes.window must be even"), std::string::npos);
  EXPECT_EQ(options.zpdes.Validate().message().rfind("window must be even", 0), 0u);
  options = {};
  options.zpdes.exploration = 1.5;
  EXPECT_NE(message(options).find("zpdes.exploration"), std::string::npos);
  options = {};
  options.curriculum.opportunities = -1;
  EXPECT_NE(message(options).find("curriculum.opportunities"), std::string::npos);
  options = {};
  options.planner.activities_per_competency = 0;
  EXPECT_NE(message(options).find("planner.activities_per_competency"), std::string::npos);
  options = {};
  options.hard_prerequisite_strength = 0.0;
  EXPECT_EQ(message(options).rfind("hard_prerequisite_strength must be", 0), 0u);

  // A policy is built only from valid options, whichever policy the bad field belongs to.
  const CompetencyGraph graph = FractionsGraph();
  options = {};
  options.zpdes.window = 0;
  Result<std::unique_ptr<Policy>> policy =
      MakePolicy(PolicyKind::kRandom, graph, BktModel{}, options);
  ASSERT_FALSE(policy.ok());
  EXPECT_NE(policy.status().message().find("zpdes.window"), std::string::npos) << policy.status();
}

TEST(RecommenderTest, RankingIsDeterministicAndIndependentOfStateOrder) {
  const uint64_t seed = 5;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  const CompetencyGraph graph = RandomGraph(rng, 60);
  std::unique_ptr<Policy> policy = Make(PolicyKind::kMastery, graph);
  for (int s = 0; s < 20; ++s) {
    LearnerState state = RandomState(rng, graph.num_competencies());
    RecommendRequest request;
    request.k = 7;
    request.now_ms = kStart;
    Result<std::vector<Recommendation>> first = policy->Recommend(state, request);
    ASSERT_OK(first);
    std::shuffle(state.competencies.begin(), state.competencies.end(), rng);
    Result<std::vector<Recommendation>> again = policy->Fork(9)->Recommend(state, request);
    ASSERT_OK(again);
    EXPECT_EQ(Ids(*first), Ids(*again));
    // Best first; equal scores in the graph's activity order.
    std::map<std::string, size_t> order;
    for (const Activity* a : graph.activities()) order.emplace(a->id, order.size());
    for (size_t i = 1; i < first->size(); ++i) {
      const Recommendation& x = (*first)[i - 1];
      const Recommendation& y = (*first)[i];
      EXPECT_TRUE(x.score > y.score ||
                  (x.score == y.score && order[x.activity_id] < order[y.activity_id]));
    }
  }
}

TEST(RecommenderTest, GraphWithoutActivitiesUsesCompetencyIds) {
  GraphDefinition def;
  def.competencies = {Comp("a"), Comp("b"), Comp("c")};
  def.prerequisites = {{"a", "b"}};
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  ASSERT_OK(graph);
  RecommendRequest request;
  request.k = 5;
  Result<std::vector<Recommendation>> recs =
      Make(PolicyKind::kMastery, *graph)->Recommend(State(*graph, {}), request);
  ASSERT_OK(recs);
  std::vector<std::string> ids = Ids(*recs);
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"a", "c"}));  // b is locked behind a
}

TEST(RecommenderTest, GroupGoalsExpandToTheirMembers) {
  const CompetencyGraph graph = FractionsGraph();
  const LearnerState state = State(graph, {{"fractions.identify", 0.97}});
  RecommendRequest request;
  request.goals = {"fractions"};
  request.k = 10;
  Result<std::vector<Recommendation>> recs =
      Make(PolicyKind::kMastery, graph)->Recommend(state, request);
  ASSERT_OK(recs);
  ASSERT_FALSE(recs->empty());
  EXPECT_EQ((*recs)[0].parts[1].reason, "fractions.equivalent is a goal");
  for (const Recommendation& r : *recs) {
    if (r.competency_ids[0] == "decimals") {
      EXPECT_EQ(r.parts[1].value, 0.0);
    }
  }
}

TEST(RecommenderTest, LearnerMasteryAndSparseStateAgree) {
  const CompetencyGraph graph = FractionsGraph();
  std::unique_ptr<Policy> policy = Make(PolicyKind::kMastery, graph);
  LearnerMastery dense;
  dense.learner_id = "ann";
  for (const Competency* c : graph.competencies())
    dense.competencies.push_back({c->id, BktParams{}.prior, false, 0, 0});
  dense.competencies[0] = {"fractions.identify", 0.97, true, 4, kStart};
  RecommendRequest request;
  request.k = 6;
  Result<std::vector<Recommendation>> from_dense = policy->Recommend(dense, request);
  ASSERT_OK(from_dense);
  Result<std::vector<Recommendation>> from_sparse =
      policy->Recommend(State(graph, {{"fractions.identify", 0.97, 4, kStart}}), request);
  ASSERT_OK(from_sparse);
  EXPECT_EQ(Ids(*from_dense), Ids(*from_sparse));
  std::swap(dense.competencies[0], dense.competencies[1]);
  EXPECT_EQ(policy->Recommend(dense, request).status().code(), StatusCode::kInvalidArgument);
}

TEST(RecommenderTest, RandomPolicyIsSeededAndDrawsOnlyReadyActivities) {
  const CompetencyGraph graph = FractionsGraph();
  const LearnerState state = State(graph, {{"fractions.identify", 0.97}});
  RecommenderOptions options;
  options.seed = 123;
  std::unique_ptr<Policy> prototype = Make(PolicyKind::kRandom, graph, options);
  std::set<std::string> seen;
  std::vector<std::string> draws_a, draws_b;
  std::unique_ptr<Policy> a = prototype->Fork(3);
  std::unique_ptr<Policy> b = prototype->Fork(3);
  RecommendRequest request;
  request.k = 1;
  for (int i = 0; i < 200; ++i) {
    Result<std::vector<Recommendation>> x = a->Recommend(state, request);
    Result<std::vector<Recommendation>> y = b->Recommend(state, request);
    ASSERT_OK(x);
    ASSERT_OK(y);
    ASSERT_EQ(x->size(), 1u);
    draws_a.push_back((*x)[0].activity_id);
    draws_b.push_back((*y)[0].activity_id);
    seen.insert((*x)[0].activity_id);
  }
  EXPECT_EQ(draws_a, draws_b);
  // Ready: equivalent (identify mastered) and decimals; not identify (mastered), not add/multiply.
  EXPECT_EQ(seen, (std::set<std::string>{"fractions.equivalent.1", "fractions.equivalent.2",
                                         "decimals.1", "decimals.2"}));
  std::vector<std::string> other;
  std::unique_ptr<Policy> c = prototype->Fork(4);
  for (int i = 0; i < 200; ++i) other.push_back((*c->Recommend(state, request))[0].activity_id);
  EXPECT_NE(other, draws_a);
}

TEST(RecommenderTest, CurriculumWalksTheGoalSubgraphInTopologicalOrder) {
  const uint64_t seed = 11;
  SCOPED_TRACE("seed " + std::to_string(seed));
  std::mt19937_64 rng(seed);
  for (int trial = 0; trial < 10; ++trial) {
    const CompetencyGraph graph = RandomGraph(rng, 25);
    BktModel model;
    for (const Competency* c : graph.competencies())
      model.competencies[c->id] =
          BktParams{0.05 + 0.3 * Unit(rng), 0.05 + 0.4 * Unit(rng), 0.0, 0.2, 0.1};
    std::unique_ptr<Policy> policy = Make(PolicyKind::kCurriculum, graph, {}, model);
    const std::string goal = "c" + std::to_string(20 + rng() % 5);
    Result<std::vector<std::string>> ancestors = graph.Ancestors({goal});
    ASSERT_OK(ancestors);
    std::set<std::string> subgraph(ancestors->begin(), ancestors->end());
    subgraph.insert(goal);

    // Walk the curriculum, practising whatever it says; outcomes do not exist for it.
    LearnerState state;
    state.learner_id = "walker";
    std::map<std::string, uint32_t> opportunities;
    std::vector<std::string> walked;  // competency of each step
    RecommendRequest request;
    request.goals = {goal};
    request.k = 1;
    for (int step = 0; step < 2000; ++step) {
      Result<std::vector<Recommendation>> recs = policy->Recommend(state, request);
      ASSERT_OK(recs);
      ASSERT_EQ(recs->size(), 1u);
      const Activity* activity = graph.FindActivity((*recs)[0].activity_id);
      ASSERT_NE(activity, nullptr);
      // The curriculum's step competency is the first row that still needs practice; single-row
      // activities make it unambiguous, so follow the reason.
      const std::string& reason = (*recs)[0].reasons.at(0);
      const size_t colon = reason.find(": ");
      const std::string competency = reason.substr(colon + 2, reason.find(',', colon) - colon - 2);
      if (reason.rfind("curriculum pass", 0) == 0) break;  // the first pass is done
      ASSERT_TRUE(subgraph.count(competency)) << competency << " is not in the goal's subgraph";
      walked.push_back(competency);
      for (const PracticedCompetency& pc : activity->competencies)
        ++opportunities[pc.competency_id];
      state.competencies.clear();
      for (const auto& [id, count] : opportunities)
        state.competencies.push_back({IndexOf(graph, id), 0.5, count, 0});
    }
    // Each competency of the subgraph appears, in one block, after all its prerequisites' blocks,
    // with its expected opportunities to mastery from the prior (or fewer when a multi-competency
    // activity gave it practice on the side).
    std::map<std::string, size_t> first, last;
    for (size_t i = 0; i < walked.size(); ++i) {
      first.emplace(walked[i], i);
      last[walked[i]] = i;
    }
    EXPECT_EQ(first.size(), subgraph.size());
    for (const std::string& id : subgraph) {
      ASSERT_TRUE(first.count(id)) << id;
      for (const Prerequisite& pre : graph.PrerequisitesOf(id))
        EXPECT_LT(last[pre.from], first[id]) << pre.from << " -> " << id;
      const BktParams& params = model.competencies[id];
      const std::optional<int> expected = ExpectedOpportunitiesToMastery(
          params, params.prior, graph.FindCompetency(id)->mastery_threshold);
      ASSERT_TRUE(expected.has_value());
      const size_t block = static_cast<size_t>(std::count(walked.begin(), walked.end(), id));
      EXPECT_LE(block, static_cast<size_t>(std::max(1, *expected)));
      EXPECT_EQ(opportunities[id] >= static_cast<uint32_t>(std::max(1, *expected)), true) << id;
    }
  }
}

TEST(RecommenderTest, ZpdesZoneWidensAsCompetenciesAreMastered) {
  // a -> b, a -> c, b -> d: the zone starts at {a} and opens up along the graph.
  GraphDefinition def;
  def.competencies = {Comp("a"), Comp("b"), Comp("c"), Comp("d")};
  def.prerequisites = {{"a", "b"}, {"a", "c"}, {"b", "d"}};
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  ASSERT_OK(graph);
  RecommenderOptions options;
  options.zpdes.window = 4;
  options.zpdes.mastery_rate = 0.75;
  options.zpdes.zone_size = 0;
  std::unique_ptr<Policy> policy = Make(PolicyKind::kZpdes, *graph, options);
  LearnerState state;
  state.learner_id = "zoe";
  RecommendRequest request;
  request.k = 10;

  auto zone = [&]() {
    Result<std::vector<Recommendation>> recs = policy->Recommend(state, request);
    EXPECT_OK(recs);
    std::set<std::string> ids;
    if (recs.ok())
      for (const Recommendation& r : *recs) ids.insert(r.activity_id);
    return ids;
  };
  EXPECT_EQ(zone(), (std::set<std::string>{"a"}));
  for (int i = 0; i < 4; ++i) ASSERT_OK(policy->Observe({"", "zoe", "a", 1.0, i}));
  EXPECT_EQ(zone(), (std::set<std::string>{"b", "c"}));
  // Failing b keeps it in the zone; succeeding opens d.
  for (int i = 0; i < 4; ++i) ASSERT_OK(policy->Observe({"", "zoe", "b", 0.0, i}));
  EXPECT_EQ(zone(), (std::set<std::string>{"b", "c"}));
  for (int i = 0; i < 4; ++i) ASSERT_OK(policy->Observe({"", "zoe", "b", 1.0, i}));
  EXPECT_EQ(zone(), (std::set<std::string>{"c", "d"}));
  // Another learner's zone is their own.
  state.learner_id = "yan";
  EXPECT_EQ(zone(), (std::set<std::string>{"a"}));
  EXPECT_EQ(policy->Observe({"", "zoe", "nope", 1.0, 0}).code(), StatusCode::kNotFound);
}

// A zone grows by an eighth, not by doubling (it lives as long as the server): after 100 arms
// added one at a time, the room compaction finds is at most an eighth of the records plus one.
TEST(RecommenderTest, ZpdesZoneGrowsByAnEighth) {
  GraphDefinition def;
  for (int i = 0; i < 100; ++i) {
    Competency c;
    c.id = "z" + std::to_string(i);
    def.competencies.push_back(c);
  }
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  ASSERT_OK(graph);
  RecommenderOptions options;
  std::unique_ptr<Policy> policy = Make(PolicyKind::kZpdes, *graph, options);
  ASSERT_NE(policy, nullptr);
  for (int i = 0; i < 100; ++i)
    ASSERT_OK(policy->Observe({"", "ann", "z" + std::to_string(i), 1.0, kStart + i}));
  const size_t record = 6 + static_cast<size_t>(options.zpdes.window);  // bytes per arm
  EXPECT_LE(policy->CompactMemory("ann"), 100 * record / 8 + record);
}

TEST(RecommenderTest, ZpdesPrefersTheArmThatIsProgressing) {
  // Two independent competencies; x is improving (0,0,1,1), y is flat (0,0,0,0). With no
  // exploration, x must be drawn first every time.
  GraphDefinition def;
  def.competencies = {Comp("x"), Comp("y")};
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  ASSERT_OK(graph);
  RecommenderOptions options;
  options.zpdes.window = 4;
  options.zpdes.exploration = 0.0;
  std::unique_ptr<Policy> policy = Make(PolicyKind::kZpdes, *graph, options);
  for (double outcome : {0.0, 0.0, 1.0, 1.0})
    ASSERT_OK(policy->Observe({"", "l", "x", outcome, 0}));
  for (int i = 0; i < 4; ++i) ASSERT_OK(policy->Observe({"", "l", "y", 0.0, 0}));
  LearnerState state;
  state.learner_id = "l";
  RecommendRequest request;
  request.k = 2;
  int first_x = 0;
  for (int i = 0; i < 50; ++i) {
    Result<std::vector<Recommendation>> recs = policy->Recommend(state, request);
    ASSERT_OK(recs);
    ASSERT_EQ(recs->size(), 2u);
    first_x += (*recs)[0].activity_id == "x" ? 1 : 0;
    EXPECT_EQ((*recs)[0].parts.at(0).part, ScorePart::kLearningProgress);
  }
  // y's weight is the floor 1e-3 against x's 1.0: x is drawn essentially always.
  EXPECT_GE(first_x, 49);
}

TEST(RecommenderTest, EngineRecommendsAndPlansFromTrackedMastery) {
  Result<std::unique_ptr<Engine>> engine = Engine::Create(FractionsGraph(), BktModel{});
  ASSERT_OK(engine);
  RecommendRequest request;
  request.goals = {"fractions.add"};
  request.k = 2;
  // A new learner starts at identify, the only way toward the goal.
  Result<std::vector<Recommendation>> fresh = (*engine)->Recommend("ann", request);
  ASSERT_OK(fresh);
  ASSERT_FALSE(fresh->empty());
  EXPECT_EQ((*fresh)[0].competency_ids[0], "fractions.identify");
  for (int i = 0; i < 30; ++i)
    ASSERT_OK((*engine)->Record({"", "ann", "fractions.identify.1", 1.0, kStart + i}));
  Result<std::vector<Recommendation>> later = (*engine)->Recommend("ann", request);
  ASSERT_OK(later);
  ASSERT_FALSE(later->empty());
  EXPECT_EQ((*later)[0].competency_ids[0], "fractions.equivalent");
  Result<Pathway> plan = (*engine)->Plan("ann", {"fractions.add"});
  ASSERT_OK(plan);
  ASSERT_EQ(plan->steps.size(), 2u);
  EXPECT_EQ(plan->steps[0].competency_id, "fractions.equivalent");

  RecommenderOptions bad;
  bad.mastery.goal_weight = -1.0;
  EXPECT_EQ((*engine)->SetRecommenderOptions(bad).code(), StatusCode::kInvalidArgument);
  RecommenderOptions options;
  options.mastery.max_named_prerequisites = 1;
  EXPECT_OK((*engine)->SetRecommenderOptions(options));
  EXPECT_OK((*engine)->Recommend("ann", request));
}

}  // namespace
}  // namespace pathwise
