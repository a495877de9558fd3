#include <cmath>
#include <cstdint>
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/competency_graph.h>
#include <pathwise/recommender.h>
#include <pathwise/simulator.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

// A chain a -> b -> c -> d plus a side branch a -> e.
CompetencyGraph MakeChainGraph() {
  GraphDefinition def;
  for (const char* id : {"a", "b", "c", "d", "e"}) {
    Competency competency;
    competency.id = id;
    def.competencies.push_back(competency);
  }
  def.prerequisites = {{"a", "b"}, {"b", "c"}, {"c", "d"}, {"a", "e"}};
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  EXPECT_OK(graph);
  return *graph;
}

// `target` with two prerequisites p1 and p2.
CompetencyGraph MakeTwoPrerequisiteGraph() {
  GraphDefinition def;
  for (const char* id : {"p1", "p2", "target"}) {
    Competency competency;
    competency.id = id;
    def.competencies.push_back(competency);
  }
  def.prerequisites = {{"p1", "target"}, {"p2", "target"}};
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  EXPECT_OK(graph);
  return *graph;
}

BktParams Params(double prior, double learn) {
  BktParams params;
  params.prior = prior;
  params.learn = learn;
  params.guess = 0.2;
  params.slip = 0.1;
  return params;
}

// Homogeneous learners, no forgetting: what is left is the BKT ground truth and the penalty.
LearnerModelOptions PlainTruth() {
  LearnerModelOptions truth;
  truth.forget_per_day = 0.0;
  CohortGroup group;
  group.name = "all";
  group.learn_spread = 0.0;
  group.prior_spread = 0.0;
  truth.groups = {group};
  return truth;
}

// A stand-in policy that needs no recommender: the first competency in graph order that the online
// model has not mastered and whose prerequisites it has; nothing when everything is mastered.
class FirstReadyPolicy : public Policy {
 public:
  FirstReadyPolicy(const CompetencyGraph& graph, const BktModel& model) {
    for (const Competency* competency : graph.competencies()) {
      ids_.push_back(competency->id);
      priors_.push_back(model.ParamsFor(competency->id, competency->params).prior);
    }
    for (const std::string& id : ids_) {
      std::vector<uint32_t> prerequisites;
      for (const Prerequisite& edge : graph.PrerequisitesOf(id)) {
        prerequisites.push_back(IndexOf(edge.from));
      }
      prerequisites_.push_back(prerequisites);
    }
  }
  PolicyKind kind() const override { return PolicyKind::kMastery; }
  Result<std::vector<Recommendation>> Recommend(const LearnerState& state,
                                                const RecommendRequest&) override {
    std::vector<double> p = priors_;
    for (const CompetencyState& entry : state.competencies) p[entry.competency] = entry.p_learned;
    for (uint32_t c = 0; c < ids_.size(); ++c) {
      if (p[c] >= 0.95) continue;
      bool ready = true;
      for (uint32_t pre : prerequisites_[c]) ready = ready && p[pre] >= 0.95;
      if (!ready) continue;
      Recommendation recommendation;
      recommendation.activity_id = ids_[c];
      return std::vector<Recommendation>{recommendation};
    }
    return std::vector<Recommendation>{};
  }
  Status Observe(const Observation&) override { return Status::Ok(); }
  std::unique_ptr<Policy> Fork(uint64_t) const override {
    return std::make_unique<FirstReadyPolicy>(*this);
  }
  Result<LearnerState> StateFromMastery(const LearnerMastery&) const override {
    return Status::Unimplemented("not needed by the simulator");
  }
  Result<uint32_t> CompetencyIndex(std::string_view id) const override {
    return IndexOf(std::string(id));
  }

 private:
  uint32_t IndexOf(const std::string& id) const {
    for (uint32_t c = 0; c < ids_.size(); ++c) {
      if (ids_[c] == id) return c;
    }
    return 0;
  }
  std::vector<std::string> ids_;
  std::vector<double> priors_;
  std::vector<std::vector<uint32_t>> prerequisites_;
};

// A policy that always names an activity the graph does not have.
class BogusPolicy : public FirstReadyPolicy {
 public:
  using FirstReadyPolicy::FirstReadyPolicy;
  Result<std::vector<Recommendation>> Recommend(const LearnerState&,
                                                const RecommendRequest&) override {
    Recommendation recommendation;
    recommendation.activity_id = "no-such-activity";
    return std::vector<Recommendation>{recommendation};
  }
  std::unique_ptr<Policy> Fork(uint64_t) const override {
    return std::make_unique<BogusPolicy>(*this);
  }
};

SimulationOptions ChainOptions() {
  SimulationOptions options;
  options.policies.clear();
  options.goals = {"d"};
  options.learners = 200;
  options.steps = 60;
  options.seed = 11;
  options.truth.model.defaults = Params(0.2, 0.3);
  options.truth.forget_per_day = 0.05;
  CohortGroup fast;
  fast.name = "fast";
  fast.weight = 1.0;
  fast.learn_offset = 1.0;
  CohortGroup slow;
  slow.name = "slow";
  slow.weight = 2.0;
  slow.learn_offset = -1.0;
  options.truth.groups = {fast, slow};
  options.schedule.steps_per_session = 10;
  options.curve_points = 15;
  return options;
}

std::vector<SimulatedPolicy> FirstReady(const CompetencyGraph& graph, const Simulation& sim) {
  return {{"first-ready", std::make_shared<FirstReadyPolicy>(graph, sim.online_model())}};
}

