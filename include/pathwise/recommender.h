// Recommendation: what a learner should do next, ranked, with the part-scores and reasons behind
// it.
//
// One interface (Policy), several policies:
//
// - mastery: scores candidate activities from parts, each reported with its weight and value (see
//   ScorePart). Candidates come from the learner's frontier (unmastered competencies whose
//   prerequisites are mastered), from review candidates (mastered competencies whose recall has
//   decayed) and from remediation candidates (prerequisites of competencies the learner is
//   struggling with), never from a scan of every activity: the cost grows with the frontier and
//   the practised set, not with the graph.
// - zpdes: a ZPDES-style multi-armed bandit (Clement, Roy, Oudeyer & Lopes 2015, "Multi-armed
//   bandits for intelligent tutoring systems") for courses with no fitted model. Arms are
//   competencies in a zone of proximal development; an arm is chosen with probability proportional
//   to its recent learning progress (the change of success rate between the older and the newer
//   half of a sliding window), mixed with uniform exploration. A competency whose recent success
//   rate reaches a threshold counts as mastered and leaves the zone; the competencies it unlocks
//   enter it, so the zone widens into harder material as activities are mastered. Uses only
//   observed outcomes (Policy::Observe), never BKT.
// - random: uniformly among ready activities (those practising an unmastered competency whose hard
//   prerequisites are all mastered, as under hard gating). Seeded.
// - curriculum: a fixed sequence a teacher would write down: the goal's prerequisite subgraph (the
//   goals and all their ancestors; the whole graph when there is no goal) in topological order,
//   each competency given a fixed number of practice opportunities before moving on, with no
//   adaptivity: only how many times each competency has been practised moves it along, never
//   outcomes or mastery.
//
// Mastery-policy part values are in [0, 1]; the score is sum(weight * value). Definitions, with
// p = P(learned), t = the competency's advance point (the smaller of its mastery threshold and
// MasteryPolicyOptions::advance_threshold), "mastered" in what follows meaning p >= t (with the
// evidence asked for): the point at which the policy goes on, which is the mastery threshold itself
// unless advance_threshold is lowered:
//
// - readiness: the strength-weighted mean over the competency's prerequisites of
//   min(1, p_pre / t_pre); 1 with no prerequisites.
// - goal relevance: 1 when the competency is unmastered and a goal or an ancestor of a goal (the
//   path still ahead), 0.5 when it is such a competency already mastered (reviewing it supports
//   the goal, but less than progress does), else 0 (0 with no goal).
// - difficulty fit: 1 - |P(correct) - target| / max(target, 1 - target). P(correct) is bkt.h's
//   PredictCorrect with the activity's guess/slip (the Q-weighted mean over its competencies),
//   shifted on the logit scale by the activity's difficulty when it has one:
//   logit(P) + difficulty_logit_scale * (0.5 - difficulty).
// - remediation: the largest strength(c -> d) * (1 - p_d / t_d) over dependents d the learner
//   struggles with (practised at least remediation_min_opportunities times, p_d below
//   remediation_max_p), when c itself is not securely mastered (recall below t); else 0.
// - review due: for a mastered, practised competency whose recall has decayed below
//   review_recall_threshold, 1 - retention, where retention = 2^(-days since last practice /
//   review_half_life_days) and recall = p * retention; 0 otherwise. This decay in time is a
//   scheduling heuristic on top of BKT, whose own forget parameter acts per opportunity.
// - continuity: 1 when the activity practises a competency of the learner's last activity.
//
// For an activity practising several competencies, readiness, goal relevance, remediation and
// review due are the Q-weight-weighted means over its competencies; continuity is 1 when any of
// them continues.
//
// A competency is a candidate of the mastery policy when it is not locked (see Gating), its
// readiness is at least soft_min_readiness, and it is unmastered, or among the
// max_review_candidates competencies due for review with the lowest recall, or has a positive
// remediation need. While a goal is pending, only competencies that gate the way to it can be
// review candidates (MasteryPolicyOptions::review_only_goal_path). With a goal, an unmastered
// competency off the goal's path (not a goal nor an ancestor of one) is not a candidate unless it
// is due for review or needed for remediation: a learner who named a goal is not sent to unrelated
// new material. When no competency is a candidate (the model believes the goal's scope, or without
// a goal everything practised, is mastered) the policy does not return nothing: it practises that
// scope again, and the review part then ranks by how far recall is from certain (1 - recall), the
// least certain first, with a reason that says so. An activity is a candidate when it practises a
// candidate competency and none of its competencies is locked.
#ifndef PATHWISE_RECOMMENDER_H_
#define PATHWISE_RECOMMENDER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/model.h>
#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

