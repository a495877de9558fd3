// `pathwise simulate`: synthetic learners under recommendation policies.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/io/graph_import.h>
#include <pathwise/io/graph_json.h>
#include <pathwise/io/model_json.h>
#include <pathwise/io/simulation_io.h>
#include <pathwise/recommender.h>
#include <pathwise/simulator.h>

#include "commands.h"
#include "exit_codes.h"

namespace pathwise::cli {
namespace {

struct SimulateArgs {
  std::string graph;
  std::string graph_format = "json";
  std::vector<std::string> policies;
  std::vector<std::string> goals;
  int learners = 100;
  int steps = 200;
  uint64_t seed = 1;
  int threads = 1;
  std::string model;
  std::string truth_model;
  double penalty = LearnerModelOptions{}.prerequisite_penalty;
  double forget_per_day = LearnerModelOptions{}.forget_per_day;
  double review_stability = LearnerModelOptions{}.review_stability;
  double competency_learn_spread = 0.0;
  double competency_prior_spread = 0.0;
  double learner_learn_spread = CohortGroup{}.learn_spread;
  double learner_prior_spread = CohortGroup{}.prior_spread;
  std::vector<std::string> groups;
  int steps_per_session = ScheduleOptions{}.steps_per_session;
  double session_interval_minutes = ScheduleOptions{}.session_interval_minutes;
  int curve_points = SimulationOptions{}.curve_points;
  RecommenderOptions recommender;
  TrackerOptions tracker;
  std::string svg;
  std::string csv;
  std::string curves_csv;
  std::string learners_csv;
  std::string traces_csv;
  int trace_learners = 3;
  std::string json_out;
  std::string report = "text";
};

// NAME:WEIGHT:LEARN_OFFSET:PRIOR_OFFSET, the spreads from --learner-*-spread.
Result<CohortGroup> ParseGroup(const std::string& spec, const SimulateArgs& args) {
  std::vector<std::string> fields;
  std::stringstream stream(spec);
  for (std::string field; std::getline(stream, field, ':');) fields.push_back(field);
  if (fields.size() != 4 || fields[0].empty()) {
    return Status::InvalidArgument("--group '" + spec +
                                   "': expected NAME:WEIGHT:LEARN_OFFSET:PRIOR_OFFSET");
  }
  CohortGroup group;
  group.name = fields[0];
  double* targets[] = {&group.weight, &group.learn_offset, &group.prior_offset};
  for (int i = 0; i < 3; ++i) {
    char* end = nullptr;
    *targets[i] = std::strtod(fields[i + 1].c_str(), &end);
    if (fields[i + 1].empty() || *end != '\0') {
      return Status::InvalidArgument("--group '" + spec + "': '" + fields[i + 1] +
                                     "' is not a number");
    }
  }
  group.learn_spread = args.learner_learn_spread;
  group.prior_spread = args.learner_prior_spread;
  return group;
}

Result<CompetencyGraph> LoadGraph(const SimulateArgs& args) {
  if (args.graph_format == "json") return ReadGraphFile(args.graph);
  ImportOptions options;
  options.repair = true;
  PATHWISE_ASSIGN_OR_RETURN(ImportedGraph imported, ImportJunyiExerciseTable(args.graph, options));
  if (!imported.report.problems.empty()) {
    std::cerr << args.graph << ": imported with " << imported.report.problems.size()
              << " problems repaired (see `pathwise graph import --repair`)\n";
  }
  return std::move(imported.graph);
}

std::string Format(double value, int decimals) {
  if (std::isnan(value)) return "-";
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

std::string Pad(const std::string& text, size_t width) {
  return text.size() >= width ? text : text + std::string(width - text.size(), ' ');
}

std::string TextReport(const SimulationResult& result) {
  std::ostringstream out;
  out << result.learners << " learners x " << result.steps << " steps, seed " << result.seed
      << "; goal: " << result.goal_competencies.size() << " competencies, "
      << result.goal_scope_size << " with prerequisites (of " << result.num_competencies << ")\n";
  out << Pad("policy", 14) << Pad("group", 12) << Pad("learners", 10) << Pad("mean steps", 12)
      << Pad("median", 9) << Pad("reached", 9) << Pad("AUC", 7) << "scope learned at end\n";
  for (const PolicyResult& policy : result.policies) {
    std::vector<const CohortOutcome*> rows{&policy.all};
    if (policy.groups.size() > 1) {
      for (const CohortOutcome& group : policy.groups) rows.push_back(&group);
    }
    for (const CohortOutcome* row : rows) {
      out << Pad(policy.policy, 14) << Pad(row->group, 12) << Pad(std::to_string(row->learners), 10)
          << Pad(Format(row->mean_steps_to_goal, 1), 12)
          << Pad(Format(row->median_steps_to_goal, 1), 9)
          << Pad(Format(100.0 * row->reached_goal_share, 1) + "%", 9)
          << Pad(Format(row->prediction.auc, 3), 7) << Format(row->mean_final_scope_learned, 1)
          << "\n";
    }
  }
  // How the first policy compares with each other one.
  if (result.policies.size() > 1) {
    const PolicyResult& first = result.policies[0];
    for (size_t p = 1; p < result.policies.size(); ++p) {
      const PolicyResult& other = result.policies[p];
      out << first.policy << " vs " << other.policy << ": "
          << Format(100.0 * (1.0 - first.all.mean_steps_to_goal / other.all.mean_steps_to_goal), 1)
          << "% fewer steps ("
          << Format(other.all.mean_steps_to_goal / first.all.mean_steps_to_goal, 2) << "x)\n";
    }
  }
  out << "(steps to the goal count a learner who never reached it as " << result.steps << ")\n";
  return out.str();
}

int RunSimulate(const SimulateArgs& args) {
  Result<CompetencyGraph> graph = LoadGraph(args);
  if (!graph.ok()) {
    std::cerr << graph.status().message() << "\n";
    return ExitCodeFor(graph.status());
  }
  SimulationOptions options;
  options.policies.clear();
  for (const std::string& name :
       args.policies.empty() ? std::vector<std::string>{"mastery"} : args.policies) {
    Result<PolicyKind> kind = ParsePolicyKind(name);
    if (!kind.ok()) {
      std::cerr << "--policy: " << kind.status().message() << "\n";
      return kExitUsage;
    }
    options.policies.push_back(*kind);
  }
  options.goals = args.goals;
  options.learners = args.learners;
  options.steps = args.steps;
  options.seed = args.seed;
  options.threads = args.threads;
  options.curve_points = args.curve_points;
  options.trace_learners = args.traces_csv.empty() ? 0 : args.trace_learners;
  options.recommender = args.recommender;
  options.tracker.individual_pace = args.tracker.individual_pace;
  options.tracker.pace_prior_sd = args.tracker.pace_prior_sd;
  if (!args.truth_model.empty()) {
    Result<BktModel> truth = ReadModelFile(args.truth_model);
    if (!truth.ok()) {
      std::cerr << truth.status().message() << "\n";
      return ExitCodeFor(truth.status());
    }
    options.truth.model = std::move(truth).value();
  }
  if (!args.model.empty()) {
    Result<BktModel> online = ReadModelFile(args.model);
    if (!online.ok()) {
      std::cerr << online.status().message() << "\n";
      return ExitCodeFor(online.status());
    }
    options.online_model = std::move(online).value();
  }
  options.truth.prerequisite_penalty = args.penalty;
  options.truth.forget_per_day = args.forget_per_day;
  options.truth.review_stability = args.review_stability;
  options.truth.competency_learn_spread = args.competency_learn_spread;
  options.truth.competency_prior_spread = args.competency_prior_spread;
  for (const std::string& spec : args.groups) {
    Result<CohortGroup> group = ParseGroup(spec, args);
    if (!group.ok()) {
      std::cerr << group.status().message() << "\n";
      return kExitUsage;
    }
    options.truth.groups.push_back(*group);
  }
  if (options.truth.groups.empty()) {
    CohortGroup all;
    all.name = "all";
    all.learn_spread = args.learner_learn_spread;
    all.prior_spread = args.learner_prior_spread;
    options.truth.groups.push_back(all);
  }
  options.schedule.steps_per_session = args.steps_per_session;
  options.schedule.session_interval_minutes = args.session_interval_minutes;

  const auto start = std::chrono::steady_clock::now();
  Result<SimulationResult> result = RunSimulation(*graph, options);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (!result.ok()) {
    std::cerr << result.status().message() << "\n";
    return kExitRejected;  // the options or goals do not fit the graph (NOT_FOUND: a goal)
  }
  // Timing goes to standard error so the JSON is the same for any thread count.
  std::cerr << "simulated " << options.learners << " learners x " << options.policies.size()
            << " policies x " << options.steps << " steps in " << Format(seconds, 2) << " s on "
            << options.threads << (options.threads == 1 ? " thread\n" : " threads\n");

  struct Output {
    const std::string& path;
    std::string (*render)(const SimulationResult&);
  };
  const Output outputs[] = {{args.csv, SimulationSummaryCsv},
                            {args.curves_csv, SimulationCurvesCsv},
                            {args.learners_csv, SimulationLearnersCsv},
                            {args.traces_csv, SimulationTracesCsv}};
  for (const Output& output : outputs) {
    if (output.path.empty()) continue;
    const Status written = WriteReportFile(output.path, output.render(*result));
    if (!written.ok()) {
      std::cerr << written.message() << "\n";
      return kExitUsage;
    }
  }
  const std::string json = SimulationJson(*result, options);
  if (!args.json_out.empty()) {
    const Status written = WriteReportFile(args.json_out, json);
    if (!written.ok()) {
      std::cerr << written.message() << "\n";
      return kExitUsage;
    }
  }
  if (!args.svg.empty()) {
    Result<std::string> svg = SimulationSvg(*result);
    if (!svg.ok()) {
      std::cerr << svg.status().message() << "\n";
      return kExitRejected;
    }
    const Status written = WriteReportFile(args.svg, *svg);
    if (!written.ok()) {
      std::cerr << written.message() << "\n";
      return kExitUsage;
    }
  }
  std::cout << (args.report == "json" ? json : TextReport(*result));
  return kExitOk;
}

}  // namespace

void AddSimulateCommands(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<SimulateArgs>();
  CLI::App* cmd = app.add_subcommand(
      "simulate",
      "Simulate learners (ground-truth BKT with prerequisites, cohorts and forgetting) under "
      "recommendation policies; report steps to the goal, learning curves and model AUC");
  cmd->add_option("--graph", args->graph,
                  "Graph JSON file (or a Junyi exercise table, see --graph-format)")
      ->required();
  cmd->add_option("--graph-format", args->graph_format,
                  "json, or junyi: import junyi_Exercise_table.csv with --repair")
      ->check(CLI::IsMember({"json", "junyi"}))
      ->capture_default_str();
  cmd->add_option("--policy", args->policies,
                  "mastery, zpdes, random, curriculum (repeatable or comma-separated; default "
                  "mastery)")
      ->delimiter(',');
  cmd->add_option("--goal", args->goals,
                  "Goal competency or group ids (repeatable or comma-separated; default: all)")
      ->delimiter(',');
  cmd->add_option("--learners", args->learners, "Simulated learners")->capture_default_str();
  cmd->add_option("--steps", args->steps, "Steps (activities) per learner: K")
      ->capture_default_str();
  cmd->add_option("--seed", args->seed, "Seed of everything random")->capture_default_str();
  cmd->add_option("--threads", args->threads, "Worker threads (results do not depend on it)")
      ->capture_default_str();
  cmd->add_option("--model", args->model,
                  "Model JSON of the online tracker and policies (default: the ground truth's "
                  "population parameters)");
  cmd->add_option("--truth-model", args->truth_model,
                  "Model JSON of the ground truth (default: BKT defaults prior 0.1, learn 0.1, "
                  "guess 0.2, slip 0.1)");
  cmd->add_option("--prerequisite-penalty", args->penalty,
                  "Learn is multiplied by this per prerequisite not learned")
      ->capture_default_str();
  cmd->add_option("--forget-per-day", args->forget_per_day,
                  "Chance a learned competency is lost within a day (0: no forgetting)")
      ->capture_default_str();
  cmd->add_option("--review-stability", args->review_stability,
                  "Each practice multiplies the forgetting hazard by this")
      ->capture_default_str();
  cmd->add_option("--competency-learn-spread", args->competency_learn_spread,
                  "SD of per-competency logit offsets on learn")
      ->capture_default_str();
  cmd->add_option("--competency-prior-spread", args->competency_prior_spread,
                  "SD of per-competency logit offsets on the prior")
      ->capture_default_str();
  cmd->add_option("--learner-learn-spread", args->learner_learn_spread,
                  "SD of each learner's logit learn offset")
      ->capture_default_str();
  cmd->add_option("--learner-prior-spread", args->learner_prior_spread,
                  "SD of each learner's logit prior offset")
      ->capture_default_str();
  cmd->add_option("--group", args->groups,
                  "Cohort group NAME:WEIGHT:LEARN_OFFSET:PRIOR_OFFSET (logit offsets; repeatable)");
  cmd->add_option("--steps-per-session", args->steps_per_session, "Steps per sitting")
      ->capture_default_str();
  cmd->add_option("--session-interval-minutes", args->session_interval_minutes,
                  "Minutes from one session's start to the next")
      ->capture_default_str();
  cmd->add_option("--curve-points", args->curve_points, "Points per learning curve")
      ->capture_default_str();
  cmd->add_option("--curriculum-opportunities", args->recommender.curriculum.opportunities,
                  "Curriculum baseline: practice per competency (0: expected opportunities to "
                  "mastery)")
      ->capture_default_str();
  cmd->add_option("--target-success", args->recommender.mastery.target_success,
                  "Mastery policy: the predicted success difficulty fit aims at")
      ->capture_default_str();
  cmd->add_option("--review-half-life-days", args->recommender.mastery.review_half_life_days,
                  "Mastery policy: half-life of recall for review due")
      ->capture_default_str();
  cmd->add_option("--review-weight", args->recommender.mastery.review_weight,
                  "Mastery policy: weight of review due")
      ->capture_default_str();
  cmd->add_option("--difficulty-weight", args->recommender.mastery.difficulty_weight,
                  "Mastery policy: weight of difficulty fit")
      ->capture_default_str();
  cmd->add_option("--mastery-min-opportunities",
                  args->recommender.mastery.mastery_min_opportunities,
                  "Mastery policy: answers before a competency counts as mastered (a "
                  "competency's own mastery_min_opportunities in the graph takes precedence)")
      ->capture_default_str();
  cmd->add_option("--mastery-recent-correct", args->recommender.mastery.mastery_recent_correct,
                  "Mastery policy: the last N answers must be right for mastered (0: off; a "
                  "competency's own setting takes precedence)")
      ->capture_default_str();
  AddStallOptions(cmd, &args->recommender.mastery);
  cmd->add_flag("--individual-pace", args->tracker.individual_pace,
                "Track each learner's pace (prior and learn offsets) from their own answers");
  cmd->add_option("--pace-prior-sd", args->tracker.pace_prior_sd,
                  "Individual pace: spread of the population the offsets are shrunk toward")
      ->capture_default_str();
  cmd->add_option("--svg", args->svg, "Write the learning curves as an SVG plot");
  cmd->add_option("--csv", args->csv, "Write the summary per policy and group as CSV");
  cmd->add_option("--curves-csv", args->curves_csv, "Write the learning curves as CSV");
  cmd->add_option("--learners-csv", args->learners_csv, "Write one row per learner and policy");
  cmd->add_option("--traces-csv", args->traces_csv,
                  "Write step-by-step traces of the first --trace-learners learners per policy");
  cmd->add_option("--trace-learners", args->trace_learners, "Learners traced per policy")
      ->capture_default_str();
  cmd->add_option("--json", args->json_out, "Write the JSON report to a file");
  cmd->add_option("--report", args->report, "Report format on standard output")
      ->check(CLI::IsMember({"text", "json"}))
      ->capture_default_str();
  cmd->callback([args, exit_code] { *exit_code = RunSimulate(*args); });
}

}  // namespace pathwise::cli
