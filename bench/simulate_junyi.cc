// The evidence run of issue 4: simulated learners on the real Junyi prerequisite graph (835
// exercises, 978 edges after --repair) working towards 5 advanced exercises, under the mastery,
// zpdes, random and curriculum policies. Prints the table of examples/simulation/README.md, paired
// differences between policies (the same simulated learner under each policy) and throughput.
//
//   simulate_junyi <junyi_Exercise_table.csv> [learners=1000] [steps=6000] [threads=2] [out dir]
//                  [--mastery NAME=VALUE ...] [--individual-pace]
//
// --mastery sets a numeric MasteryPolicyOptions field for the mastery policy (as policy_suite's),
// to read a setting on this graph without a rebuild. --individual-pace turns on the trackers'
// online pace estimate (TrackerOptions::individual_pace), as policy_suite's does.
// With an output directory it writes simulation.json, summary.csv, curves.csv, learners.csv and
// curves.svg there; `pathwise simulate` with the options in examples/simulation/README.md writes
// the same JSON byte for byte.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <string>
#include <utility>
#include <vector>

#include <pathwise/io/graph_import.h>
#include <pathwise/io/simulation_io.h>
#include <pathwise/simulator.h>

#include "mastery_setting.h"

namespace {

// Deep exercises from five different topics (prerequisite depth 58 to 66).
const std::vector<std::string> kGoals = {"lhopitals_rule", "quadratic_equation",
                                         "matrix_app_fruit_oil", "kinematic_equations",
                                         "dividing_polynomials_6"};

pathwise::SimulationOptions EvidenceOptions(int learners, int steps, int threads) {
  pathwise::SimulationOptions options;
  options.policies = {pathwise::PolicyKind::kMastery, pathwise::PolicyKind::kZpdes,
                      pathwise::PolicyKind::kRandom, pathwise::PolicyKind::kCurriculum};
  options.goals = kGoals;
  options.learners = learners;
  options.steps = steps;
  options.seed = 7;
  options.threads = threads;
  pathwise::LearnerModelOptions& truth = options.truth;
  truth.model.defaults = {/*prior=*/0.2, /*learn=*/0.2, /*forget=*/0.0, /*guess=*/0.2,
                          /*slip=*/0.1};
  truth.competency_learn_spread = 0.5;
  truth.competency_prior_spread = 0.5;
  truth.prerequisite_penalty = 0.5;
  truth.forget_per_day = 0.02;
  truth.review_stability = 0.5;
  truth.groups = {{"ahead", 1.0, 0.7, 0.7, 0.5, 0.5},
                  {"typical", 2.0, 0.0, 0.0, 0.5, 0.5},
                  {"struggling", 1.0, -0.7, -0.5, 0.5, 0.5}};
  return options;
}

std::string Fixed(double value, int decimals) {
  if (std::isnan(value)) return "-";
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

// Mean and 95% interval (normal approximation) of steps(a) - steps(b) over the same learners.
std::string PairedDifference(const pathwise::SimulationResult& result, size_t a, size_t b) {
  const size_t n = static_cast<size_t>(result.learners);
  double sum = 0.0, sum_squares = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double d = result.learner_outcomes[a * n + i].steps_to_goal -
                     static_cast<double>(result.learner_outcomes[b * n + i].steps_to_goal);
    sum += d;
    sum_squares += d * d;
  }
  const double mean = sum / n;
  const double variance = n > 1 ? (sum_squares - n * mean * mean) / (n - 1) : 0.0;
  const double half_width = 1.96 * std::sqrt(std::max(variance, 0.0) / n);
  return Fixed(mean, 1) + " steps (95% CI " + Fixed(mean - half_width, 1) + " to " +
         Fixed(mean + half_width, 1) + ")";
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> positional;
  std::vector<std::pair<std::string, double>> mastery_settings;
  bool individual_pace = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--individual-pace") {
      individual_pace = true;
      continue;
    }
    if (arg != "--mastery") {
      positional.push_back(arg);
      continue;
    }
    std::pair<std::string, double> parsed;
    if (i + 1 >= argc || !pathwise_bench::ParseMasterySetting(argv[i + 1], &parsed)) {
      std::cerr << "--mastery needs NAME=VALUE with a numeric MasteryPolicyOptions field\n";
      return 2;
    }
    mastery_settings.push_back(parsed);
    ++i;
  }
  if (positional.empty() || positional.size() > 5) {
    std::cerr << "usage: simulate_junyi <junyi_Exercise_table.csv> [learners] [steps] [threads] "
                 "[out dir] [--mastery NAME=VALUE ...] [--individual-pace]\n";
    return 2;
  }
  const int learners = positional.size() > 1 ? std::atoi(positional[1].c_str()) : 1000;
  const int steps = positional.size() > 2 ? std::atoi(positional[2].c_str()) : 6000;
  const int threads = positional.size() > 3 ? std::atoi(positional[3].c_str()) : 2;
  const std::string out_dir = positional.size() > 4 ? positional[4] : "";

  pathwise::ImportOptions import_options;
  import_options.repair = true;
  auto imported = pathwise::ImportJunyiExerciseTable(positional[0], import_options);
  if (!imported.ok()) {
    std::cerr << imported.status() << "\n";
    return 1;
  }
  pathwise::SimulationOptions options = EvidenceOptions(learners, steps, threads);
  options.tracker.individual_pace = individual_pace;
  for (const auto& [name, value] : mastery_settings)
    pathwise_bench::SetMasteryOption(options.recommender.mastery, name, value);
  auto simulation = pathwise::Simulation::Create(imported->graph, options);
  if (!simulation.ok()) {
    std::cerr << simulation.status() << "\n";
    return 1;
  }
  // One policy at a time, to time each.
  std::vector<double> seconds;
  pathwise::SimulationResult result;
  for (pathwise::PolicyKind kind : options.policies) {
    pathwise::SimulationOptions one = options;
    one.policies = {kind};
    auto single = pathwise::Simulation::Create(imported->graph, one);
    if (!single.ok()) {
      std::cerr << single.status() << "\n";
      return 1;
    }
    const auto start = std::chrono::steady_clock::now();
    auto part = (*single)->Run();
    seconds.push_back(
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (!part.ok()) {
      std::cerr << part.status() << "\n";
      return 1;
    }
    if (result.policies.empty()) {
      result = std::move(*part);
    } else {
      const uint32_t index = static_cast<uint32_t>(result.policies.size());
      result.policies.push_back(std::move(part->policies[0]));
      for (pathwise::LearnerOutcome outcome : part->learner_outcomes) {
        outcome.policy = index;
        result.learner_outcomes.push_back(outcome);
      }
    }
  }

  std::cout << "Junyi graph: " << imported->graph.num_competencies() << " exercises, "
            << imported->graph.num_prerequisites() << " prerequisites; goal scope "
            << result.goal_scope_size << " exercises; " << learners << " learners x " << steps
            << " steps, seed " << options.seed << ", " << threads << " threads\n\n";
  std::cout << "| policy | group | learners | mean steps to goal | median | reached goal | "
               "online AUC | steps/s |\n|---|---|---:|---:|---:|---:|---:|---:|\n";
  for (size_t p = 0; p < result.policies.size(); ++p) {
    const pathwise::PolicyResult& policy = result.policies[p];
    std::vector<const pathwise::CohortOutcome*> rows{&policy.all};
    for (const auto& group : policy.groups) rows.push_back(&group);
    for (const pathwise::CohortOutcome* row : rows) {
      const bool all = row == &policy.all;
      std::cout << "| " << (all ? "**" + policy.policy + "**" : policy.policy) << " | "
                << row->group << " | " << row->learners << " | "
                << Fixed(row->mean_steps_to_goal, 1) << " | " << Fixed(row->median_steps_to_goal, 1)
                << " | " << Fixed(100.0 * row->reached_goal_share, 1) << "% | "
                << Fixed(row->prediction.auc, 3) << " | "
                << (all ? Fixed(learners * static_cast<double>(steps) / seconds[p], 0) : "")
                << " |\n";
    }
  }
  const pathwise::CohortOutcome& mastery = result.policies[0].all;
  std::cout << "\n";
  for (size_t p = 1; p < result.policies.size(); ++p) {
    const pathwise::CohortOutcome& other = result.policies[p].all;
    std::cout << "mastery vs " << result.policies[p].policy << ": "
              << Fixed(100.0 * (1.0 - mastery.mean_steps_to_goal / other.mean_steps_to_goal), 1)
              << "% fewer steps ("
              << Fixed(other.mean_steps_to_goal / mastery.mean_steps_to_goal, 2)
              << "x); paired difference " << PairedDifference(result, 0, p) << "\n";
  }

  if (!out_dir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(out_dir, error);
    if (error) {
      std::cerr << out_dir << ": cannot create: " << error.message() << "\n";
      return 2;
    }
    struct File {
      std::string name;
      std::string text;
    };
    auto svg = pathwise::SimulationSvg(result);
    if (!svg.ok()) {
      std::cerr << svg.status() << "\n";
      return 1;
    }
    const File files[] = {{"simulation.json", pathwise::SimulationJson(result, options, 2)},
                          {"summary.csv", pathwise::SimulationSummaryCsv(result)},
                          {"curves.csv", pathwise::SimulationCurvesCsv(result)},
                          {"learners.csv", pathwise::SimulationLearnersCsv(result)},
                          {"curves.svg", *svg}};
    for (const File& file : files) {
      const pathwise::Status written =
          pathwise::WriteReportFile(out_dir + "/" + file.name, file.text);
      if (!written.ok()) {
        std::cerr << written << "\n";
        return 2;
      }
    }
    std::cout << "\nwrote " << out_dir << "/{simulation.json,summary.csv,curves.csv,learners.csv,"
              << "curves.svg}\n";
  }
  return 0;
}
