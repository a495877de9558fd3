// The SQLite store on its own, without gRPC: how many events per second it ingests durably, and how
// big the database is for many learners' states.
//
//   store_bench ingest [threads=16] [seconds=10] [events_per_batch=100] [learners=10000]
//                      [learners_per_batch=1] [competencies=100] [dir=...]
//   store_bench size   [learners=100000] [competencies=100] [dir=...]
//   store_bench check  dir=... [mode=quick|full]
//   store_bench smoke  (a second of each, for ctest)
//
// ingest: `threads` clients each commit batches back to back (as concurrent RPCs would), each
// batch `events_per_batch` new events spread over `learners_per_batch` random learners, with one
// state per distinct (learner, competency) touched. Every commit is durable (WAL, synchronous=FULL)
// and acknowledged only after its group's fsync. Reports events/s, commit latency percentiles and
// the mean group size.
//
// size: stores `competencies` states for each of `learners` learners (no events), closes the store
// (checkpointing the WAL into the file), reports the file size, then reopens it and times loading
// every state with ForEachLearner (what pathwised does at start-up).
//
// check: opens the existing store in `dir` (migrating it, without the check at open) and times one
// LearnerStore::CheckIntegrity: SQLite's quick_check (or integrity_check) and every row checksum.
//
// Inputs come from std::mt19937_64 with fixed seeds; ids look like real ones ("learner-000042",
// "skill-042", event ids of 20 characters). The directory defaults to a fresh one under $TMPDIR
// and is removed afterwards; pass dir= to keep it on a particular disk.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include "store/sqlite_store.h"

namespace {

using pathwise::Status;
using pathwise::store::EventBatch;
using pathwise::store::LearnerUpdate;
using pathwise::store::SqliteStore;
using pathwise::store::SqliteStoreOptions;
using Clock = std::chrono::steady_clock;

struct Args {
  std::map<std::string, std::string> values;

  long Int(const std::string& key, long fallback) const {
    auto it = values.find(key);
    return it == values.end() ? fallback : std::strtol(it->second.c_str(), nullptr, 10);
  }
  std::string Text(const std::string& key, const std::string& fallback) const {
    auto it = values.find(key);
    return it == values.end() ? fallback : it->second;
  }
};

[[noreturn]] void Die(const Status& status, const char* what) {
  std::fprintf(stderr, "store_bench: %s: %s\n", what, status.ToString().c_str());
  std::exit(1);
}

std::string LearnerId(long i) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "learner-%06ld", i);
  return buffer;
}

std::string CompetencyId(long i) {
  char buffer[32];
  std::snprintf(buffer, sizeof(buffer), "skill-%03ld", i);
  return buffer;
}

// A scratch directory, removed on exit unless the user chose the directory.
class BenchDir {
 public:
  explicit BenchDir(const std::string& chosen) {
    if (!chosen.empty()) {
      path_ = chosen;
      return;
    }
    const char* base = std::getenv("TMPDIR");
    std::string pattern =
        std::string(base != nullptr && *base != '\0' ? base : "/tmp") + "/store_bench_XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      std::perror("mkdtemp");
      std::exit(1);
    }
    path_ = pattern;
    owned_ = true;
  }
  ~BenchDir() {
    std::error_code ignored;
    if (owned_) std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  bool owned_ = false;
};

std::unique_ptr<SqliteStore> OpenStore(const std::string& dir) {
  SqliteStoreOptions options;
  options.data_dir = dir;
  auto store = SqliteStore::Open(options);
  if (!store.ok()) Die(store.status(), "open");
  return std::move(store).value();
}

double Percentile(std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0.0;
  const size_t index = std::min(sorted.size() - 1, static_cast<size_t>(q * sorted.size()));
  return sorted[index];
}

long PeakRssMiB() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024;
}

