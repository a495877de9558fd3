// Simulated learners: a ground-truth learner model, and a runner that puts recommendation policies
// (recommender.h) to work on the same synthetic population and measures how fast they get learners
// to a goal.
//
// Ground truth. Every simulated learner holds, per competency, a hidden binary state: learned or
// not. Population parameters come from LearnerModelOptions::model (BKT parameters per competency,
// per-activity overrides as model.h resolves them), optionally spread per competency by seeded
// logit offsets. A learner belongs to one cohort group and has individual logit offsets on prior
// and learn (model.h, ApplyLogitOffset): the group's offset plus a normal draw with the group's
// spread. With prior_l(c) and learn_l(c) the learner's values:
//
//   start      learned with probability prior_l(c), independently per competency.
//   attempt    an activity practising competencies c with Q-weights w_c is answered correctly with
//              probability sum_c w_c q_c / sum_c w_c, where q_c = 1 - slip if c is learned, else
//              guess (a compensatory rule: with one competency per activity it is plain BKT).
//   learning   after the attempt, each practised competency that was not learned becomes learned
//              with probability
//                  learn_l(c) * w_c * prerequisite_penalty ^ (sum of strengths of c's prerequisites
//                                                            that are not learned),
//              so a learner with every prerequisite learned learns at the base rate and each
//              missing prerequisite slows learning. One that was learned is lost with probability
//              forget (the per-opportunity BKT forget of the model, usually 0).
//   forgetting over simulated time: a learned competency is lost at a constant hazard of
//              -ln(1 - forget_per_day) per day, multiplied by review_stability for each practice
//              since it was (re)learned, so practice keeps knowledge (half-life regression in
//              spirit: with review_stability 0.5 each practice doubles the half-life). Knowledge a
//              learner starts with counts as prior_knowledge_practices practices old.
//
// Learner models (LearnerModelOptions::kind). The above is kBkt, the default. The others keep the
// same starting draws (learned with probability prior_l(c)), cohort offsets and prerequisite
// structure, and change what "knowing" is:
//
//   kAbility   an ability theta_c per competency on the logit scale, start_ability when not
//              known at the start, mastery_ability + 0.5 when known. The competency counts as
//              learned (IsLearned, the goal) while theta_c >= mastery_ability. An attempt of
//              activity a with difficulty logit b_a = difficulty_scale * (difficulty - 0.5) (0 with
//              no difficulty) is answered correctly with probability the Q-weighted mean of
//              sigmoid(theta_c - b_a) (IRT, Rasch); with `deterministic`, correctly exactly when
//              the Q-weighted mean of theta_c is >= b_a. After the attempt each practised
//              competency gains
//                  gain_per_learn * learn_l(c) * w_c * prod over prerequisites p of
//                  prerequisite_penalty ^ (strength * (1 - progress_p)),
//              progress_p = (theta_p - start_ability) / (mastery_ability - start_ability) clamped
//              to [0, 1], so weak prerequisites shrink gains smoothly; and gains happen only near
//              what was just learned: nothing when a prerequisite's progress is below
//              frontier_min_progress, or when b_a is more than zone_width above theta_c (too
//              hard). Ability never decreases (no forgetting).
//   kPowerLawMemory   BKT acquisition as above, but a learned competency is retained with
//              probability R(t) = (1 + t / S)^-decay at t days after its last practice (power-law
//              forgetting), with a stability S (days) that starts at initial_stability_days when
//              first learned and grows at each practice of the learned competency by a factor
//              1 + massed_gain + spacing_gain * (1 - R(gap)): practice after a long gap (spaced)
//              grows memory much more than massed practice. Relearning after a loss keeps S
//              (savings). Starting knowledge starts at initial_stability_days * (1 + massed_gain +
//              spacing_gain / 2)^prior_knowledge_practices. forget_per_day and review_stability
//              are not used.
//
// With every kind:
//
//   content    ContentQualityOptions::inert_share of the activities teach nothing, and
//              gated_share teach only when every prerequisite of the practised competency is
//              learned (a strong prerequisite); the rest teach normally. Chosen per activity from
//              the seed; the first activity (graph order) of each competency always teaches, so
//              every competency stays learnable.
//   noise      answers flip: P'(correct) = P(correct) (1 - extra_slip) + (1 - P(correct))
//              extra_guess. Not in PopulationModel: the online model does not know about it.
//
// The online model is what a deployed system would know: a MasteryTracker fed with the simulated
// outcomes, with SimulationOptions::online_model (default: the ground truth's population
// parameters, which knows neither the learner's offsets nor time-based forgetting). Policies see
// only the tracker's estimates (and, for zpdes, the outcomes).
//
// Time: a step is one attempt and takes the activity's expected_minutes; steps come in sessions of
// steps_per_session, a session starting session_interval_minutes after the previous one started (or
// right after it ended when it ran longer).
//
// Determinism: learner i's profile (group, offsets, starting knowledge) and its stream of outcomes
// derive from (seed, i) only, and each learner gets its own fork of every policy (Policy::Fork with
// stream i), so results do not depend on the number of threads, and learner i is the same person
// under every policy (common random numbers: comparisons between policies are paired).
#ifndef PATHWISE_SIMULATOR_H_
#define PATHWISE_SIMULATOR_H_

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/evaluation.h>
#include <pathwise/mastery_tracker.h>
#include <pathwise/model.h>
#include <pathwise/recommender.h>
#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