Result<SimulationResult> RunFirstReady(const CompetencyGraph& graph,
                                       const SimulationOptions& options) {
  PATHWISE_ASSIGN_OR_RETURN(std::unique_ptr<Simulation> sim, Simulation::Create(graph, options));
  return sim->Run(FirstReady(graph, *sim));
}

void ExpectSameOutcome(const CohortOutcome& a, const CohortOutcome& b) {
  EXPECT_EQ(a.group, b.group);
  EXPECT_EQ(a.learners, b.learners);
  EXPECT_EQ(a.mean_steps_to_goal, b.mean_steps_to_goal);
  EXPECT_EQ(a.reached_goal_share, b.reached_goal_share);
  EXPECT_EQ(a.prediction.auc, b.prediction.auc);
  EXPECT_EQ(a.prediction.count, b.prediction.count);
  EXPECT_EQ(a.curve_learned, b.curve_learned);
  EXPECT_EQ(a.curve_scope_learned, b.curve_scope_learned);
  EXPECT_EQ(a.curve_reached_share, b.curve_reached_share);
}

void ExpectSameResult(const SimulationResult& a, const SimulationResult& b) {
  ASSERT_EQ(a.policies.size(), b.policies.size());
  for (size_t p = 0; p < a.policies.size(); ++p) {
    ExpectSameOutcome(a.policies[p].all, b.policies[p].all);
    ASSERT_EQ(a.policies[p].groups.size(), b.policies[p].groups.size());
    for (size_t g = 0; g < a.policies[p].groups.size(); ++g) {
      ExpectSameOutcome(a.policies[p].groups[g], b.policies[p].groups[g]);
    }
  }
  ASSERT_EQ(a.learner_outcomes.size(), b.learner_outcomes.size());
  for (size_t i = 0; i < a.learner_outcomes.size(); ++i) {
    EXPECT_EQ(a.learner_outcomes[i].steps_to_goal, b.learner_outcomes[i].steps_to_goal) << i;
    EXPECT_EQ(a.learner_outcomes[i].final_learned, b.learner_outcomes[i].final_learned) << i;
    EXPECT_EQ(a.learner_outcomes[i].learn_offset, b.learner_outcomes[i].learn_offset) << i;
  }
}

// Four standard errors of a share p estimated from n draws: a correct model fails this about once
// in 16,000 runs, a wrong rate (by 0.03 or more at these sizes) almost always.
double FourSigma(double p, int n) { return 4.0 * std::sqrt(p * (1.0 - p) / n); }

TEST(SyntheticLearnerTest, LearnsAtBaseRateWhenPrerequisitesAreLearned) {
  const CompetencyGraph graph = MakeTwoPrerequisiteGraph();
  LearnerModelOptions truth = PlainTruth();
  truth.prerequisite_penalty = 0.4;
  truth.model.competencies["p1"] = Params(1.0, 0.3);
  truth.model.competencies["p2"] = Params(1.0, 0.3);
  truth.model.competencies["target"] = Params(0.0, 0.3);
  auto cohort = SyntheticCohort::Create(graph, truth, /*seed=*/3);
  ASSERT_OK(cohort);
  const uint32_t target = *(*cohort)->CompetencyIndex("target");
  const uint32_t activity = *(*cohort)->ActivityIndex("target");

  constexpr int kLearners = 20000;
  int learned = 0;
  for (uint32_t i = 0; i < kLearners; ++i) {
    SyntheticLearner learner = (*cohort)->MakeLearner(i);
    ASSERT_TRUE(learner.IsLearned(0) && learner.IsLearned(1));
    ASSERT_FALSE(learner.IsLearned(target));
    EXPECT_DOUBLE_EQ(learner.LearnProbability(activity, target), 0.3);
    learner.Attempt(activity, 0.0);
    learned += learner.IsLearned(target) ? 1 : 0;
  }
  EXPECT_NEAR(static_cast<double>(learned) / kLearners, 0.3, FourSigma(0.3, kLearners));
}

TEST(SyntheticLearnerTest, UnlearnedPrerequisitesSlowLearning) {
  const CompetencyGraph graph = MakeTwoPrerequisiteGraph();
  LearnerModelOptions truth = PlainTruth();
  truth.prerequisite_penalty = 0.4;
  truth.model.competencies["p1"] = Params(1.0, 0.3);
  truth.model.competencies["p2"] = Params(0.0, 0.3);  // one prerequisite missing
  truth.model.competencies["target"] = Params(0.0, 0.5);
  auto cohort = SyntheticCohort::Create(graph, truth, /*seed=*/3);
  ASSERT_OK(cohort);
  const uint32_t target = *(*cohort)->CompetencyIndex("target");
  const uint32_t activity = *(*cohort)->ActivityIndex("target");

  constexpr int kLearners = 20000;
  int learned = 0;
  for (uint32_t i = 0; i < kLearners; ++i) {
    SyntheticLearner learner = (*cohort)->MakeLearner(i);
    EXPECT_DOUBLE_EQ(learner.LearnProbability(activity, target), 0.5 * 0.4);
    learner.Attempt(activity, 0.0);
    learned += learner.IsLearned(target) ? 1 : 0;
  }
  EXPECT_NEAR(static_cast<double>(learned) / kLearners, 0.2, FourSigma(0.2, kLearners));

  // Both missing: the penalty applies once per prerequisite.
  truth.model.competencies["p1"] = Params(0.0, 0.3);
  auto both_missing = SyntheticCohort::Create(graph, truth, /*seed=*/3);
  ASSERT_OK(both_missing);
  EXPECT_DOUBLE_EQ((*both_missing)->MakeLearner(0).LearnProbability(activity, target),
                   0.5 * 0.4 * 0.4);
}