namespace pathwise {

/// Which policy MakePolicy builds.
enum class PolicyKind {
  kMastery = 0,     ///< part-score ranking on BKT mastery (the default)
  kZpdes = 1,       ///< learning-progress bandit in a zone of proximal development; no model needed
  kRandom = 2,      ///< baseline: uniformly among ready activities
  kCurriculum = 3,  ///< baseline: fixed topological curriculum, fixed practice per competency
};

/// "mastery", "zpdes", "random", "curriculum".
std::string_view PolicyKindName(PolicyKind kind);
/// The inverse of PolicyKindName. InvalidArgument listing the valid names for anything else.
Result<PolicyKind> ParsePolicyKind(std::string_view name);

/// How unmastered prerequisites restrict what may be recommended.
enum class Gating {
  /// Only readiness (and so the score) drops; an activity is a candidate when its readiness is at
  /// least MasteryPolicyOptions::soft_min_readiness.
  kSoft = 0,
  /// An activity practising a competency that has an unmastered hard prerequisite (strength >=
  /// RecommenderOptions::hard_prerequisite_strength) is never recommended (pins aside). Weaker
  /// prerequisites only lower readiness, as under kSoft.
  kHard = 1,
};

/// Options of the mastery policy (PolicyKind::kMastery). The planner follows its gating,
/// target_success and evidence (mastery_min_opportunities, mastery_recent_correct) too, so that a
/// pathway and the recommendations along it agree on what is ready and what is mastered (not
/// advance_threshold: a pathway leads to mastery, so it lists a competency until it is mastered,
/// although the policy may already offer what builds on it). Defaults
/// are chosen for a course whose graph and model look like Junyi's; each field says when you would
/// change it.
struct MasteryPolicyOptions {
  // Part weights, each finite and >= 0. A weight of 0 switches a part off (it is still reported,
  // with its value).

  /// Prefer activities whose prerequisites are well mastered. Matters most under soft gating.
  double readiness_weight = 1.0;
  /// Prefer activities on the way to the goal. The largest default: a learner who named a goal
  /// wants to get there.
  double goal_weight = 2.0;
  /// Prefer activities whose predicted success is near target_success.
  double difficulty_weight = 1.0;
  /// Send a learner who is stuck back to the prerequisites of what is going wrong.
  double remediation_weight = 1.0;
  /// Bring back mastered competencies whose recall has decayed.
  double review_weight = 1.0;
  /// Stay on the competency of the last activity (fewer context switches); small by default so it
  /// breaks ties rather than overriding the other parts.
  double continuity_weight = 0.25;

  // Thresholds.

