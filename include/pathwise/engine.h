// Engine: the one object an app embeds. Ties a competency graph, a BKT model and a mastery tracker.
#ifndef PATHWISE_ENGINE_H_
#define PATHWISE_ENGINE_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/mastery_tracker.h>
#include <pathwise/model.h>
#include <pathwise/planner.h>
#include <pathwise/recommender.h>
#include <pathwise/result.h>
#include <pathwise/types.h>

namespace pathwise {

struct EngineOptions {
  TrackerOptions tracker;
  Status Validate() const { return tracker.Validate(); }
};

/// Mastery of a group (area, topic): a roll-up of its member competencies. Rule: p_learned is the
/// mean of the members' P(learned); the group is mastered when every member is. Members are the
/// competencies of the group and of its sub-groups (CompetencyGraph::GroupMembers). A group with no
/// members has p_learned 0 and is not mastered.
struct GroupMastery {
  std::string group_id;
  double p_learned = 0.0;
  bool mastered = false;
  size_t members = 0;
  size_t members_mastered = 0;
};

/// Thread safety: every method may be called concurrently (the graph and model are immutable after
/// Create; the tracker is thread-safe).
///
/// Example:
///
///     auto engine = pathwise::Engine::Create(std::move(graph), pathwise::BktModel{});
///     if (!engine.ok()) return engine.status();
///     (*engine)->Record({"e1", "ann", "fractions.add.1", 1.0, 1700000000000});
///     auto ready = (*engine)->Frontier("ann");  // what ann is ready to learn
class Engine {
 public:
  /// InvalidArgument when the model or options are invalid.
  static Result<std::unique_ptr<Engine>> Create(CompetencyGraph graph, BktModel model,
                                                EngineOptions options = {});
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const CompetencyGraph& graph() const;
  const BktModel& model() const;
  MasteryTracker& tracker();
  const MasteryTracker& tracker() const;

  /// As MasteryTracker::Record / RecordBatch, and every observation the tracker applies (not a
  /// duplicate) is also given to the Observe of each policy the engine serves that keeps learner
  /// state (zpdes, and mastery's last activity): one channel feeds everything Recommend reads.
  Result<RecordResult> Record(const Observation& observation);
  Result<size_t> RecordBatch(const std::vector<Observation>& observations);

  /// A learner's mastery; a learner with no observations yet is at the priors (never an error, so a
  /// new learner can be served at once).
  LearnerMastery Mastery(std::string_view learner_id) const;
  /// The ready-to-learn frontier of a learner (see CompetencyGraph::Frontier), in topological
  /// order.
  std::vector<std::string> Frontier(std::string_view learner_id) const;
  /// Roll-up of every group, in the graph's insertion order (see GroupMastery for the rule).
  std::vector<GroupMastery> GroupRollup(std::string_view learner_id) const;

  /// What the learner should do next, by the default policy (PolicyKind::kMastery, recommender.h)
  /// on the learner's current mastery. Cold start: a learner with no observations is served at the
  /// priors, i.e. the recommendations for the population (the same for every new learner, never an
  /// error). Continuity uses the learner's last activity, which the policy kept from Record (as
  /// Policy::Observe says). The policies are built with the engine and shared by concurrent calls.
  /// Returns the errors of Policy::Recommend.
  Result<std::vector<Recommendation>> Recommend(std::string_view learner_id,
                                                const RecommendRequest& request) const;
  /// As above with the policy of the given kind. zpdes reads the state its Observe built from this
  /// engine's Record calls (cold start: the starting zone). Random choices (random, zpdes) are
  /// drawn from a generator seeded by (options.seed, learner id, the learner's saved policy
  /// state), so the same state gives the same draw whatever the threads or the process.
  Result<std::vector<Recommendation>> Recommend(std::string_view learner_id,
                                                const RecommendRequest& request,
                                                PolicyKind kind) const;

  /// The per-learner state of the served policy `kind` (Policy::SaveLearnerState; empty for a
  /// policy that keeps none or a learner it knows nothing about), for storing beside the events.
  Result<std::string> SaveLearnerState(PolicyKind kind, std::string_view learner_id) const;
  /// Replaces that state (Policy::RestoreLearnerState; empty bytes forget the learner). Its errors.
  Status RestoreLearnerState(PolicyKind kind, std::string_view learner_id, std::string_view bytes);
  /// Forgets a learner in the tracker and in every policy. NotFound when the tracker does not know
  /// the learner (the policies forget it all the same).
  Status RemoveLearner(std::string_view learner_id);

  /// Gives back the spare room learners' state took while it grew by Record (the tracker's,
  /// MasteryTracker::CompactMemory, and the zpdes zones, Policy::CompactMemory): an engine grown
  /// by recording then holds what one restored from the same states holds. Nothing any call
  /// returns changes. Holds a lock for at most 128 learners at a time, so concurrent calls wait
  /// a fraction of a millisecond at most. Returns the bytes released (before allocator
  /// rounding). Thread-safe.
  size_t CompactMemory();

  /// The pathway from the learner's current mastery to `goals` (planner.h). Returns the errors of
  /// PathwayPlanner::Plan.
  Result<Pathway> Plan(std::string_view learner_id, const std::vector<std::string>& goals) const;
  /// Options of Recommend and Plan (default: RecommenderOptions{} with the evidence before
  /// "mastered" of EngineOptions::tracker); rebuilds the policies' index and carries every
  /// learner's policy state over (Save then Restore). The tracker's evidence before "mastered"
  /// follows options.mastery's (MasteryTracker::SetMasteryEvidence), so that Mastery, Frontier,
  /// GroupRollup and the recommendations agree on what is mastered. InvalidArgument when
  /// invalid (nothing changes). Calls already running finish with the old options.
  Status SetRecommenderOptions(const RecommenderOptions& options);
  /// The options in use.
  RecommenderOptions recommender_options() const;

 private:
  struct Impl;
  struct RecommendState;
  struct LearnerPolicies;
  explicit Engine(std::unique_ptr<Impl> impl);
  std::shared_ptr<RecommendState> GetRecommendState() const;
  LearnerPolicies& ShardOf(std::string_view learner_id) const;
  Status Observe(const Observation& observation);
  std::unique_ptr<Impl> impl_;
};

}  // namespace pathwise

#endif  // PATHWISE_ENGINE_H_
