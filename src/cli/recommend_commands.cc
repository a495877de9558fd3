// `pathwise recommend|plan`: what a learner should do next, and the pathway to a goal.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include <pathwise/competency_graph.h>
#include <pathwise/io/graph_import.h>
#include <pathwise/io/graph_json.h>
#include <pathwise/io/model_json.h>
#include <pathwise/io/observations_csv.h>
#include <pathwise/mastery_tracker.h>
#include <pathwise/model.h>
#include <pathwise/planner.h>
#include <pathwise/recommender.h>

#include "commands.h"
#include "exit_codes.h"

namespace pathwise::cli {
namespace {

using nlohmann::ordered_json;

struct LearnerArgs {
  std::string graph;
  std::string graph_format = "json";
  std::string model;
  std::string events;
  std::string learner;
  std::vector<std::string> goals;
  std::string now;
  std::string report = "text";
  TrackerOptions tracker;  // individual pace
};

struct RecommendArgs {
  LearnerArgs common;
  int k = 5;
  std::vector<std::string> excluded;
  std::vector<std::string> pinned;
  double budget = 0.0;
  std::string policy = "mastery";
  std::string gating = "hard";
  /// Seed and the mastery policy's evidence and stall options, from their flags; gating comes from
  /// `gating`.
  RecommenderOptions options;
};

// What both commands start from: the graph, the model, and the learner's history replayed.
struct Loaded {
  CompetencyGraph graph;
  BktModel model;
  std::vector<Observation> learner_events;  // in file order
  LearnerMastery mastery;
  std::string last_activity_id;
  TimestampMs now_ms = 0;
  /// The learner's estimated pace, with --individual-pace and at least one event.
  std::optional<LearnerFactors> pace;
};

void AddLearnerOptions(CLI::App* cmd, LearnerArgs* args, bool goals_required) {
  cmd->add_option("--graph", args->graph, "Competency graph file")->required();
  cmd->add_option("--graph-format", args->graph_format,
                  "json (pathwise.graph) or junyi (the Junyi exercise table, imported with repair)")
      ->check(CLI::IsMember({"json", "junyi"}));
  cmd->add_option(
      "--model", args->model,
      "BKT model JSON (pathwise.bkt_model); default: BKT defaults for every competency");
  cmd->add_option("--events", args->events,
                  "Events CSV (event_id,learner_id,activity_id,outcome[,timestamp])")
      ->required();
  cmd->add_option("--learner", args->learner, "Learner id")->required();
  auto* goal = cmd->add_option("--goal", args->goals, "Goal competency or group id (repeatable)");
  if (goals_required) goal->required();
  cmd->add_option("--now", args->now,
                  "Current time (ms since epoch or ISO 8601 UTC), for review; default: the latest "
                  "timestamp in the events file");
  cmd->add_option("--report", args->report, "Report format on standard output")
      ->check(CLI::IsMember({"text", "json"}));
  cmd->add_flag("--individual-pace", args->tracker.individual_pace,
                "Track the learner's pace (prior and learn offsets) from their own answers");
  cmd->add_option("--pace-prior-sd", args->tracker.pace_prior_sd,
                  "Individual pace: spread of the population the offsets are shrunk toward")
      ->capture_default_str();
}

Status Load(const LearnerArgs& args, Loaded* out, int* exit_code) {
  *exit_code = kExitRejected;
  if (args.graph_format == "junyi") {
    ImportOptions options;
    options.repair = true;
    Result<ImportedGraph> imported = ImportJunyiExerciseTable(args.graph, options);
    if (!imported.ok()) {
      *exit_code = ExitCodeFor(imported.status());
      return imported.status();
    }
    out->graph = std::move(imported->graph);
  } else {
    Result<CompetencyGraph> graph = ReadGraphFile(args.graph);
    if (!graph.ok()) {
      *exit_code = ExitCodeFor(graph.status());
      return graph.status();
    }
    out->graph = std::move(graph).value();
  }
  if (!args.model.empty()) {
    Result<BktModel> model = ReadModelFile(args.model);
    if (!model.ok()) {
      *exit_code = ExitCodeFor(model.status());
      return model.status();
    }
    out->model = std::move(model).value();
  }
  Result<std::vector<Observation>> events = ReadObservationsCsv(args.events);
  if (!events.ok()) {
    *exit_code = ExitCodeFor(events.status());
    return events.status();
  }
  if (!args.now.empty()) {
    Result<TimestampMs> now = ParseTimestamp(args.now);
    if (!now.ok()) {
      *exit_code = kExitUsage;
      return now.status().WithContext("--now");
    }
    out->now_ms = *now;
  }
  TimestampMs latest = 0, learner_latest = 0;
  for (const Observation& e : *events) {
    latest = std::max(latest, e.timestamp_ms);
    if (e.learner_id != args.learner) continue;
    out->learner_events.push_back(e);
    // The last activity is the latest one; among equal timestamps, the last in the file.
    if (e.timestamp_ms >= learner_latest) {
      learner_latest = e.timestamp_ms;
      out->last_activity_id = e.activity_id;
    }
  }
  if (args.now.empty()) out->now_ms = latest;

  PATHWISE_ASSIGN_OR_RETURN(std::unique_ptr<MasteryTracker> tracker,
                            MasteryTracker::Create(out->graph, out->model, args.tracker));
  Result<size_t> applied = tracker->RecordBatch(out->learner_events);
  if (!applied.ok()) return applied.status().WithContext(args.events);
  Result<LearnerMastery> mastery = tracker->Mastery(args.learner);
  out->mastery = mastery.ok() ? std::move(mastery).value() : tracker->PriorMastery(args.learner);
  if (args.tracker.individual_pace) {
    Result<LearnerFactors> pace = tracker->Pace(args.learner);
    if (pace.ok()) out->pace = *pace;
  }
  return Status::Ok();
}

ordered_json RecommendationJson(const Recommendation& r, size_t rank) {
  ordered_json j;
  j["rank"] = rank;
  j["activity_id"] = r.activity_id;
  j["score"] = r.score;
  j["competencies"] = r.competency_ids;
  j["expected_minutes"] = r.expected_minutes;
  j["predicted_correct"] =
      r.predicted_correct >= 0.0 ? ordered_json(r.predicted_correct) : ordered_json(nullptr);
  j["pinned"] = r.pinned;
  ordered_json parts = ordered_json::array();
  for (const PartScore& p : r.parts) {
    ordered_json part;
    part["part"] = std::string(ScorePartName(p.part));
    part["weight"] = p.weight;
    part["value"] = p.value;
    part["contribution"] = p.contribution();
    part["reason"] = p.reason;
    parts.push_back(std::move(part));
  }
  j["parts"] = std::move(parts);
  j["reasons"] = r.reasons;
  return j;
}

std::string Format(const char* format, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), format, value);
  return buffer;
}

}  // namespace

