#include <algorithm>
#include <map>
#include <memory>
#include <numeric>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include <pathwise/bkt.h>
#include <pathwise/competency_graph.h>
#include <pathwise/model.h>
#include <pathwise/planner.h>

#include "testing/status_matchers.h"

namespace pathwise {
namespace {

Activity Act(const std::string& id, const std::string& competency, double minutes) {
  Activity a;
  a.id = id;
  a.competencies = {{competency, 1.0}};
  a.expected_minutes = minutes;
  return a;
}

// basics -> {fractions, decimals} -> ratios; geometry alone. Activities: two for basics (5 and 15
// minutes), one each for fractions, decimals and ratios; none for geometry.
CompetencyGraph Graph(bool with_activities = true) {
  GraphDefinition def;
  def.groups = {{"numbers", "Numbers", ""}};
  for (const char* id : {"basics", "fractions", "decimals", "ratios", "geometry"}) {
    Competency c;
    c.id = id;
    if (std::string(id) != "geometry") c.group = "numbers";
    def.competencies.push_back(c);
  }
  def.prerequisites = {{"basics", "fractions"},
                       {"basics", "decimals"},
                       {"fractions", "ratios"},
                       {"decimals", "ratios"}};
  if (with_activities) {
    def.activities = {Act("basics.1", "basics", 5.0), Act("basics.2", "basics", 15.0),
                      Act("fractions.1", "fractions", 8.0), Act("decimals.1", "decimals", 4.0),
                      Act("ratios.1", "ratios", 6.0)};
  }
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  EXPECT_OK(graph);
  return graph.ok() ? std::move(graph).value() : CompetencyGraph();
}

std::unique_ptr<PathwayPlanner> Planner(const CompetencyGraph& graph, const BktModel& model = {},
                                        const RecommenderOptions& options = {}) {
  Result<std::unique_ptr<PathwayPlanner>> planner = PathwayPlanner::Create(graph, model, options);
  EXPECT_OK(planner);
  return planner.ok() ? std::move(planner).value() : nullptr;
}

LearnerState State(std::vector<CompetencyState> entries) {
  LearnerState state;
  state.learner_id = "ann";
  state.competencies = std::move(entries);
  return state;
}

std::vector<std::string> StepIds(const Pathway& plan) {
  std::vector<std::string> ids;
  for (const PathwayStep& s : plan.steps) ids.push_back(s.competency_id);
  return ids;
}

TEST(PlannerTest, StepsArePrerequisitesFirstWithClosedFormEffort) {
  const CompetencyGraph graph = Graph();
  BktModel model;
  model.competencies["fractions"] = {0.3, 0.2, 0.0, 0.2, 0.1};
  std::unique_ptr<PathwayPlanner> planner = Planner(graph, model);
  // basics (index 0) is mastered already.
  Result<Pathway> plan = planner->Plan(State({{0, 0.97, 5, 0}}), {"ratios"});
  ASSERT_OK(plan);
  EXPECT_TRUE(plan->reachable());
  EXPECT_EQ(StepIds(*plan), (std::vector<std::string>{"fractions", "decimals", "ratios"}));
  EXPECT_EQ(plan->goals, std::vector<std::string>{"ratios"});
  EXPECT_TRUE(plan->goals_mastered.empty());
  int total = 0;
  double minutes = 0.0;
  for (const PathwayStep& step : plan->steps) {
    const BktParams params = model.ParamsFor(step.competency_id);
    const std::optional<int> expected = ExpectedOpportunitiesToMastery(params, params.prior, 0.95);
    ASSERT_TRUE(expected.has_value());
    EXPECT_EQ(step.expected_opportunities, *expected) << step.competency_id;
    EXPECT_EQ(step.activity_ids, std::vector<std::string>{step.competency_id + ".1"});
    total += *expected;
    minutes += step.expected_minutes;
  }
  EXPECT_EQ(plan->total_expected_opportunities, total);
  EXPECT_DOUBLE_EQ(plan->total_expected_minutes, minutes);
  EXPECT_DOUBLE_EQ(plan->steps[0].expected_minutes, plan->steps[0].expected_opportunities * 8.0);
  EXPECT_EQ(plan->steps[2].prerequisites_in_plan,
            (std::vector<std::string>{"fractions", "decimals"}));
  EXPECT_TRUE(plan->steps[2].is_goal);
  EXPECT_FALSE(plan->steps[0].is_goal);
}

TEST(PlannerTest, MasteryLowersTheExpectedEffort) {
  const CompetencyGraph graph = Graph();
  std::unique_ptr<PathwayPlanner> planner = Planner(graph);
  Result<Pathway> fresh = planner->Plan(State({}), {"basics"});
  Result<Pathway> started = planner->Plan(State({{0, 0.7, 3, 0}}), {"basics"});
  ASSERT_OK(fresh);
  ASSERT_OK(started);
  ASSERT_EQ(fresh->steps.size(), 1u);
  EXPECT_LT(started->steps[0].expected_opportunities, fresh->steps[0].expected_opportunities);
  EXPECT_EQ(started->steps[0].expected_opportunities,
            *ExpectedOpportunitiesToMastery(BktParams{}, 0.7, 0.95));
  // Mean of 5 and 15 minutes per opportunity.
  EXPECT_DOUBLE_EQ(fresh->steps[0].expected_minutes, fresh->steps[0].expected_opportunities * 10.0);
}

TEST(PlannerTest, ForgettingCeilingMakesTheGoalUnreachable) {
  const CompetencyGraph graph = Graph();
  BktModel model;
  // decimals levels off at 0.1 / (0.1 + 0.05) = 0.67 < 0.95.
  model.competencies["decimals"] = {0.1, 0.1, 0.05, 0.2, 0.1};
  std::unique_ptr<PathwayPlanner> planner = Planner(graph, model);
  Result<Pathway> plan = planner->Plan(State({}), {"ratios", "fractions"});
  ASSERT_OK(plan);
  EXPECT_FALSE(plan->reachable());
  ASSERT_EQ(plan->unreachable.size(), 1u);
  const UnreachableGoal& goal = plan->unreachable[0];
  EXPECT_EQ(goal.goal_id, "ratios");
  EXPECT_EQ(goal.reason, UnreachableReason::kBlockedByPrerequisite);
  EXPECT_EQ(goal.cause_competency_id, "decimals");
  const PathwayStep& decimals = plan->steps[2];
  ASSERT_EQ(decimals.competency_id, "decimals");
  EXPECT_EQ(decimals.unreachable, UnreachableReason::kForgettingCeiling);
  EXPECT_EQ(decimals.unreachable_message,
            "practice levels off at 0.67 (learn 0.10, forget 0.05), below the threshold 0.95");
  EXPECT_EQ(decimals.expected_opportunities, 0);
  EXPECT_NE(goal.message.find("practice levels off at 0.67"), std::string::npos);
  // fractions is still reachable and counted.
  EXPECT_EQ(plan->steps[1].unreachable, UnreachableReason::kNone);
  EXPECT_GT(plan->total_expected_opportunities, 0);

  // The goal that is itself capped is flagged with its own reason.
  Result<Pathway> direct = planner->Plan(State({}), {"decimals"});
  ASSERT_OK(direct);
  ASSERT_EQ(direct->unreachable.size(), 1u);
  EXPECT_EQ(direct->unreachable[0].reason, UnreachableReason::kForgettingCeiling);
  EXPECT_EQ(UnreachableReasonName(direct->unreachable[0].reason), "forgetting_ceiling");
}

TEST(PlannerTest, SoftGatingDoesNotBlockDependents) {
  const CompetencyGraph graph = Graph();
  BktModel model;
  model.competencies["decimals"] = {0.1, 0.1, 0.05, 0.2, 0.1};
  RecommenderOptions options;
  options.mastery.gating = Gating::kSoft;
  Result<Pathway> plan = Planner(graph, model, options)->Plan(State({}), {"ratios"});
  ASSERT_OK(plan);
  EXPECT_TRUE(plan->reachable());
  EXPECT_EQ(plan->steps.back().unreachable, UnreachableReason::kNone);
}

TEST(PlannerTest, CompetencyWithoutActivityIsFlagged) {
  const CompetencyGraph graph = Graph();
  Result<Pathway> plan = Planner(graph)->Plan(State({}), {"geometry"});
  ASSERT_OK(plan);
  ASSERT_EQ(plan->unreachable.size(), 1u);
  EXPECT_EQ(plan->unreachable[0].reason, UnreachableReason::kNoActivity);
  EXPECT_EQ(plan->unreachable[0].message, "geometry: no activity practises geometry");
  // Without any activities in the graph, each competency is its own activity: reachable.
  const CompetencyGraph bare = Graph(/*with_activities=*/false);
  Result<Pathway> assumed = Planner(bare)->Plan(State({}), {"geometry"});
  ASSERT_OK(assumed);
  EXPECT_TRUE(assumed->reachable());
  EXPECT_EQ(assumed->steps[0].activity_ids, std::vector<std::string>{"geometry"});
}

TEST(PlannerTest, GroupGoalsMasteredGoalsAndErrors) {
  const CompetencyGraph graph = Graph();
  std::unique_ptr<PathwayPlanner> planner = Planner(graph);
  // Everything in "numbers" mastered but ratios.
  Result<Pathway> plan =
      planner->Plan(State({{0, 0.99, 9, 0}, {1, 0.99, 9, 0}, {2, 0.96, 9, 0}}), {"numbers"});
  ASSERT_OK(plan);
  EXPECT_EQ(plan->goals, (std::vector<std::string>{"basics", "fractions", "decimals", "ratios"}));
  EXPECT_EQ(plan->goals_mastered, (std::vector<std::string>{"basics", "fractions", "decimals"}));
  EXPECT_EQ(StepIds(*plan), std::vector<std::string>{"ratios"});
  EXPECT_TRUE(plan->steps[0].prerequisites_in_plan.empty());

  EXPECT_EQ(planner->Plan(State({}), {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(planner->Plan(State({}), {"nope"}).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(planner->Plan(State({{7, 0.5, 1, 0}}), {"ratios"}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(PlannerTest, PlanIsDeterministic) {
  const CompetencyGraph graph = Graph();
  std::unique_ptr<PathwayPlanner> planner = Planner(graph);
  const LearnerState state = State({{1, 0.4, 2, 0}, {0, 0.96, 4, 0}});
  Result<Pathway> a = planner->Plan(state, {"ratios", "geometry"});
  Result<Pathway> b = planner->Plan(state, {"geometry", "ratios"});
  ASSERT_OK(a);
  ASSERT_OK(b);
  EXPECT_EQ(StepIds(*a), StepIds(*b));
  EXPECT_EQ(a->total_expected_opportunities, b->total_expected_opportunities);
}

// A random DAG whose insertion order is not its topological order (the ids are shuffled before
// insertion), so a plan that mixed up indices and ranks would show. For a learner with nothing
// mastered the steps are exactly the goals and the graph's own Ancestors, prerequisites first.
TEST(PlannerTest, FreshLearnerPlanIsTheGoalsAndTheirAncestorsPrerequisitesFirst) {
  constexpr int kCompetencies = 3000;
  std::mt19937_64 rng(17);
  std::vector<int> position(kCompetencies);
  std::iota(position.begin(), position.end(), 0);
  std::shuffle(position.begin(), position.end(), rng);
  auto id = [](int k) { return "c" + std::to_string(k); };
  GraphDefinition def;
  for (int k : position) {
    Competency c;
    c.id = id(k);
    def.competencies.push_back(c);
  }
  // Competency k has 0-3 prerequisites among the 300 before it: long chains, wide closures.
  for (int k = 1; k < kCompetencies; ++k) {
    std::set<int> from;
    const int edges = static_cast<int>(rng() % 4);
    for (int e = 0; e < edges; ++e) from.insert(k - 1 - static_cast<int>(rng() % std::min(k, 300)));
    for (int f : from) def.prerequisites.push_back({id(f), id(k)});
  }
  Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(def);
  ASSERT_OK(graph);
  std::unique_ptr<PathwayPlanner> planner = Planner(*graph);
  ASSERT_NE(planner, nullptr);
  std::map<std::string, std::vector<std::string>> prerequisites;
  for (const Prerequisite& edge : graph->prerequisites())
    prerequisites[edge.to].push_back(edge.from);

  for (int trial = 0; trial < 40; ++trial) {
    std::vector<std::string> goals;
    const int count = 1 + static_cast<int>(rng() % 5);
    for (int g = 0; g < count; ++g) goals.push_back(id(static_cast<int>(rng() % kCompetencies)));
    Result<std::vector<std::string>> ancestors = graph->Ancestors(goals);
    ASSERT_OK(ancestors);
    std::set<std::string> expected(ancestors->begin(), ancestors->end());
    expected.insert(goals.begin(), goals.end());

    Result<Pathway> plan = planner->Plan(State({}), goals);
    ASSERT_OK(plan);
    const std::vector<std::string> steps = StepIds(*plan);
    EXPECT_EQ(std::set<std::string>(steps.begin(), steps.end()), expected) << "trial " << trial;
    EXPECT_EQ(steps.size(), expected.size()) << "trial " << trial;
    std::map<std::string, size_t> at;
    for (size_t i = 0; i < steps.size(); ++i) at[steps[i]] = i;
    for (size_t i = 0; i < steps.size(); ++i) {
      for (const std::string& p : prerequisites[steps[i]])
        EXPECT_LT(at.at(p), i) << p << " is a prerequisite of " << steps[i] << ", trial " << trial;
    }
  }
}

}  // namespace
}  // namespace pathwise
