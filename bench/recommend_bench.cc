// Recommend latency, in process, with varied learner states.
//
// Two graphs:
// - Junyi: the real prerequisite graph (837 exercises, 988 edges, imported with repair) with about
//   5,000 synthetic activities attached (six per exercise, one in ten also practising one of the
//   exercise's prerequisites with weight 0.5).
// - Synthetic: 100,000 competencies (1,000 roots, then each with 1-3 prerequisites among the 2,000
//   before it) and 500,000 activities (five per competency).
//
// Each benchmark draws learner states (seeded) that cover the whole range from "nothing practised"
// to far along the graph, cycles through them and times every Recommend call on its own. p50 and
// p99 of those per-call times are reported as counters (microseconds), with the memory of the graph
// and of the policy's index (RSS growth while building them).
//
// The Junyi exercise table is found at PATHWISE_JUNYI_EXERCISE_TABLE (compile definition) or in the
// environment variable of the same name.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include <pathwise/competency_graph.h>
#include <pathwise/io/graph_import.h>
#include <pathwise/model.h>
#include <pathwise/planner.h>
#include <pathwise/recommender.h>

namespace pathwise {
namespace {

constexpr uint64_t kSeed = 20260901;
constexpr int64_t kDayMs = 86400000;
constexpr int64_t kNow = 1767225600000;  // 2026-01-01

double Unit(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

// Resident set size in bytes (Linux), for memory deltas.
size_t ResidentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages_total = 0, pages_resident = 0;
  statm >> pages_total >> pages_resident;
  return pages_resident * 4096;
}

std::string JunyiTablePath() {
  if (const char* env = std::getenv("PATHWISE_JUNYI_EXERCISE_TABLE")) return env;
#ifdef PATHWISE_JUNYI_EXERCISE_TABLE
  return PATHWISE_JUNYI_EXERCISE_TABLE;
#else
  return "../shared/data/junyi2015_prereq/junyi_Exercise_table.csv";
#endif
}

struct Fixture {
  std::unique_ptr<CompetencyGraph> graph;
  std::unique_ptr<Policy> policy;
  std::vector<LearnerState> states;
  std::vector<std::vector<std::string>> goal_sets;  // empty entry = no goal
  size_t graph_bytes = 0;
  size_t index_bytes = 0;
  bool ok = false;
  std::string error;
};

// Learners at every stage: each walks the topological order and masters a competency (when its
// prerequisites are mastered) with a probability set by the learner's progress; a few competencies
// at the frontier are in progress. Times spread over the last 60 days.
std::vector<LearnerState> MakeStates(const CompetencyGraph& graph, const Policy& policy,
                                     size_t count, size_t max_practised, std::mt19937_64& rng) {
  const std::vector<std::string> order = graph.TopologicalOrder();
  std::vector<std::vector<uint32_t>> prerequisites(order.size());
  std::vector<uint32_t> index_of(order.size());
  for (size_t r = 0; r < order.size(); ++r) index_of[r] = *policy.CompetencyIndex(order[r]);
  std::vector<uint32_t> rank_of(order.size());
  for (size_t r = 0; r < order.size(); ++r) rank_of[index_of[r]] = static_cast<uint32_t>(r);
  for (size_t r = 0; r < order.size(); ++r) {
    for (const Prerequisite& p : graph.PrerequisitesOf(order[r]))
      prerequisites[r].push_back(rank_of[*policy.CompetencyIndex(p.from)]);
  }
  std::vector<LearnerState> states;
  std::vector<char> mastered(order.size());
  for (size_t l = 0; l < count; ++l) {
    LearnerState state;
    state.learner_id = "learner" + std::to_string(l);
    const double progress = Unit(rng);
    const size_t budget = static_cast<size_t>(progress * max_practised);
    std::fill(mastered.begin(), mastered.end(), 0);
    for (size_t r = 0; r < order.size() && state.competencies.size() < budget; ++r) {
      bool ready = true;
      for (uint32_t p : prerequisites[r]) ready &= mastered[p] != 0;
      if (!ready) continue;
      const double u = Unit(rng);
      if (u < 0.8) {
        mastered[r] = 1;
        state.competencies.push_back({index_of[r], 0.95 + 0.05 * Unit(rng),
                                      3 + static_cast<uint32_t>(rng() % 8),
                                      kNow - static_cast<int64_t>(Unit(rng) * 60 * kDayMs)});
      } else if (u < 0.9) {
        state.competencies.push_back({index_of[r], 0.9 * Unit(rng),
                                      1 + static_cast<uint32_t>(rng() % 6),
                                      kNow - static_cast<int64_t>(Unit(rng) * 3 * kDayMs)});
      }
    }
    std::shuffle(state.competencies.begin(), state.competencies.end(), rng);
    states.push_back(std::move(state));
  }
  return states;
}

Fixture* JunyiFixture() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    std::mt19937_64 rng(kSeed);
    const size_t before = ResidentBytes();
    ImportOptions import_options;
    import_options.repair = true;
    Result<ImportedGraph> imported = ImportJunyiExerciseTable(JunyiTablePath(), import_options);
    if (!imported.ok()) {
      f->error = imported.status().ToString();
      return f;
    }
    GraphDefinition def = imported->graph.ToDefinition();
    for (const Competency& c : def.competencies) {
      std::vector<std::string> pres;
      for (const Prerequisite& p : imported->graph.PrerequisitesOf(c.id)) pres.push_back(p.from);
      for (int i = 0; i < 6; ++i) {
        Activity a;
        a.id = c.id + "#" + std::to_string(i);
        a.competencies = {{c.id, 1.0}};
        if (!pres.empty() && Unit(rng) < 0.1)
          a.competencies.push_back({pres[rng() % pres.size()], 0.5});
        a.difficulty = Unit(rng);
        a.expected_minutes = 2.0 + 10.0 * Unit(rng);
        def.activities.push_back(std::move(a));
      }
    }
    Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(std::move(def));
    if (!graph.ok()) {
      f->error = graph.status().ToString();
      return f;
    }
    f->graph = std::make_unique<CompetencyGraph>(std::move(graph).value());
    const size_t after_graph = ResidentBytes();
    Result<std::unique_ptr<Policy>> policy =
        MakePolicy(PolicyKind::kMastery, *f->graph, BktModel{}, RecommenderOptions{});
    if (!policy.ok()) {
      f->error = policy.status().ToString();
      return f;
    }
    f->policy = std::move(policy).value();
    f->graph_bytes = after_graph - std::min(before, after_graph);
    f->index_bytes = ResidentBytes() - std::min(after_graph, ResidentBytes());
    f->states = MakeStates(*f->graph, *f->policy, 2000, f->graph->num_competencies(), rng);
    // Goals of five advanced exercises: the last ones in topological order with many ancestors.
    const std::vector<std::string> order = f->graph->TopologicalOrder();
    f->goal_sets.push_back({});
    for (int g = 0; g < 4; ++g) {
      std::vector<std::string> goals;
      for (int i = 0; i < 5; ++i) goals.push_back(order[order.size() - 1 - (g * 5 + i) * 7]);
      f->goal_sets.push_back(goals);
    }
    f->ok = true;
    return f;
  }();
  return fixture;
}