TEST(SyntheticLearnerTest, WeakPrerequisitePenalisesByItsStrength) {
  GraphDefinition def;
  def.competencies.resize(2);
  def.competencies[0].id = "soft";
  def.competencies[1].id = "target";
  def.prerequisites = {{"soft", "target", 0.5}};
  auto graph = CompetencyGraph::FromDefinition(def);
  ASSERT_OK(graph);
  LearnerModelOptions truth = PlainTruth();
  truth.prerequisite_penalty = 0.25;
  truth.model.defaults = Params(0.0, 0.4);
  auto cohort = SyntheticCohort::Create(*graph, truth, /*seed=*/1);
  ASSERT_OK(cohort);
  EXPECT_DOUBLE_EQ((*cohort)->MakeLearner(0).LearnProbability(1, 1), 0.4 * 0.5);  // 0.25^0.5
}

TEST(SyntheticLearnerTest, ForgetsOverSimulatedTime) {
  const CompetencyGraph graph = MakeChainGraph();
  LearnerModelOptions truth = PlainTruth();
  truth.model.defaults = Params(1.0, 0.3);
  truth.forget_per_day = 0.3;
  truth.prior_knowledge_practices = 0;
  auto cohort = SyntheticCohort::Create(graph, truth, /*seed=*/5);
  ASSERT_OK(cohort);

  constexpr int kLearners = 20000;
  int kept_one_day = 0;
  int kept_two_days = 0;
  for (uint32_t i = 0; i < kLearners; ++i) {
    SyntheticLearner learner = (*cohort)->MakeLearner(i);
    learner.AdvanceTo(24 * 60.0);
    kept_one_day += learner.IsLearned(0) ? 1 : 0;
    learner.AdvanceTo(2 * 24 * 60.0);
    kept_two_days += learner.IsLearned(0) ? 1 : 0;
  }
  EXPECT_NEAR(static_cast<double>(kept_one_day) / kLearners, 0.7, FourSigma(0.7, kLearners));
  EXPECT_NEAR(static_cast<double>(kept_two_days) / kLearners, 0.49, FourSigma(0.49, kLearners));
}

TEST(SyntheticLearnerTest, PracticeProtectsAgainstForgetting) {
  const CompetencyGraph graph = MakeChainGraph();
  LearnerModelOptions truth = PlainTruth();
  truth.model.defaults = Params(1.0, 0.3);
  truth.forget_per_day = 0.3;
  truth.review_stability = 0.5;
  truth.prior_knowledge_practices = 0;
  auto cohort = SyntheticCohort::Create(graph, truth, /*seed=*/5);
  ASSERT_OK(cohort);
  const uint32_t a = *(*cohort)->ActivityIndex("a");

  constexpr int kLearners = 20000;
  int kept = 0;
  for (uint32_t i = 0; i < kLearners; ++i) {
    SyntheticLearner learner = (*cohort)->MakeLearner(i);
    learner.Attempt(a, 0.0);  // hazard halves: a day now keeps 0.7^0.5
    learner.AdvanceTo(24 * 60.0);
    kept += learner.IsLearned(0) ? 1 : 0;
  }
  const double expected = std::sqrt(0.7);
  EXPECT_NEAR(static_cast<double>(kept) / kLearners, expected, FourSigma(expected, kLearners));
}

TEST(SyntheticCohortTest, LearnerDependsOnSeedAndIndexOnly) {
  const CompetencyGraph graph = MakeChainGraph();
  LearnerModelOptions truth;
  truth.model.defaults = Params(0.3, 0.2);
  auto cohort = SyntheticCohort::Create(graph, truth, /*seed=*/9);
  ASSERT_OK(cohort);
  auto trajectory = [&](const SyntheticCohort& c, uint32_t index) {
    SyntheticLearner learner = c.MakeLearner(index);
    std::vector<int> outcomes{static_cast<int>(learner.num_learned())};
    for (int step = 0; step < 50; ++step) {
      outcomes.push_back(learner.Attempt(step % 5, step * 10.0) ? 1 : 0);
      outcomes.push_back(static_cast<int>(learner.num_learned()));
    }
    return outcomes;
  };
  // Learner 7 is the same person whether or not others were made before it.
  const std::vector<int> first = trajectory(**cohort, 7);
  (void)trajectory(**cohort, 3);
  EXPECT_EQ(trajectory(**cohort, 7), first);
  EXPECT_NE(trajectory(**cohort, 8), first);
  auto reseeded = SyntheticCohort::Create(graph, truth, /*seed=*/10);
  ASSERT_OK(reseeded);
  EXPECT_NE(trajectory(**reseeded, 7), first);
}

TEST(SyntheticCohortTest, GroupsGetTheirShareAndOffsets) {
  const CompetencyGraph graph = MakeChainGraph();
  LearnerModelOptions truth;
  CohortGroup a;
  a.name = "a";
  a.weight = 1.0;
  a.learn_offset = 2.0;
  a.learn_spread = 0.0;
  CohortGroup b;
  b.name = "b";
  b.weight = 3.0;
  b.learn_offset = -2.0;
  b.learn_spread = 0.0;
  truth.groups = {a, b};
  auto cohort = SyntheticCohort::Create(graph, truth, /*seed=*/2);
  ASSERT_OK(cohort);
  constexpr int kLearners = 8000;
  int in_b = 0;
  for (uint32_t i = 0; i < kLearners; ++i) {
    SyntheticLearner learner = (*cohort)->MakeLearner(i);
    in_b += learner.group() == 1 ? 1 : 0;
    EXPECT_EQ(learner.learn_offset(), learner.group() == 0 ? 2.0 : -2.0);
  }
  EXPECT_NEAR(static_cast<double>(in_b) / kLearners, 0.75, FourSigma(0.75, kLearners));
}