namespace pathwise {

/// A named part of the simulated population with its own learning and prior factors, so that a
/// policy that holds one group back shows it in the per-group results.
struct CohortGroup {
  std::string name;  ///< non-empty, unique among groups
  /// Relative share of the learners, finite and > 0 (shares need not sum to 1).
  double weight = 1.0;
  /// Added to logit(learn) of every competency for the whole group: negative for slower learners.
  double learn_offset = 0.0;
  /// Added to logit(prior): positive for learners who know more at the start.
  double prior_offset = 0.0;
  /// Standard deviation of a learner's individual logit learn offset around learn_offset, >= 0.
  double learn_spread = 0.5;
  /// Standard deviation of a learner's individual logit prior offset around prior_offset, >= 0.
  double prior_spread = 0.5;
  /// Degrees of freedom of the individual learn offset: 0 draws it from a normal; k in [1, 30]
  /// from a Student t with k degrees of freedom scaled by learn_spread (a heavy-tailed pace: a
  /// few learners far slower or faster than the group).
  int learn_tail_dof = 0;
};

/// The kind of ground truth (see the file comment).
enum class LearnerModelKind {
  kBkt = 0,      ///< binary learned state, BKT answers, exponential time forgetting (default)
  kAbility = 1,  ///< per-competency ability, IRT answers, gains near the learned frontier
  kPowerLawMemory = 2,  ///< BKT acquisition, power-law forgetting, spacing grows memory
};

/// "bkt", "ability", "power_law_memory".
std::string_view LearnerModelKindName(LearnerModelKind kind);
/// The inverse of LearnerModelKindName. InvalidArgument listing the valid names for anything else.
Result<LearnerModelKind> ParseLearnerModelKind(std::string_view name);

/// LearnerModelKind::kAbility (see the file comment).
struct AbilityModelOptions {
  double start_ability = -2.0;    ///< finite, < mastery_ability
  double mastery_ability = 1.5;   ///< finite; learned at or above it
  double gain_per_learn = 4.0;    ///< logits gained per unit of learn probability, finite, > 0
  double difficulty_scale = 2.0;  ///< finite, >= 0
  /// An activity whose difficulty logit is more than this above the ability teaches nothing. > 0.
  double zone_width = 4.0;
  /// A prerequisite below this progress blocks all gains. In [0, 1].
  double frontier_min_progress = 0.25;
  /// Answers are a deterministic function of ability (no guessing, no slips).
  bool deterministic = false;
};

/// LearnerModelKind::kPowerLawMemory (see the file comment).
struct PowerLawMemoryOptions {
  double initial_stability_days = 1.0;  ///< > 0, finite
  double decay = 1.0;                   ///< the power law's exponent, > 0, finite
  double spacing_gain = 2.0;            ///< finite, >= 0
  double massed_gain = 0.1;             ///< finite, >= 0
};

/// Content of mixed quality (see the file comment). Shares in [0, 1], summing to at most 1.
struct ContentQualityOptions {
  double inert_share = 0.0;  ///< activities that teach nothing
  double gated_share = 0.0;  ///< activities that teach only with every prerequisite learned
};

/// The ground truth: how simulated learners really learn.
struct LearnerModelOptions {
  /// Population parameters per competency (model.h: competencies, then the graph's authored params,
  /// then defaults; activity overrides of guess/slip/learn apply). Fitted variants (per-group
  /// priors, learner factors) are not used: cohort groups play their part.
  BktModel model;
  /// Standard deviation of a per-competency logit offset on learn, drawn once from the seed (the
  /// same for every learner): makes some competencies harder to learn than others. >= 0.
  double competency_learn_spread = 0.0;
  /// As competency_learn_spread, for the prior. >= 0.
  double competency_prior_spread = 0.0;
  /// Multiplies learn once per prerequisite that is not learned (raised to the edge's strength).
  /// In [0, 1]: 1 means prerequisites do not matter, 0 that nothing can be learned before them.
  double prerequisite_penalty = 0.5;
  /// Probability that a learned competency, never practised since it was learned, is lost within a
  /// day of simulated time. In [0, 1). 0 turns time-based forgetting off.
  double forget_per_day = 0.02;
  /// Each practice of a learned competency multiplies its forgetting hazard by this (so 0.5 doubles
  /// its half-life). In (0, 1]; 1 means practice does not protect against forgetting.
  double review_stability = 0.5;
  /// Starting knowledge is treated as this many practices old (it is consolidated). >= 0.
  int prior_knowledge_practices = 3;
  /// The cohort. Empty means one group "all" with CohortGroup's defaults.
  std::vector<CohortGroup> groups;
  /// What knowing is (the file comment); kBkt is the model described first.
  LearnerModelKind kind = LearnerModelKind::kBkt;
  AbilityModelOptions ability;   ///< kAbility only
  PowerLawMemoryOptions memory;  ///< kPowerLawMemory only
  ContentQualityOptions content;
  /// Answer noise the online model does not know about, each in [0, 1).
  double extra_slip = 0.0;
  double extra_guess = 0.0;