void RunIngest(const Args& args) {
  const long threads = args.Int("threads", 16);
  const double seconds = static_cast<double>(args.Int("seconds", 10));
  const long events_per_batch = args.Int("events_per_batch", 100);
  const long learners = args.Int("learners", 10000);
  const long learners_per_batch = std::max(1L, args.Int("learners_per_batch", 1));
  const long competencies = args.Int("competencies", 100);
  BenchDir dir(args.Text("dir", ""));
  std::unique_ptr<SqliteStore> store = OpenStore(dir.path());

  std::atomic<bool> stop{false};
  std::atomic<uint64_t> events_recorded{0};
  std::vector<std::vector<double>> latencies_ms(static_cast<size_t>(threads));
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (long t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937_64 rng(1234 + static_cast<uint64_t>(t));
      std::vector<double>& latencies = latencies_ms[static_cast<size_t>(t)];
      char event_id[80];
      for (uint64_t b = 0; !stop.load(std::memory_order_relaxed); ++b) {
        EventBatch batch;
        batch.tenant_id = "bench";
        std::map<std::string, std::map<std::string, uint32_t>> touched;
        std::vector<std::string> batch_learners;
        for (long l = 0; l < learners_per_batch; ++l) {
          batch_learners.push_back(LearnerId(static_cast<long>(rng() % learners)));
        }
        batch.events.reserve(static_cast<size_t>(events_per_batch));
        for (long i = 0; i < events_per_batch; ++i) {
          const std::string& learner = batch_learners[static_cast<size_t>(i % learners_per_batch)];
          const std::string competency = CompetencyId(static_cast<long>(rng() % competencies));
          std::snprintf(event_id, sizeof(event_id), "ev-%02ld-%09" PRIu64 "-%03ld", t, b, i);
          batch.events.push_back({event_id, learner, competency, (rng() & 1) ? 1.0 : 0.0,
                                  1700000000000 + static_cast<int64_t>(b)});
          ++touched[learner][competency];
        }
        for (const auto& [learner, states] : touched) {
          LearnerUpdate update;
          update.learner_id = learner;
          for (const auto& [competency, count] : states) {
            pathwise::MasteryEstimate estimate;
            estimate.competency_id = competency;
            estimate.p_learned = static_cast<double>(rng() >> 11) * 0x1.0p-53;
            estimate.opportunities = count;
            estimate.last_practiced_ms = 1700000000000 + static_cast<int64_t>(b);
            update.states.push_back(std::move(estimate));
          }
          batch.learners.push_back(std::move(update));
        }
        const auto begin = Clock::now();
        auto done = store->CommitEvents(batch);
        const auto end = Clock::now();
        if (!done.ok()) Die(done.status(), "commit");
        events_recorded.fetch_add(done->num_recorded, std::memory_order_relaxed);
        latencies.push_back(std::chrono::duration<double, std::milli>(end - begin).count());
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (std::thread& worker : workers) worker.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const SqliteStore::CommitStats stats = store->commit_stats();
  Status closed = store->Close();
  if (!closed.ok()) Die(closed, "close");

  std::vector<double> all;
  for (const auto& per_thread : latencies_ms)
    all.insert(all.end(), per_thread.begin(), per_thread.end());
  std::sort(all.begin(), all.end());
  const double events = static_cast<double>(events_recorded.load());
  std::printf(
      "ingest: %ld threads, %ld events/batch over %ld learner(s), %ld learners, %ld competencies\n"
      "  %.0f events/s durable (%.0f batches/s) over %.1f s\n"
      "  commit latency ms: p50 %.2f  p99 %.2f  max %.2f\n"
      "  %" PRIu64 " transactions, %.1f batches per transaction (max %" PRIu64
      ")\n"
      "  database %.1f MiB, peak RSS %ld MiB\n",
      threads, events_per_batch, learners_per_batch, learners, competencies, events / elapsed,
      static_cast<double>(all.size()) / elapsed, elapsed, Percentile(all, 0.50),
      Percentile(all, 0.99), all.empty() ? 0.0 : all.back(), stats.transactions,
      stats.transactions == 0
          ? 0.0
          : static_cast<double>(stats.writes) / static_cast<double>(stats.transactions),
      stats.max_writes_per_transaction,
      static_cast<double>(std::filesystem::file_size(dir.path() + "/pathwise.db")) / (1 << 20),
      PeakRssMiB());
}

void RunSize(const Args& args) {
  const long learners = args.Int("learners", 100000);
  const long competencies = args.Int("competencies", 100);
  const long learners_per_batch = 100;
  BenchDir dir(args.Text("dir", ""));
  std::unique_ptr<SqliteStore> store = OpenStore(dir.path());
  std::mt19937_64 rng(42);

  const auto start = Clock::now();
  for (long first = 0; first < learners; first += learners_per_batch) {
    EventBatch batch;
    batch.tenant_id = "bench";
    for (long l = first; l < std::min(learners, first + learners_per_batch); ++l) {
      LearnerUpdate update;
      update.learner_id = LearnerId(l);
      for (long c = 0; c < competencies; ++c) {
        pathwise::MasteryEstimate estimate;
        estimate.competency_id = CompetencyId(c);
        estimate.p_learned = static_cast<double>(rng() >> 11) * 0x1.0p-53;
        estimate.mastered = estimate.p_learned >= 0.95;
        estimate.opportunities = static_cast<uint32_t>(rng() % 40);
        estimate.last_practiced_ms = 1700000000000 + static_cast<int64_t>(rng() % 86400000000);
        update.states.push_back(std::move(estimate));
      }
      batch.learners.push_back(std::move(update));
    }
    auto done = store->CommitEvents(batch);
    if (!done.ok()) Die(done.status(), "commit");
  }
  const double write_seconds = std::chrono::duration<double>(Clock::now() - start).count();
  Status closed = store->Close();
  if (!closed.ok()) Die(closed, "close");
  store.reset();
  const std::string path = dir.path() + "/pathwise.db";
  const double bytes = static_cast<double>(std::filesystem::file_size(path));
  const double states = static_cast<double>(learners) * static_cast<double>(competencies);

  store = OpenStore(dir.path());
  const auto load_start = Clock::now();
  uint64_t loaded = 0;
  Status visited = store->ForEachLearner("bench", [&](const pathwise::store::StoredLearner& s) {
    loaded += s.competencies.size();
    return Status::Ok();
  });
  if (!visited.ok()) Die(visited, "load");
  const double load_seconds = std::chrono::duration<double>(Clock::now() - load_start).count();
  if (loaded != static_cast<uint64_t>(states)) {
    std::fprintf(stderr, "store_bench: loaded %" PRIu64 " states, stored %.0f\n", loaded, states);
    std::exit(1);
  }
  std::printf(
      "size: %ld learners x %ld competencies = %.0f states\n"
      "  database file %.1f MiB = %.1f bytes per state (written in %.1f s)\n"
      "  ForEachLearner loads them all in %.2f s (%.0f states/s), peak RSS %ld MiB\n",
      learners, competencies, states, bytes / (1 << 20), bytes / states, write_seconds,
      load_seconds, states / load_seconds, PeakRssMiB());
}

void RunCheck(const Args& args) {
  const std::string dir = args.Text("dir", "");
  if (dir.empty()) {
    std::fprintf(stderr, "store_bench check: dir= names the data directory of a store\n");
    std::exit(2);
  }
  const std::string mode = args.Text("mode", "quick");
  SqliteStoreOptions options;
  options.data_dir = dir;
  options.check_integrity_at_open = false;
  options.integrity_check = mode == "full" ? pathwise::store::SqliteIntegrityCheck::kFull
                                           : pathwise::store::SqliteIntegrityCheck::kQuick;
  auto store = SqliteStore::Open(options);
  if (!store.ok()) Die(store.status(), "open");
  const double gib = static_cast<double>(std::filesystem::file_size(dir + "/pathwise.db")) /
                     static_cast<double>(1 << 30);
  const auto start = Clock::now();
  const Status checked = (*store)->CheckIntegrity();
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("check %s: %.2f GiB checked in %.2f s (%.2f s per GiB): %s\n", mode.c_str(), gib,
              seconds, seconds / gib, checked.ok() ? "sound" : checked.ToString().c_str());
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr, "usage: store_bench ingest|size|check|smoke [key=value ...]\n");
    return 2;
  }
  Args args;
  for (int i = 2; i < argc; ++i) {
    const std::string arg = argv[i];
    const size_t eq = arg.find('=');
    if (eq == std::string::npos) {
      std::fprintf(stderr, "store_bench: expected key=value, got '%s'\n", argv[i]);
      return 2;
    }
    args.values[arg.substr(0, eq)] = arg.substr(eq + 1);
  }
  const std::string mode = argv[1];
  if (mode == "ingest") {
    RunIngest(args);
  } else if (mode == "size") {
    RunSize(args);
  } else if (mode == "check") {
    RunCheck(args);
  } else if (mode == "smoke") {
    Args ingest;
    ingest.values = {{"threads", "4"}, {"seconds", "1"}, {"learners", "100"}};
    RunIngest(ingest);
    Args size;
    size.values = {{"learners", "1000"}, {"competencies", "10"}};
    RunSize(size);
  } else {
    std::fprintf(stderr, "store_bench: unknown mode '%s'\n", argv[1]);
    return 2;
  }
  return 0;
}
