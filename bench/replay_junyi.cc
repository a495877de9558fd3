// End-to-end replay of the Junyi Academy sequences (3,303,165 responses of 9,785 learners,
// DeepIRT-HN test folds) through MasteryTracker on one thread.
//
//   replay_junyi <dir with junyi_test{1..5}.csv> [max learners]
//
// One competency per item id, no prerequisites, default BKT parameters. Pass 1 replays every
// learner's history through RecordSequence (the bulk path); pass 2 feeds the same responses one by
// one through Record with string event ids (the service path). Only the replay is timed, never
// parsing or building inputs. The two passes must agree exactly on the final mastery; the program
// checks that and exits non-zero otherwise, so its smoke test also guards correctness.
#include <sys/resource.h>
#include <time.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <pathwise/competency_graph.h>
#include <pathwise/mastery_tracker.h>
#include <pathwise/model.h>

namespace {

struct LearnerHistory {
  std::string learner_id;
  std::vector<uint32_t> items;  // dense local item ids
  std::vector<uint8_t> correct;
};

struct Dataset {
  std::vector<std::string> item_ids;  // by local id, in order of first appearance
  std::vector<LearnerHistory> learners;
  size_t responses = 0;
};

std::vector<std::string_view> Split(std::string_view line, char sep) {
  std::vector<std::string_view> fields;
  size_t start = 0;
  while (true) {
    const size_t end = line.find(sep, start);
    fields.push_back(line.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return fields;
}

// Reads one 3-line file (line 1 learner id, line 2 item ids, line 3 0/1). Returns false with a
// "file:line: ..." message on malformed input.
bool ReadFile(const std::string& path, size_t max_learners, Dataset* data,
              std::unordered_map<std::string, uint32_t>* item_index, std::string* error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    *error = path + ": cannot open";
    return false;
  }
  std::vector<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    lines.push_back(std::move(line));
  }
  while (!lines.empty() && lines.back().empty()) lines.pop_back();
  if (lines.size() % 3 != 0) {
    *error =
        path + ":" + std::to_string(lines.size()) + ": the file does not hold whole 3-line records";
    return false;
  }
  for (size_t i = 0; i < lines.size() && data->learners.size() < max_learners; i += 3) {
    const std::string where = path + ":" + std::to_string(i + 1);
    if (lines[i].empty()) {
      *error = where + ": empty learner id";
      return false;
    }
    const std::vector<std::string_view> items = Split(lines[i + 1], ',');
    const std::vector<std::string_view> outcomes = Split(lines[i + 2], ',');
    if (items.size() != outcomes.size()) {
      *error = path + ":" + std::to_string(i + 3) + ": " + std::to_string(outcomes.size()) +
               " outcomes for " + std::to_string(items.size()) + " items";
      return false;
    }
    LearnerHistory history;
    history.learner_id = lines[i];
    history.items.reserve(items.size());
    history.correct.reserve(items.size());
    for (size_t k = 0; k < items.size(); ++k) {
      if (items[k].empty()) {
        *error = path + ":" + std::to_string(i + 2) + ": empty item id at position " +
                 std::to_string(k + 1);
        return false;
      }
      if (outcomes[k] != "0" && outcomes[k] != "1") {
        *error = path + ":" + std::to_string(i + 3) + ": outcome '" + std::string(outcomes[k]) +
                 "' at position " + std::to_string(k + 1) + " is not 0 or 1";
        return false;
      }
      auto [it, inserted] = item_index->try_emplace(std::string(items[k]),
                                                    static_cast<uint32_t>(data->item_ids.size()));
      if (inserted) data->item_ids.emplace_back(items[k]);
      history.items.push_back(it->second);
      history.correct.push_back(outcomes[k] == "1" ? 1 : 0);
    }
    data->responses += items.size();
    data->learners.push_back(std::move(history));
  }
  return true;
}

double PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return static_cast<double>(usage.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

// Bytes in use by malloc, to check EstimateMemory against; 0 where glibc's mallinfo2 is
// unavailable.
size_t HeapInUse() {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  return mallinfo2().uordblks;
#else
  return 0;
#endif
}

double MiB(size_t bytes) { return static_cast<double>(bytes) / (1024.0 * 1024.0); }

// Wall time and this thread's CPU time. On a shared machine the CPU time is the fairer measure of
// what one core does: it leaves out the time the thread waited for the processor.
struct Stopwatch {
  double wall = 0.0;
  double cpu = 0.0;

  static double ThreadCpuSeconds() {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  void Start() {
    wall_start_ = std::chrono::steady_clock::now();
    cpu_start_ = ThreadCpuSeconds();
  }
  void Stop() {
    wall += std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start_).count();
    cpu += ThreadCpuSeconds() - cpu_start_;
  }

 private:
  std::chrono::steady_clock::time_point wall_start_;
  double cpu_start_ = 0.0;
};

void PrintPass(const char* name, size_t responses, const Stopwatch& time,
               const pathwise::MasteryTracker& tracker, size_t heap_growth) {
  const pathwise::MasteryTracker::MemoryUsage memory = tracker.EstimateMemory();
  const double n = static_cast<double>(responses);
  std::printf("%s\n", name);
  std::printf("  seconds            %.3f wall, %.3f thread CPU\n", time.wall, time.cpu);
  std::printf("  updates/s          %.2f M wall, %.2f M thread CPU\n", n / time.wall / 1e6,
              n / time.cpu / 1e6);
  std::printf("  ns/update          %.1f wall, %.1f thread CPU\n", time.wall * 1e9 / n,
              time.cpu * 1e9 / n);
  std::printf("  EstimateMemory     %.1f MiB (%zu learners, %zu states, %zu event ids)\n",
              MiB(memory.bytes), memory.learners, memory.states, memory.event_ids);
  std::printf("  heap growth        %.1f MiB (glibc mallinfo2, tracker creation to end of pass)\n",
              MiB(heap_growth));
  std::printf("  peak RSS so far    %.1f MiB\n", PeakRssMiB());
}

int Fail(const std::string& message) {
  std::cerr << "replay_junyi: " << message << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2 || argc > 3) {
    return Fail("usage: replay_junyi <dir with junyi_test{1..5}.csv> [max learners]");
  }
  const std::string dir = argv[1];
  size_t max_learners = SIZE_MAX;
  if (argc == 3) {
    char* end = nullptr;
    const long long parsed = std::strtoll(argv[2], &end, 10);
    if (end == argv[2] || *end != '\0' || parsed <= 0) {
      return Fail(std::string("max learners must be a positive integer, got '") + argv[2] + "'");
    }
    max_learners = static_cast<size_t>(parsed);
  }

  Dataset data;
  std::unordered_map<std::string, uint32_t> item_index;
  for (int fold = 1; fold <= 5 && data.learners.size() < max_learners; ++fold) {
    std::string error;
    if (!ReadFile(dir + "/junyi_test" + std::to_string(fold) + ".csv", max_learners, &data,
                  &item_index, &error)) {
      return Fail(error);
    }
  }

  pathwise::GraphDefinition def;
  for (const std::string& id : data.item_ids) {
    pathwise::Competency c;
    c.id = id;
    def.competencies.push_back(std::move(c));
  }
  pathwise::Result<pathwise::CompetencyGraph> graph =
      pathwise::CompetencyGraph::FromDefinition(std::move(def));
  if (!graph.ok()) return Fail(graph.status().ToString());
  const pathwise::BktModel model;

  std::printf("responses            %zu\n", data.responses);
  std::printf("learners             %zu\n", data.learners.size());
  std::printf("competencies         %zu\n", data.item_ids.size());

  // Pass 1: RecordSequence.
  const size_t heap_before_pass1 = HeapInUse();
  auto sequence_tracker = pathwise::MasteryTracker::Create(*graph, model);
  if (!sequence_tracker.ok()) return Fail(sequence_tracker.status().ToString());
  std::vector<uint32_t> activity_of_item(data.item_ids.size());
  for (size_t i = 0; i < data.item_ids.size(); ++i) {
    pathwise::Result<uint32_t> index = (*sequence_tracker)->ActivityIndex(data.item_ids[i]);
    if (!index.ok()) return Fail(index.status().ToString());
    activity_of_item[i] = *index;
  }
  std::vector<std::vector<pathwise::ResolvedOutcome>> steps(data.learners.size());
  for (size_t l = 0; l < data.learners.size(); ++l) {
    const LearnerHistory& h = data.learners[l];
    steps[l].reserve(h.items.size());
    for (size_t k = 0; k < h.items.size(); ++k) {
      // The files carry no time; position stands in for it.
      steps[l].push_back({activity_of_item[h.items[k]], static_cast<float>(h.correct[k]),
                          static_cast<int64_t>(k)});
    }
  }
  Stopwatch sequence_time;
  sequence_time.Start();
  for (size_t l = 0; l < data.learners.size(); ++l) {
    pathwise::Status status =
        (*sequence_tracker)->RecordSequence(data.learners[l].learner_id, steps[l]);
    if (!status.ok()) return Fail(status.ToString());
  }
  sequence_time.Stop();
  // Free the inputs first so the heap growth is the tracker's alone.
  steps.clear();
  steps.shrink_to_fit();
  const size_t pass1_heap = HeapInUse() - heap_before_pass1;
  PrintPass("pass 1: RecordSequence", data.responses, sequence_time, **sequence_tracker,
            pass1_heap);

  // Pass 2: Record with event ids, one learner's observations built (untimed) at a time.
  const size_t heap_before_pass2 = HeapInUse();
  auto record_tracker = pathwise::MasteryTracker::Create(*graph, model);
  if (!record_tracker.ok()) return Fail(record_tracker.status().ToString());
  Stopwatch record_time;
  std::vector<pathwise::Observation> observations;
  for (const LearnerHistory& h : data.learners) {
    observations.clear();
    for (size_t k = 0; k < h.items.size(); ++k) {
      observations.push_back({h.learner_id + "/" + std::to_string(k), h.learner_id,
                              data.item_ids[h.items[k]], static_cast<double>(h.correct[k]),
                              static_cast<int64_t>(k)});
    }
    record_time.Start();
    for (const pathwise::Observation& o : observations) {
      pathwise::Result<pathwise::RecordResult> result = (*record_tracker)->Record(o);
      if (!result.ok()) return Fail(result.status().ToString());
    }
    record_time.Stop();
  }
  observations.clear();
  observations.shrink_to_fit();
  PrintPass("pass 2: Record with event ids", data.responses, record_time, **record_tracker,
            HeapInUse() - heap_before_pass2);

  // Both paths must end in exactly the same state (checked on up to 200 learners to stay quick).
  const size_t checked = std::min<size_t>(data.learners.size(), 200);
  for (size_t l = 0; l < checked; ++l) {
    const std::string& id = data.learners[l].learner_id;
    auto a = (*sequence_tracker)->Mastery(id);
    auto b = (*record_tracker)->Mastery(id);
    if (!a.ok() || !b.ok()) return Fail("learner " + id + " missing after replay");
    for (size_t c = 0; c < a->competencies.size(); ++c) {
      const pathwise::MasteryEstimate& x = a->competencies[c];
      const pathwise::MasteryEstimate& y = b->competencies[c];
      if (x.p_learned != y.p_learned || x.opportunities != y.opportunities) {
        return Fail("paths disagree for learner " + id + ", competency " + x.competency_id);
      }
    }
  }
  std::printf("cross-check          RecordSequence == Record on %zu learners\n", checked);
  return 0;
}