  /// InvalidArgument naming the field ("groups[1].weight", "model.defaults.slip", ...).
  Status Validate() const;
};

/// When simulated steps happen.
struct ScheduleOptions {
  /// Steps per session (sitting), >= 1.
  int steps_per_session = 20;
  /// Minutes from the start of one session to the start of the next, >= 0 (1440: one a day).
  double session_interval_minutes = 1440.0;
  /// Simulated time of the first step (passed to the tracker and to RecommendRequest::now_ms).
  TimestampMs start_ms = 1700000000000;
};

/// What to simulate.
struct SimulationOptions {
  /// Policies to compare, each on every learner; no duplicates. May be empty when only
  /// Simulation::Run with policies of your own is used.
  std::vector<PolicyKind> policies = {PolicyKind::kMastery};
  /// Options of every policy. Its seed is replaced by one derived from `seed`.
  RecommenderOptions recommender;
  /// Goal set (competency or group ids), passed to every policy. Empty: every competency is the
  /// goal.
  std::vector<std::string> goals;
  int learners = 100;  ///< >= 1
  int steps = 200;     ///< K: steps per learner, >= 1
  uint64_t seed = 1;   ///< everything random derives from it
  /// Worker threads, in [1, 256]. Results do not depend on it.
  int threads = 1;
  LearnerModelOptions truth;
  /// The model of the tracker and the policies. Absent: the ground truth's population parameters
  /// (after the per-competency spread), which is what a perfect fit on many learners would give.
  std::optional<BktModel> online_model;
  /// Options of the online tracker (individual_pace, in particular).
  TrackerOptions tracker;
  /// An experiment: the tracker is given each learner's true logit offsets (their cohort group's
  /// plus their own, MasteryTracker::SetPace) instead of estimating them: the most that individual
  /// pace could give a policy.
  bool tracker_knows_true_pace = false;
  ScheduleOptions schedule;
  /// Learning curves keep at most this many points after step 0 (every ceil(steps / curve_points)
  /// steps, and the last step). >= 1.
  int curve_points = 200;
  /// Learners 0 .. trace_learners - 1 of every policy get a step-by-step trace in the result (what
  /// was recommended and why, and what happened): for looking into what a policy does. >= 0.
  int trace_learners = 0;
  /// With budget_steps in [1, steps], LearnerOutcome::budget_scope_learned counts the goal-scope
  /// competencies learned (ground truth) after that many steps: the fixed-budget gain. 0: not
  /// recorded. In [0, steps].
  int budget_steps = 0;