// 1,000 roots, then each competency has 1-3 prerequisites among the 2,000 before it; five
// activities per competency.
Fixture* SyntheticFixture() {
  static Fixture* fixture = [] {
    auto* f = new Fixture;
    std::mt19937_64 rng(kSeed + 1);
    constexpr int kCompetencies = 100000;
    constexpr int kRoots = 1000;
    constexpr int kWindow = 2000;
    constexpr int kActivitiesPer = 5;
    const size_t before = ResidentBytes();
    GraphDefinition def;
    def.competencies.reserve(kCompetencies);
    for (int i = 0; i < kCompetencies; ++i) {
      Competency c;
      c.id = "k" + std::to_string(i);
      def.competencies.push_back(std::move(c));
    }
    for (int to = kRoots; to < kCompetencies; ++to) {
      const int edges = 1 + static_cast<int>(rng() % 3);
      std::vector<int> from;
      for (int e = 0; e < edges; ++e) {
        const int f_index = to - 1 - static_cast<int>(rng() % std::min(to, kWindow));
        if (std::find(from.begin(), from.end(), f_index) == from.end()) from.push_back(f_index);
      }
      for (int f_index : from)
        def.prerequisites.push_back({"k" + std::to_string(f_index), "k" + std::to_string(to), 1.0});
    }
    def.activities.reserve(static_cast<size_t>(kCompetencies) * kActivitiesPer);
    for (int i = 0; i < kCompetencies; ++i) {
      for (int j = 0; j < kActivitiesPer; ++j) {
        Activity a;
        a.id = "k" + std::to_string(i) + "#" + std::to_string(j);
        a.competencies = {{"k" + std::to_string(i), 1.0}};
        a.difficulty = Unit(rng);
        a.expected_minutes = 2.0 + 10.0 * Unit(rng);
        def.activities.push_back(std::move(a));
      }
    }
    Result<CompetencyGraph> graph = CompetencyGraph::FromDefinition(std::move(def));
    if (!graph.ok()) {
      f->error = graph.status().ToString();
      return f;
    }
    f->graph = std::make_unique<CompetencyGraph>(std::move(graph).value());
    const size_t after_graph = ResidentBytes();
    Result<std::unique_ptr<Policy>> policy =
        MakePolicy(PolicyKind::kMastery, *f->graph, BktModel{}, RecommenderOptions{});
    if (!policy.ok()) {
      f->error = policy.status().ToString();
      return f;
    }
    f->policy = std::move(policy).value();
    f->graph_bytes = after_graph - std::min(before, after_graph);
    f->index_bytes = ResidentBytes() - std::min(after_graph, ResidentBytes());
    // Learners who practised up to 5,000 competencies (a long way into any real course).
    f->states = MakeStates(*f->graph, *f->policy, 300, 5000, rng);
    f->goal_sets.push_back({});
    f->goal_sets.push_back({"k99990", "k99991", "k99992", "k99993", "k99994"});
    f->goal_sets.push_back({"k5000", "k5100", "k5200", "k5300", "k5400"});
    f->ok = true;
    return f;
  }();
  return fixture;
}

