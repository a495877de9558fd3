// The policy benchmark suite of issue 13: every policy on many worlds (learner models x graphs x
// goals), never only on the one it was tuned on. Worlds are split into a dev half (tune here) and a
// held-out half (report here); the assignment is fixed and balanced (see World below). For each
// policy, world and cohort group it reports, paired against the default `mastery` policy over the
// same simulated learners: steps to the goal (capped at the world's K), the share reaching the goal
// and the share of the goal scope truly learned after a fixed budget of steps; then a pass/fail
// line per target of issue 13 for `mastery`.
//
//   policy_suite --data DIR [--learners 300] [--threads 2] [--seed 1] [--out DIR] [--smoke]
//                [--individual-pace] [--true-pace] [--world NAME [--trace N]] [--split dev|heldout]
//
// DIR is the shared data directory (junyi2015_prereq/, eedi_neurips2020_metadata/); the fractions
// example is read from the source tree. --out writes dev.md, heldout.md (each naming the seed and
// the learners per world, on which the held-back counts depend), suite.csv (one row per
// policy, world and cohort) and suite.json. --smoke runs a small suite (chain and fractions worlds,
// few learners) and exits non-zero when a structural fact or a sanity relation fails (the oracle
// beats random on the chain, results do not depend on the thread count); the targets never change
// the exit code. --individual-pace turns on the trackers' online pace estimate
// (TrackerOptions::individual_pace); --true-pace gives them each learner's true offsets instead
// (SimulationOptions::tracker_knows_true_pace), the most that pace estimation could give. --world
// runs one world (e.g. eedi/power_law/near); --trace N writes the step-by-step traces of its first
// N learners per policy to OUT_DIR/traces.csv, for looking into what a policy does there. --split
// runs one half only: tune with --split dev, so that held-out results are not seen while choosing.
// --progress-weight W and --stall-min-attempts N set those MasteryPolicyOptions of the mastery
// policy for an experiment (the baselines do not read them); --mastery NAME=VALUE (repeatable) sets
// any numeric one, e.g. --mastery advance_threshold=0.9. --fit-pilot N fits the deployed model on a
// pilot of N other learners of each world (FitOnPilot) instead of the population parameters;
// with --fit-pilot-tied, one set of parameters for every competency.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/fit.h>
#include <pathwise/io/graph_import.h>
#include <pathwise/io/graph_json.h>
#include <pathwise/io/simulation_io.h>
#include <pathwise/response_log.h>
#include <pathwise/simulator.h>

#include "mastery_setting.h"

namespace {

using pathwise::CompetencyGraph;
using pathwise::LearnerModelKind;
using pathwise::LearnerModelOptions;

constexpr const char* kPolicies[] = {"mastery", "zpdes", "random", "curriculum", "oracle"};
constexpr size_t kNumPolicies = 5;
constexpr size_t kMastery = 0, kZpdes = 1, kOracle = 4;

std::string Fixed(double value, int decimals) {
  if (std::isnan(value)) return "-";
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%.*f", decimals, value);
  return buffer;
}

uint64_t Fnv1a(const std::string& text) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char ch : text) h = (h ^ ch) * 1099511628211ULL;
  return h;
}

// ---------------------------------------------------------------------------------------------
// Graphs
// ---------------------------------------------------------------------------------------------

// Two activities per competency (an easier and a harder one), so that content quality has
// alternatives, and one for any competency that has none (an Eedi subject without questions).
CompetencyGraph WithActivities(CompetencyGraph graph, bool two_each) {
  std::map<std::string, int> practised;
  for (const pathwise::Activity* activity : graph.activities()) {
    for (const auto& practiced : activity->competencies) ++practised[practiced.competency_id];
  }
  for (const pathwise::Competency* competency : graph.competencies()) {
    const int wanted = two_each ? 2 : 1;
    for (int k = practised[competency->id]; k < wanted; ++k) {
      pathwise::Activity activity;
      activity.id = competency->id + (k == 0 ? "#a" : "#b");
      activity.competencies = {{competency->id, 1.0}};
      activity.difficulty = k == 0 ? 0.35 : 0.65;
      (void)graph.AddActivity(activity);
    }
  }
  return graph;
}

CompetencyGraph Synthetic(const std::string& prefix, int n,
                          const std::vector<std::vector<int>>& parents) {
  pathwise::GraphDefinition def;
  auto id = [&](int i) {
    char buffer[32];
    std::snprintf(buffer, sizeof(buffer), "%s%04d", prefix.c_str(), i);
    return std::string(buffer);
  };
  for (int i = 0; i < n; ++i) {
    pathwise::Competency competency;
    competency.id = id(i);
    def.competencies.push_back(competency);
  }
  for (int i = 0; i < n; ++i) {
    for (int p : parents[i]) def.prerequisites.push_back({id(p), id(i), 1.0});
  }
  auto graph = CompetencyGraph::FromDefinition(def);
  if (!graph.ok()) {
    std::cerr << graph.status() << "\n";
    std::exit(1);
  }
  return WithActivities(*graph, true);
}