void AddStallOptions(CLI::App* cmd, MasteryPolicyOptions* options) {
  cmd->add_option("--advance-threshold", options->advance_threshold,
                  "Mastery policy: P(learned) at which a learner goes on from a competency, "
                  "before it counts as mastered (1: wait for mastery)")
      ->capture_default_str();
  cmd->add_option("--progress-weight", options->progress_weight,
                  "Mastery policy: weight of the learning-progress part, which moves a learner "
                  "off what is not working (0: off, no stall detection)")
      ->capture_default_str();
  cmd->add_option("--stall-min-attempts", options->stall_min_attempts,
                  "Mastery policy: answers on a competency before it can count as stalled")
      ->capture_default_str();
  cmd->add_option("--stall-max-recent-correct", options->stall_max_recent_correct,
                  "Mastery policy: stalled when at most this many of the last "
                  "--stall-min-attempts answers were right")
      ->capture_default_str();
  cmd->add_option("--stall-pause-hours", options->stall_pause_hours,
                  "Mastery policy: hours without practice after which a stalled competency "
                  "is offered again")
      ->capture_default_str();
}

namespace {

void RunRecommend(const RecommendArgs& args, int* exit_code) {
  Loaded loaded;
  // The tracker's evidence before "mastered" is the policy's.
  LearnerArgs common = args.common;
  common.tracker.mastery_min_opportunities = args.options.mastery.mastery_min_opportunities;
  common.tracker.mastery_recent_correct = args.options.mastery.mastery_recent_correct;
  Status status = Load(common, &loaded, exit_code);
  if (!status.ok()) {
    std::cerr << "pathwise recommend: " << status << "\n";
    return;
  }
  *exit_code = kExitRejected;
  Result<PolicyKind> kind = ParsePolicyKind(args.policy);
  RecommenderOptions options = args.options;
  options.mastery.gating = args.gating == "soft" ? Gating::kSoft : Gating::kHard;
  Result<std::unique_ptr<Policy>> policy =
      kind.ok() ? MakePolicy(*kind, loaded.graph, loaded.model, options)
                : Result<std::unique_ptr<Policy>>(kind.status());
  if (!policy.ok()) {
    std::cerr << "pathwise recommend: " << policy.status() << "\n";
    return;
  }
  // ZPDES learns from outcomes alone: give it the learner's history.
  for (const Observation& e : loaded.learner_events) {
    Status observed = (*policy)->Observe(e);
    if (!observed.ok()) {
      std::cerr << "pathwise recommend: " << observed.WithContext(args.common.events) << "\n";
      return;
    }
  }
  Result<LearnerState> state = (*policy)->StateFromMastery(loaded.mastery);
  if (!state.ok()) {
    std::cerr << "pathwise recommend: " << state.status() << "\n";
    return;
  }
  state->last_activity_id = loaded.last_activity_id;
  state->pace = loaded.pace;
  RecommendRequest request;
  request.goals = args.common.goals;
  request.k = args.k;
  request.excluded_activities = args.excluded;
  request.pinned_activities = args.pinned;
  if (args.budget > 0.0) request.time_budget_minutes = args.budget;
  request.now_ms = loaded.now_ms;
  Result<std::vector<Recommendation>> recs = (*policy)->Recommend(*state, request);
  if (!recs.ok()) {
    std::cerr << "pathwise recommend: " << recs.status() << "\n";
    return;
  }

  if (args.common.report == "json") {
    ordered_json report;
    report["command"] = "recommend";
    report["learner"] = args.common.learner;
    report["policy"] = args.policy;
    report["events"] = loaded.learner_events.size();
    report["now_ms"] = loaded.now_ms;
    report["goals"] = args.common.goals;
    if (loaded.pace) {
      report["pace"] = {{"prior_offset", loaded.pace->prior_offset},
                        {"learn_offset", loaded.pace->learn_offset}};
    }
    ordered_json list = ordered_json::array();
    for (size_t i = 0; i < recs->size(); ++i) list.push_back(RecommendationJson((*recs)[i], i + 1));
    report["recommendations"] = std::move(list);
    std::cout << report.dump() << "\n";
  } else {
    std::cout << "Recommendations for " << args.common.learner << " (" << args.policy << ", "
              << loaded.learner_events.size() << " events)";
    if (!args.common.goals.empty()) {
      std::cout << ", goal:";
      for (const std::string& g : args.common.goals) std::cout << " " << g;
    }
    std::cout << "\n";
    if (loaded.pace) {
      std::cout << "  pace: learn offset " << Format("%+.2f", loaded.pace->learn_offset)
                << ", prior offset " << Format("%+.2f", loaded.pace->prior_offset)
                << " (logits from the population's)\n";
    }
    if (recs->empty()) std::cout << "  nothing to recommend\n";
    for (size_t i = 0; i < recs->size(); ++i) {
      const Recommendation& r = (*recs)[i];
      std::cout << "  " << i + 1 << ". " << r.activity_id;
      if (!r.parts.empty()) std::cout << "  score " << Format("%.3f", r.score);
      std::cout << "  (" << Format("%.0f", r.expected_minutes) << " min)\n";
      for (const std::string& reason : r.reasons) std::cout << "       - " << reason << "\n";
    }
  }
  *exit_code = kExitOk;
}

void RunPlan(const LearnerArgs& args, const std::string& gating, int* exit_code) {
  Loaded loaded;
  Status status = Load(args, &loaded, exit_code);
  if (!status.ok()) {
    std::cerr << "pathwise plan: " << status << "\n";
    return;
  }
  *exit_code = kExitRejected;
  RecommenderOptions options;
  options.mastery.gating = gating == "soft" ? Gating::kSoft : Gating::kHard;
  Result<std::unique_ptr<PathwayPlanner>> planner =
      PathwayPlanner::Create(loaded.graph, loaded.model, options);
  if (!planner.ok()) {
    std::cerr << "pathwise plan: " << planner.status() << "\n";
    return;
  }
  Result<Pathway> plan = (*planner)->Plan(loaded.mastery, args.goals);
  if (!plan.ok()) {
    std::cerr << "pathwise plan: " << plan.status() << "\n";
    return;
  }
  if (args.report == "json") {
    ordered_json report;
    report["command"] = "plan";
    report["learner"] = args.learner;
    report["events"] = loaded.learner_events.size();
    report["goals"] = plan->goals;
    report["goals_mastered"] = plan->goals_mastered;
    report["reachable"] = plan->reachable();
    ordered_json unreachable = ordered_json::array();
    for (const UnreachableGoal& u : plan->unreachable) {
      ordered_json j;
      j["goal_id"] = u.goal_id;
      j["reason"] = std::string(UnreachableReasonName(u.reason));
      j["cause_competency_id"] = u.cause_competency_id;
      j["message"] = u.message;
      unreachable.push_back(std::move(j));
    }
    report["unreachable"] = std::move(unreachable);
    report["total_expected_opportunities"] = plan->total_expected_opportunities;
    report["total_expected_minutes"] = plan->total_expected_minutes;
    ordered_json steps = ordered_json::array();
    for (const PathwayStep& s : plan->steps) {
      ordered_json j;
      j["competency_id"] = s.competency_id;
      j["p_learned"] = s.p_learned;
      j["mastery_threshold"] = s.mastery_threshold;
      j["is_goal"] = s.is_goal;
      j["prerequisites_in_plan"] = s.prerequisites_in_plan;
      j["activity_ids"] = s.activity_ids;
      j["expected_opportunities"] = s.expected_opportunities;
      j["expected_minutes"] = s.expected_minutes;
      j["unreachable"] = std::string(UnreachableReasonName(s.unreachable));
      j["unreachable_message"] = s.unreachable_message;
      steps.push_back(std::move(j));
    }
    report["steps"] = std::move(steps);
    std::cout << report.dump() << "\n";
  } else {
    std::cout << "Pathway for " << args.learner << " to";
    for (const std::string& g : plan->goals) std::cout << " " << g;
    std::cout << ": " << plan->steps.size() << " competencies, about "
              << plan->total_expected_opportunities << " opportunities, "
              << Format("%.0f", plan->total_expected_minutes) << " minutes\n";
    for (size_t i = 0; i < plan->steps.size(); ++i) {
      const PathwayStep& s = plan->steps[i];
      std::cout << "  " << i + 1 << ". " << s.competency_id << (s.is_goal ? " (goal)" : "")
                << "  mastery " << Format("%.2f", s.p_learned) << "/"
                << Format("%.2f", s.mastery_threshold);
      if (s.unreachable == UnreachableReason::kNone) {
        std::cout << "  ~" << s.expected_opportunities << " opportunities, "
                  << Format("%.0f", s.expected_minutes) << " min";
      } else {
        std::cout << "  UNREACHABLE: " << s.unreachable_message;
      }
      std::cout << "\n";
      if (!s.activity_ids.empty()) {
        std::cout << "       activities:";
        for (const std::string& a : s.activity_ids) std::cout << " " << a;
        std::cout << "\n";
      }
    }
    for (const UnreachableGoal& u : plan->unreachable)
      std::cout << "  goal " << u.goal_id << " cannot be reached: " << u.message << "\n";
    if (!plan->goals_mastered.empty()) {
      std::cout << "  already mastered:";
      for (const std::string& g : plan->goals_mastered) std::cout << " " << g;
      std::cout << "\n";
    }
  }
  *exit_code = kExitOk;
}

}  // namespace

