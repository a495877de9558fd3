// pathwise._core: Recommenders (policies) and the pathway planner.
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/engine.h>
#include <pathwise/model.h>
#include <pathwise/planner.h>
#include <pathwise/recommender.h>
#include <pathwise/result.h>
#include <pathwise/status.h>
#include <pathwise/types.h>

#include "bindings.h"

namespace pathwise::python {
namespace {

// The reason UnreachableReasonName names: the constructors take what the attributes read.
UnreachableReason UnreachableReasonFromName(const std::string& name, const char* field) {
  for (UnreachableReason reason :
       {UnreachableReason::kNone, UnreachableReason::kForgettingCeiling,
        UnreachableReason::kNoActivity, UnreachableReason::kBlockedByPrerequisite}) {
    if (UnreachableReasonName(reason) == name) return reason;
  }
  RaiseInvalidArgument(std::string(field) + ": unknown reason '" + name +
                       "' (expected none, forgetting_ceiling, no_activity or "
                       "blocked_by_prerequisite)");
}

}  // namespace

PolicyKind PolicyKindFromPython(const py::handle& kind) {
  if (py::isinstance<py::str>(kind)) return ValueOrThrow(ParsePolicyKind(kind.cast<std::string>()));
  return kind.cast<PolicyKind>();
}

void BindRecommender(py::module_& m) {
  py::enum_<PolicyKind>(m, "PolicyKind")
      .value("MASTERY", PolicyKind::kMastery)
      .value("ZPDES", PolicyKind::kZpdes)
      .value("RANDOM", PolicyKind::kRandom)
      .value("CURRICULUM", PolicyKind::kCurriculum)
      .def_property_readonly("label", [](PolicyKind k) { return std::string(PolicyKindName(k)); });
  m.def(
      "parse_policy_kind",
      [](const std::string& name) { return ValueOrThrow(ParsePolicyKind(name)); }, py::arg("name"),
      "'mastery', 'zpdes', 'random' or 'curriculum' -> PolicyKind.");

  py::enum_<Gating>(m, "Gating").value("SOFT", Gating::kSoft).value("HARD", Gating::kHard);
  py::enum_<ScorePart>(m, "ScorePart")
      .value("READINESS", ScorePart::kReadiness)
      .value("GOAL_RELEVANCE", ScorePart::kGoalRelevance)
      .value("DIFFICULTY_FIT", ScorePart::kDifficultyFit)
      .value("REMEDIATION", ScorePart::kRemediation)
      .value("REVIEW_DUE", ScorePart::kReviewDue)
      .value("CONTINUITY", ScorePart::kContinuity)
      .value("LEARNING_PROGRESS", ScorePart::kLearningProgress)
      .def_property_readonly("label", [](ScorePart p) { return std::string(ScorePartName(p)); });

  // One class per policy's options, mirroring the C++ structs: opts.mastery.goal_weight,
  // opts.zpdes.window. def_readwrite hands out the nested object by reference, so assigning to its
  // fields changes the RecommenderOptions that holds it.
  py::class_<MasteryPolicyOptions>(m, "MasteryPolicyOptions",
                                   "Options of the mastery policy (also read by the planner).")
      .def(py::init<>())
      .def_readwrite("readiness_weight", &MasteryPolicyOptions::readiness_weight)
      .def_readwrite("goal_weight", &MasteryPolicyOptions::goal_weight)
      .def_readwrite("difficulty_weight", &MasteryPolicyOptions::difficulty_weight)
      .def_readwrite("remediation_weight", &MasteryPolicyOptions::remediation_weight)
      .def_readwrite("review_weight", &MasteryPolicyOptions::review_weight)
      .def_readwrite("continuity_weight", &MasteryPolicyOptions::continuity_weight)
      .def_readwrite("gating", &MasteryPolicyOptions::gating)
      .def_readwrite("soft_min_readiness", &MasteryPolicyOptions::soft_min_readiness)
      .def_readwrite("advance_threshold", &MasteryPolicyOptions::advance_threshold)
      .def_readwrite("target_success", &MasteryPolicyOptions::target_success)
      .def_readwrite("difficulty_logit_scale", &MasteryPolicyOptions::difficulty_logit_scale)
      .def_readwrite("review_half_life_days", &MasteryPolicyOptions::review_half_life_days)
      .def_readwrite("review_recall_threshold", &MasteryPolicyOptions::review_recall_threshold)
      .def_readwrite("max_review_candidates", &MasteryPolicyOptions::max_review_candidates)
      .def_readwrite("review_only_goal_path", &MasteryPolicyOptions::review_only_goal_path)
      .def_readwrite("remediation_min_opportunities",
                     &MasteryPolicyOptions::remediation_min_opportunities)
      .def_readwrite("remediation_max_p", &MasteryPolicyOptions::remediation_max_p)
      .def_readwrite("max_named_prerequisites", &MasteryPolicyOptions::max_named_prerequisites)
      .def_readwrite("mastery_min_opportunities", &MasteryPolicyOptions::mastery_min_opportunities)
      .def_readwrite("mastery_recent_correct", &MasteryPolicyOptions::mastery_recent_correct)
      .def_readwrite("stall_min_attempts", &MasteryPolicyOptions::stall_min_attempts)
      .def_readwrite("stall_max_recent_correct", &MasteryPolicyOptions::stall_max_recent_correct)
      .def_readwrite("stall_pause_hours", &MasteryPolicyOptions::stall_pause_hours)
      .def_readwrite("progress_weight", &MasteryPolicyOptions::progress_weight)
      .def("validate", [](const MasteryPolicyOptions& o) { ThrowIfError(o.Validate()); });

  py::class_<ZpdesPolicyOptions>(m, "ZpdesPolicyOptions", "Options of the ZPDES policy.")
      .def(py::init<>())
      .def_readwrite("window", &ZpdesPolicyOptions::window)
      .def_readwrite("mastery_rate", &ZpdesPolicyOptions::mastery_rate)
      .def_readwrite("exploration", &ZpdesPolicyOptions::exploration)
      .def_readwrite("zone_size", &ZpdesPolicyOptions::zone_size)
      .def("validate", [](const ZpdesPolicyOptions& o) { ThrowIfError(o.Validate()); });

  py::class_<RandomPolicyOptions>(m, "RandomPolicyOptions", "Options of the random baseline.")
      .def(py::init<>())
      .def_readwrite("restrict_to_goal", &RandomPolicyOptions::restrict_to_goal);

  py::class_<CurriculumPolicyOptions>(m, "CurriculumPolicyOptions",
                                      "Options of the curriculum baseline.")
      .def(py::init<>())
      .def_readwrite("opportunities", &CurriculumPolicyOptions::opportunities)
      .def("validate", [](const CurriculumPolicyOptions& o) { ThrowIfError(o.Validate()); });

  py::class_<PlannerOptions>(m, "PlannerOptions", "Options of the pathway planner.")
      .def(py::init<>())
      .def_readwrite("activities_per_competency", &PlannerOptions::activities_per_competency)
      .def("validate", [](const PlannerOptions& o) { ThrowIfError(o.Validate()); });

  py::class_<RecommenderOptions>(m, "RecommenderOptions",
                                 "Options of every policy and the planner, one object per policy.")
      .def(py::init<>())
      .def_readwrite("mastery", &RecommenderOptions::mastery)
      .def_readwrite("zpdes", &RecommenderOptions::zpdes)
      .def_readwrite("random", &RecommenderOptions::random)
      .def_readwrite("curriculum", &RecommenderOptions::curriculum)
      .def_readwrite("planner", &RecommenderOptions::planner)
      .def_readwrite("hard_prerequisite_strength", &RecommenderOptions::hard_prerequisite_strength)
      .def_readwrite("seed", &RecommenderOptions::seed)
      .def("validate", [](const RecommenderOptions& o) { ThrowIfError(o.Validate()); });

  // The results are constructible values because pathwise.Client returns these classes too (one
  // class per concept in Python), built from the wire's messages.
  py::class_<PartScore> part_score(m, "PartScore", "One part of a score, as it entered the sum.");
  part_score
      .def(py::init([](ScorePart part, double weight, double value, std::string reason) {
             return PartScore{part, weight, value, std::move(reason)};
           }),
           py::arg("part"), py::arg("weight"), py::arg("value"), py::arg("reason") = "")
      .def_readonly("part", &PartScore::part)
      .def_readonly("weight", &PartScore::weight)
      .def_readonly("value", &PartScore::value)
      .def_readonly("reason", &PartScore::reason)
      .def_property_readonly("contribution", &PartScore::contribution)
      .def(PATHWISE_REPR("part", "weight", "value", "reason"));
  DefValueSemantics(part_score, {"part", "weight", "value", "reason"});

  py::class_<Recommendation> recommendation(m, "Recommendation",
                                            "One recommended activity, with why.");
  recommendation
      .def(py::init([](std::string activity_id, double score, std::vector<PartScore> parts,
                       std::vector<std::string> reasons, std::vector<std::string> competency_ids,
                       double expected_minutes, std::optional<double> predicted_correct,
                       bool pinned) {
             // The core's "does not predict" is -1, which Python reads as None.
             if (predicted_correct.has_value() &&
                 !(*predicted_correct >= 0.0 && *predicted_correct <= 1.0)) {
               RaiseInvalidArgument("predicted_correct: must be in [0, 1] or None, got " +
                                    std::to_string(*predicted_correct));
             }
             return Recommendation{std::move(activity_id),
                                   score,
                                   std::move(parts),
                                   std::move(reasons),
                                   std::move(competency_ids),
                                   expected_minutes,
                                   predicted_correct.value_or(-1.0),
                                   pinned};
           }),
           py::arg("activity_id"), py::arg("score") = 0.0,
           py::arg("parts") = std::vector<PartScore>{},
           py::arg("reasons") = std::vector<std::string>{},
           py::arg("competency_ids") = std::vector<std::string>{},
           py::arg("expected_minutes") = 0.0, py::arg("predicted_correct") = py::none(),
           py::arg("pinned") = false)
      .def_readonly("activity_id", &Recommendation::activity_id)
      .def_readonly("score", &Recommendation::score)
      .def_readonly("parts", &Recommendation::parts)
      .def_readonly("reasons", &Recommendation::reasons)
      .def_readonly("competency_ids", &Recommendation::competency_ids)
      .def_readonly("expected_minutes", &Recommendation::expected_minutes)
      .def_property_readonly(
          "predicted_correct",
          [](const Recommendation& r) -> std::optional<double> {
            if (r.predicted_correct < 0.0) return std::nullopt;
            return r.predicted_correct;
          },
          "Predicted P(correct), or None when the policy does not predict.")
      .def_readonly("pinned", &Recommendation::pinned)
      .def(PATHWISE_REPR("activity_id", "score", "reasons", "predicted_correct", "pinned"));
  DefValueSemantics(recommendation, {"activity_id", "score", "parts", "reasons", "competency_ids",
                                     "expected_minutes", "predicted_correct", "pinned"});

  py::class_<RecommendRequest>(m, "RecommendRequest", "What the caller wants.")
      .def(py::init([](std::vector<std::string> goals, int k,
                       std::vector<std::string> excluded_activities,
                       std::vector<std::string> pinned_activities,
                       std::optional<double> time_budget_minutes, TimestampMs now_ms) {
             RecommendRequest r;
             r.goals = std::move(goals);
             r.k = k;
             r.excluded_activities = std::move(excluded_activities);
             r.pinned_activities = std::move(pinned_activities);
             r.time_budget_minutes = time_budget_minutes;
             r.now_ms = now_ms;
             return r;
           }),
           py::arg("goals") = std::vector<std::string>{}, py::arg("k") = 5,
           py::arg("excluded_activities") = std::vector<std::string>{},
           py::arg("pinned_activities") = std::vector<std::string>{},
           py::arg("time_budget_minutes") = py::none(), py::arg("now_ms") = 0)
      .def_readwrite("goals", &RecommendRequest::goals)
      .def_readwrite("k", &RecommendRequest::k)
      .def_readwrite("excluded_activities", &RecommendRequest::excluded_activities)
      .def_readwrite("pinned_activities", &RecommendRequest::pinned_activities)
      .def_readwrite("time_budget_minutes", &RecommendRequest::time_budget_minutes)
      .def_readwrite("now_ms", &RecommendRequest::now_ms)
      .def(PATHWISE_REPR("goals", "k", "excluded_activities", "pinned_activities",
                         "time_budget_minutes", "now_ms"));

  py::class_<CompetencyState>(m, "CompetencyState", "A practised competency, by dense index.")
      .def(py::init([](uint32_t competency, double p_learned, uint32_t opportunities,
                       TimestampMs last_practiced_ms, int32_t recent_answers) {
             return CompetencyState{competency, p_learned, opportunities, last_practiced_ms,
                                    recent_answers};
           }),
           py::arg("competency"), py::arg("p_learned"), py::arg("opportunities") = 0,
           py::arg("last_practiced_ms") = 0, py::arg("recent_answers") = -1)
      .def_readwrite("competency", &CompetencyState::competency)
      .def_readwrite("p_learned", &CompetencyState::p_learned)
      .def_readwrite("opportunities", &CompetencyState::opportunities)
      .def_readwrite("last_practiced_ms", &CompetencyState::last_practiced_ms)
      .def_readwrite("recent_answers", &CompetencyState::recent_answers,
                     "The last min(opportunities, 8) answers as bits, the newest in bit 0 (1 = "
                     "correct); -1 when not known.")
      .def(PATHWISE_REPR("competency", "p_learned", "opportunities", "last_practiced_ms",
                         "recent_answers"));

  py::class_<LearnerState>(m, "LearnerState", "A learner as a policy reads it (sparse).")
      .def(py::init([](std::string learner_id, std::vector<CompetencyState> competencies,
                       std::string last_activity_id, std::optional<LearnerFactors> pace) {
             return LearnerState{std::move(learner_id), std::move(competencies),
                                 std::move(last_activity_id), pace};
           }),
           py::arg("learner_id") = "", py::arg("competencies") = std::vector<CompetencyState>{},
           py::arg("last_activity_id") = "", py::arg("pace") = std::nullopt)
      .def_readwrite("learner_id", &LearnerState::learner_id)
      .def_readwrite("competencies", &LearnerState::competencies)
      .def_readwrite("last_activity_id", &LearnerState::last_activity_id)
      .def_readwrite("pace", &LearnerState::pace,
                     "The learner's pace, to name in reasons (P(learned) already reflects it).")
      .def(PATHWISE_REPR("learner_id", "competencies", "last_activity_id", "pace"));

  py::class_<Policy, std::shared_ptr<Policy>>(
      m, "Policy",
      "Chooses activities for learners. Not thread-safe: fork() one instance per thread.")
      .def_property_readonly("kind", &Policy::kind)
      .def(
          "recommend",
          [](Policy& p, const LearnerState& state, const RecommendRequest& request) {
            return ValueOrThrow(p.Recommend(state, request));
          },
          py::arg("state"), py::arg("request") = RecommendRequest{},
          R"doc(Up to request.k activities for the learner, best first, each with its score, part-scores
and reasons. mastery, random and curriculum read the mastery in ``state`` (a LearnerState, or a
LearnerMastery as Engine.mastery returns); zpdes reads only ``state.learner_id`` and the outcomes
given to observe(). Raises ValueError / KeyError naming the bad field or id.)doc")
      .def(
          "recommend",
          [](Policy& p, const LearnerMastery& mastery, const RecommendRequest& request) {
            return ValueOrThrow(p.Recommend(mastery, request));
          },
          py::arg("mastery"), py::arg("request") = RecommendRequest{})
      .def(
          "observe", [](Policy& p, const Observation& o) { ThrowIfError(p.Observe(o)); },
          py::arg("observation"),
          "Tells a stateful policy what happened (zpdes: its zone; mastery: the learner's last "
          "activity, read when LearnerState.last_activity_id is empty); the others ignore it. A "
          "policy used on its own must be fed every observation; Engine.record does this for you.")
      .def(
          "fork",
          [](const Policy& p, uint64_t stream) { return std::shared_ptr<Policy>(p.Fork(stream)); },
          py::arg("stream"),
          R"doc(A new, independent policy over the same graph, model and options (the index is shared:
no graph work), with no per-learner state and its random generator seeded from
(options.seed, stream). Use one fork per thread, or per learner for results that do not depend
on scheduling.)doc")
      .def_property_readonly("keeps_learner_state", &Policy::keeps_learner_state)
      .def(
          "save_learner_state",
          [](const Policy& p, const std::string& learner) {
            return py::bytes(ValueOrThrow(p.SaveLearnerState(learner)));
          },
          py::arg("learner_id"),
          "The policy's state of a learner as versioned bytes (b'' when it keeps none).")
      .def(
          "restore_learner_state",
          [](Policy& p, const std::string& learner, const py::bytes& bytes) {
            ThrowIfError(p.RestoreLearnerState(learner, std::string(bytes)));
          },
          py::arg("learner_id"), py::arg("state"),
          "Replaces a learner's state by bytes from save_learner_state (b'' forgets the learner).")
      .def(
          "state_from_mastery",
          [](const Policy& p, const LearnerMastery& mastery) {
            return ValueOrThrow(p.StateFromMastery(mastery));
          },
          py::arg("mastery"))
      .def(
          "competency_index",
          [](const Policy& p, const std::string& id) {
            return ValueOrThrow(p.CompetencyIndex(id));
          },
          py::arg("competency_id"));

