// Memory per practised competency state, as pathwised holds it (issue 15: at most 40 bytes): the
// tracker's state and the ZPDES zone of every learner, in one Engine, first grown by recording
// events, then compacted (Engine::CompactMemory, as pathwised does every
// memory_compaction_interval_seconds), then grown by half as many learners again (and compacted
// again), then restored from saved states into a fresh Engine, as a restart from stored states
// does. Also times the compaction and that restore on one thread (the engine's share of a
// restart, without the store). --without-compaction skips both compactions, for comparison;
// --mastery NAME=VALUE sets a numeric MasteryPolicyOptions field (as policy_suite's), to measure
// what an option costs in memory (the stall response, on by default, reads the tracker's state
// and keeps nothing of its own: progress_weight=0 gives the same bytes).
//
//     build/bin/state_memory [LEARNERS] [--without-compaction] [--mastery NAME=VALUE ...]
//         (default 100000 learners; each practises all 100 competencies)
//
// The workload is service_load's: 100 competencies (each with up to two earlier prerequisites) and
// 200 activities, learner l's event j on act.((j + l) mod 100), outcomes from a fixed seed.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include <malloc.h>

#include <pathwise/engine.h>

#include "mastery_setting.h"

namespace {

constexpr int kCompetencies = 100;

// Bytes in use by malloc (glibc's mallinfo2), so that the figures are the heap the states take,
// not pages the allocator happens to hold.
size_t HeapInUse() { return mallinfo2().uordblks; }

// The process's resident memory (VmRSS), for what the heap's pages cost the machine.
size_t ResidentBytes() {
  std::FILE* status = std::fopen("/proc/self/status", "r");
  if (status == nullptr) return 0;
  char line[256];
  size_t kib = 0;
  while (std::fgets(line, sizeof(line), status) != nullptr) {
    if (std::sscanf(line, "VmRSS: %zu kB", &kib) == 1) break;
  }
  std::fclose(status);
  return kib * 1024;
}

pathwise::CompetencyGraph MakeGraph() {
  std::mt19937_64 rng(42);
  pathwise::GraphDefinition def;
  for (int c = 0; c < kCompetencies; ++c) {
    pathwise::Competency competency;
    competency.id = "c" + std::to_string(c);
    def.competencies.push_back(competency);
    for (int k = 0; k < 2 && c > 0; ++k) {
      const std::string from = "c" + std::to_string(rng() % static_cast<uint64_t>(c));
      bool seen = false;
      for (const auto& edge : def.prerequisites)
        seen = seen || (edge.to == competency.id && edge.from == from);
      if (seen) continue;
      pathwise::Prerequisite edge;
      edge.from = from;
      edge.to = competency.id;
      def.prerequisites.push_back(edge);
    }
  }
  for (int a = 0; a < kCompetencies; ++a) {
    pathwise::Activity single;
    single.id = "act." + std::to_string(a);
    single.competencies = {{"c" + std::to_string(a), 1.0}};
    def.activities.push_back(single);
    pathwise::Activity mix;
    mix.id = "mix." + std::to_string(a);
    mix.competencies = {{"c" + std::to_string(a), 1.0},
                        {"c" + std::to_string((a + 1) % kCompetencies), 0.5}};
    def.activities.push_back(mix);
  }
  pathwise::Result<pathwise::CompetencyGraph> graph =
      pathwise::CompetencyGraph::FromDefinition(def);
  if (!graph.ok()) {
    std::fprintf(stderr, "graph: %s\n", graph.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(graph).value();
}

std::unique_ptr<pathwise::Engine> MakeEngine(const pathwise::RecommenderOptions& options) {
  pathwise::Result<std::unique_ptr<pathwise::Engine>> engine =
      pathwise::Engine::Create(MakeGraph(), pathwise::BktModel{});
  if (!engine.ok()) {
    std::fprintf(stderr, "engine: %s\n", engine.status().ToString().c_str());
    std::exit(1);
  }
  const pathwise::Status set = (*engine)->SetRecommenderOptions(options);
  if (!set.ok()) {
    std::fprintf(stderr, "options: %s\n", set.ToString().c_str());
    std::exit(1);
  }
  return std::move(engine).value();
}

void Check(const pathwise::Status& status, const char* what) {
  if (status.ok()) return;
  std::fprintf(stderr, "%s: %s\n", what, status.ToString().c_str());
  std::exit(1);
}

std::string LearnerId(int l) { return "learner-" + std::to_string(l); }

// Records learners [from, to): each answers every competency once, as service_load's do.
void RecordLearners(pathwise::Engine& engine, int from, int to, std::mt19937_64& rng) {
  for (int l = from; l < to; ++l) {
    std::vector<pathwise::Observation> events;
    for (int j = 0; j < kCompetencies; ++j) {
      // No event ids: pathwised keeps them in its own bounded filter, not in the tracker.
      events.push_back({"", LearnerId(l), "act." + std::to_string((j + l) % kCompetencies),
                        rng() % 3 != 0 ? 1.0 : 0.0, 1700000000000 + j * 60000});
    }
    Check(engine.RecordBatch(events).status(), "record");
  }
}

double MiB(size_t bytes) { return static_cast<double>(bytes) / (1 << 20); }

}  // namespace

int main(int argc, char** argv) {
  int learners = 100000;
  bool compact = true;
  pathwise::RecommenderOptions options;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--without-compaction") {
      compact = false;
    } else if (arg == "--mastery") {
      std::pair<std::string, double> parsed;
      if (i + 1 >= argc || !pathwise_bench::ParseMasterySetting(argv[i + 1], &parsed)) {
        std::fprintf(stderr,
                     "--mastery needs NAME=VALUE with a numeric MasteryPolicyOptions field\n");
        return 2;
      }
      pathwise_bench::SetMasteryOption(options.mastery, parsed.first, parsed.second);
      ++i;
    } else {
      learners = std::atoi(argv[i]);
    }
  }
  if (learners <= 1) {
    std::fprintf(stderr,
                 "usage: state_memory [LEARNERS > 1] [--without-compaction] "
                 "[--mastery NAME=VALUE ...]\n");
    return 2;
  }
  const double states = static_cast<double>(learners) * kCompetencies;
  auto seconds_since = [](std::chrono::steady_clock::time_point t) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
  };
  std::printf("%d learners x %d practised competencies (%.0f states)%s\n", learners, kCompetencies,
              states, compact ? "" : ", without compaction");

  // Grown by recording, as a server that ingested every event since it started.
  std::unique_ptr<pathwise::Engine> recorded = MakeEngine(options);
  const size_t before_record = HeapInUse();
  std::mt19937_64 rng(7);
  RecordLearners(*recorded, 0, learners, rng);
  std::printf(
      "after recording: %.1f bytes per state (heap), of which the tracker %.1f; RSS %.1f MiB\n",
      static_cast<double>(HeapInUse() - before_record) / states,
      static_cast<double>(recorded->tracker().EstimateMemory().bytes) / states,
      MiB(ResidentBytes()));

  // Compacted: the tracker first (its shards one by one), then the rest of the engine (the zpdes
  // zones; the tracker has nothing left to give), timed apart.
  if (compact) {
    auto compact_start = std::chrono::steady_clock::now();
    const size_t tracker_released = recorded->tracker().CompactMemory();
    const double tracker_seconds = seconds_since(compact_start);
    compact_start = std::chrono::steady_clock::now();
    const size_t engine_released = recorded->CompactMemory();
    const double engine_seconds = seconds_since(compact_start);
    std::printf(
        "after compacting: %.1f bytes per state (heap), of which the tracker %.1f; RSS %.1f MiB\n",
        static_cast<double>(HeapInUse() - before_record) / states,
        static_cast<double>(recorded->tracker().EstimateMemory().bytes) / states,
        MiB(ResidentBytes()));
    std::printf(
        "compaction on one thread: tracker %.3f s (%.1f MiB released), zones %.3f s (%.1f MiB)\n",
        tracker_seconds, MiB(tracker_released), engine_seconds, MiB(engine_released));
  }

  // Half as many learners again, then compacted again: a server that goes on growing reuses the
  // room compaction gave back (the process's RSS does not shrink at once: the freed chunks lie
  // between live ones).
  const int more = learners / 2;
  RecordLearners(*recorded, learners, learners + more, rng);
  if (compact) (void)recorded->CompactMemory();
  const double grown_states = states + static_cast<double>(more) * kCompetencies;
  std::printf(
      "%d more learners recorded%s: %.1f bytes per state (heap); RSS %.1f MiB (%.1f bytes per "
      "state)\n",
      more, compact ? " and compacted" : "",
      static_cast<double>(HeapInUse() - before_record) / grown_states, MiB(ResidentBytes()),
      static_cast<double>(ResidentBytes()) / grown_states);

  // Restored from what a store keeps (the tracker's estimates, with their recent answers, and
  // ZPDES's bytes; the mastery policy keeps none), as a restart.
  struct Saved {
    std::vector<pathwise::MasteryEstimate> estimates;
    std::string zone;
  };
  std::vector<Saved> saved(learners);
  for (int l = 0; l < learners; ++l) {
    pathwise::Result<pathwise::LearnerMastery> mastery = recorded->tracker().Mastery(LearnerId(l));
    Check(mastery.status(), "mastery");
    saved[l].estimates = std::move(mastery->competencies);
    pathwise::Result<std::string> zone =
        recorded->SaveLearnerState(pathwise::PolicyKind::kZpdes, LearnerId(l));
    Check(zone.status(), "save");
    saved[l].zone = std::move(zone).value();
  }
  recorded.reset();

  std::unique_ptr<pathwise::Engine> restored = MakeEngine(options);
  const size_t before_restore = HeapInUse();
  const auto start = std::chrono::steady_clock::now();
  for (int l = 0; l < learners; ++l) {
    Check(restored->tracker().RestoreLearner(LearnerId(l), saved[l].estimates), "restore tracker");
    Check(restored->RestoreLearnerState(pathwise::PolicyKind::kZpdes, LearnerId(l), saved[l].zone),
          "restore zone");
  }
  const double restore_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const size_t after_restore = HeapInUse();
  const pathwise::MasteryTracker::MemoryUsage tracker_restored =
      restored->tracker().EstimateMemory();

  std::printf("after restoring: %.1f bytes per state (heap), of which the tracker %.1f\n",
              static_cast<double>(after_restore - before_restore) / states,
              static_cast<double>(tracker_restored.bytes) / states);
  std::printf("restore on one thread: %.2f s (%.1f M states/s)\n", restore_seconds,
              states / restore_seconds / 1e6);
  return 0;
}