void AddRecommendCommands(CLI::App& app, int* exit_code) {
  auto recommend_args = std::make_shared<RecommendArgs>();
  CLI::App* recommend =
      app.add_subcommand("recommend", "What a learner should do next, ranked, with reasons");
  AddLearnerOptions(recommend, &recommend_args->common, /*goals_required=*/false);
  recommend->add_option("-k", recommend_args->k, "How many recommendations")
      ->check(CLI::PositiveNumber);
  recommend->add_option("--exclude", recommend_args->excluded, "Activity never to recommend");
  recommend->add_option("--pin", recommend_args->pinned, "Activity to put first");
  recommend
      ->add_option("--budget", recommend_args->budget,
                   "Time budget in minutes: only activities that fit")
      ->check(CLI::PositiveNumber);
  recommend->add_option("--policy", recommend_args->policy, "mastery, zpdes, random or curriculum")
      ->check(CLI::IsMember({"mastery", "zpdes", "random", "curriculum"}));
  recommend->add_option("--seed", recommend_args->options.seed,
                        "Seed of the random and zpdes policies");
  recommend
      ->add_option("--gating", recommend_args->gating,
                   "hard: never recommend past an unmastered prerequisite; soft: only score "
                   "lower")
      ->check(CLI::IsMember({"hard", "soft"}));
  recommend->add_option(
      "--mastery-min-opportunities", recommend_args->options.mastery.mastery_min_opportunities,
      "Mastery policy: answers before a competency counts as mastered (a "
      "competency's own mastery_min_opportunities in the graph takes precedence)");
  recommend->add_option("--mastery-recent-correct",
                        recommend_args->options.mastery.mastery_recent_correct,
                        "Mastery policy: the last N answers must be right for mastered (0: off; a "
                        "competency's own setting takes precedence)");
  AddStallOptions(recommend, &recommend_args->options.mastery);
  recommend->callback([recommend_args, exit_code] { RunRecommend(*recommend_args, exit_code); });

  auto plan_args = std::make_shared<LearnerArgs>();
  auto plan_gating = std::make_shared<std::string>("hard");
  CLI::App* plan = app.add_subcommand(
      "plan", "The pathway from a learner's state to a goal, with expected effort");
  AddLearnerOptions(plan, plan_args.get(), /*goals_required=*/true);
  plan->add_option("--gating", *plan_gating,
                   "hard: an unreachable hard prerequisite blocks its dependents; soft: never")
      ->check(CLI::IsMember({"hard", "soft"}));
  plan->callback(
      [plan_args, plan_gating, exit_code] { RunPlan(*plan_args, *plan_gating, exit_code); });
}

}  // namespace pathwise::cli
