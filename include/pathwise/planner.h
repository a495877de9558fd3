// Pathway planning: from a learner's state to a goal set, the ordered competencies still to master,
// the activities for each and the expected effort, or why a goal cannot be reached.
#ifndef PATHWISE_PLANNER_H_
#define PATHWISE_PLANNER_H_

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/model.h>
#include <pathwise/recommender.h>
#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

namespace pathwise {

/// Why a competency of a plan cannot be mastered.
enum class UnreachableReason {
  kNone = 0,
  /// Practice alone never reaches the mastery threshold: the level practice tends to,
  /// learn / (learn + forget) (MasteryCeiling in bkt.h), is below it (this includes learn = 0).
  kForgettingCeiling = 1,
  /// The graph has activities, but none practises this competency.
  kNoActivity = 2,
  /// A hard prerequisite (see RecommenderOptions::hard_prerequisite_strength) is itself
  /// unreachable, so under hard gating the competency can never be unlocked. Soft prerequisites
  /// never block.
  kBlockedByPrerequisite = 3,
};

/// "none", "forgetting_ceiling", "no_activity", "blocked_by_prerequisite".
std::string_view UnreachableReasonName(UnreachableReason reason);

/// One competency still to master.
struct PathwayStep {
  std::string competency_id;
  double p_learned = 0.0;  ///< now
  double mastery_threshold = 0.95;
  bool is_goal = false;  ///< one of the (expanded) goals, rather than a prerequisite of one
  /// Unmastered prerequisites that come earlier in the plan (ids, in plan order).
  std::vector<std::string> prerequisites_in_plan;
  /// Recommended activities for this competency, best first (ranked by difficulty fit at the
  /// current mastery, ties by insertion order); at most
  /// PlannerOptions::activities_per_competency.
  std::vector<std::string> activity_ids;
  /// Expected practice opportunities to reach the threshold from p_learned (bkt.h,
  /// ExpectedOpportunitiesToMastery, with the competency's population parameters); 0 when
  /// unreachable.
  int expected_opportunities = 0;
  /// expected_opportunities times the mean expected_minutes of the competency's activities.
  double expected_minutes = 0.0;
  UnreachableReason unreachable = UnreachableReason::kNone;
  /// For a person: "practice levels off at 0.83 (learn 0.1, forget 0.02), below the threshold
  /// 0.95"; empty when reachable.
  std::string unreachable_message;
};

/// A goal that cannot be reached, and why.
struct UnreachableGoal {
  std::string goal_id;  ///< the expanded goal competency
  UnreachableReason reason = UnreachableReason::kNone;
  /// The competency that causes it (the goal itself, or the unreachable prerequisite that blocks
  /// it).
  std::string cause_competency_id;
  std::string message;
};

/// The plan from a learner's state to a goal set.
struct Pathway {
  std::string learner_id;
  /// The goals as competency ids (groups expanded), in topological order.
  std::vector<std::string> goals;
  /// Goals already mastered.
  std::vector<std::string> goals_mastered;
  /// Every unmastered goal and unmastered ancestor of a goal, prerequisites before dependents (the
  /// graph's topological order, which breaks ties by insertion order). Unreachable steps are listed
  /// too, flagged.
  std::vector<PathwayStep> steps;
  /// Empty when every goal can be reached.
  std::vector<UnreachableGoal> unreachable;
  /// Sums over the reachable steps.
  int total_expected_opportunities = 0;
  double total_expected_minutes = 0.0;

  bool reachable() const { return unreachable.empty(); }
};

/// Plans pathways. Deterministic: the same state and goals give the same plan. A plan costs time
/// linear in the goals' ancestor subgraph (plus sorting the activities of each step), so it can be
/// recomputed after every event.
///
/// Thread safety: Plan is const and may be called concurrently.
///
/// Example:
///
///     auto planner = pathwise::PathwayPlanner::Create(graph, model, {});
///     if (!planner.ok()) return planner.status();
///     auto plan = (*planner)->Plan(tracker->PriorMastery("ann"), {"fractions.add"});
///     if (plan.ok() && !plan->reachable()) std::cout << plan->unreachable[0].message << "\n";
class PathwayPlanner {
 public:
  /// Copies what it needs from `graph` and `model` (as MakePolicy; a graph without activities gets
  /// one activity per competency). Reads `options.planner`, the mastery policy's gating,
  /// target_success and evidence (`options.mastery`) and `options.hard_prerequisite_strength`, so
  /// that a plan agrees with the mastery policy's recommendations. InvalidArgument when `options`
  /// or `model` is invalid.
  static Result<std::unique_ptr<PathwayPlanner>> Create(const CompetencyGraph& graph,
                                                        const BktModel& model,
                                                        const RecommenderOptions& options = {});
  ~PathwayPlanner();
  PathwayPlanner(const PathwayPlanner&) = delete;
  PathwayPlanner& operator=(const PathwayPlanner&) = delete;

  /// The pathway to `goals` (competency or group ids). InvalidArgument for no goals or a malformed
  /// state (as Policy::Recommend); NotFound naming an unknown goal id.
  Result<Pathway> Plan(const LearnerState& state, const std::vector<std::string>& goals) const;
  /// As above from a dense LearnerMastery (as Policy::Recommend).
  Result<Pathway> Plan(const LearnerMastery& mastery, const std::vector<std::string>& goals) const;

 private:
  struct Impl;
  explicit PathwayPlanner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pathwise

#endif  // PATHWISE_PLANNER_H_
