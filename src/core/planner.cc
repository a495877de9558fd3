#include <algorithm>
#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pathwise/bkt.h>
#include <pathwise/planner.h>

#include "recommender_index.h"

namespace pathwise {

using rec_internal::Csr;
using rec_internal::Fixed2;
using rec_internal::kNone;
using rec_internal::RecIndex;

std::string_view UnreachableReasonName(UnreachableReason reason) {
  switch (reason) {
    case UnreachableReason::kNone:
      return "none";
    case UnreachableReason::kForgettingCeiling:
      return "forgetting_ceiling";
    case UnreachableReason::kNoActivity:
      return "no_activity";
    case UnreachableReason::kBlockedByPrerequisite:
      return "blocked_by_prerequisite";
  }
  return "unknown";
}

struct PathwayPlanner::Impl {
  std::shared_ptr<const RecIndex> index;
};

PathwayPlanner::PathwayPlanner(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
PathwayPlanner::~PathwayPlanner() = default;

Result<std::unique_ptr<PathwayPlanner>> PathwayPlanner::Create(const CompetencyGraph& graph,
                                                               const BktModel& model,
                                                               const RecommenderOptions& options) {
  auto impl = std::make_unique<Impl>();
  PATHWISE_ASSIGN_OR_RETURN(impl->index, rec_internal::BuildRecIndex(graph, model, options));
  return std::unique_ptr<PathwayPlanner>(new PathwayPlanner(std::move(impl)));
}

Result<Pathway> PathwayPlanner::Plan(const LearnerMastery& mastery,
                                     const std::vector<std::string>& goals) const {
  PATHWISE_ASSIGN_OR_RETURN(LearnerState state, rec_internal::SparseState(*impl_->index, mastery));
  return Plan(state, goals);
}

Result<Pathway> PathwayPlanner::Plan(const LearnerState& state,
                                     const std::vector<std::string>& goals) const {
  const RecIndex& ix = *impl_->index;
  const RecommenderOptions& o = ix.options;
  if (goals.empty()) return Status::InvalidArgument("goals: at least one goal is needed");
  // Plan is const and may run concurrently, so the scratch is per call; it is sized by the graph
  // but only the goals' subgraph is touched (StampSet allocation aside).
  rec_internal::StateView view;
  PATHWISE_RETURN_IF_ERROR(view.Reset(ix, state));
  rec_internal::GoalClosure closure;
  PATHWISE_RETURN_IF_ERROR(closure.Update(ix, goals));

  Pathway plan;
  plan.learner_id = state.learner_id;
  for (uint32_t g : closure.goal_list()) {
    plan.goals.push_back(ix.competency_ids[g]);
    if (view.Mastered(g)) plan.goals_mastered.push_back(ix.competency_ids[g]);
  }

  // Step index of each unmastered closure member, and the competency whose unreachability it
  // inherits (itself when it is the cause).
  rec_internal::StampMap<uint32_t> step_of;
  step_of.Resize(ix.num_competencies());
  step_of.Clear();
  std::vector<uint32_t> cause;
  const bool hard = o.mastery.gating == Gating::kHard;
  const Csr& pre = ix.prerequisites;
  const Csr& ca = ix.competency_activities;
  plan.steps.reserve(closure.closure_list().size());
  std::vector<std::pair<double, uint32_t>> ranked;
  for (uint32_t c : closure.closure_list()) {
    if (view.Mastered(c)) continue;
    PathwayStep step;
    step.competency_id = ix.competency_ids[c];
    step.p_learned = view.P(c);
    step.mastery_threshold = ix.threshold[c];
    step.is_goal = closure.IsGoal(c);
    uint32_t blocked_by = kNone;    // the root cause, a competency
    std::vector<uint32_t> earlier;  // step indices of unmastered prerequisites
    for (uint32_t i = pre.begin(c); i < pre.end(c); ++i) {
      const uint32_t* at = step_of.Find(pre.targets[i]);
      if (at == nullptr) continue;
      earlier.push_back(*at);
      if (hard && ix.IsHard(pre.weights[i]) && blocked_by == kNone &&
          plan.steps[*at].unreachable != UnreachableReason::kNone)
        blocked_by = cause[*at];
    }
    std::sort(earlier.begin(), earlier.end());
    for (uint32_t at : earlier) step.prerequisites_in_plan.push_back(plan.steps[at].competency_id);

    const BktParams& params = ix.params[c];
    const std::optional<int> expected =
        ExpectedOpportunitiesToMastery(params, step.p_learned, step.mastery_threshold);
    uint32_t own_cause = c;
    if (!ix.synthetic_activities && ca.degree(c) == 0) {
      step.unreachable = UnreachableReason::kNoActivity;
      step.unreachable_message = "no activity practises " + step.competency_id;
    } else if (!expected) {
      step.unreachable = UnreachableReason::kForgettingCeiling;
      step.unreachable_message =
          params.learn <= 0.0
              ? "practice cannot raise " + step.competency_id + ": learn is 0"
              : "practice levels off at " + Fixed2(MasteryCeiling(params)) + " (learn " +
                    Fixed2(params.learn) + ", forget " + Fixed2(params.forget) +
                    "), below the threshold " + Fixed2(step.mastery_threshold);
    } else if (blocked_by != kNone) {
      step.unreachable = UnreachableReason::kBlockedByPrerequisite;
      const PathwayStep& root = plan.steps[*step_of.Find(blocked_by)];
      step.unreachable_message = "needs " + root.competency_id +
                                 " first, which cannot be mastered (" + root.unreachable_message +
                                 ")";
      own_cause = blocked_by;
    }
    if (step.unreachable == UnreachableReason::kNone) {
      step.expected_opportunities = *expected;
      step.expected_minutes = *expected * ix.mean_minutes[c];
      plan.total_expected_opportunities += step.expected_opportunities;
      plan.total_expected_minutes += step.expected_minutes;
    }

    // Activities ranked by difficulty fit at the current mastery.
    ranked.clear();
    const double target = o.mastery.target_success;
    for (uint32_t i = ca.begin(c); i < ca.end(c); ++i) {
      const uint32_t a = ca.targets[i];
      const double predicted = rec_internal::PredictActivity(ix, view, a);
      ranked.push_back({std::abs(predicted - target), a});
    }
    const size_t keep =
        std::min(ranked.size(), static_cast<size_t>(o.planner.activities_per_competency));
    std::partial_sort(ranked.begin(), ranked.begin() + keep, ranked.end());
    for (size_t i = 0; i < keep; ++i)
      step.activity_ids.push_back(ix.activity_ids[ranked[i].second]);

    step_of.Set(c, static_cast<uint32_t>(plan.steps.size()));
    cause.push_back(own_cause);
    if (step.is_goal && step.unreachable != UnreachableReason::kNone) {
      UnreachableGoal goal;
      goal.goal_id = step.competency_id;
      goal.reason = step.unreachable;
      goal.cause_competency_id = ix.competency_ids[own_cause];
      goal.message = step.competency_id + ": " + step.unreachable_message;
      plan.unreachable.push_back(std::move(goal));
    }
    plan.steps.push_back(std::move(step));
  }
  return plan;
}

}  // namespace pathwise