CompetencyGraph Chain(int n) {
  std::vector<std::vector<int>> parents(n);
  for (int i = 1; i < n; ++i) parents[i] = {i - 1};
  return Synthetic("chain", n, parents);
}

CompetencyGraph Tree(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<int>> parents(n);
  // A parent among the last 8 nodes: a bushy tree about a dozen levels deep.
  for (int i = 1; i < n; ++i) parents[i] = {std::max(0, i - 1 - static_cast<int>(rng() % 8))};
  return Synthetic("tree", n, parents);
}

CompetencyGraph RandomDag(int n, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<int>> parents(n);
  for (int i = 1; i < n; ++i) {
    const int count = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < count; ++k) {
      const int window = std::min(i, 40);
      const int p = i - 1 - static_cast<int>(rng() % window);
      if (std::find(parents[i].begin(), parents[i].end(), p) == parents[i].end()) {
        parents[i].push_back(p);
      }
    }
  }
  return Synthetic("dag", n, parents);
}

size_t ScopeSize(const CompetencyGraph& graph, const std::vector<std::string>& goals) {
  if (goals.empty()) return graph.num_competencies();
  auto expanded = graph.ExpandGoals(goals);
  auto ancestors = graph.Ancestors(*expanded);
  return expanded->size() + ancestors->size();
}

// The competency whose scope (itself and its ancestors) is closest to `target` (first on ties).
std::string ByScope(const CompetencyGraph& graph, size_t target) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const pathwise::Competency* competency : graph.competencies()) {
    const size_t scope = ScopeSize(graph, {competency->id});
    const size_t distance = scope > target ? scope - target : target - scope;
    if (distance < best_distance) {
      best_distance = distance;
      best = competency->id;
    }
  }
  return best;
}

// The group whose member count is closest to `target`.
std::string GroupBySize(const CompetencyGraph& graph, size_t target) {
  std::string best;
  size_t best_distance = SIZE_MAX;
  for (const pathwise::Group* group : graph.groups()) {
    const size_t size = graph.GroupMembers(group->id).size();
    const size_t distance = size > target ? size - target : target - size;
    if (size > 0 && distance < best_distance) {
      best_distance = distance;
      best = group->id;
    }
  }
  return best;
}

struct Graph {
  std::string name;
  CompetencyGraph graph;
  std::vector<std::string> near_goals;
  std::vector<std::string> far_goals;
};

// ---------------------------------------------------------------------------------------------
// Learner models and cohorts
// ---------------------------------------------------------------------------------------------

std::vector<pathwise::CohortGroup> Cohort() {
  pathwise::CohortGroup typical{"typical", 0.6, 0.0, 0.0, 0.5, 0.5, 3};
  pathwise::CohortGroup slow{"slow", 0.25, -0.7, -0.3, 0.5, 0.5, 3};
  // logit offset -ln 4: a quarter of the typical learning rate (for small rates; 0.29x at 0.2).
  pathwise::CohortGroup quarter{"quarter_pace", 0.15, -1.386, -0.3, 0.3, 0.5, 0};
  return {typical, slow, quarter};
}

struct Model {
  std::string name;
  LearnerModelOptions truth;
};

std::vector<Model> Models() {
  LearnerModelOptions base;
  base.model.defaults = {/*prior=*/0.15, /*learn=*/0.2, /*forget=*/0.0, /*guess=*/0.2,
                         /*slip=*/0.1};
  base.competency_learn_spread = 0.5;
  base.competency_prior_spread = 0.5;
  base.prerequisite_penalty = 0.5;
  base.forget_per_day = 0.02;
  base.review_stability = 0.5;
  base.groups = Cohort();
  std::vector<Model> models(6, {"", base});
  models[0].name = "bkt";
  models[1].name = "ability";
  models[1].truth.kind = LearnerModelKind::kAbility;
  models[2].name = "ability_det";
  models[2].truth.kind = LearnerModelKind::kAbility;
  models[2].truth.ability.deterministic = true;
  models[3].name = "power_law";
  models[3].truth.kind = LearnerModelKind::kPowerLawMemory;
  models[4].name = "mixed_content";
  models[4].truth.content.inert_share = 0.3;
  models[4].truth.content.gated_share = 0.3;
  models[5].name = "noisy";
  models[5].truth.extra_slip = 0.15;
  models[5].truth.extra_guess = 0.15;
  return models;
}

// ---------------------------------------------------------------------------------------------
// Worlds and results
// ---------------------------------------------------------------------------------------------

// World (model m, graph g): split held-out when (m + g) is odd (a checkerboard: every model and
// every graph has half its worlds in each split); the goal is far when (m / 2 + g) is odd (each
// graph has near and far goals in both splits).
struct World {
  std::string name;
  std::string split;  // "dev" or "heldout"
  size_t model = 0, graph = 0;
  bool far = false;
  std::vector<std::string> goals;
  size_t scope = 0;
  int steps = 0, budget = 0;
  pathwise::SimulationResult result;
  double seconds = 0.0;
};