  Gating gating = Gating::kHard;
  /// Under soft gating (and for soft prerequisites under hard gating), competencies with readiness
  /// below this are not candidates. In [0, 1].
  double soft_min_readiness = 0.5;
  /// P(learned) at which the policy lets a learner go on from a competency: at or above
  /// min(this, the competency's mastery threshold), with the evidence asked for below, it unlocks
  /// what builds on it (under hard gating) and is no longer new material, although the tracker
  /// does not yet count it as mastered. Practising to the threshold spends answers confirming what
  /// is most likely learned already; the policy comes back to the goal's scope once all of it is
  /// at this point (the least certain first). In (0, 1]; 1 waits for mastery. 0.85 by default,
  /// together with the stall response (progress_weight), which catches a learner sent on too
  /// early: on the policy suite's dev worlds (bench/README.md) it took the steps from 0.856 to
  /// 0.825 of ZPDES's with every cohort still above the baselines, and on the Junyi simulation
  /// (examples/simulation/) 5 % fewer steps and more of the struggling group at the goal. Lower
  /// saves a few more steps, but the slowest learners then learn less of the goal's scope early;
  /// going on early without the stall response holds slow learners back.
  double advance_threshold = 0.85;
  /// The predicted P(correct) that difficulty fit aims at: the zone of proximal development.
  /// In (0, 1).
  double target_success = 0.7;
  /// How far Activity::difficulty (in [0, 1], 0.5 neutral) moves the predicted P(correct) on the
  /// logit scale. 0 ignores difficulty. Finite, >= 0.
  double difficulty_logit_scale = 2.0;
  /// Half-life of recall since the last practice, in days, for review due. > 0. Shorter makes
  /// review come sooner and more often.
  double review_half_life_days = 14.0;
  /// A mastered competency is due for review once its recall falls below this. In (0, 1]. Higher
  /// reviews sooner; at the mastery threshold, review competes with new material within a day.
  double review_recall_threshold = 0.8;
  /// Review candidates are the competencies due for review with the lowest recall, at most this
  /// many (a review queue: a learner far into a course may have hundreds due, and scoring them all
  /// would make the cost grow with everything ever practised). 0 turns review candidates off (the
  /// review part still scores activities that are candidates for other reasons). >= 0.
  int max_review_candidates = 10;
  /// While a goal is pending (a goal competency is unmastered), only competencies that gate the way
  /// still ahead may be review candidates: the goals themselves and the prerequisites of
  /// unmastered competencies on the path to them (the goals and their ancestors). A mastered
  /// prerequisite whose dependents on the path are all mastered no longer holds anything up, and
  /// reviewing it only delays the goal: in the Junyi simulation (examples/simulation/README.md)
  /// leaving such reviews out cut the mean steps to the goal by a quarter. Without a goal, or once
  /// every goal is mastered, every due competency may come back. Set to false to review everything
  /// due while working towards a goal (a course that also grades what lies off the goal's path).
  bool review_only_goal_path = true;
  /// A competency counts as struggling after at least this many opportunities with p below
  /// remediation_max_p. >= 1. Not much below the population's expected opportunities to learn
  /// (1 / learn), or every learner who simply has not learned yet is sent back.
  int remediation_min_opportunities = 10;
  /// See remediation_min_opportunities. In (0, 1].
  double remediation_max_p = 0.5;
  /// At most this many prerequisites are named in a readiness reason (the weakest first). >= 1.
  int max_named_prerequisites = 2;

  // Evidence and stalls. These read the learner's own last answers to each competency, which the
  // tracker keeps and LearnerState carries (CompetencyState::recent_answers); where they are not
  // known they change nothing.