  m.def(
      "make_policy",
      [](const py::object& kind, const CompetencyGraph& graph, const BktModel& model,
         const RecommenderOptions& options) {
        const PolicyKind policy_kind = PolicyKindFromPython(kind);
        return std::shared_ptr<Policy>(
            ValueOrThrow(MakePolicy(policy_kind, graph, model, options)));
      },
      py::arg("kind"), py::arg("graph"), py::arg("model") = BktModel{},
      py::arg("options") = RecommenderOptions{},
      R"doc(Builds a policy of ``kind`` ('mastery', 'zpdes', 'random', 'curriculum' or a PolicyKind)
over ``graph`` and ``model``: an immutable index of both is precomputed (neither needs to outlive
the policy), so build once and fork() per thread. A standalone policy keeps its own per-learner
state: feed a zpdes policy with observe(). To serve learners with one recording channel, use
Engine.record and Engine.recommend(..., policy=...) instead. Raises ValueError for invalid options
or model, naming the field.)doc");

  m.def("is_stalled", &IsStalled, py::arg("estimate"), py::arg("options") = MasteryPolicyOptions{},
        R"doc(The mastery policy's stall rule on a tracker's estimate: not mastered, and at most
``options.stall_max_recent_correct`` of the last ``options.stall_min_attempts`` answers right
(``estimate.recent_answers``). What the class report calls stalled and what the recommendations'
"stalled on" reasons name. False when the recent answers are not known (-1).)doc");