  /// InvalidArgument naming the first bad field.
  Status Validate() const;
};

class SyntheticLearner;

/// The ground truth compiled for one graph: activities (one per competency when the graph has none,
/// with the competency id as activity id), per-competency parameters after the spread, cohort
/// groups. Immutable; makes learners.
///
/// Thread safety: const methods may be called concurrently.
///
/// Example:
///
///     auto cohort = pathwise::SyntheticCohort::Create(graph, {}, /*seed=*/7);
///     if (!cohort.ok()) return cohort.status();
///     pathwise::SyntheticLearner learner = (*cohort)->MakeLearner(0);
///     bool correct = learner.Attempt(*(*cohort)->ActivityIndex("fractions.add.1"), 0.0);
class SyntheticCohort {
 public:
  /// InvalidArgument when `options` are invalid (see LearnerModelOptions::Validate).
  static Result<std::unique_ptr<SyntheticCohort>> Create(const CompetencyGraph& graph,
                                                         const LearnerModelOptions& options,
                                                         uint64_t seed);
  ~SyntheticCohort();
  SyntheticCohort(const SyntheticCohort&) = delete;
  SyntheticCohort& operator=(const SyntheticCohort&) = delete;

  /// Learner `index`, drawn from (seed, index) only.
  SyntheticLearner MakeLearner(uint32_t index) const;

  size_t num_competencies() const;
  size_t num_activities() const;
  /// Competency ids in graph order (the dense indices used here and by Policy::CompetencyIndex).
  const std::vector<std::string>& competency_ids() const;
  const std::vector<std::string>& activity_ids() const;
  /// Group names in order; learners carry an index into it.
  const std::vector<std::string>& group_names() const;
  /// NotFound when unknown. A competency id is accepted as an activity when the graph has none.
  Result<uint32_t> ActivityIndex(std::string_view activity_id) const;
  /// NotFound when unknown.
  Result<uint32_t> CompetencyIndex(std::string_view competency_id) const;
  /// The population's parameters of a competency (after the per-competency spread).
  const BktParams& PopulationParams(uint32_t competency) const;
  /// The ground truth as a model (population parameters per competency, the truth's activity
  /// overrides): the default online model.
  BktModel PopulationModel() const;