  /// A practised competency counts as mastered only with evidence: P(learned) at its threshold,
  /// at least this many answers, and the last mastery_recent_correct of them correct. One lucky
  /// success, with a low guess, can push P(learned) over the threshold; acting on that moves a
  /// learner on who is far from fluent. A competency never practised whose prior is at the
  /// threshold counts as mastered (the model says so). >= 1; 1 with mastery_recent_correct 0 (the
  /// default) is the threshold alone. Off by default: on the dev worlds of bench/policy_suite.cc,
  /// 3 and 2 cost 2 points of reach and 3 % more steps (bench/README.md), because the policy no
  /// longer sends a learner away when it believes everything is mastered (it practises the goal's
  /// scope again instead), which already catches what a lucky answer hid.
  ///
  /// Precedence: a competency's own Competency::mastery_min_opportunities /
  /// mastery_recent_correct (graph JSON) over these options, which are the course's setting (in
  /// pathwised, the tenant's "curriculum" config), over these defaults. The tracker's
  /// MasteryEstimate::mastered applies the same rule (TrackerOptions, which Engine keeps equal to
  /// these).
  int mastery_min_opportunities = 1;
  /// See mastery_min_opportunities. In [0, 8].
  int mastery_recent_correct = 0;
  /// A competency is stalled (wheel-spinning) for a learner who answered it at least this many
  /// times, is not mastered, and got at most stall_max_recent_correct of the last
  /// stall_min_attempts answers right. >= 2. Around the population's expected opportunities to
  /// learn (1 / learn) a learner is slow, not stuck; well past it, the same practice is not
  /// working. In [2, 8] (the tracker keeps a competency's last 8 answers).
  int stall_min_attempts = 6;
  /// See stall_min_attempts. >= 0.
  int stall_max_recent_correct = 2;
  /// How long a stall moves the learner off a competency: once it has gone this many hours
  /// unpractised, its activities no longer give way and it competes again like any unmastered
  /// competency (a wrong answer then makes the stall fresh again). Nothing changes a stalled
  /// competency's answers while it is not practised, so without a pause the learner would never
  /// come back to it, goal or not: in the Junyi simulation (examples/simulation/) a week took the
  /// goal's scope known at the end from 214.8 to 222.8 of 228 exercises (seed 8: 214.1 to
  /// 222.3), for a little of the struggling group's reach (93.4 to 93.0 %; seed 8: 91.9 to
  /// 89.9 %), where a day or three days cost them more (89.7 and 88.9 % on seed 7): they came back
  /// to many stalls at once. Finite, > 0.
  double stall_pause_hours = 168.0;
  /// Weight of the learning-progress part: 1 for every activity except those of a stalled
  /// competency that give way (the last activity when it was one of the competency's, else all
  /// but the one whose turn it is), which lose a third for each of the last three answers to the
  /// competency that were wrong. So a stalled learner is moved to another activity for the same
  /// competency, or to another ready competency, rather than repeating what does not work, for
  /// stall_pause_hours. Finite, >= 0; 0 detects no stall. 1 by default (see advance_threshold).
  double progress_weight = 1.0;

  /// InvalidArgument naming the first bad field ("goal_weight", ...) and its value.
  Status Validate() const;
};

/// The mastery policy's stall rule (MasteryPolicyOptions::stall_min_attempts,
/// stall_max_recent_correct) on a tracker's estimate: not mastered, at least stall_min_attempts
/// answers, and at most stall_max_recent_correct of the last stall_min_attempts right. What the
/// class report calls stalled, so that a teacher sees the stalls that the recommendations' reasons
/// name. False when the recent answers are not known (MasteryEstimate::recent_answers -1). The
/// policy itself reads "not mastered" at its advance point (advance_threshold); a learner with so
/// few right answers is below both.
bool IsStalled(const MasteryEstimate& estimate, const MasteryPolicyOptions& options);

/// Right answers among the last `n` of the estimate's recent answers (all of those known when
/// fewer; 0 when none are known): the count IsStalled compares with stall_max_recent_correct.
int RecentCorrect(const MasteryEstimate& estimate, int n);

/// Options of the ZPDES policy (PolicyKind::kZpdes).
struct ZpdesPolicyOptions {
  /// Outcomes per competency in the sliding window; learning progress compares its older and newer
  /// halves. Even, in [2, 64]. Each learner's zone costs 6 + `window` bytes per practised
  /// competency, the outcomes kept in 240ths (exact for binary answers and for credits in halves,
  /// thirds, quarters, fifths, sixths, eighths, tenths, twelfths or twentieths).
  int window = 6;
  /// A competency leaves the zone (ZPDES-mastered) once the window is full and its success rate is
  /// at least this. In (0, 1].
  double mastery_rate = 0.8;
  /// Share of choices made uniformly over the zone rather than by learning progress. In [0, 1].
  double exploration = 0.2;
  /// Largest zone (the first ready competencies in topological order); 0 means no limit. A small
  /// zone focuses practice, as the original ZPDES starts from a few activities per dimension. >= 0.
  int zone_size = 6;