TEST(SyntheticCohortTest, RejectsBadOptionsNamingTheField) {
  const CompetencyGraph graph = MakeChainGraph();
  LearnerModelOptions truth;
  truth.prerequisite_penalty = 1.5;
  auto bad_penalty = SyntheticCohort::Create(graph, truth, 1);
  EXPECT_EQ(bad_penalty.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad_penalty.status().message().find("prerequisite_penalty"), std::string::npos);

  truth = LearnerModelOptions{};
  truth.groups.resize(2);
  truth.groups[0].name = truth.groups[1].name = "x";
  auto duplicate = SyntheticCohort::Create(graph, truth, 1);
  EXPECT_NE(duplicate.status().message().find("groups[1].name"), std::string::npos);

  truth = LearnerModelOptions{};
  truth.model.defaults.slip = 2.0;
  auto bad_model = SyntheticCohort::Create(graph, truth, 1);
  EXPECT_NE(bad_model.status().message().find("model"), std::string::npos);
}

TEST(SimulationTest, ResultsDoNotDependOnThreadCount) {
  const CompetencyGraph graph = MakeChainGraph();
  SimulationOptions options = ChainOptions();
  options.threads = 1;
  auto one = RunFirstReady(graph, options);
  ASSERT_OK(one);
  options.threads = 4;
  auto four = RunFirstReady(graph, options);
  ASSERT_OK(four);
  ExpectSameResult(*one, *four);
}

TEST(SimulationTest, SeedChangesResults) {
  const CompetencyGraph graph = MakeChainGraph();
  SimulationOptions options = ChainOptions();
  auto first = RunFirstReady(graph, options);
  ASSERT_OK(first);
  options.seed += 1;
  auto second = RunFirstReady(graph, options);
  ASSERT_OK(second);
  EXPECT_NE(first->policies[0].all.curve_learned, second->policies[0].all.curve_learned);
  int differing = 0;
  for (size_t i = 0; i < first->learner_outcomes.size(); ++i) {
    differing +=
        first->learner_outcomes[i].steps_to_goal != second->learner_outcomes[i].steps_to_goal;
  }
  EXPECT_GT(differing, 0);
}

TEST(SimulationTest, CohortBreakdownSumsToTotal) {
  const CompetencyGraph graph = MakeChainGraph();
  auto result = RunFirstReady(graph, ChainOptions());
  ASSERT_OK(result);
  const PolicyResult& policy = result->policies[0];
  ASSERT_EQ(policy.groups.size(), 2u);
  EXPECT_EQ(policy.groups[0].group, "fast");
  EXPECT_EQ(policy.groups[1].group, "slow");
  size_t learners = 0;
  double steps = 0.0, reached = 0.0, predictions = 0.0;
  std::vector<double> curve(result->curve_steps.size(), 0.0);
  for (const CohortOutcome& group : policy.groups) {
    learners += group.learners;
    steps += group.mean_steps_to_goal * group.learners;
    reached += group.reached_goal_share * group.learners;
    predictions += static_cast<double>(group.prediction.count);
    for (size_t j = 0; j < curve.size(); ++j)
      curve[j] += group.curve_scope_learned[j] * group.learners;
  }
  EXPECT_EQ(learners, policy.all.learners);
  EXPECT_EQ(learners, 200u);
  EXPECT_NEAR(steps / learners, policy.all.mean_steps_to_goal, 1e-9);
  EXPECT_NEAR(reached / learners, policy.all.reached_goal_share, 1e-12);
  EXPECT_EQ(predictions, static_cast<double>(policy.all.prediction.count));
  for (size_t j = 0; j < curve.size(); ++j) {
    EXPECT_NEAR(curve[j] / learners, policy.all.curve_scope_learned[j], 1e-9);
  }
  // The slow group (learn offset -1 vs +1) takes longer: the breakdown shows who is held back.
  EXPECT_GT(policy.groups[1].mean_steps_to_goal, policy.groups[0].mean_steps_to_goal);
}

TEST(SimulationTest, NonReachersCountAsK) {
  const CompetencyGraph graph = MakeChainGraph();
  SimulationOptions options = ChainOptions();
  options.steps = 25;  // short: some learners make it to d, some do not
  auto result = RunFirstReady(graph, options);
  ASSERT_OK(result);
  double sum = 0.0;
  int reached = 0;
  for (const LearnerOutcome& outcome : result->learner_outcomes) {
    if (outcome.reached_goal) {
      ++reached;
      EXPECT_LE(outcome.steps_to_goal, options.steps);
      sum += outcome.steps_to_goal;
    } else {
      EXPECT_EQ(outcome.steps_to_goal, options.steps);
      sum += options.steps;
    }
  }
  const CohortOutcome& all = result->policies[0].all;
  ASSERT_GT(reached, 0);
  ASSERT_LT(reached, options.learners);
  EXPECT_NEAR(all.mean_steps_to_goal, sum / options.learners, 1e-9);
  EXPECT_DOUBLE_EQ(all.reached_goal_share, static_cast<double>(reached) / options.learners);
  EXPECT_DOUBLE_EQ(all.curve_reached_share.back(), all.reached_goal_share);

  options.steps = 2;  // d is four competencies deep and nobody knows it at the start
  options.truth.model.competencies["d"] = Params(0.0, 0.3);
  auto none = RunFirstReady(graph, options);
  ASSERT_OK(none);
  EXPECT_EQ(none->policies[0].all.mean_steps_to_goal, 2.0);
  EXPECT_EQ(none->policies[0].all.reached_goal_share, 0.0);
  EXPECT_TRUE(std::isnan(none->policies[0].all.mean_steps_among_reached));
}