// Paired mean difference a - b and its 95% half-width (normal approximation).
struct Paired {
  double mean = 0.0, half = 0.0;
  size_t n = 0;
};
Paired PairedOf(const std::vector<double>& a, const std::vector<double>& b) {
  Paired out;
  out.n = a.size();
  if (out.n == 0) return out;
  double sum = 0.0, squares = 0.0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = a[i] - b[i];
    sum += d;
    squares += d * d;
  }
  out.mean = sum / out.n;
  const double variance = out.n > 1 ? (squares - out.n * out.mean * out.mean) / (out.n - 1) : 0.0;
  out.half = 1.96 * std::sqrt(std::max(variance, 0.0) / out.n);
  return out;
}
std::string Interval(const Paired& p, int decimals, double scale = 1.0) {
  return Fixed(scale * p.mean, decimals) + " [" + Fixed(scale * (p.mean - p.half), decimals) +
         ", " + Fixed(scale * (p.mean + p.half), decimals) + "]";
}
double Mean(const std::vector<double>& v) {
  double sum = 0.0;
  for (double x : v) sum += x;
  return v.empty() ? std::nan("") : sum / v.size();
}

// Per-learner metric vectors of one policy of a world, for learners of `group` (-1: all).
struct Metrics {
  std::vector<double> steps, reached, budget_share, gain;
};
Metrics MetricsOf(const World& world, size_t policy, int group) {
  Metrics m;
  const size_t n = static_cast<size_t>(world.result.learners);
  for (size_t i = 0; i < n; ++i) {
    const pathwise::LearnerOutcome& o = world.result.learner_outcomes[policy * n + i];
    if (group >= 0 && o.group != static_cast<uint32_t>(group)) continue;
    m.steps.push_back(o.steps_to_goal);
    m.reached.push_back(o.reached_goal ? 1.0 : 0.0);
    m.budget_share.push_back(static_cast<double>(o.budget_scope_learned) / world.scope);
    m.gain.push_back(static_cast<double>(o.budget_scope_learned) - o.start_scope_learned);
  }
  return m;
}
void Append(Metrics& to, const Metrics& from) {
  to.steps.insert(to.steps.end(), from.steps.begin(), from.steps.end());
  to.reached.insert(to.reached.end(), from.reached.begin(), from.reached.end());
  to.budget_share.insert(to.budget_share.end(), from.budget_share.begin(), from.budget_share.end());
  to.gain.insert(to.gain.end(), from.gain.begin(), from.gain.end());
}

// The baseline (zpdes, random or curriculum) whose value(policy) is best: the highest with
// `highest`, else the lowest; a tie goes to the earlier one.
template <typename Value>
size_t BestBaseline(const Value& value, bool highest) {
  size_t best = kZpdes;
  for (size_t p = kZpdes + 1; p < kOracle; ++p) {
    if (highest ? value(p) > value(best) : value(p) < value(best)) best = p;
  }
  return best;
}

struct Options {
  std::string data;
  int learners = 300;
  int threads = 2;
  uint64_t seed = 1;
  std::string out;
  bool smoke = false;
  bool individual_pace = false;
  bool true_pace = false;
  std::string world;                 // run only this world
  int trace = 0;                     // learners traced per policy (written to OUT_DIR/traces.csv)
  double progress_weight = -1.0;     // < 0: the library's default
  int stall_min_attempts = -1;       // < 0: the library's default
  std::string gating;                // "soft" or "hard"; empty: the library's default
  double soft_min_readiness = -1.0;  // < 0: the library's default
  std::string split;                 // run only this half ("dev" or "heldout"); empty: both
  std::vector<std::pair<std::string, double>> mastery_settings;  // --mastery NAME=VALUE
  int fit_pilot = 0;  // > 0: the deployed model is fitted on a pilot of this many learners
  bool fit_pilot_tied = false;  // the pilot fit ties one set of parameters over all competencies
};

int Fail(const std::string& message) {
  std::cerr << "FAILED: " << message << "\n";
  return 1;
}

