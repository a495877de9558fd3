// Throughput of MasteryTracker's three write paths on a synthetic curriculum: Record with event ids
// (the service path), Record without (no idempotency set), and RecordSequence (bulk import).
#include <cstdint>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include <pathwise/competency_graph.h>
#include <pathwise/mastery_tracker.h>
#include <pathwise/model.h>

namespace {

constexpr uint64_t kSeed = 12345;
constexpr int kLearners = 1000;
constexpr size_t kObservations = size_t{1} << 18;

template <typename T>
T OrDie(pathwise::Result<T> result) {
  if (!result.ok()) {
    std::cerr << result.status() << "\n";
    std::abort();
  }
  return std::move(result).value();
}

// `competencies` skills c0..cN-1 with no prerequisites, practised directly (competency ids as
// activities).
pathwise::CompetencyGraph MakeGraph(int competencies) {
  pathwise::GraphDefinition def;
  for (int i = 0; i < competencies; ++i) {
    pathwise::Competency c;
    c.id = "c" + std::to_string(i);
    def.competencies.push_back(std::move(c));
  }
  return OrDie(pathwise::CompetencyGraph::FromDefinition(std::move(def)));
}

std::unique_ptr<pathwise::MasteryTracker> MakeTracker(const pathwise::CompetencyGraph& graph) {
  return OrDie(pathwise::MasteryTracker::Create(graph, pathwise::BktModel{}));
}

// Observations of random learners on random competencies, ~70% correct, from a fixed seed.
std::vector<pathwise::Observation> MakeObservations(int competencies, bool with_event_ids) {
  std::mt19937_64 rng(kSeed);
  std::vector<pathwise::Observation> observations(kObservations);
  for (size_t i = 0; i < kObservations; ++i) {
    pathwise::Observation& o = observations[i];
    if (with_event_ids) o.event_id = "ev-" + std::to_string(i);
    o.learner_id = "learner-" + std::to_string(rng() % kLearners);
    o.activity_id = "c" + std::to_string(rng() % competencies);
    o.outcome = (rng() % 10 < 7) ? 1.0 : 0.0;
    o.timestamp_ms = static_cast<int64_t>(i);
  }
  return observations;
}

void RunRecord(benchmark::State& state, bool with_event_ids) {
  const int competencies = static_cast<int>(state.range(0));
  const pathwise::CompetencyGraph graph = MakeGraph(competencies);
  const std::vector<pathwise::Observation> observations =
      MakeObservations(competencies, with_event_ids);
  auto tracker = MakeTracker(graph);
  size_t next = 0;
  for (auto _ : state) {
    if (next == observations.size()) {
      // Every event id has been seen: start over with a fresh tracker so each Record really
      // applies.
      state.PauseTiming();
      tracker = MakeTracker(graph);
      next = 0;
      state.ResumeTiming();
    }
    auto result = tracker->Record(observations[next++]);
    benchmark::DoNotOptimize(result);
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_Tracker_Record(benchmark::State& state) { RunRecord(state, /*with_event_ids=*/true); }
BENCHMARK(BM_Tracker_Record)->Arg(100)->Arg(1000);

void BM_Tracker_RecordNoEventId(benchmark::State& state) {
  RunRecord(state, /*with_event_ids=*/false);
}
BENCHMARK(BM_Tracker_RecordNoEventId)->Arg(100)->Arg(1000);

// One call replays a whole learner's history of range(1) steps over range(0) competencies.
void BM_Tracker_RecordSequence(benchmark::State& state) {
  const int competencies = static_cast<int>(state.range(0));
  const size_t steps_per_learner = static_cast<size_t>(state.range(1));
  const pathwise::CompetencyGraph graph = MakeGraph(competencies);
  auto tracker = MakeTracker(graph);
  std::mt19937_64 rng(kSeed);
  std::vector<std::vector<pathwise::ResolvedOutcome>> histories(kLearners);
  for (auto& history : histories) {
    for (size_t i = 0; i < steps_per_learner; ++i) {
      const std::string id = "c" + std::to_string(rng() % competencies);
      const uint32_t index = OrDie(tracker->ActivityIndex(id));
      history.push_back({index, (rng() % 10 < 7) ? 1.0f : 0.0f, static_cast<int64_t>(i)});
    }
  }
  std::vector<std::string> learners;
  for (int i = 0; i < kLearners; ++i) learners.push_back("learner-" + std::to_string(i));
  size_t next = 0;
  for (auto _ : state) {
    pathwise::Status status = tracker->RecordSequence(learners[next], histories[next]);
    benchmark::DoNotOptimize(status);
    next = (next + 1) % kLearners;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(steps_per_learner));
}
BENCHMARK(BM_Tracker_RecordSequence)->Args({100, 256})->Args({1000, 256})->Args({1000, 4096});

}  // namespace

BENCHMARK_MAIN();