TEST(SimulationTest, CurvesStartAtZeroAndEndAtK) {
  const CompetencyGraph graph = MakeChainGraph();
  SimulationOptions options = ChainOptions();
  options.steps = 61;
  options.curve_points = 20;  // every 4 steps, then 61
  auto result = RunFirstReady(graph, options);
  ASSERT_OK(result);
  ASSERT_FALSE(result->curve_steps.empty());
  EXPECT_EQ(result->curve_steps.front(), 0);
  EXPECT_EQ(result->curve_steps[1], 4);
  EXPECT_EQ(result->curve_steps.back(), 61);
  EXPECT_EQ(result->policies[0].all.curve_learned.size(), result->curve_steps.size());
  EXPECT_EQ(result->goal_scope_size, 4u);  // d, c, b, a
  // Learning happens: more is learned at the end than at the start.
  EXPECT_GT(result->policies[0].all.curve_scope_learned.back(),
            result->policies[0].all.curve_scope_learned.front() + 1.0);
}

TEST(SimulationTest, OnlineModelPredictsBetterThanChance) {
  const CompetencyGraph graph = MakeChainGraph();
  SimulationOptions options = ChainOptions();
  options.truth.forget_per_day = 0.0;
  auto result = RunFirstReady(graph, options);
  ASSERT_OK(result);
  const Metrics& prediction = result->policies[0].all.prediction;
  EXPECT_GT(prediction.count, static_cast<size_t>(options.learners));
  EXPECT_GT(prediction.auc, 0.6);
}

TEST(SimulationTest, PolicyThatRunsOutStopsTheLearner) {
  const CompetencyGraph graph = MakeChainGraph();
  SimulationOptions options = ChainOptions();
  options.truth.model.defaults = Params(0.2, 0.9);
  options.truth.forget_per_day = 0.0;
  options.steps = 500;  // far more than five competencies need
  auto result = RunFirstReady(graph, options);
  ASSERT_OK(result);
  const CohortOutcome& all = result->policies[0].all;
  EXPECT_GT(all.stopped_early_share, 0.9);
  for (const LearnerOutcome& outcome : result->learner_outcomes) {
    EXPECT_LE(outcome.steps_taken, options.steps);
  }
  EXPECT_EQ(all.curve_learned.size(), result->curve_steps.size());
}

TEST(SimulationTest, PolicyErrorNamesPolicyLearnerAndStep) {
  const CompetencyGraph graph = MakeChainGraph();
  auto sim = Simulation::Create(graph, ChainOptions());
  ASSERT_OK(sim);
  auto result =
      (*sim)->Run({{"bogus", std::make_shared<BogusPolicy>(graph, (*sim)->online_model())}});
  EXPECT_EQ(result.status().code(), StatusCode::kNotFound);
  EXPECT_NE(result.status().message().find("policy bogus, learner 0, step 0"), std::string::npos)
      << result.status();
  EXPECT_NE(result.status().message().find("no-such-activity"), std::string::npos);
}