// The deployed model fitted on a pilot, as a platform fits its model on its own logs before it
// serves the learners it reports on: `learners` other learners of the same world (another seed)
// taught by the default policy on the population model, every answer logged against the
// activity's competencies and fitted with FitBkt's defaults. `tied` fits one set of parameters
// for every competency (fewer parameters, each from many more answers) and serves it as the
// model's defaults.
pathwise::Result<pathwise::BktModel> FitOnPilot(const CompetencyGraph& graph,
                                                pathwise::SimulationOptions sim, int learners,
                                                bool tied) {
  sim.policies = {pathwise::PolicyKind::kMastery};
  sim.learners = learners;
  sim.trace_learners = learners;
  sim.seed ^= 0x9e3779b97f4a7c15ULL;
  sim.online_model.reset();
  PATHWISE_ASSIGN_OR_RETURN(std::unique_ptr<pathwise::Simulation> pilot,
                            pathwise::Simulation::Create(graph, sim));
  PATHWISE_ASSIGN_OR_RETURN(pathwise::SimulationResult run, pilot->Run());
  pathwise::ResponseLog log;
  for (const pathwise::LearnerTrace& trace : run.traces) {
    const std::string learner = "pilot" + std::to_string(trace.learner);
    for (const pathwise::TraceStep& step : trace.steps) {
      const pathwise::Activity* activity = graph.FindActivity(step.activity_id);
      if (activity == nullptr) return pathwise::Status::Internal("no activity " + step.activity_id);
      for (const pathwise::PracticedCompetency& q : activity->competencies) {
        // Tied: each (learner, competency) is one sequence of a single skill.
        if (tied) {
          log.AddRow(learner + "/" + q.competency_id, "tied", step.activity_id, step.correct);
        } else {
          log.AddRow(learner, q.competency_id, step.activity_id, step.correct);
        }
      }
    }
  }
  pathwise::FitOptions fit;
  fit.threads = sim.threads;
  PATHWISE_ASSIGN_OR_RETURN(pathwise::FitResult fitted, pathwise::FitBkt(log, fit));
  if (!tied) return fitted.model;
  const auto it = fitted.model.competencies.find("tied");
  if (it == fitted.model.competencies.end()) return pathwise::Status::Internal("no tied fit");
  pathwise::BktModel model;
  model.defaults = it->second;
  return model;
}

}  // namespace