  /// InvalidArgument naming the first bad field ("window", ...) and its value.
  Status Validate() const;
};

/// Options of the random baseline (PolicyKind::kRandom).
struct RandomPolicyOptions {
  /// When a goal is given, draw only among ready activities on the path to it (the goals and their
  /// ancestors) when there are any. Off by default: the plain baseline knows nothing of goals.
  bool restrict_to_goal = false;
};

/// Options of the curriculum baseline (PolicyKind::kCurriculum).
struct CurriculumPolicyOptions {
  /// Practice opportunities per competency. 0 (default) means, per competency, the population's
  /// expected opportunities to mastery from its prior by the closed form in bkt.h
  /// (ExpectedOpportunitiesToMastery), at least 1; a competency that practice cannot master gets
  /// the mean of the others. >= 0.
  int opportunities = 0;

  /// InvalidArgument naming "opportunities" and its value when it is negative.
  Status Validate() const;
};

/// Options of the pathway planner (planner.h) beyond those it shares with the mastery policy.
struct PlannerOptions {
  /// Recommended activities listed per pathway step (ranked by difficulty fit). >= 1.
  int activities_per_competency = 3;

  /// InvalidArgument naming "activities_per_competency" and its value when it is below 1.
  Status Validate() const;
};

/// Options of every policy and of the planner: one struct per policy, and what they share. A policy
/// reads its own struct (and the shared fields); the others are carried along unread, so one
/// RecommenderOptions can configure an Engine or a simulation that runs several policies.
struct RecommenderOptions {
  MasteryPolicyOptions mastery;
  ZpdesPolicyOptions zpdes;
  RandomPolicyOptions random;
  CurriculumPolicyOptions curriculum;
  PlannerOptions planner;

  /// Prerequisites with strength >= this are hard: they gate under Gating::kHard in the mastery
  /// policy and the planner, define the random baseline's "ready" and ZPDES's starting zone.
  /// Shared, because it says how to read the graph rather than how one policy chooses. In (0, 1].
  double hard_prerequisite_strength = 1.0;

  /// Seed of every random choice (random and zpdes policies). Policy::Fork derives per-instance
  /// streams from it.
  uint64_t seed = 42;

  /// InvalidArgument naming the first bad field by its path ("mastery.goal_weight",
  /// "zpdes.window", "hard_prerequisite_strength", ...) and its value.
  Status Validate() const;
};

/// A part of the mastery policy's score (see the file comment for each definition), or of ZPDES's.
enum class ScorePart {
  kReadiness = 0,
  kGoalRelevance = 1,
  kDifficultyFit = 2,
  kRemediation = 3,
  kReviewDue = 4,
  kContinuity = 5,
  /// ZPDES: the arm's weight (recent learning progress), normalised to [0, 1]. Mastery policy: 1
  /// unless the activity's competency is stalled for this learner (see
  /// MasteryPolicyOptions::progress_weight).
  kLearningProgress = 6,
};

/// "readiness", "goal_relevance", "difficulty_fit", "remediation", "review_due", "continuity",
/// "learning_progress".
std::string_view ScorePartName(ScorePart part);

/// One part of a score, as it entered the sum.
struct PartScore {
  ScorePart part = ScorePart::kReadiness;
  double weight = 0.0;  ///< from MasteryPolicyOptions
  double value = 0.0;   ///< in [0, 1]
  /// Why the part has this value, for a person ("prerequisite fractions.equivalent mastered
  /// (0.97)", "review due: last practised 9 days ago (recall 0.61)"); empty when the value is 0 and
  /// there is nothing to say.
  std::string reason;