 private:
  friend class Simulation;
  friend class SyntheticLearner;
  struct Impl;
  explicit SyntheticCohort(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// One simulated learner: hidden knowledge that changes as they practise and as time passes.
///
/// Time is in minutes since the start of the simulation; a time earlier than the last one seen is
/// treated as the last one (time never goes back). REQUIRES: the cohort outlives the learner.
///
/// Thread safety: none; use one learner from one thread at a time.
class SyntheticLearner {
 public:
  SyntheticLearner(SyntheticLearner&&) noexcept;
  SyntheticLearner& operator=(SyntheticLearner&&) noexcept;
  ~SyntheticLearner();

  uint32_t index() const;
  /// Index into SyntheticCohort::group_names().
  uint32_t group() const;
  /// The learner's logit offsets (group offset plus individual draw).
  double learn_offset() const;
  double prior_offset() const;

  /// Whether the competency is learned (ground truth) at the last time seen.
  bool IsLearned(uint32_t competency) const;
  /// Competencies learned now.
  size_t num_learned() const;

  /// The probability that practising `activity` now makes `competency` learned when it is not:
  /// the learner's learn for the pair, times its Q-weight, times prerequisite_penalty for each
  /// prerequisite not learned now (raised to the edge's strength), times 0 when the activity is
  /// inert (or gated with a prerequisite not learned). 0 when the activity does not practise the
  /// competency. Binary kinds (kBkt, kPowerLawMemory).
  double LearnProbability(uint32_t activity, uint32_t competency) const;
  /// P(correct) of an attempt of `activity` now, from the hidden states (answer noise included).
  double CorrectProbability(uint32_t activity) const;
  /// kAbility: the ability theta of the competency; other kinds: 1 when learned, else 0.
  double Ability(uint32_t competency) const;
  /// What practising `activity` now is expected to add to the competencies marked in `scope` (one
  /// byte per competency, non-zero = in scope), in units of competencies: for binary kinds the
  /// sum of LearnProbability over the unlearned ones (content quality applied); for kAbility 1 per
  /// competency the practice would take to mastery_ability, else the progress it adds (the gain
  /// over mastery_ability - start_ability). The oracle maximises it.
  double ExpectedScopeGain(uint32_t activity, const std::vector<uint8_t>& scope) const;

  /// Applies time-based forgetting up to `minutes` (no attempt).
  void AdvanceTo(double minutes);
  /// Advances to `minutes`, answers `activity` (true = correct), then learns or forgets the
  /// activity's competencies as the file comment says.
  bool Attempt(uint32_t activity, double minutes);

  /// Called with each competency whose state changes afterwards (true = now learned), during
  /// AdvanceTo or Attempt: lets a caller keep counts without scanning. Empty to stop.
  void SetOnChange(std::function<void(uint32_t competency, bool learned)> on_change);

 private:
  friend class SyntheticCohort;
  struct Impl;
  explicit SyntheticLearner(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// A policy to simulate under a name: for policies of your own (Policy in recommender.h). Each
/// learner gets prototype->Fork(learner index).
struct SimulatedPolicy {
  std::string name;
  std::shared_ptr<const Policy> prototype;
};

/// Results of a policy for a set of learners (all of them, or one cohort group).
struct CohortOutcome {
  std::string group;  ///< the group's name; "all" for every learner
  size_t learners = 0;
  /// Mean over learners of the steps taken until every goal competency was learned (ground truth),
  /// a learner who never got there counting as K (SimulationOptions::steps).
  double mean_steps_to_goal = 0.0;
  /// Median of the same (non-reachers as K).
  double median_steps_to_goal = 0.0;
  /// Share of learners who reached the goal within K steps.
  double reached_goal_share = 0.0;
  /// Mean steps to the goal among those who reached it; NaN when nobody did.
  double mean_steps_among_reached = 0.0;
  /// Competencies learned at the end (ground truth), mean over learners: all of them, and those in
  /// the goal scope (goals and their ancestors).
  double mean_final_learned = 0.0;
  double mean_final_scope_learned = 0.0;
  /// Share of learners for whom the policy ran out of recommendations before K steps (they stop).
  double stopped_early_share = 0.0;
  /// The online model's P(correct) before each attempt against the simulated outcome (pooled over
  /// the learners' attempts; auc_competency_mean is not computed).
  Metrics prediction;
  /// Learning curves at SimulationResult::curve_steps, means over learners: competencies learned,
  /// goal-scope competencies learned, and the share who reached the goal by then.
  std::vector<double> curve_learned;
  std::vector<double> curve_scope_learned;
  std::vector<double> curve_reached_share;
};

struct PolicyResult {
  std::string policy;
  CohortOutcome all;
  /// One per cohort group, in the order of SyntheticCohort::group_names(); their learners sum to
  /// all.learners.
  std::vector<CohortOutcome> groups;
};

/// One learner under one policy.
struct LearnerOutcome {
  uint32_t policy = 0;  ///< index into SimulationResult::policies
  uint32_t learner = 0;
  uint32_t group = 0;  ///< index into SimulationResult::group_names
  double learn_offset = 0.0;
  double prior_offset = 0.0;
  int steps_to_goal = 0;  ///< K when not reached
  bool reached_goal = false;
  int steps_taken = 0;  ///< K unless the policy ran out of recommendations
  uint32_t start_learned = 0;
  uint32_t final_learned = 0;
  uint32_t final_scope_learned = 0;
  uint32_t start_scope_learned = 0;
  /// Goal-scope competencies learned after SimulationOptions::budget_steps (0 when not set).
  uint32_t budget_scope_learned = 0;
};

/// One step of a traced learner.
struct TraceStep {
  int step = 0;
  double minutes = 0.0;  ///< simulated time of the attempt since the start
  std::string activity_id;
  double score = 0.0;                ///< the recommendation's score
  std::vector<std::string> reasons;  ///< the recommendation's reasons
  double predicted_correct = 0.0;    ///< online P(correct) before the attempt
  bool correct = false;
  /// Ground truth before the attempt: every competency of the activity learned, and every
  /// prerequisite of them learned.
  bool was_learned = false;
  bool prerequisites_learned = false;
  uint32_t scope_learned = 0;  ///< goal-scope competencies learned after the step
};

struct LearnerTrace {
  uint32_t policy = 0;  ///< index into SimulationResult::policies
  uint32_t learner = 0;
  std::vector<TraceStep> steps;
};

struct SimulationResult {
  uint64_t seed = 0;
  int learners = 0;
  int steps = 0;
  /// The goals as competency ids (groups expanded), in topological order.
  std::vector<std::string> goal_competencies;
  /// Goals plus their ancestors.
  size_t goal_scope_size = 0;
  size_t num_competencies = 0;
  std::vector<std::string> group_names;
  /// Steps after which curves are sampled: 0 first, K last.
  std::vector<int> curve_steps;
  std::vector<PolicyResult> policies;
  /// Policy-major, then learner order.
  std::vector<LearnerOutcome> learner_outcomes;
  /// SimulationOptions::trace_learners per policy, policy-major.
  std::vector<LearnerTrace> traces;
};

/// Runs simulations on one graph with one set of options.
///
/// Thread safety: Run is const and may be called concurrently.
///
/// Example:
///
///     pathwise::SimulationOptions options;
///     options.policies = {pathwise::PolicyKind::kMastery, pathwise::PolicyKind::kCurriculum};
///     options.goals = {"fractions.add"};
///     options.learners = 500;
///     auto simulation = pathwise::Simulation::Create(graph, options);
///     if (!simulation.ok()) return simulation.status();
///     auto result = (*simulation)->Run();
///     if (result.ok()) std::cout << result->policies[0].all.mean_steps_to_goal << "\n";
class Simulation {
 public:
  /// InvalidArgument naming the option field; NotFound naming an unknown goal id; the errors of
  /// MakePolicy for options.policies.
  static Result<std::unique_ptr<Simulation>> Create(const CompetencyGraph& graph,
                                                    SimulationOptions options);
  ~Simulation();
  Simulation(const Simulation&) = delete;
  Simulation& operator=(const Simulation&) = delete;

  const SimulationOptions& options() const;
  const SyntheticCohort& cohort() const;
  /// What the tracker and the policies use.
  const BktModel& online_model() const;

  /// Every policy of options().policies on every learner.
  Result<SimulationResult> Run() const;
  /// options().policies as Run() simulates them, for a Run of your own that adds policies.
  std::vector<SimulatedPolicy> DefaultPolicies() const;
  /// The oracle, named "oracle": a reference that sees the ground truth. At every step it picks,
  /// among the activities practising a goal-scope competency (every competency without a goal),
  /// the one with the largest SyntheticLearner::ExpectedScopeGain on the learner's true hidden
  /// state (ties: the first in graph order); when nothing in scope can gain, the activity of a
  /// scope competency not learned (else the first). A greedy one-step look-ahead: the upper bound
  /// a policy that only sees answers can aim at, not an optimum. Its kind() is kMastery (MakePolicy
  /// cannot build it); it only works inside this Simulation's runs.
  SimulatedPolicy Oracle() const;
  /// As Run with policies of your own (built on online_model(), typically). InvalidArgument for no
  /// policy, an empty or duplicate name or a null prototype. A policy error during the run (for
  /// example an activity id it made up) fails the run, naming policy, learner and step.
  Result<SimulationResult> Run(const std::vector<SimulatedPolicy>& policies) const;

 private:
  struct Impl;
  explicit Simulation(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

/// Simulation::Create then Run.
Result<SimulationResult> RunSimulation(const CompetencyGraph& graph,
                                       const SimulationOptions& options);

}  // namespace pathwise

#endif  // PATHWISE_SIMULATOR_H_