  py::class_<Engine> engine = py::reinterpret_borrow<py::class_<Engine>>(m.attr("Engine"));
  engine
      .def(
          "recommend",
          [](const Engine& e, const std::string& learner, const RecommendRequest& request,
             const py::object& policy) {
            const PolicyKind kind = PolicyKindFromPython(policy);
            Result<std::vector<Recommendation>> recs = [&] {
              py::gil_scoped_release release;
              return e.Recommend(learner, request, kind);
            }();
            return ValueOrThrow(std::move(recs));
          },
          py::arg("learner_id"), py::arg("request") = RecommendRequest{},
          py::arg("policy") = "mastery",
          R"doc(What the learner should do next by ``policy`` (default 'mastery', the library's default
policy), from everything recorded through this engine: mastery for the mastery-based policies,
the observed outcomes for zpdes (record() feeds both). Cold start: a learner with nothing
recorded gets the population-level recommendation (the priors; zpdes's starting zone). Random
draws (random, zpdes) are seeded by the options' seed, the learner id and the learner's state.)doc")
      .def(
          "plan",
          [](const Engine& e, const std::string& learner, const std::vector<std::string>& goals) {
            return ValueOrThrow(e.Plan(learner, goals));
          },
          py::arg("learner_id"), py::arg("goals"),
          "The pathway from the learner's mastery (the priors for a new learner) to the goals.")
      .def(
          "set_recommender_options",
          [](Engine& e, const RecommenderOptions& options) {
            ThrowIfError(e.SetRecommenderOptions(options));
          },
          py::arg("options"), "Options of recommend and plan; per-learner policy state is kept.")
      .def("recommender_options", &Engine::recommender_options,
           "A copy of the options in use (changing it changes nothing until "
           "set_recommender_options).")
      .def(
          "save_learner_state",
          [](const Engine& e, const py::object& policy, const std::string& learner) {
            return py::bytes(
                ValueOrThrow(e.SaveLearnerState(PolicyKindFromPython(policy), learner)));
          },
          py::arg("policy"), py::arg("learner_id"),
          "The served policy's state of a learner as versioned bytes (b'' when none).")
      .def(
          "restore_learner_state",
          [](Engine& e, const py::object& policy, const std::string& learner,
             const py::bytes& bytes) {
            ThrowIfError(
                e.RestoreLearnerState(PolicyKindFromPython(policy), learner, std::string(bytes)));
          },
          py::arg("policy"), py::arg("learner_id"), py::arg("state"),
          "Replaces a learner's state in the served policy (b'' forgets the learner).");
}