  double contribution() const { return weight * value; }
};

/// One recommended activity.
struct Recommendation {
  std::string activity_id;
  /// Sum of the parts' contributions (mastery policy, pins included), the arm's sampling
  /// probability (zpdes, 0 for pins), or 0 (random, curriculum).
  double score = 0.0;
  /// Mastery policy: every ScorePart from kReadiness to kContinuity, in that order. ZPDES:
  /// kLearningProgress. Baselines: empty.
  std::vector<PartScore> parts;
  /// Short sentences for a person, consistent with `parts`: first, for pins and baselines, what put
  /// the activity here ("pinned by request", "curriculum step 3 of 12: fractions.add, practice 2 of
  /// 4"); then the non-empty reasons of the parts with a positive contribution, largest
  /// contribution first (ties in ScorePart order).
  std::vector<std::string> reasons;
  /// Competencies the activity practises (ids), in its Q-matrix order.
  std::vector<std::string> competency_ids;
  double expected_minutes = 0.0;
  /// Predicted P(correct) (mastery policy; Q-weighted mean over its competencies), or -1 when the
  /// policy does not predict.
  double predicted_correct = -1.0;
  bool pinned = false;  ///< listed because the request pinned it
};

/// What the caller wants.
struct RecommendRequest {
  /// Competency or group ids (a group means all its member competencies). Empty: no goal.
  std::vector<std::string> goals;
  /// How many recommendations to return at most, ranked best first. >= 1.
  int k = 5;
  /// Activities never to recommend (unknown ids are NotFound, so typos are noticed).
  std::vector<std::string> excluded_activities;
  /// Activities to put first, in the given order, whatever their score or gating (an explicit
  /// choice by a teacher or the learner); they count toward k and are returned even when k is
  /// smaller than their number would need (then only the first k).
  std::vector<std::string> pinned_activities;
  /// When set, only activities whose expected_minutes fit in it are recommended (pins aside). > 0.
  std::optional<double> time_budget_minutes;
  /// "Now", for review due and the stall pause (stall_pause_hours). 0 means the latest
  /// last_practiced_ms in the learner's state (no time has passed since the last practice).
  TimestampMs now_ms = 0;
};

/// A practised competency of a learner, by dense index.
struct CompetencyState {
  /// Position of the competency in CompetencyGraph::competencies() (= the order of LearnerMastery).
  uint32_t competency = 0;
  double p_learned = 0.0;  ///< in [0, 1]
  uint32_t opportunities = 0;
  TimestampMs last_practiced_ms = 0;  ///< 0 if unknown
  /// MasteryEstimate::recent_answers: the last min(opportunities, 8) answers, newest in bit 0, or
  /// -1 when not known (then no stall is seen and no recent answers count as evidence).
  int32_t recent_answers = -1;
};

/// A learner as a policy reads it: sparse, so that a learner who practised little costs little on a
/// big graph. A competency not listed is at the model's prior and was never practised. Build it
/// from a LearnerMastery (Policy::Recommend does that for you) or keep one up to date yourself (a
/// simulator can patch it from MasteryTracker::Record's RecordResult::updated).
struct LearnerState {
  std::string learner_id;
  /// At most one entry per competency, in any order.
  std::vector<CompetencyState> competencies;
  /// The last activity the learner did (an activity or competency id), for continuity and for
  /// which activity of a stalled competency gives way. Empty means the one the mastery policy kept
  /// from Observe for learner_id (as Engine and pathwised serve it), else the competencies with the
  /// latest last_practiced_ms (when > 0).
  std::string last_activity_id;
  /// The learner's own pace (MasteryTracker::Pace), when known. `competencies` already reflects it
  /// (P(learned) is estimated at this pace); the mastery policy only names it in the reasons of the
  /// recommendations it shapes, when it is far enough from the population's to matter (odds of
  /// learning, or of knowing at the start, at least 1.5 times or at most 1/1.5 the population's).
  /// Engine::Recommend fills it.
  std::optional<LearnerFactors> pace;
};

/// Chooses activities for learners.
///
/// Policies are built by MakePolicy, which precomputes an immutable index of the graph and model;
/// Fork makes further independent instances that share that index (cheap: no graph work).
///
/// Thread safety: an instance is NOT safe to use from several threads at once (it keeps scratch
/// buffers, a random generator and, for zpdes, per-learner state). Fork() is const and may be
/// called concurrently on one prototype; give each thread (or, for results independent of
/// scheduling, each learner) its own fork. Policies do not depend on the CompetencyGraph or
/// BktModel they were built from after MakePolicy returns.
///
/// Reproducibility: the mastery and curriculum policies are deterministic functions of the state
/// and request. The random and zpdes policies draw from a generator seeded by
/// RecommenderOptions::seed and the fork's stream; one fork per learner, fed that learner's calls
/// in order, gives the same results whatever the number of threads.
///
/// Example:
///
///     auto policy = pathwise::MakePolicy(pathwise::PolicyKind::kMastery, graph, model, {});
///     if (!policy.ok()) return policy.status();
///     pathwise::RecommendRequest request;
///     request.goals = {"fractions.add"};
///     request.k = 3;
///     auto recs = (*policy)->Recommend(tracker->PriorMastery("ann"), request);
///     for (const auto& r : *recs) std::cout << r.activity_id << " " << r.reasons[0] << "\n";
class Policy {
 public:
  virtual ~Policy() = default;