TEST(SimulationTest, RejectsBadOptionsAndGoals) {
  const CompetencyGraph graph = MakeChainGraph();
  SimulationOptions options = ChainOptions();
  options.learners = 0;
  EXPECT_NE(Simulation::Create(graph, options).status().message().find("learners"),
            std::string::npos);
  options = ChainOptions();
  options.threads = 0;
  EXPECT_NE(Simulation::Create(graph, options).status().message().find("threads"),
            std::string::npos);
  options = ChainOptions();
  options.truth.forget_per_day = 1.0;
  EXPECT_NE(Simulation::Create(graph, options).status().message().find("truth: forget_per_day"),
            std::string::npos);
  options = ChainOptions();
  options.goals = {"nope"};
  EXPECT_EQ(Simulation::Create(graph, options).status().code(), StatusCode::kNotFound);
  options = ChainOptions();
  options.policies = {PolicyKind::kRandom, PolicyKind::kRandom};
  EXPECT_NE(Simulation::Create(graph, options).status().message().find("listed twice"),
            std::string::npos);
  auto sim = Simulation::Create(graph, ChainOptions());
  ASSERT_OK(sim);
  EXPECT_EQ((*sim)->Run({{"x", nullptr}}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ((*sim)->Run().status().code(), StatusCode::kInvalidArgument);  // no policy
}

TEST(SimulationTest, RunsTheRecommenderPolicies) {
  const CompetencyGraph graph = MakeChainGraph();
  SimulationOptions options = ChainOptions();
  options.policies = {PolicyKind::kMastery, PolicyKind::kZpdes, PolicyKind::kRandom,
                      PolicyKind::kCurriculum};
  options.threads = 1;
  auto one = RunSimulation(graph, options);
  ASSERT_OK(one);
  ASSERT_EQ(one->policies.size(), 4u);
  EXPECT_EQ(one->policies[0].policy, "mastery");
  EXPECT_EQ(one->policies[3].policy, "curriculum");
  options.threads = 3;
  auto three = RunSimulation(graph, options);
  ASSERT_OK(three);
  ExpectSameResult(*one, *three);
}

// A competency `x` (no prerequisites) and `target` after it, each with two activities ("x.1",
// "x.2", ...); the first of each always teaches, whatever the content options.
CompetencyGraph MakeTwoActivityGraph() {
  GraphDefinition def;
  for (const char* id : {"x", "target"}) {
    Competency competency;
    competency.id = id;
    def.competencies.push_back(competency);
    for (const char* suffix : {".1", ".2"}) {
      Activity activity;
      activity.id = std::string(id) + suffix;
      activity.competencies = {{id, 1.0}};
      def.activities.push_back(activity);
    }
  }
  def.prerequisites = {{"x", "target"}};
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  EXPECT_OK(graph);
  return *graph;
}

TEST(LearnerModelTest, KindNamesRoundTrip) {
  for (LearnerModelKind kind :
       {LearnerModelKind::kBkt, LearnerModelKind::kAbility, LearnerModelKind::kPowerLawMemory}) {
    auto parsed = ParseLearnerModelKind(LearnerModelKindName(kind));
    ASSERT_OK(parsed);
    EXPECT_EQ(*parsed, kind);
  }
  EXPECT_FALSE(ParseLearnerModelKind("irt").ok());
}

TEST(LearnerModelTest, DeterministicAbilityAnswersAreAFunctionOfAbility) {
  const CompetencyGraph graph = MakeChainGraph();
  LearnerModelOptions truth = PlainTruth();
  truth.model.defaults = Params(0.0, 0.2);
  truth.kind = LearnerModelKind::kAbility;
  truth.ability.deterministic = true;
  auto cohort = SyntheticCohort::Create(graph, truth, /*seed=*/3);
  ASSERT_OK(cohort);
  const uint32_t a = *(*cohort)->ActivityIndex("a");
  std::vector<bool> first_answers;
  for (uint32_t i = 0; i < 5; ++i) {
    SyntheticLearner learner = (*cohort)->MakeLearner(i);
    std::vector<bool> answers;
    for (int step = 0; step < 12; ++step) {
      const double ability = learner.Ability(0);
      const double p = learner.CorrectProbability(a);
      EXPECT_TRUE(p == 0.0 || p == 1.0) << p;
      const bool correct = learner.Attempt(a, step);
      EXPECT_EQ(correct, ability >= 0.0) << "step " << step;  // no difficulty: b = 0
      answers.push_back(correct);
    }
    // Different seeds, same starting state: the same answers, step by step.
    if (i == 0) first_answers = answers;
    EXPECT_EQ(answers, first_answers);
    EXPECT_TRUE(answers.back());
    EXPECT_FALSE(answers.front());
  }
}

TEST(LearnerModelTest, AbilityGainsNeedThePrerequisiteFrontierAndShrinkWhenItIsWeak) {
  const CompetencyGraph graph = MakeChainGraph();  // a -> b -> c -> d
  LearnerModelOptions truth = PlainTruth();
  truth.model.defaults = Params(0.0, 0.2);
  truth.kind = LearnerModelKind::kAbility;
  truth.prerequisite_penalty = 0.5;
  auto cohort = SyntheticCohort::Create(graph, truth, /*seed=*/3);
  ASSERT_OK(cohort);
  const AbilityModelOptions& o = truth.ability;
  SyntheticLearner learner = (*cohort)->MakeLearner(0);
  const uint32_t b = *(*cohort)->ActivityIndex("b");
  const uint32_t a = *(*cohort)->ActivityIndex("a");
  // b's prerequisite a is at start_ability (progress 0 < frontier_min_progress): nothing.
  learner.Attempt(b, 0.0);
  EXPECT_EQ(learner.Ability(1), o.start_ability);
  // One practice of a: the full gain (no prerequisites).
  learner.Attempt(a, 1.0);
  const double gain = o.gain_per_learn * 0.2;
  EXPECT_NEAR(learner.Ability(0), o.start_ability + gain, 1e-12);
  // a's progress is now 0.8 / 3.5 < 0.25: still nothing for b; one more and it is past it.
  learner.Attempt(b, 2.0);
  EXPECT_EQ(learner.Ability(1), o.start_ability);
  learner.Attempt(a, 3.0);
  const double progress = 2.0 * gain / (o.mastery_ability - o.start_ability);
  learner.Attempt(b, 4.0);
  EXPECT_NEAR(learner.Ability(1), o.start_ability + gain * std::pow(0.5, 1.0 - progress), 1e-12);
  EXPECT_GT(learner.Ability(1), o.start_ability);
  EXPECT_LT(learner.Ability(1), o.start_ability + gain);
  EXPECT_FALSE(learner.IsLearned(0));
  for (int step = 0; step < 3; ++step) learner.Attempt(a, 5.0 + step);
  EXPECT_TRUE(learner.IsLearned(0));  // 5 x 0.8 = 4 logits >= 3.5
}

TEST(LearnerModelTest, InertContentNeverRaisesAbility) {
  const CompetencyGraph graph = MakeTwoActivityGraph();
  LearnerModelOptions truth = PlainTruth();
  truth.model.defaults = Params(0.0, 0.5);
  truth.kind = LearnerModelKind::kAbility;
  truth.content.inert_share = 1.0;  // all but the first activity of each competency
  auto cohort = SyntheticCohort::Create(graph, truth, /*seed=*/3);
  ASSERT_OK(cohort);
  const uint32_t x1 = *(*cohort)->ActivityIndex("x.1");
  const uint32_t x2 = *(*cohort)->ActivityIndex("x.2");
  SyntheticLearner learner = (*cohort)->MakeLearner(0);
  const double start = learner.Ability(0);
  for (int step = 0; step < 50; ++step) {
    learner.Attempt(x2, step);
    EXPECT_EQ(learner.Ability(0), start);
  }
  EXPECT_EQ(learner.ExpectedScopeGain(x2, {1, 1}), 0.0);
  EXPECT_GT(learner.ExpectedScopeGain(x1, {1, 1}), 0.0);
  learner.Attempt(x1, 60.0);
  EXPECT_GT(learner.Ability(0), start);

  // The same for binary learners: the inert activity never teaches.
  truth.kind = LearnerModelKind::kBkt;
  auto bkt = SyntheticCohort::Create(graph, truth, /*seed=*/3);
  ASSERT_OK(bkt);
  for (uint32_t i = 0; i < 20; ++i) {
    SyntheticLearner binary = (*bkt)->MakeLearner(i);
    EXPECT_EQ(binary.LearnProbability(x2, 0), 0.0);
    for (int step = 0; step < 20; ++step) binary.Attempt(x2, step);
    EXPECT_FALSE(binary.IsLearned(0));
  }
}

TEST(LearnerModelTest, GatedContentTeachesOnlyOnceThePrerequisiteIsLearned) {
  const CompetencyGraph graph = MakeTwoActivityGraph();
  LearnerModelOptions truth = PlainTruth();
  truth.model.defaults = Params(0.0, 1.0);
  truth.content.gated_share = 1.0;
  auto cohort = SyntheticCohort::Create(graph, truth, /*seed=*/3);
  ASSERT_OK(cohort);
  const uint32_t x1 = *(*cohort)->ActivityIndex("x.1");
  const uint32_t t1 = *(*cohort)->ActivityIndex("target.1");
  const uint32_t t2 = *(*cohort)->ActivityIndex("target.2");
  SyntheticLearner learner = (*cohort)->MakeLearner(0);
  EXPECT_EQ(learner.LearnProbability(t2, 1), 0.0);
  EXPECT_EQ(learner.LearnProbability(t1, 1), 0.5);  // teaches, with the usual penalty
  learner.Attempt(x1, 0.0);                         // learn 1: learned
  ASSERT_TRUE(learner.IsLearned(0));
  EXPECT_EQ(learner.LearnProbability(t2, 1), 1.0);
}

TEST(LearnerModelTest, AnswerNoiseFlipsAnswers) {
  const CompetencyGraph graph = MakeChainGraph();
  LearnerModelOptions truth = PlainTruth();
  truth.model.defaults = Params(1.0, 0.2);  // everything learned: P(correct) = 1 - slip = 0.9
  truth.extra_slip = 0.2;
  truth.extra_guess = 0.1;
  auto cohort = SyntheticCohort::Create(graph, truth, /*seed=*/3);
  ASSERT_OK(cohort);
  SyntheticLearner learner = (*cohort)->MakeLearner(0);
  EXPECT_NEAR(learner.CorrectProbability(0), 0.9 * 0.8 + 0.1 * 0.1, 1e-12);
  // The online model does not know about it.
  EXPECT_EQ((*cohort)->PopulationModel().defaults.slip, 0.1);
}

TEST(LearnerModelTest, PowerLawMemoryDecaysAsAPowerLaw) {
  const CompetencyGraph graph = MakeChainGraph();
  LearnerModelOptions truth = PlainTruth();
  truth.model.defaults = Params(1.0, 0.3);
  truth.kind = LearnerModelKind::kPowerLawMemory;
  truth.prior_knowledge_practices = 0;  // stability 1 day: R(t) = 1 / (1 + t)
  auto cohort = SyntheticCohort::Create(graph, truth, /*seed=*/5);
  ASSERT_OK(cohort);
  constexpr int kLearners = 20000;
  int kept_one = 0, kept_nine = 0, kept_99 = 0;
  for (uint32_t i = 0; i < kLearners; ++i) {
    SyntheticLearner learner = (*cohort)->MakeLearner(i);
    learner.AdvanceTo(1 * 24 * 60.0);
    kept_one += learner.IsLearned(0) ? 1 : 0;
    learner.AdvanceTo(9 * 24 * 60.0);
    kept_nine += learner.IsLearned(0) ? 1 : 0;
    learner.AdvanceTo(99 * 24 * 60.0);
    kept_99 += learner.IsLearned(0) ? 1 : 0;
  }
  EXPECT_NEAR(kept_one / double{kLearners}, 0.5, FourSigma(0.5, kLearners));
  EXPECT_NEAR(kept_nine / double{kLearners}, 0.1, FourSigma(0.1, kLearners));
  // An exponential with the same one-day survival would keep 2^-99; the power law keeps 1%.
  EXPECT_NEAR(kept_99 / double{kLearners}, 0.01, FourSigma(0.01, kLearners));
}

TEST(LearnerModelTest, SpacedPracticeSlowsForgettingMoreThanMassedPractice) {
  const CompetencyGraph graph = MakeChainGraph();
  LearnerModelOptions truth = PlainTruth();
  truth.model.defaults = Params(1.0, 0.0);  // known at the start, never relearned
  truth.kind = LearnerModelKind::kPowerLawMemory;
  truth.prior_knowledge_practices = 0;
  auto cohort = SyntheticCohort::Create(graph, truth, /*seed=*/5);
  ASSERT_OK(cohort);
  const uint32_t a = *(*cohort)->ActivityIndex("a");
  constexpr double kDay = 24 * 60.0;
  // Three practices, massed (all at once on day 3) or spaced (days 1, 2, 3); then the share of
  // those who still know it on day 3 that keep it 20 days later.
  auto retained = [&](bool spaced) {
    int known = 0, kept = 0;
    for (uint32_t i = 0; i < 20000; ++i) {
      SyntheticLearner learner = (*cohort)->MakeLearner(i);
      for (int k = 1; k <= 3; ++k) learner.Attempt(a, (spaced ? k : 3) * kDay);
      if (!learner.IsLearned(0)) continue;
      ++known;
      learner.AdvanceTo(23 * kDay);
      kept += learner.IsLearned(0) ? 1 : 0;
    }
    return static_cast<double>(kept) / known;
  };
  const double massed = retained(false);
  const double spaced = retained(true);
  EXPECT_GT(spaced, massed + 0.05) << "massed " << massed << ", spaced " << spaced;
}

TEST(LearnerModelTest, HeavyTailedPaceHasMoreExtremeLearners) {
  const CompetencyGraph graph = MakeChainGraph();
  LearnerModelOptions truth;
  CohortGroup group;
  group.name = "all";
  group.learn_spread = 1.0;
  truth.groups = {group};
  auto normal = SyntheticCohort::Create(graph, truth, /*seed=*/5);
  truth.groups[0].learn_tail_dof = 2;
  auto heavy = SyntheticCohort::Create(graph, truth, /*seed=*/5);
  ASSERT_OK(normal);
  ASSERT_OK(heavy);
  int normal_extreme = 0, heavy_extreme = 0;
  for (uint32_t i = 0; i < 5000; ++i) {
    normal_extreme += std::abs((*normal)->MakeLearner(i).learn_offset()) > 3.0 ? 1 : 0;
    heavy_extreme += std::abs((*heavy)->MakeLearner(i).learn_offset()) > 3.0 ? 1 : 0;
  }
  // P(|z| > 3): 0.27% for a normal, 9.5% for a t with 2 degrees of freedom.
  EXPECT_LT(normal_extreme, 40);
  EXPECT_GT(heavy_extreme, 300);
}

TEST(LearnerModelTest, RejectsBadLearnerModelOptionsNamingTheField) {
  const CompetencyGraph graph = MakeChainGraph();
  LearnerModelOptions truth;
  truth.content.inert_share = 0.7;
  truth.content.gated_share = 0.5;
  auto cohort = SyntheticCohort::Create(graph, truth, 1);
  ASSERT_FALSE(cohort.ok());
  EXPECT_NE(cohort.status().message().find("content.inert_share + content.gated_share"),
            std::string::npos);
  truth = {};
  truth.ability.mastery_ability = truth.ability.start_ability;
  cohort = SyntheticCohort::Create(graph, truth, 1);
  ASSERT_FALSE(cohort.ok());
  EXPECT_NE(cohort.status().message().find("ability.start_ability"), std::string::npos);
  truth = {};
  truth.memory.decay = 0.0;
  cohort = SyntheticCohort::Create(graph, truth, 1);
  ASSERT_FALSE(cohort.ok());
  EXPECT_NE(cohort.status().message().find("memory.decay"), std::string::npos);
}

TEST(SimulationTest, OracleFollowsTheTruthAndBeatsRandom) {
  const CompetencyGraph graph = MakeChainGraph();
  SimulationOptions options = ChainOptions();
  options.policies = {PolicyKind::kRandom};
  options.trace_learners = 20;
  options.budget_steps = 10;
  options.truth.forget_per_day = 0.0;
  auto simulation = Simulation::Create(graph, options);
  ASSERT_OK(simulation);
  std::vector<SimulatedPolicy> policies = (*simulation)->DefaultPolicies();
  policies.push_back((*simulation)->Oracle());
  auto result = (*simulation)->Run(policies);
  ASSERT_OK(result);
  ASSERT_EQ(result->policies.size(), 2u);
  EXPECT_EQ(result->policies[1].policy, "oracle");
  // Until the goal is reached the oracle practises only what is not learned and ready (the
  // penalty makes anything else slower).
  for (const LearnerTrace& trace : result->traces) {
    if (trace.policy != 1) continue;
    const LearnerOutcome& outcome = result->learner_outcomes[options.learners + trace.learner];
    for (const TraceStep& step : trace.steps) {
      if (step.step >= outcome.steps_to_goal) break;
      EXPECT_FALSE(step.was_learned) << "learner " << trace.learner << " step " << step.step;
      EXPECT_TRUE(step.prerequisites_learned) << "learner " << trace.learner;
    }
  }
  EXPECT_LT(result->policies[1].all.mean_steps_to_goal, result->policies[0].all.mean_steps_to_goal);
  // No forgetting: the budget count lies between the start and the end.
  for (const LearnerOutcome& outcome : result->learner_outcomes) {
    EXPECT_LE(outcome.start_scope_learned, outcome.budget_scope_learned);
    EXPECT_LE(outcome.budget_scope_learned, outcome.final_scope_learned);
  }
  // Another simulation's oracle is refused.
  auto other = Simulation::Create(graph, options);
  ASSERT_OK(other);
  EXPECT_FALSE((*other)->Run({(*simulation)->Oracle()}).ok());
}

TEST(SimulationTest, OtherLearnerModelsDoNotDependOnThreadCount) {
  const CompetencyGraph graph = MakeChainGraph();
  for (LearnerModelKind kind : {LearnerModelKind::kAbility, LearnerModelKind::kPowerLawMemory}) {
    SimulationOptions options = ChainOptions();
    options.policies = {PolicyKind::kMastery, PolicyKind::kZpdes};
    options.truth.kind = kind;
    options.truth.extra_slip = 0.1;
    options.threads = 1;
    auto one = RunSimulation(graph, options);
    ASSERT_OK(one);
    options.threads = 3;
    auto three = RunSimulation(graph, options);
    ASSERT_OK(three);
    ExpectSameResult(*one, *three);
  }
}

}  // namespace
}  // namespace pathwise