double ThreadCpuMicros() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e6 + static_cast<double>(ts.tv_nsec) * 1e-3;
}

// Times every call, by the wall clock and by the thread's CPU clock (which leaves out time the
// thread was preempted: on a shared 2-core machine the wall-clock p99 mostly measures the
// neighbours). Reports p50/p99 in microseconds.
//
// goal_mode 0: no goal. 1: goals, cycling through the fixture's goal sets (each learner keeps a
// goal; the expanded goal sets come from the policy's shared cache). 2: a fresh random goal set of
// five competencies on every call, so every call expands its goals' ancestors (the cold path).
void RunRecommend(benchmark::State& bench, Fixture* f, int goal_mode) {
  if (!f->ok) {
    bench.SkipWithError(f->error.c_str());
    return;
  }
  std::unique_ptr<Policy> policy = f->policy->Fork(0);
  RecommendRequest request;
  request.k = 5;
  request.now_ms = kNow;
  std::vector<double> micros, cpu_micros;
  micros.reserve(1 << 20);
  cpu_micros.reserve(1 << 20);
  const std::vector<const Competency*> competencies = f->graph->competencies();
  std::mt19937_64 rng(kSeed + 2);
  size_t i = 0;
  size_t returned = 0;
  for (auto _ : bench) {
    const LearnerState& state = f->states[i % f->states.size()];
    if (goal_mode == 1) request.goals = f->goal_sets[1 + i % (f->goal_sets.size() - 1)];
    if (goal_mode == 2) {
      request.goals.clear();
      for (int g = 0; g < 5; ++g)
        request.goals.push_back(competencies[rng() % competencies.size()]->id);
    }
    const double cpu_start = ThreadCpuMicros();
    const auto start = std::chrono::steady_clock::now();
    Result<std::vector<Recommendation>> recs = policy->Recommend(state, request);
    const auto stop = std::chrono::steady_clock::now();
    cpu_micros.push_back(ThreadCpuMicros() - cpu_start);
    if (!recs.ok()) {
      bench.SkipWithError(recs.status().ToString().c_str());
      return;
    }
    returned += recs->size();
    benchmark::DoNotOptimize(recs);
    micros.push_back(std::chrono::duration<double, std::micro>(stop - start).count());
    ++i;
  }
  std::sort(micros.begin(), micros.end());
  std::sort(cpu_micros.begin(), cpu_micros.end());
  auto quantile = [](const std::vector<double>& sorted, double q) {
    return sorted.empty() ? 0.0 : sorted[static_cast<size_t>(q * (sorted.size() - 1))];
  };
  bench.counters["p50_us"] = quantile(micros, 0.50);
  bench.counters["p99_us"] = quantile(micros, 0.99);
  bench.counters["cpu_p50_us"] = quantile(cpu_micros, 0.50);
  bench.counters["cpu_p99_us"] = quantile(cpu_micros, 0.99);
  bench.counters["mean_returned"] = static_cast<double>(returned) / std::max<size_t>(1, i);
  bench.counters["competencies"] = static_cast<double>(f->graph->num_competencies());
  bench.counters["activities"] = static_cast<double>(f->graph->num_activities());
  bench.counters["graph_MiB"] = static_cast<double>(f->graph_bytes) / (1 << 20);
  bench.counters["index_MiB"] = static_cast<double>(f->index_bytes) / (1 << 20);
  bench.SetItemsProcessed(static_cast<int64_t>(i));
}