  virtual PolicyKind kind() const = 0;

  /// Up to request.k activities, best first. Ties are broken by the activity's insertion order in
  /// the graph, so the ranking is deterministic. May return fewer than k (even none: e.g. every
  /// ready activity excluded, or everything mastered). ZPDES reads only state.learner_id (its
  /// knowledge comes from Observe); the other policies read the mastery in `state`.
  ///
  /// Returns InvalidArgument for k < 1, a time budget <= 0 or NaN, an activity both pinned and
  /// excluded, or a state entry whose competency index is out of range, listed twice, or has
  /// p_learned NaN or outside [0, 1] (naming "competencies[i]..."); NotFound naming an unknown
  /// goal, excluded or pinned id.
  virtual Result<std::vector<Recommendation>> Recommend(const LearnerState& state,
                                                        const RecommendRequest& request) = 0;

  /// As above from a dense LearnerMastery (the form MasteryTracker::Mastery returns): entries
  /// practised at least once, or whose p_learned differs from the model's prior, are kept. Costs a
  /// scan of the whole vector; keep a LearnerState for hot paths on big graphs. InvalidArgument
  /// also when `mastery` does not have one entry per competency in the graph's order (naming the
  /// first mismatch).
  Result<std::vector<Recommendation>> Recommend(const LearnerMastery& mastery,
                                                const RecommendRequest& request);

  /// Tells a stateful policy (zpdes, mastery) what happened; stateless policies ignore it and
  /// return OK. ZPDES keeps its per-learner state keyed by observation.learner_id; the mastery
  /// policy keeps the learner's last activity (the observation with the latest timestamp, the later
  /// recorded on a tie), read when LearnerState::last_activity_id is empty. InvalidArgument for an
  /// empty learner id or an outcome outside [0, 1]; NotFound for an unknown activity (an activity
  /// id or a competency id used as one).
  virtual Status Observe(const Observation& observation) = 0;

  /// A new, independent instance with the same graph, model and options and no per-learner state,
  /// its random generator seeded from (options.seed, stream). Thread-safe.
  virtual std::unique_ptr<Policy> Fork(uint64_t stream) const = 0;