void BindPlanner(py::module_& m) {
  py::class_<PathwayStep> step(m, "PathwayStep", "One competency still to master.");
  step.def(py::init([](std::string competency_id, double p_learned, double mastery_threshold,
                       bool is_goal, std::vector<std::string> prerequisites_in_plan,
                       std::vector<std::string> activity_ids, int expected_opportunities,
                       double expected_minutes, const std::string& unreachable,
                       std::string unreachable_message) {
             return PathwayStep{std::move(competency_id),
                                p_learned,
                                mastery_threshold,
                                is_goal,
                                std::move(prerequisites_in_plan),
                                std::move(activity_ids),
                                expected_opportunities,
                                expected_minutes,
                                UnreachableReasonFromName(unreachable, "unreachable"),
                                std::move(unreachable_message)};
           }),
           py::arg("competency_id"), py::arg("p_learned"), py::arg("mastery_threshold"),
           py::arg("is_goal") = false,
           py::arg("prerequisites_in_plan") = std::vector<std::string>{},
           py::arg("activity_ids") = std::vector<std::string>{},
           py::arg("expected_opportunities") = 0, py::arg("expected_minutes") = 0.0,
           py::arg("unreachable") = "none", py::arg("unreachable_message") = "")
      .def_readonly("competency_id", &PathwayStep::competency_id)
      .def_readonly("p_learned", &PathwayStep::p_learned)
      .def_readonly("mastery_threshold", &PathwayStep::mastery_threshold)
      .def_readonly("is_goal", &PathwayStep::is_goal)
      .def_readonly("prerequisites_in_plan", &PathwayStep::prerequisites_in_plan)
      .def_readonly("activity_ids", &PathwayStep::activity_ids)
      .def_readonly("expected_opportunities", &PathwayStep::expected_opportunities)
      .def_readonly("expected_minutes", &PathwayStep::expected_minutes)
      .def_property_readonly(
          "unreachable",
          [](const PathwayStep& s) { return std::string(UnreachableReasonName(s.unreachable)); })
      .def_readonly("unreachable_message", &PathwayStep::unreachable_message)
      .def(PATHWISE_REPR("competency_id", "p_learned", "is_goal", "expected_opportunities",
                         "unreachable"));
  DefValueSemantics(step, {"competency_id", "p_learned", "mastery_threshold", "is_goal",
                           "prerequisites_in_plan", "activity_ids", "expected_opportunities",
                           "expected_minutes", "unreachable", "unreachable_message"});
  py::class_<UnreachableGoal> goal(m, "UnreachableGoal", "A goal that cannot be reached, and why.");
  goal.def(py::init([](std::string goal_id, const std::string& reason,
                       std::string cause_competency_id, std::string message) {
             return UnreachableGoal{std::move(goal_id), UnreachableReasonFromName(reason, "reason"),
                                    std::move(cause_competency_id), std::move(message)};
           }),
           py::arg("goal_id"), py::arg("reason"), py::arg("cause_competency_id") = "",
           py::arg("message") = "")
      .def_readonly("goal_id", &UnreachableGoal::goal_id)
      .def_property_readonly(
          "reason",
          [](const UnreachableGoal& g) { return std::string(UnreachableReasonName(g.reason)); })
      .def_readonly("cause_competency_id", &UnreachableGoal::cause_competency_id)
      .def_readonly("message", &UnreachableGoal::message)
      .def(PATHWISE_REPR("goal_id", "reason", "cause_competency_id", "message"));
  DefValueSemantics(goal, {"goal_id", "reason", "cause_competency_id", "message"});
  py::class_<Pathway> pathway(m, "Pathway", "The plan from a learner's state to a goal set.");
  pathway
      .def(py::init([](std::string learner_id, std::vector<std::string> goals,
                       std::vector<std::string> goals_mastered, std::vector<PathwayStep> steps,
                       std::vector<UnreachableGoal> unreachable, int total_expected_opportunities,
                       double total_expected_minutes) {
             return Pathway{std::move(learner_id),     std::move(goals),
                            std::move(goals_mastered), std::move(steps),
                            std::move(unreachable),    total_expected_opportunities,
                            total_expected_minutes};
           }),
           py::arg("learner_id"), py::arg("goals") = std::vector<std::string>{},
           py::arg("goals_mastered") = std::vector<std::string>{},
           py::arg("steps") = std::vector<PathwayStep>{},
           py::arg("unreachable") = std::vector<UnreachableGoal>{},
           py::arg("total_expected_opportunities") = 0, py::arg("total_expected_minutes") = 0.0,
           "reachable is not an argument: a pathway is reachable when `unreachable` is empty.")
      .def_readonly("learner_id", &Pathway::learner_id)
      .def_readonly("goals", &Pathway::goals)
      .def_readonly("goals_mastered", &Pathway::goals_mastered)
      .def_readonly("steps", &Pathway::steps)
      .def_readonly("unreachable", &Pathway::unreachable)
      .def_readonly("total_expected_opportunities", &Pathway::total_expected_opportunities)
      .def_readonly("total_expected_minutes", &Pathway::total_expected_minutes)
      .def_property_readonly("reachable", &Pathway::reachable)
      .def(PATHWISE_REPR("learner_id", "goals", "reachable", "total_expected_opportunities",
                         "total_expected_minutes"));
  DefValueSemantics(pathway, {"learner_id", "goals", "goals_mastered", "steps", "unreachable",
                              "total_expected_opportunities", "total_expected_minutes"});

  py::class_<PathwayPlanner>(m, "PathwayPlanner", "Plans pathways to goals. Thread-safe.")
      .def_static(
          "create",
          [](const CompetencyGraph& graph, const BktModel& model,
             const RecommenderOptions& options) {
            return ValueOrThrow(PathwayPlanner::Create(graph, model, options));
          },
          py::arg("graph"), py::arg("model") = BktModel{},
          py::arg("options") = RecommenderOptions{})
      .def(
          "plan",
          [](const PathwayPlanner& p, const LearnerState& state,
             const std::vector<std::string>& goals) { return ValueOrThrow(p.Plan(state, goals)); },
          py::arg("state"), py::arg("goals"))
      .def(
          "plan",
          [](const PathwayPlanner& p, const LearnerMastery& mastery,
             const std::vector<std::string>& goals) {
            return ValueOrThrow(p.Plan(mastery, goals));
          },
          py::arg("mastery"), py::arg("goals"));
}

}  // namespace pathwise::python
