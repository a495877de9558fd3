// Many clients recording for overlapping learners at once: the final state of every learner equals
// a sequential replay of its stored events in commit order, and survives a restart.
#include <atomic>
#include <map>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "service_test_util.h"

namespace pathwise::service {
namespace {

using testing::ChainGraph;
using testing::Ctx;
using testing::ExpectMasteryEqualsReplay;
using testing::kKeyA;
using testing::MakeObservation;
using testing::PutGraphOrFail;
using testing::StartServer;
using testing::Stubs;
using testing::TempDir;
using testing::TwoTenantConfig;

TEST(ConcurrencyTest, ManyClientsOnOverlappingLearnersEqualASequentialReplay) {
  constexpr int kThreads = 8;
  constexpr int kBatchesPerThread = 30;
  constexpr int kEventsPerBatch = 20;
  constexpr int kLearners = 10;
  constexpr uint64_t kSeed = 20260901;
  SCOPED_TRACE("seed " + std::to_string(kSeed));

  TempDir dir;
  app::ServerConfig config = TwoTenantConfig();
  config.store = "sqlite";
  config.data_dir = dir.path();
  std::unique_ptr<PathwiseServer> server = StartServer(config);
  ASSERT_NE(server, nullptr);
  const v1::Graph graph = ChainGraph();
  {
    Stubs stubs(server->InProcessChannel());
    PutGraphOrFail(stubs, kKeyA, graph);
  }

  const char* activities[] = {"act.a", "act.b", "act.c", "act.ab", "b"};
  const double outcomes[] = {0.0, 1.0, 1.0, 0.5, 0.25};
  std::mutex mu;
  std::map<std::string, std::set<std::string>> sent_ids;  // learner -> distinct event ids
  uint64_t recorded_total = 0, duplicates_total = 0, resent_total = 0;

  auto client = [&](int thread) {
    Stubs stubs(server->InProcessChannel());
    std::mt19937_64 rng(kSeed + thread);
    std::vector<v1::Observation> history;
    uint64_t recorded = 0, duplicates = 0, resent = 0;
    for (int batch = 0; batch < kBatchesPerThread; ++batch) {
      v1::RecordEventsRequest request;
      for (int i = 0; i < kEventsPerBatch; ++i) {
        // One event in ten re-sends an earlier one (a client retry): it must change nothing.
        if (!history.empty() && rng() % 10 == 0) {
          *request.add_events() = history[rng() % history.size()];
          ++resent;
          continue;
        }
        const std::string learner = "learner" + std::to_string(rng() % kLearners);
        v1::Observation e = MakeObservation(
            "t" + std::to_string(thread) + "-" + std::to_string(history.size()), learner,
            activities[rng() % 5], outcomes[rng() % 5], static_cast<int64_t>(rng() % 1000000));
        history.push_back(e);
        *request.add_events() = e;
      }
      v1::RecordEventsResponse response;
      grpc::Status status;
      if (thread % 2 == 0) {
        status = stubs.learners->RecordEvents(Ctx(kKeyA).get(), request, &response);
      } else {
        auto context = Ctx(kKeyA);
        auto writer = stubs.learners->StreamEvents(context.get(), &response);
        writer->Write(request);
        writer->WritesDone();
        status = writer->Finish();
      }
      ASSERT_TRUE(status.ok()) << status.error_message();
      recorded += response.recorded();
      duplicates += response.duplicates();
    }
    std::lock_guard<std::mutex> lock(mu);
    for (const v1::Observation& e : history) sent_ids[e.learner_id()].insert(e.event_id());
    recorded_total += recorded;
    duplicates_total += duplicates;
    resent_total += resent;
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) threads.emplace_back(client, t);
  for (std::thread& t : threads) t.join();

  uint64_t distinct = 0;
  for (const auto& [learner, ids] : sent_ids) distinct += ids.size();
  EXPECT_EQ(recorded_total, distinct);
  // Re-sent events within one batch as well as across batches are duplicates.
  EXPECT_EQ(duplicates_total, resent_total);

  auto check_all = [&](Stubs& stubs) {
    for (const auto& [learner, ids] : sent_ids) {
      const std::vector<v1::StoredObservation> events =
          ExpectMasteryEqualsReplay(stubs, kKeyA, learner, graph);
      std::set<std::string> stored;
      for (const v1::StoredObservation& e : events) stored.insert(e.event().event_id());
      EXPECT_EQ(stored.size(), events.size()) << learner << ": an event stored twice";
      EXPECT_EQ(stored, ids) << learner;
    }
  };
  {
    Stubs stubs(server->InProcessChannel());
    check_all(stubs);
  }
  // The same after a restart, when mastery is rebuilt from the store.
  ASSERT_OK(server->Shutdown(std::chrono::seconds(5)));
  server = StartServer(config);
  ASSERT_NE(server, nullptr);
  Stubs stubs(server->InProcessChannel());
  check_all(stubs);
  EXPECT_OK(server->Shutdown(std::chrono::seconds(5)));
}

TEST(ConcurrencyTest, ReadersNeverSeeAnUncommittedEvent) {
  // A reader polling one learner while a writer records for it sees opportunities that only grow,
  // and never more than the events acknowledged by the time the read returns... plus the batch in
  // flight, which may have committed just before.
  TempDir dir;
  app::ServerConfig config = TwoTenantConfig();
  config.store = "sqlite";
  config.data_dir = dir.path();
  std::unique_ptr<PathwiseServer> server = StartServer(config);
  ASSERT_NE(server, nullptr);
  Stubs stubs(server->InProcessChannel());
  PutGraphOrFail(stubs, kKeyA, ChainGraph());
  v1::RecordEventsRequest first;
  *first.add_events() = MakeObservation("w0", "wes", "act.a", 1, 0);
  v1::RecordEventsResponse ack;
  ASSERT_TRUE(stubs.learners->RecordEvents(Ctx(kKeyA).get(), first, &ack).ok());

  std::atomic<int> acknowledged{1};
  std::atomic<bool> done{false};
  std::thread writer([&] {
    Stubs own(server->InProcessChannel());
    for (int i = 1; i <= 200; ++i) {
      v1::RecordEventsRequest request;
      *request.add_events() = MakeObservation("w" + std::to_string(i), "wes", "act.a", i % 2, i);
      v1::RecordEventsResponse response;
      ASSERT_TRUE(own.learners->RecordEvents(Ctx(kKeyA).get(), request, &response).ok());
      acknowledged.store(i + 1);
    }
    done.store(true);
  });
  uint32_t last = 0;
  while (!done.load()) {
    v1::GetMasteryRequest request;
    request.set_learner_id("wes");
    request.add_competency_ids("a");
    v1::GetMasteryResponse response;
    ASSERT_TRUE(stubs.learners->GetMastery(Ctx(kKeyA).get(), request, &response).ok());
    const uint32_t seen = response.competencies(0).opportunities();
    EXPECT_GE(seen, last);
    EXPECT_LE(seen, static_cast<uint32_t>(acknowledged.load()) + 1);
    last = seen;
  }
  writer.join();
  EXPECT_OK(server->Shutdown(std::chrono::seconds(5)));
}

}  // namespace
}  // namespace pathwise::service