int main(int argc, char** argv) {
  Options options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::cerr << arg << " needs a value\n";
        std::exit(2);
      }
      return argv[++i];
    };
    if (arg == "--data") {
      options.data = value();
    } else if (arg == "--learners") {
      options.learners = std::atoi(value().c_str());
    } else if (arg == "--threads") {
      options.threads = std::atoi(value().c_str());
    } else if (arg == "--seed") {
      options.seed = std::strtoull(value().c_str(), nullptr, 10);
    } else if (arg == "--out") {
      options.out = value();
    } else if (arg == "--smoke") {
      options.smoke = true;
    } else if (arg == "--individual-pace") {
      options.individual_pace = true;
    } else if (arg == "--true-pace") {
      options.true_pace = true;
    } else if (arg == "--fit-pilot") {
      options.fit_pilot = std::atoi(value().c_str());
    } else if (arg == "--fit-pilot-tied") {
      options.fit_pilot_tied = true;
    } else if (arg == "--world") {
      options.world = value();
    } else if (arg == "--trace") {
      options.trace = std::atoi(value().c_str());
    } else if (arg == "--progress-weight") {
      options.progress_weight = std::atof(value().c_str());
    } else if (arg == "--stall-min-attempts") {
      options.stall_min_attempts = std::atoi(value().c_str());
    } else if (arg == "--gating") {
      options.gating = value();
      if (options.gating != "soft" && options.gating != "hard") {
        std::cerr << "--gating must be soft or hard, got '" << options.gating << "'\n";
        return 2;
      }
    } else if (arg == "--soft-min-readiness") {
      options.soft_min_readiness = std::atof(value().c_str());
    } else if (arg == "--mastery") {
      const std::string setting = value();
      std::pair<std::string, double> parsed;
      if (!pathwise_bench::ParseMasterySetting(setting, &parsed)) {
        std::cerr << "--mastery needs NAME=VALUE with a numeric MasteryPolicyOptions field, got '"
                  << setting << "'\n";
        return 2;
      }
      options.mastery_settings.push_back(parsed);
    } else if (arg == "--split") {
      options.split = value();
      if (options.split != "dev" && options.split != "heldout") {
        std::cerr << "--split must be dev or heldout, got '" << options.split << "'\n";
        return 2;
      }
    } else {
      std::cerr
          << "usage: policy_suite --data DIR [--learners N] [--threads T] [--seed S] "
             "[--out DIR] [--smoke] [--individual-pace] [--true-pace] [--world NAME --trace N] "
             "[--split dev|heldout] [--progress-weight W] [--stall-min-attempts N] "
             "[--gating soft|hard] "
             "[--soft-min-readiness R] [--mastery NAME=VALUE]...\n";
      return 2;
    }
  }
  if (options.data.empty()) return Fail("--data is required");
  if (options.smoke && options.learners == 300) options.learners = 24;
  const auto start = std::chrono::steady_clock::now();

  // Graphs, in a fixed order (their index enters the split).
  std::vector<Graph> graphs;
  {
    CompetencyGraph chain = Chain(30);
    graphs.push_back({"chain30", chain, {"chain0009"}, {"chain0029"}});
  }
  {
    auto fractions =
        pathwise::ReadGraphFile(PATHWISE_SOURCE_DIR "/examples/curriculum/fractions.json");
    if (!fractions.ok()) return Fail(fractions.status().ToString());
    CompetencyGraph graph = WithActivities(*fractions, false);
    graphs.push_back({"fractions", graph, {ByScope(graph, 4)}, {}});
  }
  if (!options.smoke) {
    CompetencyGraph tree = Tree(200, 20261);
    graphs.push_back({"tree200", tree, {ByScope(tree, 5)}, {ByScope(tree, 14)}});
    CompetencyGraph dag = RandomDag(1000, 20262);
    graphs.push_back({"dag1000", dag, {ByScope(dag, 15)}, {ByScope(dag, 90)}});
    pathwise::ImportOptions import_options;
    import_options.repair = true;
    auto junyi = pathwise::ImportJunyiExerciseTable(
        options.data + "/junyi2015_prereq/junyi_Exercise_table.csv", import_options);
    if (!junyi.ok()) return Fail(junyi.status().ToString());
    CompetencyGraph junyi_graph = WithActivities(junyi->graph, true);
    graphs.push_back(
        {"junyi", junyi_graph, {ByScope(junyi_graph, 20)}, {ByScope(junyi_graph, 90)}});
    auto eedi = pathwise::ImportEediSubjects(
        options.data + "/eedi_neurips2020_metadata/subject_metadata.csv",
        options.data + "/eedi_neurips2020_metadata/question_metadata_task_3_4.csv", import_options);
    if (!eedi.ok()) return Fail(eedi.status().ToString());
    CompetencyGraph eedi_graph = WithActivities(eedi->graph, false);
    graphs.push_back(
        {"eedi", eedi_graph, {GroupBySize(eedi_graph, 6)}, {GroupBySize(eedi_graph, 40)}});
  }
  const std::vector<Model> models = Models();

  std::vector<World> worlds;
  for (size_t m = 0; m < models.size(); ++m) {
    for (size_t g = 0; g < graphs.size(); ++g) {
      World world;
      world.model = m;
      world.graph = g;
      world.far = (m / 2 + g) % 2 == 1;
      world.split = (m + g) % 2 == 0 ? "dev" : "heldout";
      world.goals = world.far ? graphs[g].far_goals : graphs[g].near_goals;
      world.name = graphs[g].name + "/" + models[m].name + "/" + (world.far ? "far" : "near");
      world.scope = ScopeSize(graphs[g].graph, world.goals);
      // K: 15 practices per scope competency (a typical learner needs about five), at least 150;
      // the fixed budget is a quarter of it.
      world.steps = std::clamp(static_cast<int>(15 * world.scope), 150, options.smoke ? 200 : 1500);
      world.budget = world.steps / 4;
      if (!options.world.empty() && world.name != options.world) continue;
      if (!options.split.empty() && world.split != options.split) continue;
      worlds.push_back(world);
    }
  }

  if (worlds.empty()) return Fail("no world is named '" + options.world + "'");
  std::cout << "policy_suite: " << worlds.size() << " worlds, " << options.learners
            << " learners each, seed " << options.seed << ", " << options.threads << " threads\n";
  for (World& world : worlds) {
    pathwise::SimulationOptions sim;
    sim.policies = {pathwise::PolicyKind::kMastery, pathwise::PolicyKind::kZpdes,
                    pathwise::PolicyKind::kRandom, pathwise::PolicyKind::kCurriculum};
    sim.goals = world.goals;
    sim.learners = options.learners;
    sim.steps = world.steps;
    sim.budget_steps = world.budget;
    sim.seed = options.seed ^ Fnv1a(world.name);
    sim.threads = options.threads;
    sim.truth = models[world.model].truth;
    sim.curve_points = 1;
    sim.tracker.individual_pace = options.individual_pace;
    if (options.progress_weight >= 0.0)
      sim.recommender.mastery.progress_weight = options.progress_weight;
    if (options.stall_min_attempts >= 0)
      sim.recommender.mastery.stall_min_attempts = options.stall_min_attempts;
    if (!options.gating.empty()) {
      sim.recommender.mastery.gating =
          options.gating == "soft" ? pathwise::Gating::kSoft : pathwise::Gating::kHard;
    }
    if (options.soft_min_readiness >= 0.0)
      sim.recommender.mastery.soft_min_readiness = options.soft_min_readiness;
    for (const auto& [name, setting] : options.mastery_settings)
      pathwise_bench::SetMasteryOption(sim.recommender.mastery, name, setting);
    sim.tracker_knows_true_pace = options.true_pace;
    sim.trace_learners = options.trace;
    // The deployed system's model: the population's BKT parameters, which know nothing of the
    // learner model's kind, content quality or answer noise; or, with --fit-pilot, fitted on a
    // pilot's answers.
    if (options.fit_pilot > 0) {
      auto fitted =
          FitOnPilot(graphs[world.graph].graph, sim, options.fit_pilot, options.fit_pilot_tied);
      if (!fitted.ok()) return Fail(world.name + ": pilot: " + fitted.status().ToString());
      if (options.fit_pilot_tied) {
        const pathwise::BktParams& p = fitted->defaults;
        std::cout << world.name << ": tied fit prior " << Fixed(p.prior, 3) << " learn "
                  << Fixed(p.learn, 3) << " guess " << Fixed(p.guess, 3) << " slip "
                  << Fixed(p.slip, 3) << "\n";
      }
      sim.online_model = std::move(fitted).value();
    }
    auto simulation = pathwise::Simulation::Create(graphs[world.graph].graph, sim);
    if (!simulation.ok()) return Fail(world.name + ": " + simulation.status().ToString());
    std::vector<pathwise::SimulatedPolicy> policies = (*simulation)->DefaultPolicies();
    policies.push_back((*simulation)->Oracle());
    const auto world_start = std::chrono::steady_clock::now();
    auto result = (*simulation)->Run(policies);
    if (!result.ok()) return Fail(world.name + ": " + result.status().ToString());
    world.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - world_start).count();
    world.result = std::move(*result);
    std::cout << "  " << world.split << " " << world.name << ": scope " << world.scope << ", K "
              << world.steps << ", budget " << world.budget << ", " << Fixed(world.seconds, 1)
              << " s";
    // Learners a policy left before K without reaching the goal (it had nothing to recommend).
    for (size_t p = 0; p < world.result.policies.size(); ++p) {
      const size_t n = static_cast<size_t>(world.result.learners);
      size_t stopped = 0;
      for (size_t i = 0; i < n; ++i) {
        const pathwise::LearnerOutcome& o = world.result.learner_outcomes[p * n + i];
        if (!o.reached_goal && o.steps_taken < world.steps) ++stopped;
      }
      if (stopped > 0)
        std::cout << ", " << world.result.policies[p].policy << " stopped " << stopped;
    }
    std::cout << "\n";
    if (options.smoke && world.name == worlds.front().name) {
      // Results must not depend on the thread count.
      sim.threads = options.threads == 1 ? 2 : 1;
      auto again = pathwise::Simulation::Create(graphs[world.graph].graph, sim);
      if (!again.ok()) return Fail(again.status().ToString());
      std::vector<pathwise::SimulatedPolicy> again_policies = (*again)->DefaultPolicies();
      again_policies.push_back((*again)->Oracle());
      auto rerun = (*again)->Run(again_policies);
      if (!rerun.ok()) return Fail(rerun.status().ToString());
      for (size_t k = 0; k < rerun->learner_outcomes.size(); ++k) {
        const auto& a = rerun->learner_outcomes[k];
        const auto& b = world.result.learner_outcomes[k];
        if (a.steps_to_goal != b.steps_to_goal || a.final_learned != b.final_learned ||
            a.budget_scope_learned != b.budget_scope_learned) {
          return Fail(world.name + ": results depend on the thread count");
        }
      }
    }
  }
  const std::vector<std::string> group_names = worlds.front().result.group_names;

  // Structural facts.
  for (const World& world : worlds) {
    if (world.result.policies.size() != kNumPolicies) return Fail(world.name + ": policy count");
    for (size_t p = 0; p < kNumPolicies; ++p) {
      if (world.result.policies[p].policy != kPolicies[p]) return Fail(world.name + ": order");
      size_t sum = 0;
      for (const auto& group : world.result.policies[p].groups) sum += group.learners;
      if (sum != static_cast<size_t>(options.learners)) return Fail(world.name + ": cohorts");
    }
  }
  for (const std::string split : {"dev", "heldout"}) {
    std::map<size_t, int> per_model, per_graph;
    for (const World& world : worlds) {
      if (world.split != split) continue;
      ++per_model[world.model];
      ++per_graph[world.graph];
    }
    if (options.world.empty() && options.split.empty() &&
        (per_model.size() != models.size() || per_graph.size() != graphs.size())) {
      return Fail(split + " does not cover every model and graph");
    }
  }

  std::ostringstream csv;
  csv << "split,world,graph,model,goal,scope,K,budget,policy,cohort,learners,mean_steps,"
         "steps_vs_mastery,steps_vs_mastery_half,reached_share,reached_vs_mastery,"
         "reached_vs_mastery_half,budget_scope_share,budget_vs_mastery,budget_vs_mastery_half,"
         "budget_gain\n";
  std::ostringstream json;
  json << "{\n  \"seed\": " << options.seed << ",\n  \"learners\": " << options.learners
       << ",\n  \"worlds\": [";
  bool smoke_failed = false;
  bool json_first = true;

  for (const std::string split : {"dev", "heldout"}) {
    std::ostringstream md;
    md << "### " << (split == "dev" ? "Dev" : "Held-out") << " worlds\n\n"
       << "Seed " << options.seed << ", " << options.learners
       << " learners per world. Per world, all learners. Steps to goal capped at K; differences "
          "are paired against `mastery` over the same learners, mean [95% interval].\n\n"
       << "| world | scope | K | policy | steps to goal | vs mastery | reached | vs mastery "
          "| scope learned at K/4 | vs mastery |\n"
       << "|---|---:|---:|---|---:|---:|---:|---:|---:|---:|\n";
    std::vector<const World*> in_split;
    for (const World& world : worlds) {
      if (world.split == split) in_split.push_back(&world);
    }
    if (in_split.empty()) continue;  // --split or --world left this half out
    // Per cohort, pooled over the split's worlds.
    std::vector<std::vector<Metrics>> pooled(kNumPolicies,
                                             std::vector<Metrics>(group_names.size() + 1));
    // Pooling can hide a world where a group is held back: each world and cohort is also checked
    // on its own, against the baseline that reached most there (a target below).
    std::string held_back_in_world;
    for (const World* world : in_split) {
      std::vector<Metrics> all(kNumPolicies);
      for (size_t p = 0; p < kNumPolicies; ++p) all[p] = MetricsOf(*world, p, -1);
      for (size_t p = 0; p < kNumPolicies; ++p) {
        const Paired steps = PairedOf(all[p].steps, all[kMastery].steps);
        const Paired reached = PairedOf(all[p].reached, all[kMastery].reached);
        const Paired budget = PairedOf(all[p].budget_share, all[kMastery].budget_share);
        md << "| " << (p == 0 ? world->name : "") << " | "
           << (p == 0 ? std::to_string(world->scope) : "") << " | "
           << (p == 0 ? std::to_string(world->steps) : "") << " | " << kPolicies[p] << " | "
           << Fixed(Mean(all[p].steps), 1) << " | " << (p == 0 ? "" : Interval(steps, 1)) << " | "
           << Fixed(100.0 * Mean(all[p].reached), 1) << "% | "
           << (p == 0 ? "" : Interval(reached, 1, 100.0)) << " | "
           << Fixed(100.0 * Mean(all[p].budget_share), 1) << "% | "
           << (p == 0 ? "" : Interval(budget, 1, 100.0)) << " |\n";
      }
      for (int g = -1; g < static_cast<int>(group_names.size()); ++g) {
        std::vector<Metrics> metrics(kNumPolicies);
        for (size_t p = 0; p < kNumPolicies; ++p) {
          metrics[p] = MetricsOf(*world, p, g);
          Append(pooled[p][g + 1], metrics[p]);
        }
        const size_t most =
            BestBaseline([&](size_t p) { return Mean(metrics[p].reached); }, /*highest=*/true);
        const Paired behind = PairedOf(metrics[kMastery].reached, metrics[most].reached);
        if (behind.mean + behind.half < 0.0) {
          held_back_in_world += " " + world->name + " " + (g < 0 ? "all" : group_names[g]) + " (" +
                                Fixed(100.0 * Mean(metrics[kMastery].reached), 1) + "% vs " +
                                kPolicies[most] + " " +
                                Fixed(100.0 * Mean(metrics[most].reached), 1) + "%)";
        }
        for (size_t p = 0; p < kNumPolicies; ++p) {
          const Paired steps = PairedOf(metrics[p].steps, metrics[kMastery].steps);
          const Paired reached = PairedOf(metrics[p].reached, metrics[kMastery].reached);
          const Paired budget = PairedOf(metrics[p].budget_share, metrics[kMastery].budget_share);
          csv << split << "," << world->name << "," << graphs[world->graph].name << ","
              << models[world->model].name << "," << (world->far ? "far" : "near") << ","
              << world->scope << "," << world->steps << "," << world->budget << "," << kPolicies[p]
              << "," << (g < 0 ? "all" : group_names[g]) << "," << metrics[p].steps.size() << ","
              << Fixed(Mean(metrics[p].steps), 3) << "," << Fixed(steps.mean, 3) << ","
              << Fixed(steps.half, 3) << "," << Fixed(Mean(metrics[p].reached), 4) << ","
              << Fixed(reached.mean, 4) << "," << Fixed(reached.half, 4) << ","
              << Fixed(Mean(metrics[p].budget_share), 4) << "," << Fixed(budget.mean, 4) << ","
              << Fixed(budget.half, 4) << "," << Fixed(Mean(metrics[p].gain), 3) << "\n";
          if (g < 0) {
            json << (json_first ? "\n" : ",\n");
            json_first = false;
            json << "    {\"split\": \"" << split << "\", \"world\": \"" << world->name
                 << "\", \"policy\": \"" << kPolicies[p]
                 << "\", \"mean_steps\": " << Fixed(Mean(metrics[p].steps), 3)
                 << ", \"steps_vs_mastery\": [" << Fixed(steps.mean - steps.half, 3) << ", "
                 << Fixed(steps.mean + steps.half, 3)
                 << "], \"reached_share\": " << Fixed(Mean(metrics[p].reached), 4)
                 << ", \"budget_scope_share\": " << Fixed(Mean(metrics[p].budget_share), 4)
                 << ", \"budget_gain\": " << Fixed(Mean(metrics[p].gain), 3) << "}";
          }
        }
      }
    }
    md << "\nPer cohort, pooled over the " << in_split.size()
       << " worlds of this split (paired against `mastery`):\n\n"
       << "| cohort | policy | learners | reached | vs mastery | scope learned at K/4 | vs "
          "mastery |\n|---|---|---:|---:|---:|---:|---:|\n";
    for (size_t g = 0; g <= group_names.size(); ++g) {
      for (size_t p = 0; p < kNumPolicies; ++p) {
        const Metrics& m = pooled[p][g];
        md << "| " << (p == 0 ? (g == 0 ? "all" : group_names[g - 1]) : "") << " | " << kPolicies[p]
           << " | " << m.reached.size() << " | " << Fixed(100.0 * Mean(m.reached), 1) << "% | "
           << (p == 0 ? "" : Interval(PairedOf(m.reached, pooled[kMastery][g].reached), 1, 100.0))
           << " | " << Fixed(100.0 * Mean(m.budget_share), 1) << "% | "
           << (p == 0
                   ? ""
                   : Interval(PairedOf(m.budget_share, pooled[kMastery][g].budget_share), 1, 100.0))
           << " |\n";
      }
    }

    // Targets of issue 13 for the default policy.
    md << "\nTargets (default policy `mastery`):\n\n";
    std::string worse;
    double ratio_sum = 0.0;
    std::string low_gain;
    double worst_gain_ratio = 1e9;
    for (const World* world : in_split) {
      std::vector<Metrics> all(kNumPolicies);
      for (size_t p = 0; p < kNumPolicies; ++p) all[p] = MetricsOf(*world, p, -1);
      const size_t best =
          BestBaseline([&](size_t p) { return Mean(all[p].steps); }, /*highest=*/false);
      const Paired d = PairedOf(all[kMastery].steps, all[best].steps);
      if (d.mean - d.half > 0.0) {
        worse += " " + world->name + " (" + Interval(d, 1) + " vs " + kPolicies[best] + ")";
      }
      ratio_sum += Mean(all[kMastery].steps) / Mean(all[kZpdes].steps);
      const double oracle_gain = Mean(all[kOracle].gain);
      const double gain_ratio = oracle_gain > 0.0 ? Mean(all[kMastery].gain) / oracle_gain : 1.0;
      worst_gain_ratio = std::min(worst_gain_ratio, gain_ratio);
      if (gain_ratio < 0.7) low_gain += " " + world->name + " (" + Fixed(gain_ratio, 2) + ")";
    }
    const double ratio = ratio_sum / in_split.size();
    std::string held_back;
    for (size_t g = 1; g <= group_names.size(); ++g) {
      const size_t most =
          BestBaseline([&](size_t p) { return Mean(pooled[p][g].reached); }, /*highest=*/true);
      const double own = Mean(pooled[kMastery][g].reached);
      const double best = Mean(pooled[most][g].reached);
      if (own < best) {
        held_back += " " + group_names[g - 1] + " (" + Fixed(100.0 * own, 1) + "% vs " +
                     kPolicies[most] + " " + Fixed(100.0 * best, 1) + "%)";
      }
    }
    md << "- " << (worse.empty() ? "PASS" : "FAIL")
       << " never worse than the best baseline beyond the interval on any world (steps to goal)"
       << (worse.empty() ? "" : ":" + worse) << "\n"
       << "- " << (ratio <= 0.8 ? "PASS" : "FAIL")
       << " mean over worlds of steps(mastery) / steps(zpdes) = " << Fixed(ratio, 3)
       << " (target <= 0.8)\n"
       << "- " << (low_gain.empty() ? "PASS" : "FAIL")
       << " fixed-budget gain >= 70% of the oracle's on every world (worst "
       << Fixed(100.0 * worst_gain_ratio, 1) << "%)" << (low_gain.empty() ? "" : ":" + low_gain)
       << "\n"
       << "- " << (held_back.empty() ? "PASS" : "FAIL")
       << " reach share in every cohort >= the best baseline's (pooled over the worlds)"
       << (held_back.empty() ? "" : ":" + held_back) << "\n"
       << "- " << (held_back_in_world.empty() ? "PASS" : "FAIL")
       << " reach share never below the best baseline's beyond the interval in any world and "
          "cohort"
       << (held_back_in_world.empty() ? "" : ":" + held_back_in_world) << "\n";

    std::cout << "\n" << md.str();
    if (!options.out.empty()) {
      std::filesystem::create_directories(options.out);
      std::ofstream(options.out + "/" + split + ".md") << md.str();
    }
  }
  json << "\n  ]\n}\n";
  if (!options.out.empty()) {
    std::ofstream(options.out + "/suite.csv") << csv.str();
    std::ofstream(options.out + "/suite.json") << json.str();
    if (options.trace > 0) {
      std::ofstream traces(options.out + "/traces.csv");
      for (const World& world : worlds) traces << pathwise::SimulationTracesCsv(world.result);
    }
  }

  if (options.smoke) {
    // A robust sanity relation: on the chain the oracle, which sees the truth, needs fewer steps
    // than random (pooled over the chain worlds).
    Metrics oracle, random;
    for (const World& world : worlds) {
      if (graphs[world.graph].name != "chain30") continue;
      Append(oracle, MetricsOf(world, kOracle, -1));
      Append(random, MetricsOf(world, 2, -1));
    }
    const Paired d = PairedOf(oracle.steps, random.steps);
    std::cout << "\nsmoke: oracle - random steps on chain30: " << Interval(d, 1) << "\n";
    if (!(d.mean + d.half < 0.0)) smoke_failed = true;
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << "\ntotal " << Fixed(seconds, 1) << " s\n";
  if (smoke_failed) return Fail("the oracle does not beat random on the chain");
  return 0;
}