void BM_Recommender_JunyiNoGoal(benchmark::State& state) { RunRecommend(state, JunyiFixture(), 0); }
void BM_Recommender_JunyiGoals(benchmark::State& state) { RunRecommend(state, JunyiFixture(), 1); }
void BM_Recommender_Synthetic100kNoGoal(benchmark::State& state) {
  RunRecommend(state, SyntheticFixture(), 0);
}
void BM_Recommender_Synthetic100kGoals(benchmark::State& state) {
  RunRecommend(state, SyntheticFixture(), 1);
}

void BM_Recommender_JunyiColdGoals(benchmark::State& state) {
  RunRecommend(state, JunyiFixture(), 2);
}
void BM_Recommender_Synthetic100kColdGoals(benchmark::State& state) {
  RunRecommend(state, SyntheticFixture(), 2);
}

BENCHMARK(BM_Recommender_JunyiNoGoal)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Recommender_JunyiColdGoals)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Recommender_Synthetic100kColdGoals)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Recommender_JunyiGoals)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Recommender_Synthetic100kNoGoal)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Recommender_Synthetic100kGoals)->Unit(benchmark::kMicrosecond);

// The planner, recomputed "after every event": Junyi, five advanced goals.
void BM_Planner_JunyiGoals(benchmark::State& bench) {
  Fixture* f = JunyiFixture();
  if (!f->ok) {
    bench.SkipWithError(f->error.c_str());
    return;
  }
  Result<std::unique_ptr<PathwayPlanner>> planner =
      PathwayPlanner::Create(*f->graph, BktModel{}, RecommenderOptions{});
  if (!planner.ok()) {
    bench.SkipWithError(planner.status().ToString().c_str());
    return;
  }
  size_t i = 0;
  for (auto _ : bench) {
    Result<Pathway> plan =
        (*planner)->Plan(f->states[i % f->states.size()], f->goal_sets[1 + i % 4]);
    benchmark::DoNotOptimize(plan);
    ++i;
  }
  bench.SetItemsProcessed(static_cast<int64_t>(i));
}
BENCHMARK(BM_Planner_JunyiGoals)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace pathwise

BENCHMARK_MAIN();
