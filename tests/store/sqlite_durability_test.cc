// An acknowledged batch survives kill -9: a child process writes batches from several threads and
// reports each acknowledged batch on a pipe; the test kills it mid-stream and reopens the database.
#include <atomic>
#include <cstdint>
#include <iostream>
#include <map>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/sqlite_store.h"
#include "store/store_test_util.h"
#include "testing/status_matchers.h"

namespace pathwise::store {
namespace {

using testing::MakeObservation;
using testing::TempDir;

constexpr int kWriterThreads = 4;
constexpr int kLearnersPerThread = 3;
constexpr int kEventsPerBatch = 100;
constexpr uint64_t kBatchesPerThreadCode = 1000000;  // batch code = thread * this + batch

std::string LearnerId(int thread, int learner) {
  return "t" + std::to_string(thread) + "-l" + std::to_string(learner);
}

std::string EventId(uint64_t batch_code, int i) {
  return "b" + std::to_string(batch_code) + "-" + std::to_string(i);
}

uint64_t BatchCodeOf(const std::string& event_id) {
  return std::stoull(event_id.substr(1, event_id.find('-') - 1));
}

// The child: writes batches until killed. Each batch belongs to one learner; the learner's state
// counts its stored events, and each commit expects the version the thread last saw, so the test
// can check that states and events were committed together.
[[noreturn]] void RunChild(const std::string& dir, int ack_fd) {
  SqliteStoreOptions options;
  options.data_dir = dir;
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(options);
  if (!store.ok()) _exit(2);
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < kWriterThreads; ++t) {
    threads.emplace_back([&, t] {
      std::vector<uint64_t> versions(kLearnersPerThread, 0);
      std::vector<uint32_t> counts(kLearnersPerThread, 0);
      for (uint64_t b = 0; b < kBatchesPerThreadCode && !failed; ++b) {
        const int learner = static_cast<int>(b % kLearnersPerThread);
        const uint64_t code = static_cast<uint64_t>(t) * kBatchesPerThreadCode + b;
        EventBatch batch;
        batch.tenant_id = "acme";
        for (int i = 0; i < kEventsPerBatch; ++i) {
          batch.events.push_back(MakeObservation(EventId(code, i), LearnerId(t, learner), "a", 1.0,
                                                 static_cast<int64_t>(b)));
        }
        const uint32_t count = counts[learner] + kEventsPerBatch;
        batch.learners.push_back(
            {LearnerId(t, learner), versions[learner], {testing::State("c", 0.5, count, 0)}});
        Result<CommitResult> done = (*store)->CommitEvents(batch);
        if (!done.ok()) {
          failed = true;
          break;
        }
        versions[learner] = done->learner_versions[0];
        counts[learner] = count;
        // 8 bytes are below PIPE_BUF, so concurrent writes never interleave.
        if (::write(ack_fd, &code, sizeof(code)) != sizeof(code)) failed = true;
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  _exit(failed ? 3 : 0);
}

TEST(SqliteDurabilityTest, EveryAcknowledgedBatchSurvivesKillNine) {
  TempDir dir;
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  const pid_t child = ::fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    ::close(pipe_fds[0]);
    RunChild(dir.path(), pipe_fds[1]);
  }
  ::close(pipe_fds[1]);

  // Let the child get well into its stream, then kill it without warning.
  constexpr size_t kAcksBeforeKill = 400;
  std::set<uint64_t> acknowledged;
  uint64_t code = 0;
  while (acknowledged.size() < kAcksBeforeKill &&
         ::read(pipe_fds[0], &code, sizeof(code)) == sizeof(code)) {
    acknowledged.insert(code);
  }
  ASSERT_EQ(::kill(child, SIGKILL), 0);
  int wait_status = 0;
  ASSERT_EQ(::waitpid(child, &wait_status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(wait_status)) << "the child ended by itself, status " << wait_status;
  // Acknowledgements still in the pipe were given before the kill: they count too.
  while (::read(pipe_fds[0], &code, sizeof(code)) == sizeof(code)) acknowledged.insert(code);
  ::close(pipe_fds[0]);
  ASSERT_GE(acknowledged.size(), kAcksBeforeKill);

  SqliteStoreOptions options;
  options.data_dir = dir.path();
  Result<std::unique_ptr<SqliteStore>> store = SqliteStore::Open(options);
  ASSERT_OK(store);
  std::map<uint64_t, int> events_per_batch;
  for (int t = 0; t < kWriterThreads; ++t) {
    for (int l = 0; l < kLearnersPerThread; ++l) {
      const std::string learner = LearnerId(t, l);
      Result<std::vector<StoredObservation>> events = (*store)->ListEvents("acme", learner, 0, 0);
      ASSERT_OK(events);
      std::set<std::string> ids;
      std::set<uint64_t> batches;
      for (const StoredObservation& event : *events) {
        EXPECT_TRUE(ids.insert(event.observation.event_id).second)
            << "event " << event.observation.event_id << " stored twice";
        const uint64_t batch = BatchCodeOf(event.observation.event_id);
        ++events_per_batch[batch];
        batches.insert(batch);
      }
      // The state was committed with exactly these events.
      Result<StoredLearner> state = (*store)->GetLearner("acme", learner);
      ASSERT_OK(state);
      ASSERT_EQ(state->competencies.size(), 1u);
      EXPECT_EQ(state->competencies[0].opportunities, events->size()) << learner;
      EXPECT_EQ(state->version, batches.size()) << learner;
    }
  }
  for (uint64_t batch : acknowledged) {
    EXPECT_EQ(events_per_batch[batch], kEventsPerBatch) << "acknowledged batch " << batch;
  }
  size_t unacknowledged_but_stored = 0;
  for (const auto& [batch, count] : events_per_batch) {
    EXPECT_EQ(count, kEventsPerBatch) << "batch " << batch << " is stored in part";
    if (acknowledged.count(batch) == 0) ++unacknowledged_but_stored;
  }
  // Committed but killed before acknowledging: at most one group per writer thread's last batch.
  EXPECT_LE(unacknowledged_but_stored, static_cast<size_t>(kWriterThreads));
  std::cout << "acknowledged " << acknowledged.size() << " batches; stored "
            << events_per_batch.size() << "\n";
}

}  // namespace
}  // namespace pathwise::store