  // Per-learner state. A policy that learns about a learner from Observe (zpdes, mastery) keeps a
  // state per learner id. Whoever serves many learners (Engine, pathwised) feeds Observe only to
  // policies with keeps_learner_state(), and stores that state with SaveLearnerState so that a
  // restart, or another fork, carries on exactly where this instance was.
  //
  // Encoding (versioned, so that stored bytes outlive a library upgrade): a header line
  // "<PolicyKindName>/<format version>\n" ("zpdes/2\n"), then the policy's payload. zpdes/2's
  // payload, varints unsigned LEB128: varint window (ZpdesPolicyOptions::window when saved), varint
  // arm count, then per arm in increasing competency id order: the competency id front-coded
  // (varint bytes shared with the previous arm's id, varint length of the rest, the rest's bytes),
  // varint outcomes ever observed (saturating at 65,535), u8 (n << 1 | 1 when
  // ZPDES-mastered) with n = outcomes kept (min(observed, window)), n u8 outcomes oldest first in
  // 240ths. zpdes/1 (still read) had little-endian u32 counts and lengths, separate mastered and n
  // bytes, and float32 outcomes: about twice the bytes, which a server writes for every learner of
  // every batch. mastery/2's payload: the last activity's id (varint length, bytes), varint its
  // timestamp (the int64 as two's complement). An empty string means "nothing known about the
  // learner". (mastery/1 held the answers the mastery policy kept before the tracker kept them:
  // it is read and dropped.)

  /// True when Observe changes per-learner state that later Recommend calls read: zpdes and
  /// mastery.
  virtual bool keeps_learner_state() const { return false; }

  /// The state this instance keeps for `learner_id`, encoded as above; empty for a learner it knows
  /// nothing about, and always empty for a policy that keeps no learner state. The bytes are a
  /// function of the state (equal states give equal bytes).
  virtual Result<std::string> SaveLearnerState(std::string_view learner_id) const;

  /// Replaces the state of `learner_id` by `bytes` from SaveLearnerState of a policy of the same
  /// kind (any fork, any process; the options may differ: zpdes keeps the most recent outcomes that
  /// fit its window). Empty bytes forget the learner. Competencies the graph no longer has are
  /// dropped (the mastery policy forgets a last activity the graph no longer has). InvalidArgument
  /// (nothing changes) for bytes of another kind, a format version this library does not read, or
  /// a malformed payload, naming the offset; a policy that keeps no learner state accepts only
  /// empty bytes (the mastery policy also accepts mastery/1 bytes, restoring nothing from them, so
  /// that learners stored by an older version stay loadable).
  virtual Status RestoreLearnerState(std::string_view learner_id, std::string_view bytes);

  /// Gives back the spare room the learner's state took while it grew (zpdes: the learner's
  /// zone), without changing it (SaveLearnerState gives the same bytes before and after), for a
  /// server that keeps learners for months (Engine::CompactMemory). Returns the bytes released; 0
  /// for a learner the policy knows nothing about or a policy that keeps no learner state. Not
  /// thread-safe, like Observe.
  virtual size_t CompactMemory(std::string_view learner_id) {
    (void)learner_id;
    return 0;
  }

  /// Builds the sparse LearnerState from a dense LearnerMastery (see Recommend above for the rule
  /// and errors).
  virtual Result<LearnerState> StateFromMastery(const LearnerMastery& mastery) const = 0;

  /// Dense index of a competency (its position in CompetencyGraph::competencies()), for callers
  /// that maintain a LearnerState themselves. NotFound when unknown.
  virtual Result<uint32_t> CompetencyIndex(std::string_view competency_id) const = 0;
};

/// Builds a policy of the given kind over `graph` and `model` (copied into an immutable index;
/// neither needs to outlive the policy). When the graph has no activities, each competency is
/// treated as one activity practising just itself, with the competency id as activity id (as
/// MasteryTracker accepts).
///
/// Returns InvalidArgument when `options` or `model` is invalid (naming the field).
Result<std::unique_ptr<Policy>> MakePolicy(PolicyKind kind, const CompetencyGraph& graph,
                                           const BktModel& model,
                                           const RecommenderOptions& options = {});

}  // namespace pathwise

#endif  // PATHWISE_RECOMMENDER_H_
